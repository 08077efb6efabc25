/* skiff: namespaces: clone flags, joining by path, id mappings, clone3. */
#ifndef SKIFF_NAMESPACES_H
#define SKIFF_NAMESPACES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec/runtime.h"

enum skiff_ns_kind
{
  SKIFF_NS_USER, SKIFF_NS_MOUNT, SKIFF_NS_PID, SKIFF_NS_NET, SKIFF_NS_IPC,
  SKIFF_NS_UTS, SKIFF_NS_CGROUP, SKIFF_NS_TIME, SKIFF_NS_COUNT
};

/* What linux.namespaces asks for.  */
struct skiff_ns_plan
{
  uint64_t clone_flags;          /* namespaces created fresh by clone3 */
  uint64_t unshare_flags;        /* created by the child with unshare(), after
                                    its setns joins (so they are owned by the
                                    right user namespace) */
  int join_fd[SKIFF_NS_COUNT];   /* fds of namespaces to join (setns), -1 if none */
  bool user_ns;                  /* the container gets a user namespace (new or joined) */
  bool fork_pid1;                /* the child unshares the new pid namespace after its
                                    user namespace, so it must fork the pid 1 */
  int own_pid_fd;                /* our pid namespace while we joined another, else -1 */
};

int skiff_ns_plan_init (const oci_linux *linux, struct skiff_ns_plan *plan, skiff_error_t *err);
void skiff_ns_plan_close (struct skiff_ns_plan *plan);

/* Parent side, before the clone: join the namespaces that only take effect
   for children (pid, time).  A NEW time namespace is also made by the
   parent (unshare + skiff_ns_write_time_offsets on itself, see
   container.c): a clone into a new time namespace would freeze its
   offsets before they could be written.  */
int skiff_ns_join_parent (struct skiff_ns_plan *plan, skiff_error_t *err);
/* Parent side, after the clone: go back to our own pid namespace for
   later children (a sanitizer's helper, hooks), undoing skiff_ns_join_parent. */
void skiff_ns_restore_parent (struct skiff_ns_plan *plan);
/* Child side: join every other namespace with a path, user first.  */
int skiff_ns_join_child (struct skiff_ns_plan *plan, skiff_error_t *err);

/* Parent side: write uid_map/gid_map (and setgroups) of PID.  */
int skiff_ns_write_id_maps (pid_t pid, const oci_linux *linux, skiff_error_t *err);
/* Parent side: write timens offsets of PID (before its first exec). */
int skiff_ns_write_time_offsets (pid_t pid, const oci_linux *linux, skiff_error_t *err);

/* A short-lived helper process that unshares FLAGS and waits, so the
   parent can configure or open the namespaces it made (H->proc is
   "/proc/PID" as the mounted /proc numbers it).  End it with
   skiff_ns_helper_end once done.  */
struct skiff_ns_helper
{
  pid_t pid;
  int hold;      /* closing it lets the helper exit */
  char proc[48];
};
int skiff_ns_helper_start (int flags, struct skiff_ns_helper *h, skiff_error_t *err);
void skiff_ns_helper_end (struct skiff_ns_helper *h);

/* clone3 with FLAGS (namespaces and CLONE_PIDFD etc.), into CGROUP_FD when
   >= 0 (CLONE_INTO_CGROUP; falls back to plain clone if clone3 is not
   available, and the caller then places the pid itself).  Returns the pid
   in the parent, 0 in the child; *PIDFD gets a pidfd when non-NULL.  */
pid_t skiff_clone (uint64_t flags, int cgroup_fd, int *pidfd, bool *placed_in_cgroup,
                   skiff_error_t *err);

/* linux.namespaces makes the container a new mount namespace (an entry
   of type mount without a path).  Otherwise its root is only a chroot.  */
bool skiff_ns_own_mount (const oci_linux *linux);

/* hostname and domainname (child, in the new uts namespace).  */
int skiff_ns_set_hostname (const oci_config *config, skiff_error_t *err);

#endif
