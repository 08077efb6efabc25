/* skiff create / the options create and run share.  */
#include <config.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "container.h"
#include "utils.h"

enum
{
  OPT_PID_FILE = 1000,
  OPT_CONSOLE_SOCKET,
  OPT_PRESERVE_FDS,
  OPT_NO_PIVOT,
  OPT_NO_NEW_KEYRING,
  OPT_NO_SUBREAPER,
  OPT_KEEP,
};

static const struct option create_options[] = {
  { "bundle", required_argument, NULL, 'b' },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
  { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
  { "no-new-keyring", no_argument, NULL, OPT_NO_NEW_KEYRING },
  { "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
  { "detach", no_argument, NULL, 'd' }, /* run only: rejected for create below */
  { "keep", no_argument, NULL, OPT_KEEP }, /* run only, too */
  { NULL, 0, NULL, 0 },
};

struct create_opts
{
  struct skiff_context *ctx;
  const char *cmd;
  bool run;
  const char *bundle;
};

static int
handle (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct create_opts *o = data;
  struct skiff_context *ctx = o->ctx;
  unsigned long long n;

  switch (opt)
    {
    case 'b':
      o->bundle = arg;
      return 0;
    case OPT_PID_FILE:
      ctx->pid_file = arg;
      return 0;
    case OPT_CONSOLE_SOCKET:
      ctx->console_socket = arg;
      return 0;
    case OPT_PRESERVE_FDS:
      if (parse_uint64 (arg, &n) < 0 || n > 65536)
        return skiff_usage_error (err, o->cmd, "--preserve-fds: not a count: `%s`", arg);
      ctx->preserve_fds = (int) n;
      return 0;
    case OPT_NO_PIVOT:
      ctx->no_pivot = true;
      return 0;
    case OPT_NO_NEW_KEYRING:
      ctx->no_new_keyring = true;
      return 0;
    case OPT_NO_SUBREAPER:
      return 0; /* accepted for runc compatibility; skiff run is the parent anyway */
    case 'd':
      if (! o->run)
        return skiff_usage_error (err, o->cmd, "unknown option `--detach`");
      ctx->detach = true;
      return 0;
    case OPT_KEEP:
      if (! o->run)
        return skiff_usage_error (err, o->cmd, "unknown option `--keep`");
      ctx->keep = true;
      return 0;
    default:
      return skiff_usage_error (err, o->cmd, "unknown option");
    }
}

int
skiff_parse_create_options (struct skiff_context *ctx, int argc, char **argv, bool run,
                            char **bundle, skiff_error_t *err)
{
  struct create_opts o = { .ctx = ctx, .cmd = argv[0], .run = run };
  char *abs;
  int ret;

  ret = skiff_parse_id_options (ctx, argc, argv, run ? "b:d" : "b:", create_options, handle, &o,
                                err);
  if (ret != 0)
    return ret;

  /* The state records an absolute bundle path: hooks and callers read it.  */
  abs = realpath (o.bundle ? o.bundle : ".", NULL);
  if (abs == NULL)
    return skiff_error_sys (err, "%s %s: bundle `%s`", argv[0], ctx->id,
                            o.bundle ? o.bundle : ".");
  ctx->bundle = *bundle = abs;
  return 0;
}

int
skiff_cmd_create (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  cleanup_free char *bundle = NULL;
  int ret = skiff_parse_create_options (ctx, argc, argv, false, &bundle, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (skiff_container_create (ctx, err) < 0)
    return -1;
  return 0;
}
