/* skiff-image: building images from a Containerfile (see build.h).  */
#include <config.h>
#include "build.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "build_context.h"
#include "container_commit.h"
#include "containerfile.h"
#include "containers.h"
#include "image.h"
#include "layer.h"
#include "layer_store.h"
#include "overlay.h"
#include "ref.h"
#include "registry.h"
#include "remove.h"
#include "runconfig.h"
#include "store_internal.h"
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

static void
arm_cancel (struct image_store *s, const char *runtime, const char *id)
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

static void
disarm_cancel (void)
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

/* --- small helpers ------------------------------------------------------ */

static void
strv_push (char ***v, const char *s)
{
  size_t n = *v ? strv_len (*v) : 0;
  *v = xrealloc (*v, (n + 2) * sizeof **v);
  (*v)[n] = xstrdup (s);
  (*v)[n + 1] = NULL;
}

static char **
strv_copy (char *const *v, size_t n)
{
  char **out = xmalloc0 ((n + 1) * sizeof *out);
  for (size_t i = 0; i < n; i++)
    out[i] = xstrdup (v[i]);
  return out;
}

/* Sets K=V in the K=V list *V (of *LEN entries when LEN is not NULL).  */
static void
kv_set (char ***v, size_t *len, const char *pair)
{
  size_t klen = strcspn (pair, "=");
  size_t n = len ? *len : (*v ? strv_len (*v) : 0);
  for (size_t i = 0; i < n; i++)
    if (strncmp ((*v)[i], pair, klen) == 0 && ((*v)[i][klen] == '=' || (*v)[i][klen] == '\0'))
      {
        free ((*v)[i]);
        (*v)[i] = xstrdup (pair);
        return;
      }
  *v = xrealloc (*v, (n + 2) * sizeof **v);
  (*v)[n] = xstrdup (pair);
  (*v)[n + 1] = NULL;
  if (len)
    *len = n + 1;
}

/* The value of K in the K=V list V, NULL when absent.  */
static const char *
kv_get (char *const *v, size_t n, const char *k)
{
  size_t klen = strlen (k);
  for (size_t i = 0; v && i < n; i++)
    if (strncmp (v[i], k, klen) == 0 && v[i][klen] == '=')
      return v[i] + klen + 1;
  return NULL;
}

static const char *
goarch (const char **variant)
{
  static struct utsname u;
  *variant = "";
  if (uname (&u) < 0)
    return "amd64";
  if (strcmp (u.machine, "x86_64") == 0)
    return "amd64";
  if (strcmp (u.machine, "aarch64") == 0)
    return "arm64";
  if (strncmp (u.machine, "armv7", 5) == 0)
    {
      *variant = "v7";
      return "arm";
    }
  if (u.machine[0] == 'i' && strcmp (u.machine + 2, "86") == 0)
    return "386";
  return u.machine; /* ppc64le, s390x, riscv64 have their uname names */
}

/* Build args that need no ARG line and stay out of the cache keys and
   the image (docker's predefined proxy args).  */
static bool
is_proxy_arg (const char *k, size_t klen)
{
  static const char *const names[]
      = { "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY", NULL };
  for (size_t i = 0; names[i]; i++)
    if (klen == strlen (names[i]) && strncasecmp (k, names[i], klen) == 0)
      return true;
  return false;
}

/* --- the build's state -------------------------------------------------- */

struct stage
{
  char *name;       /* AS NAME (compared without case); NULL */
  size_t first;     /* its FROM */
  size_t end;       /* one past its last instruction */
  char *result;     /* manifest digest of its image once built */
  bool has_layers;  /* the result has a filesystem */
};

struct build
{
  struct image_store *s;
  const struct image_build_options *o;
  struct containerfile *cf;
  struct build_context *ctx; /* opened on the first COPY/ADD */
  struct stage *stages;
  size_t n_stages;
  char **build_args;  /* K=V from --build-arg */
  bool *arg_used;     /* per build_args entry */
  char **predefined;  /* TARGETOS=linux ... */
  char **globals;     /* ARGs before the first FROM, with their values */
  char **made;        /* manifests of the images the steps listed */
};

/* The stage being built: its current image and what is not in it.  */
struct cur
{
  struct image_info info; /* manifest and config of the current image */
  char manifest[IMAGE_DIGEST_LEN];
  int64_t manifest_size;
  char *media_type;
  char **args;  /* the stage's ARGs with a value (K=V) */
  char **shell; /* SHELL, default /bin/sh -c */
  bool cmd_set; /* CMD given in this stage */
  bool listed;  /* the current image has an entry in index.json */
};

static void
cur_clear (struct cur *c)
{
  image_info_clear (&c->info);
  free (c->media_type);
  strv_free (c->args);
  strv_free (c->shell);
  memset (c, 0, sizeof *c);
}

static const oci_image_config_config *
cur_cc (struct cur *c)
{
  if (c->info.config->config == NULL)
    c->info.config->config = xmalloc0 (sizeof *c->info.config->config);
  return c->info.config->config;
}

static oci_image_config_config *
cur_ccw (struct cur *c)
{
  return (oci_image_config_config *) cur_cc (c);
}

/* VARS for expansion: the stage's ARGs, then the image's Env (ENV wins).  */
static char **
cur_vars (struct cur *c)
{
  const oci_image_config_config *cc = cur_cc (c);
  size_t na = c->args ? strv_len (c->args) : 0;
  char **v = xmalloc0 ((na + cc->env_len + 1) * sizeof *v);
  for (size_t i = 0; i < na; i++)
    v[i] = xstrdup (c->args[i]);
  for (size_t i = 0; i < cc->env_len; i++)
    v[na + i] = xstrdup (cc->env[i]);
  return v;
}

static void
say (struct build *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

static void
say (struct build *b, const char *fmt, ...)
{
  va_list ap;
  if (b->o->quiet)
    return;
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  fflush (stdout);
}

static int
line_error (struct build *b, const struct cf_instruction *in, skiff_error_t *err)
{
  return skiff_error_wrap (err, "%s:%d: %s", b->cf->path, in->line, in->keyword);
}

/* --- images of the store ------------------------------------------------ */

/* Loads the image with manifest digest MANIFEST (or any name) as the
   current image.  */
static int
cur_load (struct build *b, struct cur *c, const char *name, skiff_error_t *err)
{
  struct image_desc d = { 0 };
  struct image_info info = { 0 };
  if (image_store_resolve (b->s, name, &d, err) < 0)
    return -1;
  if (image_info_load (b->s, &d, &info, err) < 0)
    {
      image_desc_clear (&d);
      return -1;
    }
  image_info_clear (&c->info);
  free (c->media_type);
  c->info = info;
  snprintf (c->manifest, sizeof c->manifest, "%s", d.manifest_digest);
  c->media_type = xstrdup (d.media_type);
  c->manifest_size = d.size;
  image_desc_clear (&d);
  c->listed = true;
  if (c->info.config->rootfs == NULL)
    return skiff_error_plain (err, EINVAL, "image %s: its config has no rootfs", name);
  return 0;
}

/* An empty image: FROM scratch.  Its config has no creation time, so the
   same empty image always has the same digests.  */
static int
cur_scratch (struct build *b, struct cur *c, skiff_error_t *err)
{
  oci_image_config *cfg = xmalloc0 (sizeof *cfg);
  oci_image_manifest *m = xmalloc0 (sizeof *m);
  char *json, *perr = NULL;
  char config_digest[IMAGE_DIGEST_LEN];
  const char *variant;

  cfg->architecture = xstrdup (goarch (&variant));
  cfg->os = xstrdup ("linux");
  if (*variant)
    cfg->variant = xstrdup (variant);
  cfg->rootfs = xmalloc0 (sizeof *cfg->rootfs);
  cfg->rootfs->type = xstrdup ("layers");
  cfg->rootfs->diff_ids = xmalloc0 (sizeof (char *));
  cfg->config = xmalloc0 (sizeof *cfg->config);
  m->schema_version = 2;
  m->media_type = xstrdup (IMAGE_MT_OCI_MANIFEST);
  m->layers = xmalloc0 (sizeof *m->layers);
  m->config = xmalloc0 (sizeof *m->config);
  m->config->media_type = xstrdup (IMAGE_MT_OCI_CONFIG);
  image_info_clear (&c->info);
  c->info.config = cfg;
  c->info.manifest = m;

  json = oci_image_config_generate_json (cfg, &perr);
  if (json == NULL || image_store_put_blob (b->s, json, strlen (json), NULL, config_digest, err) < 0)
    {
      if (json == NULL)
        skiff_error_plain (err, EINVAL, "scratch config: %s", perr ? perr : "cannot generate");
      free (json);
      free (perr);
      return -1;
    }
  m->config->digest = xstrdup (config_digest);
  m->config->size = (int64_t) strlen (json);
  free (json);
  json = oci_image_manifest_generate_json (m, &perr);
  if (json == NULL || image_store_put_blob (b->s, json, strlen (json), NULL, c->manifest, err) < 0)
    {
      if (json == NULL)
        skiff_error_plain (err, EINVAL, "scratch manifest: %s", perr ? perr : "cannot generate");
      free (json);
      free (perr);
      return -1;
    }
  c->manifest_size = (int64_t) strlen (json);
  free (json);
  free (c->media_type);
  c->media_type = xstrdup (IMAGE_MT_OCI_MANIFEST);
  c->info.desc.manifest_digest = xstrdup (c->manifest);
  c->info.desc.config_digest = xstrdup (config_digest);
  c->info.desc.media_type = xstrdup (IMAGE_MT_OCI_MANIFEST);
  c->info.desc.size = c->manifest_size;
  c->listed = false;
  return 0;
}

/* Lists MANIFEST in index.json (untagged) with the build annotations, or
   adds them to the entry that lists it.  */
static int
index_add (struct image_store *s, const char *manifest, int64_t size, const char *parent, const char *key,
           skiff_error_t *err)
{
  cleanup_close int lock = -1;
  oci_image_index *idx = NULL;
  oci_image_descriptor *d = NULL;
  int ret;

  if (image_store_lock (s, &lock, err) < 0 || image_store_load_index (s, &idx, err) < 0)
    return -1;
  for (size_t i = 0; i < idx->manifests_len && d == NULL; i++)
    if (strcmp (idx->manifests[i]->digest, manifest) == 0)
      d = idx->manifests[i];
  if (d == NULL)
    {
      d = xmalloc0 (sizeof *d);
      d->media_type = xstrdup (IMAGE_MT_OCI_MANIFEST);
      d->digest = xstrdup (manifest);
      d->size = size;
      idx->manifests = xrealloc (idx->manifests, (idx->manifests_len + 1) * sizeof *idx->manifests);
      idx->manifests[idx->manifests_len++] = d;
    }
  if (d->annotations == NULL && (parent || key))
    d->annotations = oci_string_map_new ();
  if (parent)
    oci_string_map_set (d->annotations, IMAGE_BUILD_PARENT_ANNOTATION, parent);
  if (key)
    oci_string_map_set (d->annotations, IMAGE_BUILD_KEY_ANNOTATION, key);
  ret = image_store_save_index (s, idx, err);
  oci_image_index_free (idx);
  return ret;
}

/* The newest entry whose cache key is KEY (the key names its parent).  */
static int
cache_lookup (struct build *b, const char *key, char **manifest, skiff_error_t *err)
{
  oci_image_index *idx = NULL;
  *manifest = NULL;
  if (image_store_load_index (b->s, &idx, err) < 0)
    return -1;
  for (size_t i = idx->manifests_len; i-- > 0 && *manifest == NULL;)
    {
      const oci_image_descriptor *d = idx->manifests[i];
      const char *k = d->annotations ? oci_string_map_get (d->annotations, IMAGE_BUILD_KEY_ANNOTATION) : NULL;
      if (k && strcmp (k, key) == 0 && image_store_has_blob (b->s, d->digest))
        *manifest = xstrdup (d->digest);
    }
  oci_image_index_free (idx);
  return 0;
}

/* The chain id of the current image's top layer ("" without layers).  */
static void
cur_chain (struct cur *c, char chain[IMAGE_DIGEST_LEN])
{
  chain[0] = '\0';
  for (size_t i = 0; i < c->info.config->rootfs->diff_ids_len; i++)
    image_chain_id (i ? chain : NULL, c->info.config->rootfs->diff_ids[i], chain);
}

/* Writes the current image changed by the step (LAYER: its new layer,
   NULL for a config change) with a history entry, lists it with the
   step's KEY, and makes it the current image.  */
static int
cur_commit (struct build *b, struct cur *c, const struct cf_instruction *in, const struct image_new_layer *layer,
            const char *key, skiff_error_t *err)
{
  oci_image_history *h = xmalloc0 (sizeof *h);
  char image_id[IMAGE_DIGEST_LEN], manifest[IMAGE_DIGEST_LEN];
  int64_t size;

  h->created_by = xstrdup (in->text);
  if (layer == NULL)
    {
      h->empty_layer = true;
      h->empty_layer_present = true;
    }
  if (image_commit_write (b->s, &c->info, layer, h, image_id, manifest, &size, err) < 0
      || index_add (b->s, manifest, size, c->manifest, key, err) < 0)
    return -1;
  strv_push (&b->made, manifest);
  return cur_load (b, c, manifest, err);
}

/* Tries the cache for KEY; *HIT tells whether the current image is now
   the cached one.  */
static int
cache_try (struct build *b, struct cur *c, const char *key, bool *hit, skiff_error_t *err)
{
  cleanup_free char *manifest = NULL;
  cleanup_error skiff_error_t load_err = NULL;
  *hit = false;
  if (b->o->no_cache)
    return 0;
  if (cache_lookup (b, key, &manifest, err) < 0)
    return -1;
  if (manifest == NULL)
    return 0;
  /* A cached image that does not load is a miss: the step runs again.  */
  {
    struct cur probe = { 0 };
    if (cur_load (b, &probe, manifest, &load_err) < 0)
      {
        cur_clear (&probe);
        return 0;
      }
    image_info_clear (&c->info);
    free (c->media_type);
    c->info = probe.info;
    memcpy (c->manifest, probe.manifest, sizeof c->manifest);
    c->manifest_size = probe.manifest_size;
    c->media_type = probe.media_type;
    c->listed = true;
  }
  *hit = true;
  say (b, "--> Using cache %s\n", c->info.desc.config_digest + 7);
  return 0;
}

/* The cache key: a digest of the parent image and the lines of what the
   step does.  */
static void
make_key (const char *parent, char *const *lines, char key[IMAGE_DIGEST_LEN])
{
  struct image_digester *d = image_digester_new ();
  image_digester_update (d, parent, strlen (parent));
  for (size_t i = 0; lines && lines[i]; i++)
    {
      image_digester_update (d, "\n", 1);
      image_digester_update (d, lines[i], strlen (lines[i]) + 1);
    }
  image_digester_final (d, key);
  image_digester_free (d);
}

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
  cur_chain (c, chain);
  image_chain_id (*chain ? chain : NULL, layer.diff_id, chain);
  if (cur_commit (b, c, in, &layer, key, err) < 0)
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
      *words = strv_copy (in->args, strv_len (in->args));
      return 0;
    }
  vars = cur_vars (c);
  return cf_expand_words (in->args[0], b->cf->escape, vars, words, err);
}

/* RAW (an argument or a flag's value) expanded as one word.  */
static int
expand_word (struct build *b, struct cur *c, const char *raw, char **word, skiff_error_t *err)
{
  cleanup_strv char **vars = cur_vars (c);
  return cf_expand_word (raw, b->cf->escape, vars, word, err);
}

/* A command: exec form as it is, shell form through SHELL.  */
static char **
ins_command (struct cur *c, const struct cf_instruction *in)
{
  size_t ns = strv_len (c->shell);
  char **v;
  if (in->json)
    return strv_copy (in->args, strv_len (in->args));
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
  *v = strv_copy (src, *len);
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
static int
apply_config (struct build *b, struct cur *c, const struct cf_instruction *in, char **line, skiff_error_t *err)
{
  oci_image_config_config *cc = cur_ccw (c);
  cleanup_strv char **words = NULL, **vars = NULL;
  cleanup_free char *word = NULL;

  switch (in->kind)
    {
    case CF_ENV:
    case CF_LABEL:
      vars = cur_vars (c);
      if (cf_key_values (b->cf, in, vars, &words, err) < 0)
        return -1;
      for (size_t i = 0; words[i]; i++)
        if (in->kind == CF_ENV)
          kv_set (&cc->env, &cc->env_len, words[i]);
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
      c->shell = strv_copy (in->args, strv_len (in->args));
      words = strv_copy (in->args, strv_len (in->args));
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
static int
apply_arg (struct build *b, struct cur *c, const struct cf_instruction *in, char ***scope, skiff_error_t *err)
{
  cleanup_strv char **pairs = NULL, **vars = NULL;
  vars = c ? cur_vars (c) : strv_copy (*scope, *scope ? strv_len (*scope) : 0);
  if (cf_key_values (b->cf, in, vars, &pairs, err) < 0)
    return -1;
  for (size_t i = 0; pairs[i]; i++)
    {
      cleanup_free char *k = xasprintf ("%.*s", (int) strcspn (pairs[i], "="), pairs[i]);
      const char *value = NULL;
      size_t nargs = strv_len (b->build_args);
      for (size_t j = nargs; j-- > 0 && value == NULL;)
        if ((value = kv_get (&b->build_args[j], 1, k)))
          b->arg_used[j] = true;
      if (value == NULL && strchr (pairs[i], '='))
        value = strchr (pairs[i], '=') + 1;
      if (value == NULL && c)
        value = kv_get (b->globals, b->globals ? strv_len (b->globals) : 0, k);
      if (value == NULL)
        value = kv_get (b->predefined, strv_len (b->predefined), k);
      if (value)
        {
          cleanup_free char *pair = xasprintf ("%s=%s", k, value);
          kv_set (scope, NULL, pair);
        }
    }
  return 0;
}

/* RUN's environment beyond the image's Env: the stage's ARGs (ENV wins
   over an ARG of the same name) and the proxy build args.  */
static char **
run_env (struct build *b, struct cur *c, bool with_proxies)
{
  const oci_image_config_config *cc = cur_cc (c);
  char **env = xmalloc0 (sizeof *env);
  for (size_t i = 0; c->args && c->args[i]; i++)
    {
      cleanup_free char *k = xasprintf ("%.*s", (int) strcspn (c->args[i], "="), c->args[i]);
      if (kv_get (cc->env, cc->env_len, k) == NULL)
        strv_push (&env, c->args[i]);
    }
  for (size_t i = 0; with_proxies && b->build_args[i]; i++)
    if (is_proxy_arg (b->build_args[i], strcspn (b->build_args[i], "=")))
      {
        strv_push (&env, b->build_args[i]);
        b->arg_used[i] = true;
      }
  return env;
}

static int
do_run (struct build *b, struct cur *c, const struct cf_instruction *in, int *run_status, skiff_error_t *err)
{
  cleanup_strv char **cmd = ins_command (c, in), **env = NULL, **lines = NULL;
  struct image_run_options ro = { 0 };
  char *volumes[3] = { NULL };
  size_t nv = 0;
  struct work w = { 0 };
  char key[IMAGE_DIGEST_LEN];
  int status = 0, ret;
  bool hit;

  lines = strv_copy (cmd, strv_len (cmd));
  strv_push (&lines, in->json ? "json" : "shell");
  env = run_env (b, c, false);
  for (size_t i = 0; env[i]; i++)
    strv_push (&lines, env[i]);
  make_key (c->manifest, lines, key);
  if (cache_try (b, c, key, &hit, err) < 0 || hit)
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
  arm_cancel (b->s, b->o->runtime, w.c->id);
  ret = cancelled ? 0 : image_container_start (b->s, b->o->runtime, w.c, true, false, &status, err);
  disarm_cancel ();
  if (ret == 0 && cancelled)
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
static struct stage *
find_stage (struct build *b, size_t cur, const char *name)
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

static int
do_copy (struct build *b, size_t stage, struct cur *c, const struct cf_instruction *in, skiff_error_t *err)
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
  srcs = strv_copy (words, n - 1);
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
      st = find_stage (b, stage, fname);
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
  lines = strv_copy (in->flags, strv_len (in->flags));
  for (size_t i = 0; words[i]; i++)
    strv_push (&lines, words[i]);
  strv_push (&lines, hash);
  make_key (c->manifest, lines, key);
  if (cache_try (b, c, key, &hit, err) < 0)
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
  co.workdir = cur_cc (c)->working_dir && *cur_cc (c)->working_dir ? cur_cc (c)->working_dir : "/";
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

/* --- stages ------------------------------------------------------------- */

/* What FROM lines expand with: the predefined ARGs and the global ones.  */
static char **
from_vars (struct build *b)
{
  char **vars = strv_copy (b->predefined, strv_len (b->predefined));
  for (size_t i = 0; b->globals && b->globals[i]; i++)
    kv_set (&vars, NULL, b->globals[i]);
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
      const char *mine = kv_get (b->predefined, strv_len (b->predefined), "TARGETPLATFORM");
      if (cf_expand_word (cf_flag (in, "platform"), b->cf->escape, vars, &platform, err) < 0)
        return -1;
      if (strcmp (platform, mine) != 0)
        return skiff_error_plain (err, EINVAL, "--platform=%s: only this machine's platform (%s) is built", platform,
                                  mine);
    }
  if (strcasecmp (words[0], "scratch") == 0)
    return cur_scratch (b, c, err);
  prev = find_stage (b, si, words[0]);
  if (prev && prev->result)
    return cur_load (b, c, prev->result, err);
  {
    cleanup_error skiff_error_t missing = NULL;
    struct image_pull_opts po = { .reg = { .tls_verify = -1, .quiet = b->o->quiet } };
    char id[IMAGE_DIGEST_LEN];
    if (cur_load (b, c, words[0], &missing) == 0)
      return 0;
    if (skiff_error_errno (&missing) != ENOENT)
      {
        *err = steal_pointer (&missing);
        return -1;
      }
    say (b, "Pulling %s\n", words[0]);
    if (image_pull (b->s, words[0], &po, id, err) < 0)
      return skiff_error_wrap (err, "`%s` is not in the store, and pulling it failed", words[0]);
    return cur_load (b, c, id, err);
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
        say (b, "[%zu/%zu] ", si + 1, b->n_stages);
      say (b, "STEP %zu/%zu: %s\n", i - st->first + 1, st->end - st->first, in->text);
      switch (in->kind)
        {
        case CF_FROM:
          ret = stage_from (b, si, &c, err);
          break;
        case CF_ARG:
          ret = apply_arg (b, &c, in, &c.args, err);
          break;
        case CF_RUN:
          ret = do_run (b, &c, in, run_status, err);
          break;
        case CF_COPY:
        case CF_ADD:
          ret = do_copy (b, si, &c, in, err);
          break;
        case CF_HEALTHCHECK:
        case CF_ONBUILD:
          fprintf (stderr, "skiff-image: warning: %s:%d: %s is not part of OCI images; ignored\n", b->cf->path,
                   in->line, in->keyword);
          break;
        default:
          {
            cleanup_strv char **lines = NULL;
            ret = apply_config (b, &c, in, &line, err);
            if (ret < 0)
              break;
            strv_push (&lines, line);
            make_key (c.manifest, lines, key);
            ret = cache_try (b, &c, key, &hit, err);
            if (ret == 0 && !hit)
              ret = cur_commit (b, &c, in, NULL, key, err);
          }
        }
      if (ret < 0)
        line_error (b, in, err);
      else if (in->kind == CF_RUN || in->kind == CF_COPY || in->kind == CF_ADD || line)
        say (b, "--> %.12s\n", c.info.desc.config_digest + 7);
    }
  if (ret == 0)
    {
      /* A stage of FROM scratch alone: its empty image gets listed.  */
      if (!c.listed && index_add (b->s, c.manifest, c.manifest_size, NULL, NULL, err) < 0)
        ret = -1;
      st->result = xstrdup (c.manifest);
      st->has_layers = c.info.manifest->layers_len > 0;
    }
  cur_clear (&c);
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
          if (apply_arg (b, NULL, in, &b->globals, err) < 0)
            return line_error (b, in, err);
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
        return line_error (b, in, err);
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
  const char *variant, *arch = goarch (&variant);
  cleanup_free char *platform = *variant ? xasprintf ("linux/%s/%s", arch, variant) : xasprintf ("linux/%s", arch);
  char **v = xmalloc0 (sizeof *v);
  const char *side[] = { "TARGET", "BUILD" };
  for (size_t i = 0; i < 2; i++)
    {
      char *p;
      p = xasprintf ("%sPLATFORM=%s", side[i], platform), strv_push (&v, p), free (p);
      p = xasprintf ("%sOS=linux", side[i]), strv_push (&v, p), free (p);
      p = xasprintf ("%sARCH=%s", side[i], arch), strv_push (&v, p), free (p);
      p = xasprintf ("%sVARIANT=%s", side[i], variant), strv_push (&v, p), free (p);
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
        strv_push (&b.build_args, pair);
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
      say (&b, "COMMIT %s\n", o->tags[0]);
    for (size_t i = 0; o->tags && o->tags[i]; i++)
      say (&b, "Successfully tagged %s\n", o->tags[i]);
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
