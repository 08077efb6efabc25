/* skiff-image commit [-m MSG] [-c CHANGE]... [--compression gzip|zstd]
   [-p|--pause=false] NAME [IMAGE-REF]: the container's changes as a new
   image (untagged, <none>, without IMAGE-REF); prints its id.  A running
   container is paused while its upper directory is read (as podman does),
   unless --pause=false.  */
#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "container_commit.h"
#include "containers.h"
#include "image_commands.h"
#include "ref.h"
#include "store.h"
#include "utils.h"

struct commit_cli
{
  struct image_commit_options o;
  size_t n_changes;
  bool no_pause;
};

static int
commit_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct commit_cli *c = data;
  switch (opt)
    {
    case 'm':
      c->o.message = arg;
      break;
    case 'c':
      c->o.changes = xrealloc (c->o.changes, (c->n_changes + 2) * sizeof *c->o.changes);
      c->o.changes[c->n_changes++] = xstrdup (arg);
      c->o.changes[c->n_changes] = NULL;
      break;
    case 'p':
      if (arg && strcmp (arg, "true") != 0 && strcmp (arg, "false") != 0)
        return image_usage_error (err, "commit", "--pause=`%s`: true or false", arg);
      c->no_pause = arg && strcmp (arg, "false") == 0;
      break;
    default:
      if (strcmp (arg, "zstd") != 0 && strcmp (arg, "gzip") != 0)
        return image_usage_error (err, "commit", "--compression `%s`: gzip or zstd", arg);
      c->o.zstd = strcmp (arg, "zstd") == 0;
    }
  return 0;
}

int
image_cmd_commit (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "message", required_argument, NULL, 'm' },
    { "change", required_argument, NULL, 'c' },
    { "compression", required_argument, NULL, 'Z' },
    { "pause", optional_argument, NULL, 'p' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_store struct image_store *s = NULL;
  cleanup_container struct image_container *c = NULL;
  cleanup_free char *ref_name = NULL;
  struct commit_cli cc = { 0 };
  char id[IMAGE_DIGEST_LEN];
  int first, ret = 0;

  first = image_parse_options (argc, argv, "m:c:p", longopts, commit_option, &cc, err);
  if (first <= 0)
    ret = first;
  else if (argc - first != 1 && argc - first != 2)
    ret = image_usage_error (err, argv[0], "expected NAME and an optional IMAGE-REF");
  else if (argc - first == 2)
    {
      struct image_ref ref = { 0 };
      ret = image_ref_parse (argv[first + 1], &ref, err);
      if (ret == 0 && ref.digest)
        ret = skiff_error_plain (err, EINVAL, "`%s`: a new image cannot be named by a digest", argv[first + 1]);
      if (ret == 0)
        ref_name = image_ref_string (&ref);
      image_ref_clear (&ref);
    }
  if (first > 0 && ret == 0)
    {
      bool paused = false;
      cc.o.ref_name = ref_name;
      if (image_store_open (cli->root, &s, err) < 0 || image_container_find (s, argv[first], &c, err) < 0
          || (!cc.no_pause && image_container_pause (s, cli->runtime, c, &paused, err) < 0))
        ret = -1;
      else
        {
          ret = image_container_commit (s, c, &cc.o, id, err);
          /* Thawed whether the commit worked or not.  */
          if (paused)
            {
              skiff_error_t resume_err = NULL;
              if (image_container_resume (s, cli->runtime, c, ret < 0 ? &resume_err : err) < 0)
                ret = -1;
              if (resume_err)
                fprintf (stderr, "skiff-image: warning: %s\n", resume_err->msg);
              skiff_error_free (&resume_err);
            }
        }
      if (ret < 0)
        ret = skiff_error_wrap (err, "commit");
      else
        printf ("%s\n", id + 7);
    }
  strv_free (cc.o.changes);
  return ret;
}
