/* skiff: build the container's root filesystem in its new mount namespace.
 *
 * Order: make the host's mounts slaves (nothing we do propagates back),
 * bind the rootfs on itself, every config mount in order, devices; then
 * (after createRuntime hooks) masked and readonly paths, pivot_root and the
 * readonly root.  Destinations are resolved with RESOLVE_IN_ROOT and mounted
 * on through fds (fs.h), so symlinks in the rootfs cannot point a mount
 * at the host.  */
#include <config.h>
#include "rootfs.h"
#include "rootfs-internal.h"
#include "devices.h"
#include "fs.h"
#include "log.h"
#include "security.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>


/* mount(2) flags that a bind mount takes as per-mount attributes.  */
static uint64_t
attrs_from_flags (unsigned long flags)
{
  uint64_t a = 0;
  if (flags & MS_RDONLY)
    a |= MOUNT_ATTR_RDONLY;
  if (flags & MS_NOSUID)
    a |= MOUNT_ATTR_NOSUID;
  if (flags & MS_NODEV)
    a |= MOUNT_ATTR_NODEV;
  if (flags & MS_NOEXEC)
    a |= MOUNT_ATTR_NOEXEC;
  if (flags & MS_NODIRATIME)
    a |= MOUNT_ATTR_NODIRATIME;
  if (flags & MS_NOSYMFOLLOW)
    a |= MOUNT_ATTR_NOSYMFOLLOW;
  return a;
}

/* Apply SET/CLR (one mount, or the tree with RECURSIVE) on the mount FD
   refers to.  */
int
skiff_mount_setattr_fd (int fd, uint64_t set, uint64_t clr, uint64_t propagation, bool recursive)
{
  struct mount_attr attr = { .attr_set = set, .attr_clr = clr, .propagation = propagation };
  if (set == 0 && clr == 0 && propagation == 0)
    return 0;
  return mount_setattr (fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &attr,
                        sizeof attr);
}

/* Per-mount attributes of one mount from O (non-recursive options).  */
static void
top_attrs (const struct skiff_mount_options *o, uint64_t *set, uint64_t *clr)
{
  *set = attrs_from_flags (o->flags);
  *clr = attrs_from_flags (o->clear_flags);
  unsigned long atime = MS_NOATIME | MS_RELATIME | MS_STRICTATIME;
  if (o->flags & atime)
    {
      *clr |= MOUNT_ATTR__ATIME;
      *set |= (o->flags & MS_NOATIME) ? MOUNT_ATTR_NOATIME
              : (o->flags & MS_STRICTATIME) ? MOUNT_ATTR_STRICTATIME
                                            : MOUNT_ATTR_RELATIME;
    }
  else if (o->clear_flags & atime)
    {
      *clr |= MOUNT_ATTR__ATIME;
      *set |= MOUNT_ATTR_RELATIME;
    }
}

/* Flags, recursive attributes and propagation of O on the mount MNTFD.  */
static int
apply_attrs (int mntfd, const struct skiff_mount_options *o, bool top, const char *dest,
             skiff_error_t *err)
{
  if (top)
    {
      uint64_t set, clr;
      top_attrs (o, &set, &clr);
      if (skiff_mount_setattr_fd (mntfd, set, clr, 0, false) < 0)
        return skiff_error_sys (err, "mount_setattr `%s`", dest);
    }
  if (o->recursive_attr && skiff_mount_setattr_fd (mntfd, o->attr_set, o->attr_clr, 0, true) < 0)
    return skiff_error_sys (err, "mount_setattr recursive `%s`", dest);
  if (o->propagation)
    {
      unsigned long p = o->propagation & ~(unsigned long) MS_REC;
      if (skiff_mount_setattr_fd (mntfd, 0, 0, p, (o->propagation & MS_REC) != 0) < 0)
        return skiff_error_sys (err, "set propagation of `%s`", dest);
    }
  return 0;
}

/* A detached copy of SRC (a host path) with O's attributes and id mapping:
   the mount appears in the container already read-only, no window where
   it is writable.  LINUX gives the container's mappings to an idmap mount
   without its own.  */
int
skiff_bind_tree (const char *src, const struct skiff_mount_options *o, const oci_mount *m,
                 const oci_linux *linux, const char *dest, skiff_error_t *err)
{
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (o->rbind ? AT_RECURSIVE : 0);
  cleanup_close int tree = open_tree (AT_FDCWD, src, flags);
  if (tree < 0)
    return skiff_error_sys (err, "open_tree `%s` for `%s`", src, dest);

  uint64_t set, clr;
  top_attrs (o, &set, &clr);
  if (skiff_mount_setattr_fd (tree, set, clr, 0, false) < 0)
    return skiff_error_sys (err, "mount_setattr `%s`", dest);
  if (o->recursive_attr && skiff_mount_setattr_fd (tree, o->attr_set, o->attr_clr, 0, true) < 0)
    return skiff_error_sys (err, "mount_setattr recursive `%s`", dest);
  if (o->idmap && skiff_idmap_tree (tree, o, m, linux, dest, err) < 0)
    return -1;
  return steal_fd (&tree);
}

/* Attach TREE (from skiff_bind_tree) onto TARGETFD, then O's propagation.  */
static int
attach_tree (int tree, int targetfd, const struct skiff_mount_options *o, const char *dest,
             skiff_error_t *err)
{
  if (move_mount (tree, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return skiff_error_sys (err, "move_mount to %s", dest);
  struct skiff_mount_options prop_only = { .propagation = o->propagation };
  return apply_attrs (tree, &prop_only, false, dest, err);
}

/* Bind SRC (a host path) onto TARGETFD.  */
int
skiff_bind_at (const char *src, int targetfd, const struct skiff_mount_options *o,
               const oci_mount *m, const oci_linux *linux, const char *dest, skiff_error_t *err)
{
  cleanup_close int tree = skiff_bind_tree (src, o, m, linux, dest, err);
  if (tree < 0)
    return -1;
  if (attach_tree (tree, targetfd, o, dest, err) < 0)
    return skiff_error_wrap (err, "bind %s", src);
  return 0;
}

/* After mount(2) onto TARGETFD (the covered directory), find the new mount
   on top of it: resolve DEST again and check it is a different mount.  */
int
skiff_reopen_mount (int rootfd, int targetfd, const char *dest, skiff_error_t *err)
{
  cleanup_close int fd = skiff_open_in_root (rootfd, dest, O_PATH, 0, err);
  if (fd < 0)
    return fd;
  struct statx a, b;
  if (statx (targetfd, "", AT_EMPTY_PATH, STATX_MNT_ID, &a) < 0
      || statx (fd, "", AT_EMPTY_PATH, STATX_MNT_ID, &b) < 0)
    return skiff_error_sys (err, "statx `%s`", dest);
  if ((a.stx_mask & STATX_MNT_ID) && a.stx_mnt_id == b.stx_mnt_id)
    return skiff_error_make (err, EXDEV, "mount on `%s` moved while being set up", dest);
  return steal_fd (&fd);
}

/* mount(2) of a new filesystem of TYPE on TARGETFD, then the attributes
   mount(2) cannot set.  */
int
skiff_mount_fs_at (int rootfd, int targetfd, const char *source, const char *type,
                   const struct skiff_mount_options *o, const char *data, const char *dest,
                   skiff_error_t *err)
{
  char fdpath[SKIFF_FD_PATH_SIZE];
  unsigned long flags = o->flags & ~(unsigned long) (MS_BIND | MS_REC);
  if (mount (source, skiff_fd_path (targetfd, fdpath), type, flags, data) < 0)
    return skiff_error_sys (err, "mount %s to %s", type, dest);
  if (!o->recursive_attr && o->propagation == 0)
    return 0;
  cleanup_close int mnt = skiff_reopen_mount (rootfd, targetfd, dest, err);
  if (mnt < 0)
    return mnt;
  return apply_attrs (mnt, o, false, dest, err);
}

static bool
is_bind (const oci_mount *m, const struct skiff_mount_options *o)
{
  return o->bind || (m->type && strcmp (m->type, "bind") == 0);
}

/* SOURCE of a bind mount as a host path: relative to the bundle.  */
static char *
bind_source (const oci_mount *m, const struct skiff_rootfs_opts *opts)
{
  if (m->source[0] == '/' || opts->bundle == NULL)
    return xstrdup (m->source);
  return xasprintf ("%s/%s", opts->bundle, m->source);
}

/* Make the mount point of DEST: a directory, or an empty file when the
   source of a bind mount is not a directory.  */
static int
mount_point (int rootfd, const char *dest, bool file, skiff_error_t *err)
{
  if (file)
    return skiff_mkfile_in_root (rootfd, dest, 0644, err);
  return skiff_mkdir_in_root (rootfd, dest, 0755, err);
}

static int
do_bind (struct skiff_rootfs_ctx *ctx, const oci_mount *m, size_t i,
         const struct skiff_mount_options *o, skiff_error_t *err)
{
  if (m->source == NULL)
    return skiff_error_make (err, EINVAL, "mount `%s`: bind mount without source",
                             m->destination);
  int premade = ctx->opts->premade ? ctx->opts->premade[i] : -1;
  if (premade >= 0)
    {
      /* Made by the parent (skiff_rootfs_premake): only attaching is left.  */
      struct stat st;
      if (fstat (premade, &st) < 0)
        return skiff_error_sys (err, "mount `%s`: stat the id-mapped tree", m->destination);
      cleanup_close int target = mount_point (ctx->rootfd, m->destination, !S_ISDIR (st.st_mode), err);
      if (target < 0)
        return skiff_error_wrap (err, "mount `%s`", m->destination);
      return attach_tree (premade, target, o, m->destination, err);
    }
  cleanup_free char *src = bind_source (m, ctx->opts);
  struct stat st;
  if (stat (src, &st) < 0)
    return skiff_error_sys (err, "mount %s to %s: stat source", src, m->destination);
  cleanup_close int target = mount_point (ctx->rootfd, m->destination, !S_ISDIR (st.st_mode), err);
  if (target < 0)
    return skiff_error_wrap (err, "mount %s to %s", src, m->destination);
  return skiff_bind_at (src, target, o, m, ctx->config->linux, m->destination, err);
}

int
skiff_rootfs_premake (const oci_config *config, const struct skiff_rootfs_opts *opts, int **out,
                      skiff_error_t *err)
{
  int *trees = NULL;

  *out = NULL;
  for (size_t i = 0; i < config->mounts_len; i++)
    {
      const oci_mount *m = config->mounts[i];
      struct skiff_mount_options o;

      if (m->destination == NULL || m->source == NULL
          || skiff_parse_mount_options (m->options, m->options_len, &o, err) < 0)
        {
          skiff_error_free (err);
          continue; /* do_mount reports it, in order */
        }
      if (o.idmap && is_bind (m, &o))
        {
          cleanup_free char *src = bind_source (m, opts);
          if (trees == NULL)
            {
              trees = xmalloc (config->mounts_len * sizeof *trees);
              for (size_t k = 0; k < config->mounts_len; k++)
                trees[k] = -1;
            }
          int fd = skiff_bind_tree (src, &o, m, config->linux, m->destination, err);
          if (fd < 0)
            {
              skiff_mount_options_clear (&o);
              skiff_rootfs_premade_free (trees, config->mounts_len);
              return -1;
            }
          trees[i] = fd;
        }
      skiff_mount_options_clear (&o);
    }
  *out = trees;
  return 0;
}

void
skiff_rootfs_premade_free (int *trees, size_t n)
{
  for (size_t i = 0; trees && i < n; i++)
    if (trees[i] >= 0)
      close (trees[i]);
  free (trees);
}

/* Filesystems that take an SELinux context= option.  Not mqueue: its
   superblock is made with the IPC namespace, so a mount can only share
   it, with the settings it already has; its root is relabelled instead.  */
static bool
takes_mount_label (const char *type)
{
  static const char *const types[] = { "tmpfs", "devpts", "ramfs", NULL };
  for (size_t i = 0; types[i]; i++)
    if (strcmp (type, types[i]) == 0)
      return true;
  return false;
}

static bool
data_has (const char *data, const char *key)
{
  size_t n = strlen (key);
  for (const char *p = data; p && *p;)
    {
      if (strncmp (p, key, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == '='))
        return true;
      p = strchr (p, ',');
      if (p)
        p++;
    }
  return false;
}

static char *
data_add (char *data, const char *opt)
{
  char *r = data && *data ? xasprintf ("%s,%s", data, opt) : xstrdup (opt);
  free (data);
  return r;
}

/* procfs and sysfs go on an ordinary directory only: through a symlinked
   /proc an image could choose where the files LSM labels are set through
   (/proc/self/attr) end up.  Checked before the mount point is made
   (TARGET -1: a missing DEST is fine) and after (DEST must still be
   TARGET).  */
static int
check_plain_mount_point (int rootfd, const char *dest, const char *type, int target,
                         skiff_error_t *err)
{
  cleanup_error skiff_error_t tmp = NULL;
  cleanup_close int fd = skiff_open_in_root_nosymlinks (rootfd, dest, O_PATH, &tmp);
  if (fd < 0 && target < 0 && skiff_error_errno (&tmp) == ENOENT)
    return 0;
  if (fd < 0)
    {
      *err = steal_pointer (&tmp);
      return skiff_error_wrap (err, "mount %s to %s: procfs and sysfs are mounted only on a directory",
                               type, dest);
    }
  struct stat a, b;
  if (target >= 0 && (fstat (fd, &a) < 0 || fstat (target, &b) < 0))
    return skiff_error_sys (err, "mount %s to %s: stat", type, dest);
  if (target >= 0 && (a.st_dev != b.st_dev || a.st_ino != b.st_ino))
    return skiff_error_make (err, EXDEV, "mount %s to %s: mount point changed while being set up",
                             type, dest);
  return 0;
}

/* PATH is strictly below DIR ("/dev/pts" below "/dev" or "/").  */
static bool
path_below (const char *path, const char *dir)
{
  for (;;)
    {
      while (*path == '/')
        path++;
      while (*dir == '/')
        dir++;
      if (*dir == '\0')
        return *path != '\0';
      size_t n = strcspn (dir, "/");
      if (strncmp (path, dir, n) != 0 || (path[n] != '/' && path[n] != '\0'))
        return false;
      path += n;
      dir += n;
    }
}

/* A read-only mount that is still written to while the rootfs is made:
   mount points of later mounts below it, /dev's device nodes, the copy of
   tmpcopyup.  */
static bool
written_below (const struct skiff_rootfs_ctx *ctx, const char *dest,
               const struct skiff_mount_options *o)
{
  if (o->tmpcopyup || skiff_path_is (dest, "/dev"))
    return true;
  for (size_t k = ctx->current + 1; k < ctx->config->mounts_len; k++)
    {
      const char *d = ctx->config->mounts[k]->destination;
      if (d && path_below (d, dest))
        return true;
    }
  return false;
}

static int
do_fs_mount (struct skiff_rootfs_ctx *ctx, const oci_mount *m, struct skiff_mount_options *o,
             skiff_error_t *err)
{
  const char *type = m->type;
  const char *dest = m->destination;
  const char *source = m->source ? m->source : type;
  cleanup_free char *data = o->data ? xstrdup (o->data) : NULL;

  if (strcmp (type, "cgroup") == 0 || strcmp (type, "cgroup2") == 0)
    return skiff_mount_cgroup (ctx, m, o, err);

  if (strcmp (type, "devpts") == 0)
    {
      if (!data_has (data, "newinstance"))
        data = data_add (data, "newinstance");
      if (!data_has (data, "ptmxmode"))
        data = data_add (data, "ptmxmode=0666");
    }
  if (ctx->mount_label && takes_mount_label (type) && !data_has (data, "context"))
    {
      cleanup_free char *ctxopt = xasprintf ("context=\"%s\"", ctx->mount_label);
      data = data_add (data, ctxopt);
    }

  if (o->flags & MS_REMOUNT)
    {
      /* remount the mount already at DEST (resolved to the top mount).  */
      char fdpath[SKIFF_FD_PATH_SIZE];
      cleanup_close int fd = skiff_open_in_root (ctx->rootfd, dest, O_PATH, 0, err);
      if (fd < 0)
        return skiff_error_wrap (err, "remount %s", dest);
      if (mount (source, skiff_fd_path (fd, fdpath), type, o->flags, data) < 0)
        return skiff_error_sys (err, "remount %s", dest);
      return apply_attrs (fd, o, false, dest, err);
    }

  bool kernel_fs = strcmp (type, "proc") == 0 || strcmp (type, "sysfs") == 0;
  if (kernel_fs && check_plain_mount_point (ctx->rootfd, dest, type, -1, err) < 0)
    return -1;
  cleanup_close int target = skiff_mkdir_in_root (ctx->rootfd, dest, 0755, err);
  if (target < 0)
    return skiff_error_wrap (err, "mount %s to %s", type, dest);
  if (kernel_fs && check_plain_mount_point (ctx->rootfd, dest, type, target, err) < 0)
    return -1;

  /* Such a mount is made read-write and turned read-only at the end of
     skiff_rootfs_prepare (late_ro).  */
  struct skiff_mount_options rw = *o;
  bool late_ro = (o->flags & MS_RDONLY) && written_below (ctx, dest, o);
  if (late_ro)
    rw.flags &= ~(unsigned long) MS_RDONLY;
  const struct skiff_mount_options *first = late_ro ? &rw : o;
  int r = skiff_mount_fs_at (ctx->rootfd, target, source, type, first, data, dest, err);
  if (r < 0 && skiff_error_errno (err) == EPERM)
    {
      /* Filesystems a user namespace cannot mount without owning the
         matching namespace: show the host's instead.  */
      const char *host = NULL;
      if (strcmp (type, "sysfs") == 0)
        host = "/sys";
      else if (strcmp (type, "mqueue") == 0)
        host = "/dev/mqueue";
      if (host && ctx->opts->user_ns && access (host, F_OK) == 0)
        {
          skiff_debug ("mount %s on %s not permitted: binding the host's %s", type, dest, host);
          struct skiff_mount_options b = *o;
          b.bind = b.rbind = true;
          /* "ro" must hold for the host's submounts too */
          b.attr_set |= attrs_from_flags (o->flags);
          b.recursive_attr = b.attr_set != 0 || b.attr_clr != 0;
          return skiff_bind_at (host, target, &b, NULL, NULL, dest, err);
        }
    }
  if (r < 0 && skiff_error_errno (err) == EINVAL && strcmp (type, "devpts") == 0
      && data_has (data, "gid"))
    {
      /* gid=5 is not mapped in this user namespace: let the kernel pick. */
      cleanup_free char *nogid = NULL;
      for (char *tok = strtok (data, ","); tok; tok = strtok (NULL, ","))
        if (strncmp (tok, "gid=", 4) != 0)
          nogid = data_add (nogid, tok);
      r = skiff_mount_fs_at (ctx->rootfd, target, source, type, first, nogid, dest, err);
    }
  /* A shared IPC namespace's mqueue belongs to others: leave its label.  */
  if (r == 0 && ctx->mount_label && strcmp (type, "mqueue") == 0 && ctx->opts->new_ipc_ns)
    {
      cleanup_close int mnt = skiff_reopen_mount (ctx->rootfd, target, dest, err);
      if (mnt < 0)
        return mnt;
      r = skiff_security_label_file (mnt, ctx->mount_label, err);
      if (r < 0)
        return skiff_error_wrap (err, "mount %s to %s", type, dest);
    }
  if (r == 0 && o->tmpcopyup)
    {
      cleanup_close int mnt = skiff_reopen_mount (ctx->rootfd, target, dest, err);
      if (mnt < 0)
        return mnt;
      r = skiff_tmpcopyup (target, mnt, dest, err);
    }
  if (r == 0 && late_ro)
    {
      int mnt = skiff_reopen_mount (ctx->rootfd, target, dest, err);
      if (mnt < 0)
        return mnt;
      ctx->late_ro = xrealloc (ctx->late_ro, (ctx->n_late_ro + 1) * sizeof *ctx->late_ro);
      ctx->late_ro[ctx->n_late_ro++] = (struct skiff_late_ro) { .fd = mnt, .dest = dest };
    }
  return r;
}

static int
do_mount (struct skiff_rootfs_ctx *ctx, const oci_mount *m, size_t i, skiff_error_t *err)
{
  if (m->destination == NULL || m->destination[0] == '\0')
    return skiff_error_make (err, EINVAL, "mounts[%zu]: no destination", i);
  struct skiff_mount_options o;
  if (skiff_parse_mount_options (m->options, m->options_len, &o, err) < 0)
    return skiff_error_wrap (err, "mount `%s`", m->destination);

  int r;
  if (skiff_path_is (m->destination, "/dev") && is_bind (m, &o))
    ctx->dev_bound = true;
  if (skiff_path_is (m->destination, "/proc"))
    ctx->with_proc = true;
  if (is_bind (m, &o))
    {
      o.bind = true;
      r = do_bind (ctx, m, i, &o, err);
    }
  else if (m->type == NULL || m->type[0] == '\0')
    r = skiff_error_make (err, EINVAL, "mount `%s`: no type and not a bind mount",
                          m->destination);
  else if (o.idmap)
    r = skiff_error_make (err, EINVAL, "mount `%s`: idmap is only supported on bind mounts",
                          m->destination);
  else
    r = do_fs_mount (ctx, m, &o, err);
  skiff_mount_options_clear (&o);
  return r;
}

bool
skiff_path_is (const char *path, const char *want)
{
  /* "/dev", "/dev/", "//dev" */
  while (*path == '/')
    path++;
  while (*want == '/')
    want++;
  size_t n = strlen (want);
  if (strncmp (path, want, n) != 0)
    return false;
  for (path += n; *path == '/'; path++)
    ;
  return *path == '\0';
}

int
skiff_rootfs_propagation (const oci_config *config, unsigned long *out, skiff_error_t *err)
{
  const char *name = config->linux ? config->linux->rootfs_propagation : NULL;
  *out = 0;
  if (name == NULL || *name == '\0')
    return 0;
  struct skiff_mount_options o;
  char *const opts[] = { (char *) name };
  if (skiff_parse_mount_options (opts, 1, &o, err) < 0)
    return -1;
  bool ok = o.propagation != 0 && o.data == NULL;
  *out = o.propagation;
  skiff_mount_options_clear (&o);
  if (!ok)
    return skiff_error_make (err, EINVAL, "linux.rootfsPropagation: unknown value `%s`", name);
  return 0;
}

/* FIELD is set in a config without a mount namespace of its own.  */
static int
needs_mount_ns (const char *field, skiff_error_t *err)
{
  return skiff_error_plain (err, EINVAL,
                            "%s needs a new mount namespace: linux.namespaces has no `mount` "
                            "entry without a path, and skiff does not mount in a mount "
                            "namespace it did not create",
                            field);
}

int
skiff_rootfs_validate (const oci_config *config, bool own_mount_ns, skiff_error_t *err)
{
  const oci_linux *linux = config->linux;
  if (own_mount_ns)
    return 0;
  /* Mounts, masks and a read-only root would change the caller's (or a
     joined) mount table, and `delete` could not tell them from the
     owner's own.  Devices: a node in the image's /dev outlives the
     container, and in a user namespace each is a bind mount.  */
  if (config->mounts_len > 0)
    {
      cleanup_free char *f = xasprintf ("mounts[0] (`%s`)", config->mounts[0]->destination
                                                                ? config->mounts[0]->destination
                                                                : "");
      return needs_mount_ns (f, err);
    }
  if (config->root && config->root->readonly)
    return needs_mount_ns ("root.readonly", err);
  if (linux == NULL)
    return 0;
  if (linux->masked_paths_len > 0)
    return needs_mount_ns ("linux.maskedPaths", err);
  if (linux->readonly_paths_len > 0)
    return needs_mount_ns ("linux.readonlyPaths", err);
  if (linux->rootfs_propagation && linux->rootfs_propagation[0])
    return needs_mount_ns ("linux.rootfsPropagation", err);
  if (linux->devices_len > 0)
    return needs_mount_ns ("linux.devices", err);
  return 0;
}

int
skiff_rootfs_prepare (const oci_config *config, const struct skiff_rootfs_opts *opts,
                      skiff_error_t *err)
{
  const char *rootfs = opts->rootfs;
  struct stat st;
  if (rootfs == NULL)
    return skiff_error_make (err, EINVAL, "rootfs: no path");
  if (stat (rootfs, &st) < 0)
    return skiff_error_sys (err, "rootfs `%s`", rootfs);
  if (!S_ISDIR (st.st_mode))
    return skiff_error_make (err, ENOTDIR, "rootfs `%s`", rootfs);
  /* Shared mount table: nothing to prepare (skiff_rootfs_validate made
     sure nothing was asked for), skiff_rootfs_pivot only chroots.  */
  if (!opts->own_mount_ns)
    return 0;

  /* Host mounts become slaves so nothing mounted here reaches the host;
     only an explicit (r)shared keeps the copies peers of the host's.  */
  unsigned long prop = 0;
  if (skiff_rootfs_propagation (config, &prop, err) < 0)
    return -1;
  unsigned long first = (prop & MS_SHARED) ? prop : MS_SLAVE | MS_REC;
  if (mount (NULL, "/", NULL, first, NULL) < 0)
    return skiff_error_sys (err, "set propagation of /");
  if (prop && !(prop & (MS_SHARED | MS_SLAVE)) && mount (NULL, "/", NULL, prop, NULL) < 0)
    return skiff_error_sys (err, "set propagation of /");

  /* After the slave/private pass nothing is shared, so the rootfs's parent
     mount only needs fixing (a mountinfo scan) when / was made shared, or
     when the bind fails because the parent is unbindable.  */
  if ((prop & MS_SHARED) && skiff_make_parent_private (rootfs, err) < 0)
    return -1;
  if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    {
      if (errno != EINVAL || (prop & MS_SHARED))
        return skiff_error_sys (err, "bind mount rootfs `%s`", rootfs);
      if (skiff_make_parent_private (rootfs, err) < 0)
        return -1;
      if (mount (rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
        return skiff_error_sys (err, "bind mount rootfs `%s`", rootfs);
    }

  struct skiff_rootfs_ctx ctx = { .opts = opts, .config = config,
                                  .mount_label = skiff_security_mount_label (config) };
  ctx.rootfd = open (rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (ctx.rootfd < 0)
    return skiff_error_sys (err, "rootfs `%s`", rootfs);

  int r = 0;
  for (size_t i = 0; r == 0 && i < config->mounts_len; i++)
    {
      ctx.current = i;
      r = do_mount (&ctx, config->mounts[i], i, err);
    }
  /* A /dev bound from the host already has its devices.  */
  if (r == 0 && !ctx.dev_bound)
    r = skiff_devices_setup (ctx.rootfd, config, opts->user_ns, opts->console, ctx.with_proc,
                             err);
  for (size_t k = 0; k < ctx.n_late_ro; k++)
    {
      if (r == 0 && skiff_mount_setattr_fd (ctx.late_ro[k].fd, MOUNT_ATTR_RDONLY, 0, 0, false) < 0)
        r = skiff_error_sys (err, "make `%s` read-only", ctx.late_ro[k].dest);
      close (ctx.late_ro[k].fd);
    }
  free (ctx.late_ro);
  close (ctx.rootfd);
  return r;
}
