/* skiff-image: building images from a Containerfile (the executor).
 *
 * Every instruction of a stage makes an image of the store: RUN, COPY and
 * ADD add a layer (the upper directory of a working container, an
 * overlay of the current layers, as `commit` writes it), the others only
 * change the config.  These intermediate images are untagged index entries
 * annotated with the manifest they were made from (the parent) and the
 * step's cache key, so a later build with the same parent and the same key
 * reuses them instead of running the step again.
 *
 * The key is kept on the intermediate image's own index entry rather than
 * in a file of its own: it is written with the entry under the store's
 * lock, it goes when rmi or prune removes the entry (no stale key can name
 * a missing image), and other readers of the layout (skopeo, umoci) ignore
 * annotations they do not know.  */
#ifndef IMAGE_BUILD_H
#define IMAGE_BUILD_H

#include <stdbool.h>

#include "digest.h"
#include "error.h"
#include "store.h"

struct image_build_options
{
  const char *context;  /* the context directory */
  const char *file;     /* -f; NULL: CONTEXT/Containerfile, else CONTEXT/Dockerfile */
  char **tags;          /* canonical references, NULL-terminated (NULL: untagged) */
  char **build_args;    /* --build-arg K=V (K alone: this process's $K), NULL-terminated */
  bool no_cache;        /* no cache lookups (the steps' images and keys are still written) */
  bool no_layers;       /* --layers=false: no cache lookups, and the steps' images are removed at the
                           end (their layers stay in the result) */
  const char *target;   /* --target STAGE: the last stage built; NULL: the last one */
  const char *network;  /* RUN's network: "host" (NULL) or "none" */
  bool quiet;           /* -q: no step messages (RUN's output still shows) */
  const char *runtime;  /* the skiff binary */
};

/* Builds O's Containerfile; *IMAGE_ID gets the result's config digest.  A
   RUN that fails makes an error whose status (skiff_error_errno) is 0 and
   *RUN_STATUS the command's exit status (otherwise *RUN_STATUS is 0).
   Nothing stays mounted, running or in the containers list when it
   returns, whatever happened.  */
int image_build (struct image_store *s, const struct image_build_options *o, char image_id[IMAGE_DIGEST_LEN],
                 int *run_status, skiff_error_t *err);

/* For a SIGINT/SIGTERM handler (async-signal-safe): the running step's
   container is killed through the runtime and the build stops after it,
   cleaning up, with an error.  */
void image_build_cancel (void);

#endif
