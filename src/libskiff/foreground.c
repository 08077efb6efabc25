/* skiff: waiting for a process in the foreground (`run`, `exec` without
   --detach): signals sent to the runtime go to the process, a terminal is
   proxied, and the wait status comes back.  */
#include <config.h>
#include "process.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "log.h"
#include "terminal.h"

static volatile pid_t forward_pid;

static void
forward_signal (int sig)
{
  int saved = errno;
  if (forward_pid > 0)
    kill (forward_pid, sig);
  errno = saved;
}

int
skiff_wait_foreground (pid_t pid, int pidfd, int tty_master)
{
  /* What a user or a supervisor sends the runtime is meant for the process;
     SIGWINCH is the proxy's own business when there is a terminal.  */
  static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH };
  struct sigaction sa;
  skiff_error_t ignored = NULL;
  int wst = 0;

  forward_pid = pid;
  memset (&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  sa.sa_flags = SA_RESTART;
  sigemptyset (&sa.sa_mask);
  for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
    if (! (tty_master >= 0 && forwarded[i] == SIGWINCH))
      sigaction (forwarded[i], &sa, NULL);

  if (tty_master >= 0 && skiff_terminal_proxy (tty_master, pidfd, &ignored) < 0)
    {
      skiff_warn ("%s", ignored->msg);
      skiff_error_free (&ignored);
    }
  while (waitpid (pid, &wst, 0) < 0)
    if (errno != EINTR)
      {
        wst = 0;
        break;
      }
  forward_pid = 0;
  return wst;
}
