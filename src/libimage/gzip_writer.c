/* skiff-image: a gzip stream compressed on several threads (see
   gzip_writer.h).  */
#include <config.h>
#include "gzip_writer.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "utils.h"

#define DICT_SIZE 32768 /* deflate's window */
#define MAX_WORKERS 4
#define PROBE_SIZE (8 * 1024)
#define N_PROBES 8

enum chunk_state
{
  CHUNK_FREE,  /* being filled by the caller */
  CHUNK_READY, /* waiting for a worker */
  CHUNK_BUSY,
  CHUNK_DONE, /* compressed, not yet given to the sink */
};

struct chunk
{
  unsigned char *in;
  size_t in_len;
  unsigned char dict[DICT_SIZE];
  size_t dict_len;
  unsigned char *out;
  size_t out_len;
  uLong crc;
  bool last;
  int zerr; /* zlib's error, Z_OK when none */
  enum chunk_state state;
};

struct image_gzip_writer
{
  image_gzip_sink sink;
  void *data;
  pthread_mutex_t lock;
  pthread_cond_t cond; /* any change of a chunk's state, or stop */
  pthread_t workers[MAX_WORKERS];
  size_t n_workers;
  /* Chunk number N is slots[N % n_slots]; they go round in order.  */
  struct chunk *slots;
  size_t n_slots;
  size_t out_cap;
  uint64_t filled;  /* chunks handed to the workers */
  uint64_t taken;   /* chunks a worker started */
  uint64_t written; /* chunks given to the sink */
  bool stop;
  uLong crc;
  uint64_t total_in;
};

static struct chunk *
slot (struct image_gzip_writer *w, uint64_t n)
{
  return &w->slots[n % w->n_slots];
}

/* Whether deflate's search for repeated strings would gain next to
   nothing on C (random or compressed data, between tar headers): then it
   takes run-length matches only, twice as fast.  Samples spread over the
   chunk, all of which must be incompressible at the fast level, keep the
   cost in size small where a chunk mixes kinds of data (0.3% on a layer
   of python3.11 and /usr/share/doc, against 0.9% with 3 samples of
   16 KiB).  */
static bool
incompressible (z_stream *probe, const struct chunk *c)
{
  unsigned char out[PROBE_SIZE + PROBE_SIZE / 8 + 64];

  if (c->in_len < N_PROBES * PROBE_SIZE)
    return false;
  for (int i = 0; i < N_PROBES; i++)
    {
      size_t at = i * ((c->in_len - PROBE_SIZE) / (N_PROBES - 1));
      if (deflateReset (probe) != Z_OK)
        return false;
      probe->next_in = c->in + at;
      probe->avail_in = PROBE_SIZE;
      probe->next_out = out;
      probe->avail_out = sizeof out;
      if (deflate (probe, Z_FINISH) != Z_STREAM_END || probe->total_out < PROBE_SIZE - PROBE_SIZE / 16)
        return false;
    }
  return true;
}

static void
compress_chunk (z_stream *z, z_stream *probe, struct chunk *c, size_t out_cap)
{
  int flush = c->last ? Z_FINISH : Z_SYNC_FLUSH;
  int strategy = incompressible (probe, c) ? Z_RLE : Z_DEFAULT_STRATEGY;
  int ret;

  c->crc = crc32 (crc32 (0L, Z_NULL, 0), c->in, (uInt) c->in_len);
  c->zerr = deflateReset (z);
  if (c->zerr == Z_OK)
    c->zerr = deflateParams (z, Z_DEFAULT_COMPRESSION, strategy);
  if (c->zerr == Z_OK && c->dict_len > 0)
    c->zerr = deflateSetDictionary (z, c->dict, (uInt) c->dict_len);
  if (c->zerr != Z_OK)
    return;
  z->next_in = c->in;
  z->avail_in = (uInt) c->in_len;
  z->next_out = c->out;
  z->avail_out = (uInt) out_cap;
  ret = deflate (z, flush);
  /* OUT_CAP is above deflate's bound: one call does it all.  */
  if ((flush == Z_FINISH && ret != Z_STREAM_END) || (flush != Z_FINISH && (ret != Z_OK || z->avail_in != 0)))
    c->zerr = ret == Z_OK || ret == Z_STREAM_END ? Z_BUF_ERROR : ret;
  c->out_len = out_cap - z->avail_out;
}

static void *
worker (void *arg)
{
  struct image_gzip_writer *w = arg;
  z_stream z = { 0 }, probe = { 0 };
  int init = deflateInit2 (&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);
  int init_probe = deflateInit2 (&probe, Z_BEST_SPEED, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY);

  pthread_mutex_lock (&w->lock);
  for (;;)
    {
      struct chunk *c;
      while (!w->stop && w->taken == w->filled)
        pthread_cond_wait (&w->cond, &w->lock);
      if (w->stop)
        break;
      c = slot (w, w->taken++);
      c->state = CHUNK_BUSY;
      pthread_mutex_unlock (&w->lock);
      if (init == Z_OK && init_probe == Z_OK)
        compress_chunk (&z, &probe, c, w->out_cap);
      else
        c->zerr = init != Z_OK ? init : init_probe;
      pthread_mutex_lock (&w->lock);
      c->state = CHUNK_DONE;
      pthread_cond_broadcast (&w->cond);
    }
  pthread_mutex_unlock (&w->lock);
  if (init == Z_OK)
    deflateEnd (&z);
  if (init_probe == Z_OK)
    deflateEnd (&probe);
  return NULL;
}

static int
sink (struct image_gzip_writer *w, const void *buf, size_t len, skiff_error_t *err)
{
  return len == 0 ? 0 : w->sink (w->data, buf, len, err);
}

/* Gives the oldest chunk to the sink, waiting for it when WAIT, and makes
   its slot free: 1 when written, 0 when not (yet) compressed.  */
static int
write_oldest (struct image_gzip_writer *w, bool wait, skiff_error_t *err)
{
  struct chunk *c = slot (w, w->written);
  bool done;

  pthread_mutex_lock (&w->lock);
  while (wait && c->state != CHUNK_DONE)
    pthread_cond_wait (&w->cond, &w->lock);
  done = c->state == CHUNK_DONE;
  pthread_mutex_unlock (&w->lock);
  if (!done)
    return 0;
  if (c->zerr != Z_OK)
    return skiff_error_plain (err, EIO, "gzip: deflate: %s (zlib error %d)", zError (c->zerr), c->zerr);
  if (w->written == 0)
    {
      /* No name, no time stamp (the same input, the same bytes), Unix.  */
      static const unsigned char header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
      if (sink (w, header, sizeof header, err) < 0)
        return -1;
    }
  if (sink (w, c->out, c->out_len, err) < 0)
    return -1;
  w->crc = crc32_combine (w->crc, c->crc, (z_off_t) c->in_len);
  w->total_in += c->in_len;
  w->written++;
  c->state = CHUNK_FREE;
  return 1;
}

/* Hands the chunk being filled to the workers, writes what is compressed
   already, and makes the next slot ready for filling.  */
static int
submit (struct image_gzip_writer *w, bool last, skiff_error_t *err)
{
  struct chunk *c = slot (w, w->filled), *next;
  int ret;

  c->last = last;
  pthread_mutex_lock (&w->lock);
  c->state = CHUNK_READY;
  w->filled++;
  pthread_cond_broadcast (&w->cond);
  pthread_mutex_unlock (&w->lock);
  while (w->written < w->filled && (ret = write_oldest (w, false, err)) != 0)
    if (ret < 0)
      return -1;
  if (last)
    return 0;
  /* Round robin: the next slot is free once all chunks older than its
     next use are out.  */
  while (w->filled - w->written >= w->n_slots)
    if (write_oldest (w, true, err) < 0)
      return -1;
  next = slot (w, w->filled);
  next->in_len = 0;
  next->dict_len = c->in_len < DICT_SIZE ? c->in_len : DICT_SIZE;
  memcpy (next->dict, c->in + c->in_len - next->dict_len, next->dict_len);
  return 0;
}

int
image_gzip_write (struct image_gzip_writer *w, const void *buf, size_t len, skiff_error_t *err)
{
  const unsigned char *p = buf;
  while (len > 0)
    {
      struct chunk *c = slot (w, w->filled);
      size_t n = IMAGE_GZIP_CHUNK - c->in_len;
      if (n > len)
        n = len;
      memcpy (c->in + c->in_len, p, n);
      c->in_len += n;
      p += n;
      len -= n;
      if (c->in_len == IMAGE_GZIP_CHUNK && submit (w, false, err) < 0)
        return -1;
    }
  return 0;
}

int
image_gzip_finish (struct image_gzip_writer *w, skiff_error_t *err)
{
  unsigned char trailer[8];

  /* The last chunk (maybe empty) ends the deflate stream.  */
  if (submit (w, true, err) < 0)
    return -1;
  while (w->written < w->filled)
    if (write_oldest (w, true, err) < 0)
      return -1;
  for (int i = 0; i < 4; i++)
    {
      trailer[i] = (unsigned char) (w->crc >> (8 * i));
      trailer[4 + i] = (unsigned char) (w->total_in >> (8 * i));
    }
  return sink (w, trailer, sizeof trailer, err);
}

static size_t
online_cpus (void)
{
  cpu_set_t set;
  if (sched_getaffinity (0, sizeof set, &set) < 0)
    return 1;
  return (size_t) CPU_COUNT (&set);
}

void
image_gzip_writer_free (struct image_gzip_writer *w)
{
  if (w == NULL)
    return;
  pthread_mutex_lock (&w->lock);
  w->stop = true;
  pthread_cond_broadcast (&w->cond);
  pthread_mutex_unlock (&w->lock);
  for (size_t i = 0; i < w->n_workers; i++)
    pthread_join (w->workers[i], NULL);
  for (size_t i = 0; i < w->n_slots; i++)
    {
      free (w->slots[i].in);
      free (w->slots[i].out);
    }
  free (w->slots);
  pthread_cond_destroy (&w->cond);
  pthread_mutex_destroy (&w->lock);
  free (w);
}

int
image_gzip_writer_new (image_gzip_sink sink_fn, void *data, struct image_gzip_writer **out, skiff_error_t *err)
{
  struct image_gzip_writer *w = xmalloc0 (sizeof *w);
  size_t workers = online_cpus ();
  int ret = EAGAIN;

  w->sink = sink_fn;
  w->data = data;
  w->crc = crc32 (0L, Z_NULL, 0);
  pthread_mutex_init (&w->lock, NULL);
  pthread_cond_init (&w->cond, NULL);
  if (workers > MAX_WORKERS)
    workers = MAX_WORKERS;
  if (workers == 0)
    workers = 1;
  /* Two chunks per worker: one compressing, one queued.  */
  w->n_slots = 2 * workers + 1;
  /* A sync flush adds an empty stored block (5 bytes) to the bound.  */
  w->out_cap = compressBound (IMAGE_GZIP_CHUNK) + 64;
  w->slots = xmalloc0 (w->n_slots * sizeof *w->slots);
  for (size_t i = 0; i < w->n_slots; i++)
    {
      w->slots[i].in = xmalloc0 (IMAGE_GZIP_CHUNK);
      w->slots[i].out = xmalloc0 (w->out_cap);
    }
  for (; w->n_workers < workers; w->n_workers++)
    if ((ret = pthread_create (&w->workers[w->n_workers], NULL, worker, w)) != 0)
      break;
  if (w->n_workers == 0)
    {
      image_gzip_writer_free (w);
      errno = ret;
      return skiff_error_sys (err, "gzip: pthread_create");
    }
  *out = w;
  return 0;
}
