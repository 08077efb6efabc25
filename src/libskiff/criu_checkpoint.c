/* skiff checkpoint: `criu dump` of a container, with its stdio, external
   mounts and namespaces described for the restore (see criu.c).  */
#include <config.h>
#include "criu_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "utils.h"

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
          criu_args_add (&v, xstrdup (mp));
          criu_args_add (&v, xstrdup (type));
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
              criu_args_add (a, xstrdup ("--external"));
              criu_args_add (a, xstrdup (target));
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
          criu_args_add (a, xstrdup ("--external"));
          criu_args_add (a, xstrdup (target));
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
    if (criu_is_bind_mount (config->mounts[i]) && mount_type_at (mounts, config->mounts[i]->destination))
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
      criu_args_add (a, xstrdup ("--external=mnt[/dev/console]:/dev/console"));
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
      const char *path = criu_ns_path (config, kinds[i].type);
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
      criu_args_add (a, xstrdup ("--empty-ns"));
      criu_args_add (a, xstrdup ("net"));
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

  criu_args_add (&a, xstrdup ("criu"));
  criu_args_add (&a, xstrdup (action));
  criu_args_add (&a, xstrdup ("--tree"));
  args_addf (&a, "%d", (int) c.state->pid);
  criu_add_common (&a, o, images, work, strrchr (log, '/') + 1);
  criu_args_add (&a, xstrdup ("--root"));
  criu_args_add (&a, xstrdup (c.state->rootfs));
  if (o->pre_dump || o->parent_path)
    criu_args_add (&a, xstrdup ("--track-mem"));
  if (o->parent_path)
    {
      criu_args_add (&a, xstrdup ("--prev-images-dir"));
      criu_args_add (&a, xstrdup (o->parent_path));
    }
  if (o->leave_running && ! o->pre_dump)
    criu_args_add (&a, xstrdup ("--leave-running"));
  /* Frozen tasks cannot be stopped with ptrace: CRIU collects them
     through the freezer, and puts the cgroup back as it found it (still
     frozen with --leave-running).  */
  if (c.status == SKIFF_STATUS_PAUSED)
    {
      criu_args_add (&a, xstrdup ("--freeze-cgroup"));
      criu_args_add (&a, xstrdup (c.state->cgroup_path));
    }
  if (read_mountpoints (c.state->pid, &mounts, err) < 0)
    goto out;
  dump_external_mounts (config, mounts, &a);
  if (dump_external_ns (config, o, &a, err) < 0 || dump_stdio (c.state->pid, images, &a, err) < 0)
    goto out;

  if (criu_run (&a, NULL, 0, NULL, NULL, NULL, log, err) < 0)
    goto out;
  ret = 0;
  if (! o->leave_running && ! o->pre_dump)
    {
      /* CRIU killed the processes: the container is gone, as with runc,
         and the id is free for the restore.  */
      ret = skiff_container_destroy (ctx->state_root, c.dirfd, c.state, config, true, err);
    }
out:
  criu_args_free (&a);
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
