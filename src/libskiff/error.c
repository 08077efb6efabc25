#include <config.h>
#include "error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Called when even the error message cannot be allocated: a static error
   keeps the convention working without exiting.  */
static char oom_msg[] = "out of memory";

static char *
vformat (const char *fmt, va_list ap)
{
  char *s = NULL;
  if (vasprintf (&s, fmt, ap) < 0)
    return NULL;
  return s;
}

void
skiff_error_free (skiff_error_t *err)
{
  if (err == NULL || *err == NULL)
    return;
  if ((*err)->msg != oom_msg)
    free ((*err)->msg);
  free (*err);
  *err = NULL;
}

int
skiff_error_make (skiff_error_t *err, int errnum, const char *fmt, ...)
{
  va_list ap;
  char *base, *msg = NULL;
  int ret = errnum ? -errnum : -1;

  if (err == NULL)
    return ret;
  skiff_error_free (err);

  *err = calloc (1, sizeof (**err));
  if (*err == NULL)
    return ret;
  (*err)->status = errnum;

  va_start (ap, fmt);
  base = vformat (fmt, ap);
  va_end (ap);

  if (base && errnum)
    {
      if (asprintf (&msg, "%s: %s", base, strerror (errnum)) < 0)
        msg = NULL;
      free (base);
    }
  else
    msg = base;
  (*err)->msg = msg ? msg : oom_msg;
  return ret;
}

int
skiff_error_wrap (skiff_error_t *err, const char *fmt, ...)
{
  va_list ap;
  char *ctx, *msg = NULL;

  if (err == NULL || *err == NULL)
    return -1;

  va_start (ap, fmt);
  ctx = vformat (fmt, ap);
  va_end (ap);

  if (ctx && asprintf (&msg, "%s: %s", ctx, (*err)->msg) >= 0)
    {
      if ((*err)->msg != oom_msg)
        free ((*err)->msg);
      (*err)->msg = msg;
    }
  free (ctx);
  return (*err)->status ? -(*err)->status : -1;
}

int
skiff_error_errno (const skiff_error_t *err)
{
  return (err && *err) ? (*err)->status : 0;
}
