/* skiff-image: progress lines on a terminal (see progress.h).  */
#include <config.h>
#include "progress.h"

#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "utils.h"

#define REDRAW_MS 100

struct progress_line
{
  char label[48];
  int64_t total, bytes;
  const char *status;
  long long start_ms, end_ms;
};

struct image_progress
{
  struct progress_line *lines;
  size_t n, drawn;
  long long last_ms;
};

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct image_progress *
image_progress_new (bool quiet)
{
  if (quiet || !isatty (STDERR_FILENO))
    return NULL;
  return xmalloc0 (sizeof (struct image_progress));
}

int
image_progress_add (struct image_progress *p, const char *verb, const char *digest, int64_t total)
{
  struct progress_line *l;
  const char *hex;

  if (p == NULL)
    return -1;
  p->lines = xrealloc (p->lines, (p->n + 1) * sizeof *p->lines);
  l = &p->lines[p->n];
  memset (l, 0, sizeof *l);
  hex = strchr (digest, ':') ? strchr (digest, ':') + 1 : digest;
  snprintf (l->label, sizeof l->label, "%s %.12s", verb, hex);
  l->total = total;
  l->start_ms = now_ms ();
  return (int) p->n++;
}

static void
human (char *buf, size_t len, double v)
{
  static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
  size_t u = 0;
  while (v >= 1024 && u < 4)
    {
      v /= 1024;
      u++;
    }
  snprintf (buf, len, u ? "%.1f%s" : "%.0f%s", v, units[u]);
}

static void
redraw (struct image_progress *p)
{
  long long now = now_ms ();
  size_t i;

  if (p->drawn)
    fprintf (stderr, "\033[%zuA", p->drawn);
  for (i = 0; i < p->n; i++)
    {
      struct progress_line *l = &p->lines[i];
      long long el = (l->end_ms ? l->end_ms : now) - l->start_ms;
      char got[16], tot[16], rate[16];
      human (got, sizeof got, (double) l->bytes);
      human (tot, sizeof tot, (double) (l->total > 0 ? l->total : 0));
      human (rate, sizeof rate, el > 0 ? l->bytes * 1000.0 / el : 0);
      fprintf (stderr, "\r\033[K%s  %s / %s  %s/s%s%s\n", l->label, got, tot, rate, l->status ? "  " : "",
               l->status ? l->status : "");
    }
  p->drawn = p->n;
  fflush (stderr);
  p->last_ms = now;
}

void
image_progress_set (struct image_progress *p, int line, int64_t bytes)
{
  if (p == NULL || line < 0)
    return;
  p->lines[line].bytes = bytes;
  if (now_ms () - p->last_ms >= REDRAW_MS)
    redraw (p);
}

void
image_progress_end (struct image_progress *p, int line, const char *status)
{
  if (p == NULL || line < 0)
    return;
  p->lines[line].status = status;
  p->lines[line].end_ms = now_ms ();
  redraw (p);
}

void
image_progress_free (struct image_progress *p)
{
  if (p == NULL)
    return;
  if (p->n)
    redraw (p);
  free (p->lines);
  free (p);
}
