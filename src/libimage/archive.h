/* skiff-image: image archives.  A docker-archive is a tar of
   `manifest.json` ([{Config, RepoTags, Layers}]), `repositories`, the
   config as <hex>.json and each layer as an uncompressed <diff-id-hex>.tar,
   as `docker save` writes it; an oci-archive is a tar of an OCI image
   layout.  */
#ifndef IMAGE_ARCHIVE_H
#define IMAGE_ARCHIVE_H

#include <stdbool.h>

#include "error.h"
#include "store.h"

enum image_archive_format
{
  IMAGE_ARCHIVE_DOCKER,
  IMAGE_ARCHIVE_OCI,
};

/* Writes the images to FD as one archive.  An image given by name is saved
   with that name only; one given by id or digest with all its names.  */
int image_archive_save (struct image_store *s, char *const *images, size_t n, enum image_archive_format format,
                        int fd, skiff_error_t *err);

/* Reads an archive (either format; compressed or not) from FD into the
   store: every blob verified, the layers' diff ids checked against the
   configs, and only then the names tagged.  On failure the blobs this load
   added are removed again.  *LOADED gets the names (or image ids of
   unnamed images) loaded.  */
int image_archive_load (struct image_store *s, int fd, char ***loaded, skiff_error_t *err);

#endif
