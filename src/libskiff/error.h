/* skiff: one error convention for the whole runtime.
 *
 * Every fallible library function takes `skiff_error_t *err` as its last
 * argument and returns a negative value on failure after filling *err.
 * Callers add context on the way up with skiff_error_wrap(), so the CLI can
 * print one line such as "create abc: mount /proc: Permission denied".
 * The library never exits; only the CLI decides how to report.  */
#ifndef SKIFF_ERROR_H
#define SKIFF_ERROR_H

#include <stdarg.h>

struct skiff_error
{
  int status; /* errno value, 0 when the error is not an OS error */
  char *msg;  /* full message, context first; never NULL */
};
typedef struct skiff_error *skiff_error_t;

/* Fill *err with a message built from FMT; when ERRNUM is not 0,
   ": strerror(ERRNUM)" is appended.  Returns -ERRNUM, or -1 when ERRNUM is 0.
   If *err is already set, the old error is freed first.  */
int skiff_error_make (skiff_error_t *err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* Shorthand for errors from a syscall: uses the current errno.  */
#define skiff_error_sys(err, ...) skiff_error_make ((err), errno, __VA_ARGS__)

/* An error whose text says it all: no strerror appended, errno kept for
   callers that test it.  */
#define skiff_error_plain(err, errnum, ...)                                  \
  __extension__ ({                                                           \
    int r_ = skiff_error_make ((err), 0, __VA_ARGS__);                       \
    if ((err) && *(err))                                                     \
      (*(err))->status = (errnum);                                           \
    r_;                                                                      \
  })

/* Prepend "CONTEXT: " to the message of *err.  Returns the same value that
   skiff_error_make returned (negative).  */
int skiff_error_wrap (skiff_error_t *err, const char *fmt, ...)
    __attribute__ ((format (printf, 2, 3)));

/* The errno recorded in *err (0 if none).  */
int skiff_error_errno (const skiff_error_t *err);

void skiff_error_free (skiff_error_t *err);
#define cleanup_error __attribute__ ((cleanup (skiff_error_free)))

#endif
