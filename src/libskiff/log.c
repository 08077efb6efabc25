#include <config.h>
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "utils.h"

static int log_fd = 2;
static bool log_json;
static bool log_debug;
static const char *log_name = "skiff";

void
skiff_log_set_name (const char *name)
{
  log_name = name;
}

int
skiff_log_init (const char *file, bool json, bool debug, skiff_error_t *err)
{
  log_json = json;
  log_debug = debug;
  if (file && *file)
    {
      int fd = open (file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
      if (fd < 0)
        return skiff_error_sys (err, "open log file `%s`", file);
      log_fd = fd;
    }
  return 0;
}

bool
skiff_log_debug_enabled (void)
{
  return log_debug;
}

static const char *
level_name (enum skiff_log_level l)
{
  switch (l)
    {
    case SKIFF_LOG_ERROR: return "error";
    case SKIFF_LOG_WARNING: return "warning";
    case SKIFF_LOG_INFO: return "info";
    default: return "debug";
    }
}

/* JSON string escaping for the log line (control characters, quotes).  */
static void
append_json_string (FILE *f, const char *s)
{
  fputc ('"', f);
  for (const unsigned char *p = (const unsigned char *) s; *p; p++)
    {
      if (*p == '"' || *p == '\\')
        fprintf (f, "\\%c", *p);
      else if (*p == '\n')
        fputs ("\\n", f);
      else if (*p == '\t')
        fputs ("\\t", f);
      else if (*p < 0x20)
        fprintf (f, "\\u%04x", *p);
      else
        fputc (*p, f);
    }
  fputc ('"', f);
}

static void
emit (enum skiff_log_level level, const char *msg, int fd)
{
  char *line = NULL;
  size_t len = 0;
  FILE *f = open_memstream (&line, &len);
  if (f == NULL)
    return;
  if (log_json)
    {
      struct timeval tv;
      struct tm tm;
      char ts[64];
      gettimeofday (&tv, NULL);
      gmtime_r (&tv.tv_sec, &tm);
      strftime (ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
      fprintf (f, "{\"level\":\"%s\",\"msg\":", level_name (level));
      append_json_string (f, msg);
      fprintf (f, ",\"time\":\"%s.%06ldZ\"}\n", ts, (long) tv.tv_usec);
    }
  else
    fprintf (f, "%s: %s%s%s\n", log_name, level == SKIFF_LOG_ERROR ? "" : level_name (level),
             level == SKIFF_LOG_ERROR ? "" : ": ", msg);
  fclose (f);
  if (write_all (fd, line, len) < 0)
    (void) 0;
  free (line);
}

void
skiff_log (enum skiff_log_level level, const char *fmt, ...)
{
  va_list ap;
  char *msg;
  int saved = errno;
  if (level == SKIFF_LOG_DEBUG && !log_debug)
    return;
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  if (msg)
    {
      emit (level, msg, log_fd);
      free (msg);
    }
  errno = saved;
}

void
skiff_log_error (const char *prefix, const skiff_error_t *err)
{
  const char *m = (err && *err) ? (*err)->msg : "unknown error";
  cleanup_free char *msg = prefix ? xasprintf ("%s: %s", prefix, m) : xstrdup (m);
  /* The caller (a user or conmon) always sees the error on stderr; a log
     file gets it too, in its own format.  */
  if (log_fd != 2)
    emit (SKIFF_LOG_ERROR, msg, log_fd);
  if (log_fd != 2 || !log_json)
    {
      bool j = log_json;
      log_json = false;
      emit (SKIFF_LOG_ERROR, msg, 2);
      log_json = j;
    }
  else
    emit (SKIFF_LOG_ERROR, msg, 2);
}
