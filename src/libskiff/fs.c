/* skiff: path resolution scoped to a rootfs (see fs.h).  */
#include <config.h>
#include "fs.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/openat2.h>

/* Symlinks followed while creating directories, as the kernel's limit.  */
#define MAX_LINK_DEPTH 40

const char *
skiff_fd_path (int fd, char buf[SKIFF_FD_PATH_SIZE])
{
  snprintf (buf, SKIFF_FD_PATH_SIZE, "/proc/self/fd/%d", fd);
  return buf;
}

static int
openat2_resolve (int rootfd, const char *path, int flags, mode_t mode, unsigned long long resolve)
{
  struct open_how how = {
    .flags = (unsigned long long) (flags | O_CLOEXEC),
    .mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
    .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | resolve,
  };
  if (*path == '\0')
    path = ".";
  for (int tries = 0;; tries++)
    {
      int fd = (int) syscall (SYS_openat2, rootfd, path, &how, sizeof how);
      /* EAGAIN: a concurrent rename raced the scoped lookup; retry.  */
      if (fd < 0 && errno == EAGAIN && tries < 32)
        continue;
      return fd;
    }
}

static int
openat2_in_root (int rootfd, const char *path, int flags, mode_t mode)
{
  return openat2_resolve (rootfd, path, flags, mode, 0);
}

int
skiff_open_in_root_nosymlinks (int rootfd, const char *path, int flags, skiff_error_t *err)
{
  int fd = openat2_resolve (rootfd, path, flags, 0, RESOLVE_NO_SYMLINKS);
  if (fd < 0 && errno == ELOOP)
    return skiff_error_make (err, ELOOP, "`%s` is a symlink or goes through one", path);
  if (fd < 0)
    return skiff_error_sys (err, "open `%s`", path);
  return fd;
}

int
skiff_open_in_root (int rootfd, const char *path, int flags, mode_t mode, skiff_error_t *err)
{
  int fd = openat2_in_root (rootfd, path, flags, mode);
  if (fd < 0)
    {
      if (errno == ENOSYS)
        return skiff_error_sys (err, "openat2 `%s` (kernel >= 5.6 required)", path);
      return skiff_error_sys (err, "open `%s`", path);
    }
  return fd;
}

/* Copy PATH without repeated and trailing slashes; "" stays "".  */
static char *
clean_path (const char *path)
{
  char *out = xmalloc (strlen (path) + 1), *o = out;
  for (const char *p = path; *p; p++)
    {
      if (*p == '/' && o > out && o[-1] == '/')
        continue;
      *o++ = *p;
    }
  while (o > out + 1 && o[-1] == '/')
    o--;
  *o = '\0';
  return out;
}

static int mkdir_in_root (int rootfd, const char *path, mode_t mode, int depth,
                          skiff_error_t *err);

/* PREFIX (a path inside root whose last component is NAME, its parent open
   as PARENTFD) does not resolve: create it, or when it is a dangling
   symlink, create the symlink's target.  */
static int
create_component (int rootfd, int parentfd, const char *prefix, const char *name, mode_t mode,
                  int depth, skiff_error_t *err)
{
  if (mkdirat (parentfd, name, mode) == 0)
    return 0;
  if (errno != EEXIST)
    return skiff_error_sys (err, "mkdir `%s`", prefix);

  struct stat st;
  if (fstatat (parentfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return skiff_error_sys (err, "stat `%s`", prefix);
  if (!S_ISLNK (st.st_mode))
    return 0; /* created concurrently */
  if (depth >= MAX_LINK_DEPTH)
    return skiff_error_make (err, ELOOP, "mkdir `%s`", prefix);

  char target[PATH_MAX];
  ssize_t n = readlinkat (parentfd, name, target, sizeof target - 1);
  if (n < 0)
    return skiff_error_sys (err, "readlink `%s`", prefix);
  target[n] = '\0';

  cleanup_free char *resolved = NULL;
  if (target[0] == '/')
    resolved = xstrdup (target);
  else
    {
      /* relative to the directory holding the link */
      size_t dirlen = strlen (prefix) - strlen (name);
      resolved = xasprintf ("%.*s%s", (int) dirlen, prefix, target);
    }
  int fd = mkdir_in_root (rootfd, resolved, mode, depth + 1, err);
  if (fd < 0)
    return fd;
  close (fd);
  return 0;
}

static int
mkdir_in_root (int rootfd, const char *path, mode_t mode, int depth, skiff_error_t *err)
{
  cleanup_free char *p = clean_path (path);
  int fd = openat2_in_root (rootfd, p, O_PATH | O_DIRECTORY, 0);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return skiff_error_sys (err, "open `%s`", path);

  /* Walk prefix by prefix, each resolved from the root, so a symlink met
     on the way is followed inside the root and never outside it.  */
  cleanup_close int parentfd = openat2_in_root (rootfd, ".", O_PATH | O_DIRECTORY, 0);
  if (parentfd < 0)
    return skiff_error_sys (err, "open the rootfs");
  char *cur = p;
  while (*cur == '/')
    cur++;
  while (*cur)
    {
      char *slash = strchr (cur, '/');
      char saved = '\0';
      if (slash)
        {
          saved = *slash;
          *slash = '\0';
        }
      int next = openat2_in_root (rootfd, p, O_PATH | O_DIRECTORY, 0);
      if (next < 0 && errno == ENOENT)
        {
          if (create_component (rootfd, parentfd, p, cur, mode, depth, err) < 0)
            return -1;
          next = openat2_in_root (rootfd, p, O_PATH | O_DIRECTORY, 0);
        }
      if (next < 0)
        return skiff_error_sys (err, "open `%s`", p);
      close (parentfd);
      parentfd = next;
      if (slash == NULL)
        break;
      *slash = saved;
      cur = slash + 1;
    }
  return steal_fd (&parentfd);
}

int
skiff_mkdir_in_root (int rootfd, const char *path, mode_t mode, skiff_error_t *err)
{
  return mkdir_in_root (rootfd, path, mode, 0, err);
}

int
skiff_open_parent_in_root (int rootfd, const char *path, char **base, skiff_error_t *err)
{
  cleanup_free char *p = clean_path (path);
  char *slash = strrchr (p, '/');
  const char *name = slash ? slash + 1 : p;
  if (*name == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
    return skiff_error_make (err, EINVAL, "`%s` has no last component", path);
  int fd;
  if (slash == NULL)
    fd = openat2_in_root (rootfd, ".", O_PATH | O_DIRECTORY, 0);
  else
    {
      *slash = '\0';
      fd = mkdir_in_root (rootfd, *p ? p : "/", 0755, 0, err);
      if (fd < 0)
        return fd;
    }
  if (fd < 0)
    return skiff_error_sys (err, "open the rootfs");
  *base = xstrdup (name);
  return fd;
}

int
skiff_mkfile_in_root (int rootfd, const char *path, mode_t mode, skiff_error_t *err)
{
  int fd = openat2_in_root (rootfd, path, O_PATH, 0);
  if (fd >= 0)
    return fd;
  if (errno != ENOENT)
    return skiff_error_sys (err, "open `%s`", path);

  cleanup_free char *base = NULL;
  cleanup_close int parentfd = skiff_open_parent_in_root (rootfd, path, &base, err);
  if (parentfd < 0)
    return parentfd;
  /* O_EXCL|O_NOFOLLOW: never follow a symlink placed at the last component;
     never open (and so never trigger) an existing device or fifo.  */
  int created = openat (parentfd, base, O_CREAT | O_EXCL | O_NOFOLLOW | O_WRONLY | O_CLOEXEC, mode);
  if (created < 0 && errno != EEXIST)
    return skiff_error_sys (err, "create `%s`", path);
  if (created >= 0)
    close (created);
  fd = openat2_in_root (rootfd, path, O_PATH, 0);
  if (fd < 0)
    return skiff_error_sys (err, "open `%s`", path);
  return fd;
}

int
skiff_symlink_in_root (int rootfd, const char *target, const char *linkpath, skiff_error_t *err)
{
  cleanup_free char *base = NULL;
  cleanup_close int parentfd = skiff_open_parent_in_root (rootfd, linkpath, &base, err);
  if (parentfd < 0)
    return parentfd;
  if (symlinkat (target, parentfd, base) < 0 && errno != EEXIST)
    return skiff_error_sys (err, "symlink `%s` -> `%s`", linkpath, target);
  return 0;
}
