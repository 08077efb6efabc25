/* skiff-image: image config -> runtime config (see runconfig.h).  */
#include <config.h>
#include "runconfig.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "log.h"
#include "utils.h"

extern char **environ;

int
image_runtime_run (const char *runtime, char *const *args, int in, int out, int errfd, char **output, int *status,
                   skiff_error_t *err)
{
  cleanup_strv char **argv = NULL;
  cleanup_close int devnull = open ("/dev/null", O_RDWR | O_CLOEXEC);
  int pipefd[2] = { -1, -1 };
  posix_spawn_file_actions_t fa;
  size_t n = strv_len (args);
  pid_t pid;
  int r, ws;

  argv = xmalloc0 ((n + 2) * sizeof *argv);
  argv[0] = xstrdup (runtime);
  for (size_t i = 0; i < n; i++)
    argv[i + 1] = xstrdup (args[i]);
  if (skiff_log_debug_enabled ())
    {
      cleanup_free char *line = NULL;
      size_t len = 0;
      FILE *f = open_memstream (&line, &len);
      for (size_t i = 0; f && argv[i]; i++)
        fprintf (f, "%s%s", i ? " " : "", argv[i]);
      if (f && fclose (f) == 0)
        skiff_debug ("runtime: %s", line);
    }
  if (output && pipe2 (pipefd, O_CLOEXEC) < 0)
    return skiff_error_sys (err, "pipe");
  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, in >= 0 ? in : devnull, 0);
  posix_spawn_file_actions_adddup2 (&fa, output ? pipefd[1] : out >= 0 ? out : devnull, 1);
  posix_spawn_file_actions_adddup2 (&fa, errfd >= 0 ? errfd : devnull, 2);
  r = posix_spawn (&pid, runtime, &fa, NULL, argv, environ);
  posix_spawn_file_actions_destroy (&fa);
  if (pipefd[1] >= 0)
    close (pipefd[1]);
  if (r != 0)
    {
      if (pipefd[0] >= 0)
        close (pipefd[0]);
      return skiff_error_make (err, r, "run `%s %s`", runtime, n ? args[0] : "");
    }
  if (output)
    {
      char fdpath[SKIFF_FD_PATH_SIZE];
      if (read_file_at (AT_FDCWD, skiff_fd_path (pipefd[0], fdpath), output, NULL, err) < 0)
        *output = xstrdup ("");
      close (pipefd[0]);
    }
  while (waitpid (pid, &ws, 0) < 0)
    if (errno != EINTR)
      return skiff_error_sys (err, "wait for `%s %s`", runtime, n ? args[0] : "");
  *status = WIFEXITED (ws) ? WEXITSTATUS (ws) : 128 + WTERMSIG (ws);
  return 0;
}

int
image_runconfig_default (const char *runtime, const char *bundle, oci_config **out, skiff_error_t *err)
{
  char *args[] = { (char *) "spec", (char *) "--bundle", (char *) bundle, NULL };
  cleanup_free char *path = xasprintf ("%s/config.json", bundle);
  char *perr = NULL;
  int status, r;

  if (image_runtime_run (runtime, args, -1, -1, 2, NULL, &status, err) < 0)
    return -1;
  if (status != 0)
    return skiff_error_plain (err, EIO, "`%s spec --bundle %s` failed (exit status %d)", runtime, bundle, status);
  *out = oci_config_parse_file (path, &perr);
  if (*out == NULL)
    {
      r = skiff_error_plain (err, EINVAL, "%s", perr ? perr : path);
      free (perr);
      return r;
    }
  return 0;
}

int
image_runconfig_write (const oci_config *cfg, const char *bundle, skiff_error_t *err)
{
  cleanup_free char *json = NULL;
  cleanup_close int dirfd = -1;
  char *perr = NULL;
  int ret;

  json = oci_config_generate_json (cfg, &perr);
  if (json == NULL)
    {
      ret = skiff_error_plain (err, EINVAL, "config.json: %s", perr ? perr : "cannot generate");
      free (perr);
      return ret;
    }
  dirfd = open (bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return skiff_error_sys (err, "open `%s`", bundle);
  return write_file_atomic_at (dirfd, "config.json", json, strlen (json), 0644, err);
}

/* --- environment --------------------------------------------------------- */

/* Sets "K=V" in ENV, replacing the variable K.  */
static void
env_set (char ***env, size_t *len, const char *kv)
{
  const char *eq = strchr (kv, '=');
  size_t klen = eq ? (size_t) (eq - kv) : strlen (kv);
  for (size_t i = 0; i < *len; i++)
    if (strncmp ((*env)[i], kv, klen) == 0 && (*env)[i][klen] == '=')
      {
        free ((*env)[i]);
        (*env)[i] = xstrdup (kv);
        return;
      }
  *env = xrealloc (*env, (*len + 1) * sizeof **env);
  (*env)[(*len)++] = xstrdup (kv);
}

static void
apply_env (oci_process *p, const oci_image_config_config *c, const struct image_run_options *o)
{
  for (size_t i = 0; c && i < c->env_len; i++)
    env_set (&p->env, &p->env_len, c->env[i]);
  for (size_t i = 0; o->env && o->env[i]; i++)
    {
      /* -e K takes K from the caller, as podman does (unset: left out). */
      if (strchr (o->env[i], '=') == NULL)
        {
          const char *v = getenv (o->env[i]);
          cleanup_free char *kv = v ? xasprintf ("%s=%s", o->env[i], v) : NULL;
          if (kv)
            env_set (&p->env, &p->env_len, kv);
          continue;
        }
      env_set (&p->env, &p->env_len, o->env[i]);
    }
}

/* --- command ------------------------------------------------------------- */

static int
apply_args (oci_process *p, const oci_image_config_config *c, const struct image_run_options *o,
            skiff_error_t *err)
{
  char *const *ep = c ? c->entrypoint : NULL, *const *cmd = c ? c->cmd : NULL;
  size_t ep_len = c ? c->entrypoint_len : 0, cmd_len = c ? c->cmd_len : 0;
  char *one[1] = { (char *) o->entrypoint };

  if (o->entrypoint)
    {
      ep = one;
      ep_len = *o->entrypoint ? 1 : 0;
      /* A new entrypoint drops the image's Cmd, its arguments.  */
      cmd = NULL;
      cmd_len = 0;
    }
  if (o->cmd_len)
    {
      cmd = o->cmd;
      cmd_len = o->cmd_len;
    }
  if (ep_len + cmd_len == 0 && o->command_optional)
    return 0;
  if (ep_len + cmd_len == 0)
    return skiff_error_plain (err, EINVAL, "no command: the image has no Entrypoint or Cmd and none was given");
  for (size_t i = 0; i < p->args_len; i++)
    free (p->args[i]);
  free (p->args);
  p->args = xmalloc0 ((ep_len + cmd_len + 1) * sizeof *p->args);
  p->args_len = 0;
  for (size_t i = 0; i < ep_len; i++)
    p->args[p->args_len++] = xstrdup (ep[i]);
  for (size_t i = 0; i < cmd_len; i++)
    p->args[p->args_len++] = xstrdup (cmd[i]);
  return 0;
}

/* --- user ---------------------------------------------------------------- */

#define ETC_FILE_MAX (16 << 20)

/* Reads the image's /etc/NAME; a missing file reads as empty.  */
static int
read_etc (int rootfd, const char *name, char **out, skiff_error_t *err)
{
  cleanup_free char *path = xasprintf ("/etc/%s", name);
  /* The image, or a running container, chose what is there: a FIFO must
     not block us, nor a device feed us without end.  */
  cleanup_close int fd = skiff_open_in_root (rootfd, path, O_RDONLY | O_NONBLOCK, 0, NULL);
  char fdpath[SKIFF_FD_PATH_SIZE];
  struct stat st;
  if (fd < 0)
    {
      *out = xstrdup ("");
      return 0;
    }
  if (fstat (fd, &st) < 0)
    return skiff_error_sys (err, "image's %s: fstat", path);
  if (!S_ISREG (st.st_mode) || st.st_size > ETC_FILE_MAX)
    return skiff_error_plain (err, EINVAL, "image's %s: not a regular file of at most %d bytes", path,
                              ETC_FILE_MAX);
  /* Through the fd: a symlinked /etc/passwd was resolved inside ROOTFD.  */
  if (read_file_at (AT_FDCWD, skiff_fd_path (fd, fdpath), out, NULL, err) < 0)
    return skiff_error_wrap (err, "image's %s", path);
  return 0;
}

static bool
parse_id (const char *s, uint32_t *out)
{
  unsigned long long v;
  if (parse_uint64 (s, &v) < 0 || v > UINT32_MAX)
    return false;
  *out = (uint32_t) v;
  return true;
}

/* Finds the line of a passwd or group file whose field KEY_FIELD (0: name,
   2: id) is KEY; FIELDS gets its first N fields.  */
static bool
find_entry (char *text, int key_field, const char *key, char **fields, int n)
{
  char *save = NULL;
  for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
    {
      char *f[4] = { 0 }, *p = line;
      int i;
      for (i = 0; i < 4 && p; i++)
        {
          f[i] = p;
          p = strchr (p, ':');
          if (p)
            *p++ = '\0';
        }
      if (i < 3 || strcmp (f[key_field], key) != 0)
        continue;
      for (i = 0; i < n; i++)
        fields[i] = f[i];
      return true;
    }
  return false;
}

static int
apply_user (oci_process *p, const char *spec, int rootfd, skiff_error_t *err)
{
  cleanup_free char *copy = xstrdup (spec ? spec : "");
  cleanup_free char *passwd = NULL, *group = NULL;
  char *user = copy, *grp = strchr (copy, ':');
  uint32_t uid = 0, gid = 0;
  char *f[4] = { 0 };
  cleanup_free char *username = NULL;

  if (grp)
    *grp++ = '\0';
  if (*user == '\0' && grp == NULL)
    return 0;
  if (read_etc (rootfd, "passwd", &passwd, err) < 0 || read_etc (rootfd, "group", &group, err) < 0)
    return -1;

  if (parse_id (user, &uid))
    {
      cleanup_free char *scratch = xstrdup (passwd);
      cleanup_free char *id = xasprintf ("%u", uid);
      char *pf[4] = { 0 };
      if (find_entry (scratch, 2, id, pf, 4))
        {
          username = xstrdup (pf[0]);
          parse_id (pf[3], &gid);
        }
    }
  else if (find_entry (passwd, 0, user, f, 4) && parse_id (f[2], &uid) && parse_id (f[3], &gid))
    username = xstrdup (user);
  else
    return skiff_error_plain (err, ENOENT, "user `%s`: not found in the image's /etc/passwd", user);

  if (grp && !parse_id (grp, &gid))
    {
      cleanup_free char *scratch = xstrdup (group);
      char *gf[3] = { 0 };
      if (!find_entry (scratch, 0, grp, gf, 3) || !parse_id (gf[2], &gid))
        return skiff_error_plain (err, ENOENT, "group `%s`: not found in the image's /etc/group", grp);
    }

  p->user->uid = uid;
  p->user->gid = gid;
  /* Supplementary groups: the primary group and the groups listing the
     user as a member, as podman sets them.  */
  free (p->user->additional_gids);
  p->user->additional_gids = xmalloc (sizeof (uint32_t));
  p->user->additional_gids[0] = gid;
  p->user->additional_gids_len = 1;
  if (username && grp == NULL)
    {
      char *save = NULL;
      for (char *line = strtok_r (group, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        {
          char *g[4] = { 0 }, *q = line, *msave = NULL;
          uint32_t id;
          int i;
          for (i = 0; i < 4 && q; i++)
            {
              g[i] = q;
              q = strchr (q, ':');
              if (q)
                *q++ = '\0';
            }
          if (i < 4 || !parse_id (g[2], &id) || id == gid)
            continue;
          for (char *m = strtok_r (g[3], ",", &msave); m; m = strtok_r (NULL, ",", &msave))
            if (strcmp (m, username) == 0)
              {
                p->user->additional_gids = xrealloc (p->user->additional_gids,
                                                     (p->user->additional_gids_len + 1) * sizeof (uint32_t));
                p->user->additional_gids[p->user->additional_gids_len++] = id;
                break;
              }
        }
    }
  return 0;
}

int
image_resolve_user (int rootfd, const char *spec, uint32_t *uid, uint32_t *gid, skiff_error_t *err)
{
  oci_user u = { 0 };
  oci_process p = { .user = &u };
  int ret = apply_user (&p, spec, rootfd, err);
  free (u.additional_gids);
  *uid = u.uid;
  *gid = u.gid;
  return ret;
}

/* --- the rest ------------------------------------------------------------ */

static void
set_annotation (oci_config *cfg, const char *k, const char *v)
{
  if (cfg->annotations == NULL)
    cfg->annotations = oci_string_map_new ();
  if (cfg->annotations == NULL || oci_string_map_set (cfg->annotations, k, v) < 0)
    abort (); /* out of memory, as xmalloc */
}

static char *
join_set (const oci_string_set *set)
{
  char *out = xstrdup ("");
  for (size_t i = 0; set && i < set->len; i++)
    {
      char *next = xasprintf ("%s%s%s", out, i ? "," : "", set->keys[i]);
      free (out);
      out = next;
    }
  return out;
}

static void
apply_network (oci_config *cfg, const char *network)
{
  oci_linux *l = cfg->linux;
  if (network == NULL || strcmp (network, "host") != 0 || l == NULL)
    return;
  for (size_t i = 0; i < l->namespaces_len; i++)
    if (strcmp (l->namespaces[i]->type, "network") == 0)
      {
        oci_namespace_free (l->namespaces[i]);
        memmove (&l->namespaces[i], &l->namespaces[i + 1], (l->namespaces_len - i - 1) * sizeof *l->namespaces);
        l->namespaces_len--;
        break;
      }
}

static int
add_volume (oci_config *cfg, const char *spec, skiff_error_t *err)
{
  cleanup_free char *copy = xstrdup (spec);
  char *dst = strchr (copy, ':'), *mode;
  oci_mount *m;

  if (dst == NULL)
    return skiff_error_plain (err, EINVAL, "volume `%s`: expected SRC:DST[:ro|rw]", spec);
  *dst++ = '\0';
  mode = strchr (dst, ':');
  if (mode)
    *mode++ = '\0';
  if (*copy != '/' || *dst != '/')
    return skiff_error_plain (err, EINVAL, "volume `%s`: SRC and DST must be absolute paths", spec);
  if (mode && strcmp (mode, "ro") != 0 && strcmp (mode, "rw") != 0)
    return skiff_error_plain (err, EINVAL, "volume `%s`: unknown mode `%s` (ro or rw)", spec, mode);
  m = xmalloc0 (sizeof *m);
  m->destination = xstrdup (dst);
  m->source = xstrdup (copy);
  m->type = xstrdup ("bind");
  m->options = xmalloc0 (4 * sizeof *m->options);
  m->options[m->options_len++] = xstrdup ("rbind");
  m->options[m->options_len++] = xstrdup ("rprivate");
  if (mode && strcmp (mode, "ro") == 0)
    m->options[m->options_len++] = xstrdup ("ro");
  cfg->mounts = xrealloc (cfg->mounts, (cfg->mounts_len + 1) * sizeof *cfg->mounts);
  cfg->mounts[cfg->mounts_len++] = m;
  return 0;
}

int
image_runconfig_apply (oci_config *cfg, const oci_image_config *img, int rootfd, const struct image_run_options *o,
                       skiff_error_t *err)
{
  const oci_image_config_config *c = img ? img->config : NULL;
  oci_process *p = cfg->process;
  const char *cwd;
  cleanup_close int cwdfd = -1;

  if (p == NULL || p->user == NULL)
    return skiff_error_plain (err, EINVAL, "config.json: no process.user to start from");
  if (apply_args (p, c, o, err) < 0)
    return -1;
  apply_env (p, c, o);

  cwd = o->workdir && *o->workdir ? o->workdir : c && c->working_dir && *c->working_dir ? c->working_dir : "/";
  if (*cwd != '/')
    return skiff_error_plain (err, EINVAL, "working directory `%s`: not an absolute path", cwd);
  cwdfd = skiff_mkdir_in_root (rootfd, cwd, 0755, err);
  if (cwdfd < 0)
    return skiff_error_wrap (err, "working directory `%s`", cwd);
  free (p->cwd);
  p->cwd = xstrdup (cwd);

  if (apply_user (p, o->user ? o->user : c ? c->user : NULL, rootfd, err) < 0)
    return -1;

  p->terminal = o->terminal;
  p->terminal_present = true;
  if (cfg->root)
    {
      cfg->root->readonly = o->read_only;
      cfg->root->readonly_present = true;
    }
  if (o->hostname)
    {
      free (cfg->hostname);
      cfg->hostname = xstrdup (o->hostname);
    }
  apply_network (cfg, o->network);
  for (size_t i = 0; o->volumes && o->volumes[i]; i++)
    if (add_volume (cfg, o->volumes[i], err) < 0)
      return -1;

  for (size_t i = 0; c && c->labels && i < c->labels->len; i++)
    set_annotation (cfg, c->labels->keys[i], c->labels->values[i]);
  if (c && c->stop_signal)
    set_annotation (cfg, IMAGE_ANNOTATION_STOP_SIGNAL, c->stop_signal);
  if (c && c->exposed_ports && c->exposed_ports->len)
    {
      cleanup_free char *ports = join_set (c->exposed_ports);
      set_annotation (cfg, IMAGE_ANNOTATION_EXPOSED_PORTS, ports);
    }
  if (c && c->volumes && c->volumes->len)
    {
      cleanup_free char *vols = join_set (c->volumes);
      set_annotation (cfg, IMAGE_ANNOTATION_VOLUMES, vols);
    }
  return 0;
}
