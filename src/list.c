/* skiff list: the containers under --root, as a table (ID PID STATUS
   BUNDLE CREATED OWNER, like runc), JSON or bare ids.  Reads state files
   without locking: they are replaced atomically.  */
#include <config.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "state.h"
#include "utils.h"

static const struct option list_options[] = {
  { "format", required_argument, NULL, 'f' },
  { "quiet", no_argument, NULL, 'q' },
  { NULL, 0, NULL, 0 },
};

struct list_opts
{
  const char *format;
  bool quiet;
};

static int
handle (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct list_opts *o = data;
  if (opt == 'q')
    o->quiet = true;
  else
    o->format = arg;
  return 0;
}

struct entry
{
  struct skiff_state *s;
  enum skiff_status status;
};

static int
cell (const char *s)
{
  return (int) strlen (s ? s : "");
}

int
skiff_cmd_list (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  struct list_opts o = { .format = "table" };
  bool help = false;
  cleanup_strv char **ids = NULL;
  struct entry *e = NULL;
  size_t n = 0, i;
  int w[4] = { 2, 3, 6, 6 }; /* ID PID STATUS BUNDLE */
  int first = skiff_parse_options (argc, argv, "f:q", list_options, handle, &o, &help, err);

  if (first < 0)
    return first;
  if (help)
    return 0;
  if (skiff_expect_args (argc, argv, first, 0, 0, err) < 0)
    return -1;
  if (strcmp (o.format, "json") != 0 && strcmp (o.format, "table") != 0)
    return skiff_usage_error (err, argv[0], "unknown format `%s` (table or json)", o.format);
  if (skiff_state_list (ctx->state_root, &ids, err) < 0)
    return -1;

  for (i = 0; ids[i]; i++)
    {
      cleanup_free char *path = xasprintf ("%s/%s", ctx->state_root, ids[i]);
      cleanup_close int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      struct skiff_state *s = NULL;
      skiff_error_t ignored = NULL;
      struct stat st;
      enum skiff_status status;

      /* Half-created or half-deleted: not a container (yet/any more).  */
      if (fd < 0 || skiff_state_read (fd, &s, &ignored) < 0
          || skiff_state_status (fd, s, &status, &ignored) < 0)
        {
          skiff_error_free (&ignored);
          skiff_state_free (s);
          continue;
        }
      if (status == SKIFF_STATUS_STOPPED)
        s->pid = 0;
      if (fstat (fd, &st) == 0)
        {
          struct passwd *pw = o.quiet ? NULL : getpwuid (st.st_uid);
          free (s->owner);
          s->owner = pw ? xstrdup (pw->pw_name) : xasprintf ("#%u", (unsigned) st.st_uid);
        }
      e = xrealloc (e, (n + 1) * sizeof *e);
      e[n].s = s;
      e[n].status = status;
      n++;
    }

  if (o.quiet)
    for (i = 0; i < n; i++)
      puts (e[i].s->id);
  else if (strcmp (o.format, "json") == 0)
    {
      fputs ("[", stdout);
      for (i = 0; i < n; i++)
        {
          cleanup_free char *json = skiff_state_oci_json (e[i].s, e[i].status);
          printf ("%s%s", i ? "," : "", json);
        }
      puts ("]");
    }
  else
    {
      for (i = 0; i < n; i++)
        {
          char pid[16];
          snprintf (pid, sizeof pid, "%d", (int) e[i].s->pid);
          if (cell (e[i].s->id) > w[0])
            w[0] = cell (e[i].s->id);
          if (cell (pid) > w[1])
            w[1] = cell (pid);
          if (cell (e[i].s->bundle) > w[3])
            w[3] = cell (e[i].s->bundle);
        }
      w[2] = 7;
      printf ("%-*s   %-*s   %-*s   %-*s   %-30s   %s\n", w[0], "ID", w[1], "PID", w[2], "STATUS",
              w[3], "BUNDLE", "CREATED", "OWNER");
      for (i = 0; i < n; i++)
        printf ("%-*s   %-*d   %-*s   %-*s   %-30s   %s\n", w[0], e[i].s->id, w[1],
                (int) e[i].s->pid, w[2], skiff_status_name (e[i].status), w[3],
                e[i].s->bundle ? e[i].s->bundle : "", e[i].s->created ? e[i].s->created : "",
                e[i].s->owner ? e[i].s->owner : "");
    }
  for (i = 0; i < n; i++)
    skiff_state_free (e[i].s);
  free (e);
  return 0;
}
