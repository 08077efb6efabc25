/* skiff-image: containers from images.
 *
 * A container is a directory ROOT/containers/ID: container.json (its
 * record: name, image, command, times, the layer directories it stacks,
 * the last exit code), the bundle's config.json, and upper/, work/ and
 * merged/ of its overlay.  The image's layers (ROOT/layers, by chain id)
 * are the lowerdirs, shared by every container of every image that has
 * them.  merged/ is mounted when the container is created or started and
 * unmounted when it stops or is removed.
 *
 * The `skiff` runtime runs it, with its state under ROOT/runtime and the
 * command line podman would use, so the runtime stays the one thing that
 * creates namespaces and cgroups.
 *
 * A detached container's process outlives every skiff-image command and
 * the runtime (which exits once it has started it), and the runtime keeps
 * no exit status.  So a detached start double-forks a monitor, as podman
 * has conmon: a child subreaper that runs `RUNTIME run --detach`, inherits
 * the container's process when the runtime exits, waits for it, writes
 * "CODE TIME" to DIR/exit, deletes the runtime's state, unmounts merged/
 * and exits.  It holds an exclusive flock on DIR/monitor.lock while it
 * lives.  The next command that finds the container stopped (ps, start,
 * stop, rm...) waits for that lock and copies the status into the
 * record.  A container created with --rm ("autoremove" in its record) is
 * removed by its monitor, still under the lock, so a command that waits
 * for the lock finds either a running container or none; attached, by
 * the start that waited for it.
 *
 * A build's working containers name their builder (its pid and that
 * process's start time, so a reused pid is not mistaken for it).  When
 * the builder is gone (killed by SIGKILL) they are orphans: the next build
 * and `container prune` remove them, and the plain directories of dead
 * builds (ROOT/layers/tmp-build-PID-START-XXXXXX, for images without
 * layers) with them.  A live build's are never touched.  */
#ifndef IMAGE_CONTAINERS_H
#define IMAGE_CONTAINERS_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "runconfig.h"
#include "store.h"

struct image_container
{
  char *id; /* 32 hex digits; the runtime's container id too */
  char *name;
  char *image_id;   /* config digest */
  char *image_name; /* as the user named it */
  char **command;   /* the process's args */
  char **lowers;    /* layer directories, lowest first */
  char **mount_points; /* relative paths the runtime creates to mount on
                          (the image lacks them), shortest first */
  char *stop_signal;
  int64_t created, started, finished;
  int exit_code; /* of the last run; -1: unknown */
  bool autoremove;              /* --rm: removed when its process exits */
  int builder_pid;              /* a build's working container: the builder; 0 otherwise */
  unsigned long long builder_start; /* and its start time (/proc/PID/stat) */
  char *dir;     /* ROOT/containers/ID */
};

void image_container_free (struct image_container *c);
#define cleanup_container __attribute__ ((cleanup (image_container_freep)))
void image_container_freep (struct image_container **c);
void image_container_list_free (struct image_container **v);

/* Creates the container NAME (NULL: a generated one) of IMAGE with the
   options O; its rootfs is mounted.  Nothing stays when it fails.  */
int image_container_create (struct image_store *s, const char *runtime, const char *image, const char *name,
                            const struct image_run_options *o, struct image_container **out, skiff_error_t *err);

/* By name, full id or unique id prefix.  */
int image_container_find (struct image_store *s, const char *name, struct image_container **out, skiff_error_t *err);
/* Every container, NULL-terminated, oldest first.  */
int image_container_list (struct image_store *s, struct image_container ***out, skiff_error_t *err);
/* Names of the containers of the image IMAGE_ID (NULL-terminated).  */
int image_containers_using (struct image_store *s, const char *image_id, char ***names, skiff_error_t *err);

enum image_container_state
{
  IMAGE_CONTAINER_CREATED, /* never started */
  IMAGE_CONTAINER_RUNNING,
  IMAGE_CONTAINER_EXITED,
  IMAGE_CONTAINER_REMOVED, /* removed meanwhile (--rm, or a concurrent rm) */
};
/* The runtime's view of C; for an exited one, the exit status its monitor
   recorded is copied into C and its record.  */
int image_container_state (struct image_store *s, const char *runtime, struct image_container *c,
                           enum image_container_state *state, skiff_error_t *err);

/* Starts C.  ATTACH: in the foreground with this process's stdout and
   stderr (and stdin when INTERACTIVE), waits, sets *EXIT_CODE and
   unmounts (removes C when it is autoremove); otherwise detached, its
   output in DIR/ctr.log.  */
int image_container_start (struct image_store *s, const char *runtime, struct image_container *c, bool attach,
                           bool interactive, int *exit_code, skiff_error_t *err);
/* `RUNTIME kill ID SIGNAL` on a running container.  */
int image_container_kill (struct image_store *s, const char *runtime, struct image_container *c,
                          const char *signal, skiff_error_t *err);
/* The stop signal (the image's StopSignal, else SIGTERM), SIGKILL after
   TIMEOUT seconds, then the runtime's state and the mount go.  */
int image_container_stop (struct image_store *s, const char *runtime, struct image_container *c, int timeout,
                          skiff_error_t *err);
/* Freezes C's processes (`RUNTIME pause`) when it runs; *PAUSED says
   whether it did (a container paused already is left as it is).  */
int image_container_pause (struct image_store *s, const char *runtime, struct image_container *c, bool *paused,
                           skiff_error_t *err);
/* `RUNTIME resume`: thaws what image_container_pause froze.  */
int image_container_resume (struct image_store *s, const char *runtime, struct image_container *c,
                            skiff_error_t *err);
/* Removes C; a running container only with FORCE (killed first).  A
   container removed meanwhile (--rm) is no error.  */
int image_container_remove (struct image_store *s, const char *runtime, struct image_container *c, bool force,
                            skiff_error_t *err);

/* Whether C is a build's working container whose builder is gone.  */
bool image_container_orphaned (const struct image_container *c);
/* Removes the orphaned build containers (running ones killed) and the
   plain directories of dead builds; *IDS (when not NULL) gets the removed
   containers' ids, NULL-terminated.  */
int image_build_orphans_remove (struct image_store *s, const char *runtime, char ***ids, skiff_error_t *err);
/* The mkdtemp template of a plain directory for a build by this process:
   ROOT/layers/tmp-build-PID-START-XXXXXX.  */
char *image_build_tmp_template (struct image_store *s);
/* Whether NAME, an entry of ROOT/layers, is a build's plain directory
   whose builder still runs.  */
bool image_build_tmp_live (const char *name);

/* The runtime's --root: ROOT/runtime.  */
char *image_runtime_root (struct image_store *s);

/* Whether REL (relative to the root, no leading slash) in C's upper
   directory UPPER is only what the runtime made to mount on: one of
   C->mount_points, there as an empty file or as a directory that holds
   nothing else.  diff and commit skip it, as podman does, so that an image
   without /proc does not get one from its container.  */
bool image_container_runtime_made (const struct image_container *c, const char *upper, const char *rel);

/* Bytes in C's upper directory (what it wrote).  */
int64_t image_container_upper_size (const struct image_container *c);

#endif
