/* skiff restore: the hooks of create and start, run at CRIU's stages
   through its action script (see below).  */
#include <config.h>
#include "criu_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks.h"
#include "log.h"
#include "utils.h"

/* ---- hooks on restore -------------------------------------------------------
 *
 * The lifecycle of a restored container is that of a created one, with
 * CRIU's stages in place of create's.  CRIU runs our action script at each
 * stage; the script writes the stage and the restored pid 1 into a fifo
 * and waits for our answer, while we run the hooks due then:
 *   setup-namespaces  the namespaces exist, nothing is restored in them:
 *                     prestart, createRuntime (in ours)
 *   post-restore      everything is restored, nothing resumed yet:
 *                     createContainer, startContainer (in the container's)
 * A failing hook fails its stage: CRIU kills what it restored and fails.
 * poststart runs once criu returned, as after `start`.  */

static bool
restore_has_hooks (const oci_hooks *h)
{
  return h && (h->prestart_len || h->create_runtime_len || h->create_container_len
               || h->start_container_len);
}

/* The script CRIU runs and its two fifos in the state dir (CRIU closes
   the fds it does not know before it runs scripts, so they are reached by
   path).  We hold both fifos open read-write: the script never blocks on
   an open, and an answer written before it reads waits in the fifo.  */
int
criu_restore_hooks_prepare (struct restore *r, struct args *a, skiff_error_t *err)
{
  static const char *const fifos[] = { HOOK_STAGE, HOOK_ANSWER };
  int *fds[] = { &r->hook_stage, &r->hook_answer };
  cleanup_free char *dir = NULL, *text = NULL;

  if (! restore_has_hooks (r->config->hooks))
    return 0;
  for (size_t i = 0; i < 2; i++)
    {
      if (mkfifoat (r->dirfd, fifos[i], 0600) < 0)
        return skiff_error_sys (err, "mkfifo `%s`", fifos[i]);
      *fds[i] = openat (r->dirfd, fifos[i], O_RDWR | O_CLOEXEC);
      if (*fds[i] < 0)
        return skiff_error_sys (err, "open `%s`", fifos[i]);
    }
  dir = xasprintf ("%s/%s", r->ctx->state_root, r->ctx->id);
  text = xasprintf ("#!/bin/sh\n"
                    "# skiff restore: tells skiff which stage CRIU's restore reached, and\n"
                    "# waits while skiff runs the container's hooks of that stage.\n"
                    "echo \"$CRTOOLS_SCRIPT_ACTION ${CRTOOLS_INIT_PID:-0}\" >'%s/%s' || exit 1\n"
                    "read -r answer <'%s/%s' && [ \"$answer\" = ok ]\n",
                    dir, HOOK_STAGE, dir, HOOK_ANSWER);
  if (write_file_atomic_at (r->dirfd, HOOK_SCRIPT, text, strlen (text), 0700, err) < 0)
    return -1;
  criu_args_add (a, xstrdup ("--action-script"));
  args_addf (a, "%s/%s", dir, HOOK_SCRIPT);
  return 0;
}

struct ns_hooks
{
  struct restore *r;
  int pidfd;
  int flags;
  bool own_mount;   /* the container's mount namespace, or ours with the rootfs as cwd */
  oci_hook **hooks;
  size_t n;
  const char *stage;
  const char *json;
};

static int
ns_hooks_child (void *data, skiff_error_t *err)
{
  struct ns_hooks *h = data;
  pid_t pid;

  if (setns (h->pidfd, h->flags) < 0)
    return skiff_error_sys (err, "%s hooks: join the namespaces of the restored process",
                            h->stage);
  /* The pid namespace is for children: the hooks run from one, as from
     create's child, which is their parent in the container.  */
  pid = fork ();
  if (pid < 0)
    return skiff_error_sys (err, "%s hooks: fork", h->stage);
  if (pid > 0)
    {
      int st;
      if (criu_wait_child (pid, &st, "hooks", err) < 0)
        return -1;
      /* Its error, if any, is on the pipe we share.  */
      _exit (WIFEXITED (st) ? WEXITSTATUS (st) : 127);
    }
  if (chdir (h->own_mount ? "/" : h->r->state.rootfs) < 0)
    return skiff_error_sys (err, "%s hooks: chdir", h->stage);
  return skiff_hooks_run (h->hooks, h->n, h->stage, h->json, err);
}

/* HOOKS in the namespaces of the restored process PID, as create runs
   them in its child: createContainer with our mount table and the rootfs
   as cwd (host paths still resolve; the container's root is already its
   own), startContainer with the container's.  */
static int
restore_hooks_in_container (struct restore *r, oci_hook **hooks, size_t n, const char *stage,
                            enum skiff_status status, bool own_mount, skiff_error_t *err)
{
  cleanup_free char *json = NULL, *user = NULL;
  cleanup_close int pidfd = -1;
  struct stat ours, theirs;
  struct ns_hooks h = { .r = r, .hooks = hooks, .n = n, .stage = stage, .own_mount = own_mount };
  int report, st;
  pid_t pid;

  if (n == 0)
    return 0;
  pidfd = (int) syscall (SYS_pidfd_open, r->pid, 0);
  if (pidfd < 0)
    return skiff_error_sys (err, "%s hooks: pidfd_open %d", stage, (int) r->pid);
  /* Joining one's own namespace is a no-op, except the user namespace,
     which refuses it.  */
  h.flags = CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP
            | (own_mount ? CLONE_NEWNS : 0);
  user = xasprintf ("/proc/%d/ns/user", (int) r->pid);
  if (stat (user, &theirs) == 0 && stat ("/proc/self/ns/user", &ours) == 0
      && theirs.st_ino != ours.st_ino)
    h.flags |= CLONE_NEWUSER;
  h.pidfd = pidfd;
  json = skiff_state_oci_json (&r->state, status);
  h.json = json;
  pid = criu_fork_reporting (ns_hooks_child, &h, &report, "hook runner", err);
  if (pid < 0)
    return -1;
  if (criu_read_report (report, err) < 0)
    {
      waitpid (pid, NULL, 0);
      return -1;
    }
  if (criu_wait_child (pid, &st, "hook runner", err) < 0)
    return -1;
  if (! WIFEXITED (st) || WEXITSTATUS (st) != 0)
    return skiff_error_plain (err, EIO, "%s hooks: their runner failed (status %d)", stage,
                              skiff_exit_status (st));
  return 0;
}

static int
restore_stage_hooks (struct restore *r, const char *action, pid_t pid, skiff_error_t *err)
{
  const oci_hooks *h = r->config->hooks;

  if (strcmp (action, "setup-namespaces") == 0)
    {
      cleanup_free char *json = NULL;
      /* From here the pid is the container's: a failure kills and reaps
         it (CRIU kills it, but it is our child, not criu's).  */
      r->pid = r->state.pid = pid;
      json = skiff_state_oci_json (&r->state, SKIFF_STATUS_CREATING);
      if (skiff_hooks_run (h->prestart, h->prestart_len, "prestart", json, err) < 0
          || skiff_hooks_run (h->create_runtime, h->create_runtime_len, "createRuntime", json,
                              err) < 0)
        return -1;
    }
  else if (strcmp (action, "post-restore") == 0)
    {
      if (restore_hooks_in_container (r, h->create_container, h->create_container_len,
                                      "createContainer", SKIFF_STATUS_CREATING, false, err) < 0
          || restore_hooks_in_container (r, h->start_container, h->start_container_len,
                                         "startContainer", SKIFF_STATUS_CREATED, true, err) < 0)
        return -1;
    }
  return 0;
}

/* One line of the action script, "STAGE PID": its hooks, then the
   answer.  The first hook failure is kept in *ERR (CRIU aborts on the
   failed stage; later stages are only answered).  */
static void
serve_line (struct restore *r, const char *line, int *ret, skiff_error_t *err)
{
  char action[64];
  int pid = 0;
  const char *answer = "ok\n";

  if (sscanf (line, "%63s %d", action, &pid) < 1)
    return;
  skiff_debug ("criu restore stage %s (pid %d)", action, pid);
  if (*ret == 0 && pid > 0 && restore_stage_hooks (r, action, pid, err) < 0)
    {
      *ret = -1;
      answer = "fail\n";
    }
  (void) write_all (r->hook_answer, answer, strlen (answer));
}

/* While criu (CRIU_PID) runs: answer its action script, stage by stage.  */
int
criu_serve_hooks (void *data, pid_t criu_pid, skiff_error_t *err)
{
  struct restore *r = data;
  cleanup_close int pidfd = (int) syscall (SYS_pidfd_open, criu_pid, 0);
  char buf[512];
  size_t len = 0;
  int ret = 0;

  if (pidfd < 0)
    return skiff_error_sys (err, "pidfd_open criu");
  for (;;)
    {
      struct pollfd pfd[2] = { { .fd = r->hook_stage, .events = POLLIN },
                               { .fd = pidfd, .events = POLLIN } };
      char *nl;
      ssize_t n;

      if (poll (pfd, 2, -1) < 0)
        {
          if (errno == EINTR)
            continue;
          return skiff_error_sys (err, "poll");
        }
      if (! (pfd[0].revents & POLLIN))
        break; /* criu exited */
      n = read (r->hook_stage, buf + len, sizeof buf - 1 - len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return skiff_error_sys (err, "read `%s`", HOOK_STAGE);
      len += n;
      buf[len] = '\0';
      while ((nl = strchr (buf, '\n')) != NULL)
        {
          *nl = '\0';
          serve_line (r, buf, &ret, err);
          len -= nl + 1 - buf;
          memmove (buf, nl + 1, len + 1);
        }
      if (len == sizeof buf - 1)
        len = 0; /* not a line of ours */
    }
  return ret;
}
