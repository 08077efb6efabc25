/* skiff: cgroup v2 placement and lifecycle: find the hierarchy, resolve
   linux.cgroupsPath, create the cgroup (enabling the controllers the
   resources need at every level, and the others in the levels skiff
   makes), freeze, kill, list and remove it.  Limits are written by
   cgroup_resources.c, device rules by cgroup_devices.c.  */
#include <config.h>
#include "cgroup.h"
#include "cgroup_internal.h"
#include "cgroup_systemd.h"
#include "log.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <time.h>
#include <linux/magic.h>

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_UNIFIED "/sys/fs/cgroup/unified"

int
skiff_cgroup_mountpoint (const char **mountpoint, bool *hybrid, skiff_error_t *err)
{
  struct statfs sfs;

  if (statfs (CGROUP_ROOT, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    {
      *mountpoint = CGROUP_ROOT;
      *hybrid = false;
      return 0;
    }
  if (statfs (CGROUP_UNIFIED, &sfs) == 0 && sfs.f_type == CGROUP2_SUPER_MAGIC)
    {
      *mountpoint = CGROUP_UNIFIED;
      *hybrid = true;
      return 0;
    }
  return skiff_error_make (err, ENOTSUP,
                           "no cgroup v2 hierarchy at " CGROUP_ROOT " or " CGROUP_UNIFIED
                           " (skiff supports only cgroup v2; use --cgroup-manager disabled)");
}

static bool
word_in_list (const char *list, const char *word)
{
  size_t n = strlen (word);
  for (const char *p = list; p && *p;)
    {
      p += strspn (p, " \t\n");
      size_t len = strcspn (p, " \t\n");
      if (len == n && strncmp (p, word, n) == 0)
        return true;
      p += len;
    }
  return false;
}

bool
skiff_cgroup_controller_available (const char *mountpoint, const char *name)
{
  cleanup_free char *path = xasprintf ("%s/cgroup.controllers", mountpoint);
  cleanup_free char *content = NULL;
  if (read_file_at (AT_FDCWD, path, &content, NULL, NULL) < 0)
    return false;
  return word_in_list (content, name);
}

void
skiff_cgroup_features (struct skiff_cgroup_support *out)
{
  const char *mp;
  bool hybrid;

  memset (out, 0, sizeof (*out));
  /* Only cgroup v2 is implemented; systemd units when built with
     libsystemd (cgroup_systemd.c).  */
  out->v1 = false;
#ifdef HAVE_LIBSYSTEMD
  out->systemd = true;
#endif
  out->systemd_user = false;
  if (skiff_cgroup_mountpoint (&mp, &hybrid, NULL) < 0)
    return;
  out->v2 = true;
  out->rdma = skiff_cgroup_controller_available (mp, "rdma");
}

int
skiff_cgroup_keyed_value (const char *content, const char *key, unsigned long long *out)
{
  size_t n = strlen (key);
  for (const char *p = content; p && *p;)
    {
      if (strncmp (p, key, n) == 0 && p[n] == ' ')
        {
          char *end;
          errno = 0;
          *out = strtoull (p + n + 1, &end, 10);
          return errno ? -1 : 0;
        }
      p = strchr (p, '\n');
      if (p)
        p++;
    }
  return -1;
}

int
skiff_cgroup_write (const struct skiff_cgroup *cg, const char *file, const char *value,
                    skiff_error_t *err)
{
  skiff_debug ("cgroup %s: %s = %s", cg->rel, file, value);
  if (cg->pathfd < 0)
    return skiff_error_make (err, ENOENT, "write `%s/%s`", cg->path, file);
  if (write_file_at (cg->pathfd, file, value, strlen (value), NULL) < 0)
    return skiff_error_sys (err, "write `%s` to `%s/%s`", value, cg->path, file);
  return 0;
}

int
skiff_cgroup_read (const struct skiff_cgroup *cg, const char *file, char **out, skiff_error_t *err)
{
  if (cg->pathfd < 0)
    return skiff_error_make (err, ENOENT, "read `%s/%s`", cg->path, file);
  if (read_file_at (cg->pathfd, file, out, NULL, NULL) < 0)
    return skiff_error_sys (err, "read `%s/%s`", cg->path, file);
  return 0;
}

static char *
xstrndup_ (const char *s, size_t n)
{
  size_t len = strnlen (s, n);
  char *r = xmalloc (len + 1);
  memcpy (r, s, len);
  r[len] = '\0';
  return r;
}

/* skiff's own cgroup: the "0::" line of /proc/self/cgroup.  */
static int
own_cgroup (char **out, skiff_error_t *err)
{
  cleanup_free char *content = NULL;
  if (read_file_at (AT_FDCWD, "/proc/self/cgroup", &content, NULL, err) < 0)
    return -1;
  for (char *line = content; line && *line;)
    {
      char *nl = strchr (line, '\n');
      if (nl)
        *nl = '\0';
      if (strncmp (line, "0::", 3) == 0)
        {
          const char *p = line + 3;
          /* A process outside our cgroup namespace root sees "/..": treat
             it as the root we can see.  */
          if (strncmp (p, "/..", 3) == 0 || *p != '/')
            p = "/";
          *out = xstrdup (p);
          return 0;
        }
      line = nl ? nl + 1 : NULL;
    }
  return skiff_error_make (err, ENOTSUP, "no cgroup v2 entry (0::) in /proc/self/cgroup");
}

char *
skiff_cgroup_self_path (skiff_error_t *err)
{
  cleanup_free char *rel = NULL;
  const char *mp;
  bool hybrid;

  if (skiff_cgroup_mountpoint (&mp, &hybrid, err) < 0 || own_cgroup (&rel, err) < 0)
    return NULL;
  return xasprintf ("%s%s", mp, strcmp (rel, "/") == 0 ? "" : rel);
}

/* "a-b-c.slice" -> "/a.slice/a-b.slice/a-b-c.slice"; "-.slice" -> "".  */
static int
expand_slice (const char *slice, char **out, skiff_error_t *err)
{
  size_t len = strlen (slice);
  if (len < 6 || strcmp (slice + len - 6, ".slice") != 0 || strchr (slice, '/'))
    return skiff_error_make (err, EINVAL, "invalid systemd slice `%s`", slice);
  if (strcmp (slice, "-.slice") == 0)
    {
      *out = xstrdup ("");
      return 0;
    }
  cleanup_free char *name = xstrndup_ (slice, len - 6);
  size_t cap = 2 * len * len + 2, used = 0;
  char *buf = xmalloc (cap);
  buf[0] = '\0';
  for (char *dash = name;; dash++)
    {
      dash = strchr (dash, '-');
      if (dash && (dash == name || dash[1] == '-' || dash[1] == '\0'))
        {
          free (buf);
          return skiff_error_make (err, EINVAL, "invalid systemd slice `%s`", slice);
        }
      int n = snprintf (buf + used, cap - used, "/%.*s.slice",
                        (int) (dash ? (size_t) (dash - name) : strlen (name)), name);
      used += n;
      if (dash == NULL)
        break;
    }
  *out = buf;
  return 0;
}

static bool
path_is_safe (const char *rel)
{
  /* No ".." component: the result must stay inside the hierarchy.  */
  for (const char *p = rel; *p;)
    {
      size_t len = strcspn (p, "/");
      if (len == 2 && p[0] == '.' && p[1] == '.')
        return false;
      p += len;
      p += strspn (p, "/");
    }
  return true;
}

int
skiff_cgroup_resolve_path (const char *cgroups_path, const char *id,
                           enum skiff_cgroup_manager mgr, char **out, skiff_error_t *err)
{
  cleanup_free char *rel = NULL;

  if (mgr == SKIFF_CGROUP_MANAGER_SYSTEMD)
    {
      cleanup_free char *def = NULL, *slice = NULL;
      const char *spec = cgroups_path;
      if (spec == NULL || *spec == '\0')
        spec = def = xasprintf ("system.slice:skiff:%s", id);
      const char *c1 = strchr (spec, ':');
      const char *c2 = c1 ? strchr (c1 + 1, ':') : NULL;
      if (c1 == NULL || c2 == NULL || strchr (c2 + 1, ':'))
        return skiff_error_make (err, EINVAL,
                                 "linux.cgroupsPath `%s`: expected slice:prefix:name with the "
                                 "systemd cgroup manager", spec);
      cleanup_free char *slice_name = xstrndup_ (spec, c1 - spec);
      cleanup_free char *prefix = xstrndup_ (c1 + 1, c2 - c1 - 1);
      const char *name = c2 + 1;
      if (*slice_name == '\0')
        {
          free (slice_name);
          slice_name = xstrdup ("system.slice");
        }
      if (expand_slice (slice_name, &slice, err) < 0)
        return skiff_error_wrap (err, "linux.cgroupsPath `%s`", spec);
      if (*name == '\0' || strchr (name, '/') || strchr (prefix, '/'))
        return skiff_error_make (err, EINVAL, "linux.cgroupsPath `%s`: invalid unit name", spec);
      size_t nlen = strlen (name);
      if (nlen > 6 && strcmp (name + nlen - 6, ".slice") == 0)
        rel = xasprintf ("%s/%s", slice, name);
      else if (*prefix)
        rel = xasprintf ("%s/%s-%s.scope", slice, prefix, name);
      else
        rel = xasprintf ("%s/%s.scope", slice, name);
    }
  else if (cgroups_path && cgroups_path[0] == '/')
    rel = xstrdup (cgroups_path);
  else
    {
      cleanup_free char *own = NULL;
      if (own_cgroup (&own, err) < 0)
        return -1;
      if (cgroups_path && *cgroups_path)
        {
          if (strchr (cgroups_path, ':'))
            return skiff_error_make (err, EINVAL,
                                     "linux.cgroupsPath `%s` looks like a systemd path "
                                     "(slice:prefix:name): use --systemd-cgroup",
                                     cgroups_path);
          rel = xasprintf ("%s/%s", strcmp (own, "/") ? own : "", cgroups_path);
        }
      else
        rel = xasprintf ("%s/skiff-%s", strcmp (own, "/") ? own : "", id);
    }

  /* Normalise: no trailing or double slashes.  */
  char *w = rel;
  for (const char *r = rel; *r; r++)
    if (!(*r == '/' && (r[1] == '/' || r[1] == '\0')))
      *w++ = *r;
  *w = '\0';
  if (!path_is_safe (rel) || strcmp (rel, "") == 0 || strcmp (rel, "/") == 0 || rel[0] != '/')
    return skiff_error_make (err, EINVAL,
                             "linux.cgroupsPath `%s`: not a usable cgroup (the hierarchy root, "
                             "or it escapes it)", cgroups_path ? cgroups_path : "");
  *out = steal_pointer (&rel);
  return 0;
}

static struct skiff_cgroup *
cgroup_new (const char *mountpoint, bool hybrid, const char *rel)
{
  struct skiff_cgroup *cg = xmalloc0 (sizeof (*cg));
  cg->mountpoint = xstrdup (mountpoint);
  cg->hybrid = hybrid;
  cg->rel = xstrdup (rel);
  cg->path = xasprintf ("%s%s", mountpoint, rel);
  cg->pathfd = -1;
  return cg;
}

void
skiff_cgroup_free (struct skiff_cgroup *cg)
{
  if (cg == NULL)
    return;
  if (cg->pathfd >= 0)
    close (cg->pathfd);
  free (cg->path);
  free (cg->rel);
  free (cg->mountpoint);
  free (cg);
}

const char *
skiff_cgroup_path (const struct skiff_cgroup *cg)
{
  return cg ? cg->path : NULL;
}

int
skiff_cgroup_dirfd (const struct skiff_cgroup *cg)
{
  return cg ? cg->pathfd : -1;
}

/* Enable CTRLS, which the resources need, in DIR/cgroup.subtree_control
   (a failure is an error).  With ALL (a level of a nested cgroupsPath that
   skiff made), also every other controller DIR offers, best effort: the
   container's cgroup then has them, so usage is accounted (memory.current,
   cpu.stat, stats) without limits, `update` finds them, and a container
   with a cgroup namespace can hand them on to sub-cgroups of its own.  A
   cgroup skiff did not make (the hierarchy root, its own, one another
   manager set up) changes only for controllers a limit needs.  */
static int
enable_controllers (const char *dir, char **ctrls, bool all, skiff_error_t *err)
{
  cleanup_free char *file = xasprintf ("%s/cgroup.subtree_control", dir);
  cleanup_free char *offered_file = xasprintf ("%s/cgroup.controllers", dir);
  cleanup_free char *cur = NULL, *offered = NULL;
  if (read_file_at (AT_FDCWD, file, &cur, NULL, err) < 0)
    return -1;
  for (char **c = ctrls; c && *c; c++)
    {
      if (word_in_list (cur, *c))
        continue;
      cleanup_free char *v = xasprintf ("+%s", *c);
      if (write_file_at (AT_FDCWD, file, v, strlen (v), NULL) < 0)
        {
          if (errno == EBUSY)
            return skiff_error_sys (err,
                                    "enable the %s controller in `%s` (the cgroup has processes "
                                    "of its own: a cgroup with controllers enabled for its "
                                    "children must not contain processes; choose a "
                                    "linux.cgroupsPath outside skiff's own cgroup)", *c, file);
          return skiff_error_sys (err, "enable the %s controller in `%s`", *c, file);
        }
    }
  if (! all || read_file_at (AT_FDCWD, offered_file, &offered, NULL, NULL) < 0)
    return 0;
  for (char *p = offered; *p;)
    {
      p += strspn (p, " \t\n");
      size_t len = strcspn (p, " \t\n");
      if (len == 0)
        break;
      cleanup_free char *name = xstrndup_ (p, len);
      p += len;
      bool required = false;
      for (char **c = ctrls; c && *c && ! required; c++)
        required = strcmp (*c, name) == 0;
      if (required || word_in_list (cur, name))
        continue;
      cleanup_free char *v = xasprintf ("+%s", name);
      /* Not needed by any limit: a cgroup with processes of its own (EBUSY)
         or a threaded subtree just goes without it.  */
      if (write_file_at (AT_FDCWD, file, v, strlen (v), NULL) < 0)
        skiff_debug ("cgroup %s: %s controller not enabled: %s", dir, name, strerror (errno));
    }
  return 0;
}

/* mkdir every component of REL below MOUNTPOINT, enabling CTRLS in each
   parent on the way.  *CREATED tells whether the leaf was made by us.  */
static int
make_cgroup_dirs (const char *mountpoint, const char *rel, char **ctrls, bool *created,
                  skiff_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s%s", mountpoint, rel);
  size_t base = strlen (mountpoint);

  *created = false;
  if (enable_controllers (mountpoint, ctrls, false, err) < 0)
    return -1;
  for (char *s = path + base + 1;; s++)
    {
      if (*s != '/' && *s != '\0')
        continue;
      char saved = *s;
      bool made = true;
      *s = '\0';
      if (mkdir (path, 0755) < 0)
        {
          if (errno != EEXIST)
            return skiff_error_sys (err, "create cgroup `%s`", path);
          made = false;
        }
      else if (saved == '\0')
        *created = true;
      if (saved != '\0' && enable_controllers (path, ctrls, made, err) < 0)
        return -1;
      *s = saved;
      if (saved == '\0')
        break;
    }
  return 0;
}

static int
open_pathfd (struct skiff_cgroup *cg, skiff_error_t *err)
{
  cg->pathfd = open (cg->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cg->pathfd < 0)
    return skiff_error_sys (err, "open cgroup `%s`", cg->path);
  return 0;
}

/* A cgroup that exists already may be taken over only when no process is
   in it (another container's: its limits, pause and kill --all would be
   shared) and it is not frozen (the container would never start).  */
static int
check_unused (struct skiff_cgroup *cg, skiff_error_t *err)
{
  cleanup_free char *ev = NULL;
  unsigned long long populated = 0, frozen = 0;

  if (skiff_cgroup_read (cg, "cgroup.events", &ev, NULL) < 0)
    return 0; /* no cgroup.events (the root cgroup): nothing to tell */
  if (skiff_cgroup_keyed_value (ev, "populated", &populated) == 0 && populated)
    return skiff_error_plain (err, EBUSY, "already has processes in it (another container's?)");
  if (skiff_cgroup_keyed_value (ev, "frozen", &frozen) == 0 && frozen)
    return skiff_error_plain (err, EBUSY, "exists and is frozen");
  skiff_debug ("cgroup %s already exists, empty: using it", cg->path);
  return 0;
}

int
skiff_cgroup_prepare (const oci_config *config, const char *id, enum skiff_cgroup_manager mgr,
                      struct skiff_cgroup **out, skiff_error_t *err)
{
  const oci_linux *lnx = config ? config->linux : NULL;
  cleanup_free char *rel = NULL;
  const char *mp;
  bool hybrid;

  *out = NULL;
  if (mgr == SKIFF_CGROUP_MANAGER_DISABLED)
    {
      if (lnx && lnx->resources)
        skiff_debug ("cgroup manager disabled: linux.resources ignored");
      return 0;
    }
  if (mgr == SKIFF_CGROUP_MANAGER_SYSTEMD && skiff_systemd_check (err) < 0)
    return -1;
  if (skiff_cgroup_mountpoint (&mp, &hybrid, err) < 0)
    return -1;
  if (skiff_cgroup_resolve_path (lnx ? lnx->cgroups_path : NULL, id, mgr, &rel, err) < 0)
    return -1;
  *out = cgroup_new (mp, hybrid, rel);
  (*out)->systemd = mgr == SKIFF_CGROUP_MANAGER_SYSTEMD;
  return 0;
}

int
skiff_cgroup_create (const oci_config *config, struct skiff_cgroup **cgp, skiff_error_t *err)
{
  const oci_linux *lnx = config ? config->linux : NULL;
  const oci_resources *res = lnx ? lnx->resources : NULL;
  struct skiff_cgroup *cg = *cgp;
  struct skiff_cgroup_skip skip = { 0 };
  cleanup_strv char **ctrls = NULL;
  bool created = false;

  if (cg == NULL)
    return 0;
  if (skiff_cgroup_needed_controllers (cg, res, false, &ctrls, &skip, err) < 0)
    goto fail;
  if (cg->systemd)
    {
      /* A scope needs a process: systemd makes it once the container's
         exists (skiff_cgroup_enter).  A unit of that name in use now is
         someone else's, and not recorded as ours.  */
      if (skiff_systemd_prepare (cg->rel, err) < 0)
        goto fail;
      cg->config = config;
      return 0;
    }
  if (make_cgroup_dirs (cg->mountpoint, cg->rel, ctrls, &created, err) < 0)
    {
      int e = skiff_error_errno (err);
      /* Rootless without a delegated cgroup (no systemd driver to ask for
         one): like crun, run without a cgroup when no limit needs it.  */
      if (geteuid () != 0 && ctrls[0] == NULL && (e == EACCES || e == EPERM || e == EROFS))
        {
          skiff_warn ("rootless: cannot create cgroup %s (%s): running without a cgroup "
                      "(pause, resume, kill --all and stats will not work)", cg->path,
                      (*err)->msg);
          skiff_error_free (err);
          skiff_cgroup_free (cg);
          *cgp = NULL;
          return 0;
        }
      goto fail;
    }
  if (open_pathfd (cg, err) < 0)
    goto fail;
  if (!created && check_unused (cg, err) < 0)
    goto fail;
  if (res && skiff_cgroup_apply_resources (cg, res, &skip, false, err) < 0)
    goto fail;
  if (skiff_cgroup_apply_devices (cg, res, err) < 0)
    goto fail;
  return 0;

fail:
  if (created)
    rmdir (cg->path);
  return skiff_error_wrap (err, "cgroup `%s`", cg->path);
}

int
skiff_cgroup_remove_unused (struct skiff_cgroup *cg, skiff_error_t *err)
{
  if (cg == NULL)
    return 0;
  close_fd (&cg->pathfd);
  if (rmdir (cg->path) == 0 || errno == ENOENT)
    return 0;
  if (errno == EBUSY)
    {
      skiff_debug ("cgroup %s is in use: not the container's, left alone", cg->path);
      return 0;
    }
  return skiff_error_sys (err, "remove cgroup `%s`", cg->path);
}

int
skiff_cgroup_open (const char *path, struct skiff_cgroup **out, skiff_error_t *err)
{
  const char *mp;
  bool hybrid;
  size_t n;

  *out = NULL;
  if (skiff_cgroup_mountpoint (&mp, &hybrid, err) < 0)
    return -1;
  n = strlen (mp);
  /* Only cgroups inside the v2 hierarchy, never a v1 one or its root.  */
  if (path == NULL || strncmp (path, mp, n) != 0 || path[n] != '/' || path[n + 1] == '\0'
      || !path_is_safe (path + n))
    return skiff_error_make (err, EINVAL, "cgroup `%s` is not inside the cgroup v2 hierarchy %s",
                             path ? path : "(null)", mp);
  struct skiff_cgroup *cg = cgroup_new (mp, hybrid, path + n);
  cg->pathfd = open (cg->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cg->pathfd < 0 && errno != ENOENT)
    {
      skiff_error_sys (err, "open cgroup `%s`", cg->path);
      skiff_cgroup_free (cg);
      return -1;
    }
  /* A cgroup already removed is not an error: it has no processes and
     destroying it again succeeds.  */
  *out = cg;
  return 0;
}

/* "/a//b/" -> "a/b": a sub-cgroup is relative to the container's cgroup,
   whatever slashes it is written with.  */
static char *
normalize_sub (const char *path)
{
  char *sub = xmalloc (strlen (path) + 1), *w = sub;
  for (const char *r = path + strspn (path, "/"); *r; r++)
    if (!(*r == '/' && (r[1] == '/' || r[1] == '\0')))
      *w++ = *r;
  *w = '\0';
  return sub;
}

int
skiff_cgroup_open_sub (const struct skiff_cgroup *cg, char *const *specs,
                       struct skiff_cgroup **out, skiff_error_t *err)
{
  const char *spec = NULL;
  cleanup_free char *sub = NULL, *rel = NULL;

  *out = NULL;
  for (char *const *s = specs; s && *s; s++)
    {
      const char *colon = strchr (*s, ':');
      cleanup_free char *this = normalize_sub (colon ? colon + 1 : *s);
      if (colon == *s)
        return skiff_error_make (err, EINVAL, "--cgroup `%s`: empty controller list", *s);
      if (sub && strcmp (sub, this) != 0)
        return skiff_error_make (err, EINVAL,
                                 "--cgroup `%s` and `%s`: cgroup v2 has one hierarchy for all "
                                 "controllers, so only one sub-cgroup can be given", spec, *s);
      spec = *s;
      if (sub == NULL)
        sub = steal_pointer (&this);
    }
  if (sub == NULL)
    return skiff_error_make (err, EINVAL, "--cgroup: no sub-cgroup given");
  if (cg == NULL || cg->pathfd < 0)
    return skiff_error_make (err, ENOENT, "--cgroup `%s`: the container has no cgroup", spec);
  if (*sub == '\0' || !path_is_safe (sub))
    return skiff_error_make (err, EINVAL,
                             "--cgroup `%s`: not a sub-cgroup of the container's cgroup", spec);
  rel = xasprintf ("%s/%s", cg->rel, sub);
  struct skiff_cgroup *c = cgroup_new (cg->mountpoint, cg->hybrid, rel);
  c->pathfd = open (c->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (c->pathfd < 0)
    {
      int ret = skiff_error_sys (err, "--cgroup `%s`: sub-cgroup `%s`", spec, c->path);
      skiff_cgroup_free (c);
      return ret;
    }
  *out = c;
  return 0;
}

/* The systemd unit of CG with PID in it; then, on its path, what systemd
   does not manage: the controllers the limits need (enabled up the tree),
   every limit as a file (the exact values systemd rounds or cannot
   express) and the device program.  */
static int
systemd_enter (struct skiff_cgroup *cg, pid_t pid, skiff_error_t *err)
{
  const oci_linux *lnx = cg->config ? cg->config->linux : NULL;
  const oci_resources *res = lnx ? lnx->resources : NULL;
  struct skiff_cgroup_skip skip = { 0 };
  cleanup_strv char **ctrls = NULL;
  bool created;
  char buf[32];

  if (skiff_cgroup_needed_controllers (cg, res, false, &ctrls, &skip, err) < 0)
    return -1;
  if (skiff_systemd_start (cg->rel, pid, res, cg->config ? cg->config->annotations : NULL,
                           err) < 0)
    return -1;
  if (make_cgroup_dirs (cg->mountpoint, cg->rel, ctrls, &created, err) < 0
      || open_pathfd (cg, err) < 0)
    return -1;
  /* A slice unit has no PIDs property: the process moves in here.  */
  snprintf (buf, sizeof (buf), "%d", (int) pid);
  if (skiff_cgroup_write (cg, "cgroup.procs", buf, err) < 0)
    return -1;
  if (res && skiff_cgroup_apply_resources (cg, res, &skip, false, err) < 0)
    return -1;
  return skiff_cgroup_apply_devices (cg, res, err);
}

void
skiff_cgroup_use_systemd (struct skiff_cgroup *cg, bool systemd)
{
  if (cg)
    cg->systemd = systemd;
}

int
skiff_cgroup_enter (struct skiff_cgroup *cg, pid_t pid, skiff_error_t *err)
{
  char buf[32];
  if (cg == NULL)
    return 0;
  if (cg->systemd && cg->pathfd < 0)
    {
      if (systemd_enter (cg, pid, err) < 0)
        return skiff_error_wrap (err, "cgroup `%s`", cg->path);
      return 0;
    }
  snprintf (buf, sizeof (buf), "%d", (int) pid);
  return skiff_cgroup_write (cg, "cgroup.procs", buf, err);
}

static void
sleep_ms (long ms)
{
  struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
  while (nanosleep (&ts, &ts) < 0 && errno == EINTR)
    ;
}

/* Milliseconds to wait for a freeze or a drain: generous, since a loaded
   machine (or an emulated VM) can take seconds.  */
#define CGROUP_WAIT_MS 20000

int
skiff_cgroup_is_frozen (const struct skiff_cgroup *cg, bool *frozen, skiff_error_t *err)
{
  cleanup_free char *v = NULL;
  *frozen = false;
  if (cg == NULL || cg->pathfd < 0)
    return 0;
  if (read_file_at (cg->pathfd, "cgroup.freeze", &v, NULL, NULL) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return skiff_error_sys (err, "read `%s/cgroup.freeze`", cg->path);
    }
  *frozen = v[0] == '1';
  return 0;
}

int
skiff_cgroup_freeze (const struct skiff_cgroup *cg, bool frozen, skiff_error_t *err)
{
  unsigned long long state = 0;
  long waited = 0, step = 1;

  if (cg == NULL)
    return skiff_error_make (err, ENOTSUP, "the container has no cgroup (cgroup manager "
                                           "disabled): it cannot be paused or resumed");
  if (skiff_cgroup_write (cg, "cgroup.freeze", frozen ? "1" : "0", err) < 0)
    return -1;
  /* cgroup.freeze is the request; "frozen 1" in cgroup.events says every
     task has actually stopped.  */
  for (;;)
    {
      cleanup_free char *ev = NULL;
      if (skiff_cgroup_read (cg, "cgroup.events", &ev, err) < 0)
        return -1;
      if (skiff_cgroup_keyed_value (ev, "frozen", &state) == 0 && (state == 1) == frozen)
        return 0;
      if (waited >= CGROUP_WAIT_MS)
        break;
      sleep_ms (step);
      waited += step;
      if (step < 100)
        step *= 2;
    }
  if (frozen)
    skiff_cgroup_write (cg, "cgroup.freeze", "0", NULL);
  return skiff_error_make (err, ETIMEDOUT, "cgroup `%s` did not become %s within %d s", cg->path,
                           frozen ? "frozen" : "thawed", CGROUP_WAIT_MS / 1000);
}

/* Collect the pids of DIRFD's cgroup and, recursively, of its children
   (a container may create its own sub-cgroups).  */
static int
collect_pids (int dirfd, const char *path, pid_t **pids, size_t *n, skiff_error_t *err)
{
  cleanup_free char *procs = NULL;
  if (read_file_at (dirfd, "cgroup.procs", &procs, NULL, NULL) < 0)
    {
      if (errno == ENOENT || errno == ENODEV)
        return 0;
      return skiff_error_sys (err, "read `%s/cgroup.procs`", path);
    }
  for (char *p = procs; *p;)
    {
      char *end;
      long v = strtol (p, &end, 10);
      if (end == p)
        break;
      *pids = xrealloc (*pids, (*n + 1) * sizeof (pid_t));
      (*pids)[(*n)++] = (pid_t) v;
      p = end + strspn (end, "\n");
    }

  int fd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_sys (err, "open `%s`", path);
  cleanup_dir DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return skiff_error_sys (err, "opendir `%s`", path);
    }
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (de->d_type != DT_DIR || de->d_name[0] == '.')
        continue;
      cleanup_close int sub = openat (dirfd, de->d_name, O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (sub < 0)
        continue;
      cleanup_free char *subpath = xasprintf ("%s/%s", path, de->d_name);
      if (collect_pids (sub, subpath, pids, n, err) < 0)
        return -1;
    }
  return 0;
}

int
skiff_cgroup_pids (const struct skiff_cgroup *cg, pid_t **pids, size_t *n, skiff_error_t *err)
{
  *pids = NULL;
  *n = 0;
  if (cg == NULL || cg->pathfd < 0)
    return 0;
  if (collect_pids (cg->pathfd, cg->path, pids, n, err) < 0)
    {
      free (*pids);
      *pids = NULL;
      *n = 0;
      return -1;
    }
  return 0;
}

int
skiff_cgroup_kill (const struct skiff_cgroup *cg, int sig, skiff_error_t *err)
{
  cleanup_free pid_t *pids = NULL;
  bool was_frozen = false;
  size_t n;

  if (cg == NULL || cg->pathfd < 0)
    return 0;
  if (sig == SIGKILL)
    {
      /* cgroup.kill (5.14+) kills the whole subtree atomically, including
         processes forked meanwhile.  */
      if (write_file_at (cg->pathfd, "cgroup.kill", "1", 1, NULL) == 0)
        return 0;
      if (errno != ENOENT)
        return skiff_error_sys (err, "write `%s/cgroup.kill`", cg->path);
    }

  /* Freeze first so no process can fork a child we would miss.  */
  if (skiff_cgroup_is_frozen (cg, &was_frozen, err) < 0)
    return -1;
  if (!was_frozen && skiff_cgroup_freeze (cg, true, NULL) < 0)
    skiff_debug ("cgroup %s: cannot freeze before signalling, signalling anyway", cg->path);
  int ret = skiff_cgroup_pids (cg, &pids, &n, err);
  for (size_t i = 0; ret == 0 && i < n; i++)
    if (kill (pids[i], sig) < 0 && errno != ESRCH)
      ret = skiff_error_sys (err, "kill %d", (int) pids[i]);
  if (!was_frozen)
    skiff_cgroup_freeze (cg, false, NULL);
  return ret;
}

/* rmdir children first (depth first), then DIR itself.  */
static int
remove_tree (const char *path)
{
  cleanup_dir DIR *d = opendir (path);
  if (d)
    {
      struct dirent *de;
      while ((de = readdir (d)))
        {
          if (de->d_type != DT_DIR || de->d_name[0] == '.')
            continue;
          cleanup_free char *sub = xasprintf ("%s/%s", path, de->d_name);
          remove_tree (sub);
        }
    }
  return rmdir (path);
}

int
skiff_cgroup_destroy (struct skiff_cgroup *cg, skiff_error_t *err)
{
  long waited = 0, step = 1;

  if (cg == NULL)
    return 0;
  if (cg->pathfd >= 0)
    {
      close (cg->pathfd);
      cg->pathfd = -1;
    }
  /* systemd removes the cgroup with the unit; what is left (sub-cgroups
     of a unit that is gone) goes below.  */
  if (cg->systemd && skiff_systemd_stop (cg->rel, err) < 0)
    return -1;
  /* The processes may still be exiting (a killed process leaves the
     cgroup only when it is reaped): retry while it is busy.  */
  for (;;)
    {
      if (remove_tree (cg->path) == 0 || errno == ENOENT)
        break;
      if (errno != EBUSY || waited >= CGROUP_WAIT_MS)
        return skiff_error_sys (err, "remove cgroup `%s`", cg->path);
      if (waited == 0)
        {
          /* Processes the stopped container left behind (it had no pid
             namespace of its own, or they were reparented): like runc,
             delete ends them rather than leaving an unremovable cgroup. */
          int fd = open (cg->path, O_PATH | O_DIRECTORY | O_CLOEXEC);
          if (fd >= 0)
            {
              cg->pathfd = fd;
              skiff_cgroup_kill (cg, SIGKILL, NULL);
              close (fd);
              cg->pathfd = -1;
            }
        }
      sleep_ms (step);
      waited += step;
      if (step < 100)
        step *= 2;
    }
  return 0;
}

int
skiff_cgroup_update (const struct skiff_cgroup *cg, const oci_resources *res, skiff_error_t *err)
{
  struct skiff_cgroup_skip skip = { 0 };
  cleanup_strv char **ctrls = NULL;
  bool created;

  if (cg == NULL)
    return skiff_error_make (err, ENOTSUP, "the container has no cgroup (cgroup manager "
                                           "disabled): its resources cannot be updated");
  if (cg->pathfd < 0)
    return skiff_error_make (err, ENOENT, "cgroup `%s` does not exist", cg->path);
  if (res == NULL)
    return 0;
  if (skiff_cgroup_needed_controllers (cg, res, true, &ctrls, &skip, err) < 0)
    return -1;
  /* A limit of a controller the container was created without: enable it
     down the ancestors (the leaf itself needs nothing).  */
  if (ctrls[0] && make_cgroup_dirs (cg->mountpoint, cg->rel, ctrls, &created, err) < 0)
    return -1;
  if (skiff_cgroup_apply_resources (cg, res, &skip, true, err) < 0)
    return -1;
  /* systemd gets the same values as unit properties, which it writes
     again on its own (daemon-reload), after the files have been checked
     (checkBeforeUpdate refuses before anything changed); as it rounds
     some (the cpu quota), the exact files follow it once more.  */
  if (cg->systemd && (skiff_systemd_update (cg->rel, res, err) < 0
                      || skiff_cgroup_apply_resources (cg, res, &skip, true, err) < 0))
    return -1;
  /* Device rules only when the update carries them (containerd sends the
     whole LinuxResources; an absent list keeps the current program).  */
  if (res->devices_len && skiff_cgroup_apply_devices (cg, res, err) < 0)
    return -1;
  return 0;
}
