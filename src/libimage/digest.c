/* skiff-image: SHA-256 digests over libcrypto EVP.  */
#include <config.h>
#include "digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

struct image_digester
{
  EVP_MD_CTX *ctx;
};

static void
digester_oom (void)
{
  fputs ("skiff-image: out of memory (EVP_MD_CTX)\n", stderr);
  abort ();
}

struct image_digester *
image_digester_new (void)
{
  struct image_digester *d = calloc (1, sizeof *d);
  if (d == NULL)
    digester_oom ();
  d->ctx = EVP_MD_CTX_new ();
  if (d->ctx == NULL || EVP_DigestInit_ex (d->ctx, EVP_sha256 (), NULL) != 1)
    digester_oom ();
  return d;
}

void
image_digester_update (struct image_digester *d, const void *buf, size_t len)
{
  if (len)
    EVP_DigestUpdate (d->ctx, buf, len);
}

void
image_digester_final (struct image_digester *d, char out[IMAGE_DIGEST_LEN])
{
  static const char hex[] = "0123456789abcdef";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;

  EVP_DigestFinal_ex (d->ctx, md, &n);
  memcpy (out, "sha256:", 7);
  for (unsigned int i = 0; i < n && i < 32; i++)
    {
      out[7 + 2 * i] = hex[md[i] >> 4];
      out[8 + 2 * i] = hex[md[i] & 0xf];
    }
  out[IMAGE_DIGEST_LEN - 1] = '\0';
}

void
image_digester_free (struct image_digester *d)
{
  if (d == NULL)
    return;
  EVP_MD_CTX_free (d->ctx);
  free (d);
}

void
image_digester_freep (struct image_digester **d)
{
  image_digester_free (*d);
  *d = NULL;
}

bool
image_digest_valid (const char *digest)
{
  if (digest == NULL || strncmp (digest, "sha256:", 7) != 0)
    return false;
  for (int i = 0; i < 64; i++)
    {
      char c = digest[7 + i];
      if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
        return false;
    }
  return digest[7 + 64] == '\0';
}

void
image_digest_buffer (const void *buf, size_t len, char out[IMAGE_DIGEST_LEN])
{
  struct image_digester *d = image_digester_new ();
  image_digester_update (d, buf, len);
  image_digester_final (d, out);
  image_digester_free (d);
}
