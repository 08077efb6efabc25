/* skiff-image images: one row per name of an image (and one `<none>` row
   per dangling manifest), newest first, with podman's columns; -a adds the
   intermediate images of builds.  */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "image.h"
#include "image_commands.h"
#include "image_output.h"
#include "store.h"
#include "utils.h"

struct images_opts
{
  bool all, quiet, digests, json;
};

enum
{
  OPT_DIGESTS = 1000,
  OPT_FORMAT,
};

static int
images_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct images_opts *o = data;
  switch (opt)
    {
    case 'a':
      o->all = true;
      return 0;
    case 'q':
      o->quiet = true;
      return 0;
    case OPT_DIGESTS:
      o->digests = true;
      return 0;
    case OPT_FORMAT:
      if (strcmp (arg, "json") == 0)
        o->json = true;
      else if (strcmp (arg, "table") != 0)
        return image_usage_error (err, "images", "unknown format `%s` (json or table)", arg);
      return 0;
    }
  return image_usage_error (err, "images", "unknown option");
}

struct row
{
  struct image_desc *d;
  char *repo, *tag;
  time_t created;
  int64_t size;      /* -1: unknown */
  bool intermediate; /* of a build (listed with -a) */
};

static int
cmp_rows (const void *a, const void *b)
{
  const struct row *x = a, *y = b;
  if (x->created != y->created)
    return x->created > y->created ? -1 : 1;
  return strcmp (x->repo, y->repo);
}

static const char *
short_id (const struct row *r)
{
  static char buf[13];
  if (r->d->config_digest == NULL)
    return "<missing>";
  snprintf (buf, sizeof buf, "%.12s", r->d->config_digest + 7);
  return buf;
}

static int
print_json (struct row *rows, size_t n, skiff_error_t *err)
{
  yajl_gen g = image_json_new ();
  int ret;

  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    {
      /* One object per manifest, with all its names (rows are grouped
         below by skipping names already printed).  */
      bool seen = false;
      for (size_t j = 0; j < i && !seen; j++)
        seen = strcmp (rows[j].d->manifest_digest, rows[i].d->manifest_digest) == 0;
      if (seen)
        continue;
      yajl_gen_map_open (g);
      image_json_kv (g, "Id", rows[i].d->config_digest ? rows[i].d->config_digest + 7 : NULL);
      image_json_str (g, "Names");
      yajl_gen_array_open (g);
      for (size_t j = i; j < n; j++)
        if (rows[j].d->ref_name && strcmp (rows[j].d->manifest_digest, rows[i].d->manifest_digest) == 0)
          image_json_str (g, rows[j].d->ref_name);
      yajl_gen_array_close (g);
      image_json_kv (g, "Digest", rows[i].d->manifest_digest);
      image_json_kv (g, "MediaType", rows[i].d->media_type);
      image_json_kint (g, "Created", (long long) rows[i].created);
      image_json_kint (g, "Size", (long long) rows[i].size);
      image_json_str (g, "Dangling");
      yajl_gen_bool (g, rows[i].d->ref_name == NULL && !rows[i].intermediate);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  ret = image_json_print (g, err);
  yajl_gen_free (g);
  return ret;
}

static void
print_table (struct row *rows, size_t n, bool digests)
{
  size_t w_repo = strlen ("REPOSITORY"), w_tag = strlen ("TAG"), w_digest = strlen ("DIGEST");
  size_t w_created = strlen ("CREATED");
  time_t now = time (NULL);

  for (size_t i = 0; i < n; i++)
    {
      char ago[64];
      image_format_ago (rows[i].created, now, ago, sizeof ago);
      if (rows[i].created && strlen (ago) > w_created)
        w_created = strlen (ago);
      if (strlen (rows[i].repo) > w_repo)
        w_repo = strlen (rows[i].repo);
      if (strlen (rows[i].tag) > w_tag)
        w_tag = strlen (rows[i].tag);
      if (strlen (rows[i].d->manifest_digest) > w_digest)
        w_digest = strlen (rows[i].d->manifest_digest);
    }
  printf ("%-*s  %-*s  ", (int) w_repo, "REPOSITORY", (int) w_tag, "TAG");
  if (digests)
    printf ("%-*s  ", (int) w_digest, "DIGEST");
  printf ("%-12s  %-*s  %s\n", "IMAGE ID", (int) w_created, "CREATED", "SIZE");
  for (size_t i = 0; i < n; i++)
    {
      char ago[64], size[32];
      image_format_ago (rows[i].created, now, ago, sizeof ago);
      if (rows[i].size < 0)
        snprintf (size, sizeof size, "?");
      else
        image_format_size (rows[i].size, size, sizeof size);
      printf ("%-*s  %-*s  ", (int) w_repo, rows[i].repo, (int) w_tag, rows[i].tag);
      if (digests)
        printf ("%-*s  ", (int) w_digest, rows[i].d->manifest_digest);
      printf ("%-12s  %-*s  %s\n", short_id (&rows[i]), (int) w_created, rows[i].created ? ago : "", size);
    }
}

int
image_cmd_images (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "all", no_argument, NULL, 'a' },
    { "quiet", no_argument, NULL, 'q' },
    { "digests", no_argument, NULL, OPT_DIGESTS },
    { "format", required_argument, NULL, OPT_FORMAT },
    { NULL, 0, NULL, 0 },
  };
  struct images_opts o = { 0 };
  cleanup_store struct image_store *s = NULL;
  struct image_desc *v = NULL;
  cleanup_free struct row *rows = NULL;
  size_t n = 0, nrows = 0;
  int first, ret = 0;


  first = image_parse_options (argc, argv, "aq", longopts, images_option, &o, err);
  if (first <= 0)
    return first;
  if (first != argc)
    return image_usage_error (err, argv[0], "unexpected argument `%s`", argv[first]);
  if (image_store_open (cli->root, &s, err) < 0 || image_store_list (s, &v, &n, err) < 0)
    return skiff_error_wrap (err, "images");

  rows = xmalloc0 ((n + 1) * sizeof *rows);
  for (size_t i = 0; i < n; i++)
    {
      struct image_info info = { 0 };
      cleanup_error skiff_error_t e = NULL;
      struct row *r = &rows[nrows];

      /* Intermediate images of builds (their cache) only with -a.  */
      r->intermediate = image_desc_intermediate (v, n, i);
      if (!o.all && r->intermediate)
        continue;
      nrows++;
      r->d = &v[i];
      r->size = -1;
      if (v[i].ref_name)
        image_split_ref (v[i].ref_name, &r->repo, &r->tag);
      else
        {
          r->repo = xstrdup ("<none>");
          r->tag = xstrdup ("<none>");
        }
      if (image_info_load (s, &v[i], &info, &e) == 0 && image_info_size (s, &info, &r->size, &e) == 0)
        r->created = image_info_created (&info);
      else
        {
          r->created = info.config ? image_info_created (&info) : 0;
          fprintf (stderr, "skiff-image: warning: image %s: %s (see `skiff-image fsck`)\n",
                   v[i].ref_name ? v[i].ref_name : v[i].manifest_digest, e ? e->msg : "broken");

        }
      image_info_clear (&info);
    }
  qsort (rows, nrows, sizeof *rows, cmp_rows);

  if (o.quiet)
    {
      for (size_t i = 0; i < nrows; i++)
        {
          bool seen = false;
          for (size_t j = 0; j < i && !seen; j++)
            /* (short_id's buffer is static: compare the digests)  */
            seen = rows[j].d->config_digest && rows[i].d->config_digest
                   && strcmp (rows[j].d->config_digest, rows[i].d->config_digest) == 0;
          if (!seen && rows[i].d->config_digest)
            printf ("%.12s\n", rows[i].d->config_digest + 7);
        }
    }
  else if (o.json)
    ret = print_json (rows, nrows, err);
  else
    print_table (rows, nrows, o.digests);

  for (size_t i = 0; i < nrows; i++)
    {
      free (rows[i].repo);
      free (rows[i].tag);
    }
  image_desc_list_free (v, n);

  return ret;
}
