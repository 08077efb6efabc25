/* Unit tests of the parallel gzip writer: what it writes inflates (with
   zlib, as one gzip member) to what it was given, and the bytes depend on
   the input only: not on how the writes cut it, nor on the number of
   threads.  */
#include <config.h>
#include <criterion/criterion.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "gzip_writer.h"

struct buf
{
  unsigned char *data;
  size_t len;
};

static int
append (void *data, const void *p, size_t len, skiff_error_t *err)
{
  struct buf *b = data;
  (void) err;
  b->data = realloc (b->data, b->len + len);
  cr_assert_not_null (b->data);
  memcpy (b->data + b->len, p, len);
  b->len += len;
  return 0;
}

/* Text, zeros and random bytes in turn, so that both of the writer's
   ways of compressing are used.  */
static unsigned char *
make_input (size_t len)
{
  unsigned char *in = malloc (len ? len : 1);
  uint32_t x = 12345;
  cr_assert_not_null (in);
  for (size_t i = 0; i < len; i++)
    {
      size_t part = (i / (700 * 1024)) % 3;
      x = x * 1103515245 + 12345;
      in[i] = part == 0 ? (unsigned char) ('a' + (i / 7) % 13) : part == 1 ? 0 : (unsigned char) (x >> 24);
    }
  return in;
}

/* Compresses IN, written STEP bytes at a time.  */
static struct buf
compress_by (const unsigned char *in, size_t len, size_t step)
{
  struct image_gzip_writer *w = NULL;
  skiff_error_t err = NULL;
  struct buf out = { 0 };

  cr_assert_eq (image_gzip_writer_new (append, &out, &w, &err), 0, "%s", err ? err->msg : "?");
  for (size_t at = 0; at < len; at += step)
    cr_assert_eq (image_gzip_write (w, in + at, len - at < step ? len - at : step, &err), 0);
  cr_assert_eq (image_gzip_finish (w, &err), 0, "%s", err ? err->msg : "?");
  image_gzip_writer_free (w);
  return out;
}

/* Inflates one gzip member and checks that nothing follows it.  */
static void
assert_inflates_to (const struct buf *gz, const unsigned char *in, size_t len)
{
  z_stream z = { 0 };
  unsigned char *out = malloc (len + 1);
  cr_assert_eq (inflateInit2 (&z, 16 + 15), Z_OK);
  z.next_in = gz->data;
  z.avail_in = (uInt) gz->len;
  z.next_out = out;
  z.avail_out = (uInt) len + 1;
  cr_assert_eq (inflate (&z, Z_FINISH), Z_STREAM_END, "%s", z.msg ? z.msg : "");
  cr_assert_eq (z.avail_in, 0, "bytes after the gzip member");
  cr_assert_eq (z.total_out, len);
  cr_assert (memcmp (out, in, len) == 0);
  inflateEnd (&z);
  free (out);
}

Test (gzip_writer, round_trip_at_chunk_edges)
{
  size_t sizes[] = { 0, 1, 100, IMAGE_GZIP_CHUNK - 1, IMAGE_GZIP_CHUNK, IMAGE_GZIP_CHUNK + 1,
                     5 * IMAGE_GZIP_CHUNK + 12345 };
  for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
    {
      unsigned char *in = make_input (sizes[i]);
      struct buf gz = compress_by (in, sizes[i], 10240);
      /* No time stamp in the header.  */
      cr_assert (gz.len >= 18 && memcmp (gz.data, "\x1f\x8b\x08\0\0\0\0\0\0\x03", 10) == 0);
      assert_inflates_to (&gz, in, sizes[i]);
      free (gz.data);
      free (in);
    }
}

Test (gzip_writer, compresses)
{
  size_t len = 3 * IMAGE_GZIP_CHUNK;
  unsigned char *in = calloc (1, len);
  struct buf gz = compress_by (in, len, 65536);
  cr_assert_lt (gz.len, len / 100);
  assert_inflates_to (&gz, in, len);
  free (gz.data);
  free (in);
}

Test (gzip_writer, same_bytes_whatever_the_writes_and_threads)
{
  size_t len = 4 * IMAGE_GZIP_CHUNK + 777;
  unsigned char *in = make_input (len);
  struct buf a = compress_by (in, len, 10240);
  struct buf b = compress_by (in, len, 3 * IMAGE_GZIP_CHUNK + 5);
  struct buf c;
  cpu_set_t all, one;

  cr_assert_eq (a.len, b.len);
  cr_assert (memcmp (a.data, b.data, a.len) == 0);
  /* One CPU: one worker thread.  */
  cr_assert_eq (sched_getaffinity (0, sizeof all, &all), 0);
  CPU_ZERO (&one);
  for (int i = 0; i < CPU_SETSIZE; i++)
    if (CPU_ISSET (i, &all))
      {
        CPU_SET (i, &one);
        break;
      }
  cr_assert_eq (sched_setaffinity (0, sizeof one, &one), 0);
  c = compress_by (in, len, 4096);
  cr_assert_eq (sched_setaffinity (0, sizeof all, &all), 0);
  cr_assert_eq (a.len, c.len);
  cr_assert (memcmp (a.data, c.data, a.len) == 0);
  free (a.data);
  free (b.data);
  free (c.data);
  free (in);
}
