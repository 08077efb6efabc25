/* skiff restore: `criu restore` of a checkpoint as a new container (see
   criu.c), in a mount namespace of CRIU's own.  */
#include <config.h>
#include "criu_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "hooks.h"
#include "log.h"
#include "process.h"
#include "terminal.h"
#include "utils.h"

/* ---- restore -------------------------------------------------------------- */

/* The rootfs on criu-root in a mount namespace of criu's own: mounts made
   there stay out of ours, and go with it.  */
static int
restore_child_prep (void *data, skiff_error_t *err)
{
  struct restore *r = data;

  if (unshare (CLONE_NEWNS) < 0)
    return skiff_error_sys (err, "unshare mount namespace");
  if (mount (NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    return skiff_error_sys (err, "make / private");
  if (mount (r->state.rootfs, r->criu_root, NULL, MS_BIND | MS_REC, NULL) < 0)
    return skiff_error_sys (err, "bind rootfs `%s` on `%s`", r->state.rootfs, r->criu_root);
  /* CRIU keeps the flags of the root it is given: root.readonly.  */
  if (r->config->root->readonly
      && mount (NULL, r->criu_root, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
    return skiff_error_sys (err, "remount `%s` read-only", r->criu_root);
  return 0;
}

/* The pty of process.terminal: a new one on the host, whose master goes to
   the console socket and whose slave replaces the dumped one.  */
static int
restore_open_tty (struct restore *r, skiff_error_t *err)
{
  cleanup_close int sock = -1;
  char *name = r->tty_name;

  r->tty_master = posix_openpt (O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (r->tty_master < 0)
    return skiff_error_sys (err, "open /dev/ptmx");
  if (unlockpt (r->tty_master) < 0 || ptsname_r (r->tty_master, name, sizeof r->tty_name) != 0)
    return skiff_error_sys (err, "unlock the new pty");
  r->tty_slave = open (name, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (r->tty_slave < 0)
    return skiff_error_sys (err, "open %s", name);
  sock = skiff_console_socket_connect (r->ctx->console_socket, err);
  if (sock < 0)
    return -1;
  return skiff_send_fd (sock, r->tty_master, name, err);
}

/* Whether ARGS already hand over RESOURCE (stdout and stderr are often one
   pipe).  */
static bool
already_inherited (const struct args *a, const char *resource)
{
  for (size_t i = 0; i < a->n; i++)
    {
      const char *colon = strncmp (a->v[i], "fd[", 3) == 0 ? strchr (a->v[i], ':') : NULL;
      if (colon && strcmp (colon + 1, resource) == 0)
        return true;
    }
  return false;
}

/* Pipes and the tty the dumped process had as stdio, handed over from
   ours (or the new pty's slave) with --inherit-fd.  */
static int
restore_stdio (struct restore *r, struct args *a, int *keep, size_t *n_keep, skiff_error_t *err)
{
  cleanup_free char *text = NULL;
  cleanup_close int dfd = open (r->images, O_PATH | O_DIRECTORY | O_CLOEXEC);
  char *line;
  bool tty_done = false;
  int fd = 0;

  if (dfd < 0)
    return skiff_error_sys (err, "open `%s`", r->images);
  if (read_file_at (dfd, STDIO_FILE, &text, NULL, err) < 0)
    return skiff_error_wrap (err, "not a checkpoint of skiff");
  for (line = text; fd < 3 && line; fd++)
    {
      char *nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      if (strncmp (line, "tty[", 4) == 0)
        {
          if (r->tty_slave < 0)
            return skiff_error_plain (err, EINVAL,
                                      "the checkpoint has a terminal: --console-socket is "
                                      "required (and process.terminal in config.json)");
          if (! tty_done)
            {
              criu_args_add (a, xstrdup ("--inherit-fd"));
              args_addf (a, "fd[%d]:%s", r->tty_slave, line);
              keep[(*n_keep)++] = r->tty_slave;
              tty_done = true;
            }
        }
      else if ((strncmp (line, "pipe:", 5) == 0 || strncmp (line, "file[", 5) == 0)
               && ! already_inherited (a, line))
        {
          criu_args_add (a, xstrdup ("--inherit-fd"));
          args_addf (a, "fd[%d]:%s", fd, line);
          keep[(*n_keep)++] = fd;
        }
      line = nl ? nl + 1 : NULL;
    }
  return 0;
}

static void
restore_external_mounts (struct restore *r, struct args *a)
{
  const oci_config *config = r->config;
  const oci_linux *l = config->linux;

  for (size_t i = 0; i < config->mounts_len; i++)
    {
      const oci_mount *m = config->mounts[i];
      cleanup_free char *src = NULL;
      if (! criu_is_bind_mount (m) || m->source == NULL)
        continue;
      src = m->source[0] == '/' ? xstrdup (m->source)
                                : xasprintf ("%s/%s", r->state.bundle, m->source);
      args_addf (a, "--external=mnt[%s]:%s", m->destination, src);
    }
  for (size_t i = 0; l && i < l->masked_paths_len; i++)
    args_addf (a, "--external=mnt[%s]:/dev/null", l->masked_paths[i]);
  for (size_t i = 0; l && i < l->devices_len; i++)
    args_addf (a, "--external=mnt[%s]:%s", l->devices[i]->path, l->devices[i]->path);
  if (r->tty_slave >= 0)
    args_addf (a, "--external=mnt[/dev/console]:%s", r->tty_name);
}

static int
restore_external_ns (struct restore *r, struct args *a, int *keep, size_t *n_keep,
                     skiff_error_t *err)
{
  static const char *const types[] = { "network", "pid" };
  static const char *const keys[] = { NETNS_KEY, PIDNS_KEY };

  for (size_t i = 0; i < 2; i++)
    {
      const char *path = criu_ns_path (r->config, types[i]);
      if (path == NULL)
        continue;
      r->ns_fd[i] = open (path, O_RDONLY | O_CLOEXEC);
      if (r->ns_fd[i] < 0)
        return skiff_error_sys (err, "%s namespace `%s`", types[i], path);
      criu_args_add (a, xstrdup ("--inherit-fd"));
      args_addf (a, "fd[%d]:%s", r->ns_fd[i], keys[i]);
      keep[(*n_keep)++] = r->ns_fd[i];
    }
  return 0;
}

/* Relative to the cgroup2 mount: what --cgroup-root wants.  */
static int
restore_cgroup (struct restore *r, struct args *a, skiff_error_t *err)
{
  cleanup_free char *rel = NULL;

  if (skiff_cgroup_prepare (r->config, r->ctx->id, r->ctx->cgroup_manager, &r->cg, err) < 0)
    return -1;
  if (r->cg == NULL)
    return 0;
  r->state.cgroup_path = xstrdup (skiff_cgroup_path (r->cg));
  r->state.cgroup_pending = true;
  if (skiff_state_write (r->dirfd, &r->state, err) < 0)
    return -1;
  if (skiff_cgroup_create (r->config, &r->cg, err) < 0)
    {
      free (steal_pointer (&r->state.cgroup_path));
      return -1;
    }
  if (r->cg == NULL)
    {
      free (steal_pointer (&r->state.cgroup_path));
      return skiff_state_write (r->dirfd, &r->state, err);
    }
  r->state.cgroup_pending = false;
  if (skiff_state_write (r->dirfd, &r->state, err) < 0)
    return -1;
  if (skiff_cgroup_resolve_path (r->config->linux ? r->config->linux->cgroups_path : NULL,
                                 r->ctx->id, r->ctx->cgroup_manager, &rel, err) < 0)
    return -1;
  criu_args_add (a, xstrdup ("--cgroup-root"));
  criu_args_add (a, xstrdup (rel));
  return 0;
}

static int
restore_load (struct restore *r, skiff_error_t *err)
{
  struct skiff_context *ctx = r->ctx;
  cleanup_free char *config_path = NULL;
  struct stat st;

  if (skiff_validate_id (ctx->id, err) < 0)
    return -1;
  config_path = xasprintf ("%s/config.json", ctx->bundle ? ctx->bundle : ".");
  if (skiff_load_config (AT_FDCWD, config_path, &r->config, &r->config_data, &r->config_len, err)
      < 0)
    return -1;
  if (r->config->process == NULL)
    return skiff_error_plain (err, EINVAL, "config.json: process: missing");
  if (r->config->root == NULL || r->config->root->path == NULL)
    return skiff_error_plain (err, EINVAL, "config.json: root.path: missing");
  if (r->config->process->terminal && ctx->console_socket == NULL)
    return skiff_error_plain (err, EINVAL, "process.terminal is true: --console-socket is "
                              "required");
  r->images = realpath (r->o->image_path, NULL);
  if (r->images == NULL)
    return skiff_error_sys (err, "image path `%s`", r->o->image_path);
  r->work = xstrdup (r->o->work_path ? r->o->work_path : r->images);
  if (mkdir_p (r->work, 0700, err) < 0)
    return -1;

  r->state.id = xstrdup (ctx->id);
  r->state.bundle = xstrdup (ctx->bundle ? ctx->bundle : ".");
  r->state.rootfs = r->config->root->path[0] == '/'
                        ? xstrdup (r->config->root->path)
                        : xasprintf ("%s/%s", r->state.bundle, r->config->root->path);
  if (stat (r->state.rootfs, &st) < 0)
    return skiff_error_sys (err, "config.json: root.path: rootfs `%s`", r->state.rootfs);
  r->state.has_hooks = r->config->hooks != NULL;
  r->state.annotations = r->config->annotations;
  r->state.cgroup_manager = ctx->cgroup_manager;
  r->state.systemd_cgroup = ctx->systemd_cgroup;
  return 0;
}

static int
restore_run (struct restore *r, skiff_error_t *err)
{
  struct skiff_context *ctx = r->ctx;
  cleanup_free char *log = NULL, *pidfile = NULL, *pidtext = NULL;
  struct args a = { 0 };
  int keep[8];
  size_t n_keep = 0;
  unsigned long long pid;
  int ret = -1;

  r->state.created = skiff_rfc3339_now ();
  r->dirfd = skiff_state_create_dir (ctx->state_root, ctx->id, err);
  if (r->dirfd < 0)
    return -1;
  if (skiff_state_write (r->dirfd, &r->state, err) < 0)
    return -1;
  r->criu_root = xasprintf ("%s/%s/criu-root", ctx->state_root, ctx->id);
  pidfile = xasprintf ("%s/%s/criu.pid", ctx->state_root, ctx->id);
  if (mkdir (r->criu_root, 0700) < 0)
    return skiff_error_sys (err, "mkdir `%s`", r->criu_root);
  log = xasprintf ("%s/restore.log", r->work);

  criu_args_add (&a, xstrdup ("criu"));
  criu_args_add (&a, xstrdup ("restore"));
  criu_add_common (&a, r->o, r->images, r->work, "restore.log");
  criu_args_add (&a, xstrdup ("--root"));
  criu_args_add (&a, xstrdup (r->criu_root));
  criu_args_add (&a, xstrdup ("--restore-detached"));
  criu_args_add (&a, xstrdup ("--restore-sibling"));
  criu_args_add (&a, xstrdup ("--pidfile"));
  criu_args_add (&a, xstrdup (pidfile));
  if (restore_cgroup (r, &a, err) < 0)
    goto out;
  if (r->config->process->terminal && restore_open_tty (r, err) < 0)
    goto out;
  if (restore_stdio (r, &a, keep, &n_keep, err) < 0
      || restore_external_ns (r, &a, keep, &n_keep, err) < 0)
    goto out;
  restore_external_mounts (r, &a);
  if (criu_restore_hooks_prepare (r, &a, err) < 0)
    goto out;

  ret = criu_run (&a, keep, n_keep, restore_child_prep, r->hook_stage >= 0 ? criu_serve_hooks : NULL,
                  r, log, err);
  /* Its mount went with criu's mount namespace.  */
  rmdir (r->criu_root);
  unlinkat (r->dirfd, HOOK_SCRIPT, 0);
  unlinkat (r->dirfd, HOOK_STAGE, 0);
  unlinkat (r->dirfd, HOOK_ANSWER, 0);
  if (ret < 0)
    goto out;
  ret = -1;
  if (read_file_at (AT_FDCWD, pidfile, &pidtext, NULL, err) < 0)
    goto out;
  if (parse_uint64 (pidtext, &pid) < 0 || pid == 0)
    {
      skiff_error_plain (err, EINVAL, "criu wrote no pid to `%s`", pidfile);
      goto out;
    }
  r->pid = (pid_t) pid;
  r->state.pid = r->pid;
  r->state.start_time = skiff_pid_start_time (r->pid);
  if (skiff_state_write (r->dirfd, &r->state, err) < 0)
    goto out;
  if (write_file_atomic_at (r->dirfd, "config.json", r->config_data, r->config_len, 0600, err) < 0)
    goto out;
  if (ctx->pid_file && skiff_write_pid_file (ctx->pid_file, r->pid, err) < 0)
    goto out;
  ret = 0;
out:
  criu_args_free (&a);
  return ret;
}

int
skiff_criu_restore (struct skiff_context *ctx, const struct skiff_criu_opts *o, int *status,
                    skiff_error_t *err)
{
  struct restore r = { .ctx = ctx, .o = o, .dirfd = -1, .ns_fd = { -1, -1 },
                       .tty_master = -1, .tty_slave = -1, .hook_stage = -1, .hook_answer = -1 };
  int ret = -1;

  *status = 0;
  if (restore_load (&r, err) < 0)
    goto out;
  if (restore_run (&r, err) < 0)
    {
      skiff_error_t ignored = NULL;
      if (r.pid > 0)
        {
          kill (r.pid, SIGKILL);
          waitpid (r.pid, NULL, 0);
          r.state.pid = 0;
        }
      if (r.dirfd >= 0)
        skiff_container_destroy (ctx->state_root, r.dirfd, &r.state, r.config, false, &ignored);
      skiff_error_free (&ignored);
      goto out;
    }
  ret = 0;
  if (r.config->hooks && r.config->hooks->poststart_len)
    {
      cleanup_free char *json = skiff_state_oci_json (&r.state, SKIFF_STATUS_RUNNING);
      skiff_hooks_run_warn (r.config->hooks->poststart, r.config->hooks->poststart_len,
                            "poststart", json);
    }
  if (ctx->detach)
    goto out;

  /* Attached: as `run` does, wait for it, then delete it.  */
  flock (r.dirfd, LOCK_UN);
  *status = skiff_exit_status (skiff_wait_foreground (r.pid, -1, -1));
  while (flock (r.dirfd, LOCK_EX) < 0 && errno == EINTR)
    ;
  {
    struct stat st;
    skiff_error_t ignored = NULL;
    if (fstat (r.dirfd, &st) == 0 && st.st_nlink > 0)
      {
        r.state.pid = 0;
        if (skiff_container_destroy (ctx->state_root, r.dirfd, &r.state, r.config, true,
                                     &ignored) < 0)
          skiff_warn ("%s", ignored->msg);
        skiff_error_free (&ignored);
      }
  }
out:
  if (ret < 0)
    skiff_error_wrap (err, "restore %s", ctx->id);
  close_fd (&r.dirfd);
  close_fd (&r.ns_fd[0]);
  close_fd (&r.ns_fd[1]);
  close_fd (&r.tty_master);
  close_fd (&r.tty_slave);
  close_fd (&r.hook_stage);
  close_fd (&r.hook_answer);
  skiff_cgroup_free (r.cg);
  free (r.state.id);
  free (r.state.bundle);
  free (r.state.rootfs);
  free (r.state.cgroup_path);
  free (r.state.created);
  free (r.criu_root);
  free (r.images);
  free (r.work);
  free (r.config_data);
  oci_config_free (r.config);
  return ret;
}
