/* skiff-image: a container's changes as a new image.  */
#ifndef IMAGE_CONTAINER_COMMIT_H
#define IMAGE_CONTAINER_COMMIT_H

#include <stdbool.h>

#include "containers.h"
#include "digest.h"
#include "error.h"
#include "store.h"

struct image_commit_options
{
  const char *message;  /* -m: the history entry's comment */
  char **changes;       /* -c: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL, STOPSIGNAL */
  const char *ref_name; /* canonical reference, NULL: untagged */
  bool zstd;            /* --compression zstd (default gzip) */
};

/* Writes the upper directory of C as a layer (overlay whiteouts become
   .wh.NAME, the opaque xattr .wh..wh..opq), then a config (the image's,
   with the layer's diff id, a history entry and the changes) and a
   manifest, and names it.  *IMAGE_ID gets the new config digest.  */
int image_container_commit (struct image_store *s, const struct image_container *c,
                            const struct image_commit_options *o, char image_id[IMAGE_DIGEST_LEN],
                            skiff_error_t *err);

#endif
