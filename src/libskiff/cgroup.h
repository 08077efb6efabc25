/* skiff: cgroups.  cgroup v2 (unified) only; on hybrid hosts the unified
   hierarchy at /sys/fs/cgroup/unified groups the container without limits
   and a requested limit is an error naming its controller.  */
#ifndef SKIFF_CGROUP_H
#define SKIFF_CGROUP_H

#include <stdbool.h>
#include <sys/types.h>
#include "context.h"
#include "error.h"
#include "ocispec/runtime.h"

struct skiff_cgroup;

/* Where the container's cgroup goes: linux.cgroupsPath (default placement
   when empty) in the cgroup v2 hierarchy, nothing created yet, so that the
   caller can record skiff_cgroup_path before skiff_cgroup_create makes it.
   *OUT is NULL with the manager disabled.  */
int skiff_cgroup_prepare (const oci_config *config, const char *id, enum skiff_cgroup_manager mgr,
                          struct skiff_cgroup **out, skiff_error_t *err);
/* Create *CG (from skiff_cgroup_prepare; NULL: nothing to do), enable
   controllers, apply linux.resources.  Rootless without the right to
   create it and without limits, *CG is freed and set to NULL.  On failure
   nothing it made is left, and an existing cgroup is left alone.  With the
   systemd manager it only checks the resources and keeps CONFIG (which
   must outlive *CG) for skiff_cgroup_enter, which starts the unit.  */
int skiff_cgroup_create (const oci_config *config, struct skiff_cgroup **cg, skiff_error_t *err);
/* Remove CG only if it is empty (no process, no sub-cgroup): for a path
   recorded before the cgroup was known to be the container's, where a
   cgroup in use is someone else's and is left alone.  */
int skiff_cgroup_remove_unused (struct skiff_cgroup *cg, skiff_error_t *err);
/* Reopen a container's cgroup from its recorded path (absolute, inside the
   v2 hierarchy).  A cgroup that no longer exists still opens: it has no
   pids, kill is a no-op and destroy succeeds.  */
int skiff_cgroup_open (const char *path, struct skiff_cgroup **out, skiff_error_t *err);
void skiff_cgroup_free (struct skiff_cgroup *cg);

const char *skiff_cgroup_path (const struct skiff_cgroup *cg);
/* The sub-cgroup of CG that `exec --cgroup` SPECS name ([CONTROLLERS:]PATH,
   PATH relative to CG): it must exist.  cgroup v2 has one hierarchy for
   all controllers, so every spec must name the same PATH.  */
int skiff_cgroup_open_sub (const struct skiff_cgroup *cg, char *const *specs,
                           struct skiff_cgroup **out, skiff_error_t *err);
/* The calling process's own cgroup ("0::" of /proc/self/cgroup) as an
   absolute path in the hierarchy skiff_cgroup_create uses.  */
char *skiff_cgroup_self_path (skiff_error_t *err);
/* O_PATH|O_DIRECTORY fd for clone3(CLONE_INTO_CGROUP).  */
int skiff_cgroup_dirfd (const struct skiff_cgroup *cg);
/* Move PID into the cgroup (fallback when CLONE_INTO_CGROUP was not used).
   With the systemd manager, the first call starts the unit with PID in it
   and applies the resources (there is no cgroup before it).  */
int skiff_cgroup_enter (struct skiff_cgroup *cg, pid_t pid, skiff_error_t *err);
/* CG (from skiff_cgroup_open) is a systemd unit: update and destroy go
   through systemd too.  */
void skiff_cgroup_use_systemd (struct skiff_cgroup *cg, bool systemd);

int skiff_cgroup_freeze (const struct skiff_cgroup *cg, bool frozen, skiff_error_t *err);
int skiff_cgroup_is_frozen (const struct skiff_cgroup *cg, bool *frozen, skiff_error_t *err);
/* Send SIG to every process of the cgroup (cgroup.kill for SIGKILL). */
int skiff_cgroup_kill (const struct skiff_cgroup *cg, int sig, skiff_error_t *err);
int skiff_cgroup_pids (const struct skiff_cgroup *cg, pid_t **pids, size_t *n, skiff_error_t *err);
/* Remove the cgroup (and sub-cgroups the container made), retrying while
   it drains, for at most ~20 s.  Does not free CG: call skiff_cgroup_free. */
int skiff_cgroup_destroy (struct skiff_cgroup *cg, skiff_error_t *err);
int skiff_cgroup_update (const struct skiff_cgroup *cg, const oci_resources *res,
                         skiff_error_t *err);
/* runc-style `events --stats` JSON: the "data" object ({cpu, memory,
   pids, blkio, hugetlb}), without the type/id wrapper.  */
int skiff_cgroup_stats_json (const struct skiff_cgroup *cg, char **json, skiff_error_t *err);

/* --- additions (cgroup engineer) -------------------------------------- */

/* What this host supports, for `features` (linux.cgroup).  */
struct skiff_cgroup_support
{
  bool v1;           /* always false: skiff implements cgroup v2 only */
  bool v2;           /* a cgroup2 hierarchy exists (also on hybrid hosts) */
  bool systemd;      /* built with the systemd driver (libsystemd) */
  bool systemd_user;
  bool rdma;         /* the rdma controller is available in the v2 hierarchy */
};
void skiff_cgroup_features (struct skiff_cgroup_support *out);

/* The cgroup path (relative to the hierarchy root, starting with '/') that
   linux.cgroupsPath resolves to: absolute paths as is, relative ones below
   skiff's own cgroup, empty -> <own cgroup>/skiff-<id>; with the systemd
   manager "slice:prefix:name" -> /a.slice/a-b.slice/prefix-name.scope.  */
int skiff_cgroup_resolve_path (const char *cgroups_path, const char *id,
                               enum skiff_cgroup_manager mgr, char **out, skiff_error_t *err);

/* cpu.shares (2..262144) -> cpu.weight (1..10000), 0 -> 0 (unset).  */
unsigned long long skiff_cgroup_shares_to_weight (unsigned long long shares);
/* blkio.weight (10..1000) -> io.weight (1..10000).  */
unsigned long long skiff_cgroup_blkio_to_io_weight (unsigned long long weight);

/* Parse a size such as "512m", "1G", "1024", "-1" (runc's update flags). */
int skiff_parse_size (const char *s, long long *out);

#endif
