/* skiff-image: a container's root filesystem as an overlay mount.  */
#ifndef IMAGE_OVERLAY_H
#define IMAGE_OVERLAY_H

#include <stdbool.h>

#include "error.h"

/* Mounts an overlay of LOWERS (lowest first) with UPPER and WORK on
   TARGET.  The lower directories are passed one by one (the new mount
   API's "lowerdir+", Linux >= 6.8), so deep images never meet the one-page
   limit of mount(2)'s data; older kernels get mount(2), which suffices
   for images whose lowerdir list fits in a page.  */
int image_overlay_mount (char *const *lowers, const char *upper, const char *work, const char *target,
                         skiff_error_t *err);

/* Whether TARGET is a mount point (of anything).  */
bool image_is_mountpoint (const char *target);

/* Unmounts TARGET when it is mounted.  */
int image_overlay_unmount (const char *target, skiff_error_t *err);

#endif
