/* skiff: checkpoint and restore through CRIU (the `criu` binary, driven by
   its command line).
 *
 * What the image directory holds besides CRIU's images:
 *   skiff-stdio   one line per fd 0, 1, 2 of the container's process: the
 *                 CRIU name of what it was ("pipe:[INO]", "tty[RDEV:DEV]")
 *                 or its path; restore hands pipes and the tty over to
 *                 the restored process with --inherit-fd.
 *   dump.log, restore.log   CRIU's logs (in the work directory).
 *
 * External resources are described to CRIU by name: the bind mounts of
 * config.json (key: the destination), the /dev/null binds of masked paths
 * and bind-mounted devices (key: the path in the container), namespaces
 * joined by path (keys "skiff-netns", "skiff-pidns"), the console's pty.  */
#ifndef SKIFF_CRIU_H
#define SKIFF_CRIU_H

#include <stdbool.h>

#include "context.h"
#include "error.h"

struct skiff_criu_opts
{
  const char *image_path;      /* required; created when missing */
  const char *work_path;       /* logs; NULL: image_path */
  const char *parent_path;     /* checkpoint: a pre-dump, relative to image_path */
  const char *cgroups_mode;    /* soft|full|strict|ignore; NULL: soft */
  const char *empty_ns;        /* checkpoint: "network" (the only one runc knows) */
  bool leave_running;
  bool pre_dump;
  bool tcp_established;
  bool ext_unix_sk;
  bool shell_job;
  bool file_locks;
};

/* Checkpoint the container CTX->id into O->image_path.  Without
   leave_running (or pre_dump) the container is stopped and deleted, as
   runc does.  */
int skiff_criu_checkpoint (struct skiff_context *ctx, const struct skiff_criu_opts *o,
                           skiff_error_t *err);

/* Restore a checkpoint as the new container CTX->id from the bundle
   CTX->bundle (its config.json and rootfs).  With CTX->detach returns once
   it runs (*STATUS 0); else waits for it, deletes it, and puts its exit
   status in *STATUS.  */
int skiff_criu_restore (struct skiff_context *ctx, const struct skiff_criu_opts *o, int *status,
                        skiff_error_t *err);

/* Valid --manage-cgroups-mode values.  */
bool skiff_criu_cgroups_mode_valid (const char *mode);

#endif
