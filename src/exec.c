/* skiff exec: run a new process in a container (runc's options).  */
#include <config.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "container.h"
#include "log.h"
#include "utils.h"

enum
{
  OPT_PROCESS = 1000,
  OPT_CONSOLE_SOCKET,
  OPT_PID_FILE,
  OPT_CWD,
  OPT_CAP,
  OPT_NO_NEW_PRIVS,
  OPT_IGNORE_PAUSED,
  OPT_PRESERVE_FDS,
  OPT_PROCESS_LABEL,
  OPT_APPARMOR,
  OPT_CGROUP,
};

static const struct option exec_options[] = {
  { "process", required_argument, NULL, OPT_PROCESS },
  { "detach", no_argument, NULL, 'd' },
  { "tty", no_argument, NULL, 't' },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "cwd", required_argument, NULL, OPT_CWD },
  { "env", required_argument, NULL, 'e' },
  { "user", required_argument, NULL, 'u' },
  { "cap", required_argument, NULL, OPT_CAP },
  { "no-new-privs", no_argument, NULL, OPT_NO_NEW_PRIVS },
  { "ignore-paused", no_argument, NULL, OPT_IGNORE_PAUSED },
  { "preserve-fds", required_argument, NULL, OPT_PRESERVE_FDS },
  { "process-label", required_argument, NULL, OPT_PROCESS_LABEL },
  { "apparmor", required_argument, NULL, OPT_APPARMOR },
  { "additional-gids", required_argument, NULL, 'g' },
  { "cgroup", required_argument, NULL, OPT_CGROUP },
  { NULL, 0, NULL, 0 },
};

struct exec_cli
{
  struct skiff_context *ctx;
  struct skiff_exec_opts o;
  size_t n_env, n_caps, n_gids, n_cgroups;
  const char *cmd;
};

static void
push (char ***v, size_t *n, const char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[(*n)++] = (char *) s;
  (*v)[*n] = NULL;
}

static int
handle (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct exec_cli *c = data;
  unsigned long long n;

  switch (opt)
    {
    case OPT_PROCESS:
      c->o.process_file = arg;
      break;
    case 'd':
      c->ctx->detach = true;
      break;
    case 't':
      c->o.tty = true;
      break;
    case OPT_CONSOLE_SOCKET:
      c->ctx->console_socket = arg;
      break;
    case OPT_PID_FILE:
      c->ctx->pid_file = arg;
      break;
    case OPT_CWD:
      c->o.cwd = arg;
      break;
    case 'e':
      if (strchr (arg, '=') == NULL)
        return skiff_usage_error (err, c->cmd, "--env `%s`: want KEY=VALUE", arg);
      push (&c->o.env, &c->n_env, arg);
      break;
    case 'u':
      c->o.user = arg;
      break;
    case OPT_CAP:
      push (&c->o.caps, &c->n_caps, arg);
      break;
    case OPT_NO_NEW_PRIVS:
      c->o.no_new_privs = true;
      break;
    case OPT_IGNORE_PAUSED:
      c->o.ignore_paused = true;
      break;
    case OPT_PRESERVE_FDS:
      if (parse_uint64 (arg, &n) < 0 || n > 65536)
        return skiff_usage_error (err, c->cmd, "--preserve-fds: not a count: `%s`", arg);
      c->ctx->preserve_fds = (int) n;
      break;
    case OPT_PROCESS_LABEL:
      c->o.process_label = arg;
      break;
    case OPT_APPARMOR:
      c->o.apparmor = arg;
      break;
    case 'g':
      push (&c->o.additional_gids, &c->n_gids, arg);
      break;
    case OPT_CGROUP:
      push (&c->o.cgroups, &c->n_cgroups, arg);
      break;
    default:
      break;
    }
  return 0;
}

int
skiff_cmd_exec (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  struct exec_cli c = { .ctx = ctx, .cmd = argv[0] };
  bool help = false;
  int status = 0, first;

  first = skiff_parse_options (argc, argv, "dte:u:g:", exec_options, handle, &c, &help, err);
  if (first < 0)
    goto out_err;
  if (help)
    goto out;
  if (skiff_expect_args (argc, argv, first, 1, -1, err) < 0)
    goto out_err;
  ctx->id = argv[first];
  c.o.args = argv + first + 1;
  if (c.o.process_file == NULL && c.o.args[0] == NULL)
    {
      skiff_usage_error (err, argv[0], "missing the command to run (or --process FILE)");
      goto out_err;
    }
  if (skiff_container_exec (ctx, &c.o, &status, err) < 0)
    {
      if (status != 126 && status != 127)
        goto out_err;
      skiff_log_error (NULL, err); /* could not execute: exit like a shell */
    }
out:
  free (c.o.env);
  free (c.o.caps);
  free (c.o.additional_gids);
  free (c.o.cgroups);
  return status;
out_err:
  free (c.o.env);
  free (c.o.caps);
  free (c.o.additional_gids);
  free (c.o.cgroups);
  return -1;
}
