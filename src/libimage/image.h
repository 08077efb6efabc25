/* skiff-image: images of the store as the commands see them (manifest,
   config, sizes), garbage collection of blobs, and the containers that
   use an image.  */
#ifndef IMAGE_IMAGE_H
#define IMAGE_IMAGE_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "error.h"
#include "ocispec/image.h"
#include "store.h"

#define IMAGE_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define IMAGE_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define IMAGE_MT_OCI_CONFIG "application/vnd.oci.image.config.v1+json"
#define IMAGE_MT_OCI_LAYER "application/vnd.oci.image.layer.v1.tar"
#define IMAGE_MT_OCI_LAYER_GZIP "application/vnd.oci.image.layer.v1.tar+gzip"
#define IMAGE_MT_OCI_LAYER_ZSTD "application/vnd.oci.image.layer.v1.tar+zstd"
#define IMAGE_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define IMAGE_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

/* An index or a Docker manifest list (not an image by itself).  */
bool image_media_type_is_index (const char *media_type);

struct image_info
{
  struct image_desc desc;
  oci_image_manifest *manifest;
  char *config_json; /* the config blob, NUL-terminated */
  size_t config_len;
  oci_image_config *config;
};

/* Reads and parses the manifest and config of D (copied into OUT).  */
int image_info_load (struct image_store *s, const struct image_desc *d, struct image_info *out, skiff_error_t *err);
void image_info_clear (struct image_info *info);
#define cleanup_image_info __attribute__ ((cleanup (image_info_clear)))

/* The image's size as podman and docker show it: the sum of its layers'
   uncompressed sizes.  */
int image_info_size (struct image_store *s, const struct image_info *info, int64_t *size, skiff_error_t *err);
/* Seconds since the epoch from the config's "created" (0 when absent).  */
time_t image_info_created (const struct image_info *info);

/* Blobs no entry of index.json references (directly, or through its
   manifest, config and layers) are removed when older than GRACE seconds
   (a pull writes blobs before it tags the manifest), and so are temporary
   files older than GRACE (writes killed midway).  The caller holds the
   store's lock.  Adds the count and bytes freed to *REMOVED and *FREED.  */
int image_store_gc (struct image_store *s, time_t grace, size_t *removed, int64_t *freed, skiff_error_t *err);

/* The default grace period of prune and rmi: a write of a blob that has
   not been tagged for this long is taken as dead.  */
#define IMAGE_GC_GRACE (15 * 60)

/* Names of the containers that use the image with config digest IMAGE_ID
   (NULL-terminated; empty until part 2 adds containers from images, which
   fills this in: rmi and prune -a keep images it lists).  */
int image_store_containers_using (struct image_store *s, const char *image_id, char ***names, skiff_error_t *err);

/* Every blob an index entry references, sorted (for bsearch).  Manifests
   missing from the store are skipped.  */
int image_store_referenced (struct image_store *s, const oci_image_index *idx, char ***digests, size_t *n,
                            skiff_error_t *err);
bool image_digest_in (char *const *sorted, size_t n, const char *digest);

#endif
