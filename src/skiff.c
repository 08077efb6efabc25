/* skiff: the command line.  Global options, then one command per file.
   The command line is runc-compatible: podman/conmon and containerd's shim
   call it as they call runc (see README and skiff(1)).  */
#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "log.h"
#include "utils.h"

struct command
{
  const char *name;
  const char *summary;
  const char *usage;
  skiff_command_fn fn;
};

static const struct command commands[] = {
#define X(name, summary, usage) { #name, summary, usage, skiff_cmd_##name },
  SKIFF_COMMANDS (X)
#undef X
};

/* Set by skiff_usage_error so main can use the usage exit code.  */
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
print_version (void)
{
  printf ("skiff version %s\ncommit: %s\nspec: %s\n", PACKAGE_VERSION, SKIFF_GIT_COMMIT,
          OCI_SPEC_VERSION);
}

static void
print_help (FILE *out)
{
  fprintf (out,
           "Usage: skiff [global options] COMMAND [options] [args]\n\n"
           "skiff runs OCI containers from bundles (config.json + root filesystem).\n\n"
           "Commands:\n");
  for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
    fprintf (out, "  %-10s %s\n", commands[i].name, commands[i].summary);
  fprintf (out,
           "  %-10s %s\n\n"
           "Global options:\n"
           "  --root DIR              state directory (default /run/skiff, or\n"
           "                          $XDG_RUNTIME_DIR/skiff when not root)\n"
           "  --log FILE              write log lines to FILE\n"
           "  --log-format text|json  format of log lines (json: one object per line)\n"
           "  --debug                 log debug messages\n"
           "  --systemd-cgroup        cgroupsPath is slice:prefix:name\n"
           "  --cgroup-manager cgroupfs|systemd|disabled\n"
           "  --rootless true|false|auto  accepted for compatibility\n"
           "  -v, --version           print the version\n"
           "  -h, --help              print this help\n\n"
           "Run `skiff COMMAND --help` for a command's options.\n",
           "help", "print this help");
}

void
skiff_command_help (const char *name)
{
  const struct command *c = find_command (name);
  if (c == NULL)
    return;
  printf ("Usage: skiff %s %s\n\n%s\n", c->name, c->usage, c->summary);
}

int
skiff_usage_error (skiff_error_t *err, const char *name, const char *fmt, ...)
{
  va_list ap;
  cleanup_free char *msg = NULL;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  usage_failed = true;
  return skiff_error_make (err, 0, "%s: %s (see `skiff %s --help`)", name, msg ? msg : "usage error",
                           name);
}

int
skiff_parse_options (int argc, char **argv, const char *shortopts, const struct option *longopts,
                     skiff_option_handler handler, void *data, bool *help, skiff_error_t *err)
{
  cleanup_free char *optstring = NULL;
  struct option *opts;
  size_t n = 0;
  int ret = 0;

  /* Every command accepts -h/--help: append it to the caller's table.  */
  while (longopts && longopts[n].name)
    n++;
  opts = xmalloc0 ((n + 2) * sizeof *opts);
  if (n)
    memcpy (opts, longopts, n * sizeof *opts);
  opts[n] = (struct option) { "help", no_argument, NULL, 'h' };
  optstring = xasprintf ("+:h%s", shortopts ? shortopts : "");

  *help = false;
  optind = 1;
  opterr = 0;
  for (;;)
    {
      int longindex = -1;
      int c = getopt_long (argc, argv, optstring, opts, &longindex);
      if (c == -1)
        break;
      if (c == 'h')
        {
          skiff_command_help (argv[0]);
          *help = true;
          break;
        }
      if (c == '?' || c == ':')
        {
          const char *bad = argv[optind - 1];
          ret = skiff_usage_error (err, argv[0], c == '?' ? "unknown option `%s`"
                                                           : "option `%s` needs a value",
                                   bad);
          break;
        }
      ret = handler (c, optarg, data, err);
      if (ret < 0)
        break;
    }
  free (opts);
  return ret < 0 ? ret : optind;
}

int
skiff_expect_args (int argc, char **argv, int first, int min, int max, skiff_error_t *err)
{
  int n = argc - first;
  if (n < min)
    return skiff_usage_error (err, argv[0], n == 0 ? "missing container id" : "missing arguments");
  if (max >= 0 && n > max)
    return skiff_usage_error (err, argv[0], "unexpected argument `%s`", argv[first + max]);
  return 0;
}

int
skiff_parse_id_options (struct skiff_context *ctx, int argc, char **argv, const char *shortopts,
                        const struct option *longopts, skiff_option_handler handler, void *data,
                        skiff_error_t *err)
{
  bool help = false;
  int first = skiff_parse_options (argc, argv, shortopts, longopts, handler, data, &help, err);
  if (first < 0)
    return first;
  if (help)
    return 1;
  if (skiff_expect_args (argc, argv, first, 1, 1, err) < 0)
    return -1;
  ctx->id = argv[first];
  return 0;
}

enum
{
  OPT_ROOT = 1000,
  OPT_LOG,
  OPT_LOG_FORMAT,
  OPT_DEBUG,
  OPT_SYSTEMD_CGROUP,
  OPT_CGROUP_MANAGER,
  OPT_ROOTLESS,
  OPT_CRIU,
};

static const struct option global_options[] = {
  { "root", required_argument, NULL, OPT_ROOT },
  { "log", required_argument, NULL, OPT_LOG },
  { "log-format", required_argument, NULL, OPT_LOG_FORMAT },
  { "debug", no_argument, NULL, OPT_DEBUG },
  { "systemd-cgroup", no_argument, NULL, OPT_SYSTEMD_CGROUP },
  { "cgroup-manager", required_argument, NULL, OPT_CGROUP_MANAGER },
  { "rootless", required_argument, NULL, OPT_ROOTLESS },
  { "criu", required_argument, NULL, OPT_CRIU },
  { "version", no_argument, NULL, 'v' },
  { "help", no_argument, NULL, 'h' },
  { NULL, 0, NULL, 0 },
};

static char *
default_state_root (void)
{
  const char *xdg = getenv ("XDG_RUNTIME_DIR");
  if (geteuid () != 0 && xdg && *xdg)
    return xasprintf ("%s/skiff", xdg);
  return xstrdup ("/run/skiff");
}

int
main (int argc, char **argv)
{
  cleanup_error skiff_error_t err = NULL;
  cleanup_free char *root = NULL;
  struct skiff_context ctx = { .cgroup_manager = SKIFF_CGROUP_MANAGER_CGROUPFS };
  const char *log_file = NULL;
  bool log_json = false;
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
          print_version ();
          return 0;
        case 'h':
          print_help (stdout);
          return 0;
        case OPT_ROOT:
          free (root);
          root = xstrdup (optarg);
          break;
        case OPT_LOG:
          log_file = optarg;
          break;
        case OPT_LOG_FORMAT:
          if (strcmp (optarg, "json") == 0)
            log_json = true;
          else if (strcmp (optarg, "text") == 0)
            log_json = false;
          else
            {
              fprintf (stderr, "skiff: --log-format: unknown format `%s` (text or json)\n", optarg);
              return SKIFF_EXIT_USAGE;
            }
          break;
        case OPT_DEBUG:
          ctx.debug = true;
          break;
        case OPT_SYSTEMD_CGROUP:
          ctx.systemd_cgroup = true;
          ctx.cgroup_manager = SKIFF_CGROUP_MANAGER_SYSTEMD;
          break;
        case OPT_CGROUP_MANAGER:
          if (strcmp (optarg, "cgroupfs") == 0)
            ctx.cgroup_manager = SKIFF_CGROUP_MANAGER_CGROUPFS;
          else if (strcmp (optarg, "systemd") == 0)
            {
              ctx.cgroup_manager = SKIFF_CGROUP_MANAGER_SYSTEMD;
              ctx.systemd_cgroup = true;
            }
          else if (strcmp (optarg, "disabled") == 0)
            ctx.cgroup_manager = SKIFF_CGROUP_MANAGER_DISABLED;
          else
            {
              fprintf (stderr,
                       "skiff: --cgroup-manager: unknown manager `%s` (cgroupfs, systemd or "
                       "disabled)\n",
                       optarg);
              return SKIFF_EXIT_USAGE;
            }
          break;
        case OPT_ROOTLESS:
          ctx.rootless = strcmp (optarg, "true") == 0;
          break;
        case OPT_CRIU:
          break; /* accepted: callers pass it unconditionally */
        case ':':
          fprintf (stderr, "skiff: option `%s` needs a value\n", argv[optind - 1]);
          return SKIFF_EXIT_USAGE;
        default:
          fprintf (stderr, "skiff: unknown global option `%s` (see `skiff --help`)\n",
                   argv[optind - 1]);
          return SKIFF_EXIT_USAGE;
        }
    }

  if (skiff_log_init (log_file, log_json, ctx.debug, &err) < 0)
    {
      skiff_log_error (NULL, &err);
      return 1;
    }

  if (optind >= argc)
    {
      print_help (stderr);
      return SKIFF_EXIT_USAGE;
    }
  if (strcmp (argv[optind], "help") == 0)
    {
      if (optind + 1 < argc && find_command (argv[optind + 1]))
        skiff_command_help (argv[optind + 1]);
      else
        print_help (stdout);
      return 0;
    }

  cmd = find_command (argv[optind]);
  if (cmd == NULL)
    {
      skiff_log (SKIFF_LOG_ERROR, "unknown command `%s` (see `skiff --help`)", argv[optind]);
      if (log_file)
        fprintf (stderr, "skiff: unknown command `%s` (see `skiff --help`)\n", argv[optind]);
      return SKIFF_EXIT_USAGE;
    }

  ctx.state_root = root ? root : (root = default_state_root ());
  ret = cmd->fn (&ctx, argc - optind, argv + optind, &err);
  if (ret < 0)
    {
      skiff_log_error (NULL, &err);
      return usage_failed ? SKIFF_EXIT_USAGE : 1;
    }
  return ret;
}
