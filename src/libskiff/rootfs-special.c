/* skiff: the mounts that need more than mount(2): cgroup (fresh in a
   cgroup namespace, else the container's own cgroup bound from the host),
   id-mapped bind mounts, tmpfs with tmpcopyup, and the private parent
   mount pivot_root requires.  */
#include <config.h>
#include "rootfs.h"
#include "rootfs-internal.h"
#include "cgroup.h"
#include "fs.h"
#include "namespaces.h"
#include "log.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* mountinfo escapes space, tab, newline and backslash as \ooo.  */
static void
unescape_octal (char *s)
{
  char *o = s;
  for (char *p = s; *p; p++)
    {
      if (p[0] == '\\' && p[1] >= '0' && p[1] <= '7' && p[2] >= '0' && p[2] <= '7' && p[3] >= '0'
          && p[3] <= '7')
        {
          *o++ = (char) (((p[1] - '0') << 6) | ((p[2] - '0') << 3) | (p[3] - '0'));
          p += 3;
        }
      else
        *o++ = *p;
    }
  *o = '\0';
}

/* One line of /proc/self/mountinfo, split in place.  */
struct mountinfo_line
{
  int id, parent;
  char *mountpoint;
  char *optional; /* "shared:1 master:2" */
  char *fstype;
};

static bool
split_mountinfo (char *line, struct mountinfo_line *out)
{
  char *fields[6];
  char *save = NULL, *tok = strtok_r (line, " ", &save);
  for (int i = 0; i < 6 && tok; i++, tok = strtok_r (NULL, " ", &save))
    fields[i] = tok;
  if (tok == NULL)
    return false;
  out->id = atoi (fields[0]);
  out->parent = atoi (fields[1]);
  out->mountpoint = fields[4];
  unescape_octal (out->mountpoint);
  /* optional fields until " - " */
  out->optional = NULL;
  for (; tok && strcmp (tok, "-") != 0; tok = strtok_r (NULL, " ", &save))
    if (out->optional == NULL)
      out->optional = tok;
  if (tok == NULL)
    return false;
  out->fstype = strtok_r (NULL, " ", &save);
  return out->fstype != NULL;
}

static bool
is_under (const char *path, const char *mp)
{
  size_t n = strlen (mp);
  if (strcmp (mp, "/") == 0)
    return true;
  return strncmp (path, mp, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

int
skiff_make_parent_private (const char *rootfs, skiff_error_t *err)
{
  char real[PATH_MAX];
  if (realpath (rootfs, real) == NULL)
    return skiff_error_sys (err, "rootfs `%s`", rootfs);
  cleanup_free char *info = NULL;
  if (read_file_at (AT_FDCWD, "/proc/self/mountinfo", &info, NULL, err) < 0)
    return -1;

  cleanup_free char *best = NULL;
  bool needs_private = false;
  char *save = NULL;
  for (char *line = strtok_r (info, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct mountinfo_line mi;
      if (!split_mountinfo (line, &mi) || !is_under (real, mi.mountpoint))
        continue;
      /* the last (topmost) of the longest matches wins */
      if (best == NULL || strlen (mi.mountpoint) >= strlen (best))
        {
          free (best);
          best = xstrdup (mi.mountpoint);
          needs_private = mi.optional && (strstr (mi.optional, "shared:") != NULL
                                          || strstr (mi.optional, "unbindable") != NULL);
        }
    }
  /* pivot_root refuses a shared parent, a shared parent would carry the
     rootfs bind mount to the host, and an unbindable one cannot be bound. */
  if (best && needs_private && mount (NULL, best, NULL, MS_PRIVATE, NULL) < 0)
    return skiff_error_sys (err, "make `%s` private", best);
  return 0;
}

/* One procfs or sysfs mount outside ROOTFS (a realpath) that is not in
   DONE, the last one listed (the topmost, or a child before its parent),
   and the mount point of its parent.  Returns false when there is none.  */
static bool
next_outer_kernel_fs (char *info, const char *rootfs, const int *done, size_t n_done,
                      char **mountpoint, char **parent_mountpoint, int *id)
{
  int parent = -1;
  *mountpoint = *parent_mountpoint = NULL;
  char *save = NULL;
  for (char *line = strtok_r (info, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      struct mountinfo_line mi;
      if (!split_mountinfo (line, &mi))
        continue;
      if (mi.id == parent)
        {
          free (*parent_mountpoint);
          *parent_mountpoint = xstrdup (mi.mountpoint);
        }
      if ((strcmp (mi.fstype, "proc") != 0 && strcmp (mi.fstype, "sysfs") != 0)
          || is_under (mi.mountpoint, rootfs))
        continue;
      bool seen = false;
      for (size_t k = 0; k < n_done && !seen; k++)
        seen = done[k] == mi.id;
      if (seen)
        continue;
      free (*mountpoint);
      free (*parent_mountpoint);
      *mountpoint = xstrdup (mi.mountpoint);
      *parent_mountpoint = NULL;
      *id = mi.id;
      parent = mi.parent;
    }
  return *mountpoint != NULL;
}

int
skiff_detach_outer_kernel_fs (const char *rootfs, skiff_error_t *err)
{
  char real[PATH_MAX];
  if (realpath (rootfs, real) == NULL)
    return skiff_error_sys (err, "rootfs `%s`", rootfs);
  /* Held open: /proc itself may be among what goes.  */
  cleanup_close int self = open ("/proc/self", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (self < 0)
    return skiff_error_sys (err, "open /proc/self");
  cleanup_free int *done = NULL;
  size_t n_done = 0;
  for (;;)
    {
      cleanup_free char *info = NULL, *mp = NULL, *parent_mp = NULL;
      int id;
      if (read_file_at (self, "mountinfo", &info, NULL, err) < 0)
        return -1;
      if (!next_outer_kernel_fs (info, real, done, n_done, &mp, &parent_mp, &id))
        return 0;
      /* An unmount below a shared mount would reach its peers (the host's
         with rootfsPropagation shared): the parent becomes a slave.  */
      if (parent_mp && mount (NULL, parent_mp, NULL, MS_SLAVE, NULL) < 0)
        return skiff_error_sys (err, "make `%s` a slave", parent_mp);
      if (umount2 (mp, MNT_DETACH) == 0)
        continue;
      /* Locked (inherited into a user namespace): cover it instead, so
         that it counts as masked in namespaces made below this one.  */
      if (mount ("tmpfs", mp, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0")
          < 0)
        return skiff_error_sys (err, "hide `%s` outside the rootfs", mp);
      done = xrealloc (done, (n_done + 1) * sizeof *done);
      done[n_done++] = id;
    }
}

int
skiff_mount_cgroup (struct skiff_rootfs_ctx *ctx, const oci_mount *m,
                    const struct skiff_mount_options *o, skiff_error_t *err)
{
  const char *dest = m->destination;
  cleanup_close int target = skiff_mkdir_in_root (ctx->rootfd, dest, 0755, err);
  if (target < 0)
    return skiff_error_wrap (err, "mount cgroup to %s", dest);

  /* Only cgroup2 is offered (also for type "cgroup"): a fresh mount shows
     the namespace's root, which is the container's cgroup.  */
  if (ctx->opts->new_cgroup_ns)
    {
      int r = skiff_mount_fs_at (ctx->rootfd, target, "cgroup2", "cgroup2", o, NULL, dest, err);
      if (r == 0 || (skiff_error_errno (err) != EPERM && skiff_error_errno (err) != EBUSY))
        return r;
      skiff_debug ("mount cgroup2 on %s failed: binding the container's cgroup", dest);
    }
  /* The very cgroup the parent made, in the hierarchy it used: not the
     first cgroup2 mount of mountinfo, which may be hidden under another
     one mounted over /sys/fs/cgroup.  */
  cleanup_free char *host = ctx->opts->cgroup_path ? xstrdup (ctx->opts->cgroup_path)
                                                   : skiff_cgroup_self_path (err);
  if (host == NULL)
    return skiff_error_wrap (err, "mount cgroup to %s", dest);
  struct skiff_mount_options b = *o;
  b.bind = b.rbind = true;
  b.data = NULL;
  return skiff_bind_at (host, target, &b, NULL, NULL, dest, err);
}

static int
write_map (const char *procpid, const char *file, oci_id_mapping **maps, size_t n,
           skiff_error_t *err)
{
  size_t cap = n * 40 + 1, len = 0;
  cleanup_free char *buf = xmalloc (cap);
  buf[0] = '\0';
  for (size_t i = 0; i < n; i++)
    len += (size_t) snprintf (buf + len, cap - len, "%u %u %u\n", maps[i]->container_id,
                              maps[i]->host_id, maps[i]->size);
  cleanup_free char *path = xasprintf ("%s/%s", procpid, file);
  return write_file_at (AT_FDCWD, path, buf, len, err);
}

/* A user namespace with these mappings.  */
static int
userns_with_maps (oci_id_mapping **uids, size_t n_uids, oci_id_mapping **gids, size_t n_gids,
                  skiff_error_t *err)
{
  struct skiff_ns_helper h;
  int fd = -1;

  if (skiff_ns_helper_start (CLONE_NEWUSER, &h, err) < 0)
    return skiff_error_wrap (err, "user namespace for the id mapping");
  if (write_map (h.proc, "uid_map", uids, n_uids, err) == 0
      && write_map (h.proc, "gid_map", gids, n_gids, err) == 0)
    {
      cleanup_free char *ns = xasprintf ("%s/ns/user", h.proc);
      fd = open (ns, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        skiff_error_sys (err, "open `%s`", ns);
    }
  skiff_ns_helper_end (&h);
  return fd;
}

int
skiff_idmap_tree (int treefd, const struct skiff_mount_options *o, const oci_mount *m,
                  const oci_linux *linux, const char *dest, skiff_error_t *err)
{
  int userns_fd;
  if (m && m->uid_mappings_len > 0 && m->gid_mappings_len > 0)
    userns_fd = userns_with_maps (m->uid_mappings, m->uid_mappings_len, m->gid_mappings,
                                  m->gid_mappings_len, err);
  /* Without its own, the mount takes the container's user namespace
     mappings: files owned by root show as the container's root.  */
  else if (linux && linux->uid_mappings_len > 0 && linux->gid_mappings_len > 0)
    userns_fd = userns_with_maps (linux->uid_mappings, linux->uid_mappings_len,
                                  linux->gid_mappings, linux->gid_mappings_len, err);
  else
    return skiff_error_plain (err, EINVAL,
                              "idmap mount `%s`: uidMappings and gidMappings are required "
                              "(the mount's, or linux's for a user namespace)",
                              dest);
  cleanup_close int userns = userns_fd;
  if (userns < 0)
    return skiff_error_wrap (err, "idmap mount `%s`", dest);
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) userns };
  if (mount_setattr (treefd, "", AT_EMPTY_PATH | (o->ridmap ? AT_RECURSIVE : 0), &attr,
                     sizeof attr)
      < 0)
    return skiff_error_sys (err, "idmap mount `%s`", dest);
  return 0;
}

static int copy_tree (int src, int dst, const char *dest, int depth, skiff_error_t *err);

static int
copy_entry (int src, int dst, const char *name, const struct stat *st, const char *dest,
            int depth, skiff_error_t *err)
{
  if (S_ISDIR (st->st_mode))
    {
      if (mkdirat (dst, name, st->st_mode & 07777) < 0 && errno != EEXIST)
        return skiff_error_sys (err, "tmpcopyup `%s/%s`", dest, name);
      cleanup_close int s = openat (src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      cleanup_close int d = openat (dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (s < 0 || d < 0)
        return skiff_error_sys (err, "tmpcopyup `%s/%s`", dest, name);
      if (copy_tree (s, d, dest, depth + 1, err) < 0)
        return -1;
    }
  else if (S_ISREG (st->st_mode))
    {
      cleanup_close int s = openat (src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
      cleanup_close int d
          = openat (dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (s < 0 || d < 0)
        return skiff_error_sys (err, "tmpcopyup `%s/%s`", dest, name);
      char buf[65536];
      ssize_t n;
      while ((n = read_all (s, buf, sizeof buf)) > 0)
        if (write_all (d, buf, (size_t) n) < 0)
          return skiff_error_sys (err, "tmpcopyup `%s/%s`", dest, name);
      if (n < 0)
        return skiff_error_sys (err, "tmpcopyup `%s/%s`", dest, name);
      if (fchmod (d, st->st_mode & 07777) < 0)
        return skiff_error_sys (err, "tmpcopyup `%s/%s`", dest, name);
    }
  else if (S_ISLNK (st->st_mode))
    {
      char target[PATH_MAX];
      ssize_t n = readlinkat (src, name, target, sizeof target - 1);
      if (n < 0)
        return skiff_error_sys (err, "tmpcopyup `%s/%s`", dest, name);
      target[n] = '\0';
      if (symlinkat (target, dst, name) < 0)
        return skiff_error_sys (err, "tmpcopyup `%s/%s`", dest, name);
    }
  else if (mknodat (dst, name, st->st_mode, st->st_rdev) < 0)
    return skiff_error_sys (err, "tmpcopyup `%s/%s`", dest, name);

  if (fchownat (dst, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EINVAL)
    return skiff_error_sys (err, "tmpcopyup chown `%s/%s`", dest, name);
  return 0;
}

static int
copy_tree (int src, int dst, const char *dest, int depth, skiff_error_t *err)
{
  if (depth > 64)
    return skiff_error_make (err, ELOOP, "tmpcopyup `%s`: too deep", dest);
  int dupfd = dup (src);
  if (dupfd < 0)
    return skiff_error_sys (err, "tmpcopyup `%s`", dest);
  cleanup_dir DIR *dir = fdopendir (dupfd);
  if (dir == NULL)
    {
      close (dupfd);
      return skiff_error_sys (err, "tmpcopyup `%s`", dest);
    }
  struct dirent *de;
  while ((de = readdir (dir)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      struct stat st;
      if (fstatat (src, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        return skiff_error_sys (err, "tmpcopyup `%s/%s`", dest, de->d_name);
      if (copy_entry (src, dst, de->d_name, &st, dest, depth, err) < 0)
        return -1;
    }
  return 0;
}

int
skiff_tmpcopyup (int coveredfd, int mntfd, const char *dest, skiff_error_t *err)
{
  /* "." from the O_PATH fd of the covered directory stays below the new
     mount: that is how its old content is still reachable.  */
  cleanup_close int src = openat (coveredfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int dst = openat (mntfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (src < 0 || dst < 0)
    return skiff_error_sys (err, "tmpcopyup `%s`", dest);
  return copy_tree (src, dst, dest, 0, err);
}
