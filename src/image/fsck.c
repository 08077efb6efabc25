/* skiff-image fsck: verify the store; one line per problem, exit 1 when
   there is one.  */
#include <config.h>

#include <stdio.h>

#include "fsck.h"
#include "image_commands.h"
#include "store.h"
#include "utils.h"

int
image_cmd_fsck (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  cleanup_store struct image_store *s = NULL;
  size_t problems = 0;
  int first;

  first = image_parse_options (argc, argv, "", NULL, NULL, NULL, err);
  if (first <= 0)
    return first;
  if (first != argc)
    return image_usage_error (err, argv[0], "unexpected argument `%s`", argv[first]);
  if (image_store_open (cli->root, &s, err) < 0 || image_store_fsck (s, stdout, &problems, err) < 0)
    return skiff_error_wrap (err, "fsck");
  if (problems)
    {
      fflush (stdout);
      fprintf (stderr, "skiff-image: fsck: %zu problem%s in %s\n", problems, problems == 1 ? "" : "s", cli->root);
      return 1;
    }
  return 0;
}
