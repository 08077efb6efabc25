/* skiff: the security seam: capabilities, uid/gid switch, no_new_privs,
   seccomp, SELinux/AppArmor exec labels.  Prepared once before the clone
   (parsing, seccomp compilation), applied in the child as late as possible
   before the user process's execve.  */
#ifndef SKIFF_SECURITY_H
#define SKIFF_SECURITY_H

#include <stdbool.h>
#include "error.h"
#include "exe_guard.h"
#include "ocispec/runtime.h"

struct skiff_security;

/* Parse capability names (unknown name: error naming it), compile the
   seccomp filter.  STATE_DIR may cache compiled filters.  */
int skiff_security_prepare (const oci_config *config, const oci_process *proc,
                            struct skiff_security **out, skiff_error_t *err);
void skiff_security_free (struct skiff_security *s);

/* Child, last before the exec: setgroups/setgid/setuid keeping caps, drop
   to the configured sets, no_new_privs, load seccomp.  On success with a seccomp
   notify action, *NOTIFY_FD gets the listener fd (else -1) for the caller
   to hand to listenerPath.  */
int skiff_security_apply (struct skiff_security *s, const oci_process *proc, int *notify_fd,
                          skiff_error_t *err);

/* The seccomp filter has SCMP_ACT_NOTIFY rules: its listener fd has to
   reach linux.seccomp.listenerPath through the parent.  */
bool skiff_security_seccomp_notify (const struct skiff_security *s);

/* Child, right before the program's execve: the LSM exec label writes
   for the exec stub (an array ended by a NULL path; owned by S).  */
const struct skiff_exec_attr *skiff_security_exec_attrs (struct skiff_security *s);

/* Child, before the session keyring is joined: keys it creates carry the
   process's SELinux label (nothing to do without one).  */
int skiff_security_label_keyring (const struct skiff_security *s, skiff_error_t *err);

/* Parent: send the seccomp notify fd and the state to linux.seccomp.listenerPath. */
int skiff_seccomp_send_listener (const oci_seccomp *seccomp, int notify_fd, const char *state_json,
                                 skiff_error_t *err);

/* Give the file behind FD the SELinux label LABEL.  */
int skiff_security_label_file (int fd, const char *label, skiff_error_t *err);

/* Mount label for mounts with linux.mountLabel (NULL when SELinux is off). */
const char *skiff_security_mount_label (const oci_config *config);

#endif
