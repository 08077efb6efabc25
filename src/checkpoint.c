/* skiff checkpoint: save a running container's processes with CRIU.  */
#include <config.h>

#include <string.h>

#include "commands.h"
#include "criu.h"

enum
{
  OPT_IMAGE_PATH = 1000,
  OPT_WORK_PATH,
  OPT_PARENT_PATH,
  OPT_LEAVE_RUNNING,
  OPT_TCP_ESTABLISHED,
  OPT_EXT_UNIX_SK,
  OPT_SHELL_JOB,
  OPT_FILE_LOCKS,
  OPT_PRE_DUMP,
  OPT_MANAGE_CGROUPS_MODE,
  OPT_EMPTY_NS,
};

static const struct option checkpoint_options[] = {
  { "image-path", required_argument, NULL, OPT_IMAGE_PATH },
  { "work-path", required_argument, NULL, OPT_WORK_PATH },
  { "parent-path", required_argument, NULL, OPT_PARENT_PATH },
  { "leave-running", no_argument, NULL, OPT_LEAVE_RUNNING },
  { "tcp-established", no_argument, NULL, OPT_TCP_ESTABLISHED },
  { "ext-unix-sk", no_argument, NULL, OPT_EXT_UNIX_SK },
  { "shell-job", no_argument, NULL, OPT_SHELL_JOB },
  { "file-locks", no_argument, NULL, OPT_FILE_LOCKS },
  { "pre-dump", no_argument, NULL, OPT_PRE_DUMP },
  { "manage-cgroups-mode", required_argument, NULL, OPT_MANAGE_CGROUPS_MODE },
  { "empty-ns", required_argument, NULL, OPT_EMPTY_NS },
  { NULL, 0, NULL, 0 },
};

static int
handle (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct skiff_criu_opts *o = data;
  switch (opt)
    {
    case OPT_IMAGE_PATH: o->image_path = arg; break;
    case OPT_WORK_PATH: o->work_path = arg; break;
    case OPT_PARENT_PATH: o->parent_path = arg; break;
    case OPT_LEAVE_RUNNING: o->leave_running = true; break;
    case OPT_TCP_ESTABLISHED: o->tcp_established = true; break;
    case OPT_EXT_UNIX_SK: o->ext_unix_sk = true; break;
    case OPT_SHELL_JOB: o->shell_job = true; break;
    case OPT_FILE_LOCKS: o->file_locks = true; break;
    case OPT_PRE_DUMP: o->pre_dump = true; break;
    case OPT_MANAGE_CGROUPS_MODE:
      if (! skiff_criu_cgroups_mode_valid (arg))
        return skiff_usage_error (err, "checkpoint", "--manage-cgroups-mode: unknown mode `%s` "
                                  "(soft, full, strict or ignore)", arg);
      o->cgroups_mode = arg;
      break;
    case OPT_EMPTY_NS:
      if (strcmp (arg, "network") != 0)
        return skiff_usage_error (err, "checkpoint", "--empty-ns: only `network` can be left "
                                  "empty, not `%s`", arg);
      o->empty_ns = arg;
      break;
    }
  return 0;
}

int
skiff_cmd_checkpoint (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  /* runc's default: ./checkpoint */
  struct skiff_criu_opts o = { .image_path = "checkpoint" };
  int ret = skiff_parse_id_options (ctx, argc, argv, "", checkpoint_options, handle, &o, err);

  if (ret != 0)
    return ret < 0 ? ret : 0;
  return skiff_criu_checkpoint (ctx, &o, err) < 0 ? -1 : 0;
}
