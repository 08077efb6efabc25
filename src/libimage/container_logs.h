/* skiff-image logs: what a detached container wrote.  Its monitor (see
   containers.h) gives the container DIR/ctr.log as standard output and
   error; attached runs write to the caller's terminal, not there.  */
#ifndef IMAGE_CONTAINER_LOGS_H
#define IMAGE_CONTAINER_LOGS_H

#include <stdbool.h>

#include "containers.h"
#include "error.h"
#include "store.h"

/* Copies C's log to OUTFD; FOLLOW: then what it writes next, until it is
   no longer running.  */
int image_container_logs (struct image_store *s, const char *runtime, struct image_container *c, bool follow,
                          int outfd, skiff_error_t *err);

#endif
