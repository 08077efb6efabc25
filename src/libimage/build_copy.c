/* skiff-image build: COPY and ADD into a container root (see
   build_context.h).
 *
 * Every destination path is resolved from ROOTFD with RESOLVE_IN_ROOT, so
 * the image's symlinks are followed inside the root and never outside it.
 * Below a destination directory, what the walk writes is created with
 * *at() calls on the directory's fd and names of one component that the
 * copy itself made or checked (O_NOFOLLOW, O_EXCL): a symlink of the image
 * met there is replaced unless it names a directory inside the root.  */
#include <config.h>
#include "build_context_internal.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fs.h"
#include "layer.h"
#include "utils.h"

/* A destination directory being written, and its path in the root
   ("" is the root).  */
struct dest_dir
{
  int fd;
  char *path;
  bool foreign; /* a directory of the image reached through its symlink: its metadata stays */
};

/* The first copy of a file with several links: later ones link to it.  */
struct link_slot
{
  dev_t dev;
  ino_t ino;
  char *path;
};

struct copy
{
  const struct build_context *c;
  const struct build_copy_options *o;
  int rootfd;
  struct dest_dir *stack;
  size_t depth, cap;
  struct link_slot *links; /* open addressing on (dev, ino); cap a power of two */
  size_t n_links, links_cap;
  bool no_copy_range; /* copy_file_range failed between these filesystems: read and write */
  bool no_xattrs;      /* the destination has no xattrs */
  char names[XATTR_LIST_MAX];
  char value[XATTR_SIZE_MAX];
  char buf[128 * 1024];
};

/* --- paths in the root ---------------------------------------------------- */

static char *
join_path (const char *dir, const char *name)
{
  return *dir ? xasprintf ("%s/%s", dir, name) : xstrdup (name);
}

/* PATH without its last component ("" when it has one component).  */
static char *
dir_part (const char *path)
{
  const char *slash = strrchr (path, '/');
  return slash ? xasprintf ("%.*s", (int) (slash - path), path) : xstrdup ("");
}

/* The directory PATH of the root, opened O_RDONLY; created when missing
   (its missing parents root-owned 0755, PATH itself owned by the copy's
   owner, 0755).  */
static int
ensure_dir (struct copy *cp, const char *path, skiff_error_t *err)
{
  cleanup_close int parent = -1;
  cleanup_free char *parent_path = NULL;
  const char *base = strrchr (path, '/') ? strrchr (path, '/') + 1 : path;
  int fd = skiff_open_in_root (cp->rootfd, path, O_RDONLY | O_DIRECTORY, 0, NULL);

  if (fd >= 0)
    return fd;
  if (errno == ENOTDIR)
    return skiff_error_plain (err, ENOTDIR, "destination `/%s` exists and is not a directory", path);
  if (errno != ENOENT)
    return skiff_error_sys (err, "open `/%s`", path);

  parent_path = dir_part (path);
  parent = *parent_path ? skiff_mkdir_in_root (cp->rootfd, parent_path, 0755, err)
                        : skiff_open_in_root (cp->rootfd, "", O_PATH | O_DIRECTORY, 0, NULL);
  if (parent < 0)
    return *parent_path ? -1 : skiff_error_sys (err, "open the root");
  if (mkdirat (parent, base, 0755) == 0)
    {
      cleanup_close int made = openat (parent, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (made < 0)
        return skiff_error_sys (err, "open `/%s`", path);
      if (fchown (made, cp->o->uid, cp->o->gid) < 0)
        return skiff_error_sys (err, "chown `/%s`", path);
      /* the umask may have taken bits away */
      if (fchmod (made, 0755) < 0)
        return skiff_error_sys (err, "chmod `/%s`", path);
      return steal_fd (&made);
    }
  if (errno == EEXIST)
    {
      /* a dangling symlink: its target is made, inside the root */
      int made = skiff_mkdir_in_root (cp->rootfd, path, 0755, err);
      if (made < 0)
        return -1;
      close (made);
    }
  else
    return skiff_error_sys (err, "mkdir `/%s`", path);
  fd = skiff_open_in_root (cp->rootfd, path, O_RDONLY | O_DIRECTORY, 0, NULL);
  if (fd < 0)
    return skiff_error_sys (err, "open `/%s`", path);
  return fd;
}

static void
push_dir (struct copy *cp, int fd, char *path, bool foreign)
{
  if (cp->depth == cp->cap)
    {
      cp->cap = cp->cap ? 2 * cp->cap : 16;
      cp->stack = xrealloc (cp->stack, cp->cap * sizeof *cp->stack);
    }
  cp->stack[cp->depth++] = (struct dest_dir) { .fd = fd, .path = path, .foreign = foreign };
}

static void
pop_dir (struct copy *cp)
{
  struct dest_dir *d = &cp->stack[--cp->depth];
  close (d->fd);
  free (d->path);
}

/* --- hardlinks ------------------------------------------------------------ */

static size_t
link_hash (dev_t dev, ino_t ino)
{
  return (size_t) (ino * 0x9e3779b97f4a7c15ULL) ^ (size_t) dev;
}

static struct link_slot *
link_find (struct copy *cp, dev_t dev, ino_t ino)
{
  if (cp->links_cap == 0)
    return NULL;
  for (size_t i = link_hash (dev, ino) & (cp->links_cap - 1);; i = (i + 1) & (cp->links_cap - 1))
    {
      struct link_slot *s = &cp->links[i];
      if (s->path == NULL)
        return NULL;
      if (s->dev == dev && s->ino == ino)
        return s;
    }
}

static void
link_add (struct copy *cp, dev_t dev, ino_t ino, const char *path)
{
  if (2 * (cp->n_links + 1) > cp->links_cap)
    {
      size_t old_cap = cp->links_cap;
      struct link_slot *old = cp->links;
      cp->links_cap = old_cap ? 2 * old_cap : 64;
      cp->links = xmalloc0 (cp->links_cap * sizeof *cp->links);
      for (size_t i = 0; i < old_cap; i++)
        if (old[i].path)
          {
            size_t j = link_hash (old[i].dev, old[i].ino) & (cp->links_cap - 1);
            while (cp->links[j].path)
              j = (j + 1) & (cp->links_cap - 1);
            cp->links[j] = old[i];
          }
      free (old);
    }
  size_t i = link_hash (dev, ino) & (cp->links_cap - 1);
  while (cp->links[i].path)
    i = (i + 1) & (cp->links_cap - 1);
  cp->links[i] = (struct link_slot) { .dev = dev, .ino = ino, .path = xstrdup (path) };
  cp->n_links++;
}

/* Links PATH (in the root) to NAME in DIRFD.  */
static int
link_to (struct copy *cp, const char *target, int dirfd, const char *name, skiff_error_t *err)
{
  cleanup_free char *tdir = dir_part (target);
  cleanup_close int tfd = skiff_open_in_root (cp->rootfd, tdir, O_PATH | O_DIRECTORY, 0, NULL);
  if (tfd < 0)
    return skiff_error_sys (err, "open `/%s`", tdir);
  /* flags 0: the file itself, never what a symlink there names */
  if (linkat (tfd, bc_basename (target), dirfd, name, 0) < 0)
    return skiff_error_sys (err, "link to `/%s`", target);
  return 0;
}

/* --- writing -------------------------------------------------------------- */

/* Makes room for a non-directory NAME in DIRFD.  */
static int
clear_place (int dirfd, const char *name, const char *path, skiff_error_t *err)
{
  struct stat st;
  if (fstatat (dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return errno == ENOENT ? 0 : skiff_error_sys (err, "stat `/%s`", path);
  if (S_ISDIR (st.st_mode))
    return skiff_error_plain (err, EISDIR, "cannot replace the directory `/%s` with a non-directory", path);
  if (unlinkat (dirfd, name, 0) < 0 && errno != ENOENT)
    return skiff_error_sys (err, "unlink `/%s`", path);
  return 0;
}

static mode_t
mode_of (const struct copy *cp, const struct stat *st)
{
  return cp->o->chmod != (mode_t) -1 ? cp->o->chmod & 07777 : st->st_mode & 07777;
}

/* Copies the SIZE bytes the source had when it was looked at (a file that
   shrank since stops at its end): no last call to find the end.  */
static int
copy_data (struct copy *cp, int in, int out, off_t size, const char *path, skiff_error_t *err)
{
  off_t done = 0;

  while (done < size)
    {
      size_t want = (size_t) (size - done);
      ssize_t n;
      if (!cp->no_copy_range)
        {
          /* in-kernel copy (reflinks where the filesystem has them) */
          n = copy_file_range (in, NULL, out, NULL, want, 0);
          if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
            {
              /* nothing was copied by this call: read and write from the
                 current offsets on, for the following files too */
              cp->no_copy_range = true;
              continue;
            }
        }
      else
        {
          n = read (in, cp->buf, want < sizeof cp->buf ? want : sizeof cp->buf);
          if (n > 0 && write_all (out, cp->buf, (size_t) n) < 0)
            return skiff_error_sys (err, "write `/%s`", path);
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return skiff_error_sys (err, "copy to `/%s`", path);
      if (n == 0)
        break;
      done += n;
    }
  return 0;
}

/* The extended attributes of IN on OUT (file capabilities, ACLs, user
   attributes), but not the SELinux label (the root's policy labels its
   files) nor overlay's own attributes (they would forge whiteouts and
   opaque directories in a layer).  */
static int
copy_xattrs (struct copy *cp, int in, int out, const char *path, skiff_error_t *err)
{
  ssize_t len = cp->no_xattrs ? 0 : flistxattr (in, cp->names, sizeof cp->names);

  if (len < 0)
    return errno == ENOTSUP ? 0 : skiff_error_sys (err, "list the xattrs of the source of `/%s`", path);
  for (ssize_t i = 0; i < len; i += (ssize_t) strlen (cp->names + i) + 1)
    {
      const char *name = cp->names + i;
      ssize_t n;
      if (strcmp (name, "security.selinux") == 0 || strncmp (name, "trusted.overlay.", 16) == 0
          || strncmp (name, "user.overlay.", 13) == 0)
        continue;
      n = fgetxattr (in, name, cp->value, sizeof cp->value);
      if (n < 0 && errno == ENODATA)
        continue;
      if (n < 0)
        return skiff_error_sys (err, "read the xattr %s of the source of `/%s`", name, path);
      if (fsetxattr (out, name, cp->value, (size_t) n, 0) < 0)
        {
          if (errno == ENOTSUP)
            {
              cp->no_xattrs = true;
              return 0;
            }
          return skiff_error_sys (err, "set the xattr %s of `/%s`", name, path);
        }
    }
  return 0;
}

/* Writes NAME in the directory DIRFD (path DIR): the file whose source is
   open as FD (or the symlink to LINK, or the node described by ST).  */
static int
write_entry (struct copy *cp, int dirfd, const char *dir, const char *name, int fd, const char *link,
             const struct stat *st, skiff_error_t *err)
{
  cleanup_free char *path = join_path (dir, name);
  struct timespec times[2] = { st->st_atim, st->st_mtim };
  const struct build_copy_options *o = cp->o;

  if (S_ISSOCK (st->st_mode))
    return 0; /* nothing an image can use */
  if (S_ISREG (st->st_mode))
    {
      cleanup_close int out = -1;
      if (st->st_nlink > 1)
        {
          struct link_slot *s = link_find (cp, st->st_dev, st->st_ino);
          if (s)
            return clear_place (dirfd, name, path, err) < 0 ? -1 : link_to (cp, s->path, dirfd, name, err);
        }
      /* O_EXCL|O_NOFOLLOW: never through what was there; it goes first */
      out = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (out < 0 && errno == EEXIST)
        {
          if (clear_place (dirfd, name, path, err) < 0)
            return -1;
          out = openat (dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        }
      if (out < 0)
        return skiff_error_sys (err, "create `/%s`", path);
      if (copy_data (cp, fd, out, st->st_size, path, err) < 0)
        return -1;
      /* owner first: chown clears the set-id bits */
      if (fchown (out, o->uid, o->gid) < 0)
        return skiff_error_sys (err, "chown `/%s`", path);
      if (fchmod (out, mode_of (cp, st)) < 0)
        return skiff_error_sys (err, "chmod `/%s`", path);
      /* after chown, which drops security.capability */
      if (copy_xattrs (cp, fd, out, path, err) < 0)
        return -1;
      if (futimens (out, times) < 0)
        return skiff_error_sys (err, "set the times of `/%s`", path);
      if (st->st_nlink > 1)
        link_add (cp, st->st_dev, st->st_ino, path);
      return 0;
    }
  if (clear_place (dirfd, name, path, err) < 0)
    return -1;
  if (S_ISLNK (st->st_mode))
    {
      if (symlinkat (link, dirfd, name) < 0)
        return skiff_error_sys (err, "symlink `/%s`", path);
    }
  else if (mknodat (dirfd, name, (st->st_mode & S_IFMT) | 0600, st->st_rdev) < 0)
    return skiff_error_sys (err, "mknod `/%s`", path);
  if (fchownat (dirfd, name, o->uid, o->gid, AT_SYMLINK_NOFOLLOW) < 0)
    return skiff_error_sys (err, "chown `/%s`", path);
  if (!S_ISLNK (st->st_mode) && fchmodat (dirfd, name, mode_of (cp, st), 0) < 0)
    return skiff_error_sys (err, "chmod `/%s`", path);
  if (utimensat (dirfd, name, times, AT_SYMLINK_NOFOLLOW) < 0)
    return skiff_error_sys (err, "set the times of `/%s`", path);
  return 0;
}

/* --- the walk's callbacks ------------------------------------------------- */

static int
copy_enter (void *data, int srcfd, const char *name, const char *rel, const struct stat *st, skiff_error_t *err)
{
  struct copy *cp = data;
  struct dest_dir *top = &cp->stack[cp->depth - 1];
  cleanup_free char *path = join_path (top->path, name);
  cleanup_close int fd = -1;
  struct stat cur;
  bool foreign = false;

  (void) rel;
  if (mkdirat (top->fd, name, 0700) < 0)
    {
      if (errno != EEXIST)
        return skiff_error_sys (err, "mkdir `/%s`", path);
      if (fstatat (top->fd, name, &cur, AT_SYMLINK_NOFOLLOW) < 0)
        return skiff_error_sys (err, "stat `/%s`", path);
      if (S_ISLNK (cur.st_mode))
        {
          /* the image's symlink to one of its directories (lib -> usr/lib)
             is followed, inside the root */
          fd = skiff_open_in_root (cp->rootfd, path, O_RDONLY | O_DIRECTORY, 0, NULL);
          foreign = fd >= 0;
        }
      if (fd < 0 && !S_ISDIR (cur.st_mode))
        {
          if (unlinkat (top->fd, name, 0) < 0 || mkdirat (top->fd, name, 0700) < 0)
            return skiff_error_sys (err, "replace `/%s` with a directory", path);
        }
    }
  if (fd < 0)
    fd = openat (top->fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_sys (err, "open `/%s`", path);
  if (!foreign && fchown (fd, cp->o->uid, cp->o->gid) < 0)
    return skiff_error_sys (err, "chown `/%s`", path);
  if (!foreign && copy_xattrs (cp, srcfd, fd, path, err) < 0)
    return -1;
  (void) st;
  push_dir (cp, steal_fd (&fd), steal_pointer (&path), foreign);
  return 0;
}

static int
copy_leave (void *data, const char *rel, const struct stat *st, skiff_error_t *err)
{
  struct copy *cp = data;
  struct dest_dir *d = &cp->stack[cp->depth - 1];
  struct timespec times[2] = { st->st_atim, st->st_mtim };
  int ret = 0;

  (void) rel;
  /* mode and times once the children are written (they change the mtime) */
  if (!d->foreign && fchmod (d->fd, mode_of (cp, st)) < 0)
    ret = skiff_error_sys (err, "chmod `/%s`", d->path);
  else if (!d->foreign && futimens (d->fd, times) < 0)
    ret = skiff_error_sys (err, "set the times of `/%s`", d->path);
  pop_dir (cp);
  return ret;
}

static int
copy_entry (void *data, int fd, const char *link, const char *name, const char *rel, const struct stat *st,
            skiff_error_t *err)
{
  struct copy *cp = data;
  struct dest_dir *top = &cp->stack[cp->depth - 1];
  (void) rel;
  return write_entry (cp, top->fd, top->path, name, fd, link, st, err);
}

/* --- ADD's archives ------------------------------------------------------- */

/* Whether FD holds a tar archive, plain or compressed (only the
   compressions libarchive decodes itself: no external program runs).  */
static bool
is_archive (int fd)
{
  struct archive *a = archive_read_new ();
  struct archive_entry *e;
  bool yes = false;

  if (a == NULL)
    return false;
  archive_read_support_filter_gzip (a);
  archive_read_support_filter_bzip2 (a);
  archive_read_support_filter_xz (a);
  archive_read_support_filter_zstd (a);
  archive_read_support_format_tar (a);
  archive_read_support_format_gnutar (a);
  if (archive_read_open_fd (a, fd, 16 * 1024) == ARCHIVE_OK)
    {
      int r = archive_read_next_header (a, &e);
      yes = r == ARCHIVE_OK || r == ARCHIVE_WARN;
    }
  archive_read_free (a);
  lseek (fd, 0, SEEK_SET);
  return yes;
}

/* --- COPY ----------------------------------------------------------------- */

static int
copy_match (struct copy *cp, const char *match, const char *dest, bool dest_is_dir, skiff_error_t *err)
{
  struct bc_walker w = { .enter = copy_enter, .leave = copy_leave, .entry = copy_entry, .data = cp };
  struct bc_source s = { .fd = -1 };
  cleanup_close int srcfd = -1, dfd = -1;
  cleanup_free char *dpath = NULL;
  const char *name = bc_basename (match);
  char target[PATH_MAX];
  const char *link = NULL;
  int ret;

  if (bc_resolve (cp->c, match, &s, err) < 0)
    return -1;
  srcfd = s.fd;

  if (S_ISDIR (s.st.st_mode) || (cp->o->add && S_ISREG (s.st.st_mode) && is_archive (srcfd)))
    {
      dfd = ensure_dir (cp, dest, err);
      if (dfd < 0)
        return -1;
      if (!S_ISDIR (s.st.st_mode))
        return image_layer_extract_as (srcfd, dfd, IMAGE_LAYER_PLAIN, cp->o->chown, cp->o->uid, cp->o->gid,
                                       match, err);
      push_dir (cp, steal_fd (&dfd), xstrdup (dest), true);
      ret = bc_walk (cp->c, srcfd, match, &w, err);
      while (cp->depth > 0)
        pop_dir (cp);
      return ret;
    }

  if (S_ISLNK (s.st.st_mode))
    {
      ssize_t n = readlinkat (srcfd, "", target, sizeof target - 1);
      if (n < 0)
        return skiff_error_sys (err, "readlink `%s`", match);
      target[n] = '\0';
      link = target;
    }
  if (dest_is_dir)
    {
      dfd = ensure_dir (cp, dest, err);
      dpath = xstrdup (dest);
    }
  else
    {
      /* onto an existing directory: inside it */
      dfd = skiff_open_in_root (cp->rootfd, dest, O_RDONLY | O_DIRECTORY, 0, NULL);
      if (dfd >= 0)
        dpath = xstrdup (dest);
      else
        {
          dpath = dir_part (dest);
          name = bc_basename (dest);
          dfd = ensure_dir (cp, dpath, err);
        }
    }
  if (dfd < 0)
    return -1;
  return write_entry (cp, dfd, dpath, name, S_ISREG (s.st.st_mode) ? srcfd : -1, link, &s.st, err);
}

int
build_context_copy (const struct build_context *c, char *const *matches, int rootfd,
                    const struct build_copy_options *o, skiff_error_t *err)
{
  cleanup_free struct copy *cp = xmalloc0 (sizeof *cp);
  cleanup_free char *abs = NULL, *dest = NULL;
  size_t len = strlen (o->dest);
  bool dest_is_dir;
  int ret = 0;

  cp->c = c;
  cp->o = o;
  cp->rootfd = rootfd;
  abs = o->dest[0] == '/' ? xstrdup (o->dest) : xasprintf ("%s/%s", o->workdir ? o->workdir : "/", o->dest);
  /* in the root: a ".." above it stays at it, as RESOLVE_IN_ROOT would */
  dest = bc_clean_path (abs);
  dest_is_dir = strv_len (matches) > 1 || (len > 0 && o->dest[len - 1] == '/')
                || (len >= 2 && strcmp (o->dest + len - 2, "/.") == 0) || strcmp (o->dest, ".") == 0
                || *dest == '\0';
  for (size_t i = 0; matches[i] && ret == 0; i++)
    ret = copy_match (cp, matches[i], dest, dest_is_dir, err);
  while (cp->depth > 0)
    pop_dir (cp);
  free (cp->stack);
  for (size_t i = 0; i < cp->links_cap; i++)
    free (cp->links[i].path);
  free (cp->links);
  if (ret < 0)
    return skiff_error_wrap (err, "copy to %s", o->dest);
  return 0;
}
