/* skiff-image: image references, `[registry[:port]/]repo[:tag][@digest]`.
   A short name is normalised as docker does: "busybox" is
   docker.io/library/busybox:latest.  */
#ifndef IMAGE_REF_H
#define IMAGE_REF_H

#include "error.h"

struct image_ref
{
  char *registry;   /* "docker.io", "localhost:5000" */
  char *repository; /* "library/busybox" */
  char *tag;        /* NULL when only a digest was given */
  char *digest;     /* NULL unless "@sha256:..." was given */
};

/* Parses and normalises S (docker.io/library, tag "latest" when neither a
   tag nor a digest is given).  Fills *OUT (cleared first) or returns < 0
   with an error naming S.  */
int image_ref_parse (const char *s, struct image_ref *out, skiff_error_t *err);
/* Canonical "registry/repo:tag", or "registry/repo@digest" when a digest
   was given (the tag is then left out).  Caller frees.  */
char *image_ref_string (const struct image_ref *r);
void image_ref_clear (struct image_ref *r);
#define cleanup_ref __attribute__ ((cleanup (image_ref_clear)))

#endif
