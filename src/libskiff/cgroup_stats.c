/* skiff: runc-style statistics of a cgroup v2 (`events --stats`).
   Field names follow runc's types.Stats so containerd and podman decode
   them; values a host does not have (no memory controller on a hybrid
   host, ...) are left out or zero.  */
#include <config.h>
#include "cgroup.h"
#include "cgroup_internal.h"
#include "utils.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

struct buf
{
  char *s;
  size_t len, cap;
};

static void __attribute__ ((format (printf, 2, 3)))
appendf (struct buf *b, const char *fmt, ...)
{
  va_list ap;
  for (;;)
    {
      size_t avail = b->cap - b->len;
      va_start (ap, fmt);
      int n = vsnprintf (b->s ? b->s + b->len : NULL, avail, fmt, ap);
      va_end (ap);
      if (n >= 0 && (size_t) n < avail)
        {
          b->len += n;
          return;
        }
      b->cap = (b->cap + n + 1) * 2;
      b->s = xrealloc (b->s, b->cap);
    }
}

/* Read FILE of the cgroup; NULL when absent (controller not enabled).  */
static char *
read_opt (const struct skiff_cgroup *cg, const char *file)
{
  char *out = NULL;
  if (cg->pathfd < 0 || read_file_at (cg->pathfd, file, &out, NULL, NULL) < 0)
    return NULL;
  return out;
}

/* A single-value file: number, or "max" -> UINT64_MAX (runc's convention
   for "no limit"), 0 when absent.  */
static unsigned long long
read_u64 (const struct skiff_cgroup *cg, const char *file)
{
  cleanup_free char *v = read_opt (cg, file);
  unsigned long long r = 0;
  if (v == NULL)
    return 0;
  if (strncmp (v, "max", 3) == 0)
    return UINT64_MAX;
  sscanf (v, "%llu", &r);
  return r;
}

static unsigned long long
keyed (const char *content, const char *key)
{
  unsigned long long v = 0;
  if (content == NULL || skiff_cgroup_keyed_value (content, key, &v) < 0)
    return 0;
  return v;
}

static void
stats_cpu (const struct skiff_cgroup *cg, struct buf *b)
{
  cleanup_free char *st = read_opt (cg, "cpu.stat");
  appendf (b,
           "\"cpu\":{\"usage\":{\"total\":%llu,\"kernel\":%llu,\"user\":%llu},"
           "\"throttling\":{\"periods\":%llu,\"throttledPeriods\":%llu,\"throttledTime\":%llu}}",
           keyed (st, "usage_usec") * 1000, keyed (st, "system_usec") * 1000,
           keyed (st, "user_usec") * 1000, keyed (st, "nr_periods"), keyed (st, "nr_throttled"),
           keyed (st, "throttled_usec") * 1000);
}

static void
stats_memory (const struct skiff_cgroup *cg, struct buf *b)
{
  cleanup_free char *st = read_opt (cg, "memory.stat");
  cleanup_free char *ev = read_opt (cg, "memory.events");
  unsigned long long usage = read_u64 (cg, "memory.current");
  unsigned long long limit = read_u64 (cg, "memory.max");
  unsigned long long peak = read_u64 (cg, "memory.peak");
  unsigned long long swap = read_u64 (cg, "memory.swap.current");
  unsigned long long swap_max = read_u64 (cg, "memory.swap.max");

  /* runc reports swap as memory+swap, like the v1 memsw counters.  */
  unsigned long long swap_limit
      = (limit == UINT64_MAX || swap_max == UINT64_MAX) ? UINT64_MAX : limit + swap_max;
  appendf (b,
           "\"memory\":{\"cache\":%llu,"
           "\"usage\":{\"usage\":%llu,\"max\":%llu,\"failcnt\":%llu,\"limit\":%llu},"
           "\"swap\":{\"usage\":%llu,\"limit\":%llu},\"stats\":{",
           keyed (st, "file"), usage, peak, keyed (ev, "max"), limit, usage + swap, swap_limit);
  /* memory.stat verbatim: "key value" lines, keys are kernel identifiers. */
  bool first = true;
  for (char *line = st; line && *line;)
    {
      char *nl = strchr (line, '\n');
      char key[64];
      unsigned long long v;
      if (sscanf (line, "%63s %llu", key, &v) == 2)
        {
          bool ok = true;
          for (char *k = key; *k; k++)
            ok = ok && (isalnum ((unsigned char) *k) || *k == '_');
          if (ok)
            {
              appendf (b, "%s\"%s\":%llu", first ? "" : ",", key, v);
              first = false;
            }
        }
      line = nl ? nl + 1 : NULL;
    }
  appendf (b, "}}");
}

static void
stats_pids (const struct skiff_cgroup *cg, struct buf *b)
{
  unsigned long long cur = read_u64 (cg, "pids.current");
  unsigned long long max = read_u64 (cg, "pids.max");
  if (cg->pathfd >= 0 && faccessat (cg->pathfd, "pids.current", F_OK, 0) < 0)
    {
      /* No pids controller: count the processes ourselves.  */
      cleanup_free pid_t *pids = NULL;
      size_t n = 0;
      if (skiff_cgroup_pids (cg, &pids, &n, NULL) == 0)
        cur = n;
    }
  appendf (b, "\"pids\":{\"current\":%llu,\"limit\":%llu}", cur, max == UINT64_MAX ? 0 : max);
}

static void
stats_blkio (const struct skiff_cgroup *cg, struct buf *b)
{
  cleanup_free char *io = read_opt (cg, "io.stat");
  struct buf bytes = { 0 }, ios = { 0 };
  appendf (&bytes, "%s", "");
  appendf (&ios, "%s", "");
  /* io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N dbytes=N dios=N" */
  for (char *line = io; line && *line;)
    {
      char *nl = strchr (line, '\n');
      unsigned maj, min;
      if (nl)
        *nl = '\0';
      if (sscanf (line, "%u:%u", &maj, &min) == 2)
        {
          static const struct
          {
            const char *key, *op;
            bool is_bytes;
          } keys[] = { { "rbytes=", "Read", true }, { "wbytes=", "Write", true },
                       { "rios=", "Read", false }, { "wios=", "Write", false } };
          for (size_t k = 0; k < sizeof (keys) / sizeof (keys[0]); k++)
            {
              char *p = strstr (line, keys[k].key);
              if (p == NULL)
                continue;
              struct buf *t = keys[k].is_bytes ? &bytes : &ios;
              appendf (t, "%s{\"major\":%u,\"minor\":%u,\"op\":\"%s\",\"value\":%llu}",
                       t->len ? "," : "", maj, min, keys[k].op,
                       strtoull (p + strlen (keys[k].key), NULL, 10));
            }
        }
      line = nl ? nl + 1 : NULL;
    }
  appendf (b, "\"blkio\":{\"ioServiceBytesRecursive\":[%s],\"ioServicedRecursive\":[%s]}",
           bytes.s, ios.s);
  free (bytes.s);
  free (ios.s);
}

static void
stats_hugetlb (const struct skiff_cgroup *cg, struct buf *b)
{
  bool first = true;
  appendf (b, "\"hugetlb\":{");
  int fd = cg->pathfd >= 0 ? openat (cg->pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  cleanup_dir DIR *d = fd >= 0 ? fdopendir (fd) : NULL;
  if (d == NULL && fd >= 0)
    close (fd);
  struct dirent *de;
  while (d && (de = readdir (d)))
    {
      /* hugetlb.<size>.current, e.g. hugetlb.2MB.current */
      const char *name = de->d_name;
      size_t len = strlen (name);
      if (strncmp (name, "hugetlb.", 8) != 0 || len < 17
          || strcmp (name + len - 8, ".current") != 0)
        continue;
      cleanup_free char *size = strndup (name + 8, len - 16);
      if (size == NULL || strchr (size, '.'))
        continue;
      cleanup_free char *fmax = xasprintf ("hugetlb.%s.max", size);
      cleanup_free char *fev = xasprintf ("hugetlb.%s.events", size);
      cleanup_free char *ev = read_opt (cg, fev);
      appendf (b, "%s\"%s\":{\"usage\":%llu,\"max\":%llu,\"failcnt\":%llu}", first ? "" : ",",
               size, read_u64 (cg, name), read_u64 (cg, fmax), keyed (ev, "max"));
      first = false;
    }
  appendf (b, "}");
}

int
skiff_cgroup_stats_json (const struct skiff_cgroup *cg, char **json, skiff_error_t *err)
{
  struct buf b = { 0 };
  if (cg == NULL)
    return skiff_error_make (err, ENOTSUP, "the container has no cgroup (cgroup manager "
                                           "disabled): no statistics");
  if (cg->pathfd < 0)
    return skiff_error_make (err, ENOENT, "cgroup `%s` does not exist", cg->path);
  appendf (&b, "{");
  stats_cpu (cg, &b);
  appendf (&b, ",");
  stats_memory (cg, &b);
  appendf (&b, ",");
  stats_pids (cg, &b);
  appendf (&b, ",");
  stats_blkio (cg, &b);
  appendf (&b, ",");
  stats_hugetlb (cg, &b);
  appendf (&b, "}");
  *json = b.s;
  return 0;
}
