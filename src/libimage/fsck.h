/* skiff-image: checking the store.  */
#ifndef IMAGE_FSCK_H
#define IMAGE_FSCK_H

#include <stddef.h>
#include <stdio.h>

#include "error.h"
#include "store.h"

/* Verifies every blob's digest, that every image's manifest, config and
   layers exist with the sizes their descriptors give, and that the layers'
   diff ids are the config's.  Each problem is one line on OUT naming the
   blob by digest; *PROBLEMS counts them.  < 0 only when the check itself
   failed (an unreadable index.json).  */
int image_store_fsck (struct image_store *s, FILE *out, size_t *problems, skiff_error_t *err);

#endif
