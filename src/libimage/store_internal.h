/* skiff-image: the store's insides, shared by store*.c only.  */
#ifndef IMAGE_STORE_INTERNAL_H
#define IMAGE_STORE_INTERNAL_H

#include "ocispec/image.h"
#include "store.h"

struct image_store
{
  char *root;
  int root_fd;      /* ROOT: lock, tmp/, layerinfo/ */
  int layout_fd;    /* ROOT/oci: the OCI image layout */
  int blobs_fd;     /* ROOT/oci/blobs/sha256 */
  int tmp_fd;       /* ROOT/tmp: blobs being written */
  int layerinfo_fd; /* ROOT/layerinfo: diff id and size of verified layers */
};

/* index.json as a document; the caller holds the lock when it saves.  */
int image_store_load_index (struct image_store *s, oci_image_index **out, skiff_error_t *err);
int image_store_save_index (struct image_store *s, const oci_image_index *idx, skiff_error_t *err);
const char *image_index_ref_name (const oci_image_descriptor *d);
void image_index_remove_at (oci_image_index *idx, size_t i);
/* Removes REF_NAME from the entry carrying it; the manifest stays listed
   (dangling) unless another entry names it.  */
void image_index_untag (oci_image_index *idx, const char *ref_name);

/* image_blob_commit, telling whether the blob is new to the store (so that
   a failed load can take back what it added).  */
int image_blob_commit_created (struct image_blob_writer *w, const char *expected_digest, int64_t expected_size,
                               char digest_out[IMAGE_DIGEST_LEN], bool *created, skiff_error_t *err);
/* Removes blob DIGEST unless index.json references it (caller holds the
   lock).  */
int image_store_drop_unreferenced (struct image_store *s, char *const *digests, skiff_error_t *err);

#endif
