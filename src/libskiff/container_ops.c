/* skiff: the commands on an existing container: start, state, kill,
   delete, pause, resume.  Each one holds the container's lock.  */
#include <config.h>
#include "container.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "cgroup.h"
#include "container_internal.h"
#include "fs.h"
#include "hooks.h"
#include "log.h"
#include "state.h"
#include "utils.h"

int
skiff_container_open (struct skiff_context *ctx, struct skiff_container *c, skiff_error_t *err)
{
  c->state = NULL;
  c->dirfd = skiff_state_open_dir (ctx->state_root, ctx->id, err);
  if (c->dirfd < 0)
    return -1;
  if (skiff_state_read (c->dirfd, &c->state, err) < 0)
    {
      /* A create killed before its first state write.  */
      if (skiff_error_errno (err) == ENOENT)
        skiff_error_plain (err, ENOENT, "container `%s` does not exist (incomplete state: "
                          "`delete --force` removes it)", ctx->id);
      close (c->dirfd);
      c->dirfd = -1;
      return -1;
    }
  return skiff_state_status (c->dirfd, c->state, &c->status, err);
}

void
skiff_container_close (struct skiff_container *c)
{
  if (c->dirfd >= 0)
    close (c->dirfd);
  c->dirfd = -1;
  skiff_state_free (c->state);
  c->state = NULL;
}

int
skiff_wait_pid_exit (const struct skiff_state *s, int timeout_ms)
{
  int pidfd, waited = 0;

  if (! skiff_state_pid_alive (s))
    return 0;
  pidfd = (int) syscall (SYS_pidfd_open, s->pid, 0);
  if (pidfd >= 0)
    {
      struct pollfd p = { .fd = pidfd, .events = POLLIN };
      /* Checked again after opening: the pid may have been reused.  */
      if (skiff_state_pid_alive (s))
        while (poll (&p, 1, timeout_ms) < 0 && errno == EINTR)
          ;
      close (pidfd);
      return skiff_state_pid_alive (s) ? -1 : 0;
    }
  while (skiff_state_pid_alive (s) && waited < timeout_ms)
    {
      struct timespec ts = { 0, 10 * 1000 * 1000 };
      nanosleep (&ts, NULL);
      waited += 10;
    }
  return skiff_state_pid_alive (s) ? -1 : 0;
}

static void
run_hooks_warn (const struct skiff_state *s, const oci_config *config, int which)
{
  cleanup_free char *json = NULL;
  oci_hook **h;
  size_t n;

  if (config == NULL || config->hooks == NULL)
    return;
  h = which ? config->hooks->poststop : config->hooks->poststart;
  n = which ? config->hooks->poststop_len : config->hooks->poststart_len;
  if (n == 0)
    return;
  json = skiff_state_oci_json (s, which ? SKIFF_STATUS_STOPPED : SKIFF_STATUS_RUNNING);
  skiff_hooks_run_warn (h, n, which ? "poststop" : "poststart", json);
}

static oci_config *
load_saved_config (int dirfd, const struct skiff_state *s)
{
  oci_config *config = NULL;
  skiff_error_t e = NULL;

  if (dirfd < 0 || ! s->has_hooks)
    return NULL;
  if (skiff_load_config (dirfd, "config.json", &config, NULL, NULL, &e) < 0)
    {
      skiff_debug ("saved config of %s: %s", s->id, e->msg);
      skiff_error_free (&e);
    }
  return config;
}

int
skiff_container_destroy (const char *root, int dirfd, const struct skiff_state *s,
                         const oci_config *config, bool kill_first, skiff_error_t *err)
{
  struct skiff_cgroup *cg = NULL;
  oci_config *loaded = NULL;
  int ret = 0;

  if (kill_first && s->pid > 0 && skiff_state_pid_alive (s))
    {
      kill (s->pid, SIGKILL);
      skiff_wait_pid_exit (s, 10000);
    }
  if (s->cgroup_path && s->cgroup_pending && skiff_cgroup_open (s->cgroup_path, &cg, err) == 0
      && cg)
    {
      /* Create was killed while making it: no process of ours was in it
         yet, so a busy cgroup there belongs to someone else.  */
      if (skiff_cgroup_remove_unused (cg, err) < 0)
        ret = skiff_error_wrap (err, "delete %s", s->id);
      skiff_cgroup_free (cg);
    }
  else if (s->cgroup_path && skiff_cgroup_open (s->cgroup_path, &cg, err) == 0 && cg)
    {
      skiff_cgroup_use_systemd (cg, s->cgroup_manager == SKIFF_CGROUP_MANAGER_SYSTEMD);
      if (kill_first)
        {
          /* Whatever the container left behind (no pid namespace).  */
          skiff_cgroup_freeze (cg, false, err);
          skiff_error_free (err);
          skiff_cgroup_kill (cg, SIGKILL, err);
          skiff_error_free (err);
        }
      if (skiff_cgroup_destroy (cg, err) < 0)
        ret = skiff_error_wrap (err, "delete %s", s->id);
      skiff_cgroup_free (cg);
    }
  skiff_error_free (ret < 0 ? NULL : err);

  if (config == NULL)
    config = loaded = load_saved_config (dirfd, s);
  run_hooks_warn (s, config, 1);
  oci_config_free (loaded);

  if (ret == 0 && skiff_state_remove_dir (root, s->id, err) < 0)
    ret = skiff_error_wrap (err, "delete %s", s->id);
  return ret;
}

/* The container process holds exec.fifo open for reading until its execve
   closes it; then our write end reports POLLERR.  poststart hooks must run
   after the process started, not merely after it was told to.  */
static void
wait_for_exec (int fifo_fd)
{
  struct pollfd p = { .fd = fifo_fd, .events = 0 };
  while (poll (&p, 1, -1) < 0 && errno == EINTR)
    ;
}

/* Once the container process let go of exec.fifo: did it exec?  A process
   that failed after taking our byte wrote why into the fifo, and our
   write end keeps the fifo's buffer alive, so a reader opened now gets
   it; a process that died before taking it left our byte there.  */
static int
check_exec (int fifo_fd, skiff_error_t *err)
{
  char path[SKIFF_FD_PATH_SIZE], msg[sizeof ((struct sync_msg *) 0)->text];
  cleanup_close int rd = open (skiff_fd_path (fifo_fd, path), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  ssize_t n;

  if (rd < 0)
    return skiff_error_sys (err, "exec.fifo: reopen to read the container process's report");
  /* Non-blocking, with our writer still open: EAGAIN once it is empty.  */
  for (n = 0; (size_t) n < sizeof msg - 1;)
    {
      ssize_t r = read (rd, msg + n, sizeof msg - 1 - n);
      if (r < 0 && errno == EINTR)
        continue;
      if (r <= 0)
        break;
      n += r;
    }
  if (n == 0)
    return 0;
  msg[n] = '\0';
  if (strcmp (msg, "0") == 0)
    return skiff_error_plain (err, ESRCH, "the container process exited before it was started");
  while (n > 0 && msg[n - 1] == '\n')
    msg[--n] = '\0';
  /* The exec stub's own words start like our messages on stderr.  */
  return skiff_error_plain (err, EIO, "the container process failed before running the program: %s",
                            strncmp (msg, "skiff: ", 7) == 0 ? msg + 7 : msg);
}

int
skiff_container_start (struct skiff_context *ctx, skiff_error_t *err)
{
  struct skiff_container c;
  cleanup_close int fd = -1;
  oci_config *config;

  if (skiff_container_open (ctx, &c, err) < 0)
    return skiff_error_wrap (err, "start %s", ctx->id);
  if (c.status != SKIFF_STATUS_CREATED)
    {
      int ret = skiff_error_plain (err, EINVAL, "start %s: container is %s, not created", ctx->id,
                                  skiff_status_name (c.status));
      skiff_container_close (&c);
      return ret;
    }
  /* Non-blocking: ENXIO when the waiting process is gone.  */
  fd = openat (c.dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0 || write (fd, "0", 1) != 1)
    {
      int ret = errno == ENXIO
                    ? skiff_error_plain (err, ESRCH, "start %s: the container process exited "
                                         "before it was started", ctx->id)
                    : skiff_error_sys (err, "start %s: exec.fifo", ctx->id);
      skiff_container_close (&c);
      return ret;
    }
  unlinkat (c.dirfd, "exec.fifo", 0);
  wait_for_exec (fd);
  if (check_exec (fd, err) < 0)
    {
      int ret = skiff_error_wrap (err, "start %s", ctx->id);
      skiff_container_close (&c);
      return ret;
    }
  config = load_saved_config (c.dirfd, c.state);
  run_hooks_warn (c.state, config, 0);
  oci_config_free (config);
  skiff_container_close (&c);
  return 0;
}

int
skiff_container_state (struct skiff_context *ctx, char **json, skiff_error_t *err)
{
  struct skiff_container c;

  if (skiff_container_open (ctx, &c, err) < 0)
    return skiff_error_wrap (err, "state %s", ctx->id);
  if (c.status == SKIFF_STATUS_STOPPED)
    c.state->pid = 0; /* never show a pid that may belong to someone else now */
  *json = skiff_state_oci_json (c.state, c.status);
  skiff_container_close (&c);
  return 0;
}

int
skiff_container_kill (struct skiff_context *ctx, int sig, bool all, skiff_error_t *err)
{
  struct skiff_container c;
  struct skiff_cgroup *cg = NULL;
  int ret = 0;

  if (skiff_container_open (ctx, &c, err) < 0)
    return skiff_error_wrap (err, "kill %s", ctx->id);
  if (c.status == SKIFF_STATUS_STOPPED && ! all)
    {
      /* containerd matches the words "container not running".  */
      ret = skiff_error_plain (err, ESRCH, "kill %s: container not running", ctx->id);
      goto out;
    }
  if (all && c.state->cgroup_path && skiff_cgroup_open (c.state->cgroup_path, &cg, err) == 0 && cg)
    {
      ret = skiff_cgroup_kill (cg, sig, err);
      skiff_cgroup_free (cg);
      if (ret < 0)
        ret = skiff_error_wrap (err, "kill %s", ctx->id);
      goto out;
    }
  skiff_error_free (err);
  if (c.status != SKIFF_STATUS_STOPPED && kill (c.state->pid, sig) < 0)
    ret = skiff_error_sys (err, "kill %s: pid %d", ctx->id, (int) c.state->pid);
out:
  skiff_container_close (&c);
  return ret;
}

/* Plain `delete` of a `created` container is allowed (the waiting process
   is killed), as runc does: containerd deletes a created-but-never-started
   task without --force, e.g. after a failed start.  `running` and `paused`
   containers need --force, as the spec says.  */
int
skiff_container_delete (struct skiff_context *ctx, bool force, skiff_error_t *err)
{
  struct skiff_container c;
  int ret;

  if (skiff_validate_id (ctx->id, err) < 0)
    return skiff_error_wrap (err, "delete");
  if (skiff_container_open (ctx, &c, err) < 0)
    {
      int e = skiff_error_errno (err);
      if (e != ENOENT)
        return skiff_error_wrap (err, "delete %s", ctx->id);
      /* Unknown id, or a directory without state.json (create killed
         early): remove what is there.  Callers delete --force blindly.  */
      if (skiff_state_remove_dir (ctx->state_root, ctx->id, err) < 0)
        return skiff_error_wrap (err, "delete %s", ctx->id);
      if (force)
        {
          skiff_error_free (err);
          return 0;
        }
      return skiff_error_plain (err, ENOENT, "delete %s: container does not exist", ctx->id);
    }
  if ((c.status == SKIFF_STATUS_RUNNING || c.status == SKIFF_STATUS_PAUSED) && ! force)
    {
      ret = skiff_error_plain (err, EBUSY,
                              "delete %s: container is %s: stop it first or use --force",
                              ctx->id, skiff_status_name (c.status));
      skiff_container_close (&c);
      return ret;
    }
  ret = skiff_container_destroy (ctx->state_root, c.dirfd, c.state, NULL,
                                 force || c.status != SKIFF_STATUS_STOPPED, err);
  skiff_container_close (&c);
  return ret;
}

static int
freeze (struct skiff_context *ctx, bool frozen, skiff_error_t *err)
{
  const char *cmd = frozen ? "pause" : "resume";
  struct skiff_container c;
  struct skiff_cgroup *cg = NULL;
  int ret;

  if (skiff_container_open (ctx, &c, err) < 0)
    return skiff_error_wrap (err, "%s %s", cmd, ctx->id);
  if (c.status != (frozen ? SKIFF_STATUS_RUNNING : SKIFF_STATUS_PAUSED))
    {
      ret = skiff_error_plain (err, EINVAL, "%s %s: container is %s, not %s", cmd, ctx->id,
                              skiff_status_name (c.status), frozen ? "running" : "paused");
      goto out;
    }
  if (c.state->cgroup_path == NULL)
    {
      ret = skiff_error_plain (err, EOPNOTSUPP, "%s %s: the container has no cgroup", cmd,
                              ctx->id);
      goto out;
    }
  ret = skiff_cgroup_open (c.state->cgroup_path, &cg, err);
  if (ret == 0 && cg)
    ret = skiff_cgroup_freeze (cg, frozen, err);
  skiff_cgroup_free (cg);
  if (ret < 0)
    skiff_error_wrap (err, "%s %s", cmd, ctx->id);
out:
  skiff_container_close (&c);
  return ret;
}

int
skiff_container_pause (struct skiff_context *ctx, skiff_error_t *err)
{
  return freeze (ctx, true, err);
}

int
skiff_container_resume (struct skiff_context *ctx, skiff_error_t *err)
{
  return freeze (ctx, false, err);
}

static bool
same_ns (const char *a, const char *b)
{
  struct stat sa, sb;
  return stat (a, &sa) == 0 && stat (b, &sb) == 0 && sa.st_ino == sb.st_ino
         && sa.st_dev == sb.st_dev;
}

int
skiff_container_pids (struct skiff_context *ctx, pid_t **pids, size_t *n, skiff_error_t *err)
{
  struct skiff_container c;
  struct skiff_cgroup *cg = NULL;
  char init_ns[64];
  DIR *d;
  struct dirent *de;
  int ret = 0;

  *pids = NULL;
  *n = 0;
  if (skiff_container_open (ctx, &c, err) < 0)
    return skiff_error_wrap (err, "ps %s", ctx->id);
  if (c.state->cgroup_path && skiff_cgroup_open (c.state->cgroup_path, &cg, err) == 0 && cg)
    {
      ret = skiff_cgroup_pids (cg, pids, n, err);
      skiff_cgroup_free (cg);
      if (ret < 0)
        skiff_error_wrap (err, "ps %s", ctx->id);
      goto out;
    }
  skiff_error_free (err);
  if (c.status == SKIFF_STATUS_STOPPED)
    goto out;
  snprintf (init_ns, sizeof init_ns, "/proc/%d/ns/pid", (int) c.state->pid);
  if (same_ns (init_ns, "/proc/self/ns/pid"))
    {
      *pids = xmalloc (sizeof (pid_t));
      (*pids)[(*n)++] = c.state->pid;
      goto out;
    }
  d = opendir ("/proc");
  if (d == NULL)
    {
      ret = skiff_error_sys (err, "ps %s: /proc", ctx->id);
      goto out;
    }
  while ((de = readdir (d)))
    {
      unsigned long long p;
      char path[64];
      if (parse_uint64 (de->d_name, &p) < 0)
        continue;
      snprintf (path, sizeof path, "/proc/%llu/ns/pid", p);
      if (! same_ns (path, init_ns))
        continue;
      *pids = xrealloc (*pids, (*n + 1) * sizeof (pid_t));
      (*pids)[(*n)++] = (pid_t) p;
    }
  closedir (d);
out:
  skiff_container_close (&c);
  return ret;
}
