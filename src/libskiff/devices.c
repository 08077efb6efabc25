/* skiff: device nodes and the standard /dev symlinks, created inside the
   rootfs before pivot_root.  */
#include <config.h>
#include "devices.h"
#include "fs.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

struct default_device
{
  const char *path;
  unsigned major, minor;
};

static const struct default_device default_devices[] = {
  { "/dev/null", 1, 3 },    { "/dev/zero", 1, 5 },    { "/dev/full", 1, 7 },
  { "/dev/random", 1, 8 },  { "/dev/urandom", 1, 9 }, { "/dev/tty", 5, 0 },
};

static int
bind_host_device (int rootfd, const char *path, skiff_error_t *err)
{
  cleanup_close int target = skiff_mkfile_in_root (rootfd, path, 0000, err);
  if (target < 0)
    return target;
  /* A clone of the host node's mount, attached on the fd: no path of the
     rootfs is looked up again.  */
  cleanup_close int tree = open_tree (AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return skiff_error_sys (err, "open_tree host device `%s`", path);
  if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return skiff_error_sys (err, "bind mount host device `%s`", path);
  return 0;
}

int
skiff_device_create (int rootfd, const char *path, char type, uint64_t major, uint64_t minor,
                     mode_t mode, uid_t uid, gid_t gid, bool bind_from_host, skiff_error_t *err)
{
  mode_t fmt;
  switch (type)
    {
    case 'c':
    case 'u':
      fmt = S_IFCHR;
      break;
    case 'b':
      fmt = S_IFBLK;
      break;
    case 'p':
      fmt = S_IFIFO;
      break;
    default:
      return skiff_error_make (err, EINVAL, "device `%s`: unknown type `%c`", path, type);
    }
  if (bind_from_host && fmt != S_IFIFO)
    return bind_host_device (rootfd, path, err);

  cleanup_free char *base = NULL;
  cleanup_close int parent = skiff_open_parent_in_root (rootfd, path, &base, err);
  if (parent < 0)
    return parent;
  dev_t dev = fmt == S_IFIFO ? 0 : makedev (major, minor);
  /* umask must not eat the configured fileMode.  */
  mode_t old_mask = umask (0);
  int r = mknodat (parent, base, fmt | (mode & 07777), dev);
  if (r < 0 && errno == EEXIST)
    {
      /* A node from the image (or a placeholder): replace it.  */
      if (unlinkat (parent, base, 0) == 0)
        r = mknodat (parent, base, fmt | (mode & 07777), dev);
      else
        errno = EEXIST;
    }
  umask (old_mask);
  if (r < 0 && errno == EPERM && fmt != S_IFIFO)
    return bind_host_device (rootfd, path, err); /* no CAP_MKNOD */
  if (r < 0)
    return skiff_error_sys (err, "mknod `%s`", path);
  if (fchownat (parent, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return skiff_error_sys (err, "chown `%s`", path);
  return 0;
}

static bool
configured (const oci_linux *linux, const char *path)
{
  for (size_t i = 0; linux && i < linux->devices_len; i++)
    if (linux->devices[i]->path && strcmp (linux->devices[i]->path, path) == 0)
      return true;
  return false;
}

static int
setup_symlinks (int rootfd, bool with_proc, skiff_error_t *err)
{
  static const char *const links[][2] = {
    { "/proc/self/fd", "/dev/fd" },
    { "/proc/self/fd/0", "/dev/stdin" },
    { "/proc/self/fd/1", "/dev/stdout" },
    { "/proc/self/fd/2", "/dev/stderr" },
  };
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++)
    if (skiff_symlink_in_root (rootfd, links[i][0], links[i][1], err) < 0)
      return -1;
  if (with_proc && skiff_symlink_in_root (rootfd, "/proc/kcore", "/dev/core", err) < 0)
    return -1;

  /* /dev/ptmx must be the container devpts' multiplexer, not a node from
     the image (which would open the host's pty instance).  */
  cleanup_close int devfd = skiff_mkdir_in_root (rootfd, "/dev", 0755, err);
  if (devfd < 0)
    return devfd;
  if (unlinkat (devfd, "ptmx", 0) < 0 && errno != ENOENT)
    return skiff_error_sys (err, "remove `/dev/ptmx`");
  if (symlinkat ("pts/ptmx", devfd, "ptmx") < 0 && errno != EEXIST)
    return skiff_error_sys (err, "symlink `/dev/ptmx`");
  return 0;
}

int
skiff_devices_setup (int rootfd, const oci_config *config, bool user_ns, bool console,
                     bool with_proc, skiff_error_t *err)
{
  const oci_linux *linux = config->linux;

  for (size_t i = 0; i < sizeof default_devices / sizeof default_devices[0]; i++)
    {
      const struct default_device *d = &default_devices[i];
      if (configured (linux, d->path))
        continue;
      if (skiff_device_create (rootfd, d->path, 'c', d->major, d->minor, 0666, 0, 0, user_ns, err)
          < 0)
        return -1;
    }

  for (size_t i = 0; linux && i < linux->devices_len; i++)
    {
      const oci_device *d = linux->devices[i];
      if (d->path == NULL || d->path[0] != '/')
        return skiff_error_make (err, EINVAL, "linux.devices[%zu]: path must be absolute", i);
      if (d->type == NULL || strlen (d->type) != 1)
        return skiff_error_make (err, EINVAL, "device `%s`: invalid type `%s`", d->path,
                                 d->type ? d->type : "");
      if (d->type[0] != 'p' && (!d->major_present || !d->minor_present))
        return skiff_error_make (err, EINVAL, "device `%s`: major and minor are required",
                                 d->path);
      mode_t mode = d->file_mode_present ? d->file_mode : 0666;
      if (skiff_device_create (rootfd, d->path, d->type[0], (uint64_t) d->major,
                               (uint64_t) d->minor, mode, d->uid_present ? d->uid : 0,
                               d->gid_present ? d->gid : 0, user_ns, err)
          < 0)
        return -1;
    }

  if (setup_symlinks (rootfd, with_proc, err) < 0)
    return -1;

  if (console)
    {
      int fd = skiff_mkfile_in_root (rootfd, "/dev/console", 0000, err);
      if (fd < 0)
        return fd;
      close (fd);
    }
  return 0;
}
