/* skiff: the last steps of the rootfs: masked and readonly paths (still
   resolved inside the rootfs, before the switch), pivot_root or
   move+chroot, then the readonly root.  */
#include <config.h>
#include "rootfs.h"
#include "rootfs-internal.h"
#include "fs.h"
#include "security.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

/* Open PATH in the rootfs for masking; a missing path is no error (the
   spec's lists name paths that exist only on some kernels).  Returns 0
   with *FD = -1 when missing.  */
static int
open_existing (int rootfd, const char *path, int *fd, skiff_error_t *err)
{
  cleanup_error skiff_error_t tmp = NULL;
  *fd = skiff_open_in_root (rootfd, path, O_PATH, 0, &tmp);
  if (*fd >= 0)
    return 0;
  if (skiff_error_errno (&tmp) == ENOENT || skiff_error_errno (&tmp) == ENOTDIR)
    return 0;
  *err = steal_pointer (&tmp);
  return -1;
}

static int
mask_path (int rootfd, const char *path, const char *label, skiff_error_t *err)
{
  cleanup_close int fd = -1;
  if (open_existing (rootfd, path, &fd, err) < 0)
    return skiff_error_wrap (err, "mask `%s`", path);
  if (fd < 0)
    return 0;
  struct stat st;
  if (fstat (fd, &st) < 0)
    return skiff_error_sys (err, "mask `%s`", path);

  if (S_ISDIR (st.st_mode))
    {
      char fdpath[SKIFF_FD_PATH_SIZE];
      cleanup_free char *data = label ? xasprintf ("size=0,context=\"%s\"", label) : NULL;
      if (mount ("tmpfs", skiff_fd_path (fd, fdpath), "tmpfs", MS_RDONLY, data ? data : "size=0")
          < 0)
        return skiff_error_sys (err, "mask `%s`: mount tmpfs", path);
      return 0;
    }
  cleanup_close int tree = open_tree (AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  if (tree < 0)
    return skiff_error_sys (err, "mask `%s`: open_tree /dev/null", path);
  if (move_mount (tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return skiff_error_sys (err, "mask `%s`: bind /dev/null", path);
  return 0;
}

static int
readonly_path (int rootfd, const char *path, skiff_error_t *err)
{
  cleanup_close int fd = -1;
  if (open_existing (rootfd, path, &fd, err) < 0)
    return skiff_error_wrap (err, "readonly path `%s`", path);
  if (fd < 0)
    return 0;
  cleanup_close int tree
      = open_tree (fd, "", AT_EMPTY_PATH | OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0)
    return skiff_error_sys (err, "readonly path `%s`: open_tree", path);
  if (skiff_mount_setattr_fd (tree, MOUNT_ATTR_RDONLY, 0, 0, true) < 0)
    return skiff_error_sys (err, "readonly path `%s`: mount_setattr", path);
  if (move_mount (tree, "", fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return skiff_error_sys (err, "readonly path `%s`: move_mount", path);
  return 0;
}

static int
do_pivot_root (const char *rootfs, skiff_error_t *err)
{
  cleanup_close int oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (oldroot < 0)
    return skiff_error_sys (err, "open /");
  cleanup_close int newroot = open (rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  if (newroot < 0)
    return skiff_error_sys (err, "rootfs `%s`", rootfs);
  if (fchdir (newroot) < 0)
    return skiff_error_sys (err, "chdir to rootfs `%s`", rootfs);
  /* new root and put_old the same: the old root ends up stacked on the
     new one, from where it is detached below; no directory is needed.  */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return skiff_error_sys (err, "pivot_root `%s`", rootfs);
  if (fchdir (oldroot) < 0)
    return skiff_error_sys (err, "chdir to old root");
  /* Slave first, so that the unmount does not propagate to the host.  */
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return skiff_error_sys (err, "make old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return skiff_error_sys (err, "unmount old root");
  if (chdir ("/") < 0)
    return skiff_error_sys (err, "chdir /");
  return 0;
}

static int
do_move_root (const char *rootfs, skiff_error_t *err)
{
  if (skiff_detach_outer_kernel_fs (rootfs, err) < 0)
    return skiff_error_wrap (err, "--no-pivot");
  if (chdir (rootfs) < 0)
    return skiff_error_sys (err, "chdir to rootfs `%s`", rootfs);
  if (mount (rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return skiff_error_sys (err, "move rootfs `%s` to /", rootfs);
  if (chroot (".") < 0)
    return skiff_error_sys (err, "chroot `%s`", rootfs);
  if (chdir ("/") < 0)
    return skiff_error_sys (err, "chdir /");
  return 0;
}

/* In a mount namespace that is not the container's own: the root changes
   for this process only.  */
int
skiff_rootfs_chroot_fd (int dirfd, skiff_error_t *err)
{
  if (fchdir (dirfd) < 0)
    return skiff_error_sys (err, "chdir to the container's root");
  if (chroot (".") < 0)
    return skiff_error_sys (err, "chroot to the container's root");
  if (chdir ("/") < 0)
    return skiff_error_sys (err, "chdir /");
  return 0;
}

static int
do_chroot (const char *rootfs, skiff_error_t *err)
{
  cleanup_close int fd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_sys (err, "rootfs `%s`", rootfs);
  if (skiff_rootfs_chroot_fd (fd, err) < 0)
    return skiff_error_wrap (err, "rootfs `%s`", rootfs);
  return 0;
}

static int
readonly_root (skiff_error_t *err)
{
  cleanup_close int fd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_sys (err, "open /");
  if (skiff_mount_setattr_fd (fd, MOUNT_ATTR_RDONLY, 0, 0, false) == 0)
    return 0;
  if (errno != ENOSYS)
    return skiff_error_sys (err, "remount / read-only");
  /* Old kernels: a bind remount must restate the flags it keeps.  */
  struct statvfs sv;
  if (statvfs ("/", &sv) < 0)
    return skiff_error_sys (err, "statvfs /");
  unsigned long keep = 0;
  if (sv.f_flag & ST_NOSUID)
    keep |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    keep |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    keep |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME)
    keep |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME)
    keep |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME)
    keep |= MS_RELATIME;
  if (mount (NULL, "/", NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | keep, NULL) < 0)
    return skiff_error_sys (err, "remount / read-only");
  return 0;
}

int
skiff_rootfs_pivot (const oci_config *config, const struct skiff_rootfs_opts *opts,
                    skiff_error_t *err)
{
  const oci_linux *linux = config->linux;
  /* Never pivot_root, move or remount in a mount table that is not ours:
     it is the caller's (on a host, the whole machine's).  */
  if (!opts->own_mount_ns)
    return do_chroot (opts->rootfs, err);
  {
    cleanup_close int rootfd = open (opts->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (rootfd < 0)
      return skiff_error_sys (err, "rootfs `%s`", opts->rootfs);
    const char *label = skiff_security_mount_label (config);
    for (size_t i = 0; linux && i < linux->masked_paths_len; i++)
      if (mask_path (rootfd, linux->masked_paths[i], label, err) < 0)
        return -1;
    for (size_t i = 0; linux && i < linux->readonly_paths_len; i++)
      if (readonly_path (rootfd, linux->readonly_paths[i], err) < 0)
        return -1;
  }

  int r = opts->no_pivot ? do_move_root (opts->rootfs, err) : do_pivot_root (opts->rootfs, err);
  if (r < 0)
    return r;
  if (config->root && config->root->readonly)
    {
      /* A missing process.cwd is created (process.c, apply_cwd); under a
         read-only root only now can it be, as runc does.  Inside the new
         root already: no symlink leads out.  */
      const char *cwd = config->process ? config->process->cwd : NULL;
      if (cwd && cwd[0] == '/' && access (cwd, F_OK) < 0 && errno == ENOENT
          && mkdir_p (cwd, 0755, err) < 0)
        return skiff_error_wrap (err, "create cwd `%s`", cwd);
      if (readonly_root (err) < 0)
        return -1;
    }
  /* rootfsPropagation is about the container's "/" (pivot_root itself
     needs it not shared, so it is applied last).  */
  unsigned long prop;
  if (skiff_rootfs_propagation (config, &prop, err) < 0)
    return -1;
  if (prop && mount (NULL, "/", NULL, prop, NULL) < 0)
    return skiff_error_sys (err, "set propagation of / to %s", linux->rootfs_propagation);
  return 0;
}
