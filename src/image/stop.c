/* skiff-image stop [-t SECONDS] NAME...: the image's StopSignal (else
   SIGTERM), SIGKILL after the timeout (10 s); then the runtime's state and
   the rootfs mount go.  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>

#include "containers.h"
#include "image_commands.h"
#include "store.h"
#include "utils.h"

static int
stop_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  unsigned long long t;
  if (parse_uint64 (arg, &t) < 0 || t > 3600)
    return image_usage_error (err, "stop", "-t `%s`: seconds, 0 to 3600", arg);
  *(int *) data = (int) t;
  return 0;
}

int
image_cmd_stop (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "time", required_argument, NULL, 't' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_store struct image_store *s = NULL;
  int first, timeout = 10;

  first = image_parse_options (argc, argv, "t:", longopts, stop_option, &timeout, err);
  if (first <= 0)
    return first;
  if (first == argc)
    return image_usage_error (err, argv[0], "missing a container");
  if (image_store_open (cli->root, &s, err) < 0)
    return skiff_error_wrap (err, "stop");
  for (int i = first; i < argc; i++)
    {
      cleanup_container struct image_container *c = NULL;
      if (image_container_find (s, argv[i], &c, err) < 0
          || image_container_stop (s, cli->runtime, c, timeout, err) < 0)
        return skiff_error_wrap (err, "stop");
      printf ("%s\n", c->name);
    }
  return 0;
}
