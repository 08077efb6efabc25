/* skiff: checkpoint and restore through the `criu` binary (see criu.h).
 *
 * Debian packages CRIU without libcriu or its RPC description, so skiff
 * drives `criu dump`/`criu restore` by their command line.  Restore runs
 * CRIU in a private mount namespace of its own, with the rootfs bound on
 * <state dir>/criu-root as the root CRIU rebuilds the container's mount
 * table on, and with --restore-sibling so that the restored pid 1 is our
 * child, as the process of `create` is.  */
#include <config.h>
#include "criu.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "container_internal.h"
#include "hooks.h"
#include "log.h"
#include "process.h"
#include "rootfs.h"
#include "state.h"
#include "terminal.h"
#include "utils.h"

#define STDIO_FILE "skiff-stdio"
#define NETNS_KEY "skiff-netns"
#define PIDNS_KEY "skiff-pidns"
#define HOOK_SCRIPT "criu-hooks"
#define HOOK_STAGE "criu-stage"
#define HOOK_ANSWER "criu-answer"

bool
skiff_criu_cgroups_mode_valid (const char *mode)
{
  static const char *const modes[] = { "soft", "full", "strict", "ignore" };
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
    if (strcmp (mode, modes[i]) == 0)
      return true;
  return false;
}

/* ---- the criu command line ------------------------------------------------ */

struct args
{
  char **v;
  size_t n;
};

static void
args_add (struct args *a, char *owned)
{
  a->v = xrealloc (a->v, (a->n + 2) * sizeof *a->v);
  a->v[a->n++] = owned;
  a->v[a->n] = NULL;
}

#define args_addf(a, ...) args_add ((a), xasprintf (__VA_ARGS__))

static void
args_free (struct args *a)
{
  strv_free (a->v);
  a->v = NULL;
  a->n = 0;
}

/* The last "Error" line of CRIU's log, for a one-line report: the cause,
   not the "Dumping FAILED." that follows it.  */
static char *
last_log_error (const char *log)
{
  cleanup_file FILE *f = fopen (log, "re");
  cleanup_free char *line = NULL;
  char *found = NULL;
  size_t cap = 0;
  ssize_t n;

  if (f == NULL)
    return NULL;
  while ((n = getline (&line, &cap, f)) > 0)
    if (strstr (line, "Error") != NULL && (found == NULL || strstr (line, "FAILED") == NULL))
      {
        if (line[n - 1] == '\n')
          line[n - 1] = '\0';
        free (found);
        found = xstrdup (line);
      }
  return found;
}

/* Run in a forked child; fills *ERR on failure.  */
typedef int (*child_fn) (void *data, skiff_error_t *err);

/* Fork a child that runs FN (which execs, or returns).  Whatever error FN
   reports comes back on *REPORT (the read end: EOF once FN exec'd or the
   child is gone), read with read_report.  */
static pid_t
fork_reporting (child_fn fn, void *data, int *report, const char *what, skiff_error_t *err)
{
  int p[2];
  pid_t pid;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return skiff_error_sys (err, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return skiff_error_sys (err, "fork %s", what);
    }
  if (pid == 0)
    {
      skiff_error_t cerr = NULL;
      close (p[0]);
      if (fn (data, &cerr) == 0)
        _exit (0);
      if (cerr)
        (void) write_all (p[1], cerr->msg, strlen (cerr->msg));
      _exit (127);
    }
  close (p[1]);
  *report = p[0];
  return pid;
}

/* The child's error, if it sent one (closes REPORT).  */
static int
read_report (int report, skiff_error_t *err)
{
  char msg[1024];
  ssize_t n = read_all (report, msg, sizeof msg - 1);

  close (report);
  if (n <= 0)
    return 0;
  msg[n] = '\0';
  return skiff_error_plain (err, EINVAL, "%s", msg);
}

static int
wait_child (pid_t pid, int *st, const char *what, skiff_error_t *err)
{
  while (waitpid (pid, st, 0) < 0)
    if (errno != EINTR)
      return skiff_error_sys (err, "waitpid %s", what);
  return 0;
}

/* In our process while criu (PID) runs.  */
typedef int (*serve_fn) (void *data, pid_t pid, skiff_error_t *err);

struct criu_child
{
  struct args *args;
  const int *keep;
  size_t n_keep;
  child_fn prep;
  void *data;
};

static int
criu_child (void *data, skiff_error_t *err)
{
  struct criu_child *cc = data;

  for (size_t i = 0; i < cc->n_keep; i++)
    if (cc->keep[i] >= 0 && fcntl (cc->keep[i], F_SETFD, 0) < 0)
      return skiff_error_sys (err, "fcntl fd %d", cc->keep[i]);
  if (cc->prep && cc->prep (cc->data, err) < 0)
    return -1;
  execvp (cc->args->v[0], cc->args->v);
  return skiff_error_sys (err, "exec `%s` (install Debian's criu package)", cc->args->v[0]);
}

/* Run ARGS (argv[0] "criu", argv[1] the action), keeping KEEP fds open in
   it; PREP runs in its child first, SERVE (if any) in ours while it runs
   (a failure of SERVE is what fails then: CRIU only says its script
   failed).  A failure names CRIU's exit status, its last error and its
   log.  */
static int
run_criu (struct args *args, const int *keep, size_t n_keep, child_fn prep, serve_fn serve,
          void *data, const char *log, skiff_error_t *err)
{
  struct criu_child cc = { args, keep, n_keep, prep, data };
  skiff_error_t serr = NULL;
  int report, st;
  pid_t pid;

  skiff_debug ("running criu %s (log: %s)", args->v[1], log);
  pid = fork_reporting (criu_child, &cc, &report, "criu", err);
  if (pid < 0)
    return -1;
  if (read_report (report, err) < 0)
    {
      waitpid (pid, NULL, 0);
      return -1;
    }
  if (serve)
    (void) serve (data, pid, &serr);
  if (wait_child (pid, &st, "criu", err) < 0)
    {
      skiff_error_free (&serr);
      return -1;
    }
  if (serr)
    {
      skiff_error_free (err);
      *err = serr;
      return -1;
    }
  if (! WIFEXITED (st) || WEXITSTATUS (st) != 0)
    {
      cleanup_free char *why = last_log_error (log);
      return skiff_error_plain (err, EIO, "criu %s failed (status %d)%s%s; see %s", args->v[1],
                                skiff_exit_status (st), why ? ": " : "", why ? why : "", log);
    }
  return 0;
}

/* Options both actions share.  */
static void
add_common (struct args *a, const struct skiff_criu_opts *o, const char *images,
            const char *work, const char *log_name)
{
  args_add (a, xstrdup ("--images-dir"));
  args_add (a, xstrdup (images));
  args_add (a, xstrdup ("--work-dir"));
  args_add (a, xstrdup (work));
  args_add (a, xstrdup ("--log-file"));
  args_add (a, xstrdup (log_name));
  args_add (a, xstrdup ("-v4"));
  args_addf (a, "--manage-cgroups=%s", o->cgroups_mode ? o->cgroups_mode : "soft");
  if (o->tcp_established)
    args_add (a, xstrdup ("--tcp-established"));
  if (o->ext_unix_sk)
    args_add (a, xstrdup ("--ext-unix-sk"));
  if (o->shell_job)
    args_add (a, xstrdup ("--shell-job"));
  if (o->file_locks)
    args_add (a, xstrdup ("--file-locks"));
}

static bool
is_bind_mount (const oci_mount *m)
{
  if (m->type && strcmp (m->type, "bind") == 0)
    return true;
  for (size_t i = 0; i < m->options_len; i++)
    if (strcmp (m->options[i], "bind") == 0 || strcmp (m->options[i], "rbind") == 0)
      return true;
  return false;
}

static const char *
ns_path (const oci_config *config, const char *type)
{
  const oci_linux *l = config->linux;
  for (size_t i = 0; l && i < l->namespaces_len; i++)
    if (strcmp (l->namespaces[i]->type, type) == 0)
      return l->namespaces[i]->path && *l->namespaces[i]->path ? l->namespaces[i]->path : NULL;
  return NULL;
}

/* ---- checkpoint ----------------------------------------------------------- */

/* The mount points of PID's mount table (as the container sees them),
   each followed by its file system type: "path\0type\0...\0".  */
static int
read_mountpoints (pid_t pid, char ***out, skiff_error_t *err)
{
  cleanup_free char *path = xasprintf ("/proc/%d/mountinfo", (int) pid);
  cleanup_file FILE *f = fopen (path, "re");
  cleanup_free char *line = NULL;
  struct args v = { 0 };
  size_t cap = 0;

  if (f == NULL)
    return skiff_error_sys (err, "open %s", path);
  while (getline (&line, &cap, f) > 0)
    {
      /* ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL...] - FSTYPE ... */
      char *save = NULL, *tok, *mp = NULL, *type = NULL;
      int field = 0;
      bool sep = false;
      for (tok = strtok_r (line, " \n", &save); tok; tok = strtok_r (NULL, " \n", &save), field++)
        {
          if (field == 4)
            mp = tok;
          else if (sep)
            {
              type = tok;
              break;
            }
          else if (field > 5 && strcmp (tok, "-") == 0)
            sep = true;
        }
      if (mp && type)
        {
          args_add (&v, xstrdup (mp));
          args_add (&v, xstrdup (type));
        }
    }
  *out = v.v ? v.v : xmalloc0 (sizeof (char *));
  return 0;
}

static const char *
mount_type_at (char **mounts, const char *path)
{
  const char *found = NULL;
  for (size_t i = 0; mounts[i] && mounts[i + 1]; i += 2)
    if (strcmp (mounts[i], path) == 0)
      found = mounts[i + 1]; /* the last one is on top */
  return found;
}

/* mnt_id of PID's fd FD (/proc/PID/fdinfo/FD), 0 if unknown.  */
static unsigned long long
fd_mnt_id (pid_t pid, int fd)
{
  cleanup_free char *path = xasprintf ("/proc/%d/fdinfo/%d", (int) pid, fd);
  cleanup_file FILE *f = fopen (path, "re");
  unsigned long long id = 0;
  char line[256];

  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, "mnt_id: %llu", &id) == 1)
      break;
  return id;
}

/* Whether the mount of PID's fd FD is in PID's own mount table (CRIU finds
   files there only).  */
static bool
mount_visible (pid_t pid, int fd)
{
  unsigned long long want = fd_mnt_id (pid, fd), id;
  cleanup_free char *path = xasprintf ("/proc/%d/mountinfo", (int) pid);
  cleanup_file FILE *f = fopen (path, "re");
  char line[4096];

  while (f && fgets (line, sizeof line, f))
    if (sscanf (line, "%llu", &id) == 1 && id == want)
      return true;
  return false;
}

/* What the process's stdio is, in CRIU's names; the tty's name is also
   marked external (its master lives outside the container).  */
static int
dump_stdio (pid_t pid, const char *images, struct args *a, skiff_error_t *err)
{
  cleanup_free char *text = xstrdup ("");
  bool tty_added = false;

  for (int fd = 0; fd < 3; fd++)
    {
      cleanup_free char *link = xasprintf ("/proc/%d/fd/%d", (int) pid, fd);
      char target[4096];
      struct stat st;
      ssize_t n;
      char *next;

      n = readlink (link, target, sizeof target - 1);
      if (n < 0)
        {
          if (errno != ENOENT)
            return skiff_error_sys (err, "readlink %s", link);
          n = 0; /* closed */
        }
      target[n] = '\0';
      if (n > 0 && stat (link, &st) == 0 && S_ISCHR (st.st_mode) && major (st.st_rdev) >= 136
          && major (st.st_rdev) <= 143)
        {
          /* Unix98 pty slave: the pty of process.terminal.  */
          snprintf (target, sizeof target, "tty[%" PRIx64 ":%" PRIx64 "]",
                    (uint64_t) st.st_rdev, (uint64_t) st.st_dev);
          if (! tty_added)
            {
              args_add (a, xstrdup ("--external"));
              args_add (a, xstrdup (target));
              tty_added = true;
            }
        }
      else if (n > 0 && target[0] == '/' && ! mount_visible (pid, fd))
        {
          /* A file of the host, such as its /dev/null as stdin: restore
             gives its own fd in its place.  */
          unsigned long long mnt_id = fd_mnt_id (pid, fd);
          if (stat (link, &st) < 0)
            return skiff_error_sys (err, "stat %s", link);
          snprintf (target, sizeof target, "file[%llx:%llx]", mnt_id,
                    (unsigned long long) st.st_ino);
          args_add (a, xstrdup ("--external"));
          args_add (a, xstrdup (target));
        }
      next = xasprintf ("%s%s\n", text, target);
      free (text);
      text = next;
    }
  {
    cleanup_close int dfd = open (images, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0)
      return skiff_error_sys (err, "open `%s`", images);
    return write_file_atomic_at (dfd, STDIO_FILE, text, strlen (text), 0600, err);
  }
}

/* Bind mounts from outside the container, named by where they are in it.  */
static void
dump_external_mounts (const oci_config *config, char **mounts, struct args *a)
{
  const oci_linux *l = config->linux;

  for (size_t i = 0; i < config->mounts_len; i++)
    if (is_bind_mount (config->mounts[i]) && mount_type_at (mounts, config->mounts[i]->destination))
      args_addf (a, "--external=mnt[%s]:%s", config->mounts[i]->destination,
                 config->mounts[i]->destination);
  /* A masked file is the host's /dev/null bound on it (a masked directory
     is a tmpfs CRIU recreates); devices are bound from the host in a user
     namespace.  */
  for (size_t i = 0; l && i < l->masked_paths_len; i++)
    {
      const char *type = mount_type_at (mounts, l->masked_paths[i]);
      if (type && strcmp (type, "tmpfs") != 0)
        args_addf (a, "--external=mnt[%s]:%s", l->masked_paths[i], l->masked_paths[i]);
    }
  for (size_t i = 0; l && i < l->devices_len; i++)
    if (mount_type_at (mounts, l->devices[i]->path))
      args_addf (a, "--external=mnt[%s]:%s", l->devices[i]->path, l->devices[i]->path);
  /* process.terminal: the pty's slave is bound on /dev/console; restore
     binds the new pty's.  */
  {
    const char *type = mount_type_at (mounts, "/dev/console");
    if (type && strcmp (type, "devpts") == 0)
      args_add (a, xstrdup ("--external=mnt[/dev/console]:/dev/console"));
  }
}

static int
dump_external_ns (const oci_config *config, const struct skiff_criu_opts *o, struct args *a,
                  skiff_error_t *err)
{
  static const struct
  {
    const char *type, *criu, *key;
  } kinds[] = { { "network", "net", NETNS_KEY }, { "pid", "pid", PIDNS_KEY } };

  for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
    {
      const char *path = ns_path (config, kinds[i].type);
      struct stat st;
      if (path == NULL)
        continue;
      if (strcmp (kinds[i].type, "network") == 0 && o->empty_ns)
        continue; /* restored empty: nothing of it is needed */
      if (stat (path, &st) < 0)
        return skiff_error_sys (err, "%s namespace `%s`", kinds[i].type, path);
      args_addf (a, "--external=%s[%llu]:%s", kinds[i].criu, (unsigned long long) st.st_ino,
                 kinds[i].key);
    }
  if (o->empty_ns)
    {
      args_add (a, xstrdup ("--empty-ns"));
      args_add (a, xstrdup ("net"));
    }
  return 0;
}

static int
checkpoint (struct skiff_context *ctx, const struct skiff_criu_opts *o, skiff_error_t *err)
{
  struct skiff_container c = { .dirfd = -1 };
  cleanup_free char *images = NULL, *work = NULL, *log = NULL;
  oci_config *config = NULL;
  struct args a = { 0 };
  cleanup_strv char **mounts = NULL;
  const char *action = o->pre_dump ? "pre-dump" : "dump";
  int ret = -1;

  if (skiff_container_open (ctx, &c, err) < 0)
    return -1;
  if (c.status != SKIFF_STATUS_RUNNING && c.status != SKIFF_STATUS_PAUSED)
    {
      skiff_error_plain (err, EINVAL, "container is %s: only a running or paused container "
                         "can be checkpointed", skiff_status_name (c.status));
      goto out;
    }
  if (skiff_load_config (c.dirfd, "config.json", &config, NULL, NULL, err) < 0)
    goto out;

  if (mkdir_p (o->image_path, 0700, err) < 0)
    goto out;
  images = realpath (o->image_path, NULL);
  if (images == NULL)
    {
      skiff_error_sys (err, "image path `%s`", o->image_path);
      goto out;
    }
  work = xstrdup (o->work_path ? o->work_path : images);
  if (mkdir_p (work, 0700, err) < 0)
    goto out;
  log = xasprintf ("%s/%s.log", work, action);

  args_add (&a, xstrdup ("criu"));
  args_add (&a, xstrdup (action));
  args_add (&a, xstrdup ("--tree"));
  args_addf (&a, "%d", (int) c.state->pid);
  add_common (&a, o, images, work, strrchr (log, '/') + 1);
  args_add (&a, xstrdup ("--root"));
  args_add (&a, xstrdup (c.state->rootfs));
  if (o->pre_dump || o->parent_path)
    args_add (&a, xstrdup ("--track-mem"));
  if (o->parent_path)
    {
      args_add (&a, xstrdup ("--prev-images-dir"));
      args_add (&a, xstrdup (o->parent_path));
    }
  if (o->leave_running && ! o->pre_dump)
    args_add (&a, xstrdup ("--leave-running"));
  /* Frozen tasks cannot be stopped with ptrace: CRIU collects them
     through the freezer, and puts the cgroup back as it found it (still
     frozen with --leave-running).  */
  if (c.status == SKIFF_STATUS_PAUSED)
    {
      args_add (&a, xstrdup ("--freeze-cgroup"));
      args_add (&a, xstrdup (c.state->cgroup_path));
    }
  if (read_mountpoints (c.state->pid, &mounts, err) < 0)
    goto out;
  dump_external_mounts (config, mounts, &a);
  if (dump_external_ns (config, o, &a, err) < 0 || dump_stdio (c.state->pid, images, &a, err) < 0)
    goto out;

  if (run_criu (&a, NULL, 0, NULL, NULL, NULL, log, err) < 0)
    goto out;
  ret = 0;
  if (! o->leave_running && ! o->pre_dump)
    {
      /* CRIU killed the processes: the container is gone, as with runc,
         and the id is free for the restore.  */
      ret = skiff_container_destroy (ctx->state_root, c.dirfd, c.state, config, true, err);
    }
out:
  args_free (&a);
  oci_config_free (config);
  skiff_container_close (&c);
  return ret;
}

int
skiff_criu_checkpoint (struct skiff_context *ctx, const struct skiff_criu_opts *o,
                       skiff_error_t *err)
{
  if (checkpoint (ctx, o, err) < 0)
    return skiff_error_wrap (err, "checkpoint %s", ctx->id);
  return 0;
}

/* ---- restore -------------------------------------------------------------- */

struct restore
{
  struct skiff_context *ctx;
  const struct skiff_criu_opts *o;
  oci_config *config;
  char *config_data;
  size_t config_len;
  struct skiff_state state;
  struct skiff_cgroup *cg;
  int dirfd;
  int ns_fd[2];       /* network, pid namespaces joined by path */
  int tty_master, tty_slave;
  char tty_name[64];  /* the new pty's slave */
  char *criu_root;    /* <state dir>/criu-root */
  char *images, *work;
  pid_t pid;
  int hook_stage, hook_answer;  /* the fifos of the action script, both ends ours */
};

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
              args_add (a, xstrdup ("--inherit-fd"));
              args_addf (a, "fd[%d]:%s", r->tty_slave, line);
              keep[(*n_keep)++] = r->tty_slave;
              tty_done = true;
            }
        }
      else if ((strncmp (line, "pipe:", 5) == 0 || strncmp (line, "file[", 5) == 0)
               && ! already_inherited (a, line))
        {
          args_add (a, xstrdup ("--inherit-fd"));
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
      if (! is_bind_mount (m) || m->source == NULL)
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
      const char *path = ns_path (r->config, types[i]);
      if (path == NULL)
        continue;
      r->ns_fd[i] = open (path, O_RDONLY | O_CLOEXEC);
      if (r->ns_fd[i] < 0)
        return skiff_error_sys (err, "%s namespace `%s`", types[i], path);
      args_add (a, xstrdup ("--inherit-fd"));
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
  args_add (a, xstrdup ("--cgroup-root"));
  args_add (a, xstrdup (rel));
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
static int
restore_hooks_prepare (struct restore *r, struct args *a, skiff_error_t *err)
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
  args_add (a, xstrdup ("--action-script"));
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
      if (wait_child (pid, &st, "hooks", err) < 0)
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
  pid = fork_reporting (ns_hooks_child, &h, &report, "hook runner", err);
  if (pid < 0)
    return -1;
  if (read_report (report, err) < 0)
    {
      waitpid (pid, NULL, 0);
      return -1;
    }
  if (wait_child (pid, &st, "hook runner", err) < 0)
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
static int
serve_hooks (void *data, pid_t criu_pid, skiff_error_t *err)
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

  args_add (&a, xstrdup ("criu"));
  args_add (&a, xstrdup ("restore"));
  add_common (&a, r->o, r->images, r->work, "restore.log");
  args_add (&a, xstrdup ("--root"));
  args_add (&a, xstrdup (r->criu_root));
  args_add (&a, xstrdup ("--restore-detached"));
  args_add (&a, xstrdup ("--restore-sibling"));
  args_add (&a, xstrdup ("--pidfile"));
  args_add (&a, xstrdup (pidfile));
  if (restore_cgroup (r, &a, err) < 0)
    goto out;
  if (r->config->process->terminal && restore_open_tty (r, err) < 0)
    goto out;
  if (restore_stdio (r, &a, keep, &n_keep, err) < 0
      || restore_external_ns (r, &a, keep, &n_keep, err) < 0)
    goto out;
  restore_external_mounts (r, &a);
  if (restore_hooks_prepare (r, &a, err) < 0)
    goto out;

  ret = run_criu (&a, keep, n_keep, restore_child_prep, r->hook_stage >= 0 ? serve_hooks : NULL,
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
  args_free (&a);
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
