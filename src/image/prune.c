/* skiff-image prune [-a]: dangling images (-a: every image no container
   uses), then blobs no image uses.  Blobs and temporary files younger than
   IMAGE_GC_GRACE are kept: a pull writes its blobs before it tags them.  */
#include <config.h>

#include <stdio.h>

#include "image.h"
#include "image_commands.h"
#include "image_output.h"
#include "remove.h"
#include "store.h"
#include "utils.h"

static int
prune_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  *(bool *) data = true; /* -a */
  return 0;
}

int
image_cmd_prune (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "all", no_argument, NULL, 'a' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_store struct image_store *s = NULL;
  struct image_removal r = { 0 };
  bool all = false;
  char size[32];
  int first;

  first = image_parse_options (argc, argv, "a", longopts, prune_option, &all, err);
  if (first <= 0)
    return first;
  if (first != argc)
    return image_usage_error (err, argv[0], "unexpected argument `%s`", argv[first]);
  if (image_store_open (cli->root, &s, err) < 0 || image_store_prune (s, all, IMAGE_GC_GRACE, &r, err) < 0)
    return -1;
  for (size_t j = 0; r.untagged && r.untagged[j]; j++)
    printf ("Untagged: %s\n", r.untagged[j]);
  for (size_t j = 0; r.deleted && r.deleted[j]; j++)
    printf ("Deleted: %s\n", r.deleted[j] + 7);
  image_format_size (r.bytes, size, sizeof size);
  printf ("Removed %zu blob%s, %s\n", r.blobs, r.blobs == 1 ? "" : "s", size);
  image_removal_clear (&r);
  return 0;
}
