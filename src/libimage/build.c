/* skiff-image: building images from a Containerfile (see build.h): the
   stages, from the plan to the tags, and cancelling a build.  */
#include <config.h>
#include "build_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "build_context.h"
#include "registry.h"
#include "remove.h"
#include "runconfig.h"
#include "utils.h"

/* --- cancelling (SIGINT) ------------------------------------------------ */

static volatile sig_atomic_t cancelled;
/* `RUNTIME --root R kill ID KILL` of the running RUN step, prepared
   beforehand: a signal handler may fork and exec, not allocate.  */
static char *volatile *kill_argv;
/* The process that runs it (until it works: a container still starting
   may refuse a kill), stopped when the step is over.  */
static volatile pid_t killer;

void
image_build_cancel (void)
{
  char *volatile *argv = kill_argv;
  cancelled = 1;
  if (argv && killer == 0)
    {
      pid_t pid = fork ();
      if (pid == 0)
        {
          struct timespec tick = { 0, 100 * 1000 * 1000 };
          int null = open ("/dev/null", O_RDWR);
          if (null >= 0)
            {
              dup2 (null, 1);
              dup2 (null, 2);
            }
          for (int i = 0; i < 100; i++)
            {
              int status = -1;
              pid_t p = fork ();
              if (p == 0)
                {
                  execv (argv[0], (char **) argv);
                  _exit (127);
                }
              if (p > 0 && waitpid (p, &status, 0) == p && status == 0)
                break;
              nanosleep (&tick, NULL);
            }
          _exit (0);
        }
      killer = pid;
    }
}

bool
build_cancelled (void)
{
  return cancelled;
}

/* An executable path for RUNTIME (a handler cannot search $PATH).  */
static char *
runtime_path (const char *runtime)
{
  const char *path = getenv ("PATH");
  cleanup_free char *copy = NULL;
  char *save = NULL;

  if (strchr (runtime, '/'))
    return xstrdup (runtime);
  copy = xstrdup (path ? path : "/usr/local/bin:/usr/bin:/bin");
  for (char *dir = strtok_r (copy, ":", &save); dir; dir = strtok_r (NULL, ":", &save))
    {
      char *p = xasprintf ("%s/%s", dir, runtime);
      if (access (p, X_OK) == 0)
        return p;
      free (p);
    }
  return xstrdup (runtime);
}

void
build_arm_cancel (struct image_store *s, const char *runtime, const char *id)
{
  char **argv = xmalloc0 (7 * sizeof *argv);
  argv[0] = runtime_path (runtime);
  argv[1] = xstrdup ("--root");
  argv[2] = image_runtime_root (s);
  argv[3] = xstrdup ("kill");
  argv[4] = xstrdup (id);
  argv[5] = xstrdup ("KILL");
  kill_argv = argv;
}

void
build_disarm_cancel (void)
{
  char **argv = (char **) kill_argv;
  pid_t pid = killer;
  kill_argv = NULL;
  if (pid > 0)
    {
      kill (pid, SIGKILL);
      waitpid (pid, NULL, 0);
    }
  killer = 0;
  strv_free (argv);
}

/* --- stages ------------------------------------------------------------- */

/* What FROM lines expand with: the predefined ARGs and the global ones.  */
static char **
from_vars (struct build *b)
{
  char **vars = build_strv_copy (b->predefined, strv_len (b->predefined));
  for (size_t i = 0; b->globals && b->globals[i]; i++)
    build_kv_set (&vars, NULL, b->globals[i]);
  return vars;
}

/* FROM [--platform=P] IMAGE [AS NAME]: the stage's base.  */
static int
stage_from (struct build *b, size_t si, struct cur *c, skiff_error_t *err)
{
  const struct cf_instruction *in = &b->cf->ins[b->stages[si].first];
  cleanup_strv char **words = NULL, **vars = from_vars (b);
  struct stage *prev;
  size_t n;

  if (cf_expand_words (in->args[0], b->cf->escape, vars, &words, err) < 0)
    return -1;
  n = strv_len (words);
  if (n != 1 && !(n == 3 && strcasecmp (words[1], "AS") == 0))
    return skiff_error_plain (err, EINVAL, "expected FROM IMAGE [AS NAME]");
  if (n == 3)
    b->stages[si].name = xstrdup (words[2]);
  c->shell = xmalloc0 (3 * sizeof *c->shell);
  c->shell[0] = xstrdup ("/bin/sh");
  c->shell[1] = xstrdup ("-c");

  if (cf_flag (in, "platform"))
    {
      cleanup_free char *platform = NULL;
      const char *mine = build_kv_get (b->predefined, strv_len (b->predefined), "TARGETPLATFORM");
      if (cf_expand_word (cf_flag (in, "platform"), b->cf->escape, vars, &platform, err) < 0)
        return -1;
      if (strcmp (platform, mine) != 0)
        return skiff_error_plain (err, EINVAL, "--platform=%s: only this machine's platform (%s) is built", platform,
                                  mine);
    }
  if (strcasecmp (words[0], "scratch") == 0)
    return build_cur_scratch (b, c, err);
  prev = build_find_stage (b, si, words[0]);
  if (prev && prev->result)
    return build_cur_load (b, c, prev->result, err);
  {
    cleanup_error skiff_error_t missing = NULL;
    struct image_pull_opts po = { .reg = { .tls_verify = -1, .quiet = b->o->quiet } };
    char id[IMAGE_DIGEST_LEN];
    if (build_cur_load (b, c, words[0], &missing) == 0)
      return 0;
    if (skiff_error_errno (&missing) != ENOENT)
      {
        *err = steal_pointer (&missing);
        return -1;
      }
    build_say (b, "Pulling %s\n", words[0]);
    if (image_pull (b->s, words[0], &po, id, err) < 0)
      return skiff_error_wrap (err, "`%s` is not in the store, and pulling it failed", words[0]);
    return build_cur_load (b, c, id, err);
  }
}

static int
build_stage (struct build *b, size_t si, int *run_status, skiff_error_t *err)
{
  struct stage *st = &b->stages[si];
  struct cur c = { 0 };
  int ret = 0;

  for (size_t i = st->first; i < st->end && ret == 0; i++)
    {
      const struct cf_instruction *in = &b->cf->ins[i];
      cleanup_free char *line = NULL;
      char key[IMAGE_DIGEST_LEN];
      bool hit = false;

      if (cancelled)
        {
          ret = skiff_error_plain (err, ECANCELED, "interrupted");
          break;
        }
      if (b->n_stages > 1)
        build_say (b, "[%zu/%zu] ", si + 1, b->n_stages);
      build_say (b, "STEP %zu/%zu: %s\n", i - st->first + 1, st->end - st->first, in->text);
      switch (in->kind)
        {
        case CF_FROM:
          ret = stage_from (b, si, &c, err);
          break;
        case CF_ARG:
          ret = build_apply_arg (b, &c, in, &c.args, err);
          break;
        case CF_RUN:
          ret = build_do_run (b, &c, in, run_status, err);
          break;
        case CF_COPY:
        case CF_ADD:
          ret = build_do_copy (b, si, &c, in, err);
          break;
        case CF_HEALTHCHECK:
        case CF_ONBUILD:
          fprintf (stderr, "skiff-image: warning: %s:%d: %s is not part of OCI images; ignored\n", b->cf->path,
                   in->line, in->keyword);
          break;
        default:
          {
            cleanup_strv char **lines = NULL;
            ret = build_apply_config (b, &c, in, &line, err);
            if (ret < 0)
              break;
            build_strv_push (&lines, line);
            build_make_key (c.manifest, lines, key);
            ret = build_cache_try (b, &c, key, &hit, err);
            if (ret == 0 && !hit)
              ret = build_cur_commit (b, &c, in, NULL, key, err);
          }
        }
      if (ret < 0)
        build_line_error (b, in, err);
      else if (in->kind == CF_RUN || in->kind == CF_COPY || in->kind == CF_ADD || line)
        build_say (b, "--> %.12s\n", c.info.desc.config_digest + 7);
    }
  if (ret == 0)
    {
      /* A stage of FROM scratch alone: its empty image gets listed.  */
      if (!c.listed && build_index_add (b->s, c.manifest, c.manifest_size, NULL, NULL, err) < 0)
        ret = -1;
      st->result = xstrdup (c.manifest);
      st->has_layers = c.info.manifest->layers_len > 0;
    }
  build_cur_clear (&c);
  return ret;
}

/* Splits the file into stages; the ARGs before the first FROM are the
   global ones.  */
static int
plan (struct build *b, skiff_error_t *err)
{
  for (size_t i = 0; i < b->cf->n; i++)
    {
      const struct cf_instruction *in = &b->cf->ins[i];
      if (in->kind == CF_FROM)
        {
          if (b->n_stages)
            b->stages[b->n_stages - 1].end = i;
          b->stages = xrealloc (b->stages, (b->n_stages + 1) * sizeof *b->stages);
          b->stages[b->n_stages++] = (struct stage) { .first = i, .end = b->cf->n };
        }
      else if (b->n_stages == 0)
        {
          if (in->kind != CF_ARG)
            return skiff_error_plain (err, EINVAL, "%s:%d: %s before the first FROM", b->cf->path, in->line,
                                      in->keyword);
          if (build_apply_arg (b, NULL, in, &b->globals, err) < 0)
            return build_line_error (b, in, err);
        }
    }
  if (b->n_stages == 0)
    return skiff_error_plain (err, EINVAL, "%s: no FROM", b->cf->path);
  return 0;
}

/* Stage names are known only once the FROM lines are expanded: a target
   is looked up by peeking at them.  */
static int
target_index (struct build *b, size_t *last, skiff_error_t *err)
{
  *last = b->n_stages - 1;
  if (b->o->target == NULL)
    return 0;
  for (size_t i = 0; i < b->n_stages; i++)
    {
      const struct cf_instruction *in = &b->cf->ins[b->stages[i].first];
      cleanup_strv char **words = NULL, **vars = from_vars (b);
      if (cf_expand_words (in->args[0], b->cf->escape, vars, &words, err) < 0)
        return build_line_error (b, in, err);
      if (strv_len (words) == 3 && strcasecmp (words[2], b->o->target) == 0)
        {
          *last = i;
          return 0;
        }
    }
  return skiff_error_plain (err, ENOENT, "--target %s: no stage of that name in %s", b->o->target, b->cf->path);
}

static char **
predefined_args (void)
{
  const char *variant, *arch = build_goarch (&variant);
  cleanup_free char *platform = *variant ? xasprintf ("linux/%s/%s", arch, variant) : xasprintf ("linux/%s", arch);
  char **v = xmalloc0 (sizeof *v);
  const char *side[] = { "TARGET", "BUILD" };
  for (size_t i = 0; i < 2; i++)
    {
      char *p;
      p = xasprintf ("%sPLATFORM=%s", side[i], platform), build_strv_push (&v, p), free (p);
      p = xasprintf ("%sOS=linux", side[i]), build_strv_push (&v, p), free (p);
      p = xasprintf ("%sARCH=%s", side[i], arch), build_strv_push (&v, p), free (p);
      p = xasprintf ("%sVARIANT=%s", side[i], variant), build_strv_push (&v, p), free (p);
    }
  return v;
}

static char *
default_file (const char *context)
{
  const char *names[] = { "Containerfile", "Dockerfile" };
  for (size_t i = 0; i < 2; i++)
    {
      char *p = xasprintf ("%s/%s", context, names[i]);
      if (access (p, F_OK) == 0)
        return p;
      free (p);
    }
  return NULL;
}

/* --layers=false: the images the steps listed go, except KEEP (the result,
   NULL after a failure); the layers the result uses stay with it.  */
static void
drop_intermediates (struct build *b, const char *keep)
{
  for (size_t i = 0; b->made && b->made[i]; i++)
    {
      struct image_removal r = { 0 };
      cleanup_error skiff_error_t e = NULL;
      if (keep && strcmp (b->made[i], keep) == 0)
        continue;
      if (image_store_rmi (b->s, b->made[i], false, &r, &e) < 0)
        fprintf (stderr, "skiff-image: warning: build: intermediate image %.19s: %s\n", b->made[i], e->msg);
      image_removal_clear (&r);
    }
}

int
image_build (struct image_store *s, const struct image_build_options *o, char image_id[IMAGE_DIGEST_LEN],
             int *run_status, skiff_error_t *err)
{
  struct build b = { .s = s, .o = o };
  cleanup_free char *file = o->file ? xstrdup (o->file) : default_file (o->context);
  size_t last = 0, nargs = 0;
  int ret = -1;
  struct stat st;

  *run_status = 0;
  cancelled = 0;
  if (stat (o->context, &st) < 0)
    return skiff_error_sys (err, "build: context `%s`", o->context);
  if (!S_ISDIR (st.st_mode))
    return skiff_error_plain (err, ENOTDIR, "build: context `%s` is not a directory", o->context);
  if (file == NULL)
    return skiff_error_plain (err, ENOENT, "build: no Containerfile or Dockerfile in `%s` (-f names another file)",
                              o->context);
  if (containerfile_load (file, &b.cf, err) < 0)
    return skiff_error_wrap (err, "build");
  /* What killed builds left: never worth failing this one for.  */
  {
    cleanup_error skiff_error_t e = NULL;
    if (image_build_orphans_remove (s, o->runtime, NULL, &e) < 0)
      fprintf (stderr, "skiff-image: warning: %s\n", e->msg);
  }
  b.build_args = xmalloc0 (sizeof *b.build_args);
  for (size_t i = 0; o->build_args && o->build_args[i]; i++)
    {
      const char *a = o->build_args[i], *env = strchr (a, '=') ? NULL : getenv (a);
      cleanup_free char *pair = strchr (a, '=') ? xstrdup (a) : env ? xasprintf ("%s=%s", a, env) : NULL;
      /* `--build-arg K` without K in the environment leaves K unset.  */
      if (pair)
        build_strv_push (&b.build_args, pair);
    }
  nargs = strv_len (b.build_args);
  b.arg_used = xmalloc0 ((nargs + 1) * sizeof *b.arg_used);
  b.predefined = predefined_args ();

  if (plan (&b, err) < 0 || target_index (&b, &last, err) < 0)
    goto out;
  for (size_t i = 0; i <= last; i++)
    if (build_stage (&b, i, run_status, err) < 0)
      goto out;

  {
    struct image_desc d = { 0 };
    const char *result = b.stages[last].result;
    if (image_store_resolve (s, result, &d, err) < 0)
      goto out;
    snprintf (image_id, IMAGE_DIGEST_LEN, "%s", d.config_digest);
    ret = 0;
    for (size_t i = 0; o->tags && o->tags[i] && ret == 0; i++)
      ret = image_store_tag (s, o->tags[i], d.manifest_digest, d.media_type, d.size, err);
    image_desc_clear (&d);
    if (ret < 0)
      goto out;
    if (o->tags && o->tags[0])
      build_say (&b, "COMMIT %s\n", o->tags[0]);
    for (size_t i = 0; o->tags && o->tags[i]; i++)
      build_say (&b, "Successfully tagged %s\n", o->tags[i]);
  }
  for (size_t i = 0; i < nargs; i++)
    if (!b.arg_used[i])
      fprintf (stderr, "skiff-image: warning: --build-arg %.*s: no ARG of the file uses it\n",
               (int) strcspn (b.build_args[i], "="), b.build_args[i]);

out:
  if (o->no_layers)
    drop_intermediates (&b, ret == 0 ? b.stages[last].result : NULL);
  strv_free (b.made);
  containerfile_free (b.cf);
  if (b.ctx)
    build_context_free (b.ctx);
  for (size_t i = 0; i < b.n_stages; i++)
    {
      free (b.stages[i].name);
      free (b.stages[i].result);
    }
  free (b.stages);
  strv_free (b.build_args);
  free (b.arg_used);
  strv_free (b.predefined);
  strv_free (b.globals);
  return ret < 0 ? skiff_error_wrap (err, "build") : 0;
}
