/* skiff-image save [-o FILE] [--format docker-archive|oci-archive] IMAGE...
   to FILE (written beside it, then renamed) or to stdout.  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "archive.h"
#include "image_commands.h"
#include "store.h"
#include "utils.h"

struct save_opts
{
  const char *output;
  enum image_archive_format format;
};

enum
{
  OPT_FORMAT = 1000,
};

static int
save_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct save_opts *o = data;
  if (opt == 'o')
    o->output = arg;
  else if (strcmp (arg, "docker-archive") == 0)
    o->format = IMAGE_ARCHIVE_DOCKER;
  else if (strcmp (arg, "oci-archive") == 0)
    o->format = IMAGE_ARCHIVE_OCI;
  else
    return image_usage_error (err, "save", "unknown format `%s` (docker-archive or oci-archive)", arg);
  return 0;
}

int
image_cmd_save (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "output", required_argument, NULL, 'o' },
    { "format", required_argument, NULL, OPT_FORMAT },
    { NULL, 0, NULL, 0 },
  };
  struct save_opts o = { .format = IMAGE_ARCHIVE_DOCKER };
  cleanup_store struct image_store *s = NULL;
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  int first, n, ret;

  first = image_parse_options (argc, argv, "o:", longopts, save_option, &o, err);
  if (first <= 0)
    return first;
  if (first == argc)
    return image_usage_error (err, argv[0], "missing IMAGE");
  if (o.output == NULL && isatty (STDOUT_FILENO))
    return image_usage_error (err, argv[0], "refusing to write an archive to a terminal (use -o FILE)");

  n = argc - first;
  if (image_store_open (cli->root, &s, err) < 0)
    return skiff_error_wrap (err, "save");
  if (o.output)
    {
      /* Written beside FILE and renamed: a failed save leaves no archive. */
      tmp = xasprintf ("%s.tmp-XXXXXX", o.output);
      fd = mkostemp (tmp, O_CLOEXEC);
      if (fd < 0)
        return skiff_error_sys (err, "save: create `%s`", tmp);
      fchmod (fd, 0644);
    }
  ret = image_archive_save (s, argv + first, n, o.format, o.output ? fd : STDOUT_FILENO, err);
  if (ret == 0 && o.output && (fsync (fd) < 0 || rename (tmp, o.output) < 0))
    ret = skiff_error_sys (err, "write `%s`", o.output);
  if (ret < 0 && tmp)
    unlink (tmp);
  return ret < 0 ? skiff_error_wrap (err, "save") : 0;
}
