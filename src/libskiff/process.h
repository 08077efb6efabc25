/* skiff: the container process's own settings (not security): executable
   lookup, env, cwd, umask, rlimits, oomScoreAdj, personality, scheduler,
   ioPriority, session keyring, sysctl, LISTEN_FDS, and the final execve. */
#ifndef SKIFF_PROCESS_H
#define SKIFF_PROCESS_H

#include <stdbool.h>
#include "error.h"
#include "ocispec/runtime.h"

/* Resolve process.args[0] with process.env's PATH inside the current root
   (after pivot).  Errors say "executable file not found in $PATH" or
   "no such file or directory" / "permission denied", as podman matches.  */
int skiff_process_find_executable (const oci_process *proc, char **path, skiff_error_t *err);

/* rlimits, oom_score_adj, personality, scheduler, ioPriority, umask, cwd,
   keyring (unless NO_NEW_KEYRING), linux.sysctl.  Runs in the child after
   pivot and before the security setup.  */
int skiff_process_apply (const oci_config *config, bool no_new_keyring, skiff_error_t *err);

/* Move fds 3..3+N-1 in place, set LISTEN_FDS/LISTEN_PID when N > 0, and
   mark everything above close-on-exec.  */
int skiff_process_prepare_fds (int preserve_fds, skiff_error_t *err);

/* execve PATH with process.args and process.env.  Only returns on error.  */
int skiff_process_exec (const char *path, const oci_process *proc, int preserve_fds,
                        skiff_error_t *err);

#endif
