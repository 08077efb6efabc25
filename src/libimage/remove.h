/* skiff-image: removing images (rmi, prune).  */
#ifndef IMAGE_REMOVE_H
#define IMAGE_REMOVE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "error.h"
#include "store.h"

struct image_removal
{
  char **untagged; /* names removed (NULL-terminated, or NULL) */
  char **deleted;  /* image ids whose last entry went */
  size_t blobs;    /* blobs removed */
  int64_t bytes;   /* and their size */
};
void image_removal_clear (struct image_removal *r);

/* rmi NAME: a name removes that name (and the image with its last name);
   an id or digest removes the image with all its names, which needs FORCE
   when it has several.  An image a container uses needs FORCE.  The blobs
   no other image uses are removed at once.  */
int image_store_rmi (struct image_store *s, const char *name, bool force, struct image_removal *out,
                     skiff_error_t *err);

/* prune: dangling manifests and intermediate images of builds that no
   tagged image was built from (ALL: every image) no container uses, their
   blobs, then every blob no image uses older than GRACE seconds.  */
int image_store_prune (struct image_store *s, bool all, time_t grace, struct image_removal *out,
                       skiff_error_t *err);

#endif
