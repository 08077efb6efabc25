/* skiff-image: streaming SHA-256 digests ("sha256:<64 hex>") over
   libcrypto's EVP interface.  Every blob of the store is named by one.  */
#ifndef IMAGE_DIGEST_H
#define IMAGE_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

/* "sha256:" + 64 hex digits + NUL.  */
#define IMAGE_DIGEST_LEN (7 + 64 + 1)

struct image_digester;

/* Allocation failures abort, as xmalloc does.  */
struct image_digester *image_digester_new (void);
void image_digester_update (struct image_digester *d, const void *buf, size_t len);
/* Writes "sha256:<64 hex>\0" to OUT; D may not be updated afterwards.  */
void image_digester_final (struct image_digester *d, char out[IMAGE_DIGEST_LEN]);
void image_digester_free (struct image_digester *d);
#define cleanup_digester __attribute__ ((cleanup (image_digester_freep)))
void image_digester_freep (struct image_digester **d);

/* True when DIGEST is "sha256:" followed by exactly 64 lower-case hex
   digits: the only algorithm the store accepts, and a name safe to use as
   a file name.  */
bool image_digest_valid (const char *digest);

/* The digest of a whole buffer.  */
void image_digest_buffer (const void *buf, size_t len, char out[IMAGE_DIGEST_LEN]);

#endif
