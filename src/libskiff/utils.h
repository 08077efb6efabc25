/* skiff: small helpers shared by the whole runtime: cleanup attributes,
   allocation, file I/O.  */
#ifndef SKIFF_UTILS_H
#define SKIFF_UTILS_H

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/types.h>
#include <unistd.h>

#include "error.h"

/* Cleanup attributes: every resource has one owner, released on every path.
   Move ownership out of a cleanup variable with steal_pointer()/steal_fd(). */
void cleanup_freep (void *p);
void cleanup_closep (int *fd);
void cleanup_dirp (DIR **d);
void cleanup_filep (FILE **f);
void cleanup_strvp (char ***v);
#define cleanup_free __attribute__ ((cleanup (cleanup_freep)))
#define cleanup_close __attribute__ ((cleanup (cleanup_closep)))
#define cleanup_dir __attribute__ ((cleanup (cleanup_dirp)))
#define cleanup_file __attribute__ ((cleanup (cleanup_filep)))
#define cleanup_strv __attribute__ ((cleanup (cleanup_strvp)))

static inline void *
steal_pointer_ (void *pp)
{
  void **p = (void **) pp, *v = *p;
  *p = NULL;
  return v;
}
#define steal_pointer(pp) steal_pointer_ (pp)

/* Close *FD when open and mark it closed (what cleanup_close does).  */
static inline void
close_fd (int *fd)
{
  cleanup_closep (fd);
}

static inline int
steal_fd (int *fd)
{
  int v = *fd;
  *fd = -1;
  return v;
}

/* Allocation failures abort: there is no sane recovery and the message
   says what happened (no silent exit).  */
void *xmalloc (size_t n);
void *xmalloc0 (size_t n);
void *xrealloc (void *p, size_t n);
char *xstrdup (const char *s);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
void strv_free (char **v);
size_t strv_len (char *const *v);

/* Write all of BUF to FD, retrying on EINTR and short writes.  */
ssize_t write_all (int fd, const void *buf, size_t len);
/* Read up to LEN bytes, retrying on EINTR and short reads (stops at EOF).  */
ssize_t read_all (int fd, void *buf, size_t len);

/* One sendmsg of BUF over the unix socket SOCK, with FD attached
   (SCM_RIGHTS) unless FD < 0.  Retries EINTR, never raises SIGPIPE.
   Returns the bytes sent, or -1 with errno.  */
ssize_t send_with_fd (int sock, const void *buf, size_t len, int fd);
/* One recvmsg into BUF; *FD gets the first fd passed with it (close-on-
   exec; others are closed) or -1.  Returns the bytes read (0 at EOF), or
   -1 with errno.  */
ssize_t recv_with_fd (int sock, void *buf, size_t len, int *fd);

/* Read a whole file relative to DIRFD (AT_FDCWD allowed); *OUT is
   NUL-terminated; LEN may be NULL.  */
int read_file_at (int dirfd, const char *path, char **out, size_t *len, skiff_error_t *err);
/* Write DATA to an existing file (O_WRONLY|O_TRUNC), e.g. in /proc or /sys. */
int write_file_at (int dirfd, const char *path, const void *data, size_t len, skiff_error_t *err);
/* Create-or-replace NAME in DIRFD atomically: write a temporary file, then
   rename it over NAME.  No fsync: meant for state on tmpfs.  */
int write_file_atomic_at (int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                          skiff_error_t *err);
/* The same, for files on disk that must survive a crash: the data is
   fsynced before the rename, and DIRFD after it.  */
int write_file_durable_at (int dirfd, const char *name, const void *data, size_t len, mode_t mode,
                           skiff_error_t *err);

/* mkdir -p on a host path.  */
int mkdir_p (const char *path, mode_t mode, skiff_error_t *err);

/* Parse a non-negative decimal integer; returns -1 when S is not one.  */
int parse_uint64 (const char *s, unsigned long long *out);

/* Close every fd >= FIRST except those in KEEP (may be NULL, -1 terminated
   list not needed: pass n_keep).  */
int close_fds_from (int first, const int *keep, size_t n_keep, skiff_error_t *err);

/* Mark every fd >= FIRST close-on-exec (so nothing of the runtime leaks into
   the container process).  */
int cloexec_fds_from (int first, skiff_error_t *err);

/* State letter and start time (field 22) of PID from /proc/PID/stat; -1
   if it is gone.  */
int skiff_pid_stat (pid_t pid, char *state, unsigned long long *start);

#endif
