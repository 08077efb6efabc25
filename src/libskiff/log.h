/* skiff: logging.  Text lines on stderr by default; with --log FILE the
   lines go to FILE; with --log-format json each line is one object
   {"level":…,"msg":…,"time":"RFC 3339"} as containerd and podman read it. */
#ifndef SKIFF_LOG_H
#define SKIFF_LOG_H

#include <stdbool.h>
#include "error.h"

enum skiff_log_level
{
  SKIFF_LOG_ERROR,
  SKIFF_LOG_WARNING,
  SKIFF_LOG_INFO,
  SKIFF_LOG_DEBUG,
};

/* FILE may be NULL (stderr).  Returns <0 if FILE cannot be opened.  */
int skiff_log_init (const char *file, bool json, bool debug, skiff_error_t *err);
bool skiff_log_debug_enabled (void);
/* The program named at the start of text lines ("skiff" by default).  */
void skiff_log_set_name (const char *name);
void skiff_log (enum skiff_log_level level, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
#define skiff_debug(...) \
  do { if (skiff_log_debug_enabled ()) skiff_log (SKIFF_LOG_DEBUG, __VA_ARGS__); } while (0)
#define skiff_warn(...) skiff_log (SKIFF_LOG_WARNING, __VA_ARGS__)

/* Report ERR once: "skiff: PREFIX: msg" on stderr, and as an error line in
   the log file when one is set.  */
void skiff_log_error (const char *prefix, const skiff_error_t *err);

#endif
