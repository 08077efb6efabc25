/* skiff: the container process's own settings (not security): executable
   lookup, env, cwd, umask, rlimits, oomScoreAdj, personality, scheduler,
   ioPriority, session keyring, sysctl, LISTEN_FDS, and the final execve. */
#ifndef SKIFF_PROCESS_H
#define SKIFF_PROCESS_H

#include <sched.h>
#include <stdbool.h>
#include <sys/types.h>
#include "error.h"
#include "exe_guard.h"
#include "ocispec/runtime.h"

/* Resolve process.args[0] with process.env's PATH inside the current root
   (after pivot).  Errors say "executable file not found in $PATH" or
   "no such file or directory" / "permission denied", as podman matches.
   The error's status is ENOENT (callers exit 127) or EACCES (exit 126).  */
int skiff_process_find_executable (const oci_process *proc, char **path, skiff_error_t *err);

/* rlimits, personality, scheduler, ioPriority, umask, cwd, keyring
   (unless NO_NEW_KEYRING), linux.sysctl.  Runs in the child after pivot
   and before the security setup.  */
int skiff_process_apply (const oci_config *config, bool no_new_keyring, skiff_error_t *err);

/* process.oomScoreAdj of PID (0: self), when set.  Called from outside the
   container's user namespace: lowering the score needs CAP_SYS_RESOURCE in
   the initial one, and in a user namespace /proc/self/oom_score_adj is not
   even writable (EACCES).  */
int skiff_process_set_oom_score_adj (pid_t pid, const oci_process *proc, skiff_error_t *err);

/* Move fds 3..3+N-1 in place, set LISTEN_FDS/LISTEN_PID when N > 0, and
   mark everything above close-on-exec.  */
int skiff_process_prepare_fds (int preserve_fds, skiff_error_t *err);

/* execve PATH with process.args and process.env, writing ATTRS (the LSM
   exec labels, see exe_guard.h) right before.  Only returns on error.  */
int skiff_process_exec (const char *path, const oci_process *proc, int preserve_fds,
                        const struct skiff_exec_attr *attrs, skiff_error_t *err);

/* The same in two steps, for a seccomp filter loaded in between:
   skiff_process_exec_prepare does every allocation, file read and the
   exec stub's setup (REPORT_FD: see skiff_exe_guard_prepare);
   skiff_process_exec_run makes no syscall but the exec (and its fallbacks)
   and only returns on error.  */
struct skiff_exec_plan
{
  char **env;
  char **argv;
  struct skiff_exe_guard guard;
};
void skiff_process_exec_prepare (struct skiff_exec_plan *p, const char *path,
                                 const oci_process *proc, int preserve_fds,
                                 const struct skiff_exec_attr *attrs, int report_fd);
int skiff_process_exec_run (struct skiff_exec_plan *p, skiff_error_t *err);
void skiff_process_exec_release (struct skiff_exec_plan *p);

/* Checks of skiff_process_apply that need no syscalls (rlimit names and
   soft <= hard, scheduler, ioPriority, personality, sysctl keys allowed by
   the namespaces, cwd absolute): the parent may call it before the clone
   to fail early.  skiff_process_apply calls it too.  */
int skiff_process_validate (const oci_config *config, skiff_error_t *err);

/* The environment execve gets: process.env, HOME from the container's
   /etc/passwd (or "/") when missing, LISTEN_FDS/LISTEN_PID when
   PRESERVE_FDS > 0.  NULL-terminated, free with strv_free.  */
char **skiff_process_build_env (const oci_process *proc, int preserve_fds);

/* Parse a cpu list ("0-3,5") / apply it to PID (0: self), for
   process.execCPUAffinity (exec only; the spec leaves pid 1 alone).  */
int skiff_process_parse_cpus (const char *list, cpu_set_t *set, skiff_error_t *err);
int skiff_process_set_cpu_affinity (pid_t pid, const char *cpus, skiff_error_t *err);

/* Wait for PID (a child) in the foreground: forward the runtime's signals
   to it, proxy TTY_MASTER (>= 0) to our stdio.  Returns the wait status. */
int skiff_wait_foreground (pid_t pid, int pidfd, int tty_master);

#endif
