/* skiff: the systemd cgroup driver: transient units over D-Bus (sd-bus).
 *
 * As root skiff talks to systemd on its private socket
 * (/run/systemd/private), as systemctl does: no bus daemon is needed and
 * systemd sends its signals to every private connection.  Otherwise, or
 * when that socket is missing, it uses the system bus and subscribes.  The
 * bus is opened only by the operations below, so a container without
 * --systemd-cgroup never pays for it.  */
#include <config.h>
#include "cgroup_systemd.h"
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
#include <time.h>
#include <unistd.h>
#include <linux/bpf.h>

#define PROPERTY_PREFIX "org.systemd.property."
#define FLAG "--systemd-cgroup"

int
skiff_systemd_parse_value (const char *text, struct skiff_systemd_value *out,
                           skiff_error_t *err)
{
  static const struct
  {
    const char *word, *at;
    char type;
  } types[] = {
    { "boolean", "@b", 'b' }, { "byte", "@y", 'y' },  { "int16", "@n", 'n' },
    { "uint16", "@q", 'q' },  { "int32", "@i", 'i' }, { "uint32", "@u", 'u' },
    { "int64", "@x", 'x' },   { "uint64", "@t", 't' }, { "double", "@d", 'd' },
    { "string", "@s", 's' },
  };
  const char *p = text + strspn (text, " \t");
  cleanup_free char *v = NULL;
  char want = 0;
  char *end;

  memset (out, 0, sizeof (*out));
  for (size_t k = 0; k < sizeof (types) / sizeof (types[0]) && !want; k++)
    for (int form = 0; form < 2 && !want; form++)
      {
        const char *w = form ? types[k].at : types[k].word;
        size_t n = strlen (w);
        if (strncmp (p, w, n) == 0 && (p[n] == ' ' || p[n] == '\t'))
          {
            want = types[k].type;
            p += n + strspn (p + n, " \t");
          }
      }

  size_t len = strlen (p);
  while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
    len--;
  if (len >= 2 && (p[0] == '\'' || p[0] == '"') && p[len - 1] == p[0])
    {
      if (want && want != 's')
        goto bad;
      /* Quotes, with backslash escaping the next character.  */
      char *s = xmalloc (len), *w = s;
      for (size_t i = 1; i < len - 1; i++)
        {
          if (p[i] == '\\' && i + 1 < len - 1)
            i++;
          else if (p[i] == p[0])
            {
              free (s);
              goto bad;
            }
          *w++ = p[i];
        }
      *w = '\0';
      out->type = 's';
      out->s = s;
      return 0;
    }
  v = strndup (p, len);
  if (v == NULL || *v == '\0')
    goto bad;
  if (strcmp (v, "true") == 0 || strcmp (v, "false") == 0)
    {
      if (want && want != 'b')
        goto bad;
      out->type = 'b';
      out->b = v[0] == 't';
      return 0;
    }
  if (want == 'b' || want == 's')
    goto bad;
  errno = 0;
  if (want == 'd' || (!want && strpbrk (v, ".eE") && !strpbrk (v, "xX")))
    {
      out->d = strtod (v, &end);
      if (errno || *end)
        goto bad;
      out->type = 'd';
      return 0;
    }
  if (want == 't' || want == 'u' || want == 'q')
    {
      if (v[0] == '-')
        goto bad;
      out->u = strtoull (v, &end, 0);
      if (errno || *end || (want == 'u' && out->u > UINT32_MAX)
          || (want == 'q' && out->u > UINT16_MAX))
        goto bad;
      out->type = want;
      return 0;
    }
  out->i = strtoll (v, &end, 0);
  if (errno || *end)
    goto bad;
  out->type = want ? want : 'i'; /* GVariant's default integer type */
  if ((out->type == 'i' && (out->i < INT32_MIN || out->i > INT32_MAX))
      || (out->type == 'n' && (out->i < INT16_MIN || out->i > INT16_MAX))
      || (out->type == 'y' && (out->i < 0 || out->i > 255)))
    goto bad;
  return 0;

bad:
  return skiff_error_plain (err, EINVAL,
                            "cannot parse `%s` (expected true, false, a number, a quoted string "
                            "or a typed value such as `uint64 10`)", text);
}

int
skiff_systemd_cpu_mask (const char *list, unsigned char **bytes, size_t *len, skiff_error_t *err)
{
  unsigned char *mask = NULL;
  size_t n = 0;
  const char *p = list;

  *bytes = NULL;
  *len = 0;
  while (*p)
    {
      char *end;
      unsigned long a, b;
      if (!isdigit ((unsigned char) *p))
        goto bad;
      a = b = strtoul (p, &end, 10);
      p = end;
      if (*p == '-')
        {
          if (!isdigit ((unsigned char) p[1]))
            goto bad;
          b = strtoul (p + 1, &end, 10);
          p = end;
        }
      if (b < a || b >= 1UL << 16)
        goto bad;
      if (b / 8 + 1 > n)
        {
          mask = xrealloc (mask, b / 8 + 1);
          memset (mask + n, 0, b / 8 + 1 - n);
          n = b / 8 + 1;
        }
      for (unsigned long c = a; c <= b; c++)
        mask[c / 8] |= 1u << (c % 8);
      if (*p == ',')
        p++;
      else if (*p)
        goto bad;
    }
  *bytes = mask;
  *len = n;
  return 0;

bad:
  free (mask);
  return skiff_error_make (err, EINVAL, "invalid cpu or node list `%s`", list);
}

int
skiff_systemd_check (skiff_error_t *err)
{
#ifdef HAVE_LIBSYSTEMD
  if (access ("/run/systemd/system", F_OK) < 0)
    return skiff_error_plain (err, ENOTSUP,
                              FLAG " (--cgroup-manager systemd): systemd is not running on this "
                              "host (no /run/systemd/system); use the cgroupfs manager");
  return 0;
#else
  return skiff_error_plain (err, ENOTSUP,
                            FLAG " (--cgroup-manager systemd): skiff was built without "
                            "libsystemd (configure --with-systemd)");
#endif
}

#ifdef HAVE_LIBSYSTEMD
#include <dlfcn.h>
#include <systemd/sd-bus.h>

/* libsystemd is loaded by the first operation that needs it, not linked:
   linked, the dynamic loader's work for it and its dependencies cost every
   skiff command about 2.5 ms of CPU, which only --systemd-cgroup needs.  */
#define SD_FUNCTIONS \
  X (sd_bus_call) \
  X (sd_bus_call_method) \
  X (sd_bus_error_free) \
  X (sd_bus_error_has_name) \
  X (sd_bus_error_is_set) \
  X (sd_bus_flush_close_unref) \
  X (sd_bus_get_property_string) \
  X (sd_bus_is_bus_client) \
  X (sd_bus_match_signal) \
  X (sd_bus_message_append) \
  X (sd_bus_message_append_array) \
  X (sd_bus_message_close_container) \
  X (sd_bus_message_new_method_call) \
  X (sd_bus_message_open_container) \
  X (sd_bus_message_read) \
  X (sd_bus_message_unref) \
  X (sd_bus_new) \
  X (sd_bus_open_system) \
  X (sd_bus_process) \
  X (sd_bus_set_address) \
  X (sd_bus_slot_unref) \
  X (sd_bus_start) \
  X (sd_bus_wait)

static struct
{
#define X(f) __typeof__ (f) *f;
  SD_FUNCTIONS
#undef X
} sd;

static int
sd_load (skiff_error_t *err)
{
  static void *lib;
  if (lib)
    return 0;
  void *h = dlopen ("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
  if (h == NULL)
    return skiff_error_make (err, ENOTSUP, FLAG ": load libsystemd: %s", dlerror ());
#define X(f)                                                                     \
  if ((sd.f = (__typeof__ (f) *) dlsym (h, #f)) == NULL)                          \
    {                                                                            \
      memset (&sd, 0, sizeof (sd));                                              \
      dlclose (h);                                                               \
      return skiff_error_make (err, ENOTSUP, FLAG ": libsystemd lacks %s", #f);   \
    }
  SD_FUNCTIONS
#undef X
  lib = h;
  return 0;
}

/* From here on every sd_* call goes through the loaded library.  */
#define sd_bus_call(...) (*sd.sd_bus_call) (__VA_ARGS__)
#define sd_bus_call_method(...) (*sd.sd_bus_call_method) (__VA_ARGS__)
#define sd_bus_error_free(...) (*sd.sd_bus_error_free) (__VA_ARGS__)
#define sd_bus_error_has_name(...) (*sd.sd_bus_error_has_name) (__VA_ARGS__)
#define sd_bus_error_is_set(...) (*sd.sd_bus_error_is_set) (__VA_ARGS__)
#define sd_bus_flush_close_unref(...) (*sd.sd_bus_flush_close_unref) (__VA_ARGS__)
#define sd_bus_get_property_string(...) (*sd.sd_bus_get_property_string) (__VA_ARGS__)
#define sd_bus_is_bus_client(...) (*sd.sd_bus_is_bus_client) (__VA_ARGS__)
#define sd_bus_match_signal(...) (*sd.sd_bus_match_signal) (__VA_ARGS__)
#define sd_bus_message_append(...) (*sd.sd_bus_message_append) (__VA_ARGS__)
#define sd_bus_message_append_array(...) (*sd.sd_bus_message_append_array) (__VA_ARGS__)
#define sd_bus_message_close_container(...) (*sd.sd_bus_message_close_container) (__VA_ARGS__)
#define sd_bus_message_new_method_call(...) (*sd.sd_bus_message_new_method_call) (__VA_ARGS__)
#define sd_bus_message_open_container(...) (*sd.sd_bus_message_open_container) (__VA_ARGS__)
#define sd_bus_message_read(...) (*sd.sd_bus_message_read) (__VA_ARGS__)
#define sd_bus_message_unref(...) (*sd.sd_bus_message_unref) (__VA_ARGS__)
#define sd_bus_new(...) (*sd.sd_bus_new) (__VA_ARGS__)
#define sd_bus_open_system(...) (*sd.sd_bus_open_system) (__VA_ARGS__)
#define sd_bus_process(...) (*sd.sd_bus_process) (__VA_ARGS__)
#define sd_bus_set_address(...) (*sd.sd_bus_set_address) (__VA_ARGS__)
#define sd_bus_slot_unref(...) (*sd.sd_bus_slot_unref) (__VA_ARGS__)
#define sd_bus_start(...) (*sd.sd_bus_start) (__VA_ARGS__)
#define sd_bus_wait(...) (*sd.sd_bus_wait) (__VA_ARGS__)

/* Generous: under emulation (the tests' VM) a job can take seconds.  */
#define JOB_TIMEOUT_USEC (60ULL * 1000 * 1000)
#define UNLIMITED UINT64_MAX

/* The cleanups run also when libsystemd could not be loaded: then every
   object is still NULL and nothing is called.  */
static void
bus_unrefp (sd_bus **b)
{
  if (*b)
    sd_bus_flush_close_unref (*b);
}
static void
msg_unrefp (sd_bus_message **m)
{
  if (*m)
    sd_bus_message_unref (*m);
}
static void
slot_unrefp (sd_bus_slot **s)
{
  if (*s)
    sd_bus_slot_unref (*s);
}
static void
bus_error_freep (sd_bus_error *e)
{
  if (sd.sd_bus_error_free)
    sd_bus_error_free (e);
}
#define cleanup_bus __attribute__ ((cleanup (bus_unrefp)))
#define cleanup_msg __attribute__ ((cleanup (msg_unrefp)))
#define cleanup_slot __attribute__ ((cleanup (slot_unrefp)))
#define cleanup_bus_error __attribute__ ((cleanup (bus_error_freep)))

/* "/a.slice/a-b.slice/x.scope" -> unit "x.scope", slice "a-b.slice"
   ("-.slice" for a unit at the root).  */
static void
split_rel (const char *rel, char **unit, char **slice)
{
  const char *last = strrchr (rel, '/');
  *unit = xstrdup (last + 1);
  const char *prev = last;
  while (prev > rel && prev[-1] != '/')
    prev--;
  *slice = prev == rel ? xstrdup ("-.slice") : xasprintf ("%.*s", (int) (last - prev), prev);
}

static bool
is_slice (const char *unit)
{
  size_t n = strlen (unit);
  return n > 6 && strcmp (unit + n - 6, ".slice") == 0;
}

static int
bus_fail (skiff_error_t *err, int r, const sd_bus_error *e, const char *what, const char *unit)
{
  if (e && sd_bus_error_is_set (e))
    return skiff_error_make (err, 0, FLAG ": %s %s: %s", what, unit,
                             e->message ? e->message : e->name);
  return skiff_error_make (err, -r, FLAG ": %s %s", what, unit);
}

static int
connect_systemd (sd_bus **out, skiff_error_t *err)
{
  cleanup_bus sd_bus *bus = NULL;
  int r;

  if (skiff_systemd_check (err) < 0 || sd_load (err) < 0)
    return -1;
  if (geteuid () == 0 && access ("/run/systemd/private", F_OK) == 0)
    {
      r = sd_bus_new (&bus);
      if (r >= 0)
        r = sd_bus_set_address (bus, "unix:path=/run/systemd/private");
      if (r >= 0)
        r = sd_bus_start (bus);
      if (r >= 0)
        {
          *out = steal_pointer (&bus);
          return 0;
        }
      skiff_debug ("systemd private socket: %s; trying the system bus", strerror (-r));
      bus_unrefp (&bus);
      bus = NULL;
    }
  r = sd_bus_open_system (&bus);
  if (r < 0)
    return skiff_error_make (err, -r, FLAG ": connect to the D-Bus system bus");
  *out = steal_pointer (&bus);
  return 0;
}

struct job_wait
{
  const char *path; /* the job we wait for, set once it is known */
  char *result;     /* "done", "failed", "canceled", ... */
};

static int
on_job_removed (sd_bus_message *m, void *userdata, sd_bus_error *e)
{
  struct job_wait *w = userdata;
  const char *path, *unit, *result;
  uint32_t id;

  if (sd_bus_message_read (m, "uoss", &id, &path, &unit, &result) < 0)
    return 0;
  if (w->path && w->result == NULL && strcmp (path, w->path) == 0)
    w->result = xstrdup (result);
  return 0;
}

/* Listen for JobRemoved before the call that makes the job, so that its
   end cannot be missed.  */
static int
watch_jobs (sd_bus *bus, sd_bus_slot **slot, struct job_wait *w, const char *unit,
            skiff_error_t *err)
{
  bool direct = sd_bus_is_bus_client (bus) <= 0;
  int r = sd_bus_match_signal (bus, slot, direct ? NULL : "org.freedesktop.systemd1",
                               "/org/freedesktop/systemd1", "org.freedesktop.systemd1.Manager",
                               "JobRemoved", on_job_removed, w);
  if (r < 0)
    return bus_fail (err, r, NULL, "watch the jobs of", unit);
  if (!direct)
    {
      cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
      r = sd_bus_call_method (bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                              "org.freedesktop.systemd1.Manager", "Subscribe", &e, NULL, "");
      if (r < 0)
        return bus_fail (err, r, &e, "subscribe to systemd's signals for", unit);
    }
  return 0;
}

static int
wait_job (sd_bus *bus, struct job_wait *w, const char *what, const char *unit,
          skiff_error_t *err)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  uint64_t now = ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000, end = now + JOB_TIMEOUT_USEC;

  while (w->result == NULL)
    {
      int r = sd_bus_process (bus, NULL);
      if (r < 0)
        return bus_fail (err, r, NULL, what, unit);
      if (r > 0)
        continue;
      clock_gettime (CLOCK_MONOTONIC, &ts);
      now = ts.tv_sec * 1000000ULL + ts.tv_nsec / 1000;
      if (now >= end)
        return skiff_error_make (err, ETIMEDOUT, FLAG ": %s %s: systemd's job %s did not finish "
                                 "within %llu s", what, unit, w->path,
                                 JOB_TIMEOUT_USEC / 1000000);
      r = sd_bus_wait (bus, end - now);
      if (r < 0 && r != -EINTR)
        return bus_fail (err, r, NULL, what, unit);
    }
  if (strcmp (w->result, "done") != 0)
    return skiff_error_make (err, 0, FLAG ": %s %s: systemd's job ended with `%s`", what, unit,
                             w->result);
  return 0;
}

/* --- properties ---------------------------------------------------------- */

static int
prop_u64 (sd_bus_message *m, const char *name, uint64_t v)
{
  skiff_debug ("systemd property %s=%llu", name, (unsigned long long) v);
  return sd_bus_message_append (m, "(sv)", name, "t", v);
}

static int
prop_bool (sd_bus_message *m, const char *name, bool v)
{
  return sd_bus_message_append (m, "(sv)", name, "b", (int) v);
}

static int
prop_mask (sd_bus_message *m, const char *name, const char *list, skiff_error_t *err)
{
  cleanup_free unsigned char *bytes = NULL;
  size_t len;
  int r;

  if (skiff_systemd_cpu_mask (list, &bytes, &len, err) < 0)
    return skiff_error_wrap (err, "%s", name);
  if ((r = sd_bus_message_open_container (m, 'r', "sv")) < 0
      || (r = sd_bus_message_append (m, "s", name)) < 0
      || (r = sd_bus_message_open_container (m, 'v', "ay")) < 0
      || (r = sd_bus_message_append_array (m, 'y', bytes, len)) < 0
      || (r = sd_bus_message_close_container (m)) < 0
      || (r = sd_bus_message_close_container (m)) < 0)
    return skiff_error_make (err, -r, "D-Bus message: %s", name);
  return 0;
}

/* IOReadBandwidthMax and friends: a(st), the device as /dev/block/MAJ:MIN,
   which systemd parses without the node having to exist.  */
static int
prop_io_list (sd_bus_message *m, const char *name, oci_throttle_device **devs, size_t n)
{
  int r;
  if ((r = sd_bus_message_open_container (m, 'r', "sv")) < 0
      || (r = sd_bus_message_append (m, "s", name)) < 0
      || (r = sd_bus_message_open_container (m, 'v', "a(st)")) < 0
      || (r = sd_bus_message_open_container (m, 'a', "(st)")) < 0)
    return r;
  for (size_t i = 0; i < n; i++)
    {
      char dev[64];
      snprintf (dev, sizeof (dev), "/dev/block/%lld:%lld", (long long) devs[i]->major,
                (long long) devs[i]->minor);
      r = sd_bus_message_append (m, "(st)", dev, devs[i]->rate ? (uint64_t) devs[i]->rate
                                                                : UNLIMITED);
      if (r < 0)
        return r;
    }
  if ((r = sd_bus_message_close_container (m)) < 0 || (r = sd_bus_message_close_container (m)) < 0)
    return r;
  return sd_bus_message_close_container (m);
}

static int
prop_io_weights (sd_bus_message *m, const oci_block_io *b)
{
  int r;
  if ((r = sd_bus_message_open_container (m, 'r', "sv")) < 0
      || (r = sd_bus_message_append (m, "s", "IODeviceWeight")) < 0
      || (r = sd_bus_message_open_container (m, 'v', "a(st)")) < 0
      || (r = sd_bus_message_open_container (m, 'a', "(st)")) < 0)
    return r;
  for (size_t i = 0; i < b->weight_device_len; i++)
    {
      const oci_weight_device *d = b->weight_device[i];
      char dev[64];
      if (!d->weight_present)
        continue;
      snprintf (dev, sizeof (dev), "/dev/block/%lld:%lld", (long long) d->major,
                (long long) d->minor);
      r = sd_bus_message_append (m, "(st)", dev,
                                 (uint64_t) skiff_cgroup_blkio_to_io_weight (d->weight));
      if (r < 0)
        return r;
    }
  if ((r = sd_bus_message_close_container (m)) < 0 || (r = sd_bus_message_close_container (m)) < 0)
    return r;
  return sd_bus_message_close_container (m);
}

/* The major's name in /proc/devices ("136 pts" -> "pts"), for DeviceAllow's
   char-NAME/block-NAME; NULL when it has none.  */
static char *
device_group (int type, long long major)
{
  cleanup_free char *content = NULL;
  bool want_char = type == BPF_DEVCG_DEV_CHAR, in_char = false;
  if (read_file_at (AT_FDCWD, "/proc/devices", &content, NULL, NULL) < 0)
    return NULL;
  for (char *line = strtok (content, "\n"); line; line = strtok (NULL, "\n"))
    {
      long long maj;
      char name[64];
      if (strncmp (line, "Character devices:", 18) == 0)
        in_char = true;
      else if (strncmp (line, "Block devices:", 14) == 0)
        in_char = false;
      else if (in_char == want_char && sscanf (line, "%lld %63s", &maj, name) == 2 && maj == major)
        return xstrdup (name);
    }
  return NULL;
}

/* One allow rule as DeviceAllow entries (two for type "a").  False when
   systemd has no way to say it.  */
static bool
device_allow_entries (const struct dev_rule *r, char ***specs, char ***accs)
{
  int types[2] = { r->type, 0 };
  char acc[4], *a = acc;
  if (r->type == 0)
    {
      types[0] = BPF_DEVCG_DEV_CHAR;
      types[1] = BPF_DEVCG_DEV_BLOCK;
    }
  if (r->access & BPF_DEVCG_ACC_READ)
    *a++ = 'r';
  if (r->access & BPF_DEVCG_ACC_WRITE)
    *a++ = 'w';
  if (r->access & BPF_DEVCG_ACC_MKNOD)
    *a++ = 'm';
  *a = '\0';
  for (int k = 0; k < 2 && types[k]; k++)
    {
      const char *kind = types[k] == BPF_DEVCG_DEV_CHAR ? "char" : "block";
      char *spec;
      if (r->major < 0 && r->minor >= 0)
        return false;
      if (r->major < 0)
        spec = xasprintf ("%s-*", kind);
      else if (r->minor < 0)
        {
          cleanup_free char *group = device_group (types[k], r->major);
          if (group == NULL)
            return false;
          spec = xasprintf ("%s-%s", kind, group);
        }
      else
        spec = xasprintf ("/dev/%s/%lld:%lld", kind, r->major, r->minor);
      size_t n = strv_len (*specs);
      *specs = xrealloc (*specs, (n + 2) * sizeof (char *));
      *accs = xrealloc (*accs, (n + 2) * sizeof (char *));
      (*specs)[n] = spec;
      (*accs)[n] = xstrdup (acc);
      (*specs)[n + 1] = (*accs)[n + 1] = NULL;
    }
  return true;
}

/* DevicePolicy/DeviceAllow.  systemd only has allow lists: rules that come
   down to "deny, then allow these" become DevicePolicy=strict with the
   allows; anything else (a deny after an allow, a major without a name)
   is left to skiff's own device program with DevicePolicy=auto, so that
   systemd's program never denies what the container may use.  Both
   programs run, and a device opens only when both allow it.  */
static int
prop_devices (sd_bus_message *m, const oci_resources *res, skiff_error_t *err)
{
  cleanup_free struct dev_rule *rules = NULL;
  cleanup_strv char **specs = xmalloc0 (sizeof (char *));
  cleanup_strv char **accs = xmalloc0 (sizeof (char *));
  size_t n, first = 0;
  bool strict = true;
  int r;

  if (skiff_cgroup_device_rules (res, &rules, &n, err) < 0)
    return -1;
  /* A deny of everything hides the rules before it.  */
  for (size_t i = 0; i < n; i++)
    if (!rules[i].allow && rules[i].type == 0 && rules[i].major < 0 && rules[i].minor < 0
        && rules[i].access == 7)
      first = i + 1;
  for (size_t i = first; i < n && strict; i++)
    {
      if (!rules[i].allow)
        strict = false;
      else if (rules[i].type == 0 && rules[i].major < 0 && rules[i].minor < 0
               && rules[i].access == 7)
        strict = false; /* everything allowed: nothing to restrict */
      else
        strict = device_allow_entries (&rules[i], &specs, &accs);
    }
  skiff_debug ("systemd property DevicePolicy=%s (%zu DeviceAllow entries)",
               strict ? "strict" : "auto", strict ? strv_len (specs) : 0);
  if ((r = sd_bus_message_append (m, "(sv)", "DevicePolicy", "s", strict ? "strict" : "auto")) < 0
      || (r = sd_bus_message_open_container (m, 'r', "sv")) < 0
      || (r = sd_bus_message_append (m, "s", "DeviceAllow")) < 0
      || (r = sd_bus_message_open_container (m, 'v', "a(ss)")) < 0
      || (r = sd_bus_message_open_container (m, 'a', "(ss)")) < 0)
    return skiff_error_make (err, -r, "D-Bus message: DeviceAllow");
  for (size_t i = 0; strict && specs[i]; i++)
    if ((r = sd_bus_message_append (m, "(ss)", specs[i], accs[i])) < 0)
      return skiff_error_make (err, -r, "D-Bus message: DeviceAllow");
  if ((r = sd_bus_message_close_container (m)) < 0 || (r = sd_bus_message_close_container (m)) < 0
      || (r = sd_bus_message_close_container (m)) < 0)
    return skiff_error_make (err, -r, "D-Bus message: DeviceAllow");
  return 0;
}

static uint64_t
limit_value (long long v)
{
  return v < 0 ? UNLIMITED : (uint64_t) v;
}

/* "max" or a number, as in a cgroup file.  */
static int
parse_file_value (const char *s, uint64_t *out)
{
  unsigned long long v;
  if (s && strcmp (s, "max") == 0)
    {
      *out = UNLIMITED;
      return 0;
    }
  if (s == NULL || parse_uint64 (s, &v) < 0)
    return -1;
  *out = v;
  return 0;
}

static int
prop_cpu_quota (sd_bus_message *m, long long quota, unsigned long long period)
{
  int r = 0;
  if (period)
    r = prop_u64 (m, "CPUQuotaPeriodUSec", period);
  if (r >= 0 && quota)
    {
      /* systemd keeps the quota per second at a 10 ms granularity (it is a
         percentage underneath): round up, never below what was asked.
         The exact cpu.max is written to the file afterwards.  */
      uint64_t per_sec = UNLIMITED;
      if (quota > 0)
        {
          unsigned long long p = period ? period : 100000;
          per_sec = ((unsigned long long) quota * 1000000ULL + p - 1) / p;
          per_sec = (per_sec + 9999) / 10000 * 10000;
        }
      r = prop_u64 (m, "CPUQuotaPerSecUSec", per_sec);
    }
  return r;
}

/* linux.resources.unified keys systemd has a property for.  */
static int
prop_unified (sd_bus_message *m, const oci_string_map *u, skiff_error_t *err)
{
  static const struct
  {
    const char *file, *prop;
  } direct[] = {
    { "memory.min", "MemoryMin" },    { "memory.low", "MemoryLow" },
    { "memory.high", "MemoryHigh" },  { "memory.max", "MemoryMax" },
    { "memory.swap.max", "MemorySwapMax" }, { "pids.max", "TasksMax" },
    { "cpu.weight", "CPUWeight" },    { "io.weight", "IOWeight" },
  };
  int r;

  for (size_t i = 0; i < u->len; i++)
    {
      const char *key = u->keys[i], *val = u->values[i] ? u->values[i] : "";
      uint64_t v;
      for (size_t k = 0; k < sizeof (direct) / sizeof (direct[0]); k++)
        if (strcmp (key, direct[k].file) == 0)
          {
            const char *num = strncmp (val, "default ", 8) == 0 ? val + 8 : val;
            if (parse_file_value (num, &v) < 0)
              return skiff_error_make (err, EINVAL, "linux.resources.unified[%s]: `%s` is not "
                                       "a number or max", key, val);
            if ((r = prop_u64 (m, direct[k].prop, v)) < 0)
              return skiff_error_make (err, -r, "D-Bus message: %s", direct[k].prop);
          }
      if (strcmp (key, "cpu.max") == 0)
        {
          char quota[32];
          unsigned long long period = 0;
          long long q = -1;
          if (sscanf (val, "%31s %llu", quota, &period) < 1
              || (strcmp (quota, "max") != 0 && (q = strtoll (quota, NULL, 10)) <= 0))
            return skiff_error_make (err, EINVAL, "linux.resources.unified[cpu.max]: `%s`", val);
          if ((r = prop_cpu_quota (m, q, period)) < 0)
            return skiff_error_make (err, -r, "D-Bus message: CPUQuotaPerSecUSec");
        }
      if ((strcmp (key, "cpuset.cpus") == 0 || strcmp (key, "cpuset.mems") == 0) && *val
          && prop_mask (m, key[7] == 'c' ? "AllowedCPUs" : "AllowedMemoryNodes", val, err) < 0)
        return -1;
    }
  return 0;
}

/* linux.resources as unit properties (only what RES sets: `update` passes
   a partial set).  */
static int
append_resources (sd_bus_message *m, const oci_resources *res, bool devices, skiff_error_t *err)
{
  int r = 0;

  if (res && res->memory)
    {
      const oci_memory *mem = res->memory;
      bool limit = mem->limit_present && mem->limit != 0;
      if (limit)
        r = prop_u64 (m, "MemoryMax", limit_value (mem->limit));
      if (r >= 0 && mem->reservation_present && mem->reservation != 0)
        r = prop_u64 (m, "MemoryLow", limit_value (mem->reservation));
      /* The spec's swap is memory+swap, systemd's MemorySwapMax swap
         alone: known only with both.  */
      if (r >= 0 && mem->swap_present && mem->swap < 0)
        r = prop_u64 (m, "MemorySwapMax", UNLIMITED);
      else if (r >= 0 && mem->swap_present && mem->swap > 0 && limit && mem->limit > 0
               && mem->swap >= mem->limit)
        r = prop_u64 (m, "MemorySwapMax", mem->swap - mem->limit);
    }
  if (r >= 0 && res && res->cpu)
    {
      const oci_cpu *c = res->cpu;
      if (c->shares_present && c->shares)
        r = prop_u64 (m, "CPUWeight", skiff_cgroup_shares_to_weight (c->shares));
      if (r >= 0)
        r = prop_cpu_quota (m, c->quota_present ? c->quota : 0,
                            c->period_present ? c->period : 0);
      if (r >= 0 && c->cpus && *c->cpus && prop_mask (m, "AllowedCPUs", c->cpus, err) < 0)
        return -1;
      if (r >= 0 && c->mems && *c->mems && prop_mask (m, "AllowedMemoryNodes", c->mems, err) < 0)
        return -1;
    }
  if (r >= 0 && res && res->pids)
    r = prop_u64 (m, "TasksMax", res->pids->limit > 0 ? (uint64_t) res->pids->limit : UNLIMITED);
  if (r >= 0 && res && res->block_io)
    {
      const oci_block_io *b = res->block_io;
      if (b->weight_present && b->weight)
        r = prop_u64 (m, "IOWeight", skiff_cgroup_blkio_to_io_weight (b->weight));
      if (r >= 0 && b->weight_device_len)
        r = prop_io_weights (m, b);
      if (r >= 0 && b->throttle_read_bps_device_len)
        r = prop_io_list (m, "IOReadBandwidthMax", b->throttle_read_bps_device,
                          b->throttle_read_bps_device_len);
      if (r >= 0 && b->throttle_write_bps_device_len)
        r = prop_io_list (m, "IOWriteBandwidthMax", b->throttle_write_bps_device,
                          b->throttle_write_bps_device_len);
      if (r >= 0 && b->throttle_read_iops_device_len)
        r = prop_io_list (m, "IOReadIOPSMax", b->throttle_read_iops_device,
                          b->throttle_read_iops_device_len);
      if (r >= 0 && b->throttle_write_iops_device_len)
        r = prop_io_list (m, "IOWriteIOPSMax", b->throttle_write_iops_device,
                          b->throttle_write_iops_device_len);
    }
  if (r < 0)
    return skiff_error_make (err, -r, "D-Bus message: resource properties");
  if (res && res->unified && prop_unified (m, res->unified, err) < 0)
    return -1;
  if (devices && prop_devices (m, res, err) < 0)
    return -1;
  return 0;
}

static int
append_annotation (sd_bus_message *m, const char *key, const char *text, skiff_error_t *err)
{
  const char *name = key + strlen (PROPERTY_PREFIX);
  struct skiff_systemd_value v;
  char sig[2] = { 0 };
  int r;

  if (*name == '\0')
    return skiff_error_make (err, EINVAL, "annotation `%s`: no property name", key);
  if (skiff_systemd_parse_value (text, &v, err) < 0)
    return skiff_error_wrap (err, "annotation %s", key);
  sig[0] = v.type;
  skiff_debug ("systemd property %s (%s) from annotation: %s", name, sig, text);
  if ((r = sd_bus_message_open_container (m, 'r', "sv")) < 0
      || (r = sd_bus_message_append (m, "s", name)) < 0
      || (r = sd_bus_message_open_container (m, 'v', sig)) < 0)
    goto fail;
  switch (v.type)
    {
    case 'b': r = sd_bus_message_append (m, "b", (int) v.b); break;
    case 'y': r = sd_bus_message_append (m, "y", (uint8_t) v.i); break;
    case 'n': r = sd_bus_message_append (m, "n", (int16_t) v.i); break;
    case 'q': r = sd_bus_message_append (m, "q", (uint16_t) v.u); break;
    case 'i': r = sd_bus_message_append (m, "i", (int32_t) v.i); break;
    case 'u': r = sd_bus_message_append (m, "u", (uint32_t) v.u); break;
    case 'x': r = sd_bus_message_append (m, "x", (int64_t) v.i); break;
    case 't': r = sd_bus_message_append (m, "t", (uint64_t) v.u); break;
    case 'd': r = sd_bus_message_append (m, "d", v.d); break;
    case 's': r = sd_bus_message_append (m, "s", v.s); break;
    }
  free (v.s);
  if (r < 0 || (r = sd_bus_message_close_container (m)) < 0
      || (r = sd_bus_message_close_container (m)) < 0)
    goto fail;
  return 0;

fail:
  return skiff_error_make (err, -r, "annotation %s: D-Bus message", key);
}

/* systemd places a slice unit by its name (a-b.slice in a.slice), not
   where linux.cgroupsPath put it: they must agree.  */
static int
check_slice_placement (const char *unit, const char *slice, skiff_error_t *err)
{
  size_t n = strlen (slice) - strlen (".slice");
  bool root = strcmp (slice, "-.slice") == 0;

  if (!is_slice (unit))
    return 0;
  if (root ? strchr (unit, '-') == NULL : strncmp (unit, slice, n) == 0 && unit[n] == '-')
    return 0;
  return skiff_error_plain (err, EINVAL,
                            FLAG ": systemd would not put slice %s in %s: it places a slice by "
                            "its name (a-b.slice in a.slice)", unit, slice);
}

/* --- operations ---------------------------------------------------------- */

int
skiff_systemd_prepare (const char *rel, skiff_error_t *err)
{
  cleanup_bus sd_bus *bus = NULL;
  cleanup_msg sd_bus_message *reply = NULL;
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *unit = NULL, *slice = NULL, *state = NULL;
  const char *path;
  int r;

  split_rel (rel, &unit, &slice);
  if (check_slice_placement (unit, slice, err) < 0 || connect_systemd (&bus, err) < 0)
    return -1;
  r = sd_bus_call_method (bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                          "org.freedesktop.systemd1.Manager", "GetUnit", &e, &reply, "s", unit);
  if (r < 0 && sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
    return 0;
  if (r < 0 || (r = sd_bus_message_read (reply, "o", &path)) < 0)
    return bus_fail (err, r, &e, "look up unit", unit);
  r = sd_bus_get_property_string (bus, "org.freedesktop.systemd1", path,
                                  "org.freedesktop.systemd1.Unit", "ActiveState", &e, &state);
  if (r < 0)
    return bus_fail (err, r, &e, "read the state of unit", unit);
  if (strcmp (state, "inactive") == 0)
    return 0;
  if (strcmp (state, "failed") == 0)
    {
      /* A failed unit keeps its name until it is reset.  */
      r = sd_bus_call_method (bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                              "org.freedesktop.systemd1.Manager", "ResetFailedUnit", &e, NULL,
                              "s", unit);
      return r < 0 ? bus_fail (err, r, &e, "reset the failed unit", unit) : 0;
    }
  return skiff_error_plain (err, EEXIST,
                            FLAG ": unit %s exists already (%s): another container's? Delete it, "
                            "or choose another linux.cgroupsPath", unit, state);
}

int
skiff_systemd_start (const char *rel, pid_t pid, const oci_resources *res,
                     const oci_string_map *annotations, skiff_error_t *err)
{
  cleanup_bus sd_bus *bus = NULL;
  cleanup_msg sd_bus_message *m = NULL;
  cleanup_msg sd_bus_message *reply = NULL;
  cleanup_slot sd_bus_slot *slot = NULL;
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *unit = NULL, *slice = NULL, *desc = NULL;
  struct job_wait w = { 0 };
  const char *job;
  int r;

  split_rel (rel, &unit, &slice);
  if (connect_systemd (&bus, err) < 0 || watch_jobs (bus, &slot, &w, unit, err) < 0)
    return -1;
  r = sd_bus_message_new_method_call (bus, &m, "org.freedesktop.systemd1",
                                      "/org/freedesktop/systemd1",
                                      "org.freedesktop.systemd1.Manager", "StartTransientUnit");
  if (r >= 0)
    r = sd_bus_message_append (m, "ss", unit, "fail");
  if (r >= 0)
    r = sd_bus_message_open_container (m, 'a', "(sv)");
  desc = xasprintf ("skiff container %s", unit);
  if (r >= 0)
    r = sd_bus_message_append (m, "(sv)", "Description", "s", desc);
  if (r >= 0 && !is_slice (unit))
    {
      r = sd_bus_message_append (m, "(sv)", "Slice", "s", slice);
      if (r >= 0)
        r = sd_bus_message_append (m, "(sv)", "PIDs", "au", 1, (uint32_t) pid);
    }
  /* No ordering against shutdown and the like: the container's life is
     its own.  Accounting on, so that systemd enables the controllers up
     the tree and keeps them enabled.  */
  if (r >= 0)
    r = prop_bool (m, "DefaultDependencies", false);
  if (r >= 0)
    r = prop_bool (m, "MemoryAccounting", true);
  if (r >= 0)
    r = prop_bool (m, "CPUAccounting", true);
  if (r >= 0)
    r = prop_bool (m, "TasksAccounting", true);
  if (r >= 0)
    r = prop_bool (m, "IOAccounting", true);
  if (r < 0)
    return bus_fail (err, r, NULL, "build the start request of", unit);
  if (append_resources (m, res, true, err) < 0)
    return skiff_error_wrap (err, FLAG ": %s", unit);
  for (size_t i = 0; annotations && i < annotations->len; i++)
    if (strncmp (annotations->keys[i], PROPERTY_PREFIX, strlen (PROPERTY_PREFIX)) == 0
        && append_annotation (m, annotations->keys[i], annotations->values[i], err) < 0)
      return skiff_error_wrap (err, FLAG ": %s", unit);
  if ((r = sd_bus_message_close_container (m)) < 0
      || (r = sd_bus_message_append (m, "a(sa(sv))", 0)) < 0)
    return bus_fail (err, r, NULL, "build the start request of", unit);

  r = sd_bus_call (bus, m, JOB_TIMEOUT_USEC, &e, &reply);
  if (r < 0)
    return bus_fail (err, r, &e, "start transient unit", unit);
  if ((r = sd_bus_message_read (reply, "o", &job)) < 0)
    return bus_fail (err, r, NULL, "start transient unit", unit);
  w.path = job;
  r = wait_job (bus, &w, "start transient unit", unit, err);
  free (w.result);
  if (r == 0)
    skiff_debug ("systemd unit %s started in %s", unit, slice);
  return r;
}

int
skiff_systemd_update (const char *rel, const oci_resources *res, skiff_error_t *err)
{
  cleanup_bus sd_bus *bus = NULL;
  cleanup_msg sd_bus_message *m = NULL;
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *unit = NULL, *slice = NULL;
  int r;

  split_rel (rel, &unit, &slice);
  if (connect_systemd (&bus, err) < 0)
    return -1;
  r = sd_bus_message_new_method_call (bus, &m, "org.freedesktop.systemd1",
                                      "/org/freedesktop/systemd1",
                                      "org.freedesktop.systemd1.Manager", "SetUnitProperties");
  if (r >= 0)
    r = sd_bus_message_append (m, "sb", unit, 1);
  if (r >= 0)
    r = sd_bus_message_open_container (m, 'a', "(sv)");
  if (r < 0)
    return bus_fail (err, r, NULL, "build the update of", unit);
  /* Device rules only when the update carries some, as for the file.  */
  if (append_resources (m, res, res && res->devices_len, err) < 0)
    return skiff_error_wrap (err, FLAG ": %s", unit);
  if ((r = sd_bus_message_close_container (m)) < 0)
    return bus_fail (err, r, NULL, "build the update of", unit);
  r = sd_bus_call (bus, m, JOB_TIMEOUT_USEC, &e, NULL);
  if (r < 0)
    return bus_fail (err, r, &e, "set the properties of", unit);
  return 0;
}

int
skiff_systemd_stop (const char *rel, skiff_error_t *err)
{
  cleanup_bus sd_bus *bus = NULL;
  cleanup_msg sd_bus_message *reply = NULL;
  cleanup_slot sd_bus_slot *slot = NULL;
  cleanup_bus_error sd_bus_error e = SD_BUS_ERROR_NULL;
  cleanup_free char *unit = NULL, *slice = NULL;
  struct job_wait w = { 0 };
  const char *job;
  int r;

  split_rel (rel, &unit, &slice);
  if (connect_systemd (&bus, err) < 0 || watch_jobs (bus, &slot, &w, unit, err) < 0)
    return -1;
  r = sd_bus_call_method (bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                          "org.freedesktop.systemd1.Manager", "StopUnit", &e, &reply, "ss", unit,
                          "replace");
  if (r < 0)
    {
      if (sd_bus_error_has_name (&e, "org.freedesktop.systemd1.NoSuchUnit"))
        {
          skiff_debug ("systemd unit %s is gone already", unit);
          return 0;
        }
      return bus_fail (err, r, &e, "stop unit", unit);
    }
  if ((r = sd_bus_message_read (reply, "o", &job)) < 0)
    return bus_fail (err, r, NULL, "stop unit", unit);
  w.path = job;
  r = wait_job (bus, &w, "stop unit", unit, err);
  free (w.result);
  if (r < 0)
    return r;
  /* A unit that failed stays loaded until reset: its name would be taken
     for the next container of that id.  */
  sd_bus_error_free (&e);
  if (sd_bus_call_method (bus, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                          "org.freedesktop.systemd1.Manager", "ResetFailedUnit", &e, NULL, "s",
                          unit) < 0)
    skiff_debug ("systemd unit %s: reset-failed: %s", unit, e.message ? e.message : "");
  return 0;
}

#else /* !HAVE_LIBSYSTEMD */

int
skiff_systemd_prepare (const char *rel, skiff_error_t *err)
{
  return skiff_systemd_check (err);
}

int
skiff_systemd_start (const char *rel, pid_t pid, const oci_resources *res,
                     const oci_string_map *annotations, skiff_error_t *err)
{
  return skiff_systemd_check (err);
}

int
skiff_systemd_update (const char *rel, const oci_resources *res, skiff_error_t *err)
{
  return skiff_systemd_check (err);
}

int
skiff_systemd_stop (const char *rel, skiff_error_t *err)
{
  return skiff_systemd_check (err);
}

#endif
