/* skiff-image load [-i FILE] [-q]: a docker-archive or oci-archive (as
   `podman save` and `docker save` write them; compressed or not), from
   FILE or stdin.  Prints "Loaded image: NAME" per name, as podman.  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "image_commands.h"
#include "store.h"
#include "utils.h"

struct load_opts
{
  const char *input;
  bool quiet;
};

static int
load_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct load_opts *o = data;
  if (opt == 'i')
    o->input = arg;
  else
    o->quiet = true;
  return 0;
}

int
image_cmd_load (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "input", required_argument, NULL, 'i' },
    { "quiet", no_argument, NULL, 'q' },
    { NULL, 0, NULL, 0 },
  };
  struct load_opts o = { 0 };
  cleanup_store struct image_store *s = NULL;
  cleanup_strv char **loaded = NULL;
  cleanup_close int fd = -1;
  int first;

  first = image_parse_options (argc, argv, "i:q", longopts, load_option, &o, err);
  if (first <= 0)
    return first;
  if (first != argc)
    return image_usage_error (err, argv[0], "unexpected argument `%s`", argv[first]);
  if (o.input == NULL && isatty (STDIN_FILENO))
    return image_usage_error (err, argv[0], "no archive on stdin (use -i FILE)");
  if (o.input)
    {
      fd = open (o.input, O_RDONLY | O_CLOEXEC);
      if (fd < 0)
        return skiff_error_sys (err, "load: open `%s`", o.input);
    }
  if (image_store_open (cli->root, &s, err) < 0
      || image_archive_load (s, o.input ? fd : STDIN_FILENO, &loaded, err) < 0)
    return skiff_error_wrap (err, "load %s", o.input ? o.input : "(stdin)");
  for (size_t i = 0; !o.quiet && loaded[i]; i++)
    printf ("Loaded image: %s\n", loaded[i]);
  return 0;
}
