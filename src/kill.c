/* skiff kill: signal a container's process (or all of them with --all).  */
#include <config.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "container.h"
#include "utils.h"

/* "TERM", "SIGTERM", "sigterm", "15", "RTMIN+2", or "0" (no signal: the
   process is only checked to exist): -1 when unknown.  */
static int
parse_signal (const char *s)
{
  unsigned long long n;
  int i;

  if (parse_uint64 (s, &n) == 0)
    return n < (unsigned long long) NSIG ? (int) n : -1;
  if (strncasecmp (s, "SIG", 3) == 0)
    s += 3;
  if (strncasecmp (s, "RTMIN", 5) == 0 || strncasecmp (s, "RTMAX", 5) == 0)
    {
      bool min = strncasecmp (s, "RTMIN", 5) == 0;
      int base = min ? SIGRTMIN : SIGRTMAX, sig;
      const char *rest = s + 5;
      if (*rest == '\0')
        return base;
      if ((*rest != '+' && *rest != '-') || parse_uint64 (rest + 1, &n) < 0 || n > 64)
        return -1;
      sig = *rest == '+' ? base + (int) n : base - (int) n;
      return sig >= SIGRTMIN && sig <= SIGRTMAX ? sig : -1;
    }
  for (i = 1; i < SIGRTMIN; i++)
    {
      const char *abbrev = sigabbrev_np (i);
      if (abbrev && strcasecmp (abbrev, s) == 0)
        return i;
    }
  if (strcasecmp (s, "IOT") == 0)
    return SIGABRT;
  if (strcasecmp (s, "POLL") == 0)
    return SIGIO;
  return -1;
}

static const struct option kill_options[] = {
  { "all", no_argument, NULL, 'a' },
  { NULL, 0, NULL, 0 },
};

static int
handle (int opt, const char *arg, void *data, skiff_error_t *err)
{
  *(bool *) data = true; /* -a/--all is the only option */
  return 0;
}

int
skiff_cmd_kill (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  bool help = false, all = false;
  int sig = SIGTERM;
  int first = skiff_parse_options (argc, argv, "a", kill_options, handle, &all, &help, err);

  if (first < 0)
    return first;
  if (help)
    return 0;
  if (skiff_expect_args (argc, argv, first, 1, 2, err) < 0)
    return -1;
  ctx->id = argv[first];
  if (argc - first == 2)
    {
      sig = parse_signal (argv[first + 1]);
      if (sig < 0)
        return skiff_usage_error (err, argv[0], "unknown signal `%s`", argv[first + 1]);
    }
  /* Signal 0 sends nothing: it checks that the container's process exists
     (an error when the container is stopped), with or without --all.  */
  if (sig == 0)
    all = false;
  return skiff_container_kill (ctx, sig, all, err) < 0 ? -1 : 0;
}
