/* skiff: the per-container state under --root.
 *
 * <root>/<id>/         directory; flock() on it serialises commands on one id
 *   state.json         the OCI state fields + a "skiff" object with the
 *                      runtime-private data (pid start time, cgroup, ...),
 *                      replaced atomically
 *   exec.fifo          present while the container is `created`
 *   config.json        copy of the config the container was created with
 */
#ifndef SKIFF_STATE_H
#define SKIFF_STATE_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"
#include "ocispec/runtime.h"

enum skiff_status
{
  SKIFF_STATUS_CREATING,
  SKIFF_STATUS_CREATED,
  SKIFF_STATUS_RUNNING,
  SKIFF_STATUS_PAUSED,
  SKIFF_STATUS_STOPPED,
};
const char *skiff_status_name (enum skiff_status s);

struct skiff_state
{
  char *id;
  char *bundle;
  char *rootfs;                    /* absolute path of the root filesystem */
  pid_t pid;                       /* container pid 1 on the host, 0 if none */
  unsigned long long start_time;   /* /proc/<pid>/stat field 22: detects pid reuse */
  char *cgroup_path;               /* absolute cgroupfs path, NULL if none */
  bool cgroup_pending;             /* cgroup_path recorded before create made
                                      it: not known to be the container's */
  int cgroup_manager;              /* enum skiff_cgroup_manager */
  char *created;                   /* RFC 3339 */
  char *owner;
  bool systemd_cgroup;
  bool has_hooks;                  /* config.json has hooks: load it for them */
  oci_string_map *annotations;     /* owned copy */
};

void skiff_state_free (struct skiff_state *s);

/* Validate a container id: [A-Za-z0-9][A-Za-z0-9_+.-]*, at most 1024
   bytes, not "." or "..".  */
int skiff_validate_id (const char *id, skiff_error_t *err);

/* Create <root>/<id> exclusively and lock it; returns the locked dir fd.
   EEXIST becomes "container `id` already exists".  */
int skiff_state_create_dir (const char *root, const char *id, skiff_error_t *err);
/* Open and lock an existing container dir; unknown id is an error naming it.  */
int skiff_state_open_dir (const char *root, const char *id, skiff_error_t *err);
/* Remove <root>/<id> and everything in it.  */
int skiff_state_remove_dir (const char *root, const char *id, skiff_error_t *err);

int skiff_state_write (int dirfd, const struct skiff_state *s, skiff_error_t *err);
int skiff_state_read (int dirfd, struct skiff_state **out, skiff_error_t *err);

/* The container's live status: stopped if the pid is gone or was reused,
   paused if its cgroup is frozen, created while exec.fifo exists.  */
int skiff_state_status (int dirfd, const struct skiff_state *s, enum skiff_status *out,
                        skiff_error_t *err);

/* The OCI state JSON for hooks, `state` and seccomp listeners.  */
char *skiff_state_oci_json (const struct skiff_state *s, enum skiff_status status);

/* Start time of PID (field 22 of /proc/PID/stat), 0 if the process is gone. */
unsigned long long skiff_pid_start_time (pid_t pid);

/* All container ids under ROOT (sorted).  */
int skiff_state_list (const char *root, char ***ids, skiff_error_t *err);

/* True when S->pid still runs (not a zombie, same start time).  */
bool skiff_state_pid_alive (const struct skiff_state *s);
/* The current time in RFC 3339 (UTC, nanoseconds).  */
char *skiff_rfc3339_now (void);
/* Write PID (decimal) to PATH atomically (temporary file + rename).  */
int skiff_write_pid_file (const char *path, pid_t pid, skiff_error_t *err);

/* Fault injection for tests/integration/crash.bats: when the environment
   variable SKIFF_TEST_CRASH_AT names STEP, the process kills itself with
   SIGKILL there, as an OOM kill or `kill -9` would.  */
void skiff_crash_point (const char *step);

#endif
