/* skiff-image kill [-s SIGNAL] NAME...: a signal (SIGKILL by default) to
   running containers.  */
#include <config.h>

#include <stdio.h>

#include "containers.h"
#include "image_commands.h"
#include "store.h"
#include "utils.h"

static int
kill_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  *(const char **) data = arg;
  return 0;
}

int
image_cmd_kill (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "signal", required_argument, NULL, 's' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_store struct image_store *s = NULL;
  const char *sig = "SIGKILL";
  int first;

  first = image_parse_options (argc, argv, "s:", longopts, kill_option, &sig, err);
  if (first <= 0)
    return first;
  if (first == argc)
    return image_usage_error (err, argv[0], "missing a container");
  if (image_store_open (cli->root, &s, err) < 0)
    return skiff_error_wrap (err, "kill");
  for (int i = first; i < argc; i++)
    {
      cleanup_container struct image_container *c = NULL;
      if (image_container_find (s, argv[i], &c, err) < 0 || image_container_kill (s, cli->runtime, c, sig, err) < 0)
        return skiff_error_wrap (err, "kill");
      printf ("%s\n", c->name);
    }
  return 0;
}
