/* skiff libocispec benchmark: parse and generate time of a config.json.
 * Usage: bench-ocispec [CONFIG.json [ITERATIONS]]  */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ocispec/runtime.h"

static double
now_us (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int
main (int argc, char **argv)
{
  const char *path = argc > 1 ? argv[1] : OCISPEC_TESTDATA "/podman-config.json";
  int iters = argc > 2 ? atoi (argv[2]) : 2000;
  char *err = NULL, *json, *data;
  oci_config *cfg;
  double t0, parse_us, gen_us;
  size_t len;
  FILE *f;
  int i;

  f = fopen (path, "r");
  if (f == NULL)
    {
      perror (path);
      return 1;
    }
  fseek (f, 0, SEEK_END);
  len = (size_t) ftell (f);
  rewind (f);
  data = malloc (len + 1);
  if (data == NULL || fread (data, 1, len, f) != len)
    {
      fprintf (stderr, "%s: short read\n", path);
      return 1;
    }
  fclose (f);
  if (iters < 1)
    iters = 1;

  /* Parse from memory: measures the parser, not the page cache.  */
  t0 = now_us ();
  for (i = 0; i < iters; i++)
    {
      cfg = oci_config_parse_data (data, len, path, &err);
      if (cfg == NULL)
        {
          fprintf (stderr, "%s\n", err);
          return 1;
        }
      if (i + 1 < iters)
        oci_config_free (cfg);
    }
  parse_us = (now_us () - t0) / iters;

  t0 = now_us ();
  for (i = 0; i < iters; i++)
    {
      json = oci_config_generate_json (cfg, &err);
      if (json == NULL)
        {
          fprintf (stderr, "generate: %s\n", err);
          return 1;
        }
      free (json);
    }
  gen_us = (now_us () - t0) / iters;

  printf ("%s: %zu bytes, %d iterations\n", path, len, iters);
  printf ("parse:    %8.1f us/document\n", parse_us);
  printf ("generate: %8.1f us/document\n", gen_us);
  oci_config_free (cfg);
  free (data);
  return 0;
}
