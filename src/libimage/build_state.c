/* skiff-image build: the current image of a stage, the cache of steps,
   messages and small helpers (see build_internal.h).  */
#include <config.h>
#include "build_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>

#include "layer.h"
#include "runconfig.h"
#include "store_internal.h"
#include "utils.h"

/* --- small helpers ------------------------------------------------------ */

void
build_strv_push (char ***v, const char *s)
{
  size_t n = *v ? strv_len (*v) : 0;
  *v = xrealloc (*v, (n + 2) * sizeof **v);
  (*v)[n] = xstrdup (s);
  (*v)[n + 1] = NULL;
}

char **
build_strv_copy (char *const *v, size_t n)
{
  char **out = xmalloc0 ((n + 1) * sizeof *out);
  for (size_t i = 0; i < n; i++)
    out[i] = xstrdup (v[i]);
  return out;
}

/* Sets K=V in the K=V list *V (of *LEN entries when LEN is not NULL).  */
void
build_kv_set (char ***v, size_t *len, const char *pair)
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
const char *
build_kv_get (char *const *v, size_t n, const char *k)
{
  size_t klen = strlen (k);
  for (size_t i = 0; v && i < n; i++)
    if (strncmp (v[i], k, klen) == 0 && v[i][klen] == '=')
      return v[i] + klen + 1;
  return NULL;
}

const char *
build_goarch (const char **variant)
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
bool
build_is_proxy_arg (const char *k, size_t klen)
{
  static const char *const names[]
      = { "HTTP_PROXY", "HTTPS_PROXY", "FTP_PROXY", "NO_PROXY", "ALL_PROXY", NULL };
  for (size_t i = 0; names[i]; i++)
    if (klen == strlen (names[i]) && strncasecmp (k, names[i], klen) == 0)
      return true;
  return false;
}

void
build_cur_clear (struct cur *c)
{
  image_info_clear (&c->info);
  free (c->media_type);
  strv_free (c->args);
  strv_free (c->shell);
  memset (c, 0, sizeof *c);
}

const oci_image_config_config *
build_cur_cc (struct cur *c)
{
  if (c->info.config->config == NULL)
    c->info.config->config = xmalloc0 (sizeof *c->info.config->config);
  return c->info.config->config;
}

oci_image_config_config *
build_cur_ccw (struct cur *c)
{
  return (oci_image_config_config *) build_cur_cc (c);
}

/* VARS for expansion: the stage's ARGs, then the image's Env (ENV wins).  */
char **
build_cur_vars (struct cur *c)
{
  const oci_image_config_config *cc = build_cur_cc (c);
  size_t na = c->args ? strv_len (c->args) : 0;
  char **v = xmalloc0 ((na + cc->env_len + 1) * sizeof *v);
  for (size_t i = 0; i < na; i++)
    v[i] = xstrdup (c->args[i]);
  for (size_t i = 0; i < cc->env_len; i++)
    v[na + i] = xstrdup (cc->env[i]);
  return v;
}

void
build_say (struct build *b, const char *fmt, ...)
{
  va_list ap;
  if (b->o->quiet)
    return;
  va_start (ap, fmt);
  vprintf (fmt, ap);
  va_end (ap);
  fflush (stdout);
}

int
build_line_error (struct build *b, const struct cf_instruction *in, skiff_error_t *err)
{
  return skiff_error_wrap (err, "%s:%d: %s", b->cf->path, in->line, in->keyword);
}

/* --- images of the store ------------------------------------------------ */

/* Loads the image with manifest digest MANIFEST (or any name) as the
   current image.  */
int
build_cur_load (struct build *b, struct cur *c, const char *name, skiff_error_t *err)
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
int
build_cur_scratch (struct build *b, struct cur *c, skiff_error_t *err)
{
  oci_image_config *cfg = xmalloc0 (sizeof *cfg);
  oci_image_manifest *m = xmalloc0 (sizeof *m);
  char *json, *perr = NULL;
  char config_digest[IMAGE_DIGEST_LEN];
  const char *variant;

  cfg->architecture = xstrdup (build_goarch (&variant));
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
int
build_index_add (struct image_store *s, const char *manifest, int64_t size, const char *parent, const char *key,
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
void
build_cur_chain (struct cur *c, char chain[IMAGE_DIGEST_LEN])
{
  chain[0] = '\0';
  for (size_t i = 0; i < c->info.config->rootfs->diff_ids_len; i++)
    image_chain_id (i ? chain : NULL, c->info.config->rootfs->diff_ids[i], chain);
}

/* Writes the current image changed by the step (LAYER: its new layer,
   NULL for a config change) with a history entry, lists it with the
   step's KEY, and makes it the current image.  */
int
build_cur_commit (struct build *b, struct cur *c, const struct cf_instruction *in, const struct image_new_layer *layer,
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
      || build_index_add (b->s, manifest, size, c->manifest, key, err) < 0)
    return -1;
  build_strv_push (&b->made, manifest);
  return build_cur_load (b, c, manifest, err);
}

/* Tries the cache for KEY; *HIT tells whether the current image is now
   the cached one.  */
int
build_cache_try (struct build *b, struct cur *c, const char *key, bool *hit, skiff_error_t *err)
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
    if (build_cur_load (b, &probe, manifest, &load_err) < 0)
      {
        build_cur_clear (&probe);
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
  build_say (b, "--> Using cache %s\n", c->info.desc.config_digest + 7);
  return 0;
}

/* The cache key: a digest of the parent image and the lines of what the
   step does.  */
void
build_make_key (const char *parent, char *const *lines, char key[IMAGE_DIGEST_LEN])
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
