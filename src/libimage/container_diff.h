/* skiff-image: what a container changed, read from its upper directory:
   overlay whiteouts (0/0 character devices) are deletions, entries the
   image has are changes, others additions.  */
#ifndef IMAGE_CONTAINER_DIFF_H
#define IMAGE_CONTAINER_DIFF_H

#include "containers.h"
#include "error.h"

struct image_change
{
  char kind; /* 'A', 'C' or 'D', as docker diff prints them */
  char *path; /* absolute, in the container */
};

/* The changes of C sorted by path; *N gets their number.  */
int image_container_changes (const struct image_container *c, struct image_change **out, size_t *n,
                             skiff_error_t *err);
void image_changes_free (struct image_change *v, size_t n);

#endif
