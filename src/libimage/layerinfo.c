/* skiff-image: what a layer is once decompressed, its diff id (the digest
   of the uncompressed tar) and size.  Both are found by streaming the blob
   through libarchive's decompression filters (gzip, zstd, none) and are
   cached in ROOT/layerinfo/<hex> as "DIFF_ID SIZE\n", since a blob's
   content never changes.  */
#include <config.h>
#include "layerinfo.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <archive.h>

#include "store_internal.h"
#include "utils.h"

int
image_layer_open_uncompressed (int fd, struct archive **out, skiff_error_t *err)
{
  struct archive *a = archive_read_new ();
  if (a == NULL)
    return skiff_error_plain (err, ENOMEM, "archive_read_new: out of memory");
  archive_read_support_filter_all (a);
  archive_read_support_format_raw (a);
  if (archive_read_open_fd (a, fd, 128 * 1024) != ARCHIVE_OK)
    {
      int ret = skiff_error_plain (err, EINVAL, "decompress: %s", archive_error_string (a));
      archive_read_free (a);
      return ret;
    }
  *out = a;
  return 0;
}

int
image_layer_digest_fd (int fd, char diff_id[IMAGE_DIGEST_LEN], int64_t *size, skiff_error_t *err)
{
  struct archive *a = NULL;
  struct archive_entry *e;
  cleanup_digester struct image_digester *d = NULL;
  cleanup_free char *buf = NULL;
  int64_t total = 0;
  int ret = 0;

  if (image_layer_open_uncompressed (fd, &a, err) < 0)
    return -1;
  d = image_digester_new ();
  buf = xmalloc (256 * 1024);
  if (archive_read_next_header (a, &e) != ARCHIVE_OK)
    ret = skiff_error_plain (err, EINVAL, "decompress: %s", archive_error_string (a));
  while (ret == 0)
    {
      la_ssize_t n = archive_read_data (a, buf, 256 * 1024);
      if (n < 0)
        ret = skiff_error_plain (err, EIO, "decompress: %s", archive_error_string (a));
      if (n <= 0)
        break;
      image_digester_update (d, buf, n);
      total += n;
    }
  archive_read_free (a);
  if (ret < 0)
    return ret;
  image_digester_final (d, diff_id);
  *size = total;
  return 0;
}

int
image_store_record_layer (struct image_store *s, const char *digest, const char *diff_id, int64_t size,
                          skiff_error_t *err)
{
  cleanup_free char *line = NULL;
  if (!image_digest_valid (digest) || !image_digest_valid (diff_id))
    return skiff_error_plain (err, EINVAL, "layer info: invalid digest");
  line = xasprintf ("%s %" PRId64 "\n", diff_id, size);
  if (write_file_atomic_at (s->layerinfo_fd, digest + 7, line, strlen (line), 0644, err) < 0)
    return skiff_error_wrap (err, "layer %s", digest);
  return 0;
}

static bool
read_cached (struct image_store *s, const char *digest, char diff_id[IMAGE_DIGEST_LEN], int64_t *size)
{
  cleanup_free char *data = NULL;
  cleanup_error skiff_error_t ignored = NULL;
  char id[IMAGE_DIGEST_LEN + 1];
  long long n;

  if (read_file_at (s->layerinfo_fd, digest + 7, &data, NULL, &ignored) < 0)
    return false;
  if (sscanf (data, "%72s %lld", id, &n) != 2 || !image_digest_valid (id) || n < 0)
    return false;
  memcpy (diff_id, id, IMAGE_DIGEST_LEN);
  *size = n;
  return true;
}

int
image_store_layer_info (struct image_store *s, const char *digest, char diff_id[IMAGE_DIGEST_LEN], int64_t *size,
                        skiff_error_t *err)
{
  cleanup_close int fd = -1;

  if (!image_digest_valid (digest))
    return skiff_error_plain (err, EINVAL, "invalid digest `%s`", digest ? digest : "");
  /* The cache outlives nothing: a layer whose blob went is an error.  */
  if (!image_store_has_blob (s, digest))
    return skiff_error_plain (err, ENOENT, "layer %s: blob missing", digest);
  if (read_cached (s, digest, diff_id, size))
    return 0;
  if (image_store_open_blob (s, digest, &fd, err) < 0)
    return -1;
  if (image_layer_digest_fd (fd, diff_id, size, err) < 0)
    return skiff_error_wrap (err, "layer %s", digest);
  /* The cache is an optimisation: a read-only store still answers.  */
  cleanup_error skiff_error_t ignored = NULL;
  image_store_record_layer (s, digest, diff_id, *size, &ignored);
  return 0;
}
