/* skiff-image: a gzip stream compressed on several threads.

   The input is cut into chunks of IMAGE_GZIP_CHUNK bytes at fixed offsets;
   worker threads deflate each one on its own (with the previous chunk's
   last 32 KiB as the dictionary, so the ratio barely changes) and the
   pieces, ended by a sync flush, are joined into one gzip member (header
   without a time stamp, one CRC-32 and length at the end).  The output
   depends only on the input, never on the number of threads or their
   timing: the same input makes the same bytes, and so the same digest.  */
#ifndef IMAGE_GZIP_WRITER_H
#define IMAGE_GZIP_WRITER_H

#include <stddef.h>

#include "error.h"

#define IMAGE_GZIP_CHUNK (1024 * 1024)

/* Where the compressed bytes go, in order, always from the thread that
   calls image_gzip_write and image_gzip_finish.  */
typedef int (*image_gzip_sink) (void *data, const void *buf, size_t len, skiff_error_t *err);

struct image_gzip_writer;

int image_gzip_writer_new (image_gzip_sink sink, void *data, struct image_gzip_writer **out, skiff_error_t *err);
int image_gzip_write (struct image_gzip_writer *w, const void *buf, size_t len, skiff_error_t *err);
/* Compresses what is left and writes the end of the stream.  */
int image_gzip_finish (struct image_gzip_writer *w, skiff_error_t *err);
/* Stops the threads (a stream not finished is abandoned).  */
void image_gzip_writer_free (struct image_gzip_writer *w);

#endif
