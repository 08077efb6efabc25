/* skiff: `create` and `run`: one process clones the container directly.
 *
 * Parent: parse config -> state dir (locked) + minimal state.json ->
 * security_prepare -> cgroup (its path recorded first) -> console socket
 * -> exec.fifo + sync socket
 * -> clone3 -> id maps / time offsets / cgroup / state with pid -> GO ->
 * serve the child's requests (createRuntime hooks, seccomp fd) until READY
 * (create) or EOF on the close-on-exec sync socket (run: the exec happened).
 *
 * The state dir and a minimal state.json exist before anything else is
 * created, the cgroup's path is recorded before the cgroup is made, and the
 * pid right after the clone, so a create that is killed at any step leaves
 * something `delete --force` can clean up (tests/integration/crash.bats
 * kills it at each skiff_crash_point and at random instants).
 * The child only blocks on the sync socket until it gets GO (a dead parent
 * means EOF, and the child exits) and on exec.fifo after it.  */
#include <config.h>
#include "container.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "container_internal.h"
#include "exe_guard.h"
#include "hooks.h"
#include "log.h"
#include "namespaces.h"
#include "process.h"
#include "rootfs.h"
#include "security.h"
#include "state.h"
#include "terminal.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

/* ---- sync protocol ------------------------------------------------------- */

int
skiff_sync_send (int sock, int type, int pid, int fd)
{
  struct sync_msg m = { .type = type, .pid = pid };
  return send_with_fd (sock, &m, offsetof (struct sync_msg, text), fd) < 0 ? -1 : 0;
}

void
skiff_sync_send_error (int sock, const skiff_error_t *err, int exit_code)
{
  struct sync_msg m = { .type = SYNC_ERROR, .pid = exit_code };
  size_t n;

  m.errnum = err && *err ? (*err)->status : 0;
  snprintf (m.text, sizeof m.text, "%s", err && *err ? (*err)->msg : "unknown error");
  n = offsetof (struct sync_msg, text) + strlen (m.text) + 1;
  /* write(2), not send(2): this may run under the container's seccomp
     filter, and no profile denies write.  (A SIGPIPE only ends a process
     that is exiting anyway.)  */
  while (write (sock, &m, n) < 0 && errno == EINTR)
    ;
}

int
skiff_sync_recv (int sock, struct sync_msg *m, int *fd)
{
  int got;
  ssize_t n = recv_with_fd (sock, m, sizeof *m - 1, &got);

  if (fd)
    *fd = got;
  else if (got >= 0)
    close (got);
  if (n <= 0)
    return (int) n;
  ((char *) m)[n] = '\0';
  if (n < (ssize_t) offsetof (struct sync_msg, text))
    {
      if (fd && *fd >= 0)
        close (*fd), *fd = -1;
      errno = EPROTO;
      return -1;
    }
  return 1;
}

int
skiff_sync_error (const struct sync_msg *m, skiff_error_t *err)
{
  int ret = skiff_error_make (err, 0, "%s", m->text);
  if (*err && m->errnum > 0)
    {
      (*err)->status = m->errnum;
      ret = -m->errnum;
    }
  return ret;
}

int
skiff_sync_expect (int sock, int type, struct sync_msg *m, skiff_error_t *err)
{
  int r = skiff_sync_recv (sock, m, NULL);
  if (r < 0)
    return skiff_error_sys (err, "sync socket");
  if (r == 0)
    return skiff_error_plain (err, EPIPE, "sync socket: the other side exited");
  if (m->type == SYNC_ERROR)
    return skiff_sync_error (m, err);
  if (m->type != type)
    return skiff_error_plain (err, EPROTO, "sync socket: unexpected message %d (wanted %d)",
                             m->type, type);
  return 0;
}

int
skiff_load_config (int dirfd, const char *path, oci_config **out, char **data, size_t *len,
                   skiff_error_t *err)
{
  cleanup_free char *buf = NULL;
  char *errstr = NULL;
  size_t n;
  oci_config *config;

  if (read_file_at (dirfd, path, &buf, &n, err) < 0)
    return -1;
  config = oci_config_parse_data (buf, n, "config.json", &errstr);
  if (config == NULL)
    {
      int ret = skiff_error_plain (err, EINVAL, "%s", errstr ? errstr : "config.json: invalid");
      free (errstr);
      return ret;
    }
  *out = config;
  if (data)
    *data = steal_pointer (&buf);
  if (len)
    *len = n;
  return 0;
}

int
skiff_exit_status (int wstatus)
{
  if (WIFEXITED (wstatus))
    return WEXITSTATUS (wstatus);
  if (WIFSIGNALED (wstatus))
    return 128 + WTERMSIG (wstatus);
  return 255;
}

/* ---- one create ------------------------------------------------------- */

struct job
{
  struct skiff_context *ctx;
  bool run_mode;            /* no exec.fifo: the child execs once ready */
  oci_config *config;
  char *config_data;
  size_t config_len;
  struct skiff_state state; /* annotations borrowed from config */
  int dirfd;
  struct skiff_security *sec;
  struct skiff_cgroup *cg;
  struct skiff_ns_plan plan;
  int console_fd;           /* --console-socket connection */
  int tty_sock[2];          /* run without --console-socket: master comes back here */
  int sync[2];
  int fifo_fd;
  bool started;             /* `start` released us from exec.fifo */
  bool runtime_hooks;       /* prestart or createRuntime hooks exist */
  bool placed;              /* CLONE_INTO_CGROUP worked */
  bool got_go;
  bool exec_stage;          /* child: failures now are "cannot exec" (126/127) */
  int exec_status;          /* parent: 126/127 when the child could not exec */
  pid_t pid;
  int pidfd;
  int tty_master;
  int *premade;             /* id-mapped trees for a user namespace (rootfs.h) */
};

static void
job_init (struct job *j, struct skiff_context *ctx, bool run_mode)
{
  memset (j, 0, sizeof *j);
  j->ctx = ctx;
  j->run_mode = run_mode;
  j->dirfd = j->console_fd = j->fifo_fd = j->pidfd = j->tty_master = -1;
  j->tty_sock[0] = j->tty_sock[1] = j->sync[0] = j->sync[1] = -1;
  for (int k = 0; k < SKIFF_NS_COUNT; k++)
    j->plan.join_fd[k] = -1;
}

static void
job_release (struct job *j)
{
  close_fd (&j->console_fd);
  close_fd (&j->tty_sock[0]);
  close_fd (&j->tty_sock[1]);
  close_fd (&j->sync[0]);
  close_fd (&j->sync[1]);
  close_fd (&j->fifo_fd);
  skiff_ns_plan_close (&j->plan);
  skiff_security_free (j->sec);
  j->sec = NULL;
  skiff_rootfs_premade_free (j->premade, j->config ? j->config->mounts_len : 0);
  j->premade = NULL;
}

static void
job_free (struct job *j)
{
  job_release (j);
  close_fd (&j->dirfd);
  close_fd (&j->pidfd);
  close_fd (&j->tty_master);
  skiff_cgroup_free (j->cg);
  free (j->state.id);
  free (j->state.bundle);
  free (j->state.rootfs);
  free (j->state.cgroup_path);
  free (j->state.created);
  free (j->config_data);
  oci_config_free (j->config);
}

static size_t
hooks_len (const oci_hooks *h, int which)
{
  if (h == NULL)
    return 0;
  switch (which)
    {
    case 0:
      return h->prestart_len + h->create_runtime_len;
    default:
      return h->create_container_len + h->start_container_len + h->poststart_len
             + h->poststop_len;
    }
}

/* ---- the child ---------------------------------------------------------- */

static int
child_wait_go (struct job *j, skiff_error_t *err)
{
  struct sync_msg m;
  if (j->got_go)
    return 0;
  if (skiff_sync_expect (j->sync[1], SYNC_GO, &m, err) < 0)
    return -1;
  j->state.pid = m.pid;
  j->got_go = true;
  return 0;
}

static int
child_hooks (struct job *j, oci_hook **hooks, size_t n, const char *stage,
             enum skiff_status status, skiff_error_t *err)
{
  cleanup_free char *json = NULL;
  if (n == 0)
    return 0;
  json = skiff_state_oci_json (&j->state, status);
  return skiff_hooks_run (hooks, n, stage, json, err);
}

static int
child_setup (struct job *j, char **exec_path, skiff_error_t *err)
{
  const oci_config *config = j->config;
  const oci_process *proc = config->process;
  const oci_hooks *hooks = config->hooks;
  uint64_t all = j->plan.clone_flags | j->plan.unshare_flags;
  struct skiff_rootfs_opts ropts = {
    .rootfs = j->state.rootfs,
    .bundle = j->state.bundle,
    .no_pivot = j->ctx->no_pivot,
    .user_ns = j->plan.user_ns,
    .console = proc->terminal,
    .new_cgroup_ns = (all & CLONE_NEWCGROUP) != 0,
    .new_ipc_ns = (all & CLONE_NEWIPC) != 0,
    .premade = j->premade,
    .own_mount_ns = (all & CLONE_NEWNS) != 0,
    .cgroup_path = j->state.cgroup_path,
  };
  struct sync_msg m;
  int tty_out;

  /* The state dir's flock is shared with our copy of its fd: holding it
     would lock the container for as long as we wait for `start`.  */
  close_fd (&j->dirfd);
  close_fd (&j->sync[0]);
  close_fd (&j->tty_sock[0]);
  skiff_exe_guard_child_start (j->plan.user_ns);

  /* Id maps must exist before we act as root of a new user namespace, a
     cgroup namespace must be rooted at our final cgroup, and a pid 1 we
     fork must not take this GO (it gets its own).  With a user namespace
     of our own, the GO comes once its maps are written instead.  */
  if (!(j->plan.unshare_flags & CLONE_NEWUSER)
      && ((j->plan.clone_flags & CLONE_NEWUSER) || j->plan.fork_pid1
          || ((j->plan.unshare_flags & CLONE_NEWCGROUP) && ! j->placed)))
    if (child_wait_go (j, err) < 0)
      return -1;

  if (skiff_ns_join_child (&j->plan, err) < 0)
    return -1;
  if (j->plan.unshare_flags & CLONE_NEWUSER)
    {
      if (unshare (CLONE_NEWUSER) < 0)
        return skiff_error_sys (err, "unshare user namespace");
      if (skiff_sync_send (j->sync[1], SYNC_MAPS, 0, -1) < 0)
        return skiff_error_sys (err, "sync socket");
      if (child_wait_go (j, err) < 0)
        return -1;
    }
  if (j->plan.unshare_flags & ~(uint64_t) CLONE_NEWUSER
      && unshare ((int) (j->plan.unshare_flags & ~(uint64_t) CLONE_NEWUSER)) < 0)
    return skiff_error_sys (err, "unshare namespaces");
  if (j->plan.fork_pid1)
    {
      /* The new pid namespace is for our children: the container's pid 1
         is the next one.  We report it to the parent and leave.  */
      pid_t pid1 = fork ();
      if (pid1 < 0)
        return skiff_error_sys (err, "fork the container's pid 1");
      if (pid1 > 0)
        {
          int ok = skiff_sync_send (j->sync[1], SYNC_PID, pid1, -1);
          _exit (ok < 0 ? 1 : 0);
        }
      j->got_go = false; /* the parent's GO for us carries our pid */
    }

  if (j->plan.user_ns)
    {
      /* Become root of the user namespace (when mapped) so files we create
         during setup belong to the container's root.  */
      if (setresgid (0, 0, 0) == 0)
        setgroups (0, NULL);
      (void) setresuid (0, 0, 0);
    }
  if (setsid () < 0)
    return skiff_error_sys (err, "setsid");
  if (skiff_ns_set_hostname (config, err) < 0)
    return -1;

  if (skiff_rootfs_prepare (config, &ropts, err) < 0)
    return -1;
  if (j->runtime_hooks)
    {
      if (child_wait_go (j, err) < 0)
        return -1;
      if (skiff_sync_send (j->sync[1], SYNC_PREPARED, 0, -1) < 0)
        return skiff_error_sys (err, "sync socket");
      if (skiff_sync_expect (j->sync[1], SYNC_HOOKS_DONE, &m, err) < 0)
        return -1;
    }
  if (child_wait_go (j, err) < 0)
    return -1;
  /* createContainer: in the container's namespaces but before pivot_root,
     so host paths (the bundle) still resolve; the cwd is the rootfs.  */
  if (hooks && hooks->create_container_len > 0)
    {
      if (chdir (ropts.rootfs) < 0)
        return skiff_error_sys (err, "chdir to rootfs `%s`", ropts.rootfs);
      if (child_hooks (j, hooks->create_container, hooks->create_container_len,
                       "createContainer", SKIFF_STATUS_CREATING, err) < 0)
        return -1;
    }
  if (skiff_rootfs_pivot (config, &ropts, err) < 0)
    return -1;

  tty_out = j->console_fd >= 0 ? j->console_fd : j->tty_sock[1];
  if (proc->terminal && tty_out >= 0)
    {
      /* /dev/console is a bind mount: only in a mount table of our own.  */
      if (skiff_terminal_setup (tty_out, proc, ropts.own_mount_ns, err) < 0)
        return -1;
      close_fd (&j->console_fd);
      close_fd (&j->tty_sock[1]);
    }

  if (!j->ctx->no_new_keyring && skiff_security_label_keyring (j->sec, err) < 0)
    return -1;
  if (skiff_process_apply (config, j->ctx->no_new_keyring, err) < 0)
    return -1;
  /* Before dropping privileges and before `start`: a missing executable
     is a create error, as callers expect.  */
  j->exec_stage = true;
  if (skiff_process_find_executable (proc, exec_path, err) < 0)
    return -1;
  j->exec_stage = false;
  return 0;
}

static int
child_security (struct job *j, skiff_error_t *err)
{
  int notify_fd = -1;

  if (skiff_security_apply (j->sec, j->config->process, &notify_fd, err) < 0)
    return -1;
  if (notify_fd >= 0)
    {
      int r = skiff_sync_send (j->sync[1], SYNC_SECCOMP_FD, 0, notify_fd);
      close (notify_fd);
      if (r < 0)
        return skiff_error_sys (err, "send seccomp listener fd");
    }
  return 0;
}

/* The last steps: READY and exec.fifo for `start`, the startContainer
   hooks, the fds, then the security settings and the exec.  The seccomp
   filter is meant for the program, so it comes last: nothing of ours but
   the exec runs under it (the spec lets the runtime load it as late as
   it likes), and the hooks run before it.  The exception is a filter with
   SCMP_ACT_NOTIFY under `create`: only the create process can hand its
   listener fd on, so it is loaded before READY.  */
static int
child_finish (struct job *j, const char *path, struct skiff_exec_plan *plan, skiff_error_t *err)
{
  const oci_hooks *hooks = j->config->hooks;
  bool secure_early = ! j->run_mode && skiff_security_seccomp_notify (j->sec);
  char c;

  if (secure_early && child_security (j, err) < 0)
    return -1;
  if (! j->run_mode)
    {
      ssize_t r;
      if (skiff_sync_send (j->sync[1], SYNC_READY, 0, -1) < 0)
        return skiff_error_sys (err, "sync socket");
      do
        r = read (j->fifo_fd, &c, 1);
      while (r < 0 && errno == EINTR);
      if (r != 1)
        return skiff_error_sys (err, "wait for start on exec.fifo");
      /* fifo_fd stays open (close-on-exec): `start` waits for the exec to
         close it, so poststart hooks run after the process started, and
         reads from it why we failed when we did.  */
      j->started = true;
    }

  if (hooks && child_hooks (j, hooks->start_container, hooks->start_container_len,
                            "startContainer", SKIFF_STATUS_CREATED, err) < 0)
    return -1;
  if (skiff_process_prepare_fds (j->ctx->preserve_fds, err) < 0)
    return -1;
  skiff_process_exec_prepare (plan, path, j->config->process, j->ctx->preserve_fds,
                              skiff_security_exec_attrs (j->sec), j->fifo_fd);
  if (! secure_early && child_security (j, err) < 0)
    return -1;
  j->exec_stage = true;
  return skiff_process_exec_run (plan, err);
}

static void __attribute__ ((noreturn))
child_main (struct job *j)
{
  skiff_error_t err = NULL;
  cleanup_free char *path = NULL;
  struct skiff_exec_plan plan = { 0 };
  int code;

  if (child_setup (j, &path, &err) == 0)
    child_finish (j, path, &plan, &err);
  /* Shells' convention, which podman and callers of `run` expect: 127
     not found, 126 found but not executable (EACCES, a seccomp EPERM...). */
  code = ! j->exec_stage ? 1 : skiff_error_errno (&err) == ENOENT ? 127 : 126;
  /* After `start` nobody reads the sync socket any more: `start` reads
     exec.fifo instead, and stderr gets it too.  */
  if (j->started)
    {
      const char *msg = err ? err->msg : "unknown error";
      (void) ! write (j->fifo_fd, msg, strlen (msg));
      skiff_log_error ("container process", &err);
    }
  else
    skiff_sync_send_error (j->sync[1], &err, code);
  _exit (code);
}

/* ---- the parent ------------------------------------------------------ */

static int
prepare (struct job *j, skiff_error_t *err)
{
  struct skiff_context *ctx = j->ctx;
  cleanup_free char *config_path = NULL;
  const oci_process *proc;
  uint64_t all;
  struct stat st;

  if (skiff_validate_id (ctx->id, err) < 0)
    return -1;
  config_path = ctx->config_file ? xstrdup (ctx->config_file)
                                 : xasprintf ("%s/config.json", ctx->bundle ? ctx->bundle : ".");
  if (skiff_load_config (AT_FDCWD, config_path, &j->config, &j->config_data, &j->config_len, err)
      < 0)
    return -1;
  proc = j->config->process;
  if (proc == NULL)
    return skiff_error_plain (err, EINVAL, "config.json: process: missing");
  if (proc->args_len == 0)
    return skiff_error_plain (err, EINVAL, "config.json: process.args: must not be empty");
  if (j->config->root == NULL || j->config->root->path == NULL)
    return skiff_error_plain (err, EINVAL, "config.json: root.path: missing");

  j->state.id = xstrdup (ctx->id);
  j->state.bundle = xstrdup (ctx->bundle ? ctx->bundle : ".");
  j->state.rootfs = j->config->root->path[0] == '/'
                        ? xstrdup (j->config->root->path)
                        : xasprintf ("%s/%s", j->state.bundle, j->config->root->path);
  if (stat (j->state.rootfs, &st) < 0)
    return skiff_error_sys (err, "config.json: root.path: rootfs `%s`", j->state.rootfs);
  if (! S_ISDIR (st.st_mode))
    return skiff_error_make (err, ENOTDIR, "config.json: root.path: rootfs `%s`", j->state.rootfs);

  if (proc->terminal && ctx->console_socket == NULL && (! j->run_mode || ctx->detach))
    return skiff_error_plain (err, EINVAL,
                             "process.terminal is true: --console-socket is required when "
                             "skiff does not stay attached");
  if (skiff_ns_plan_init (j->config->linux, &j->plan, err) < 0)
    return -1;
  all = j->plan.clone_flags | j->plan.unshare_flags;
  if ((j->config->hostname || j->config->domainname) && ! (all & CLONE_NEWUTS)
      && j->plan.join_fd[SKIFF_NS_UTS] < 0)
    return skiff_error_plain (err, EINVAL, "hostname needs a uts namespace (linux.namespaces)");
  if (j->config->linux && j->config->linux->time_offsets && j->config->linux->time_offsets->len
      && ! (all & CLONE_NEWTIME))
    return skiff_error_plain (err, EINVAL, "linux.timeOffsets needs a new time namespace");
  if (skiff_process_validate (j->config, err) < 0)
    return -1;
  if (skiff_rootfs_validate (j->config, (all & CLONE_NEWNS) != 0, err) < 0)
    return -1;

  j->runtime_hooks = hooks_len (j->config->hooks, 0) > 0;
  j->state.has_hooks = j->runtime_hooks || hooks_len (j->config->hooks, 1) > 0;
  j->state.annotations = j->config->annotations;
  j->state.cgroup_manager = ctx->cgroup_manager;
  j->state.systemd_cgroup = ctx->systemd_cgroup;
  return 0;
}

/* The child forked the container's pid 1 (ns_plan.fork_pid1) and exits:
   from now on J is about PID1, our child too, as we are a subreaper.  */
static int
adopt_pid1 (struct job *j, pid_t pid1, skiff_error_t *err)
{
  while (waitpid (j->pid, NULL, 0) < 0 && errno == EINTR)
    ;
  j->pid = pid1;
  close_fd (&j->pidfd);
  j->pidfd = (int) syscall (SYS_pidfd_open, pid1, 0);
  if (j->pidfd < 0)
    return skiff_error_sys (err, "pidfd_open %d", (int) pid1);
  fcntl (j->pidfd, F_SETFD, FD_CLOEXEC);
  /* The clone may have landed outside the cgroup; its fork then too.  */
  if (j->cg && ! j->placed && skiff_cgroup_enter (j->cg, pid1, err) < 0)
    return -1;
  j->state.pid = pid1;
  j->state.start_time = skiff_pid_start_time (pid1);
  if (skiff_state_write (j->dirfd, &j->state, err) < 0)
    return -1;
  (void) skiff_sync_send (j->sync[0], SYNC_GO, pid1, -1); /* failed: see launch */
  return 0;
}

static int
parent_serve (struct job *j, skiff_error_t *err)
{
  struct sync_msg m;
  int fd, r;

  for (;;)
    {
      r = skiff_sync_recv (j->sync[0], &m, &fd);
      if (r < 0)
        return skiff_error_sys (err, "sync socket");
      if (r == 0)
        {
          int st = 0;
          if (j->run_mode)
            return 0; /* close-on-exec: the container's process exec'd */
          if (waitpid (j->pid, &st, 0) == j->pid)
            {
              j->pid = 0;
              return skiff_error_make (err, 0, "container process exited early (status %d)",
                                       skiff_exit_status (st));
            }
          return skiff_error_make (err, 0, "container process exited early");
        }
      switch (m.type)
        {
        case SYNC_ERROR:
          j->exec_status = m.pid;
          return skiff_sync_error (&m, err);
        case SYNC_READY:
          return 0;
        case SYNC_MAPS:
          if (skiff_ns_write_id_maps (j->pid, j->config->linux, err) < 0)
            return -1;
          if (skiff_sync_send (j->sync[0], SYNC_GO, j->pid, -1) < 0)
            return skiff_error_sys (err, "sync socket");
          break;
        case SYNC_PREPARED:
          {
            cleanup_free char *json = skiff_state_oci_json (&j->state, SKIFF_STATUS_CREATING);
            const oci_hooks *h = j->config->hooks;
            skiff_crash_point ("prestart");
            if (skiff_hooks_run (h->prestart, h->prestart_len, "prestart", json, err) < 0
                || skiff_hooks_run (h->create_runtime, h->create_runtime_len, "createRuntime",
                                    json, err) < 0)
              return -1;
            if (skiff_sync_send (j->sync[0], SYNC_HOOKS_DONE, 0, -1) < 0)
              break; /* the child is gone: read why */
            break;
          }
        case SYNC_PID:
          /* Once, and only from a child that was to fork.  */
          if (! j->plan.fork_pid1 || m.pid <= 0)
            return skiff_error_plain (err, EPROTO, "sync socket: unexpected pid message");
          j->plan.fork_pid1 = false;
          if (adopt_pid1 (j, m.pid, err) < 0)
            return -1;
          break;
        case SYNC_SECCOMP_FD:
          {
            cleanup_close int nfd = fd;
            cleanup_free char *json = skiff_state_oci_json (&j->state, SKIFF_STATUS_CREATING);
            if (nfd < 0)
              return skiff_error_plain (err, EPROTO, "seccomp listener fd missing");
            if (skiff_seccomp_send_listener (j->config->linux->seccomp, nfd, json, err) < 0)
              return -1;
            break;
          }
        default:
          if (fd >= 0)
            close (fd);
          return skiff_error_plain (err, EPROTO, "sync socket: unexpected message %d", m.type);
        }
    }
}

static int
launch (struct job *j, skiff_error_t *err)
{
  struct skiff_context *ctx = j->ctx;
  const oci_process *proc = j->config->process;
  bool split_user = (j->plan.unshare_flags & CLONE_NEWUSER) != 0;

  skiff_crash_point ("state-written");
  if (skiff_security_prepare (j->config, proc, &j->sec, err) < 0)
    return -1;
  if (skiff_cgroup_prepare (j->config, ctx->id, ctx->cgroup_manager, &j->cg, err) < 0)
    return -1;
  if (j->cg)
    {
      /* Recorded before it is made, so that `delete --force` after a kill
         finds it; pending until it is known to be ours (an existing
         cgroup may be someone else's: see skiff_container_destroy).  */
      j->state.cgroup_path = xstrdup (skiff_cgroup_path (j->cg));
      j->state.cgroup_pending = true;
      if (skiff_state_write (j->dirfd, &j->state, err) < 0)
        return -1;
      skiff_crash_point ("cgroup-intent");
      if (skiff_cgroup_create (j->config, &j->cg, err) < 0)
        {
          /* What it made it removed; what it found is not ours.  */
          free (steal_pointer (&j->state.cgroup_path));
          return -1;
        }
      skiff_crash_point ("cgroup-made");
      if (j->cg == NULL)
        free (steal_pointer (&j->state.cgroup_path));
      j->state.cgroup_pending = false;
      if (skiff_state_write (j->dirfd, &j->state, err) < 0)
        return -1;
      skiff_crash_point ("cgroup-recorded");
    }

  if (proc->terminal && ctx->console_socket)
    {
      j->console_fd = skiff_console_socket_connect (ctx->console_socket, err);
      if (j->console_fd < 0)
        return -1;
    }
  else if (proc->terminal && socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, j->tty_sock) < 0)
    return skiff_error_sys (err, "socketpair");

  if (! j->run_mode)
    {
      if (mkfifoat (j->dirfd, "exec.fifo", 0600) < 0)
        return skiff_error_sys (err, "mkfifo exec.fifo");
      /* O_RDWR: opening does not wait for a writer, and `start` can open
         it for writing as long as the container holds it.  */
      j->fifo_fd = openat (j->dirfd, "exec.fifo", O_RDWR | O_CLOEXEC);
      if (j->fifo_fd < 0)
        return skiff_error_sys (err, "open exec.fifo");
      skiff_crash_point ("fifo");
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, j->sync) < 0)
    return skiff_error_sys (err, "socketpair");
  if (skiff_ns_join_parent (&j->plan, err) < 0)
    return -1;
  if (j->plan.clone_flags & CLONE_NEWTIME)
    {
      /* A clone into a new time namespace enters it at once, which freezes
         its offsets: create it as ours-for-children instead, set the
         offsets, and the clone below starts inside it.  */
      if (unshare (CLONE_NEWTIME) < 0)
        return skiff_error_sys (err, "unshare time namespace");
      if (skiff_ns_write_time_offsets (getpid (), j->config->linux, err) < 0)
        return -1;
      j->plan.clone_flags &= ~(uint64_t) CLONE_NEWTIME;
    }

  if (j->plan.user_ns)
    {
      struct skiff_rootfs_opts ropts = { .bundle = j->state.bundle, .user_ns = true };
      if (skiff_rootfs_premake (j->config, &ropts, &j->premade, err) < 0)
        return -1;
    }
  /* The pid 1 the child forks (ns_plan.fork_pid1) must come back to us
     when the child exits, for `run` to wait for it.  */
  if (j->plan.fork_pid1 && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    return skiff_error_sys (err, "prctl PR_SET_CHILD_SUBREAPER");
  j->pid = skiff_clone (j->plan.clone_flags, j->cg ? skiff_cgroup_dirfd (j->cg) : -1, &j->pidfd,
                        &j->placed, err);
  if (j->pid != 0)
    {
      skiff_ns_restore_parent (&j->plan);
      skiff_rootfs_premade_free (j->premade, j->config->mounts_len);
      j->premade = NULL;
    }
  if (j->pid < 0)
    {
      j->pid = 0;
      return -1;
    }
  if (j->pid == 0)
    child_main (j);

  close_fd (&j->sync[1]);
  close_fd (&j->fifo_fd);
  close_fd (&j->console_fd);
  close_fd (&j->tty_sock[1]);
  skiff_crash_point ("cloned");

  if ((j->plan.clone_flags & CLONE_NEWUSER)
      && skiff_ns_write_id_maps (j->pid, j->config->linux, err) < 0)
    return -1;
  if (j->cg && ! j->placed && skiff_cgroup_enter (j->cg, j->pid, err) < 0)
    return -1;
  /* Before the GO: a pid 1 the child forks inherits it.  */
  if (skiff_process_set_oom_score_adj (j->pid, proc, err) < 0)
    return -1;
  /* Record the pid before anything can block: from here a killed skiff
     leaves a process `delete --force` finds.  */
  j->state.pid = j->pid;
  j->state.start_time = skiff_pid_start_time (j->pid);
  if (skiff_state_write (j->dirfd, &j->state, err) < 0)
    return -1;
  skiff_crash_point ("pid-recorded");
  /* A child that already failed cannot take it, but has said why:
     parent_serve reads that.  */
  if (! split_user)
    (void) skiff_sync_send (j->sync[0], SYNC_GO, j->pid, -1);
  /* The copy `exec`, `start` and `delete` read (the bundle may change).  */
  if (write_file_atomic_at (j->dirfd, "config.json", j->config_data, j->config_len, 0600, err) < 0)
    return -1;
  skiff_crash_point ("config-saved");

  if (parent_serve (j, err) < 0)
    return -1;
  skiff_crash_point ("ready");
  if (j->tty_sock[0] >= 0)
    {
      j->tty_master = skiff_terminal_receive (j->tty_sock[0], err);
      if (j->tty_master < 0)
        return -1;
    }
  if (ctx->pid_file && skiff_write_pid_file (ctx->pid_file, j->pid, err) < 0)
    return -1;
  skiff_crash_point ("pid-file");
  return 0;
}

/* create (RUN_MODE false) or the create half of run.  On success the
   container is created (or exec'd), J->dirfd still locked.  */
static int
do_create (struct job *j, skiff_error_t *err)
{
  /* Errors name the command the user ran.  */
  const char *cmd = j->run_mode ? "run" : "create";

  if (prepare (j, err) < 0)
    return skiff_error_wrap (err, "%s %s", cmd, j->ctx->id);
  j->state.created = skiff_rfc3339_now ();
  j->dirfd = skiff_state_create_dir (j->ctx->state_root, j->ctx->id, err);
  if (j->dirfd < 0)
    return skiff_error_wrap (err, "%s %s", cmd, j->ctx->id);
  skiff_crash_point ("state-dir");
  if (skiff_state_write (j->dirfd, &j->state, err) < 0 || launch (j, err) < 0)
    {
      skiff_error_t ignored = NULL;
      if (j->pid > 0)
        {
          kill (j->pid, SIGKILL);
          waitpid (j->pid, NULL, 0);
        }
      job_release (j);
      skiff_container_destroy (j->ctx->state_root, j->dirfd, &j->state, NULL, false, &ignored);
      skiff_error_free (&ignored);
      return skiff_error_wrap (err, "%s %s", cmd, j->ctx->id);
    }
  job_release (j);
  return 0;
}

int
skiff_container_create (struct skiff_context *ctx, skiff_error_t *err)
{
  struct job j;
  int ret;

  job_init (&j, ctx, false);
  ret = do_create (&j, err);
  job_free (&j);
  return ret;
}

/* ---- run ------------------------------------------------------------- */


int
skiff_container_run (struct skiff_context *ctx, int *status, skiff_error_t *err)
{
  struct job j;
  skiff_error_t ignored = NULL;
  int ret;

  *status = 0;
  job_init (&j, ctx, true);
  ret = do_create (&j, err);
  if (ret < 0)
    {
      *status = j.exec_status;
      goto out;
    }

  if (j.config->hooks && j.config->hooks->poststart_len)
    {
      cleanup_free char *json = skiff_state_oci_json (&j.state, SKIFF_STATUS_RUNNING);
      skiff_hooks_run_warn (j.config->hooks->poststart, j.config->hooks->poststart_len,
                            "poststart", json);
    }
  if (ctx->detach)
    goto out;

  /* Let `state`, `kill`, `ps` in while we wait.  */
  flock (j.dirfd, LOCK_UN);
  *status = skiff_exit_status (skiff_wait_foreground (j.pid, j.pidfd, j.tty_master));
  /* --keep: the stopped container stays for `state`, and `delete` removes
     it (running the poststop hooks then).  */
  if (ctx->keep)
    goto out;

  /* Delete it, unless someone did already.  */
  while (flock (j.dirfd, LOCK_EX) < 0 && errno == EINTR)
    ;
  {
    struct stat st;
    if (fstat (j.dirfd, &st) == 0 && st.st_nlink > 0)
      {
        j.state.pid = 0; /* reaped: nothing to kill */
        if (skiff_container_destroy (ctx->state_root, j.dirfd, &j.state, j.config,
                                     ! (j.plan.clone_flags & CLONE_NEWPID), &ignored) < 0)
          {
            skiff_warn ("%s", ignored->msg);
            skiff_error_free (&ignored);
          }
      }
  }
out:
  job_free (&j);
  return ret;
}
