/* skiff-image pull [--platform OS/ARCH[/VARIANT]] [--tls-verify=false]
   [--authfile F] [--cert-dir D] [-q] REF: prints the image id.  */
#include <config.h>

#include <stdio.h>

#include "image_commands.h"
#include "registry_opts.h"
#include "store.h"

static int
on_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct image_pull_opts *o = data;
  int r = image_registry_option ("pull", opt, arg, &o->reg, err);
  if (r != 0)
    return r < 0 ? r : 0;
  switch (opt)
    {
    case OPT_PLATFORM:
      o->platform = arg;
      return 0;
    case 'q':
      o->reg.quiet = true;
      return 0;
    default:
      return image_usage_error (err, "pull", "unknown option");
    }
}

int
image_cmd_pull (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    REGISTRY_LONG_OPTIONS,
    { "platform", required_argument, NULL, OPT_PLATFORM },
    { "quiet", no_argument, NULL, 'q' },
    { NULL, 0, NULL, 0 },
  };
  struct image_pull_opts o = { .reg = { .tls_verify = -1 } };
  cleanup_store struct image_store *store = NULL;
  char id[IMAGE_DIGEST_LEN];
  int i = image_parse_options (argc, argv, "q", longopts, on_option, &o, err);

  if (i <= 0)
    return i;
  if (argc - i != 1)
    return image_usage_error (err, "pull", "expected one image reference");
  if (image_store_open (cli->root, &store, err) < 0)
    return -1;
  if (image_pull (store, argv[i], &o, id, err) < 0)
    return -1;
  printf ("%s\n", id + 7);
  return 0;
}
