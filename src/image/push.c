/* skiff-image push [--tls-verify=false] [--authfile F] [--cert-dir D] [-q]
   IMAGE [DEST-REF]: prints the manifest digest the registry stored.  */
#include <config.h>

#include <stdio.h>

#include "image_commands.h"
#include "registry_opts.h"
#include "store.h"

static int
on_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct image_registry_opts *o = data;
  int r = image_registry_option ("push", opt, arg, o, err);
  if (r != 0)
    return r < 0 ? r : 0;
  if (opt == 'q')
    {
      o->quiet = true;
      return 0;
    }
  return image_usage_error (err, "push", "unknown option");
}

int
image_cmd_push (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    REGISTRY_LONG_OPTIONS,
    { "quiet", no_argument, NULL, 'q' },
    { NULL, 0, NULL, 0 },
  };
  struct image_registry_opts o = { .tls_verify = -1 };
  cleanup_store struct image_store *store = NULL;
  char digest[IMAGE_DIGEST_LEN];
  int i = image_parse_options (argc, argv, "q", longopts, on_option, &o, err);

  if (i <= 0)
    return i;
  if (argc - i < 1 || argc - i > 2)
    return image_usage_error (err, "push", "expected IMAGE [DEST-REF]");
  if (image_store_open (cli->root, &store, err) < 0)
    return -1;
  if (image_push (store, argv[i], argc - i == 2 ? argv[i + 1] : NULL, &o, digest, err) < 0)
    return -1;
  printf ("%s\n", digest);
  return 0;
}
