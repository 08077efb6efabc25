/* skiff-image exec: a new process in a running container, through the
   runtime's `exec`, as podman exec does it through its runtime.  */
#ifndef IMAGE_CONTAINER_EXEC_H
#define IMAGE_CONTAINER_EXEC_H

#include <stdbool.h>

#include "containers.h"
#include "error.h"
#include "store.h"

struct image_exec_options
{
  char **argv;         /* the program and its arguments */
  char **env;          /* K=V added to the container's environment */
  const char *user;    /* USER[:GROUP], names resolved in the container */
  const char *workdir; /* NULL: the container's */
  bool tty, interactive, detach;
};

/* Runs O->argv in C, which must be running.  In the foreground *EXIT_CODE
   is the process's exit status; detached, the process's output goes to
   /dev/null and *EXIT_CODE is 0.  */
int image_container_exec (struct image_store *s, const char *runtime, struct image_container *c,
                          const struct image_exec_options *o, int *exit_code, skiff_error_t *err);

#endif
