/* skiff: keep the host skiff binary out of the container's reach
   (CVE-2019-5736 class).  The container program is executed by a tiny
   static stub running from a sealed memfd, so no path through
   /proc/self/exe (a `#!/proc/self/exe` script, a symlink to it, an ELF
   interpreter pointing to it) leads to skiff's own file; and the child
   stays non-dumpable until then, so other container processes cannot open
   /proc/<child>/exe either.  */
#ifndef SKIFF_EXE_GUARD_H
#define SKIFF_EXE_GUARD_H

#include <stdbool.h>
#include "error.h"

/* A /proc attribute to write right before the program's execve: the LSM
   exec labels, which apply to the writer's next execve.  */
struct skiff_exec_attr
{
  const char *field; /* the config field it comes from, for errors */
  const char *path;
  const char *value;
};

/* The final exec of a container process, in two steps so that the
   seccomp filter can be loaded in between and the exec is all that
   follows it.  */
struct skiff_exe_guard
{
  int stub_fd;             /* the sealed stub, -1: exec PATH directly */
  int report_fd;           /* the stub's copy of REPORT_FD, -1: none */
  char **stub_argv;
  char report_arg[16];
  const char *path;
  char *const *argv;
  char *const *envp;
  const struct skiff_exec_attr *attrs;
};

/* Everything but the exec: the stub's memfd and arguments.  The stub
   writes ATTRS (an array ended by a NULL path; NULL for none) and, when
   its own execve of PATH fails, says why on stderr and on REPORT_FD too
   (-1: none), which it keeps only until then.  Never fails: without a
   stub (no memfd, a build without one) the exec is a plain execve.  */
void skiff_exe_guard_prepare (struct skiff_exe_guard *g, const char *path, char *const argv[],
                              char *const envp[], const struct skiff_exec_attr *attrs,
                              int report_fd);
/* The exec: execveat of the stub, or when that is refused (memfd exec
   forbidden by vm.memfd_noexec, execveat denied by seccomp) the ATTRS
   writes and a plain execve.  Only returns on error, with errno set;
   *FAILED is then the attribute that could not be written, or NULL when
   the execve failed.  */
int skiff_exe_guard_exec (struct skiff_exe_guard *g, const struct skiff_exec_attr **failed);
void skiff_exe_guard_release (struct skiff_exe_guard *g);

/* Call first thing in a container child (run/create and exec): marks it
   non-dumpable, so /proc/<pid>/exe, /proc/<pid>/fd, /proc/<pid>/mem are
   closed to unprivileged processes until execve resets the flag.  Not in
   a user namespace (NEW_USERNS): there the child's /proc files would belong
   to an unmapped root and its own writes to /proc/self/... would fail;
   the host binary is not writable from a user namespace anyway.  */
void skiff_exe_guard_child_start (bool new_userns);

/* Fail unless the current directory is reachable from the current root.
   Call after the chdir to process.cwd: a cwd like /proc/self/fd/N resolves
   through whatever fd N the runtime (or its caller) still has open at that
   moment, e.g. a host directory, which would leave the container process
   in the host's filesystem (CVE-2024-21626).  */
int skiff_exe_guard_check_cwd (const char *cwd, skiff_error_t *err);

#endif
