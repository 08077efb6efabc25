/* skiff-image: the image store, an OCI image layout under ROOT/oci:
   `oci-layout`, `index.json` and `blobs/sha256/`.  It is the source of
   truth, readable by other tools (skopeo copy oci:ROOT/oci:REF, umoci).

   Blobs are content-addressed and written once: a blob is written to a
   temporary file in ROOT/oci/tmp, verified against its digest and size, and
   renamed into place, so no partial blob ever carries a digest name and no
   lock is needed.  index.json changes (tags) are made under a flock on
   ROOT/oci/.lock and rewritten atomically.  Tags are
   `org.opencontainers.image.ref.name` annotations holding the canonical
   reference (docker.io/library/busybox:latest); an index entry without one
   is a dangling (<none>) image.  The image id is the config digest.  */
#ifndef IMAGE_STORE_H
#define IMAGE_STORE_H

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"

#define IMAGE_REF_NAME_ANNOTATION "org.opencontainers.image.ref.name"
/* On the index entries of images `build` made: the manifest digest of the
   image the step started from, and the step's cache key (see build.h).  */
#define IMAGE_BUILD_PARENT_ANNOTATION "io.skiff.image.build.parent"
#define IMAGE_BUILD_KEY_ANNOTATION "io.skiff.image.build.key"

struct image_store;
struct image_blob_writer;

/* Opens (creating when missing) the store under ROOT.  */
int image_store_open (const char *root, struct image_store **out, skiff_error_t *err);
void image_store_close (struct image_store *s);
#define cleanup_store __attribute__ ((cleanup (image_store_closep)))
void image_store_closep (struct image_store **s);

bool image_store_has_blob (struct image_store *s, const char *digest);

/* Streaming blob writes: begin, write any number of times, then commit or
   abort (both free W).  */
int image_store_blob_begin (struct image_store *s, struct image_blob_writer **w, skiff_error_t *err);
int image_blob_write (struct image_blob_writer *w, const void *buf, size_t len, skiff_error_t *err);
/* verifies digest (NULL: any) and size (-1: any), fsyncs, renames into blobs/sha256; frees w */
int image_blob_commit (struct image_blob_writer *w, const char *expected_digest, int64_t expected_size,
                       char digest_out[IMAGE_DIGEST_LEN], skiff_error_t *err);
void image_blob_abort (struct image_blob_writer *w); /* unlinks the temp file; frees w */

/* A whole blob from memory.  DIGEST_OUT may be NULL.  */
int image_store_put_blob (struct image_store *s, const void *data, size_t len, const char *expected_digest,
                          char digest_out[IMAGE_DIGEST_LEN], skiff_error_t *err);
/* *DATA is NUL-terminated (for JSON) and LEN excludes the NUL.  */
int image_store_read_blob (struct image_store *s, const char *digest, char **data, size_t *len,
                           skiff_error_t *err);
/* A read-only, close-on-exec fd on the blob.  */
int image_store_open_blob (struct image_store *s, const char *digest, int *fd, skiff_error_t *err);

/* adds the manifest to index.json (dangling when ref_name is NULL); a tag that pointed elsewhere moves,
   leaving the old manifest untagged (<none>); atomic rewrite under the store's lock */
int image_store_tag (struct image_store *s, const char *ref_name, const char *manifest_digest,
                     const char *media_type, int64_t size, skiff_error_t *err);

struct image_desc
{
  char *manifest_digest;
  char *media_type;
  int64_t size;
  char *config_digest;
  char *ref_name;
  char *parent; /* IMAGE_BUILD_PARENT_ANNOTATION, NULL when absent */
};

/* Entry I of the N entries V is an intermediate image: untagged, and the
   parent of another entry (`images` hides it without -a).  */
bool image_desc_intermediate (const struct image_desc *v, size_t n, size_t i);

/* by name (short names normalised), full/short image id (config digest prefix), or manifest digest */
int image_store_resolve (struct image_store *s, const char *name, struct image_desc *out, skiff_error_t *err);
void image_desc_clear (struct image_desc *d);

/* Additions beyond the contract, for the commands.  */

/* Every entry of index.json, in order; CONFIG_DIGEST is NULL when the
   manifest blob is missing or broken.  */
int image_store_list (struct image_store *s, struct image_desc **out, size_t *n, skiff_error_t *err);
void image_desc_list_free (struct image_desc *v, size_t n);
/* The config digest (image id) named by a manifest blob.  */
int image_store_config_digest (struct image_store *s, const char *manifest_digest, char **out,
                               skiff_error_t *err);
/* Takes the store's lock (an exclusive flock on ROOT/lock) for index.json
   changes; *FD holds it until closed.  */
int image_store_lock (struct image_store *s, int *fd, skiff_error_t *err);
const char *image_store_root (struct image_store *s);

#endif
