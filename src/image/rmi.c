/* skiff-image rmi [-f] IMAGE...: remove names and images, as podman does:
   "Untagged: NAME" per name removed, "Deleted: ID" per image gone.  */
#include <config.h>

#include <stdio.h>

#include "image_commands.h"
#include "remove.h"
#include "store.h"
#include "utils.h"

static int
rmi_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  *(bool *) data = true; /* -f */
  return 0;
}

int
image_cmd_rmi (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "force", no_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_store struct image_store *s = NULL;
  bool force = false;
  int first;

  first = image_parse_options (argc, argv, "f", longopts, rmi_option, &force, err);
  if (first <= 0)
    return first;
  if (first == argc)
    return image_usage_error (err, argv[0], "missing IMAGE");
  if (image_store_open (cli->root, &s, err) < 0)
    return skiff_error_wrap (err, "rmi");
  for (int i = first; i < argc; i++)
    {
      struct image_removal r = { 0 };
      if (image_store_rmi (s, argv[i], force, &r, err) < 0)
        return -1;
      for (size_t j = 0; r.untagged && r.untagged[j]; j++)
        printf ("Untagged: %s\n", r.untagged[j]);
      for (size_t j = 0; r.deleted && r.deleted[j]; j++)
        printf ("Deleted: %s\n", r.deleted[j] + 7);
      image_removal_clear (&r);
    }
  return 0;
}
