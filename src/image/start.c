/* skiff-image start [-a] NAME: start a created or exited container;
   attached, it returns the container's exit status.  */
#include <config.h>

#include <stdio.h>

#include "containers.h"
#include "image_commands.h"
#include "store.h"
#include "utils.h"

static int
start_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  *(bool *) data = true; /* -a */
  return 0;
}

int
image_cmd_start (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "attach", no_argument, NULL, 'a' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_store struct image_store *s = NULL;
  cleanup_container struct image_container *c = NULL;
  bool attach = false;
  int first, code = 0;

  first = image_parse_options (argc, argv, "a", longopts, start_option, &attach, err);
  if (first <= 0)
    return first;
  if (argc - first != 1)
    return image_usage_error (err, argv[0], "expected one container");
  if (image_store_open (cli->root, &s, err) < 0 || image_container_find (s, argv[first], &c, err) < 0
      || image_container_start (s, cli->runtime, c, attach, false, &code, err) < 0)
    return skiff_error_wrap (err, "start");
  if (!attach)
    printf ("%s\n", c->name);
  return code;
}
