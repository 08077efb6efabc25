/* skiff restore: a new container from a checkpoint (skiff checkpoint).  */
#include <config.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "criu.h"
#include "utils.h"

enum
{
  OPT_IMAGE_PATH = 1000,
  OPT_WORK_PATH,
  OPT_PID_FILE,
  OPT_CONSOLE_SOCKET,
  OPT_TCP_ESTABLISHED,
  OPT_EXT_UNIX_SK,
  OPT_SHELL_JOB,
  OPT_FILE_LOCKS,
  OPT_MANAGE_CGROUPS_MODE,
  OPT_NO_PIVOT,
  OPT_NO_SUBREAPER,
};

static const struct option restore_options[] = {
  { "image-path", required_argument, NULL, OPT_IMAGE_PATH },
  { "work-path", required_argument, NULL, OPT_WORK_PATH },
  { "bundle", required_argument, NULL, 'b' },
  { "detach", no_argument, NULL, 'd' },
  { "pid-file", required_argument, NULL, OPT_PID_FILE },
  { "console-socket", required_argument, NULL, OPT_CONSOLE_SOCKET },
  { "tcp-established", no_argument, NULL, OPT_TCP_ESTABLISHED },
  { "ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX_SK },
  { "shell-job", no_argument, NULL, OPT_SHELL_JOB },
  { "file-locks", no_argument, NULL, OPT_FILE_LOCKS },
  { "manage-cgroups-mode", required_argument, NULL, OPT_MANAGE_CGROUPS_MODE },
  { "no-pivot", no_argument, NULL, OPT_NO_PIVOT },
  { "no-subreaper", no_argument, NULL, OPT_NO_SUBREAPER },
  { NULL, 0, NULL, 0 },
};

struct restore_cli
{
  struct skiff_context *ctx;
  struct skiff_criu_opts o;
  const char *bundle;
};

static int
handle (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct restore_cli *r = data;
  switch (opt)
    {
    case OPT_IMAGE_PATH: r->o.image_path = arg; break;
    case OPT_WORK_PATH: r->o.work_path = arg; break;
    case 'b': r->bundle = arg; break;
    case 'd': r->ctx->detach = true; break;
    case OPT_PID_FILE: r->ctx->pid_file = arg; break;
    case OPT_CONSOLE_SOCKET: r->ctx->console_socket = arg; break;
    case OPT_TCP_ESTABLISHED: r->o.tcp_established = true; break;
    case OPT_EXT_UNIX_SK: r->o.ext_unix_sk = true; break;
    case OPT_SHELL_JOB: r->o.shell_job = true; break;
    case OPT_FILE_LOCKS: r->o.file_locks = true; break;
    case OPT_MANAGE_CGROUPS_MODE:
      if (! skiff_criu_cgroups_mode_valid (arg))
        return skiff_usage_error (err, "restore", "--manage-cgroups-mode: unknown mode `%s` "
                                  "(soft, full, strict or ignore)", arg);
      r->o.cgroups_mode = arg;
      break;
    /* CRIU builds the mount table itself (no pivot_root of ours), and the
       restored process is our child without a subreaper: both are
       accepted for runc's callers.  */
    case OPT_NO_PIVOT:
    case OPT_NO_SUBREAPER:
      break;
    }
  return 0;
}

int
skiff_cmd_restore (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  struct restore_cli r = { .ctx = ctx, .o = { .image_path = "checkpoint" } };
  cleanup_free char *bundle = NULL;
  int status = 0;
  int ret;

  /* containerd's runc shim (go-runc) passes it with one dash, which runc's
     flag parser accepts.  */
  for (int i = 1; i < argc && strcmp (argv[i], "--") != 0; i++)
    if (strcmp (argv[i], "-no-subreaper") == 0)
      argv[i] = (char *) "--no-subreaper";
  ret = skiff_parse_id_options (ctx, argc, argv, "b:d", restore_options, handle, &r, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  /* The state records an absolute bundle path, as create's does.  */
  bundle = realpath (r.bundle ? r.bundle : ".", NULL);
  if (bundle == NULL)
    return skiff_error_sys (err, "restore %s: bundle `%s`", ctx->id, r.bundle ? r.bundle : ".");
  ctx->bundle = bundle;
  if (skiff_criu_restore (ctx, &r.o, &status, err) < 0)
    return -1;
  return status;
}
