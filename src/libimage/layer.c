/* skiff-image: safe layer extraction (see layer.h).  */
#include <config.h>
#include "layer.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "fs.h"
#include "layerinfo.h"
#include "utils.h"

#define WHITEOUT_PREFIX ".wh."
#define OPAQUE_MARKER ".wh..wh..opq"
#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"

void
image_chain_id (const char *parent, const char *diff_id, char out[IMAGE_DIGEST_LEN])
{
  cleanup_free char *s = NULL;
  if (parent == NULL)
    {
      snprintf (out, IMAGE_DIGEST_LEN, "%s", diff_id);
      return;
    }
  s = xasprintf ("%s %s", parent, diff_id);
  image_digest_buffer (s, strlen (s), out);
}

/* --- removal ------------------------------------------------------------- */

static int
remove_children (int parentfd, const char *name, skiff_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int fd = openat (parentfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

  if (fd < 0)
    return skiff_error_sys (err, "open `%s`", name);
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return skiff_error_sys (err, "fdopendir `%s`", name);
    }
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (image_remove_at (dirfd (d), de->d_name, err) < 0)
        return skiff_error_wrap (err, "%s", name);
    }
  if (errno)
    return skiff_error_sys (err, "readdir `%s`", name);
  return 0;
}

int
image_remove_at (int dirfd, const char *name, skiff_error_t *err)
{
  struct stat st;

  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : skiff_error_sys (err, "stat `%s`", name);
  if (!S_ISDIR (st.st_mode))
    {
      if (unlinkat (dirfd, name, 0) < 0 && errno != ENOENT)
        return skiff_error_sys (err, "unlink `%s`", name);
      return 0;
    }
  if (remove_children (dirfd, name, err) < 0)
    return -1;
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return skiff_error_sys (err, "rmdir `%s`", name);
  return 0;
}

/* --- the paths this layer wrote (apply mode: what an opaque marker keeps) */

struct path_set
{
  char **slots;
  size_t cap, len;
};

static size_t
path_hash (const char *s)
{
  size_t h = 5381;
  for (; *s; s++)
    h = h * 33 + (unsigned char) *s;
  return h;
}

static bool
path_set_has (const struct path_set *set, const char *p)
{
  if (set->cap == 0)
    return false;
  for (size_t i = path_hash (p) & (set->cap - 1);; i = (i + 1) & (set->cap - 1))
    {
      if (set->slots[i] == NULL)
        return false;
      if (strcmp (set->slots[i], p) == 0)
        return true;
    }
}

static void
path_set_add (struct path_set *set, const char *p)
{
  if (path_set_has (set, p))
    return;
  if (2 * (set->len + 1) > set->cap)
    {
      struct path_set bigger = { .cap = set->cap ? 2 * set->cap : 256 };
      bigger.slots = xmalloc0 (bigger.cap * sizeof *bigger.slots);
      for (size_t i = 0; i < set->cap; i++)
        if (set->slots[i])
          {
            size_t j = path_hash (set->slots[i]) & (bigger.cap - 1);
            while (bigger.slots[j])
              j = (j + 1) & (bigger.cap - 1);
            bigger.slots[j] = set->slots[i];
          }
      free (set->slots);
      bigger.len = set->len;
      *set = bigger;
    }
  size_t i = path_hash (p) & (set->cap - 1);
  while (set->slots[i])
    i = (i + 1) & (set->cap - 1);
  set->slots[i] = xstrdup (p);
  set->len++;
}

static void
path_set_clear (struct path_set *set)
{
  for (size_t i = 0; i < set->cap; i++)
    free (set->slots[i]);
  free (set->slots);
  *set = (struct path_set) { 0 };
}

/* --- one layer ----------------------------------------------------------- */

struct extract
{
  enum image_layer_mode mode;
  int rootfd;
  bool root; /* may chown and mknod */
  bool chown; /* every entry owned by uid:gid (not the archive's owners) */
  uid_t uid;
  gid_t gid;
  struct path_set written;
  struct archive *uncompressed; /* the decompressed stream */
  struct archive *tar;          /* the tar read from it */
  struct image_digester *digester;
  int64_t size; /* uncompressed bytes read */
  char buf[128 * 1024];
};

/* The entry's name relative to the layer root, without "./", repeated or
   trailing slashes.  Absolute names and ".." components are refused:
   layers are relative to their root and never climb out of it.  */
static int
clean_entry_name (const char *raw, char **out, const char **why)
{
  cleanup_free char *copy = xstrdup (raw);
  char *res = xmalloc (strlen (raw) + 1), *save = NULL, *c;
  size_t n = 0;

  *res = '\0';
  if (raw[0] == '/')
    {
      *why = "absolute name";
      free (res);
      return -1;
    }
  for (c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        {
          *why = "`..` in the name";
          free (res);
          return -1;
        }
      n += (size_t) sprintf (res + n, "%s%s", n ? "/" : "", c);
    }
  *out = res;
  return 0;
}

static int
open_beneath (int dirfd, const char *name, int flags)
{
  struct open_how how = {
    .flags = (unsigned long long) (flags | O_NOFOLLOW | O_CLOEXEC),
    .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS,
  };
  return (int) syscall (SYS_openat2, dirfd, name, &how, sizeof how);
}

/* NAME's directory PREFIX (its first LEN bytes) in a user's archive
   (IMAGE_LAYER_PLAIN): the destination's symlinks are followed, with the
   destination as the root, as a build's ADD does (bin -> usr/bin).  */
static int
open_in_dest (struct extract *x, const char *name, size_t len)
{
  cleanup_free char *p = xasprintf ("%.*s", (int) len, name);
  struct open_how how = {
    .flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
  };
  return (int) syscall (SYS_openat2, x->rootfd, p, &how, sizeof how);
}

/* Opens the directory holding NAME (cleaned) and sets *BASE to its last
   component.  Missing parents are created (0755) when CREATE; a parent
   that is a symlink or not a directory is an error (except in a user's
   archive: see open_in_dest).  */
static int
open_parent (struct extract *x, const char *name, bool create, const char **base, int *out,
             skiff_error_t *err)
{
  cleanup_free char *dir = xstrdup (name);
  char *slash = strrchr (dir, '/'), *save = NULL, *c;
  cleanup_close int cur = -1;
  size_t prefix = 0;

  *base = slash ? name + (slash - dir) + 1 : name;
  cur = fcntl (x->rootfd, F_DUPFD_CLOEXEC, 3);
  if (cur < 0)
    return skiff_error_sys (err, "dup");
  if (slash == NULL)
    {
      *out = steal_fd (&cur);
      return 0;
    }
  *slash = '\0';
  for (c = strtok_r (dir, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      bool plain = x->mode == IMAGE_LAYER_PLAIN;
      int next;
      prefix += strlen (c) + (prefix ? 1 : 0);
      next = plain ? open_in_dest (x, name, prefix) : open_beneath (cur, c, O_RDONLY | O_DIRECTORY);
      if (next < 0 && errno == ENOENT && create && plain)
        {
          /* a dangling symlink's target is made too, inside the destination */
          cleanup_free char *p = xasprintf ("%.*s", (int) prefix, name);
          int made = skiff_mkdir_in_root (x->rootfd, p, 0755, err);
          if (made < 0)
            return -1;
          close (made);
          next = open_in_dest (x, name, prefix);
        }
      else if (next < 0 && errno == ENOENT && create)
        {
          if (mkdirat (cur, c, 0755) < 0 && errno != EEXIST)
            return skiff_error_sys (err, "mkdir `%.*s`", (int) prefix, name);
          next = open_beneath (cur, c, O_RDONLY | O_DIRECTORY);
        }
      /* The parents of what this layer writes hold this layer's content:
         an opaque marker above them looks inside instead of removing.  */
      if (create && x->mode == IMAGE_LAYER_APPLY)
        {
          cleanup_free char *p = xasprintf ("%.*s", (int) prefix, name);
          path_set_add (&x->written, p);
        }
      if (next < 0)
        {
          if (errno == ELOOP || errno == ENOTDIR || errno == EXDEV)
            return skiff_error_plain (err, errno, "parent `%.*s` is a symlink or not a directory", (int) prefix,
                                      name);
          return skiff_error_sys (err, "open `%.*s`", (int) prefix, name);
        }
      close (cur);
      cur = next;
    }
  *out = steal_fd (&cur);
  return 0;
}

/* Makes room for a new entry BASE in PARENTFD: an existing directory stays
   when the entry is a directory too (its metadata is updated), anything
   else goes.  */
static int
clear_place (int parentfd, const char *base, bool keep_dir, skiff_error_t *err)
{
  struct stat st;
  if (fstatat (parentfd, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : skiff_error_sys (err, "stat");
  if (keep_dir && S_ISDIR (st.st_mode))
    return 0;
  return image_remove_at (parentfd, base, err);
}

static int
set_xattrs (struct archive_entry *e, int fd, skiff_error_t *err)
{
  const char *name;
  const void *value;
  size_t size;

  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      /* Overlay's own attributes would forge whiteouts and opaque
         directories (or redirects) in the lowerdir.  */
      if (strncmp (name, "trusted.overlay.", 16) == 0 || strncmp (name, "user.overlay.", 13) == 0)
        continue;
      if (fsetxattr (fd, name, value, size, 0) < 0)
        return skiff_error_sys (err, "setxattr %s", name);
    }
  return 0;
}

static uid_t
entry_uid (const struct extract *x, struct archive_entry *e)
{
  return x->chown ? x->uid : (uid_t) archive_entry_uid (e);
}

static gid_t
entry_gid (const struct extract *x, struct archive_entry *e)
{
  return x->chown ? x->gid : (gid_t) archive_entry_gid (e);
}

/* Owner, then mode (chown clears set-id bits), xattrs and times of an
   open file or directory.  */
static int
set_metadata (struct extract *x, struct archive_entry *e, int fd, skiff_error_t *err)
{
  struct timespec times[2] = {
    { .tv_sec = archive_entry_atime (e), .tv_nsec = archive_entry_atime_nsec (e) },
    { .tv_sec = archive_entry_mtime (e), .tv_nsec = archive_entry_mtime_nsec (e) },
  };
  if (!archive_entry_atime_is_set (e))
    times[0] = times[1];
  if (x->root && fchown (fd, entry_uid (x, e), entry_gid (x, e)) < 0)
    return skiff_error_sys (err, "chown");
  if (fchmod (fd, archive_entry_perm (e)) < 0)
    return skiff_error_sys (err, "chmod");
  if (set_xattrs (e, fd, err) < 0)
    return -1;
  if (futimens (fd, times) < 0)
    return skiff_error_sys (err, "set times");
  return 0;
}

static int
write_regular (struct extract *x, struct archive_entry *e, int parentfd, const char *base, skiff_error_t *err)
{
  cleanup_close int fd = openat (parentfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  const void *block;
  size_t len;
  la_int64_t offset;
  int r;

  if (fd < 0)
    return skiff_error_sys (err, "create");
  /* Blocks come with their offsets: the holes of a sparse file stay
     holes.  */
  while ((r = archive_read_data_block (x->tar, &block, &len, &offset)) == ARCHIVE_OK)
    if (len && pwrite (fd, block, len, offset) != (ssize_t) len)
      return skiff_error_sys (err, "write");
  if (r != ARCHIVE_EOF)
    return skiff_error_plain (err, EIO, "read data: %s", archive_error_string (x->tar));
  if (ftruncate (fd, archive_entry_size (e)) < 0)
    return skiff_error_sys (err, "truncate");
  return set_metadata (x, e, fd, err);
}

static int
write_directory (struct extract *x, struct archive_entry *e, int parentfd, const char *base, skiff_error_t *err)
{
  cleanup_close int fd = -1;
  if (mkdirat (parentfd, base, 0700) < 0 && errno != EEXIST)
    return skiff_error_sys (err, "mkdir");
  fd = open_beneath (parentfd, base, O_RDONLY | O_DIRECTORY);
  if (fd < 0)
    return skiff_error_sys (err, "open");
  return set_metadata (x, e, fd, err);
}

/* Owner and times of a node that cannot be opened for writing (symlink,
   device, fifo), through the parent.  */
static int
set_node_metadata (struct extract *x, struct archive_entry *e, int parentfd, const char *base, bool symlink,
                   skiff_error_t *err)
{
  struct timespec times[2] = {
    { .tv_sec = archive_entry_mtime (e), .tv_nsec = archive_entry_mtime_nsec (e) },
    { .tv_sec = archive_entry_mtime (e), .tv_nsec = archive_entry_mtime_nsec (e) },
  };
  if (x->root && fchownat (parentfd, base, entry_uid (x, e), entry_gid (x, e), AT_SYMLINK_NOFOLLOW) < 0)
    return skiff_error_sys (err, "chown");
  if (!symlink && fchmodat (parentfd, base, archive_entry_perm (e), 0) < 0)
    return skiff_error_sys (err, "chmod");
  if (utimensat (parentfd, base, times, AT_SYMLINK_NOFOLLOW) < 0)
    return skiff_error_sys (err, "set times");
  return 0;
}

static int
write_hardlink (struct extract *x, const char *target_raw, int parentfd, const char *base, skiff_error_t *err)
{
  cleanup_free char *target = NULL;
  cleanup_close int tparent = -1;
  const char *why = NULL, *tbase;
  struct stat st;

  if (clean_entry_name (target_raw, &target, &why) < 0)
    return skiff_error_plain (err, EPERM, "hardlink to `%s`: %s", target_raw, why);
  if (*target == '\0' || open_parent (x, target, false, &tbase, &tparent, err) < 0)
    return *target ? skiff_error_wrap (err, "hardlink to `%s`", target_raw)
                   : skiff_error_plain (err, EPERM, "hardlink to the layer's root");
  if (fstatat (tparent, tbase, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return skiff_error_sys (err, "hardlink to `%s`", target_raw);
  if (S_ISDIR (st.st_mode))
    return skiff_error_plain (err, EPERM, "hardlink to the directory `%s`", target_raw);
  /* Flags 0: the target itself is linked, never what a symlink names.  */
  if (linkat (tparent, tbase, parentfd, base, 0) < 0)
    return skiff_error_sys (err, "link to `%s`", target_raw);
  return 0;
}

/* `.wh.NAME` and `.wh..wh..opq` in directory PARENTFD (entry DIR).  */
static int
apply_whiteout (struct extract *x, int parentfd, const char *dir, const char *base, skiff_error_t *err);

static int
write_entry (struct extract *x, struct archive_entry *e, const char *name, skiff_error_t *err)
{
  cleanup_close int parentfd = -1;
  const char *base, *hardlink = archive_entry_hardlink (e);
  mode_t type = archive_entry_filetype (e);
  int ret;

  if (open_parent (x, name, true, &base, &parentfd, err) < 0)
    return -1;
  if (x->mode != IMAGE_LAYER_PLAIN && strncmp (base, WHITEOUT_PREFIX, strlen (WHITEOUT_PREFIX)) == 0)
    {
      /* the directory's entry path: NAME without "/BASE" */
      cleanup_free char *dir = xasprintf ("%.*s", base == name ? 0 : (int) (base - name - 1), name);
      return apply_whiteout (x, parentfd, dir, base, err);
    }
  /* In a user's archive, a directory entry where the destination has a
     symlink to a directory (bin -> usr/bin) keeps the symlink.  */
  if (x->mode == IMAGE_LAYER_PLAIN && !hardlink && type == AE_IFDIR)
    {
      struct stat st;
      int fd = fstatat (parentfd, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK (st.st_mode)
                   ? open_in_dest (x, name, strlen (name))
                   : -1;
      if (fd >= 0)
        {
          close (fd);
          return 0;
        }
    }
  if (clear_place (parentfd, base, !hardlink && type == AE_IFDIR, err) < 0)
    return -1;
  if (x->mode == IMAGE_LAYER_APPLY)
    path_set_add (&x->written, name);

  if (hardlink)
    return write_hardlink (x, hardlink, parentfd, base, err);
  switch (type)
    {
    case AE_IFREG:
      return write_regular (x, e, parentfd, base, err);
    case AE_IFDIR:
      return write_directory (x, e, parentfd, base, err);
    case AE_IFLNK:
      if (symlinkat (archive_entry_symlink (e), parentfd, base) < 0)
        return skiff_error_sys (err, "symlink");
      return set_node_metadata (x, e, parentfd, base, true, err);
    case AE_IFCHR:
    case AE_IFBLK:
      /* Device nodes need CAP_MKNOD; without it they are left out, as
         rootless engines do.  */
      if (!x->root)
        return 0;
      ret = mknodat (parentfd, base, type | archive_entry_perm (e), archive_entry_rdev (e));
      if (ret < 0)
        return skiff_error_sys (err, "mknod");
      return set_node_metadata (x, e, parentfd, base, false, err);
    case AE_IFIFO:
      if (mkfifoat (parentfd, base, archive_entry_perm (e)) < 0)
        return skiff_error_sys (err, "mkfifo");
      return set_node_metadata (x, e, parentfd, base, false, err);
    default:
      return skiff_error_plain (err, EINVAL, "unsupported file type 0%o", (unsigned) type);
    }
}

/* Apply mode: removes what lower layers put in directory DIRFD (entry
   path PREFIX), keeping what this layer wrote (and, inside directories it
   wrote, again only what it wrote).  */
static int
empty_lower (struct extract *x, int dirfd, const char *prefix, skiff_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  int fd = fcntl (dirfd, F_DUPFD_CLOEXEC, 3);

  if (fd < 0 || lseek (fd, 0, SEEK_SET) < 0 || (d = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return skiff_error_sys (err, "read directory `%s`", *prefix ? prefix : "/");
    }
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      cleanup_free char *p = NULL;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      p = *prefix ? xasprintf ("%s/%s", prefix, de->d_name) : xstrdup (de->d_name);
      if (!path_set_has (&x->written, p))
        {
          if (image_remove_at (dirfd, de->d_name, err) < 0)
            return -1;
        }
      else if (de->d_type == DT_DIR)
        {
          cleanup_close int sub = open_beneath (dirfd, de->d_name, O_RDONLY | O_DIRECTORY);
          if (sub < 0)
            return skiff_error_sys (err, "open `%s`", p);
          if (empty_lower (x, sub, p, err) < 0)
            return -1;
        }
    }
  if (errno)
    return skiff_error_sys (err, "readdir `%s`", prefix);
  return 0;
}

static int
apply_whiteout (struct extract *x, int parentfd, const char *dir, const char *base, skiff_error_t *err)
{
  const char *victim = base + strlen (WHITEOUT_PREFIX);

  if (strcmp (base, OPAQUE_MARKER) == 0)
    {
      if (x->mode == IMAGE_LAYER_APPLY)
        return empty_lower (x, parentfd, dir, err);
      if (fsetxattr (parentfd, OVERLAY_OPAQUE_XATTR, "y", 1, 0) < 0)
        return skiff_error_sys (err, "setxattr " OVERLAY_OPAQUE_XATTR);
      return 0;
    }
  if (*victim == '\0' || strcmp (victim, ".") == 0 || strcmp (victim, "..") == 0)
    return skiff_error_plain (err, EINVAL, "whiteout of `%s`", victim);
  if (image_remove_at (parentfd, victim, err) < 0)
    return -1;
  if (x->mode == IMAGE_LAYER_OVERLAY && mknodat (parentfd, victim, S_IFCHR | 0, makedev (0, 0)) < 0)
    return skiff_error_sys (err, "mknod whiteout `%s`", victim);
  return 0;
}

/* libarchive pulls the tar from here: the decompressed stream, hashed on
   the way for the diff id.  */
static la_ssize_t
read_uncompressed (struct archive *a, void *data, const void **buf)
{
  struct extract *x = data;
  la_ssize_t n = archive_read_data (x->uncompressed, x->buf, sizeof x->buf);
  if (n < 0)
    {
      archive_set_error (a, EIO, "decompress: %s", archive_error_string (x->uncompressed));
      return -1;
    }
  image_digester_update (x->digester, x->buf, (size_t) n);
  x->size += n;
  *buf = x->buf;
  return n;
}

static void
archive_freep (struct archive **a)
{
  if (*a)
    archive_read_free (*a);
}
#define cleanup_archive __attribute__ ((cleanup (archive_freep)))

static int
extract_entries (struct extract *x, struct archive *tar, skiff_error_t *err)
{
  struct archive_entry *e;
  int r;

  while ((r = archive_read_next_header (tar, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN)
    {
      const char *raw = archive_entry_pathname (e), *why = NULL;
      cleanup_free char *name = NULL;

      if (raw == NULL)
        return skiff_error_plain (err, EINVAL, "an entry without a name");
      if (clean_entry_name (raw, &name, &why) < 0)
        return skiff_error_plain (err, EPERM, "entry `%s`: %s", raw, why);
      /* "./" itself: the root keeps the mode the store gave it.  */
      if (*name == '\0')
        continue;
      if (write_entry (x, e, name, err) < 0)
        return skiff_error_wrap (err, "entry `%s`", raw);
    }
  if (r != ARCHIVE_EOF)
    return skiff_error_plain (err, EINVAL, "read tar: %s", archive_error_string (tar));
  return 0;
}

static int
extract_layer (int blob_fd, int dirfd, enum image_layer_mode mode, const char *diff_id, bool chown, uid_t uid,
               gid_t gid, const char *name, char got[IMAGE_DIGEST_LEN], int64_t *size, skiff_error_t *err)
{
  cleanup_archive struct archive *outer = NULL;
  cleanup_archive struct archive *tar = NULL;
  cleanup_digester struct image_digester *digester = image_digester_new ();
  cleanup_free struct extract *x = xmalloc0 (sizeof *x);
  struct archive_entry *raw;
  int ret = 0;
  const char *what = mode == IMAGE_LAYER_PLAIN ? "archive" : "layer";

  x->mode = mode;
  x->rootfd = dirfd;
  x->root = geteuid () == 0;
  x->digester = digester;
  x->chown = chown;
  x->uid = uid;
  x->gid = gid;

  if (image_layer_open_uncompressed (blob_fd, &outer, err) < 0)
    return skiff_error_wrap (err, "%s %s", what, name);
  if (archive_read_next_header (outer, &raw) != ARCHIVE_OK)
    return skiff_error_plain (err, EINVAL, "%s %s: decompress: %s", what, name, archive_error_string (outer));
  x->uncompressed = outer;

  tar = archive_read_new ();
  if (tar == NULL)
    return skiff_error_plain (err, ENOMEM, "%s %s: archive_read_new: out of memory", what, name);
  archive_read_support_format_tar (tar);
  archive_read_support_format_gnutar (tar);
  x->tar = tar;
  if (archive_read_open (tar, x, NULL, read_uncompressed, NULL) != ARCHIVE_OK)
    ret = skiff_error_plain (err, EINVAL, "read tar: %s", archive_error_string (tar));
  else
    ret = extract_entries (x, tar, err);
  path_set_clear (&x->written);
  if (ret < 0)
    return skiff_error_wrap (err, "%s %s", what, name);

  /* The tar's end (zero blocks and padding) counts for the diff id too.  */
  for (;;)
    {
      la_ssize_t n = archive_read_data (outer, x->buf, sizeof x->buf);
      if (n < 0)
        return skiff_error_plain (err, EIO, "%s %s: decompress: %s", what, name, archive_error_string (outer));
      if (n == 0)
        break;
      image_digester_update (digester, x->buf, (size_t) n);
      x->size += n;
    }
  image_digester_final (digester, got);
  *size = x->size;
  if (diff_id && strcmp (got, diff_id) != 0)
    return skiff_error_plain (err, EIO, "%s %s: uncompressed content has digest %s, the config says %s", what,
                              name, got, diff_id);
  return 0;
}

int
image_layer_extract_info (int blob_fd, int dirfd, enum image_layer_mode mode, const char *diff_id,
                          const char *name, char got[IMAGE_DIGEST_LEN], int64_t *size, skiff_error_t *err)
{
  return extract_layer (blob_fd, dirfd, mode, diff_id, false, 0, 0, name, got, size, err);
}

int
image_layer_extract (int blob_fd, int dirfd, enum image_layer_mode mode, const char *diff_id, const char *name,
                     skiff_error_t *err)
{
  char got[IMAGE_DIGEST_LEN];
  int64_t size;
  return extract_layer (blob_fd, dirfd, mode, diff_id, false, 0, 0, name, got, &size, err);
}

int
image_layer_extract_as (int blob_fd, int dirfd, enum image_layer_mode mode, bool chown, uid_t uid, gid_t gid,
                        const char *name, skiff_error_t *err)
{
  char got[IMAGE_DIGEST_LEN];
  int64_t size;
  return extract_layer (blob_fd, dirfd, mode, NULL, chown, uid, gid, name, got, &size, err);
}
