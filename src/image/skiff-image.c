/* skiff-image: images for skiff, a helper binary separate from the runtime
   (the runtime links neither libcurl nor libarchive).  Global options, then
   one command per file; podman's command line is the model.  */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "image_commands.h"
#include "log.h"
#include "utils.h"

struct command
{
  const char *name;
  const char *summary;
  const char *usage;
  image_command_fn fn;
};

static const struct command commands[] = {
#define X(name, summary, usage) { #name, summary, usage, image_cmd_##name },
  IMAGE_COMMANDS (X)
#undef X
};

static bool usage_failed;

static const struct command *
find_command (const char *name)
{
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if (strcmp (commands[i].name, name) == 0)
      return &commands[i];
  return NULL;
}

static void
print_help (FILE *out)
{
  fprintf (out, "Usage: skiff-image [global options] COMMAND [options] [args]\n\n"
                "skiff-image keeps OCI images in a store (an OCI image layout) for skiff.\n\n"
                "Commands:\n");
  /* The summaries start in one column, after the longest name.  */
  int width = 0;
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    if ((int) strlen (commands[i].name) > width)
      width = (int) strlen (commands[i].name);
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (out, "  %-*s %s\n", width, commands[i].name, commands[i].summary);
  fprintf (out, "\nGlobal options:\n"
                "  --root DIR       the store (default /var/lib/skiff, or\n"
                "                   $XDG_DATA_HOME/skiff when not root)\n"
                "  --runtime PATH   the skiff runtime (default: skiff next to skiff-image)\n"
                "  --debug          print debug messages\n"
                "  -v, --version    print the version\n"
                "  -h, --help       print this help\n\n"
                "Run `skiff-image COMMAND --help` for a command's options.\n");
}

static void
command_help (const char *name)
{
  const struct command *c = find_command (name);
  if (c)
    printf ("Usage: skiff-image %s %s\n\n%s\n", c->name, c->usage, c->summary);
}

int
image_usage_error (skiff_error_t *err, const char *name, const char *fmt, ...)
{
  va_list ap;
  cleanup_free char *msg = NULL;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  usage_failed = true;
  return skiff_error_make (err, 0, "%s: %s (see `skiff-image %s --help`)", name, msg ? msg : "usage error",
                           name);
}

int
image_parse_options (int argc, char **argv, const char *shortopts, const struct option *longopts,
                     image_option_handler handler, void *data, skiff_error_t *err)
{
  cleanup_free char *optstring = xasprintf ("+:h%s", shortopts ? shortopts : "");
  cleanup_free struct option *opts = NULL;
  size_t n = 0;

  while (longopts && longopts[n].name)
    n++;
  opts = xmalloc0 ((n + 2) * sizeof *opts);
  if (n)
    memcpy (opts, longopts, n * sizeof *opts);
  opts[n] = (struct option) { "help", no_argument, NULL, 'h' };

  optind = 1;
  opterr = 0;
  for (;;)
    {
      int c = getopt_long (argc, argv, optstring, opts, NULL);
      if (c == -1)
        break;
      if (c == 'h')
        {
          command_help (argv[0]);
          return 0;
        }
      if (c == '?' || c == ':')
        return image_usage_error (err, argv[0], c == '?' ? "unknown option `%s`" : "option `%s` needs a value",
                                  argv[optind - 1]);
      if (handler == NULL || handler (c, optarg, data, err) < 0)
        return handler ? -1 : image_usage_error (err, argv[0], "unknown option `%s`", argv[optind - 1]);
    }
  return optind;
}

enum
{
  OPT_ROOT = 1000,
  OPT_RUNTIME,
  OPT_DEBUG,
};

static const struct option global_options[] = {
  { "root", required_argument, NULL, OPT_ROOT },
  { "runtime", required_argument, NULL, OPT_RUNTIME },
  { "debug", no_argument, NULL, OPT_DEBUG },
  { "version", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static char *
default_root (void)
{
  const char *xdg = getenv ("XDG_DATA_HOME");
  const char *home = getenv ("HOME");
  if (geteuid () == 0)
    return xstrdup ("/var/lib/skiff");
  if (xdg && *xdg)
    return xasprintf ("%s/skiff", xdg);
  return xasprintf ("%s/.local/share/skiff", home && *home ? home : "/");
}

/* The `skiff` installed next to this binary.  */
static char *
default_runtime (void)
{
  char self[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0)
    return xstrdup ("skiff");
  self[n] = '\0';
  return xasprintf ("%s/skiff", dirname (self));
}

int
main (int argc, char **argv)
{
  cleanup_error skiff_error_t err = NULL;
  cleanup_free char *root = NULL, *runtime = NULL;
  struct image_cli cli = { 0 };
  const struct command *cmd;
  int ret;

  opterr = 0;
  for (;;)
    {
      int c = getopt_long (argc, argv, "+:vh", global_options, NULL);
      if (c == -1)
        break;
      switch (c)
        {
        case 'v':
          printf ("skiff-image version %s\ncommit: %s\n", PACKAGE_VERSION, SKIFF_GIT_COMMIT);
          return 0;
        case 'h':
          print_help (stdout);
          return 0;
        case OPT_ROOT:
          free (root);
          root = xstrdup (optarg);
          break;
        case OPT_RUNTIME:
          free (runtime);
          runtime = xstrdup (optarg);
          break;
        case OPT_DEBUG:
          cli.debug = true;
          break;
        case ':':
          fprintf (stderr, "skiff-image: option `%s` needs a value\n", argv[optind - 1]);
          return IMAGE_EXIT_USAGE;
        default:
          fprintf (stderr, "skiff-image: unknown global option `%s` (see `skiff-image --help`)\n",
                   argv[optind - 1]);
          return IMAGE_EXIT_USAGE;
        }
    }

  if (optind >= argc)
    {
      print_help (stderr);
      return IMAGE_EXIT_USAGE;
    }
  if (strcmp (argv[optind], "help") == 0)
    {
      if (optind + 1 < argc && find_command (argv[optind + 1]))
        command_help (argv[optind + 1]);
      else
        print_help (stdout);
      return 0;
    }
  cmd = find_command (argv[optind]);
  if (cmd == NULL)
    {
      fprintf (stderr, "skiff-image: unknown command `%s` (see `skiff-image --help`)\n", argv[optind]);
      return IMAGE_EXIT_USAGE;
    }

  skiff_log_set_name ("skiff-image");
  skiff_log_init (NULL, false, cli.debug, NULL);
  cli.root = root ? root : (root = default_root ());
  cli.runtime = runtime ? runtime : (runtime = default_runtime ());
  ret = cmd->fn (&cli, argc - optind, argv + optind, &err);
  if (ret < 0)
    {
      fprintf (stderr, "skiff-image: %s\n", err ? err->msg : "failed");
      return usage_failed ? IMAGE_EXIT_USAGE : 1;
    }
  fflush (stdout);
  return ret;
}
