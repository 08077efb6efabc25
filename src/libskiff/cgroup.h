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

/* Create the container's cgroup from linux.cgroupsPath (default placement
   when empty), enable controllers, apply linux.resources.  *OUT is NULL
   with the manager disabled.  */
int skiff_cgroup_create (const oci_config *config, const char *id, enum skiff_cgroup_manager mgr,
                         struct skiff_cgroup **out, skiff_error_t *err);
/* Reopen a container's cgroup from its recorded path.  */
int skiff_cgroup_open (const char *path, struct skiff_cgroup **out, skiff_error_t *err);
void skiff_cgroup_free (struct skiff_cgroup *cg);

const char *skiff_cgroup_path (const struct skiff_cgroup *cg);
/* O_PATH|O_DIRECTORY fd for clone3(CLONE_INTO_CGROUP).  */
int skiff_cgroup_dirfd (const struct skiff_cgroup *cg);
/* Move PID into the cgroup (fallback when CLONE_INTO_CGROUP was not used). */
int skiff_cgroup_enter (const struct skiff_cgroup *cg, pid_t pid, skiff_error_t *err);

int skiff_cgroup_freeze (const struct skiff_cgroup *cg, bool frozen, skiff_error_t *err);
int skiff_cgroup_is_frozen (const struct skiff_cgroup *cg, bool *frozen, skiff_error_t *err);
/* Send SIG to every process of the cgroup (cgroup.kill for SIGKILL). */
int skiff_cgroup_kill (const struct skiff_cgroup *cg, int sig, skiff_error_t *err);
int skiff_cgroup_pids (const struct skiff_cgroup *cg, pid_t **pids, size_t *n, skiff_error_t *err);
/* Remove the cgroup, retrying while it drains.  */
int skiff_cgroup_destroy (struct skiff_cgroup *cg, skiff_error_t *err);
int skiff_cgroup_update (const struct skiff_cgroup *cg, const oci_resources *res,
                         skiff_error_t *err);
/* runc-style `events --stats` JSON.  */
int skiff_cgroup_stats_json (const struct skiff_cgroup *cg, char **json, skiff_error_t *err);

#endif
