/* skiff: the per-container state directory under --root.
 *
 * One file, state.json, holds the OCI state fields plus skiff's private
 * ones (pid start time, cgroup path): it is replaced atomically (write +
 * rename), so a reader never sees half a document, and a crash at any step
 * leaves either the old or the new version.  The directory itself is the
 * lock: every command that changes a container holds flock(LOCK_EX) on it.  */
#include <config.h>
#include "state.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "cgroup.h"
#include "utils.h"

#define STATE_FILE "state.json"

const char *
skiff_status_name (enum skiff_status s)
{
  switch (s)
    {
    case SKIFF_STATUS_CREATING:
      return "creating";
    case SKIFF_STATUS_CREATED:
      return "created";
    case SKIFF_STATUS_RUNNING:
      return "running";
    case SKIFF_STATUS_PAUSED:
      return "paused";
    case SKIFF_STATUS_STOPPED:
    default:
      return "stopped";
    }
}

void
skiff_state_free (struct skiff_state *s)
{
  if (s == NULL)
    return;
  free (s->id);
  free (s->bundle);
  free (s->rootfs);
  free (s->cgroup_path);
  free (s->created);
  free (s->owner);
  oci_string_map_free (s->annotations);
  free (s);
}

int
skiff_validate_id (const char *id, skiff_error_t *err)
{
  size_t i, len;

  if (id == NULL || *id == '\0')
    return skiff_error_plain (err, EINVAL, "invalid container id: empty");
  len = strlen (id);
  if (len > 1024)
    return skiff_error_plain (err, EINVAL, "invalid container id `%.32s...`: longer than 1024 bytes",
                             id);
  /* The id names a directory under --root: no separators, no dot-dirs.  */
  if (! isalnum ((unsigned char) id[0]) || strcmp (id, ".") == 0 || strcmp (id, "..") == 0)
    goto bad;
  for (i = 0; i < len; i++)
    {
      unsigned char c = id[i];
      if (! (isalnum (c) || c == '_' || c == '+' || c == '-' || c == '.'))
        goto bad;
    }
  return 0;
bad:
  return skiff_error_plain (err, EINVAL,
                           "invalid container id `%s`: use letters, digits and _+-. only, "
                           "starting with a letter or digit",
                           id);
}

static int
lock_dir (int fd, const char *id, skiff_error_t *err)
{
  struct stat st;

  while (flock (fd, LOCK_EX) < 0)
    if (errno != EINTR)
      return skiff_error_sys (err, "lock state of `%s`", id);
  /* A concurrent delete may have removed the directory while we waited.  */
  if (fstat (fd, &st) < 0)
    return skiff_error_sys (err, "stat state of `%s`", id);
  if (st.st_nlink == 0)
    return skiff_error_plain (err, ENOENT, "container `%s` does not exist", id);
  return 0;
}

int
skiff_state_create_dir (const char *root, const char *id, skiff_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", root, id);
  cleanup_close int fd = -1;

  if (mkdir (path, 0700) < 0)
    {
      if (errno == EEXIST)
        return skiff_error_plain (err, EEXIST, "container `%s` already exists", id);
      if (errno != ENOENT)
        return skiff_error_sys (err, "create state directory `%s`", path);
      /* First container under this root.  */
      if (mkdir_p (root, 0700, err) < 0)
        return -1;
      if (mkdir (path, 0700) < 0)
        {
          if (errno == EEXIST)
            return skiff_error_plain (err, EEXIST, "container `%s` already exists", id);
          return skiff_error_sys (err, "create state directory `%s`", path);
        }
    }
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_sys (err, "open state directory `%s`", path);
  if (lock_dir (fd, id, err) < 0)
    return -1;
  return steal_fd (&fd);
}

int
skiff_state_open_dir (const char *root, const char *id, skiff_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;

  if (skiff_validate_id (id, err) < 0)
    return -1;
  path = xasprintf ("%s/%s", root, id);
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return skiff_error_plain (err, ENOENT, "container `%s` does not exist", id);
      return skiff_error_sys (err, "open state directory `%s`", path);
    }
  if (lock_dir (fd, id, err) < 0)
    return -1;
  return steal_fd (&fd);
}

int
skiff_state_remove_dir (const char *root, const char *id, skiff_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/%s", root, id);
  cleanup_close int fd = -1;
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  /* Fast path: the files skiff itself writes.  */
  fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      return skiff_error_sys (err, "open state directory `%s`", path);
    }
  unlinkat (fd, STATE_FILE, 0);
  unlinkat (fd, "config.json", 0);
  if (rmdir (path) == 0 || errno == ENOENT)
    return 0;
  if (errno != ENOTEMPTY && errno != EEXIST)
    return skiff_error_sys (err, "remove state directory `%s`", path);

  d = fdopendir (fd);
  if (d == NULL)
    return skiff_error_sys (err, "read state directory `%s`", path);
  fd = -1;
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (unlinkat (dirfd (d), de->d_name, 0) < 0 && errno != ENOENT)
        return skiff_error_sys (err, "remove `%s/%s`", path, de->d_name);
    }
  if (rmdir (path) < 0 && errno != ENOENT)
    return skiff_error_sys (err, "remove state directory `%s`", path);
  return 0;
}

/* ---- JSON --------------------------------------------------------------- */

static void
gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static void
gen_kv (yajl_gen g, const char *k, const char *v)
{
  if (v == NULL)
    return;
  gen_str (g, k);
  gen_str (g, v);
}

static void
gen_oci_fields (yajl_gen g, const struct skiff_state *s, const char *status)
{
  size_t i;

  gen_kv (g, "ociVersion", OCI_SPEC_VERSION);
  gen_kv (g, "id", s->id);
  gen_kv (g, "status", status);
  /* The spec wants pid for created/running; 0 means "no process".  */
  gen_str (g, "pid");
  yajl_gen_integer (g, s->pid);
  gen_kv (g, "bundle", s->bundle);
  gen_kv (g, "rootfs", s->rootfs);
  gen_kv (g, "created", s->created);
  gen_kv (g, "owner", s->owner ? s->owner : "");
  if (s->annotations == NULL || s->annotations->len == 0)
    return; /* omitted when empty, as runc does */
  gen_str (g, "annotations");
  yajl_gen_map_open (g);
  for (i = 0; i < s->annotations->len; i++)
    gen_kv (g, s->annotations->keys[i], s->annotations->values[i]);
  yajl_gen_map_close (g);
}

static char *
gen_finish (yajl_gen g, size_t *len)
{
  const unsigned char *buf;
  size_t n;
  char *out;

  yajl_gen_get_buf (g, &buf, &n);
  out = xmalloc (n + 1);
  memcpy (out, buf, n);
  out[n] = '\0';
  if (len)
    *len = n;
  yajl_gen_free (g);
  return out;
}

char *
skiff_state_oci_json (const struct skiff_state *s, enum skiff_status status)
{
  yajl_gen g = yajl_gen_alloc (NULL);

  if (g == NULL)
    return xstrdup ("{}");
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "  ");
  yajl_gen_map_open (g);
  gen_oci_fields (g, s, skiff_status_name (status));
  yajl_gen_map_close (g);
  return gen_finish (g, NULL);
}

int
skiff_state_write (int dirfd, const struct skiff_state *s, skiff_error_t *err)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  cleanup_free char *buf = NULL;
  size_t len;

  if (g == NULL)
    return skiff_error_make (err, ENOMEM, "write state");
  yajl_gen_map_open (g);
  gen_oci_fields (g, s, s->pid ? "created" : "creating");
  gen_str (g, "skiff");
  yajl_gen_map_open (g);
  gen_str (g, "startTime");
  yajl_gen_integer (g, (long long) s->start_time);
  gen_kv (g, "cgroupPath", s->cgroup_path);
  if (s->cgroup_pending)
    {
      gen_str (g, "cgroupPending");
      yajl_gen_bool (g, true);
    }
  gen_str (g, "cgroupManager");
  yajl_gen_integer (g, s->cgroup_manager);
  gen_str (g, "systemdCgroup");
  yajl_gen_bool (g, s->systemd_cgroup);
  gen_str (g, "hasHooks");
  yajl_gen_bool (g, s->has_hooks);
  yajl_gen_map_close (g);
  yajl_gen_map_close (g);
  buf = gen_finish (g, &len);
  if (write_file_atomic_at (dirfd, STATE_FILE, buf, len, 0600, err) < 0)
    return skiff_error_wrap (err, "write state of `%s`", s->id);
  return 0;
}

static char *
tree_str (yajl_val root, const char *k1, const char *k2)
{
  const char *path[] = { k1, k2, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_string);
  return v ? xstrdup (YAJL_GET_STRING (v)) : NULL;
}

static long long
tree_int (yajl_val root, const char *k1, const char *k2)
{
  const char *path[] = { k1, k2, NULL };
  yajl_val v = yajl_tree_get (root, path, yajl_t_number);
  return v && YAJL_IS_INTEGER (v) ? YAJL_GET_INTEGER (v) : 0;
}

int
skiff_state_read (int dirfd, struct skiff_state **out, skiff_error_t *err)
{
  cleanup_free char *data = NULL;
  char errbuf[256];
  yajl_val root, ann, v;
  const char *ann_path[] = { "annotations", NULL };
  const char *sd_path[] = { "skiff", "systemdCgroup", NULL };
  const char *hooks_path[] = { "skiff", "hasHooks", NULL };
  const char *pending_path[] = { "skiff", "cgroupPending", NULL };
  struct skiff_state *s;
  size_t i;

  if (read_file_at (dirfd, STATE_FILE, &data, NULL, err) < 0)
    return -1;
  root = yajl_tree_parse (data, errbuf, sizeof errbuf);
  if (root == NULL || ! YAJL_IS_OBJECT (root))
    {
      yajl_tree_free (root);
      return skiff_error_plain (err, EINVAL, "state.json: invalid JSON: %s", errbuf);
    }
  s = xmalloc0 (sizeof *s);
  s->id = tree_str (root, "id", NULL);
  s->bundle = tree_str (root, "bundle", NULL);
  s->rootfs = tree_str (root, "rootfs", NULL);
  s->created = tree_str (root, "created", NULL);
  s->owner = tree_str (root, "owner", NULL);
  s->pid = (pid_t) tree_int (root, "pid", NULL);
  s->start_time = (unsigned long long) tree_int (root, "skiff", "startTime");
  s->cgroup_path = tree_str (root, "skiff", "cgroupPath");
  s->cgroup_manager = (int) tree_int (root, "skiff", "cgroupManager");
  v = yajl_tree_get (root, sd_path, yajl_t_any);
  s->systemd_cgroup = v && YAJL_IS_TRUE (v);
  v = yajl_tree_get (root, hooks_path, yajl_t_any);
  s->has_hooks = v && YAJL_IS_TRUE (v);
  v = yajl_tree_get (root, pending_path, yajl_t_any);
  s->cgroup_pending = v && YAJL_IS_TRUE (v);
  ann = yajl_tree_get (root, ann_path, yajl_t_object);
  if (ann && ann->u.object.len)
    {
      s->annotations = oci_string_map_new ();
      for (i = 0; i < ann->u.object.len; i++)
        if (YAJL_IS_STRING (ann->u.object.values[i]))
          oci_string_map_set (s->annotations, ann->u.object.keys[i],
                              YAJL_GET_STRING (ann->u.object.values[i]));
    }
  yajl_tree_free (root);
  if (s->id == NULL)
    {
      skiff_state_free (s);
      return skiff_error_plain (err, EINVAL, "state.json: no `id`");
    }
  *out = s;
  return 0;
}

/* ---- liveness ----------------------------------------------------------- */

unsigned long long
skiff_pid_start_time (pid_t pid)
{
  char st;
  unsigned long long start;

  if (pid <= 0 || skiff_pid_stat (pid, &st, &start) < 0)
    return 0;
  return start;
}

bool
skiff_state_pid_alive (const struct skiff_state *s)
{
  char st;
  unsigned long long start;

  if (s->pid <= 0 || skiff_pid_stat (s->pid, &st, &start) < 0)
    return false;
  /* A different start time is a recycled pid; a zombie has exited.  */
  if (s->start_time && start != s->start_time)
    return false;
  return st != 'Z' && st != 'X';
}

int
skiff_state_status (int dirfd, const struct skiff_state *s, enum skiff_status *out,
                    skiff_error_t *err)
{
  struct skiff_cgroup *cg = NULL;
  bool frozen = false;

  if (! skiff_state_pid_alive (s))
    {
      *out = SKIFF_STATUS_STOPPED;
      return 0;
    }
  if (faccessat (dirfd, "exec.fifo", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    {
      *out = SKIFF_STATUS_CREATED;
      return 0;
    }
  if (s->cgroup_path && skiff_cgroup_open (s->cgroup_path, &cg, err) == 0 && cg)
    {
      if (skiff_cgroup_is_frozen (cg, &frozen, err) < 0)
        frozen = false;
      skiff_cgroup_free (cg);
    }
  skiff_error_free (err);
  *out = frozen ? SKIFF_STATUS_PAUSED : SKIFF_STATUS_RUNNING;
  return 0;
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
skiff_state_list (const char *root, char ***ids, skiff_error_t *err)
{
  cleanup_dir DIR *d = opendir (root);
  struct dirent *de;
  char **v = NULL;
  size_t n = 0;

  if (d == NULL)
    {
      if (errno == ENOENT)
        {
          *ids = xmalloc0 (sizeof (char *));
          return 0;
        }
      return skiff_error_sys (err, "open state root `%s`", root);
    }
  while ((de = readdir (d)))
    {
      if (de->d_name[0] == '.')
        continue;
      if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN)
        continue;
      v = xrealloc (v, (n + 2) * sizeof (char *));
      v[n++] = xstrdup (de->d_name);
    }
  if (v == NULL)
    v = xmalloc0 (sizeof (char *));
  v[n] = NULL;
  qsort (v, n, sizeof (char *), cmp_str);
  *ids = v;
  return 0;
}

char *
skiff_rfc3339_now (void)
{
  struct timespec ts;
  long long days, secs, era, doe, yoe, doy, mp, y, m, d;
  char buf[128];

  /* UTC by hand: glibc's gmtime_r() loads /etc/localtime first, which is
     wasted work on the path of every create.  Days to civil date after
     Howard Hinnant's well-known algorithm.  */
  clock_gettime (CLOCK_REALTIME, &ts);
  days = ts.tv_sec / 86400;
  secs = ts.tv_sec % 86400;
  days += 719468;
  era = (days >= 0 ? days : days - 146096) / 146097;
  doe = days - era * 146097;
  yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = yoe + era * 400 + (m <= 2);
  snprintf (buf, sizeof buf, "%04lld-%02lld-%02lldT%02lld:%02lld:%02lld.%09ldZ", y, m, d,
            secs / 3600, secs / 60 % 60, secs % 60, ts.tv_nsec);
  return xstrdup (buf);
}

int
skiff_write_pid_file (const char *path, pid_t pid, skiff_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  const char *slash = strrchr (path, '/');
  char buf[32];
  int len = snprintf (buf, sizeof buf, "%d", (int) pid);

  /* Temporary file next to the target so the rename is atomic: conmon and
     containerd read the file as soon as it exists.  */
  if (slash)
    tmp = xasprintf ("%.*s/.%s.tmp", (int) (slash - path), path, slash + 1);
  else
    tmp = xasprintf (".%s.tmp", path);
  fd = open (tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return skiff_error_sys (err, "create pid file `%s`", tmp);
  if (write_all (fd, buf, len) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return skiff_error_make (err, saved, "write pid file `%s`", tmp);
    }
  if (rename (tmp, path) < 0)
    {
      int saved = errno;
      unlink (tmp);
      return skiff_error_make (err, saved, "rename `%s` to `%s`", tmp, path);
    }
  return 0;
}

void
skiff_crash_point (const char *step)
{
  const char *at = getenv ("SKIFF_TEST_CRASH_AT");
  if (at && strcmp (at, step) == 0)
    raise (SIGKILL);
}
