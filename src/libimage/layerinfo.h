/* skiff-image: a layer's diff id and uncompressed size.  */
#ifndef IMAGE_LAYERINFO_H
#define IMAGE_LAYERINFO_H

#include <stdint.h>

#include "digest.h"
#include "error.h"
#include "store.h"

struct archive;

/* The diff id and uncompressed size of the layer blob DIGEST, from the
   cache or by decompressing it (then cached).  */
int image_store_layer_info (struct image_store *s, const char *digest, char diff_id[IMAGE_DIGEST_LEN],
                            int64_t *size, skiff_error_t *err);
/* Records what a writer learnt while it verified a layer, so that nobody
   decompresses it again.  */
int image_store_record_layer (struct image_store *s, const char *digest, const char *diff_id, int64_t size,
                              skiff_error_t *err);

/* Digest and size of the decompressed content of FD (gzip, zstd, bzip2,
   xz or plain).  */
int image_layer_digest_fd (int fd, char diff_id[IMAGE_DIGEST_LEN], int64_t *size, skiff_error_t *err);
/* A libarchive reader over the decompressed bytes of FD (raw format): call
   archive_read_next_header once, then archive_read_data.  */
int image_layer_open_uncompressed (int fd, struct archive **out, skiff_error_t *err);

#endif
