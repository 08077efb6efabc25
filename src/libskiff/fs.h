/* skiff: safe path helpers for working inside a container's rootfs.
 *
 * Every PATH is interpreted inside ROOTFD as if ROOTFD were "/": absolute
 * symlinks and ".." cannot lead out of it (openat2 RESOLVE_IN_ROOT), and
 * magic links (/proc/self/fd/N, /proc/PID/root) are refused.  The helpers
 * return O_PATH fds: mount onto them through skiff_fd_path() so that a
 * symlink swapped in after the check cannot redirect the mount.  */
#ifndef SKIFF_FS_H
#define SKIFF_FS_H

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"

/* openat2(ROOTFD, PATH, FLAGS|O_CLOEXEC, MODE) resolved inside ROOTFD.
   Returns the fd or <0.  */
int skiff_open_in_root (int rootfd, const char *path, int flags, mode_t mode, skiff_error_t *err);

/* The same, but no component of PATH may be a symlink (ELOOP).  */
int skiff_open_in_root_nosymlinks (int rootfd, const char *path, int flags, skiff_error_t *err);

/* mkdir -p PATH inside ROOTFD (a dangling symlink on the way is followed
   and its target created, inside ROOTFD).  Returns an O_PATH|O_DIRECTORY fd
   of the directory.  */
int skiff_mkdir_in_root (int rootfd, const char *path, mode_t mode, skiff_error_t *err);

/* Create PATH as an empty regular file (and its parent directories) unless
   it exists.  Returns an O_PATH fd of PATH (whatever its type).  */
int skiff_mkfile_in_root (int rootfd, const char *path, mode_t mode, skiff_error_t *err);

/* Create the parent directories of PATH and return an O_PATH fd of the
   parent; *BASE gets the last component (malloc'd).  For the *at() calls
   that must not follow the last component (mknodat, symlinkat).  */
int skiff_open_parent_in_root (int rootfd, const char *path, char **base, skiff_error_t *err);

/* symlinkat(TARGET, parent, base) inside ROOTFD; an existing LINKPATH is
   left alone.  */
int skiff_symlink_in_root (int rootfd, const char *target, const char *linkpath,
                           skiff_error_t *err);

/* "/proc/self/fd/FD": the path mount(2) accepts for an fd.  */
#define SKIFF_FD_PATH_SIZE 32
const char *skiff_fd_path (int fd, char buf[SKIFF_FD_PATH_SIZE]);

#endif
