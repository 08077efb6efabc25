/* skiff-image: the image's layers on disk.
 *
 * Each layer is extracted once (overlay mode) into ROOT/layers/<chain id
 * hex>, as containerd keys its snapshots: images sharing a base share its
 * directories, however many containers use them.  A layer is extracted
 * into a temporary directory and renamed into place, so a directory under
 * its chain id is always complete, and two extractions at once cost time,
 * never correctness.  */
#ifndef IMAGE_LAYER_STORE_H
#define IMAGE_LAYER_STORE_H

#include <time.h>

#include "error.h"
#include "image.h"
#include "store.h"

/* Makes sure every layer of INFO is extracted; *DIRS gets their absolute
   paths, lowest first (NULL-terminated).  */
int image_layers_prepare (struct image_store *s, const struct image_info *info, char ***dirs, skiff_error_t *err);

/* Applies every layer of INFO in order into the plain directory ROOTFD
   (whiteouts remove, opaque directories empty): a rootfs to copy.  */
int image_layers_apply (struct image_store *s, const struct image_info *info, int rootfd, skiff_error_t *err);

/* Removes the layer directories no image of the index and no container
   uses (and extractions left by a killed process, older than GRACE
   seconds).  The caller holds the store's lock.  */
int image_layers_gc (struct image_store *s, time_t grace, skiff_error_t *err);

#endif
