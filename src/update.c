/* skiff update: change the resource limits of a running container, from a
   LinuxResources JSON document (`--resources FILE|-`, as containerd and
   podman send it) and/or runc's individual flags (which win).  */
#include <config.h>
#include "commands.h"
#include "cgroup.h"
#include "log.h"
#include "state.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>

enum
{
  OPT_RESOURCES = 'r',
  OPT_MEMORY = 1000,
  OPT_MEMORY_RESERVATION,
  OPT_MEMORY_SWAP,
  OPT_KERNEL_MEMORY,
  OPT_KERNEL_MEMORY_TCP,
  OPT_CPU_QUOTA,
  OPT_CPU_PERIOD,
  OPT_CPU_SHARE,
  OPT_CPU_BURST,
  OPT_CPU_IDLE,
  OPT_CPU_RT_PERIOD,
  OPT_CPU_RT_RUNTIME,
  OPT_CPUSET_CPUS,
  OPT_CPUSET_MEMS,
  OPT_PIDS_LIMIT,
  OPT_BLKIO_WEIGHT,
};

static const struct option update_options[] = {
  { "resources", required_argument, NULL, OPT_RESOURCES },
  { "memory", required_argument, NULL, OPT_MEMORY },
  { "memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION },
  { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
  { "kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY },
  { "kernel-memory-tcp", required_argument, NULL, OPT_KERNEL_MEMORY_TCP },
  { "cpu-quota", required_argument, NULL, OPT_CPU_QUOTA },
  { "cpu-period", required_argument, NULL, OPT_CPU_PERIOD },
  { "cpu-share", required_argument, NULL, OPT_CPU_SHARE },
  { "cpu-burst", required_argument, NULL, OPT_CPU_BURST },
  { "cpu-idle", required_argument, NULL, OPT_CPU_IDLE },
  { "cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD },
  { "cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME },
  { "cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS },
  { "cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS },
  { "pids-limit", required_argument, NULL, OPT_PIDS_LIMIT },
  { "blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT },
  { NULL, 0, NULL, 0 },
};

struct update_opts
{
  const char *resources_file;
  oci_resources *flags; /* values from the individual flags */
};

static oci_memory *
memory_of (oci_resources *r)
{
  if (r->memory == NULL)
    r->memory = xmalloc0 (sizeof (*r->memory));
  return r->memory;
}

static oci_cpu *
cpu_of (oci_resources *r)
{
  if (r->cpu == NULL)
    r->cpu = xmalloc0 (sizeof (*r->cpu));
  return r->cpu;
}

static int
parse_int (const char *name, const char *arg, long long *out, skiff_error_t *err)
{
  char *end;
  errno = 0;
  *out = strtoll (arg, &end, 10);
  if (errno || end == arg || *end)
    return skiff_usage_error (err, "update", "--%s: invalid number `%s`", name, arg);
  return 0;
}

static int
handle_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct update_opts *o = data;
  oci_resources *r = o->flags;
  long long v;

  switch (opt)
    {
    case OPT_RESOURCES:
      o->resources_file = arg;
      return 0;
    case OPT_MEMORY:
    case OPT_MEMORY_RESERVATION:
    case OPT_MEMORY_SWAP:
      if (skiff_parse_size (arg, &v) < 0)
        return skiff_usage_error (err, "update", "invalid size `%s` (e.g. 512m, 1g, -1)", arg);
      if (opt == OPT_MEMORY)
        memory_of (r)->limit = v, memory_of (r)->limit_present = true;
      else if (opt == OPT_MEMORY_RESERVATION)
        memory_of (r)->reservation = v, memory_of (r)->reservation_present = true;
      else
        memory_of (r)->swap = v, memory_of (r)->swap_present = true;
      return 0;
    case OPT_KERNEL_MEMORY:
    case OPT_KERNEL_MEMORY_TCP:
      skiff_warn ("update: kernel memory limits do not exist in cgroup v2: ignored");
      return 0;
    case OPT_CPU_QUOTA:
      if (parse_int ("cpu-quota", arg, &v, err) < 0)
        return -1;
      cpu_of (r)->quota = v, cpu_of (r)->quota_present = true;
      return 0;
    case OPT_CPU_IDLE:
      if (parse_int ("cpu-idle", arg, &v, err) < 0)
        return -1;
      cpu_of (r)->idle = v, cpu_of (r)->idle_present = true;
      return 0;
    case OPT_CPU_RT_RUNTIME:
      if (parse_int ("cpu-rt-runtime", arg, &v, err) < 0)
        return -1;
      cpu_of (r)->realtime_runtime = v, cpu_of (r)->realtime_runtime_present = true;
      return 0;
    case OPT_CPU_PERIOD:
    case OPT_CPU_SHARE:
    case OPT_CPU_BURST:
    case OPT_CPU_RT_PERIOD:
    case OPT_PIDS_LIMIT:
    case OPT_BLKIO_WEIGHT:
      if (parse_int (opt == OPT_CPU_PERIOD ? "cpu-period" : opt == OPT_CPU_SHARE ? "cpu-share"
                     : opt == OPT_CPU_BURST ? "cpu-burst" : opt == OPT_CPU_RT_PERIOD
                     ? "cpu-rt-period" : opt == OPT_PIDS_LIMIT ? "pids-limit" : "blkio-weight",
                     arg, &v, err) < 0)
        return -1;
      if (v < 0 && opt != OPT_PIDS_LIMIT)
        return skiff_usage_error (err, "update", "negative value `%s`", arg);
      if (opt == OPT_CPU_PERIOD)
        cpu_of (r)->period = v, cpu_of (r)->period_present = true;
      else if (opt == OPT_CPU_SHARE)
        cpu_of (r)->shares = v, cpu_of (r)->shares_present = true;
      else if (opt == OPT_CPU_BURST)
        cpu_of (r)->burst = v, cpu_of (r)->burst_present = true;
      else if (opt == OPT_CPU_RT_PERIOD)
        cpu_of (r)->realtime_period = v, cpu_of (r)->realtime_period_present = true;
      else if (opt == OPT_PIDS_LIMIT)
        {
          if (r->pids == NULL)
            r->pids = xmalloc0 (sizeof (*r->pids));
          r->pids->limit = v;
        }
      else
        {
          if (v < 10 || v > 1000)
            return skiff_usage_error (err, "update", "--blkio-weight must be 10..1000");
          if (r->block_io == NULL)
            r->block_io = xmalloc0 (sizeof (*r->block_io));
          r->block_io->weight = v;
          r->block_io->weight_present = true;
        }
      return 0;
    case OPT_CPUSET_CPUS:
      free (cpu_of (r)->cpus);
      cpu_of (r)->cpus = xstrdup (arg);
      return 0;
    case OPT_CPUSET_MEMS:
      free (cpu_of (r)->mems);
      cpu_of (r)->mems = xstrdup (arg);
      return 0;
    }
  return skiff_usage_error (err, "update", "unexpected option");
}

static int
read_resources (const char *file, oci_resources **out, skiff_error_t *err)
{
  cleanup_free char *data = NULL, *perr = NULL;
  size_t len = 0;
  bool is_stdin = strcmp (file, "-") == 0;

  if (read_file_at (AT_FDCWD, is_stdin ? "/dev/stdin" : file, &data, &len, err) < 0)
    return skiff_error_wrap (err, "update: read resources");
  *out = oci_resources_parse_data (data, len, is_stdin ? "stdin" : file, &perr);
  if (*out == NULL)
    return skiff_error_make (err, EINVAL, "update: invalid resources document: %s",
                             perr ? perr : "parse error");
  return 0;
}

/* Copy the flag values over RES (flags win over the document).  */
static void
merge_flags (oci_resources *res, oci_resources *flags)
{
  if (flags->memory)
    {
      oci_memory *m = memory_of (res), *f = flags->memory;
      if (f->limit_present)
        m->limit = f->limit, m->limit_present = true;
      if (f->reservation_present)
        m->reservation = f->reservation, m->reservation_present = true;
      if (f->swap_present)
        m->swap = f->swap, m->swap_present = true;
    }
  if (flags->cpu)
    {
      oci_cpu *c = cpu_of (res), *f = flags->cpu;
#define COPY(field) if (f->field##_present) c->field = f->field, c->field##_present = true
      COPY (quota);
      COPY (period);
      COPY (shares);
      COPY (burst);
      COPY (idle);
      COPY (realtime_runtime);
      COPY (realtime_period);
#undef COPY
      if (f->cpus)
        free (c->cpus), c->cpus = steal_pointer (&f->cpus);
      if (f->mems)
        free (c->mems), c->mems = steal_pointer (&f->mems);
    }
  if (flags->pids)
    {
      free (res->pids);
      res->pids = steal_pointer (&flags->pids);
    }
  if (flags->block_io)
    {
      if (res->block_io == NULL)
        res->block_io = xmalloc0 (sizeof (*res->block_io));
      res->block_io->weight = flags->block_io->weight;
      res->block_io->weight_present = true;
    }
}

int
skiff_cmd_update (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  struct update_opts o = { 0 };
  oci_resources *res = NULL;
  struct skiff_state *st = NULL;
  struct skiff_cgroup *cg = NULL;
  cleanup_close int dirfd = -1;
  enum skiff_status status;
  int ret;

  o.flags = xmalloc0 (sizeof (*o.flags));
  ret = skiff_parse_id_options (ctx, argc, argv, "r:", update_options, handle_option, &o, err);
  if (ret != 0)
    {
      ret = ret < 0 ? ret : 0;
      goto out;
    }
  ret = -1;
  const char *id = ctx->id;

  if (o.resources_file)
    {
      if (read_resources (o.resources_file, &res, err) < 0)
        goto out;
    }
  else
    res = xmalloc0 (sizeof (*res));
  merge_flags (res, o.flags);

  dirfd = skiff_state_open_dir (ctx->state_root, id, err);
  if (dirfd < 0)
    goto out;
  if (skiff_state_read (dirfd, &st, err) < 0 || skiff_state_status (dirfd, st, &status, err) < 0)
    goto out;
  if (status == SKIFF_STATUS_STOPPED)
    {
      skiff_error_make (err, 0, "update: container `%s` is stopped", id);
      goto out;
    }
  if (st->cgroup_path == NULL)
    {
      skiff_error_make (err, ENOTSUP, "update: container `%s` has no cgroup (created with "
                                      "--cgroup-manager disabled)", id);
      goto out;
    }
  if (skiff_cgroup_open (st->cgroup_path, &cg, err) < 0)
    goto out;
  skiff_cgroup_use_systemd (cg, st->cgroup_manager == SKIFF_CGROUP_MANAGER_SYSTEMD);
  if (skiff_cgroup_update (cg, res, err) < 0)
    {
      skiff_error_wrap (err, "update %s", id);
      goto out;
    }
  ret = 0;

out:
  skiff_cgroup_free (cg);
  if (st)
    skiff_state_free (st);
  if (res)
    oci_resources_free (res);
  oci_resources_free (o.flags);
  return ret;
}
