/* skiff ps: the processes of a container (--format json: an array of pids,
   as containerd reads it).  */
#include <config.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "container.h"
#include "utils.h"

static const struct option ps_options[] = {
  { "format", required_argument, NULL, 'f' },
  { NULL, 0, NULL, 0 },
};

static int
handle (int opt, const char *arg, void *data, skiff_error_t *err)
{
  *(const char **) data = arg;
  return 0;
}

/* The command line of PID with spaces between the arguments.  */
static char *
cmdline (pid_t pid)
{
  char path[64];
  char *data = NULL;
  size_t len = 0, i;
  skiff_error_t e = NULL;

  snprintf (path, sizeof path, "/proc/%d/cmdline", (int) pid);
  if (read_file_at (AT_FDCWD, path, &data, &len, &e) < 0 || len == 0)
    {
      skiff_error_free (&e);
      free (data);
      snprintf (path, sizeof path, "/proc/%d/comm", (int) pid);
      if (read_file_at (AT_FDCWD, path, &data, &len, &e) < 0)
        {
          skiff_error_free (&e);
          return xstrdup ("?");
        }
      data[strcspn (data, "\n")] = '\0';
      return data;
    }
  for (i = 0; i + 1 < len; i++)
    if (data[i] == '\0')
      data[i] = ' ';
  return data;
}

int
skiff_cmd_ps (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  bool help = false;
  const char *format = "table";
  cleanup_free pid_t *pids = NULL;
  size_t n = 0, i;
  int first = skiff_parse_options (argc, argv, "f:", ps_options, handle, &format, &help, err);

  if (first < 0)
    return first;
  if (help)
    return 0;
  if (strcmp (format, "json") != 0 && strcmp (format, "table") != 0)
    return skiff_usage_error (err, argv[0], "unknown format `%s` (table or json)", format);
  /* runc passes extra arguments to ps(1); we accept and ignore them.  */
  if (skiff_expect_args (argc, argv, first, 1, -1, err) < 0)
    return -1;
  ctx->id = argv[first];
  if (skiff_container_pids (ctx, &pids, &n, err) < 0)
    return -1;
  if (strcmp (format, "json") == 0)
    {
      putchar ('[');
      for (i = 0; i < n; i++)
        printf ("%s%d", i ? "," : "", (int) pids[i]);
      puts ("]");
      return 0;
    }
  printf ("%-10s %s\n", "PID", "CMD");
  for (i = 0; i < n; i++)
    {
      cleanup_free char *cmd = cmdline (pids[i]);
      printf ("%-10d %s\n", (int) pids[i], cmd);
    }
  return 0;
}
