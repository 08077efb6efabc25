/* skiff-image diff NAME: what a container changed, one "A|C|D /path" line
   each, as docker diff prints them.  */
#include <config.h>

#include <stdio.h>

#include "container_diff.h"
#include "containers.h"
#include "image_commands.h"
#include "store.h"
#include "utils.h"

int
image_cmd_diff (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  cleanup_store struct image_store *s = NULL;
  cleanup_container struct image_container *c = NULL;
  struct image_change *v = NULL;
  size_t n = 0;
  int first;

  first = image_parse_options (argc, argv, "", NULL, NULL, NULL, err);
  if (first <= 0)
    return first;
  if (argc - first != 1)
    return image_usage_error (err, argv[0], "expected one container");
  if (image_store_open (cli->root, &s, err) < 0 || image_container_find (s, argv[first], &c, err) < 0
      || image_container_changes (c, &v, &n, err) < 0)
    return skiff_error_wrap (err, "diff");
  for (size_t i = 0; i < n; i++)
    printf ("%c %s\n", v[i].kind, v[i].path);
  image_changes_free (v, n);
  return 0;
}
