#include <config.h>
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <linux/close_range.h>

void
cleanup_freep (void *p)
{
  void **pp = (void **) p;
  free (*pp);
  *pp = NULL;
}

void
cleanup_closep (int *fd)
{
  if (*fd >= 0)
    {
      int saved = errno;
      close (*fd);
      errno = saved;
    }
  *fd = -1;
}

void
cleanup_dirp (DIR **d)
{
  if (*d)
    closedir (*d);
  *d = NULL;
}

void
cleanup_filep (FILE **f)
{
  if (*f)
    fclose (*f);
  *f = NULL;
}

void
strv_free (char **v)
{
  if (v == NULL)
    return;
  for (char **p = v; *p; p++)
    free (*p);
  free (v);
}

void
cleanup_strvp (char ***v)
{
  strv_free (*v);
  *v = NULL;
}

size_t
strv_len (char *const *v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

static void __attribute__ ((noreturn))
oom (void)
{
  static const char msg[] = "skiff: out of memory\n";
  if (write (2, msg, sizeof msg - 1) < 0)
    (void) 0;
  abort ();
}

void *
xmalloc (size_t n)
{
  void *p = malloc (n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xmalloc0 (size_t n)
{
  void *p = calloc (1, n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  p = realloc (p, n ? n : 1);
  if (p == NULL)
    oom ();
  return p;
}

char *
xstrdup (const char *s)
{
  char *r;
  if (s == NULL)
    return NULL;
  r = strdup (s);
  if (r == NULL)
    oom ();
  return r;
}

char *
xasprintf (const char *fmt, ...)
{
  va_list ap;
  char *s;
  int r;
  va_start (ap, fmt);
  r = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (r < 0)
    oom ();
  return s;
}

ssize_t
write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  size_t done = 0;
  while (done < len)
    {
      ssize_t r = write (fd, p + done, len - done);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      done += r;
    }
  return done;
}

ssize_t
read_all (int fd, void *buf, size_t len)
{
  char *p = buf;
  size_t done = 0;
  while (done < len)
    {
      ssize_t r = read (fd, p + done, len - done);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return -1;
      if (r == 0)
        break;
      done += r;
    }
  return done;
}

int
read_file_at (int dirfd, const char *path, char **out, size_t *len, skiff_error_t *err)
{
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  size_t used = 0, alloc = 4096;

  fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_sys (err, "open `%s`", path);

  buf = xmalloc (alloc);
  for (;;)
    {
      ssize_t r;
      if (used + 1 >= alloc)
        {
          alloc *= 2;
          buf = xrealloc (buf, alloc);
        }
      r = read (fd, buf + used, alloc - used - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        return skiff_error_sys (err, "read `%s`", path);
      if (r == 0)
        break;
      used += r;
    }
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = steal_pointer (&buf);
  return 0;
}

int
write_file_at (int dirfd, const char *path, const void *data, size_t len, skiff_error_t *err)
{
  cleanup_close int fd = openat (dirfd, path, O_WRONLY | O_TRUNC | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_sys (err, "open `%s`", path);
  if (write_all (fd, data, len) < 0)
    return skiff_error_sys (err, "write `%s`", path);
  return 0;
}

static int
replace_file_at (int dirfd, const char *name, const void *data, size_t len, mode_t mode, bool durable,
                 skiff_error_t *err)
{
  cleanup_free char *tmp = xasprintf (".%s.tmp", name);
  cleanup_close int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0)
    return skiff_error_sys (err, "create `%s`", tmp);
  if (write_all (fd, data, len) < 0 || (durable && fsync (fd) < 0))
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return skiff_error_make (err, saved, "write `%s`", tmp);
    }
  if (renameat (dirfd, tmp, dirfd, name) < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      return skiff_error_make (err, saved, "rename `%s` to `%s`", tmp, name);
    }
  if (durable && fsync (dirfd) < 0)
    return skiff_error_sys (err, "fsync the directory of `%s`", name);
  return 0;
}

int
write_file_atomic_at (int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                      skiff_error_t *err)
{
  return replace_file_at (dirfd, name, data, len, mode, false, err);
}

int
write_file_durable_at (int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                       skiff_error_t *err)
{
  return replace_file_at (dirfd, name, data, len, mode, true, err);
}

int
mkdir_p (const char *path, mode_t mode, skiff_error_t *err)
{
  if (*path == '\0')
    return skiff_error_make (err, ENOENT, "mkdir: empty path");
  cleanup_free char *p = xstrdup (path);
  for (char *s = p + 1; *s; s++)
    {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir (p, mode) < 0 && errno != EEXIST)
        return skiff_error_sys (err, "mkdir `%s`", p);
      *s = '/';
    }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return skiff_error_sys (err, "mkdir `%s`", p);
  return 0;
}

int
parse_uint64 (const char *s, unsigned long long *out)
{
  char *end;
  if (s == NULL || *s < '0' || *s > '9')
    return -1;
  errno = 0;
  *out = strtoull (s, &end, 10);
  if (errno || *end)
    return -1;
  return 0;
}

int
close_fds_from (int first, const int *keep, size_t n_keep, skiff_error_t *err)
{
  int lo = first;
  /* Close the ranges between the kept fds (sorted small lists only).  */
  for (;;)
    {
      int next = -1;
      for (size_t i = 0; i < n_keep; i++)
        if (keep[i] >= lo && (next < 0 || keep[i] < next))
          next = keep[i];
      if (next < 0)
        break;
      if (next > lo && syscall (SYS_close_range, lo, next - 1, 0) < 0)
        return skiff_error_sys (err, "close_range %d-%d", lo, next - 1);
      lo = next + 1;
    }
  if (syscall (SYS_close_range, lo, ~0U, 0) < 0)
    return skiff_error_sys (err, "close_range %d-", lo);
  return 0;
}

static int
set_cloexec (int fd)
{
  int flags = fcntl (fd, F_GETFD);
  if (flags < 0)
    return errno == EBADF ? 0 : -1;
  return (flags & FD_CLOEXEC) || fcntl (fd, F_SETFD, flags | FD_CLOEXEC) == 0 ? 0 : -1;
}

int
cloexec_fds_from (int first, skiff_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  struct rlimit lim;

  if (syscall (SYS_close_range, first, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
    return 0;
  /* Kernels before 5.11 (EINVAL, ENOSYS) and seccomp profiles older than
     close_range (EPERM, ENOSYS): one fd at a time.  */
  if (errno != ENOSYS && errno != EPERM && errno != EINVAL)
    return skiff_error_sys (err, "close_range(CLOEXEC) %d-", first);
  d = opendir ("/proc/self/fd");
  if (d)
    {
      while ((de = readdir (d)) != NULL)
        {
          unsigned long long fd;
          if (parse_uint64 (de->d_name, &fd) < 0 || fd < (unsigned) first || (int) fd == dirfd (d))
            continue;
          if (set_cloexec ((int) fd) < 0)
            return skiff_error_sys (err, "fcntl(FD_CLOEXEC) fd %llu", fd);
        }
      return 0;
    }
  /* No /proc in the container: every fd below the limit.  */
  if (getrlimit (RLIMIT_NOFILE, &lim) < 0 || lim.rlim_cur == RLIM_INFINITY || lim.rlim_cur > (1 << 20))
    lim.rlim_cur = 1 << 20;
  for (int fd = first; fd < (int) lim.rlim_cur; fd++)
    if (set_cloexec (fd) < 0)
      return skiff_error_sys (err, "fcntl(FD_CLOEXEC) fd %d", fd);
  return 0;
}

ssize_t
send_with_fd (int sock, const void *buf, size_t len, int fd)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
  ssize_t n;

  if (fd >= 0)
    {
      struct cmsghdr *c;
      memset (&u, 0, sizeof u);
      mh.msg_control = u.buf;
      mh.msg_controllen = sizeof u.buf;
      c = CMSG_FIRSTHDR (&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof (int));
    }
  do
    n = sendmsg (sock, &mh, MSG_NOSIGNAL);
  while (n < 0 && errno == EINTR);
  return n;
}

ssize_t
recv_with_fd (int sock, void *buf, size_t len, int *fd)
{
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct iovec iov = { .iov_base = buf, .iov_len = len };
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf,
                       .msg_controllen = sizeof u.buf };
  ssize_t n;

  *fd = -1;
  do
    n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return n;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      for (size_t i = 0; i < (c->cmsg_len - CMSG_LEN (0)) / sizeof (int); i++)
        {
          int got;
          memcpy (&got, CMSG_DATA (c) + i * sizeof (int), sizeof got);
          if (*fd < 0)
            *fd = got;
          else
            close (got);
        }
  return n;
}

int
skiff_pid_stat (pid_t pid, char *state, unsigned long long *start)
{
  char path[64], buf[1024];
  cleanup_close int fd = -1;
  ssize_t n;
  char *p;
  int field;

  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  n = read_all (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* comm may contain spaces and parens: fields restart after the last ')'. */
  p = strrchr (buf, ')');
  if (p == NULL || p[1] != ' ')
    return -1;
  p += 2;
  *state = *p;
  /* p is at field 3; start time is field 22.  */
  for (field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL)
    return -1;
  *start = strtoull (p, NULL, 10);
  return 0;
}
