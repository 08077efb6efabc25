/* skiff: linux.resources -> cgroup v2 interface files.  */
#include <config.h>
#include "cgroup.h"
#include "cgroup_internal.h"
#include "log.h"
#include "utils.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

/* cpu.shares (v1, 2..262144, default 1024) -> cpu.weight (v2, 1..10000,
   default 100).  A quadratic curve in log space maps the minimum, the
   default and the maximum exactly onto each other (2->1, 1024->100,
   262144->10000), which the old linear formula did not (it sent 1024 to
   39).  This is the formula current runc and crun use.  */
unsigned long long
skiff_cgroup_shares_to_weight (unsigned long long shares)
{
  if (shares == 0)
    return 0;
  if (shares <= 2)
    return 1;
  if (shares >= 262144)
    return 10000;
  double l = log2 ((double) shares);
  double exponent = (l * l + 125.0 * l) / 612.0 - 7.0 / 34.0;
  return (unsigned long long) ceil (pow (10.0, exponent));
}

/* blkio.weight (10..1000) -> io.weight (1..10000), linearly.  */
unsigned long long
skiff_cgroup_blkio_to_io_weight (unsigned long long w)
{
  if (w < 10)
    w = 10;
  if (w > 1000)
    w = 1000;
  return 1 + (w - 10) * 9999 / 990;
}

int
skiff_parse_size (const char *s, long long *out)
{
  char *end;
  long long v, mult = 1;

  if (s == NULL || *s == '\0')
    return -1;
  if (strcmp (s, "-1") == 0)
    {
      *out = -1;
      return 0;
    }
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno || end == s || v < 0)
    return -1;
  switch (tolower ((unsigned char) *end))
    {
    case '\0': break;
    case 'b': mult = 1; end++; break;
    case 'k': mult = 1LL << 10; end++; break;
    case 'm': mult = 1LL << 20; end++; break;
    case 'g': mult = 1LL << 30; end++; break;
    case 't': mult = 1LL << 40; end++; break;
    default: return -1;
    }
  /* "512m", "512mb", "512MiB" */
  if (*end && mult > 1 && tolower ((unsigned char) *end) == 'i')
    end++;
  if (*end && mult > 1 && tolower ((unsigned char) *end) == 'b')
    end++;
  if (*end)
    return -1;
  if (v > LLONG_MAX / mult)
    return -1;
  *out = v * mult;
  return 0;
}

static void
strv_add (char ***v, const char *s)
{
  size_t n = strv_len (*v);
  for (size_t i = 0; i < n; i++)
    if (strcmp ((*v)[i], s) == 0)
      return;
  *v = xrealloc (*v, (n + 2) * sizeof (char *));
  (*v)[n] = xstrdup (s);
  (*v)[n + 1] = NULL;
}

static bool
memory_requested (const oci_memory *m)
{
  return m && ((m->limit_present && m->limit != 0) || (m->reservation_present && m->reservation != 0)
               || (m->swap_present && m->swap != 0));
}

static bool
cpu_weight_requested (const oci_cpu *c)
{
  return c && c->shares_present && c->shares != 0;
}

static bool
cpu_other_requested (const oci_cpu *c)
{
  return c && ((c->quota_present && c->quota != 0) || (c->period_present && c->period != 0)
               || c->burst_present || c->idle_present);
}

static bool
cpuset_requested (const oci_cpu *c)
{
  return c && ((c->cpus && *c->cpus) || (c->mems && *c->mems));
}

static bool
io_requested (const oci_block_io *b)
{
  return b && ((b->weight_present && b->weight) || b->weight_device_len
               || b->throttle_read_bps_device_len || b->throttle_write_bps_device_len
               || b->throttle_read_iops_device_len || b->throttle_write_iops_device_len);
}

static int
missing_controller (const struct skiff_cgroup *cg, const char *field, const char *ctrl,
                    skiff_error_t *err)
{
  if (cg->hybrid)
    return skiff_error_make (err, ENOTSUP,
                             "linux.resources.%s: the %s controller is not available in %s "
                             "(cgroup v1 hybrid host); use --cgroup-manager disabled or remove "
                             "the limit", field, ctrl, cg->mountpoint);
  return skiff_error_make (err, ENOTSUP,
                           "linux.resources.%s: the %s controller is not available in %s (not "
                           "listed in cgroup.controllers); remove the limit",
                           field, ctrl, cg->mountpoint);
}

/* Policy on a host without a controller: a limit the user asked for is an
   error (silently running without a requested memory limit is worse than
   failing).  Two values, however, are defaults that callers set on every
   container without anyone asking: podman's pids limit (2048) and
   containerd's cpu shares.  runc fails every container on such hosts;
   skiff warns and runs without them, since they only bound fairness and
   fork bombs, not anything the workload relies on.  */
int
skiff_cgroup_needed_controllers (const struct skiff_cgroup *cg, const oci_resources *res,
                                 bool is_update, char ***ctrls, struct skiff_cgroup_skip *skip,
                                 skiff_error_t *err)
{
  const char *mp = cg->mountpoint;

  *ctrls = xmalloc0 (sizeof (char *));
  memset (skip, 0, sizeof (*skip));
  if (res == NULL)
    return 0;

  if (res->cpu && ((res->cpu->realtime_runtime_present && res->cpu->realtime_runtime != 0)
                   || (res->cpu->realtime_period_present && res->cpu->realtime_period != 0)))
    return skiff_error_make (err, ENOTSUP,
                             "linux.resources.cpu.realtimeRuntime/realtimePeriod: realtime "
                             "bandwidth (cpu.rt_runtime_us) exists only in cgroup v1; cgroup v2 "
                             "has no equivalent, remove them");

  /* Values that only say "unlimited" (-1, a period without a quota, ...)
     need no controller: without one, they already hold.  */
  if (memory_requested (res->memory))
    {
      const oci_memory *m = res->memory;
      if (skiff_cgroup_controller_available (mp, "memory"))
        strv_add (ctrls, "memory");
      else if ((m->limit_present && m->limit > 0) || (m->reservation_present && m->reservation > 0)
               || (m->swap_present && m->swap > 0))
        return missing_controller (cg, "memory", "memory", err);
      else
        skip->memory = true;
    }
  if (cpu_other_requested (res->cpu))
    {
      const oci_cpu *c = res->cpu;
      if (skiff_cgroup_controller_available (mp, "cpu"))
        strv_add (ctrls, "cpu");
      else if ((c->quota_present && c->quota > 0) || (c->burst_present && c->burst > 0)
               || (c->idle_present && c->idle != 0))
        return missing_controller (cg, "cpu", "cpu", err);
      else
        skip->cpu_max = true;
    }
  if (cpu_weight_requested (res->cpu))
    {
      if (skiff_cgroup_controller_available (mp, "cpu"))
        strv_add (ctrls, "cpu");
      else
        {
          skip->cpu_shares = true;
          skiff_warn ("linux.resources.cpu.shares: the cpu controller is not available in %s%s; "
                      "running without cpu shares %llu", mp,
                      cg->hybrid ? " (cgroup v1 hybrid host)" : "",
                      (unsigned long long) res->cpu->shares);
        }
    }
  if (cpuset_requested (res->cpu))
    {
      if (!skiff_cgroup_controller_available (mp, "cpuset"))
        return missing_controller (cg, "cpu.cpus/mems", "cpuset", err);
      strv_add (ctrls, "cpuset");
    }
  if (res->pids)
    {
      if (skiff_cgroup_controller_available (mp, "pids"))
        strv_add (ctrls, "pids");
      else if (res->pids->limit <= 0)
        skip->pids = true; /* unlimited anyway */
      else
        {
          skip->pids = true;
          skiff_warn ("linux.resources.pids: the pids controller is not available in %s%s; "
                      "running without pids limit %lld", mp,
                      cg->hybrid ? " (cgroup v1 hybrid host)" : "",
                      (long long) res->pids->limit);
        }
    }
  if (io_requested (res->block_io))
    {
      if (!skiff_cgroup_controller_available (mp, "io"))
        return missing_controller (cg, "blockIO", "io", err);
      strv_add (ctrls, "io");
    }
  if (res->hugepage_limits_len)
    {
      if (!skiff_cgroup_controller_available (mp, "hugetlb"))
        return missing_controller (cg, "hugepageLimits", "hugetlb", err);
      strv_add (ctrls, "hugetlb");
    }
  if (res->rdma && res->rdma->len)
    {
      if (!skiff_cgroup_controller_available (mp, "rdma"))
        return missing_controller (cg, "rdma", "rdma", err);
      strv_add (ctrls, "rdma");
    }
  if (res->unified)
    for (size_t i = 0; i < res->unified->len; i++)
      {
        const char *key = res->unified->keys[i];
        const char *dot = strchr (key, '.');
        if (dot == NULL || dot == key || strchr (key, '/') || strstr (key, ".."))
          return skiff_error_make (err, EINVAL,
                                   "linux.resources.unified: invalid key `%s` (expected a file "
                                   "name like memory.high)", key);
        cleanup_free char *ctrl = strndup (key, dot - key);
        if (ctrl == NULL)
          return skiff_error_make (err, ENOMEM, "linux.resources.unified");
        if (strcmp (ctrl, "cgroup") == 0)
          continue;
        if (!skiff_cgroup_controller_available (mp, ctrl))
          {
            cleanup_free char *field = xasprintf ("unified.%s", key);
            return missing_controller (cg, field, ctrl, err);
          }
        strv_add (ctrls, ctrl);
      }
  if (res->network && (res->network->class_id_present || res->network->priorities_len))
    skiff_warn ("linux.resources.network: net_cls/net_prio exist only in cgroup v1: ignored");
  (void) is_update;
  return 0;
}

static int
write_u64 (const struct skiff_cgroup *cg, const char *file, unsigned long long v, skiff_error_t *err)
{
  char buf[32];
  snprintf (buf, sizeof (buf), "%llu", v);
  return skiff_cgroup_write (cg, file, buf, err);
}

/* -1 (or any negative) means unlimited.  */
static int
write_limit (const struct skiff_cgroup *cg, const char *file, long long v, skiff_error_t *err)
{
  if (v < 0)
    return skiff_cgroup_write (cg, file, "max", err);
  return write_u64 (cg, file, (unsigned long long) v, err);
}

static bool
cgroup_has_file (const struct skiff_cgroup *cg, const char *file)
{
  return faccessat (cg->pathfd, file, F_OK, 0) == 0;
}

static int
apply_memory (const struct skiff_cgroup *cg, const oci_memory *m, bool is_update, skiff_error_t *err)
{
  long long limit = 0;
  bool have_limit = m->limit_present && m->limit != 0;

  if (have_limit)
    {
      limit = m->limit;
      if (is_update && m->check_before_update_present && m->check_before_update && limit > 0)
        {
          cleanup_free char *cur = NULL;
          unsigned long long usage;
          if (skiff_cgroup_read (cg, "memory.current", &cur, err) < 0)
            return -1;
          if (parse_uint64 (strtok (cur, "\n"), &usage) == 0 && (unsigned long long) limit < usage)
            return skiff_error_make (err, EBUSY,
                                     "linux.resources.memory.limit: new limit %lld is below the "
                                     "current usage %llu (checkBeforeUpdate)", limit, usage);
        }
      if (write_limit (cg, "memory.max", limit, err) < 0)
        return skiff_error_wrap (err, "linux.resources.memory.limit");
    }
  if (m->swap_present && m->swap != 0)
    {
      /* The spec's swap is memory+swap (v1 memsw); v2 limits swap alone.  */
      if (!cgroup_has_file (cg, "memory.swap.max"))
        skiff_warn ("linux.resources.memory.swap: no swap accounting on this kernel "
                    "(memory.swap.max missing): ignored");
      else if (m->swap < 0)
        {
          if (skiff_cgroup_write (cg, "memory.swap.max", "max", err) < 0)
            return skiff_error_wrap (err, "linux.resources.memory.swap");
        }
      else
        {
          if (!have_limit)
            {
              cleanup_free char *cur = NULL;
              unsigned long long v;
              if (skiff_cgroup_read (cg, "memory.max", &cur, err) < 0)
                return -1;
              if (parse_uint64 (strtok (cur, "\n"), &v) < 0)
                return skiff_error_make (err, EINVAL,
                                         "linux.resources.memory.swap: memory+swap %lld needs a "
                                         "memory limit", (long long) m->swap);
              limit = (long long) v;
            }
          else if (limit < 0)
            return skiff_error_make (err, EINVAL,
                                     "linux.resources.memory.swap: memory+swap %lld with an "
                                     "unlimited memory limit", (long long) m->swap);
          if (m->swap < limit)
            return skiff_error_make (err, EINVAL,
                                     "linux.resources.memory.swap: memory+swap %lld is lower than "
                                     "the memory limit %lld", (long long) m->swap, limit);
          if (write_u64 (cg, "memory.swap.max", m->swap - limit, err) < 0)
            return skiff_error_wrap (err, "linux.resources.memory.swap");
        }
    }
  if (m->reservation_present && m->reservation != 0)
    if (write_limit (cg, "memory.low", m->reservation, err) < 0)
      return skiff_error_wrap (err, "linux.resources.memory.reservation");
  if (m->disable_oom_killer_present && m->disable_oom_killer)
    skiff_warn ("linux.resources.memory.disableOOMKiller: not supported by cgroup v2: ignored");
  if (m->swappiness_present && m->swappiness <= 100)
    skiff_debug ("linux.resources.memory.swappiness: no per-cgroup swappiness in cgroup v2: "
                 "ignored");
  return 0;
}

static int
apply_cpu (const struct skiff_cgroup *cg, const oci_cpu *c, const struct skiff_cgroup_skip *skip,
           skiff_error_t *err)
{
  if (cpu_weight_requested (c) && !skip->cpu_shares)
    if (write_u64 (cg, "cpu.weight", skiff_cgroup_shares_to_weight (c->shares), err) < 0)
      return skiff_error_wrap (err, "linux.resources.cpu.shares");

  bool set_quota = c->quota_present && c->quota != 0;
  bool set_period = c->period_present && c->period != 0;
  if (skip->cpu_max)
    set_quota = set_period = false;
  if (set_quota || set_period)
    {
      /* Keep whatever half of cpu.max is not given (update may change
         only one of them).  */
      char quota[32] = "max", buf[80];
      unsigned long long period = 100000;
      cleanup_free char *cur = NULL;
      if (skiff_cgroup_read (cg, "cpu.max", &cur, err) < 0)
        return -1;
      if (sscanf (cur, "%31s %llu", quota, &period) < 1)
        return skiff_error_make (err, EINVAL, "unexpected content of %s/cpu.max", cg->path);
      if (set_quota && c->quota < 0)
        snprintf (quota, sizeof (quota), "max");
      else if (set_quota)
        snprintf (quota, sizeof (quota), "%lld", (long long) c->quota);
      if (set_period)
        period = c->period;
      snprintf (buf, sizeof (buf), "%s %llu", quota, period);
      if (skiff_cgroup_write (cg, "cpu.max", buf, err) < 0)
        return skiff_error_wrap (err, "linux.resources.cpu.quota/period");
    }
  if (c->burst_present && !skip->cpu_max)
    if (write_u64 (cg, "cpu.max.burst", c->burst, err) < 0)
      return skiff_error_wrap (err, "linux.resources.cpu.burst");
  if (c->idle_present && !skip->cpu_max)
    {
      char buf[32];
      snprintf (buf, sizeof (buf), "%lld", (long long) c->idle);
      if (skiff_cgroup_write (cg, "cpu.idle", buf, err) < 0)
        return skiff_error_wrap (err, "linux.resources.cpu.idle");
    }
  /* mems before cpus does not matter on v2 (both may be empty = inherit). */
  if (c->cpus && *c->cpus && skiff_cgroup_write (cg, "cpuset.cpus", c->cpus, err) < 0)
    return skiff_error_wrap (err, "linux.resources.cpu.cpus");
  if (c->mems && *c->mems && skiff_cgroup_write (cg, "cpuset.mems", c->mems, err) < 0)
    return skiff_error_wrap (err, "linux.resources.cpu.mems");
  return 0;
}

static int
apply_io (const struct skiff_cgroup *cg, const oci_block_io *b, skiff_error_t *err)
{
  /* BFQ has its own weight file with the v1 range; otherwise io.weight
     (the io.cost controller) with the range converted.  */
  bool bfq = cgroup_has_file (cg, "io.bfq.weight");
  const char *wfile = bfq ? "io.bfq.weight" : "io.weight";
  char buf[128];

  if (b->weight_present && b->weight)
    {
      unsigned long long w = bfq ? b->weight : skiff_cgroup_blkio_to_io_weight (b->weight);
      snprintf (buf, sizeof (buf), "default %llu", w);
      if (skiff_cgroup_write (cg, wfile, buf, err) < 0)
        return skiff_error_wrap (err, "linux.resources.blockIO.weight");
    }
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const oci_weight_device *d = b->weight_device[i];
      if (!d->weight_present)
        continue;
      unsigned long long w = bfq ? d->weight : skiff_cgroup_blkio_to_io_weight (d->weight);
      snprintf (buf, sizeof (buf), "%lld:%lld %llu", (long long) d->major, (long long) d->minor, w);
      if (skiff_cgroup_write (cg, wfile, buf, err) < 0)
        return skiff_error_wrap (err, "linux.resources.blockIO.weightDevice");
    }

  struct
  {
    oci_throttle_device **devs;
    size_t n;
    const char *key, *field;
  } t[] = {
    { b->throttle_read_bps_device, b->throttle_read_bps_device_len, "rbps", "throttleReadBpsDevice" },
    { b->throttle_write_bps_device, b->throttle_write_bps_device_len, "wbps", "throttleWriteBpsDevice" },
    { b->throttle_read_iops_device, b->throttle_read_iops_device_len, "riops", "throttleReadIOPSDevice" },
    { b->throttle_write_iops_device, b->throttle_write_iops_device_len, "wiops", "throttleWriteIOPSDevice" },
  };
  for (size_t k = 0; k < sizeof (t) / sizeof (t[0]); k++)
    for (size_t i = 0; i < t[k].n; i++)
      {
        const oci_throttle_device *d = t[k].devs[i];
        if (d->rate)
          snprintf (buf, sizeof (buf), "%lld:%lld %s=%llu", (long long) d->major,
                    (long long) d->minor, t[k].key, (unsigned long long) d->rate);
        else
          snprintf (buf, sizeof (buf), "%lld:%lld %s=max", (long long) d->major,
                    (long long) d->minor, t[k].key);
        if (skiff_cgroup_write (cg, "io.max", buf, err) < 0)
          return skiff_error_wrap (err, "linux.resources.blockIO.%s", t[k].field);
      }
  return 0;
}

static bool
valid_page_size (const char *s)
{
  size_t i = 0;
  while (isdigit ((unsigned char) s[i]))
    i++;
  return i > 0 && (s[i] == 'K' || s[i] == 'M' || s[i] == 'G') && s[i + 1] == 'B' && s[i + 2] == '\0';
}

static int
apply_hugetlb (const struct skiff_cgroup *cg, const oci_resources *res, skiff_error_t *err)
{
  for (size_t i = 0; i < res->hugepage_limits_len; i++)
    {
      const oci_hugepage_limit *h = res->hugepage_limits[i];
      if (h->page_size == NULL || !valid_page_size (h->page_size))
        return skiff_error_make (err, EINVAL,
                                 "linux.resources.hugepageLimits: invalid page size `%s` "
                                 "(expected e.g. 2MB or 1GB)", h->page_size ? h->page_size : "");
      cleanup_free char *file = xasprintf ("hugetlb.%s.max", h->page_size);
      if (!cgroup_has_file (cg, file))
        return skiff_error_make (err, ENOTSUP,
                                 "linux.resources.hugepageLimits: page size %s is not supported "
                                 "by this kernel (no %s)", h->page_size, file);
      if (write_u64 (cg, file, h->limit, err) < 0)
        return skiff_error_wrap (err, "linux.resources.hugepageLimits[%s]", h->page_size);
      /* Reservations are charged separately when the kernel tracks them. */
      cleanup_free char *rsvd = xasprintf ("hugetlb.%s.rsvd.max", h->page_size);
      if (cgroup_has_file (cg, rsvd) && write_u64 (cg, rsvd, h->limit, err) < 0)
        return skiff_error_wrap (err, "linux.resources.hugepageLimits[%s]", h->page_size);
    }
  return 0;
}

static int
apply_rdma (const struct skiff_cgroup *cg, const oci_rdma_map *rdma, skiff_error_t *err)
{
  for (size_t i = 0; i < rdma->len; i++)
    {
      const char *dev = rdma->keys[i];
      const oci_rdma *r = rdma->values[i];
      char handles[32] = "max", objects[32] = "max";
      if (dev == NULL || *dev == '\0' || strpbrk (dev, " \n/"))
        return skiff_error_make (err, EINVAL, "linux.resources.rdma: invalid device `%s`",
                                 dev ? dev : "");
      if (r->hca_handles_present)
        snprintf (handles, sizeof (handles), "%u", (unsigned) r->hca_handles);
      if (r->hca_objects_present)
        snprintf (objects, sizeof (objects), "%u", (unsigned) r->hca_objects);
      cleanup_free char *line = xasprintf ("%s hca_handle=%s hca_object=%s", dev, handles, objects);
      if (skiff_cgroup_write (cg, "rdma.max", line, err) < 0)
        return skiff_error_wrap (err, "linux.resources.rdma[%s]", dev);
    }
  return 0;
}

static int
apply_unified (const struct skiff_cgroup *cg, const oci_string_map *u, skiff_error_t *err)
{
  for (size_t i = 0; i < u->len; i++)
    {
      const char *key = u->keys[i];
      /* Keys were checked for '/' and ".." already.  Moving processes in
         through the config would let it pull host processes into the
         container's cgroup: refuse those files.  */
      if (strcmp (key, "cgroup.procs") == 0 || strcmp (key, "cgroup.threads") == 0
          || strcmp (key, "cgroup.kill") == 0 || strcmp (key, "cgroup.subtree_control") == 0)
        return skiff_error_make (err, EPERM, "linux.resources.unified: `%s` may not be set", key);
      if (!cgroup_has_file (cg, key))
        return skiff_error_make (err, ENOENT,
                                 "linux.resources.unified: `%s` is not a file of an enabled "
                                 "controller of %s", key, cg->path);
      if (skiff_cgroup_write (cg, key, u->values[i] ? u->values[i] : "", err) < 0)
        return skiff_error_wrap (err, "linux.resources.unified[%s]", key);
    }
  return 0;
}

int
skiff_cgroup_apply_resources (const struct skiff_cgroup *cg, const oci_resources *res,
                              const struct skiff_cgroup_skip *skip, bool is_update,
                              skiff_error_t *err)
{
  if (res == NULL)
    return 0;
  if (res->memory && memory_requested (res->memory) && !skip->memory
      && apply_memory (cg, res->memory, is_update, err) < 0)
    return -1;
  if (res->memory && !memory_requested (res->memory) && res->memory->disable_oom_killer)
    skiff_warn ("linux.resources.memory.disableOOMKiller: not supported by cgroup v2: ignored");
  if (res->cpu && apply_cpu (cg, res->cpu, skip, err) < 0)
    return -1;
  if (res->pids && !skip->pids)
    {
      /* 0 and -1 both mean no limit.  */
      long long l = res->pids->limit;
      if (write_limit (cg, "pids.max", l <= 0 ? -1 : l, err) < 0)
        return skiff_error_wrap (err, "linux.resources.pids.limit");
    }
  if (io_requested (res->block_io) && apply_io (cg, res->block_io, err) < 0)
    return -1;
  if (res->hugepage_limits_len && apply_hugetlb (cg, res, err) < 0)
    return -1;
  if (res->rdma && apply_rdma (cg, res->rdma, err) < 0)
    return -1;
  /* Last, so that raw keys override the translated values.  */
  if (res->unified && apply_unified (cg, res->unified, err) < 0)
    return -1;
  return 0;
}
