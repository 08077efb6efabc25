/* skiff-image build: the instructions, and the working containers RUN,
   COPY and ADD write in (see build_internal.h).  */
#include <config.h>
#include "build_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build_context.h"
#include "layer.h"
#include "overlay.h"
#include "runconfig.h"
#include "utils.h"

/* --- working containers ------------------------------------------------- */

/* A root filesystem for a step: a container of the current image (its
   overlay mounted, never started unless RUN starts it), or, for an image
   without layers, a plain directory under ROOT/layers.  */
struct work
{
  struct image_container *c;
  char *plain;   /* the plain directory (layers/tmp-build-PID-START-XXXXXX) */
  char *root;    /* the mounted (or plain) root */
  char *upper;   /* what the step wrote */
};

static void
work_remove (struct build *b, struct work *w)
{
  if (w->c)
    {
      cleanup_error skiff_error_t e = NULL;
      if (image_container_remove (b->s, b->o->runtime, w->c, true, &e) < 0)
        fprintf (stderr, "skiff-image: warning: build container %s: %s\n", w->c->name, e->msg);
      image_container_free (w->c);
    }
  if (w->plain)
    {
      cleanup_free char *layers = xasprintf ("%s/layers", image_store_root (b->s));
      cleanup_close int fd = open (layers, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0)
        image_remove_at (fd, strrchr (w->plain, '/') + 1, NULL);
    }
  free (w->plain);
  free (w->root);
  free (w->upper);
  memset (w, 0, sizeof *w);
}

static int
work_create (struct build *b, const char *image, bool has_layers, const struct image_run_options *ro,
             struct work *w, skiff_error_t *err)
{
  /* Marked as this build's, so that they go if it is killed.  */
  struct image_run_options build_ro = *ro;
  build_ro.build = true;
  memset (w, 0, sizeof *w);
  if (!has_layers)
    {
      cleanup_free char *layers = xasprintf ("%s/layers", image_store_root (b->s));
      if (mkdir (layers, 0700) < 0 && errno != EEXIST)
        return skiff_error_sys (err, "mkdir `%s`", layers);
      w->plain = image_build_tmp_template (b->s);
      if (mkdtemp (w->plain) == NULL || chmod (w->plain, 0755) < 0)
        {
          int ret = skiff_error_sys (err, "mkdtemp `%s`", w->plain);
          free (w->plain);
          w->plain = NULL;
          return ret;
        }
      w->root = xstrdup (w->plain);
      w->upper = xstrdup (w->plain);
      return 0;
    }
  if (image_container_create (b->s, b->o->runtime, image, NULL, &build_ro, &w->c, err) < 0)
    return -1;
  w->root = xasprintf ("%s/merged", w->c->dir);
  w->upper = xasprintf ("%s/upper", w->c->dir);
  return 0;
}

/* Writes what the step wrote as a layer on the current image, which it
   becomes; the directory itself becomes that layer's directory (as if
   extracted from it), which saves the next step an extraction.  */
static int
work_commit (struct build *b, struct cur *c, const struct cf_instruction *in, struct work *w, const char *key,
             skiff_error_t *err)
{
  struct image_new_layer layer = { .zstd = false };
  char chain[IMAGE_DIGEST_LEN];
  cleanup_free char *dest = NULL;

  if (w->c && image_overlay_unmount (w->root, err) < 0)
    return -1;
  if (image_upper_write_layer (b->s, w->c, w->upper, layer.zstd, layer.digest, layer.diff_id, &layer.size, err) < 0)
    return -1;
  build_cur_chain (c, chain);
  image_chain_id (*chain ? chain : NULL, layer.diff_id, chain);
  if (build_cur_commit (b, c, in, &layer, key, err) < 0)
    return -1;
  dest = xasprintf ("%s/layers/%s", image_store_root (b->s), chain + 7);
  /* EEXIST, ENOTEMPTY: the layer is there already; the rest is removed
     with the work.  */
  if (rename (w->upper, dest) == 0 && w->plain)
    {
      free (w->plain);
      w->plain = NULL;
    }
  return 0;
}

/* --- instructions ------------------------------------------------------- */

/* The expanded words of an instruction (JSON form: its strings).  */
static int
ins_words (struct build *b, struct cur *c, const struct cf_instruction *in, char ***words, skiff_error_t *err)
{
  cleanup_strv char **vars = NULL;
  if (in->json)
    {
      *words = build_strv_copy (in->args, strv_len (in->args));
      return 0;
    }
  vars = build_cur_vars (c);
  return cf_expand_words (in->args[0], b->cf->escape, vars, words, err);
}

/* RAW (an argument or a flag's value) expanded as one word.  */
static int
expand_word (struct build *b, struct cur *c, const char *raw, char **word, skiff_error_t *err)
{
  cleanup_strv char **vars = build_cur_vars (c);
  return cf_expand_word (raw, b->cf->escape, vars, word, err);
}

/* A command: exec form as it is, shell form through SHELL.  */
static char **
ins_command (struct cur *c, const struct cf_instruction *in)
{
  size_t ns = strv_len (c->shell);
  char **v;
  if (in->json)
    return build_strv_copy (in->args, strv_len (in->args));
  v = xmalloc0 ((ns + 2) * sizeof *v);
  for (size_t i = 0; i < ns; i++)
    v[i] = xstrdup (c->shell[i]);
  v[ns] = xstrdup (in->args[0]);
  return v;
}

static void
set_strv (char ***v, size_t *len, char **src)
{
  for (size_t i = 0; i < *len; i++)
    free ((*v)[i]);
  free (*v);
  *len = strv_len (src);
  *v = build_strv_copy (src, *len);
}

/* Joins the key's lines of a config step: the keyword and its values.  */
static char *
joined (const char *keyword, char *const *words)
{
  char *s = xstrdup (keyword);
  for (size_t i = 0; words && words[i]; i++)
    {
      char *n = xasprintf ("%s %s", s, words[i]);
      free (s);
      s = n;
    }
  return s;
}

/* ENV, LABEL, EXPOSE, VOLUME, WORKDIR, USER, CMD, ENTRYPOINT, STOPSIGNAL,
   SHELL, MAINTAINER: a change of the config.  *LINE gets what the cache
   key holds of it.  */
int
build_apply_config (struct build *b, struct cur *c, const struct cf_instruction *in, char **line, skiff_error_t *err)
{
  oci_image_config_config *cc = build_cur_ccw (c);
  cleanup_strv char **words = NULL, **vars = NULL;
  cleanup_free char *word = NULL;

  switch (in->kind)
    {
    case CF_ENV:
    case CF_LABEL:
      vars = build_cur_vars (c);
      if (cf_key_values (b->cf, in, vars, &words, err) < 0)
        return -1;
      for (size_t i = 0; words[i]; i++)
        if (in->kind == CF_ENV)
          build_kv_set (&cc->env, &cc->env_len, words[i]);
        else
          {
            cleanup_free char *k = xasprintf ("%.*s", (int) strcspn (words[i], "="), words[i]);
            const char *v = strchr (words[i], '=');
            if (cc->labels == NULL)
              cc->labels = oci_string_map_new ();
            oci_string_map_set (cc->labels, k, v ? v + 1 : "");
          }
      break;
    case CF_EXPOSE:
    case CF_VOLUME:
      if (ins_words (b, c, in, &words, err) < 0)
        return -1;
      for (size_t i = 0; words[i]; i++)
        {
          oci_string_set **set = in->kind == CF_EXPOSE ? &cc->exposed_ports : &cc->volumes;
          cleanup_free char *v = in->kind == CF_EXPOSE && strchr (words[i], '/') == NULL
                                     ? xasprintf ("%s/tcp", words[i])
                                     : xstrdup (words[i]);
          if (*set == NULL)
            *set = oci_string_set_new ();
          oci_string_set_add (*set, v);
        }
      break;
    case CF_WORKDIR:
      if (expand_word (b, c, in->args[0], &word, err) < 0)
        return -1;
      if (*word == '\0')
        return skiff_error_plain (err, EINVAL, "an empty directory");
      {
        char *dir = *word == '/' ? xstrdup (word)
                                 : xasprintf ("%s/%s", cc->working_dir && *cc->working_dir ? cc->working_dir : "",
                                              word);
        free (cc->working_dir);
        cc->working_dir = dir;
        words = xmalloc0 (2 * sizeof *words);
        words[0] = xstrdup (dir);
      }
      break;
    case CF_USER:
    case CF_STOPSIGNAL:
    case CF_MAINTAINER:
      if (expand_word (b, c, in->args[0], &word, err) < 0)
        return -1;
      if (in->kind == CF_USER)
        {
          free (cc->user);
          cc->user = xstrdup (word);
        }
      else if (in->kind == CF_STOPSIGNAL)
        {
          free (cc->stop_signal);
          cc->stop_signal = xstrdup (word);
        }
      else
        {
          free (c->info.config->author);
          c->info.config->author = xstrdup (word);
        }
      words = xmalloc0 (2 * sizeof *words);
      words[0] = xstrdup (word);
      break;
    case CF_CMD:
    case CF_ENTRYPOINT:
      words = in->json || *in->args[0] ? ins_command (c, in) : xmalloc0 (sizeof *words);
      if (in->kind == CF_CMD)
        {
          set_strv (&cc->cmd, &cc->cmd_len, words);
          c->cmd_set = true;
        }
      else
        {
          set_strv (&cc->entrypoint, &cc->entrypoint_len, words);
          /* An ENTRYPOINT drops the Cmd of the base image, not one of this
             stage.  */
          if (!c->cmd_set)
            {
              char *none[] = { NULL };
              set_strv (&cc->cmd, &cc->cmd_len, none);
            }
        }
      break;
    case CF_SHELL:
      if (!in->json || in->args[0] == NULL)
        return skiff_error_plain (err, EINVAL, "needs a JSON array: SHELL [\"executable\", \"parameters\"]");
      strv_free (c->shell);
      c->shell = build_strv_copy (in->args, strv_len (in->args));
      words = build_strv_copy (in->args, strv_len (in->args));
      break;
    default:
      return skiff_error_plain (err, EINVAL, "not a config instruction");
    }
  *line = joined (in->keyword, words);
  if (in->kind == CF_CMD || in->kind == CF_ENTRYPOINT)
    {
      char *l = xasprintf ("%s json=%d", *line, in->json);
      free (*line);
      *line = l;
    }
  return 0;
}

/* ARG NAME[=default]...: the value comes from --build-arg, else the
   default, else the global ARG of that name, else a predefined one.  */
int
build_apply_arg (struct build *b, struct cur *c, const struct cf_instruction *in, char ***scope, skiff_error_t *err)
{
  cleanup_strv char **pairs = NULL, **vars = NULL;
  vars = c ? build_cur_vars (c) : build_strv_copy (*scope, *scope ? strv_len (*scope) : 0);
  if (cf_key_values (b->cf, in, vars, &pairs, err) < 0)
    return -1;
  for (size_t i = 0; pairs[i]; i++)
    {
      cleanup_free char *k = xasprintf ("%.*s", (int) strcspn (pairs[i], "="), pairs[i]);
      const char *value = NULL;
      size_t nargs = strv_len (b->build_args);
      for (size_t j = nargs; j-- > 0 && value == NULL;)
        if ((value = build_kv_get (&b->build_args[j], 1, k)))
          b->arg_used[j] = true;
      if (value == NULL && strchr (pairs[i], '='))
        value = strchr (pairs[i], '=') + 1;
      if (value == NULL && c)
        value = build_kv_get (b->globals, b->globals ? strv_len (b->globals) : 0, k);
      if (value == NULL)
        value = build_kv_get (b->predefined, strv_len (b->predefined), k);
      if (value)
        {
          cleanup_free char *pair = xasprintf ("%s=%s", k, value);
          build_kv_set (scope, NULL, pair);
        }
    }
  return 0;
}

/* RUN's environment beyond the image's Env: the stage's ARGs (ENV wins
   over an ARG of the same name) and the proxy build args.  */
static char **
run_env (struct build *b, struct cur *c, bool with_proxies)
{
  const oci_image_config_config *cc = build_cur_cc (c);
  char **env = xmalloc0 (sizeof *env);
  for (size_t i = 0; c->args && c->args[i]; i++)
    {
      cleanup_free char *k = xasprintf ("%.*s", (int) strcspn (c->args[i], "="), c->args[i]);
      if (build_kv_get (cc->env, cc->env_len, k) == NULL)
        build_strv_push (&env, c->args[i]);
    }
  for (size_t i = 0; with_proxies && b->build_args[i]; i++)
    if (build_is_proxy_arg (b->build_args[i], strcspn (b->build_args[i], "=")))
      {
        build_strv_push (&env, b->build_args[i]);
        b->arg_used[i] = true;
      }
  return env;
}

int
build_do_run (struct build *b, struct cur *c, const struct cf_instruction *in, int *run_status, skiff_error_t *err)
{
  cleanup_strv char **cmd = ins_command (c, in), **env = NULL, **lines = NULL;
  struct image_run_options ro = { 0 };
  char *volumes[3] = { NULL };
  size_t nv = 0;
  struct work w = { 0 };
  char key[IMAGE_DIGEST_LEN];
  int status = 0, ret;
  bool hit;

  lines = build_strv_copy (cmd, strv_len (cmd));
  build_strv_push (&lines, in->json ? "json" : "shell");
  env = run_env (b, c, false);
  for (size_t i = 0; env[i]; i++)
    build_strv_push (&lines, env[i]);
  build_make_key (c->manifest, lines, key);
  if (build_cache_try (b, c, key, &hit, err) < 0 || hit)
    return hit ? 0 : -1;
  if (c->info.manifest->layers_len == 0)
    return skiff_error_plain (err, EINVAL, "the image has no files to run a command in (FROM scratch)");

  strv_free (env);
  env = run_env (b, c, true);
  ro.env = env;
  ro.entrypoint = "";
  ro.cmd = cmd;
  ro.cmd_len = strv_len (cmd);
  ro.network = b->o->network ? b->o->network : "host";
  if (cf_flag (in, "network") && strcmp (cf_flag (in, "network"), "default") != 0)
    {
      if (strcmp (cf_flag (in, "network"), "host") != 0 && strcmp (cf_flag (in, "network"), "none") != 0)
        return skiff_error_plain (err, EINVAL, "--network=%s: host, none or default", cf_flag (in, "network"));
      ro.network = cf_flag (in, "network");
    }
  /* On the host's network the host's resolver and hosts file too (read
     only, during the step), so that package managers find their mirrors.  */
  if (strcmp (ro.network, "host") == 0)
    {
      if (access ("/etc/resolv.conf", R_OK) == 0)
        volumes[nv++] = (char *) "/etc/resolv.conf:/etc/resolv.conf:ro";
      if (access ("/etc/hosts", R_OK) == 0)
        volumes[nv++] = (char *) "/etc/hosts:/etc/hosts:ro";
    }
  ro.volumes = volumes;
  if (work_create (b, c->manifest, true, &ro, &w, err) < 0)
    return -1;
  build_arm_cancel (b->s, b->o->runtime, w.c->id);
  ret = build_cancelled () ? 0 : image_container_start (b->s, b->o->runtime, w.c, true, false, &status, err);
  build_disarm_cancel ();
  if (ret == 0 && build_cancelled ())
    ret = skiff_error_plain (err, ECANCELED, "interrupted");
  else if (ret == 0 && status != 0)
    {
      *run_status = status;
      ret = skiff_error_plain (err, 0, "`%s`: exit status %d", in->json ? in->text : in->args[0], status);
    }
  if (ret == 0)
    ret = work_commit (b, c, in, &w, key, err);
  work_remove (b, &w);
  return ret;
}

static bool
is_remote (const char *src)
{
  return strstr (src, "://") != NULL || strncmp (src, "git@", 4) == 0;
}

/* The stage named (or numbered) NAME before stage CUR, NULL if none.  */
struct stage *
build_find_stage (struct build *b, size_t cur, const char *name)
{
  char *end;
  unsigned long n = strtoul (name, &end, 10);
  if (*name && *end == '\0')
    return n < cur ? &b->stages[n] : NULL;
  for (size_t i = 0; i < cur; i++)
    if (b->stages[i].name && strcasecmp (b->stages[i].name, name) == 0)
      return &b->stages[i];
  return NULL;
}

int
build_do_copy (struct build *b, size_t stage, struct cur *c, const struct cf_instruction *in, skiff_error_t *err)
{
  cleanup_strv char **words = NULL, **srcs = NULL, **matches = NULL, **lines = NULL;
  struct build_context *ctx = NULL, *from_ctx = NULL;
  struct build_copy_options co = { .chmod = (mode_t) -1 };
  const char *from = cf_flag (in, "from");
  cleanup_free char *chown_spec = NULL, *chmod_spec = NULL;
  struct work src = { 0 }, w = { 0 };
  char key[IMAGE_DIGEST_LEN], hash[IMAGE_DIGEST_LEN];
  cleanup_close int rootfd = -1;
  size_t n;
  int ret = -1;
  bool hit;

  if (ins_words (b, c, in, &words, err) < 0)
    return -1;
  /* Flag values are expanded as the sources are.  */
  if (cf_flag (in, "chown") && expand_word (b, c, cf_flag (in, "chown"), &chown_spec, err) < 0)
    return -1;
  if (cf_flag (in, "chmod") && expand_word (b, c, cf_flag (in, "chmod"), &chmod_spec, err) < 0)
    return -1;
  n = strv_len (words);
  if (n < 2)
    return skiff_error_plain (err, EINVAL, "needs at least one source and a destination");
  srcs = build_strv_copy (words, n - 1);
  for (size_t i = 0; srcs[i]; i++)
    if (is_remote (srcs[i]))
      return skiff_error_plain (err, EINVAL, "`%s`: remote sources are not supported (no network to fetch them)",
                                srcs[i]);
  if (chmod_spec)
    {
      char *end;
      unsigned long m = strtoul (chmod_spec, &end, 8);
      if (!*chmod_spec || *end || m > 07777)
        return skiff_error_plain (err, EINVAL, "--chmod=%s: an octal mode", chmod_spec);
      co.chmod = (mode_t) m;
    }

  if (from && *from)
    {
      cleanup_free char *fname = NULL;
      struct stage *st;
      struct image_run_options ro = { .user = "0:0", .network = "none", .command_optional = true };
      if (expand_word (b, c, from, &fname, err) < 0)
        return -1;
      st = build_find_stage (b, stage, fname);
      if (st && !st->has_layers)
        return skiff_error_plain (err, EINVAL, "--from=%s: the stage has no files", fname);
      if (work_create (b, st ? st->result : fname, true, &ro, &src, err) < 0)
        return skiff_error_wrap (err, "--from=%s", fname);
      if (build_context_open_root (src.root, &from_ctx, err) < 0)
        goto out;
      ctx = from_ctx;
    }
  else
    {
      if (b->ctx == NULL && build_context_open (b->o->context, &b->ctx, err) < 0)
        return skiff_error_wrap (err, "build context `%s`", b->o->context);
      ctx = b->ctx;
    }
  if (build_context_match (ctx, srcs, &matches, err) < 0 || build_context_hash (ctx, matches, hash, err) < 0)
    goto out;
  lines = build_strv_copy (in->flags, strv_len (in->flags));
  for (size_t i = 0; words[i]; i++)
    build_strv_push (&lines, words[i]);
  build_strv_push (&lines, hash);
  build_make_key (c->manifest, lines, key);
  if (build_cache_try (b, c, key, &hit, err) < 0)
    goto out;
  if (hit)
    {
      ret = 0;
      goto out;
    }

  {
    struct image_run_options ro = { .user = "0:0", .network = "none", .command_optional = true };
    if (work_create (b, c->manifest, c->info.manifest->layers_len > 0, &ro, &w, err) < 0)
      goto out;
  }
  rootfd = open (w.root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    {
      skiff_error_sys (err, "open `%s`", w.root);
      goto out;
    }
  if (chown_spec && *chown_spec)
    {
      uint32_t uid, gid;
      if (image_resolve_user (rootfd, chown_spec, &uid, &gid, err) < 0)
        {
          skiff_error_wrap (err, "--chown=%s", chown_spec);
          goto out;
        }
      co.uid = uid;
      co.gid = gid;
      co.chown = true;
    }
  co.dest = words[n - 1];
  co.workdir = build_cur_cc (c)->working_dir && *build_cur_cc (c)->working_dir ? build_cur_cc (c)->working_dir : "/";
  co.add = in->kind == CF_ADD;
  if (build_context_copy (ctx, matches, rootfd, &co, err) < 0)
    goto out;
  close_fd (&rootfd);
  ret = work_commit (b, c, in, &w, key, err);

out:
  close_fd (&rootfd);
  work_remove (b, &w);
  if (from_ctx)
    build_context_free (from_ctx);
  work_remove (b, &src);
  return ret;
}
