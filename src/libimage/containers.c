/* skiff-image: containers from images (see containers.h).  */
#include <config.h>
#include "containers.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "image.h"
#include "layer.h"
#include "layer_store.h"
#include "overlay.h"
#include "utils.h"

#define RECORD "container.json"
/* Written by a detached container's monitor (see containers.h).  */
#define EXIT_FILE "exit"
#define MONITOR_LOCK "monitor.lock"

void
image_container_free (struct image_container *c)
{
  if (c == NULL)
    return;
  free (c->id);
  free (c->name);
  free (c->image_id);
  free (c->image_name);
  strv_free (c->command);
  strv_free (c->lowers);
  strv_free (c->mount_points);
  free (c->stop_signal);
  free (c->dir);
  free (c);
}

void
image_container_freep (struct image_container **c)
{
  image_container_free (*c);
  *c = NULL;
}

void
image_container_list_free (struct image_container **v)
{
  for (size_t i = 0; v && v[i]; i++)
    image_container_free (v[i]);
  free (v);
}

static char *
containers_dir (struct image_store *s)
{
  return xasprintf ("%s/containers", image_store_root (s));
}

char *
image_runtime_root (struct image_store *s)
{
  return xasprintf ("%s/runtime", image_store_root (s));
}

static char *
sub (const struct image_container *c, const char *name)
{
  return xasprintf ("%s/%s", c->dir, name);
}

/* --- the record ---------------------------------------------------------- */

static void
gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
gen_strv (yajl_gen g, const char *key, char **v)
{
  gen_str (g, key);
  yajl_gen_array_open (g);
  for (size_t i = 0; v && v[i]; i++)
    gen_str (g, v[i]);
  yajl_gen_array_close (g);
}

static int
container_save (const struct image_container *c, skiff_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  cleanup_close int dirfd = -1;
  const unsigned char *buf;
  size_t len;
  int ret;

  yajl_gen_map_open (g);
#define KV(k, v) gen_str (g, k), gen_str (g, (v) ? (v) : "")
#define KI(k, v) gen_str (g, k), yajl_gen_integer (g, (long long) (v))
  KV ("id", c->id);
  KV ("name", c->name);
  KV ("image", c->image_id);
  KV ("imageName", c->image_name);
  gen_strv (g, "command", c->command);
  gen_strv (g, "lowers", c->lowers);
  gen_strv (g, "mountPoints", c->mount_points);
  KV ("stopSignal", c->stop_signal);
  KI ("created", c->created);
  KI ("started", c->started);
  KI ("finished", c->finished);
  KI ("exitCode", c->exit_code);
  gen_str (g, "autoremove"), yajl_gen_bool (g, c->autoremove);
  if (c->builder_pid > 0)
    {
      KI ("builderPid", c->builder_pid);
      KI ("builderStart", c->builder_start);
    }
#undef KV
#undef KI
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);
  dirfd = open (c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    ret = skiff_error_sys (err, "container %s: open `%s`", c->name, c->dir);
  else
    ret = write_file_atomic_at (dirfd, RECORD, buf, len, 0600, err);
  yajl_gen_free (g);
  return ret;
}

static char *
tree_str (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);
  return xstrdup (v ? YAJL_GET_STRING (v) : "");
}

static long long
tree_int (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_number);
  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
}

static bool
tree_true (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  return yajl_tree_get (root, path, yajl_t_true) != NULL;
}

static char **
tree_strv (yajl_val root, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_array);
  size_t n = v ? v->u.array.len : 0;
  char **out = xmalloc0 ((n + 1) * sizeof *out);
  for (size_t i = 0, j = 0; i < n; i++)
    if (YAJL_IS_STRING (v->u.array.values[i]))
      out[j++] = xstrdup (YAJL_GET_STRING (v->u.array.values[i]));
  return out;
}

static int
container_load (struct image_store *s, const char *id, struct image_container **out, skiff_error_t *err)
{
  cleanup_free char *cdir = containers_dir (s);
  cleanup_free char *path = xasprintf ("%s/%s/" RECORD, cdir, id);
  cleanup_free char *data = NULL;
  struct image_container *c;
  char ebuf[256];
  yajl_val root;

  if (read_file_at (AT_FDCWD, path, &data, NULL, err) < 0)
    return -1;
  root = yajl_tree_parse (data, ebuf, sizeof ebuf);
  if (root == NULL)
    return skiff_error_plain (err, EINVAL, "`%s`: %s", path, ebuf);
  c = xmalloc0 (sizeof *c);
  c->id = tree_str (root, "id");
  c->name = tree_str (root, "name");
  c->image_id = tree_str (root, "image");
  c->image_name = tree_str (root, "imageName");
  c->command = tree_strv (root, "command");
  c->lowers = tree_strv (root, "lowers");
  c->mount_points = tree_strv (root, "mountPoints");
  c->stop_signal = tree_str (root, "stopSignal");
  c->created = tree_int (root, "created");
  c->started = tree_int (root, "started");
  c->finished = tree_int (root, "finished");
  c->exit_code = (int) tree_int (root, "exitCode");
  c->autoremove = tree_true (root, "autoremove");
  c->builder_pid = (int) tree_int (root, "builderPid");
  c->builder_start = (unsigned long long) tree_int (root, "builderStart");
  c->dir = xasprintf ("%s/%s", cdir, id);
  yajl_tree_free (root);
  *out = c;
  return 0;
}

static int
cmp_created (const void *a, const void *b)
{
  const struct image_container *x = *(struct image_container *const *) a, *y = *(struct image_container *const *) b;
  /* Creation times are in seconds: the name orders a tie.  */
  if (x->created != y->created)
    return (x->created > y->created) - (x->created < y->created);
  return strcmp (x->name, y->name);
}

int
image_container_list (struct image_store *s, struct image_container ***out, skiff_error_t *err)
{
  cleanup_free char *cdir = containers_dir (s);
  cleanup_dir DIR *d = opendir (cdir);
  struct image_container **v = xmalloc0 (sizeof *v);
  struct dirent *de;
  size_t n = 0;

  if (d == NULL && errno != ENOENT)
    {
      free (v);
      return skiff_error_sys (err, "open `%s`", cdir);
    }
  while (d && (de = readdir (d)) != NULL)
    {
      struct image_container *c = NULL;
      if (de->d_name[0] == '.')
        continue;
      /* A directory without its record is a create still running.  */
      if (container_load (s, de->d_name, &c, NULL) < 0)
        continue;
      v = xrealloc (v, (n + 2) * sizeof *v);
      v[n++] = c;
      v[n] = NULL;
    }
  qsort (v, n, sizeof *v, cmp_created);
  *out = v;
  return 0;
}

int
image_container_find (struct image_store *s, const char *name, struct image_container **out, skiff_error_t *err)
{
  struct image_container **v = NULL, *found = NULL;
  size_t prefix_hits = 0;

  if (image_container_list (s, &v, err) < 0)
    return -1;
  for (size_t i = 0; v[i]; i++)
    if (strcmp (v[i]->name, name) == 0 || strcmp (v[i]->id, name) == 0)
      {
        found = v[i];
        prefix_hits = 1;
        break;
      }
    else if (strlen (name) >= 4 && strncmp (v[i]->id, name, strlen (name)) == 0)
      {
        found = v[i];
        prefix_hits++;
      }
  if (found && prefix_hits == 1)
    {
      for (size_t i = 0; v[i]; i++)
        if (v[i] != found)
          image_container_free (v[i]);
      free (v);
      *out = found;
      return 0;
    }
  image_container_list_free (v);
  if (prefix_hits > 1)
    return skiff_error_plain (err, EINVAL, "container `%s`: the id prefix is ambiguous", name);
  return skiff_error_plain (err, ENOENT, "no such container: `%s`", name);
}

int
image_containers_using (struct image_store *s, const char *image_id, char ***names, skiff_error_t *err)
{
  struct image_container **v = NULL;
  size_t n = 0;
  char **out;

  if (image_container_list (s, &v, err) < 0)
    return -1;
  out = xmalloc0 (sizeof *out);
  for (size_t i = 0; v[i]; i++)
    if (strcmp (v[i]->image_id, image_id) == 0)
      {
        out = xrealloc (out, (n + 2) * sizeof *out);
        out[n++] = xstrdup (v[i]->name);
        out[n] = NULL;
      }
  image_container_list_free (v);
  *names = out;
  return 0;
}

/* --- the runtime --------------------------------------------------------- */

/* `RUNTIME --root ROOT/runtime ARGS...`.  */
static int
runtime (struct image_store *s, const char *rt, char *const *args, int in, int out, int errfd, char **output,
         int *status, skiff_error_t *err)
{
  cleanup_free char *root = image_runtime_root (s);
  size_t n = strv_len (args);
  cleanup_free char **argv = xmalloc0 ((n + 3) * sizeof *argv);
  argv[0] = (char *) "--root";
  argv[1] = root;
  memcpy (argv + 2, args, n * sizeof *argv);
  return image_runtime_run (rt, argv, in, out, errfd, output, status, err);
}

/* Whether C's record is gone: the container was removed (its record goes
   first).  DIRFD: C's directory, or -1.  */
static bool
record_gone (const struct image_container *c, int dirfd)
{
  if (dirfd < 0)
    return access (c->dir, F_OK) < 0 && errno == ENOENT;
  return faccessat (dirfd, RECORD, F_OK, 0) < 0 && errno == ENOENT;
}

/* The exit status a detached container's monitor wrote, into C's record,
   once C is seen stopped.  The monitor holds its lock until it has written
   it (and, for an autoremove container, removed it), which is at most a
   moment after the process is gone.  *GONE: C was removed meanwhile.  */
static int
collect_exit (struct image_container *c, bool *gone, skiff_error_t *err)
{
  cleanup_close int dirfd = -1, lock = -1;
  cleanup_free char *data = NULL;
  long long finished;
  int code, i;

  *gone = false;
  if (!c->started || c->finished)
    return 0;
  dirfd = open (c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd >= 0)
    lock = openat (dirfd, MONITOR_LOCK, O_RDONLY | O_CLOEXEC);
  /* No monitor: started attached, or removed meanwhile.  */
  if (lock < 0)
    {
      *gone = record_gone (c, dirfd);
      return 0;
    }
  for (i = 0; i < 50 && flock (lock, LOCK_SH | LOCK_NB) < 0; i++)
    {
      struct timespec tick = { 0, 100 * 1000 * 1000 };
      if (errno != EWOULDBLOCK && errno != EINTR)
        return skiff_error_sys (err, "container %s: flock `%s`", c->name, MONITOR_LOCK);
      nanosleep (&tick, NULL);
    }
  *gone = record_gone (c, dirfd);
  /* A monitor that cannot say (it was killed, or the process was not its
     child) leaves the status unknown.  */
  if (*gone || i == 50 || read_file_at (dirfd, EXIT_FILE, &data, NULL, NULL) < 0
      || sscanf (data, "%d %lld", &code, &finished) != 2)
    return 0;
  c->exit_code = code;
  c->finished = finished;
  return container_save (c, err);
}

/* The runtime's status of C ("created", "running", "paused", "stopped"),
   or NULL when the runtime does not know C.  */
static int
runtime_status (struct image_store *s, const char *rt, const struct image_container *c, char **out,
                skiff_error_t *err)
{
  char *args[] = { (char *) "state", c->id, NULL };
  cleanup_free char *json = NULL;
  oci_state *st;
  char *perr = NULL;
  int status;

  *out = NULL;
  if (runtime (s, rt, args, -1, -1, -1, &json, &status, err) < 0)
    return -1;
  if (status != 0)
    return 0;
  st = oci_state_parse_data (json, strlen (json), "state", &perr);
  free (perr);
  if (st == NULL)
    return skiff_error_plain (err, EINVAL, "container %s: the runtime's state does not parse", c->name);
  *out = xstrdup (st->status);
  oci_state_free (st);
  return 0;
}

int
image_container_state (struct image_store *s, const char *rt, struct image_container *c,
                       enum image_container_state *state, skiff_error_t *err)
{
  cleanup_free char *status = NULL;
  bool gone = false;

  if (runtime_status (s, rt, c, &status, err) < 0)
    return -1;
  /* Unknown to the runtime: never started, or done and deleted.  */
  if (status == NULL)
    *state = c->started ? IMAGE_CONTAINER_EXITED : IMAGE_CONTAINER_CREATED;
  else
    *state = strcmp (status, "running") == 0 || strcmp (status, "paused") == 0 ? IMAGE_CONTAINER_RUNNING
             : strcmp (status, "stopped") == 0                                 ? IMAGE_CONTAINER_EXITED
                                                                               : IMAGE_CONTAINER_CREATED;
  if (*state == IMAGE_CONTAINER_EXITED && collect_exit (c, &gone, err) < 0)
    return -1;
  if (gone)
    *state = IMAGE_CONTAINER_REMOVED;
  return 0;
}

int
image_container_pause (struct image_store *s, const char *rt, struct image_container *c, bool *paused,
                       skiff_error_t *err)
{
  char *args[] = { (char *) "pause", c->id, NULL };
  cleanup_free char *status = NULL;
  int code;

  *paused = false;
  if (runtime_status (s, rt, c, &status, err) < 0)
    return -1;
  if (status == NULL || strcmp (status, "running") != 0)
    return 0;
  if (runtime (s, rt, args, -1, -1, 2, NULL, &code, err) < 0)
    return -1;
  if (code != 0)
    return skiff_error_plain (err, EIO, "container %s: `%s pause` failed (exit status %d)", c->name, rt, code);
  *paused = true;
  return 0;
}

int
image_container_resume (struct image_store *s, const char *rt, struct image_container *c, skiff_error_t *err)
{
  char *args[] = { (char *) "resume", c->id, NULL };
  int code;

  if (runtime (s, rt, args, -1, -1, 2, NULL, &code, err) < 0)
    return -1;
  if (code != 0)
    return skiff_error_plain (err, EIO, "container %s: `%s resume` failed (exit status %d)", c->name, rt, code);
  return 0;
}

/* Drops the runtime's state of C (it may have none).  */
static int
runtime_delete (struct image_store *s, const char *rt, const struct image_container *c, skiff_error_t *err)
{
  char *args[] = { (char *) "delete", (char *) "--force", c->id, NULL };
  int status;
  return runtime (s, rt, args, -1, -1, -1, NULL, &status, err);
}

static int
mount_rootfs (struct image_container *c, skiff_error_t *err)
{
  cleanup_free char *upper = sub (c, "upper"), *work = sub (c, "work"), *merged = sub (c, "merged");
  if (image_is_mountpoint (merged))
    return 0;
  if (image_overlay_mount (c->lowers, upper, work, merged, err) < 0)
    return skiff_error_wrap (err, "container %s", c->name);
  return 0;
}

static int
unmount_rootfs (struct image_container *c, skiff_error_t *err)
{
  cleanup_free char *merged = sub (c, "merged");
  if (image_overlay_unmount (merged, err) < 0)
    return skiff_error_wrap (err, "container %s", c->name);
  return 0;
}

/* C's files: its record first (a half-removed directory is not a
   container), then its directory.  */
static int
remove_files (struct image_store *s, const struct image_container *c, skiff_error_t *err)
{
  cleanup_free char *cdir = containers_dir (s), *rec = sub (c, RECORD);
  cleanup_close int cfd = open (cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (cfd < 0)
    return skiff_error_sys (err, "open `%s`", cdir);
  if (unlink (rec) < 0 && errno != ENOENT)
    return skiff_error_sys (err, "container %s: remove `%s`", c->name, rec);
  if (image_remove_at (cfd, c->id, err) < 0)
    return skiff_error_wrap (err, "container %s", c->name);
  return 0;
}

/* Layers a removed container kept after its image was removed (rmi -f).  */
static int
remove_unused_layers (struct image_store *s, const struct image_container *c, skiff_error_t *err)
{
  cleanup_close int lock = -1;
  if (image_store_lock (s, &lock, err) < 0 || image_layers_gc (s, IMAGE_GC_GRACE, err) < 0)
    return skiff_error_wrap (err, "container %s: removed, but its layers", c->name);
  return 0;
}

/* The monitor of a detached container (see containers.h): runs the
   runtime, reports its exit status on REPORT, waits for the container's
   process, writes its exit status and cleans up after it.  Never
   returns.  */
static _Noreturn void
monitor_main (struct image_store *s, const char *rt, struct image_container *c, int log, int report)
{
  cleanup_free char *pidfile = sub (c, "pid");
  char *args[] = { (char *) "run", (char *) "--detach", (char *) "--pid-file", pidfile, (char *) "--bundle", c->dir,
                   c->id, NULL };
  cleanup_close int dirfd = -1, lock = -1;
  cleanup_free char *pidtext = NULL;
  skiff_error_t e = NULL;
  int devnull, status = -1, ws;
  pid_t pid, cpid;

  /* Nothing of the caller's stays open: whoever reads its output would
     wait for the container's end.  */
  devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0 || dup2 (devnull, 0) < 0 || dup2 (log, 1) < 0 || dup2 (log, 2) < 0
      || close_fds_from (3, &report, 1, NULL) < 0)
    _exit (1);
  dirfd = open (c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd >= 0)
    lock = openat (dirfd, MONITOR_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  /* The container's process comes to us when the runtime exits.  */
  if (lock < 0 || flock (lock, LOCK_EX) < 0 || prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
    _exit (1);
  if (runtime (s, rt, args, -1, 1, 2, NULL, &status, &e) < 0)
    {
      fprintf (stderr, "skiff-image: %s\n", e->msg);
      skiff_error_free (&e);
      status = -1;
    }
  if (write_all (report, &status, sizeof status) != (ssize_t) sizeof status || status != 0)
    _exit (0);
  close (report);

  if (read_file_at (dirfd, "pid", &pidtext, NULL, NULL) < 0 || (cpid = (pid_t) atoi (pidtext)) <= 0)
    _exit (0);
  for (;;)
    {
      pid = waitpid (-1, &ws, 0);
      if (pid < 0 && errno == EINTR)
        continue;
      if (pid < 0)
        _exit (0); /* not our child: its status is not ours to know */
      if (pid == cpid)
        break;
    }
  {
    cleanup_free char *line
        = xasprintf ("%d %lld\n", WIFEXITED (ws) ? WEXITSTATUS (ws) : 128 + WTERMSIG (ws), (long long) time (NULL));
    write_file_atomic_at (dirfd, EXIT_FILE, line, strlen (line), 0600, NULL);
  }
  /* As for any container that stops: the runtime's state and the mount
     go (still under the lock, which whoever looks at C next waits for);
     with --rm, C itself.  */
  runtime_delete (s, rt, c, NULL);
  unmount_rootfs (c, NULL);
  if (c->autoremove)
    {
      if (remove_files (s, c, &e) < 0)
        {
          fprintf (stderr, "skiff-image: --rm: %s\n", e->msg);
          _exit (1);
        }
      /* C is gone: those waiting for its lock need not wait for the
         layers' collection under the store's lock too.  */
      close_fd (&lock);
      remove_unused_layers (s, c, NULL);
    }
  _exit (0);
}

/* Starts C detached through its monitor; *EXIT_CODE is 0.  */
static int
start_detached (struct image_store *s, const char *rt, struct image_container *c, int *exit_code,
                skiff_error_t *err)
{
  cleanup_free char *logpath = sub (c, "ctr.log");
  cleanup_close int log = -1, rd = -1, wr = -1;
  int pfd[2], status, ws;
  pid_t pid;

  log = open (logpath, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (log < 0)
    return skiff_error_sys (err, "container %s: open `%s`", c->name, logpath);
  if (pipe2 (pfd, O_CLOEXEC) < 0)
    return skiff_error_sys (err, "container %s: pipe", c->name);
  rd = pfd[0];
  wr = pfd[1];
  /* Twice: the monitor is no child of ours, and in a session of its own,
     away from our terminal's signals.  */
  pid = fork ();
  if (pid < 0)
    return skiff_error_sys (err, "container %s: fork", c->name);
  if (pid == 0)
    {
      pid_t m;
      if (setsid () < 0 || (m = fork ()) < 0)
        _exit (1);
      if (m > 0)
        _exit (0);
      monitor_main (s, rt, c, log, wr);
    }
  close_fd (&wr);
  while (waitpid (pid, &ws, 0) < 0)
    if (errno != EINTR)
      return skiff_error_sys (err, "container %s: wait for its monitor", c->name);
  if (read_all (rd, &status, sizeof status) != (ssize_t) sizeof status)
    return skiff_error_plain (err, EIO, "container %s: its monitor did not start (see `%s`)", c->name, logpath);
  if (status != 0)
    {
      runtime_delete (s, rt, c, NULL);
      unmount_rootfs (c, NULL);
      return skiff_error_plain (err, EIO, "container %s: `%s run --detach` failed (exit status %d; see `%s`)",
                                c->name, rt, status, logpath);
    }
  *exit_code = 0;
  return 0;
}

int
image_container_start (struct image_store *s, const char *rt, struct image_container *c, bool attach,
                       bool interactive, int *exit_code, skiff_error_t *err)
{
  enum image_container_state state;
  int status;

  if (image_container_state (s, rt, c, &state, err) < 0)
    return -1;
  if (state == IMAGE_CONTAINER_RUNNING)
    return skiff_error_plain (err, EBUSY, "container %s is already running", c->name);
  if (state == IMAGE_CONTAINER_REMOVED)
    return skiff_error_plain (err, ENOENT, "no such container: `%s`", c->name);
  if (runtime_delete (s, rt, c, err) < 0 || mount_rootfs (c, err) < 0)
    return -1;
  /* The last run's status must not pass for this one's.  */
  {
    cleanup_free char *exit_file = sub (c, EXIT_FILE);
    if (unlink (exit_file) < 0 && errno != ENOENT)
      return skiff_error_sys (err, "container %s: remove `%s`", c->name, exit_file);
  }
  c->started = time (NULL);
  c->finished = 0;
  c->exit_code = -1;
  if (container_save (c, err) < 0)
    return -1;

  if (attach)
    {
      char *args[] = { (char *) "run", (char *) "--bundle", c->dir, c->id, NULL };
      if (runtime (s, rt, args, interactive ? 0 : -1, 1, 2, NULL, &status, err) < 0)
        return -1;
      c->finished = time (NULL);
      c->exit_code = status;
      *exit_code = status;
      if (container_save (c, err) < 0 || runtime_delete (s, rt, c, err) < 0 || unmount_rootfs (c, err) < 0)
        return -1;
      return c->autoremove ? image_container_remove (s, rt, c, false, err) : 0;
    }

  return start_detached (s, rt, c, exit_code, err);
}

int
image_container_kill (struct image_store *s, const char *rt, struct image_container *c, const char *signal,
                      skiff_error_t *err)
{
  char *args[] = { (char *) "kill", c->id, (char *) signal, NULL };
  enum image_container_state state;
  int status;

  if (image_container_state (s, rt, c, &state, err) < 0)
    return -1;
  if (state == IMAGE_CONTAINER_REMOVED)
    return skiff_error_plain (err, ENOENT, "no such container: `%s`", c->name);
  if (state != IMAGE_CONTAINER_RUNNING)
    return skiff_error_plain (err, EINVAL, "container %s is not running", c->name);
  if (runtime (s, rt, args, -1, -1, 2, NULL, &status, err) < 0)
    return -1;
  if (status != 0)
    return skiff_error_plain (err, EIO, "container %s: `%s kill %s` failed", c->name, rt, signal);
  return 0;
}

/* Polls until C is no longer running, up to TIMEOUT seconds; *STATE: the
   last state seen.  */
static int
wait_exited (struct image_store *s, const char *rt, struct image_container *c, int timeout,
             enum image_container_state *state, skiff_error_t *err)
{
  for (int i = 0; i <= timeout * 10; i++)
    {
      struct timespec tick = { 0, 100 * 1000 * 1000 };
      if (image_container_state (s, rt, c, state, err) < 0)
        return -1;
      if (*state != IMAGE_CONTAINER_RUNNING)
        return 0;
      nanosleep (&tick, NULL);
    }
  return 0;
}

/* After the process is gone: the runtime's state and the mount go.  */
static int
finish (struct image_store *s, const char *rt, struct image_container *c, skiff_error_t *err)
{
  if (c->started && c->finished == 0)
    {
      c->finished = time (NULL);
      if (container_save (c, err) < 0)
        return -1;
    }
  if (runtime_delete (s, rt, c, err) < 0)
    return -1;
  return unmount_rootfs (c, err);
}

int
image_container_stop (struct image_store *s, const char *rt, struct image_container *c, int timeout,
                      skiff_error_t *err)
{
  enum image_container_state state;

  if (image_container_state (s, rt, c, &state, err) < 0)
    return -1;
  if (state == IMAGE_CONTAINER_RUNNING)
    {
      const char *sig = c->stop_signal && *c->stop_signal ? c->stop_signal : "SIGTERM";
      if (image_container_kill (s, rt, c, sig, err) < 0 || wait_exited (s, rt, c, timeout, &state, err) < 0)
        return -1;
      if (state == IMAGE_CONTAINER_RUNNING
          && (image_container_kill (s, rt, c, "SIGKILL", err) < 0 || wait_exited (s, rt, c, 10, &state, err) < 0))
        return -1;
      if (state == IMAGE_CONTAINER_RUNNING)
        return skiff_error_plain (err, ETIMEDOUT, "container %s: still running after SIGKILL", c->name);
    }
  /* --rm: its monitor removed it.  */
  if (state == IMAGE_CONTAINER_REMOVED)
    return 0;
  return finish (s, rt, c, err);
}

int
image_container_remove (struct image_store *s, const char *rt, struct image_container *c, bool force,
                        skiff_error_t *err)
{
  enum image_container_state state;

  if (image_container_state (s, rt, c, &state, err) < 0)
    return -1;
  if (state == IMAGE_CONTAINER_RUNNING)
    {
      if (!force)
        return skiff_error_plain (err, EBUSY, "container %s is running: stop it first, or rm -f", c->name);
      if (image_container_kill (s, rt, c, "SIGKILL", err) < 0 || wait_exited (s, rt, c, 10, &state, err) < 0)
        return -1;
    }
  /* --rm: its monitor removed it (and its layers).  */
  if (state == IMAGE_CONTAINER_REMOVED)
    return 0;
  if (runtime_delete (s, rt, c, err) < 0 || unmount_rootfs (c, err) < 0 || remove_files (s, c, err) < 0)
    return -1;
  return remove_unused_layers (s, c, err);
}

/* --- build containers ---------------------------------------------------- */

/* START of this process (/proc/PID/stat), 0 if unknown.  */
static unsigned long long
self_start (void)
{
  unsigned long long start = 0;
  char st;
  return skiff_pid_stat (getpid (), &st, &start) < 0 ? 0 : start;
}

/* Whether the process PID that started at START runs (a zombie has
   exited; a different start time is a reused pid).  */
static bool
builder_alive (int pid, unsigned long long start)
{
  unsigned long long now;
  char st;
  return pid > 0 && skiff_pid_stat (pid, &st, &now) == 0 && now == start && st != 'Z' && st != 'X';
}

bool
image_container_orphaned (const struct image_container *c)
{
  return c->builder_pid > 0 && !builder_alive (c->builder_pid, c->builder_start);
}

#define BUILD_TMP_PREFIX "tmp-build-"

char *
image_build_tmp_template (struct image_store *s)
{
  return xasprintf ("%s/layers/" BUILD_TMP_PREFIX "%d-%llu-XXXXXX", image_store_root (s), (int) getpid (),
                    self_start ());
}

/* Whether NAME is a build's plain directory; *ALIVE: its builder runs.  */
static bool
build_tmp (const char *name, bool *alive)
{
  unsigned long long start;
  int pid, end = 0;

  if (sscanf (name, BUILD_TMP_PREFIX "%d-%llu-%*6[^-]%n", &pid, &start, &end) != 2 || end == 0
      || name[end] != '\0')
    return false;
  *alive = builder_alive (pid, start);
  return true;
}

bool
image_build_tmp_live (const char *name)
{
  bool alive = false;
  return build_tmp (name, &alive) && alive;
}

int
image_build_orphans_remove (struct image_store *s, const char *rt, char ***ids, skiff_error_t *err)
{
  cleanup_free char *layers = xasprintf ("%s/layers", image_store_root (s));
  struct image_container **v = NULL;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  size_t n = 0;
  int ret = 0;

  if (ids)
    *ids = xmalloc0 (sizeof **ids);
  if (image_container_list (s, &v, err) < 0)
    return -1;
  for (size_t i = 0; v[i] && ret == 0; i++)
    {
      if (!image_container_orphaned (v[i]))
        continue;
      ret = image_container_remove (s, rt, v[i], true, err);
      /* Another build or prune removed it first.  */
      if (ret < 0 && record_gone (v[i], -1))
        {
          skiff_error_free (err);
          ret = 0;
        }
      else if (ret < 0)
        skiff_error_wrap (err, "orphaned build container %s", v[i]->name);
      else if (ids)
        {
          *ids = xrealloc (*ids, (n + 2) * sizeof **ids);
          (*ids)[n++] = xstrdup (v[i]->id);
          (*ids)[n] = NULL;
        }
    }
  image_container_list_free (v);
  if (ret < 0)
    return -1;

  d = opendir (layers);
  if (d == NULL)
    return errno == ENOENT ? 0 : skiff_error_sys (err, "open `%s`", layers);
  while ((de = readdir (d)) != NULL)
    {
      bool alive = true;
      if (!build_tmp (de->d_name, &alive) || alive || image_remove_at (dirfd (d), de->d_name, err) == 0)
        continue;
      /* Another build or prune removed it first.  */
      if (faccessat (dirfd (d), de->d_name, F_OK, AT_SYMLINK_NOFOLLOW) < 0 && errno == ENOENT)
        skiff_error_free (err);
      else
        return skiff_error_wrap (err, "`%s`", layers);
    }
  return 0;
}

/* --- create -------------------------------------------------------------- */

static char *
random_id (skiff_error_t *err)
{
  unsigned char b[16];
  char *out = xmalloc (33);
  cleanup_close int fd = open ("/dev/urandom", O_RDONLY | O_CLOEXEC);
  if (fd < 0 || read_all (fd, b, sizeof b) != (ssize_t) sizeof b)
    {
      skiff_error_sys (err, "read /dev/urandom");
      free (out);
      return NULL;
    }
  for (size_t i = 0; i < sizeof b; i++)
    sprintf (out + 2 * i, "%02x", b[i]);
  return out;
}

static bool
valid_name (const char *name)
{
  if (!*name || strlen (name) > 128 || name[0] == '.' || name[0] == '-')
    return false;
  for (const char *p = name; *p; p++)
    if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'
          || *p == '-' || *p == '.'))
      return false;
  return true;
}

static void
oci_config_freep (oci_config **c)
{
  oci_config_free (*c);
}

static void
add_mount_point (struct image_container *c, const char *rel)
{
  size_t n = strv_len (c->mount_points);
  for (size_t i = 0; i < n; i++)
    if (strcmp (c->mount_points[i], rel) == 0)
      return;
  c->mount_points = xrealloc (c->mount_points, (n + 2) * sizeof *c->mount_points);
  c->mount_points[n] = xstrdup (rel);
  c->mount_points[n + 1] = NULL;
}

static int
cmp_len (const void *a, const void *b)
{
  size_t x = strlen (*(char *const *) a), y = strlen (*(char *const *) b);
  return (x > y) - (x < y);
}

/* Notes the mount destinations of CFG, and their parents, that the image
   (ROOTFD: the overlay, nothing written yet) lacks: the runtime will make
   them.  Nothing is noted through a symlink (the runtime follows it: what
   it makes there stays visible).  */
static void
record_mount_points (struct image_container *c, const oci_config *cfg, int rootfd)
{
  strv_free (c->mount_points);
  c->mount_points = xmalloc0 (sizeof *c->mount_points);
  for (size_t i = 0; i < cfg->mounts_len; i++)
    {
      const char *dst = cfg->mounts[i]->destination;
      cleanup_free char *path = xstrdup (dst + strspn (dst, "/"));
      bool missing = false;
      for (char *p = path;;)
        {
          char *slash = strchr (p, '/');
          struct stat st;
          if (slash)
            *slash = '\0';
          if (*p && !missing)
            {
              if (fstatat (rootfd, path, &st, AT_SYMLINK_NOFOLLOW) < 0)
                {
                  if (errno != ENOENT)
                    break;
                  missing = true;
                }
              else if (!S_ISDIR (st.st_mode))
                break;
            }
          if (*p && missing)
            add_mount_point (c, path);
          if (slash == NULL)
            break;
          *slash = '/';
          p = slash + 1;
        }
    }
  qsort (c->mount_points, strv_len (c->mount_points), sizeof *c->mount_points, cmp_len);
}

bool
image_container_runtime_made (const struct image_container *c, const char *upper, const char *rel)
{
  cleanup_free char *full = xasprintf ("%s/%s", upper, rel);
  cleanup_dir DIR *d = NULL;
  struct dirent *de;
  struct stat st;
  char opq[2];
  bool listed = false;

  for (size_t i = 0; c->mount_points && c->mount_points[i] && !listed; i++)
    listed = strcmp (c->mount_points[i], rel) == 0;
  if (!listed || lstat (full, &st) < 0)
    return false;
  if (S_ISREG (st.st_mode))
    return st.st_size == 0;
  if (!S_ISDIR (st.st_mode) || lgetxattr (full, "trusted.overlay.opaque", opq, sizeof opq) == 1)
    return false;
  d = opendir (full);
  if (d == NULL)
    return false;
  while ((de = readdir (d)) != NULL)
    {
      cleanup_free char *child = NULL;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      child = xasprintf ("%s/%s", rel, de->d_name);
      if (!image_container_runtime_made (c, upper, child))
        return false;
    }
  return true;
}

/* The bundle: `skiff spec`, the image config and O applied, root at
   merged/.  */
static int
write_bundle (struct image_container *c, const char *rt, const oci_image_config *img,
              const struct image_run_options *o, skiff_error_t *err)
{
  oci_config *cfg __attribute__ ((cleanup (oci_config_freep))) = NULL;
  cleanup_free char *merged = sub (c, "merged");
  cleanup_close int rootfd = -1;
  struct image_run_options opts = *o;

  if (opts.hostname == NULL)
    opts.hostname = c->name;
  if (image_runconfig_default (rt, c->dir, &cfg, err) < 0)
    return -1;
  rootfd = open (merged, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return skiff_error_sys (err, "open `%s`", merged);
  if (image_runconfig_apply (cfg, img, rootfd, &opts, err) < 0)
    return -1;
  record_mount_points (c, cfg, rootfd);
  free (cfg->root->path);
  cfg->root->path = xstrdup ("merged");
  c->command = xmalloc0 ((cfg->process->args_len + 1) * sizeof *c->command);
  for (size_t i = 0; i < cfg->process->args_len; i++)
    c->command[i] = xstrdup (cfg->process->args[i]);
  if (img->config && img->config->stop_signal)
    c->stop_signal = xstrdup (img->config->stop_signal);
  return image_runconfig_write (cfg, c->dir, err);
}

static int
create_in (struct image_store *s, const char *rt, struct image_container *c, const struct image_info *info,
           const struct image_run_options *o, skiff_error_t *err)
{
  /* The upper directory's root is the container's "/" (overlay takes
     its mode from there): users other than root must traverse it.  */
  const char *dirs[] = { "upper", "work", "merged" };
  const mode_t modes[] = { 0755, 0700, 0755 };
  for (size_t i = 0; i < 3; i++)
    {
      cleanup_free char *p = sub (c, dirs[i]);
      if (mkdir (p, modes[i]) < 0 || chmod (p, modes[i]) < 0)
        return skiff_error_sys (err, "mkdir `%s`", p);
    }
  if (image_layers_prepare (s, info, &c->lowers, err) < 0 || mount_rootfs (c, err) < 0)
    return -1;
  if (write_bundle (c, rt, info->config, o, err) < 0)
    return -1;
  return container_save (c, err);
}

int
image_container_create (struct image_store *s, const char *rt, const char *image, const char *name,
                        const struct image_run_options *o, struct image_container **out, skiff_error_t *err)
{
  cleanup_image_info struct image_info info = { 0 };
  cleanup_container struct image_container *c = xmalloc0 (sizeof *c);
  cleanup_free char *cdir = containers_dir (s);
  struct image_desc d = { 0 };
  cleanup_close int lock = -1;
  struct image_container *other = NULL;
  int ret;

  /* The overlay and the runtime's namespaces need root; say so before
     anything is made rather than fail on the first mount.  */
  if (geteuid () != 0)
    return skiff_error_plain (err, EPERM, "containers need root: rootless containers are not supported (images, "
                                          "pull, push, save, load and unpack work without root)");
  ret = image_store_resolve (s, image, &d, err);
  if (ret == 0)
    ret = image_info_load (s, &d, &info, err);
  image_desc_clear (&d);
  if (ret < 0)
    return -1;
  c->id = random_id (err);
  if (c->id == NULL)
    return -1;
  c->name = name ? xstrdup (name) : xasprintf ("skiff-%.12s", c->id);
  if (!valid_name (c->name))
    return skiff_error_plain (err, EINVAL, "container name `%s`: use letters, digits, `_`, `-` and `.`", c->name);
  c->image_id = xstrdup (info.desc.config_digest);
  c->image_name = xstrdup (image);
  c->created = time (NULL);
  c->exit_code = -1;
  c->autoremove = o->autoremove;
  if (o->build)
    {
      c->builder_pid = (int) getpid ();
      c->builder_start = self_start ();
    }
  c->dir = xasprintf ("%s/%s", cdir, c->id);

  /* Names are unique: checked and taken under the store's lock.  */
  if (image_store_lock (s, &lock, err) < 0)
    return -1;
  if (image_container_find (s, c->name, &other, NULL) == 0)
    {
      ret = skiff_error_plain (err, EEXIST, "the name `%s` is in use by container %.12s", c->name, other->id);
      image_container_free (other);
      return ret;
    }
  if ((mkdir (cdir, 0700) < 0 && errno != EEXIST) || mkdir (c->dir, 0700) < 0)
    return skiff_error_sys (err, "mkdir `%s`", c->dir);
  ret = container_save (c, err);
  close_fd (&lock);

  if (ret == 0)
    ret = create_in (s, rt, c, &info, o, err);
  if (ret < 0)
    {
      /* Nothing stays mounted or on disk after a failed create.  */
      cleanup_close int cfd = open (cdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      unmount_rootfs (c, NULL);
      if (cfd >= 0)
        image_remove_at (cfd, c->id, NULL);
      return skiff_error_wrap (err, "create");
    }
  *out = steal_pointer (&c);
  return 0;
}

/* --- sizes --------------------------------------------------------------- */

static int64_t
tree_size (int fd)
{
  cleanup_dir DIR *d = fdopendir (fd);
  struct dirent *de;
  int64_t total = 0;

  if (d == NULL)
    {
      close (fd);
      return 0;
    }
  while ((de = readdir (d)) != NULL)
    {
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISDIR (st.st_mode))
        {
          int subfd = openat (dirfd (d), de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (subfd >= 0)
            total += tree_size (subfd);
        }
      else if (S_ISREG (st.st_mode) || S_ISLNK (st.st_mode))
        total += st.st_size;
    }
  return total;
}

int64_t
image_container_upper_size (const struct image_container *c)
{
  cleanup_free char *upper = sub (c, "upper");
  int fd = open (upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd < 0 ? 0 : tree_size (fd);
}
