/* skiff events: `--stats` prints one runc-style stats object; without it,
   a stream of stats every --interval plus {"type":"oom"} when the kernel
   OOM-kills a process of the container (memory.events oom_kill grows,
   watched with inotify), until the container stops.  */
#include <config.h>
#include "commands.h"
#include "cgroup.h"
#include "log.h"
#include "state.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>

struct events_opts
{
  bool stats;
  long interval_ms;
};

enum
{
  OPT_STATS = 1000,
  OPT_INTERVAL,
};

static const struct option events_options[] = {
  { "stats", no_argument, NULL, OPT_STATS },
  { "interval", required_argument, NULL, OPT_INTERVAL },
  { NULL, 0, NULL, 0 },
};

/* "5", "5s", "500ms", "1m" (Go durations as runc takes them, simplified). */
static int
parse_interval (const char *s, long *ms)
{
  char *end;
  errno = 0;
  double v = strtod (s, &end);
  if (errno || end == s || v <= 0)
    return -1;
  if (*end == '\0' || strcmp (end, "s") == 0)
    v *= 1000;
  else if (strcmp (end, "m") == 0)
    v *= 60000;
  else if (strcmp (end, "ms") != 0)
    return -1;
  *ms = v < 1 ? 1 : (long) v;
  return 0;
}

static int
handle_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct events_opts *o = data;
  if (opt == OPT_STATS)
    o->stats = true;
  else if (opt == OPT_INTERVAL && parse_interval (arg, &o->interval_ms) < 0)
    return skiff_usage_error (err, "events", "invalid --interval `%s` (e.g. 5s, 500ms)", arg);
  return 0;
}

/* The container's recorded cgroup path and whether it still runs.  The
   state dir is locked only for this short read, never across the stream,
   so kill/delete are not blocked by a running `events`.  */
static int
container_info (const char *root, const char *id, char **cgroup_path, bool *stopped,
                skiff_error_t *err)
{
  cleanup_close int dirfd = skiff_state_open_dir (root, id, err);
  struct skiff_state *st = NULL;
  enum skiff_status status;
  int ret = -1;

  if (dirfd < 0)
    return -1;
  if (skiff_state_read (dirfd, &st, err) < 0)
    return -1;
  if (skiff_state_status (dirfd, st, &status, err) < 0)
    goto out;
  *stopped = status == SKIFF_STATUS_STOPPED;
  if (cgroup_path)
    *cgroup_path = st->cgroup_path ? xstrdup (st->cgroup_path) : NULL;
  ret = 0;
out:
  skiff_state_free (st);
  return ret;
}

static int
print_stats (const struct skiff_cgroup *cg, const char *id, skiff_error_t *err)
{
  cleanup_free char *data = NULL;
  if (skiff_cgroup_stats_json (cg, &data, err) < 0)
    return -1;
  printf ("{\"type\":\"stats\",\"id\":\"%s\",\"data\":%s}\n", id, data);
  fflush (stdout);
  return 0;
}

static unsigned long long
oom_kills (const char *cgpath)
{
  cleanup_free char *file = xasprintf ("%s/memory.events", cgpath);
  cleanup_free char *ev = NULL;
  unsigned long long v = 0;
  if (read_file_at (AT_FDCWD, file, &ev, NULL, NULL) < 0)
    return 0;
  char *p = strstr (ev, "oom_kill ");
  if (p)
    v = strtoull (p + 9, NULL, 10);
  return v;
}

int
skiff_cmd_events (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  struct events_opts o = { .interval_ms = 5000 };
  cleanup_free char *cgpath = NULL;
  struct skiff_cgroup *cg = NULL;
  bool stopped = false;
  int ret = skiff_parse_id_options (ctx, argc, argv, "", events_options, handle_option, &o, err);

  if (ret != 0)
    return ret < 0 ? ret : 0;
  ret = -1;
  const char *id = ctx->id;

  if (container_info (ctx->state_root, id, &cgpath, &stopped, err) < 0)
    return -1;
  if (cgpath == NULL)
    return skiff_error_make (err, ENOTSUP, "events: container `%s` has no cgroup (created with "
                                           "--cgroup-manager disabled)", id);
  if (stopped)
    return skiff_error_make (err, 0, "events: container `%s` is stopped", id);
  if (skiff_cgroup_open (cgpath, &cg, err) < 0)
    return -1;

  if (o.stats)
    {
      ret = print_stats (cg, id, err);
      skiff_cgroup_free (cg);
      return ret < 0 ? skiff_error_wrap (err, "events %s", id) : 0;
    }

  /* memory.events is modified (IN_MODIFY via kernfs notify) on every
     event; without the memory controller there is nothing to watch and
     only the periodic stats are printed.  */
  cleanup_close int ino = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  cleanup_free char *evfile = xasprintf ("%s/memory.events", cgpath);
  if (ino >= 0 && inotify_add_watch (ino, evfile, IN_MODIFY) < 0)
    {
      skiff_debug ("events: cannot watch %s: OOM kills are not reported", evfile);
      close (ino);
      ino = -1;
    }
  unsigned long long ooms = oom_kills (cgpath);
  ret = 0;
  for (;;)
    {
      struct pollfd pfd = { .fd = ino, .events = POLLIN };
      int n = poll (&pfd, ino >= 0 ? 1 : 0, (int) o.interval_ms);
      if (n < 0 && errno != EINTR)
        {
          ret = skiff_error_sys (err, "events: poll");
          break;
        }
      if (n > 0)
        {
          char buf[4096];
          while (read (ino, buf, sizeof (buf)) > 0)
            ;
          unsigned long long now = oom_kills (cgpath);
          if (now > ooms)
            {
              printf ("{\"type\":\"oom\",\"id\":\"%s\"}\n", id);
              fflush (stdout);
            }
          ooms = now;
        }
      if (container_info (ctx->state_root, id, NULL, &stopped, NULL) < 0 || stopped)
        break;
      if (n == 0 && print_stats (cg, id, NULL) < 0)
        break;
    }
  skiff_cgroup_free (cg);
  return ret;
}
