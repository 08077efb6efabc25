/* skiff-image logs [-f] NAME: the output of a detached container.  */
#include <config.h>

#include <stdio.h>

#include "container_logs.h"
#include "containers.h"
#include "image_commands.h"
#include "store.h"
#include "utils.h"

static int
logs_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  *(bool *) data = true;
  return 0;
}

int
image_cmd_logs (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "follow", no_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_store struct image_store *s = NULL;
  cleanup_container struct image_container *c = NULL;
  bool follow = false;
  int first;

  first = image_parse_options (argc, argv, "f", longopts, logs_option, &follow, err);
  if (first <= 0)
    return first;
  if (argc - first != 1)
    return image_usage_error (err, argv[0], "want one container");
  fflush (stdout);
  if (image_store_open (cli->root, &s, err) < 0 || image_container_find (s, argv[first], &c, err) < 0
      || image_container_logs (s, cli->runtime, c, follow, 1, err) < 0)
    return skiff_error_wrap (err, "logs");
  return 0;
}
