/* skiff exec: a new process in a running container.  It joins every
   namespace of the container's pid 1 through a pidfd (pid and time in the
   parent, since they apply to children; the rest in the child, in one
   setns call), its cgroup (CLONE_INTO_CGROUP) and gets the container's
   security settings applied to the merged process.  */
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "container_internal.h"
#include "exe_guard.h"
#include "log.h"
#include "namespaces.h"
#include "process.h"
#include "rootfs.h"
#include "security.h"
#include "terminal.h"
#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

static const struct
{
  const char *name;
  int flag;
} ns_flags[] = {
  { "user", CLONE_NEWUSER }, { "mount", CLONE_NEWNS },    { "pid", CLONE_NEWPID },
  { "network", CLONE_NEWNET }, { "ipc", CLONE_NEWIPC },   { "uts", CLONE_NEWUTS },
  { "cgroup", CLONE_NEWCGROUP }, { "time", CLONE_NEWTIME },
};

static int
config_ns_flags (const oci_config *config)
{
  int flags = 0;
  size_t i, k;

  if (config->linux == NULL)
    return 0;
  for (i = 0; i < config->linux->namespaces_len; i++)
    for (k = 0; k < sizeof ns_flags / sizeof ns_flags[0]; k++)
      if (strcmp (config->linux->namespaces[i]->type, ns_flags[k].name) == 0)
        flags |= ns_flags[k].flag;
  return flags;
}

static void
strv_append (char ***v, size_t *n, const char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof (char *));
  (*v)[(*n)++] = xstrdup (s);
  (*v)[*n] = NULL;
}

/* What a --process document leaves out of its confinement comes from the
   container's process: an exec must never hold more than the container
   (a file without "capabilities" would otherwise keep the runtime's).  */
static void
inherit_confinement (oci_process *p, oci_process *container)
{
  if (container == NULL)
    return;
  if (p->capabilities == NULL)
    {
      p->capabilities = container->capabilities;
      container->capabilities = NULL;
    }
  if (!p->no_new_privileges_present)
    {
      p->no_new_privileges = container->no_new_privileges;
      p->no_new_privileges_present = container->no_new_privileges_present;
    }
  if (p->selinux_label == NULL)
    {
      p->selinux_label = container->selinux_label;
      container->selinux_label = NULL;
    }
  if (p->apparmor_profile == NULL)
    {
      p->apparmor_profile = container->apparmor_profile;
      container->apparmor_profile = NULL;
    }
  if (p->rlimits == NULL)
    {
      p->rlimits = container->rlimits;
      p->rlimits_len = container->rlimits_len;
      container->rlimits = NULL;
      container->rlimits_len = 0;
    }
}

/* The process to run: --process FILE, or the container's process with the
   command line's overrides.  Replaces CONFIG->process.  */
static int
merge_process (oci_config *config, const struct skiff_exec_opts *o, skiff_error_t *err)
{
  oci_process *p;
  size_t i;

  if (o->process_file)
    {
      char *errstr = NULL;
      p = oci_process_parse_file (o->process_file, &errstr);
      if (p == NULL)
        {
          int ret = skiff_error_plain (err, EINVAL, "%s", errstr ? errstr : "invalid --process");
          free (errstr);
          return ret;
        }
      inherit_confinement (p, config->process);
      oci_process_free (config->process);
      config->process = p;
    }
  else
    {
      p = config->process;
      if (p == NULL)
        p = config->process = xmalloc0 (sizeof *p);
      if (o->args == NULL || o->args[0] == NULL)
        return skiff_error_plain (err, EINVAL, "exec: no command given");
      for (i = 0; i < p->args_len; i++)
        free (p->args[i]);
      free (p->args);
      p->args = NULL;
      p->args_len = 0;
      for (i = 0; o->args[i]; i++)
        strv_append (&p->args, &p->args_len, o->args[i]);
      p->terminal = o->tty;
      p->terminal_present = true;
      free (p->command_line);
      p->command_line = NULL;
    }

  if (o->cwd)
    {
      free (p->cwd);
      p->cwd = xstrdup (o->cwd);
    }
  for (i = 0; o->env && o->env[i]; i++)
    strv_append (&p->env, &p->env_len, o->env[i]);
  if (o->user)
    {
      unsigned long long uid, gid = 0;
      cleanup_free char *u = xstrdup (o->user);
      char *colon = strchr (u, ':');
      if (colon)
        *colon++ = '\0';
      if (parse_uint64 (u, &uid) < 0 || uid > UINT32_MAX
          || (colon && (parse_uint64 (colon, &gid) < 0 || gid > UINT32_MAX)))
        return skiff_error_plain (err, EINVAL, "--user `%s`: want UID[:GID] (numbers)", o->user);
      if (p->user == NULL)
        p->user = xmalloc0 (sizeof *p->user);
      p->user->uid = (uint32_t) uid;
      p->user->gid = (uint32_t) gid;
      free (p->user->additional_gids);
      p->user->additional_gids = NULL;
      p->user->additional_gids_len = 0;
    }
  for (i = 0; o->additional_gids && o->additional_gids[i]; i++)
    {
      unsigned long long g;
      if (parse_uint64 (o->additional_gids[i], &g) < 0 || g > UINT32_MAX)
        return skiff_error_plain (err, EINVAL, "--additional-gids `%s`: not a group id",
                                  o->additional_gids[i]);
      if (p->user == NULL)
        p->user = xmalloc0 (sizeof *p->user);
      p->user->additional_gids = xrealloc (p->user->additional_gids,
                                           (p->user->additional_gids_len + 1) * sizeof (uint32_t));
      p->user->additional_gids[p->user->additional_gids_len++] = (uint32_t) g;
    }
  if (o->caps && o->caps[0])
    {
      oci_capabilities *c = p->capabilities;
      if (c == NULL)
        c = p->capabilities = xmalloc0 (sizeof *c);
      for (i = 0; o->caps[i]; i++)
        {
          strv_append (&c->bounding, &c->bounding_len, o->caps[i]);
          strv_append (&c->effective, &c->effective_len, o->caps[i]);
          strv_append (&c->permitted, &c->permitted_len, o->caps[i]);
          strv_append (&c->inheritable, &c->inheritable_len, o->caps[i]);
          strv_append (&c->ambient, &c->ambient_len, o->caps[i]);
        }
    }
  if (o->no_new_privs)
    {
      p->no_new_privileges = true;
      p->no_new_privileges_present = true;
    }
  if (o->process_label)
    {
      free (p->selinux_label);
      p->selinux_label = xstrdup (o->process_label);
    }
  if (o->apparmor)
    {
      free (p->apparmor_profile);
      p->apparmor_profile = xstrdup (o->apparmor);
    }
  if (p->args_len == 0)
    return skiff_error_plain (err, EINVAL, "exec: process.args must not be empty");
  return 0;
}

struct xjob
{
  struct skiff_context *ctx;
  oci_config *config;
  struct skiff_security *sec;
  int pidfd;         /* of the container's pid 1 */
  int rootfd;        /* its root when it is only a chroot (no mount namespace of its own) */
  int child_flags;   /* namespaces joined by the child */
  bool user_ns;
  bool fork_pid;     /* the child joins pid/time too, so it forks the process */
  int sync[2];
  int console_fd;
  int tty_sock[2];
};

static int
exec_child_setup (struct xjob *x, char **path, skiff_error_t *err)
{
  const oci_process *proc = x->config->process;
  int notify_fd = -1, tty_out;

  skiff_exe_guard_child_start (x->user_ns);
  if (skiff_process_set_oom_score_adj (0, proc, err) < 0)
    return -1;
  if (x->child_flags && setns (x->pidfd, x->child_flags) < 0)
    return skiff_error_sys (err, "join the container's namespaces");
  close (x->pidfd);
  if (x->rootfd >= 0 && skiff_rootfs_chroot_fd (x->rootfd, err) < 0)
    return -1;
  if (x->fork_pid)
    {
      pid_t p = fork ();
      if (p < 0)
        return skiff_error_sys (err, "fork into the container's pid namespace");
      if (p > 0)
        _exit (skiff_sync_send (x->sync[1], SYNC_PID, p, -1) < 0 ? 1 : 0);
    }
  if (x->user_ns)
    {
      if (setresgid (0, 0, 0) == 0)
        setgroups (0, NULL);
      (void) setresuid (0, 0, 0);
    }
  tty_out = x->console_fd >= 0 ? x->console_fd : x->tty_sock[1];
  if (proc->terminal && tty_out >= 0)
    {
      if (setsid () < 0)
        return skiff_error_sys (err, "setsid");
      if (skiff_terminal_setup (tty_out, proc, false, err) < 0)
        return -1;
    }
  if (skiff_process_apply (x->config, true, err) < 0)
    return -1;
  if (skiff_process_find_executable (proc, path, err) < 0)
    return -1;
  if (skiff_security_apply (x->sec, proc, &notify_fd, err) < 0)
    return -1;
  if (notify_fd >= 0)
    {
      /* The exec'd process has its own filter: its listener gets it too.  */
      int r = skiff_sync_send (x->sync[1], SYNC_SECCOMP_FD, 0, notify_fd);
      close (notify_fd);
      if (r < 0)
        return skiff_error_sys (err, "send seccomp listener fd");
    }
  if (proc->exec_cpu_affinity && proc->exec_cpu_affinity->final && proc->exec_cpu_affinity->final[0])
    {
      struct sync_msg m;
      if (skiff_sync_expect (x->sync[1], SYNC_GO, &m, err) < 0)
        return -1;
    }
  return skiff_process_prepare_fds (x->ctx->preserve_fds, err);
}


/* The process PID in the container's cgroup (unless the clone put it
   there), then execCPUAffinity.final, which the cgroup's cpuset may have
   reset; the child waits for our GO before its execve.  */
static int
place (struct xjob *x, struct skiff_cgroup *cg, bool placed, pid_t pid,
       const oci_cpu_affinity *aff, skiff_error_t *err)
{
  if (cg && ! placed && skiff_cgroup_enter (cg, pid, err) < 0)
    return -1;
  if (aff && aff->final && aff->final[0])
    {
      if (skiff_process_set_cpu_affinity (pid, aff->final, err) < 0)
        return skiff_error_wrap (err, "process.execCPUAffinity.final");
      /* A child that failed before waiting for this has said why: it is
         read next, rather than a broken pipe reported.  */
      (void) skiff_sync_send (x->sync[0], SYNC_GO, 0, -1);
    }
  return 0;
}

/* Hand FD (the exec'd process's seccomp notify fd; closed here) and the
   container's state to linux.seccomp.listenerPath.  */
static int
send_to_listener (struct xjob *x, struct skiff_container *c, int fd, skiff_error_t *err)
{
  cleanup_close int nfd = fd;
  cleanup_free char *json = NULL;

  if (nfd < 0)
    return skiff_error_plain (err, EPROTO, "seccomp listener fd missing");
  json = skiff_state_oci_json (c->state, SKIFF_STATUS_RUNNING);
  return skiff_seccomp_send_listener (x->config->linux->seccomp, nfd, json, err);
}

static int
exec_in (struct skiff_context *ctx, struct skiff_container *c, const struct skiff_exec_opts *o,
         int *status, skiff_error_t *err)
{
  struct xjob x = { .ctx = ctx, .pidfd = -1, .rootfd = -1, .sync = { -1, -1 }, .console_fd = -1,
                    .tty_sock = { -1, -1 } };
  struct skiff_cgroup *cg = NULL;
  cleanup_close int my_pidfd = -1;
  cleanup_close int master = -1;
  cleanup_close int own_pid_ns = -1;
  cleanup_close int own_time_ns = -1;
  const oci_cpu_affinity *aff = NULL;
  int ns, ret = -1;
  bool placed = false;
  pid_t pid = -1;
  struct sync_msg m;
  int r;

  if (skiff_load_config (c->dirfd, "config.json", &x.config, NULL, NULL, err) < 0)
    return -1;
  if (merge_process (x.config, o, err) < 0)
    goto out;
  /* Done once by create; /proc/sys may well be read-only by now.  */
  if (x.config->linux)
    {
      oci_string_map_free (x.config->linux->sysctl);
      x.config->linux->sysctl = NULL;
    }
  if (x.config->process->terminal && ctx->console_socket == NULL && ctx->detach)
    {
      skiff_error_plain (err, EINVAL, "--tty with --detach needs --console-socket");
      goto out;
    }
  if (skiff_security_prepare (x.config, x.config->process, &x.sec, err) < 0)
    goto out;
  aff = x.config->process->exec_cpu_affinity;

  x.pidfd = (int) syscall (SYS_pidfd_open, c->state->pid, 0);
  if (x.pidfd < 0)
    {
      skiff_error_sys (err, "pidfd_open %d", (int) c->state->pid);
      goto out;
    }
  fcntl (x.pidfd, F_SETFD, FD_CLOEXEC);
  if (! skiff_state_pid_alive (c->state))
    {
      skiff_error_plain (err, ESRCH, "the container is not running");
      goto out;
    }
  if (! skiff_ns_own_mount (x.config->linux))
    {
      char path[48];
      snprintf (path, sizeof path, "/proc/%d/root", (int) c->state->pid);
      x.rootfd = open (path, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (x.rootfd < 0)
        {
          skiff_error_sys (err, "open the container's root `%s`", path);
          goto out;
        }
    }
  /* Before we join the container's pid namespace: an error after that
     would leave this process in it until the clone restores ours.  */
  if (c->state->cgroup_path && skiff_cgroup_open (c->state->cgroup_path, &cg, err) < 0)
    goto out;
  if (o->cgroups && o->cgroups[0])
    {
      struct skiff_cgroup *sub = NULL;
      if (skiff_cgroup_open_sub (cg, o->cgroups, &sub, err) < 0)
        goto out;
      skiff_cgroup_free (cg);
      cg = sub;
    }
  ns = config_ns_flags (x.config);
  x.user_ns = (ns & CLONE_NEWUSER) != 0;
  x.child_flags = ns & ~(CLONE_NEWPID | CLONE_NEWTIME);
  if (ns & (CLONE_NEWPID | CLONE_NEWTIME))
    {
      /* These namespaces apply to our children only; keep our own to go
         back to after the clone, so nothing this process does later (a
         sanitizer's helper thread, say) is born in the container.  */
      if (ns & CLONE_NEWPID)
        own_pid_ns = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
      if (ns & CLONE_NEWTIME)
        own_time_ns = open ("/proc/self/ns/time", O_RDONLY | O_CLOEXEC);
      if (setns (x.pidfd, ns & (CLONE_NEWPID | CLONE_NEWTIME)) < 0)
        {
          /* Without privilege of our own (rootless), only from inside the
             container's user namespace: the child joins them with the
             rest and forks the process (they apply to children).  */
          if (errno != EPERM || ! x.user_ns)
            {
              skiff_error_sys (err, "join the container's pid/time namespace");
              goto out;
            }
          x.fork_pid = true;
          x.child_flags = ns;
          close_fd (&own_pid_ns);
          close_fd (&own_time_ns);
        }
    }

  if (x.config->process->terminal)
    {
      if (ctx->console_socket)
        {
          x.console_fd = skiff_console_socket_connect (ctx->console_socket, err);
          if (x.console_fd < 0)
            goto out;
        }
      else if (socketpair (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, x.tty_sock) < 0)
        {
          skiff_error_sys (err, "socketpair");
          goto out;
        }
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, x.sync) < 0)
    {
      skiff_error_sys (err, "socketpair");
      goto out;
    }

  /* execCPUAffinity.initial is where the process runs until it is in the
     container's cgroup: ours, inherited through the clone.  */
  if (aff && aff->initial && aff->initial[0]
      && skiff_process_set_cpu_affinity (0, aff->initial, err) < 0)
    {
      skiff_error_wrap (err, "process.execCPUAffinity.initial");
      goto out;
    }
  /* A process the child forks must come back to us once the child exits. */
  if (x.fork_pid && prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    {
      skiff_error_sys (err, "prctl PR_SET_CHILD_SUBREAPER");
      goto out;
    }
  pid = skiff_clone (0, cg ? skiff_cgroup_dirfd (cg) : -1, &my_pidfd, &placed, err);
  if (pid != 0)
    {
      if (own_pid_ns >= 0)
        (void) setns (own_pid_ns, CLONE_NEWPID);
      if (own_time_ns >= 0)
        (void) setns (own_time_ns, CLONE_NEWTIME);
    }
  if (pid < 0)
    goto out;
  if (pid == 0)
    {
      skiff_error_t cerr = NULL;
      cleanup_free char *path = NULL;
      int code = 1;
      close (x.sync[0]);
      close (c->dirfd); /* the container's lock is shared with this fd */
      if (exec_child_setup (&x, &path, &cerr) == 0)
        skiff_process_exec (path, x.config->process, ctx->preserve_fds,
                            skiff_security_exec_attrs (x.sec), &cerr);
      if (path || skiff_error_errno (&cerr) == ENOENT || skiff_error_errno (&cerr) == EACCES)
        code = skiff_error_errno (&cerr) == EACCES ? 126 : 127;
      skiff_sync_send_error (x.sync[1], &cerr, code);
      _exit (code);
    }
  close (x.sync[1]);
  x.sync[1] = -1;
  if (x.tty_sock[1] >= 0)
    close (x.tty_sock[1]), x.tty_sock[1] = -1;
  if (! x.fork_pid && place (&x, cg, placed, pid, aff, err) < 0)
    goto kill_child;

  /* EOF: the process exec'd (the socket is close-on-exec).  */
  for (;;)
    {
      int fd = -1;
      r = skiff_sync_recv (x.sync[0], &m, &fd);
      if (r > 0 && m.type == SYNC_PID && x.fork_pid && m.pid > 0)
        {
          /* The child forked the process (fork_pid) and exits.  Once.  */
          x.fork_pid = false;
          while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
            ;
          pid = m.pid;
          close_fd (&my_pidfd);
          my_pidfd = (int) syscall (SYS_pidfd_open, pid, 0);
          if (my_pidfd < 0)
            {
              skiff_error_sys (err, "pidfd_open %d", (int) pid);
              goto kill_child;
            }
          if (place (&x, cg, placed, pid, aff, err) < 0)
            goto kill_child;
          continue;
        }
      if (r <= 0 || m.type != SYNC_SECCOMP_FD)
        {
          if (fd >= 0)
            close (fd);
          break;
        }
      if (send_to_listener (&x, c, fd, err) < 0)
        goto kill_child;
    }
  if (r < 0)
    {
      skiff_error_sys (err, "sync socket");
      goto kill_child;
    }
  if (r > 0)
    {
      if (m.type == SYNC_ERROR)
        {
          skiff_sync_error (&m, err);
          *status = m.pid;
        }
      else
        skiff_error_plain (err, EPROTO, "sync socket: unexpected message %d", m.type);
      goto kill_child;
    }
  if (x.tty_sock[0] >= 0)
    {
      master = skiff_terminal_receive (x.tty_sock[0], err);
      if (master < 0)
        goto kill_child;
    }
  if (ctx->pid_file && skiff_write_pid_file (ctx->pid_file, pid, err) < 0)
    goto kill_child;

  ret = 0;
  *status = 0;
  if (ctx->detach)
    goto out;

  /* Attached: forward signals, unlock the container and wait.  */
  {
    flock (c->dirfd, LOCK_UN);
    *status = skiff_exit_status (skiff_wait_foreground (pid, my_pidfd, master));
  }
  goto out;

kill_child:
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
out:
  if (x.pidfd >= 0)
    close (x.pidfd);
  if (x.rootfd >= 0)
    close (x.rootfd);
  for (int i = 0; i < 2; i++)
    {
      if (x.sync[i] >= 0)
        close (x.sync[i]);
      if (x.tty_sock[i] >= 0)
        close (x.tty_sock[i]);
    }
  if (x.console_fd >= 0)
    close (x.console_fd);
  skiff_cgroup_free (cg);
  skiff_security_free (x.sec);
  oci_config_free (x.config);
  return ret;
}

int
skiff_container_exec (struct skiff_context *ctx, const struct skiff_exec_opts *opts, int *status,
                      skiff_error_t *err)
{
  struct skiff_container c;
  int ret;

  *status = 0;
  if (skiff_container_open (ctx, &c, err) < 0)
    return skiff_error_wrap (err, "exec %s", ctx->id);
  if (c.status == SKIFF_STATUS_PAUSED && opts->ignore_paused)
    {
      /* The new process is born frozen and this exec waits for it:
         `resume` must be able to take the container's lock meanwhile.  */
      flock (c.dirfd, LOCK_UN);
    }
  else if (c.status != SKIFF_STATUS_RUNNING && c.status != SKIFF_STATUS_CREATED)
    {
      ret = skiff_error_plain (err, EINVAL, "exec %s: container is %s", ctx->id,
                               skiff_status_name (c.status));
      skiff_container_close (&c);
      return ret;
    }
  ret = exec_in (ctx, &c, opts, status, err);
  if (ret < 0)
    skiff_error_wrap (err, "exec %s", ctx->id);
  skiff_container_close (&c);
  return ret;
}
