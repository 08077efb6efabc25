/* skiff-image: a container's changes as a new image.  */
#ifndef IMAGE_CONTAINER_COMMIT_H
#define IMAGE_CONTAINER_COMMIT_H

#include <stdbool.h>

#include "containers.h"
#include "digest.h"
#include "error.h"
#include "image.h"
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

/* The shared part of commit and build: */

/* Writes the overlay upper directory UPPER (of container C; NULL: a plain
   directory) as a compressed layer blob (gzip, or zstd with ZSTD): DIGEST,
   DIFF_ID and SIZE of the blob.  */
int image_upper_write_layer (struct image_store *s, const struct image_container *c, const char *upper, bool zstd,
                             char digest[IMAGE_DIGEST_LEN], char diff_id[IMAGE_DIGEST_LEN], int64_t *size,
                             skiff_error_t *err);

struct image_new_layer
{
  char digest[IMAGE_DIGEST_LEN];
  char diff_id[IMAGE_DIGEST_LEN];
  int64_t size;
  bool zstd;
};

/* Appends LAYER (NULL: none) to the manifest and config of INFO, and H
   (taken; its "created" set to the config's new one) to its history, then
   writes the config and the manifest blobs (untagged: the caller names
   them).  */
int image_commit_write (struct image_store *s, struct image_info *info, const struct image_new_layer *layer,
                        oci_image_history *h, char image_id[IMAGE_DIGEST_LEN], char manifest[IMAGE_DIGEST_LEN],
                        int64_t *manifest_size, skiff_error_t *err);

#endif
