/* skiff: OCI hooks.  Each hook is a program run with the container state
   on stdin; its output is captured (it must not end up in the container's
   stdio, which the caller may have handed us) and its tail is quoted when
   the hook fails.  Which namespaces a stage runs in is the caller's
   business: we run hooks from whatever process calls us.  */
#include <config.h>
#include "hooks.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>

#include "log.h"
#include "utils.h"

/* How much of a failing hook's output the error message quotes.  */
#define OUTPUT_TAIL 2048

struct hook_run
{
  pid_t pid;
  int pidfd;
  int in;       /* write end of the hook's stdin */
  int out;      /* read end of the hook's stdout+stderr */
  const char *state;
  size_t state_len, state_off;
  char tail[OUTPUT_TAIL];
  size_t tail_len;
};

static void
keep_tail (struct hook_run *h, const char *buf, size_t n)
{
  if (n >= OUTPUT_TAIL)
    {
      memcpy (h->tail, buf + n - OUTPUT_TAIL, OUTPUT_TAIL);
      h->tail_len = OUTPUT_TAIL;
      return;
    }
  if (h->tail_len + n > OUTPUT_TAIL)
    {
      size_t drop = h->tail_len + n - OUTPUT_TAIL;
      memmove (h->tail, h->tail + drop, h->tail_len - drop);
      h->tail_len -= drop;
    }
  memcpy (h->tail + h->tail_len, buf, n);
  h->tail_len += n;
}

static void __attribute__ ((noreturn))
hook_child (const oci_hook *hook, pid_t runtime, int in, int out)
{
  cleanup_free char **argv = NULL;
  char *empty_env[] = { NULL };
  sigset_t none;
  const char *msg;

  /* Our caller may block or ignore signals; the hook starts clean.  */
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  for (int s = 1; s < NSIG; s++)
    signal (s, SIG_DFL);
  /* Its own process group, so a timeout kills what it started too.  */
  setpgid (0, 0);
  /* A runtime killed meanwhile (`kill -9` of create) takes the hook with
     it, rather than leaving it running unwatched.  */
  if (prctl (PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid () != runtime)
    _exit (127);

  if (dup2 (in, 0) < 0 || dup2 (out, 1) < 0 || dup2 (out, 2) < 0)
    _exit (127);
  close_fds_from (3, NULL, 0, NULL);

  if (hook->args_len > 0)
    {
      argv = xmalloc0 ((hook->args_len + 1) * sizeof (char *));
      for (size_t i = 0; i < hook->args_len; i++)
        argv[i] = hook->args[i];
    }
  else
    {
      argv = xmalloc0 (2 * sizeof (char *));
      argv[0] = hook->path;
    }
  execve (hook->path, argv, hook->env ? hook->env : empty_env);
  msg = strerror (errno);
  if (write (2, "exec: ", 6) < 0 || write (2, msg, strlen (msg)) < 0)
    (void) 0;
  _exit (127);
}

/* Write what the hook has room for; a hook that does not read its stdin
   (or exits first) is fine, so EPIPE just ends the writing.  */
static void
feed_state (struct hook_run *h)
{
  while (h->in >= 0 && h->state_off < h->state_len)
    {
      ssize_t r = write (h->in, h->state + h->state_off, h->state_len - h->state_off);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0 && errno == EAGAIN)
        return;
      if (r < 0)
        break;
      h->state_off += r;
    }
  if (h->in >= 0)
    {
      close (h->in);
      h->in = -1;
    }
}

static bool
drain_output (struct hook_run *h)
{
  char buf[4096];
  for (;;)
    {
      ssize_t r = read (h->out, buf, sizeof buf);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        return r == 0 || errno != EAGAIN; /* true: EOF */
      keep_tail (h, buf, r);
    }
}

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

static int
hook_error (skiff_error_t *err, struct hook_run *h, const char *stage, size_t idx,
            const char *path, const char *what)
{
  size_t n = h->tail_len;
  /* Quote the output without its final newline(s).  */
  while (n > 0 && (h->tail[n - 1] == '\n' || h->tail[n - 1] == '\r'))
    n--;
  if (n > 0)
    return skiff_error_make (err, 0, "%s hook #%zu `%s`: %s: %.*s", stage, idx, path, what, (int) n,
                             h->tail);
  return skiff_error_make (err, 0, "%s hook #%zu `%s`: %s", stage, idx, path, what);
}

static int
run_hook (const oci_hook *hook, const char *stage, size_t idx, const char *state,
          skiff_error_t *err)
{
  struct hook_run h = { .pid = -1, .pidfd = -1, .in = -1, .out = -1, .state = state };
  int inp[2] = { -1, -1 }, outp[2] = { -1, -1 };
  long long deadline = -1;
  bool out_open = true, exited = false, timed_out = false;
  sigset_t pipe_set, oldmask;
  int status = 0, ret = 0;
  pid_t self;

  if (hook->path == NULL || hook->path[0] != '/')
    return skiff_error_make (err, 0, "%s hook #%zu: path `%s` is not absolute", stage, idx,
                             hook->path ? hook->path : "");
  if (hook->timeout_present && hook->timeout <= 0)
    return skiff_error_make (err, 0, "%s hook #%zu `%s`: timeout %d must be greater than zero",
                             stage, idx, hook->path, hook->timeout);

  h.state_len = state ? strlen (state) : 0;
  if (pipe2 (inp, O_CLOEXEC) < 0 || pipe2 (outp, O_CLOEXEC) < 0)
    {
      ret = skiff_error_sys (err, "%s hook #%zu `%s`: pipe", stage, idx, hook->path);
      goto out;
    }

  /* A hook that stops reading must not kill us with SIGPIPE: block it
     while we write, and discard the one we may cause.  */
  sigemptyset (&pipe_set);
  sigaddset (&pipe_set, SIGPIPE);
  sigprocmask (SIG_BLOCK, &pipe_set, &oldmask);

  self = getpid ();
  h.pid = fork ();
  if (h.pid < 0)
    {
      ret = skiff_error_sys (err, "%s hook #%zu `%s`: fork", stage, idx, hook->path);
      goto restore;
    }
  if (h.pid == 0)
    hook_child (hook, self, inp[0], outp[1]);

  close (inp[0]);
  close (outp[1]);
  inp[0] = outp[1] = -1;
  h.in = steal_fd (&inp[1]);
  h.out = steal_fd (&outp[0]);
  fcntl (h.in, F_SETFL, O_NONBLOCK);
  fcntl (h.out, F_SETFL, O_NONBLOCK);
  h.pidfd = syscall (SYS_pidfd_open, h.pid, 0);
  if (h.pidfd < 0)
    {
      ret = skiff_error_sys (err, "%s hook #%zu `%s`: pidfd_open", stage, idx, hook->path);
      kill (h.pid, SIGKILL);
      waitpid (h.pid, NULL, 0);
      goto restore;
    }
  if (hook->timeout_present)
    deadline = now_ms () + hook->timeout * 1000LL;

  feed_state (&h);
  while (! exited)
    {
      struct pollfd pfd[3] = {
        { .fd = h.in, .events = POLLOUT },
        { .fd = out_open ? h.out : -1, .events = POLLIN },
        { .fd = h.pidfd, .events = POLLIN },
      };
      int wait_ms = -1, n;
      if (deadline >= 0)
        {
          long long left = deadline - now_ms ();
          if (left <= 0)
            {
              timed_out = true;
              break;
            }
          wait_ms = left > 1000000 ? 1000000 : (int) left;
        }
      n = poll (pfd, 3, wait_ms);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          ret = skiff_error_sys (err, "%s hook #%zu `%s`: poll", stage, idx, hook->path);
          kill (-h.pid, SIGKILL);
          kill (h.pid, SIGKILL);
          waitpid (h.pid, NULL, 0);
          goto restore;
        }
      if (pfd[0].revents)
        feed_state (&h);
      if (pfd[1].revents && drain_output (&h))
        out_open = false;
      if (pfd[2].revents & POLLIN)
        exited = true;
    }

  if (timed_out)
    {
      kill (-h.pid, SIGKILL);
      kill (h.pid, SIGKILL);
    }
  /* Children of the hook may keep the pipe open: take what is there.  */
  if (out_open)
    drain_output (&h);
  while (waitpid (h.pid, &status, 0) < 0 && errno == EINTR)
    ;

  if (timed_out)
    {
      cleanup_free char *what = xasprintf ("timed out after %d s", hook->timeout);
      ret = hook_error (err, &h, stage, idx, hook->path, what);
    }
  else if (WIFEXITED (status) && WEXITSTATUS (status) != 0)
    {
      cleanup_free char *what = xasprintf ("exit status %d", WEXITSTATUS (status));
      ret = hook_error (err, &h, stage, idx, hook->path, what);
    }
  else if (WIFSIGNALED (status))
    {
      cleanup_free char *what = xasprintf ("killed by signal %d (%s)", WTERMSIG (status),
                                           strsignal (WTERMSIG (status)));
      ret = hook_error (err, &h, stage, idx, hook->path, what);
    }
  else if (h.tail_len > 0)
    skiff_debug ("%s hook #%zu `%s` said: %.*s", stage, idx, hook->path, (int) h.tail_len, h.tail);

restore:
  {
    /* A SIGPIPE pending now is ours unless it was blocked before.  */
    sigset_t pending;
    struct timespec zero = { 0, 0 };
    sigpending (&pending);
    if (sigismember (&pending, SIGPIPE) && ! sigismember (&oldmask, SIGPIPE))
      while (sigtimedwait (&pipe_set, NULL, &zero) < 0 && errno == EINTR)
        ;
    sigprocmask (SIG_SETMASK, &oldmask, NULL);
  }
out:
  for (int i = 0; i < 2; i++)
    {
      if (inp[i] >= 0)
        close (inp[i]);
      if (outp[i] >= 0)
        close (outp[i]);
    }
  if (h.in >= 0)
    close (h.in);
  if (h.out >= 0)
    close (h.out);
  if (h.pidfd >= 0)
    close (h.pidfd);
  return ret;
}

int
skiff_hooks_run (oci_hook **hooks, size_t n, const char *stage, const char *state_json,
                 skiff_error_t *err)
{
  for (size_t i = 0; i < n; i++)
    {
      int ret;
      skiff_debug ("running %s hook #%zu `%s`", stage, i, hooks[i]->path);
      ret = run_hook (hooks[i], stage, i, state_json, err);
      if (ret < 0)
        return ret;
    }
  return 0;
}

size_t
skiff_hooks_run_warn (oci_hook **hooks, size_t n, const char *stage, const char *state_json)
{
  size_t failed = 0;
  for (size_t i = 0; i < n; i++)
    {
      skiff_error_t e = NULL;
      skiff_debug ("running %s hook #%zu `%s`", stage, i, hooks[i]->path);
      if (run_hook (hooks[i], stage, i, state_json, &e) < 0)
        {
          skiff_warn ("%s", e->msg);
          skiff_error_free (&e);
          failed++;
        }
    }
  return failed;
}
