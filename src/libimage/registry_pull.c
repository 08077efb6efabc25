/* skiff-image: pull: manifest (or index and platform), then the config and
   the layers the store lacks, in parallel, each streamed through SHA-256
   into the store; the manifest is stored and tagged last, so an interrupted
   pull leaves only complete, verified blobs behind.  */
#include <config.h>
#include "registry.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/utsname.h>

#include "ocispec/image.h"
#include "progress.h"
#include "ref.h"
#include "store.h"
#include "utils.h"

static const char *const config_types[] = {
  "application/vnd.oci.image.config.v1+json",
  "application/vnd.docker.container.image.v1+json",
  NULL,
};

/* tar, gzip and zstd layers; "foreign"/non-distributable ones are fetched
   like the others when the registry has them.  */
static const char *const layer_types[] = {
  "application/vnd.oci.image.layer.v1.tar",
  "application/vnd.oci.image.layer.v1.tar+gzip",
  "application/vnd.oci.image.layer.v1.tar+zstd",
  "application/vnd.oci.image.layer.nondistributable.v1.tar",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
  "application/vnd.docker.image.rootfs.diff.tar.gzip",
  "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  NULL,
};

static bool
in_list (const char *const *list, const char *s)
{
  for (; s && *list; list++)
    if (strcmp (*list, s) == 0)
      return true;
  return false;
}

struct platform
{
  char *os, *arch, *variant;
};

static void
platform_clear (struct platform *p)
{
  free (p->os);
  free (p->arch);
  free (p->variant);
}

/* linux and this machine's architecture, in GOARCH words as images use.  */
static void
host_platform (struct platform *p)
{
  static const struct { const char *machine, *arch, *variant; } map[] = {
    { "x86_64", "amd64", NULL },   { "aarch64", "arm64", NULL },  { "armv7l", "arm", "v7" },
    { "armv6l", "arm", "v6" },     { "i686", "386", NULL },       { "i386", "386", NULL },
    { "ppc64le", "ppc64le", NULL }, { "s390x", "s390x", NULL },   { "riscv64", "riscv64", NULL },
  };
  struct utsname u;
  p->os = xstrdup ("linux");
  p->arch = p->variant = NULL;
  if (uname (&u) == 0)
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
      if (strcmp (u.machine, map[i].machine) == 0)
        {
          p->arch = xstrdup (map[i].arch);
          p->variant = map[i].variant ? xstrdup (map[i].variant) : NULL;
        }
  if (p->arch == NULL)
    p->arch = xstrdup ("amd64");
}

static int
parse_platform (const char *s, struct platform *p, skiff_error_t *err)
{
  const char *a = strchr (s, '/'), *v;
  memset (p, 0, sizeof *p);
  if (a == NULL || a == s || a[1] == '\0' || a[1] == '/')
    return skiff_error_plain (err, EINVAL, "--platform `%s`: expected OS/ARCH[/VARIANT]", s);
  v = strchr (a + 1, '/');
  if (v && (v[1] == '\0' || strchr (v + 1, '/')))
    return skiff_error_plain (err, EINVAL, "--platform `%s`: expected OS/ARCH[/VARIANT]", s);
  p->os = strndup (s, a - s);
  p->arch = v ? strndup (a + 1, v - a - 1) : xstrdup (a + 1);
  p->variant = v ? xstrdup (v + 1) : NULL;
  return 0;
}

/* The manifest of index INDEX for platform P.  */
static int
select_platform (const struct image_manifest_blob *index, const struct platform *p,
                 char **digest, skiff_error_t *err)
{
  cleanup_free char *perr = NULL, *seen = xstrdup ("");
  oci_image_index *idx = oci_image_index_parse_data (index->data, index->len, "index", &perr);
  int ret = -1;

  if (idx == NULL)
    return skiff_error_plain (err, EBADMSG, "%s", perr ? perr : "index: invalid");
  for (size_t i = 0; i < idx->manifests_len; i++)
    {
      oci_image_descriptor *d = idx->manifests[i];
      oci_image_platform *dp = d->platform;
      char *more;
      if (dp == NULL || !in_list ((const char *const[]){ IMAGE_MT_OCI_MANIFEST, IMAGE_MT_DOCKER_MANIFEST, NULL },
                                  d->media_type))
        continue;
      if (strcmp (dp->os, p->os) == 0 && strcmp (dp->architecture, p->arch) == 0
          && (p->variant == NULL || (dp->variant && strcmp (dp->variant, p->variant) == 0)))
        {
          if (!image_digest_valid (d->digest))
            {
              ret = skiff_error_plain (err, EBADMSG, "index entry for %s/%s has the invalid digest `%s`",
                                       p->os, p->arch, d->digest);
              goto out;
            }
          *digest = xstrdup (d->digest);
          ret = 0;
          goto out;
        }
      more = xasprintf ("%s%s%s/%s%s%s", seen, *seen ? ", " : "", dp->os, dp->architecture,
                        dp->variant ? "/" : "", dp->variant ? dp->variant : "");
      free (seen);
      seen = more;
    }
  ret = skiff_error_plain (err, ENOENT, "no image for %s/%s%s%s (the index has: %s)", p->os, p->arch,
                           p->variant ? "/" : "", p->variant ? p->variant : "", *seen ? seen : "none");
out:
  oci_image_index_free (idx);
  return ret;
}

/* Refuse what we would not know how to use, before fetching anything.  */
static int
check_manifest (const struct image_manifest_blob *mb, oci_image_manifest **out,
                skiff_error_t *err)
{
  cleanup_free char *perr = NULL;
  oci_image_manifest *m;
  size_t i;

  m = oci_image_manifest_parse_data (mb->data, mb->len, "manifest", &perr);
  if (m == NULL)
    return skiff_error_plain (err, EBADMSG, "%s", perr ? perr : "manifest: invalid");
  if (m->schema_version != 2)
    goto bad_version;
  if (m->media_type && strcmp (m->media_type, mb->media_type) != 0)
    {
      skiff_error_plain (err, EBADMSG, "the manifest says it is %s but was served as %s",
                         m->media_type, mb->media_type);
      goto fail;
    }
  if (!in_list (config_types, m->config->media_type))
    {
      skiff_error_plain (err, EBADMSG, "unknown config media type `%s`", m->config->media_type);
      goto fail;
    }
  for (i = 0; i <= m->layers_len; i++)
    {
      oci_image_descriptor *d = i < m->layers_len ? m->layers[i] : m->config;
      if (i < m->layers_len && !in_list (layer_types, d->media_type))
        {
          skiff_error_plain (err, EBADMSG, "layer %zu: unknown media type `%s`", i, d->media_type);
          goto fail;
        }
      if (!image_digest_valid (d->digest) || d->size < 0)
        {
          skiff_error_plain (err, EBADMSG, "invalid blob descriptor (digest `%s`, size %lld)",
                             d->digest, (long long) d->size);
          goto fail;
        }
    }
  *out = m;
  return 0;
bad_version:
  skiff_error_plain (err, EBADMSG, "manifest schemaVersion %d (only 2 is supported)", m->schema_version);
fail:
  oci_image_manifest_free (m);
  return -1;
}

struct blob_dl
{
  struct image_store *store;
  struct image_blob_writer *w;
  const char *digest;
  int64_t size, got;
  struct image_progress *prog;
  int line;
  struct image_http_req req;
  char *url;
  bool committed;
  skiff_error_t commit_err;
};

static int
dl_sink (void *ctx, const void *buf, size_t len, skiff_error_t *err)
{
  struct blob_dl *d = ctx;
  d->got += len;
  /* A registry that sends more than the descriptor says is wrong: stop it
     now rather than filling the disk.  */
  if (d->got > d->size)
    return skiff_error_plain (err, EBADMSG, "blob %s: more than the %lld bytes of its descriptor", d->digest,
                              (long long) d->size);
  image_progress_set (d->prog, d->line, d->got);
  return image_blob_write (d->w, buf, len, err);
}

/* A blob is committed as soon as it is complete: a pull killed later
   keeps it.  */
static void
dl_done (struct image_http_req *r)
{
  struct blob_dl *d = r->ctx;
  struct image_blob_writer *w;

  if (r->err || r->status != 200 || d->w == NULL)
    return;
  w = steal_pointer (&d->w);
  d->committed = image_blob_commit (w, d->digest, d->size, NULL, &d->commit_err) == 0;
}

static int
dl_reset (void *ctx, skiff_error_t *err)
{
  struct blob_dl *d = ctx;
  image_blob_abort (d->w);
  d->w = NULL;
  d->got = 0;
  image_progress_set (d->prog, d->line, 0);
  return image_store_blob_begin (d->store, &d->w, err);
}

/* Fetch the blobs of DESCS the store lacks, all at once.  What completes
   is kept even when another fails: the next pull reuses it.  */
static int
fetch_blobs (struct image_registry *r, struct image_store *store, const char *repo,
             oci_image_descriptor **descs, size_t n, struct image_progress *prog, skiff_error_t *err)
{
  cleanup_free struct blob_dl *dl = xmalloc0 (n * sizeof *dl);
  cleanup_free struct image_http_req **reqs = xmalloc0 (n * sizeof *reqs);
  size_t i, j, m = 0;
  int ret = 0;

  for (i = 0; i < n; i++)
    {
      bool dup = false;
      for (j = 0; j < i; j++)
        dup |= strcmp (descs[j]->digest, descs[i]->digest) == 0;
      if (dup)
        continue;
      if (image_store_has_blob (store, descs[i]->digest))
        {
          image_progress_end (prog, image_progress_add (prog, "Copying blob", descs[i]->digest, descs[i]->size),
                              "exists");
          continue;
        }
      struct blob_dl *d = &dl[m];
      d->store = store;
      d->digest = descs[i]->digest;
      d->size = descs[i]->size;
      d->prog = prog;
      d->line = image_progress_add (prog, "Copying blob", d->digest, d->size);
      d->url = xasprintf ("%s/v2/%s/blobs/%s", image_registry_base (r), repo, d->digest);
      image_http_req_init (&d->req, "GET", d->url);
      d->req.follow_redirects = true;
      d->req.sink = dl_sink;
      d->req.reset = dl_reset;
      d->req.done = dl_done;
      d->req.ctx = d;
      reqs[m] = &d->req;
      m++;
      if (image_store_blob_begin (store, &d->w, err) < 0)
        {
          ret = -1;
          break;
        }
    }

  if (ret == 0 && m > 0)
    ret = image_registry_run (r, reqs, m, err);
  /* Complete downloads were committed as they finished (dl_done).  */
  for (i = 0; i < m; i++)
    {
      struct blob_dl *d = &dl[i];
      cleanup_error skiff_error_t e = steal_pointer (&d->commit_err);
      int ok = d->committed;

      if (!ok && e == NULL && d->req.err == NULL && d->req.status != 0 && d->req.status != 200)
        image_registry_status_error (&d->req, &e);
      if (d->w)
        image_blob_abort (d->w);
      image_progress_end (prog, d->line, ok ? "done" : "failed");
      if (!ok && ret == 0)
        {
          if (e == NULL && d->req.err)
            e = steal_pointer (&d->req.err);
          ret = e ? skiff_error_plain (err, skiff_error_errno (&e), "%s", e->msg)
                  : skiff_error_plain (err, EIO, "blob %s: not downloaded", d->digest);
        }
      image_http_req_clear (&d->req);
      free (d->url);
    }
  return ret;
}

/* The config must be an image config whose diff_ids match the layers.  */
static int
check_config (struct image_store *store, const oci_image_manifest *m, skiff_error_t *err)
{
  cleanup_free char *data = NULL, *perr = NULL;
  size_t len;
  oci_image_config *c;
  int ret = 0;

  if (image_store_read_blob (store, m->config->digest, &data, &len, err) < 0)
    return -1;
  c = oci_image_config_parse_data (data, len, "config", &perr);
  if (c == NULL)
    return skiff_error_plain (err, EBADMSG, "%s", perr ? perr : "config: invalid");
  if (c->rootfs->diff_ids_len != m->layers_len)
    ret = skiff_error_plain (err, EBADMSG, "the config has %zu diff_ids for %zu layers",
                             c->rootfs->diff_ids_len, m->layers_len);
  oci_image_config_free (c);
  return ret;
}

int
image_pull (struct image_store *store, const char *refstr, const struct image_pull_opts *o,
            char image_id[IMAGE_DIGEST_LEN], skiff_error_t *err)
{
  cleanup_ref struct image_ref ref = { 0 };
  cleanup_registry struct image_registry *r = NULL;
  cleanup_free char *name = NULL, *scope = NULL, *chosen = NULL;
  struct image_manifest_blob mb = { 0 };
  struct platform plat = { 0 };
  struct image_progress *prog = NULL;
  oci_image_manifest *m = NULL;
  oci_image_descriptor **descs = NULL;
  int ret;

  if (image_ref_parse (refstr, &ref, err) < 0)
    return -1;
  if (o->platform ? parse_platform (o->platform, &plat, err) < 0 : (host_platform (&plat), 0))
    {
      platform_clear (&plat);
      return -1;
    }
  name = image_ref_string (&ref);
  ret = image_registry_open (ref.registry, &o->reg, &r, err);
  if (ret == 0)
    {
      scope = xasprintf ("repository:%s:pull", ref.repository);
      ret = image_registry_authorize (r, scope, err);
    }
  if (ret == 0)
    ret = image_registry_get_manifest (r, ref.repository, ref.digest ? ref.digest : ref.tag, &mb, err);
  if (ret == 0 && (strcmp (mb.media_type ? mb.media_type : "", IMAGE_MT_OCI_INDEX) == 0
                   || strcmp (mb.media_type ? mb.media_type : "", IMAGE_MT_DOCKER_LIST) == 0))
    {
      ret = select_platform (&mb, &plat, &chosen, err);
      image_manifest_blob_clear (&mb);
      if (ret == 0)
        ret = image_registry_get_manifest (r, ref.repository, chosen, &mb, err);
    }
  if (ret == 0 && (mb.media_type == NULL || (strcmp (mb.media_type, IMAGE_MT_OCI_MANIFEST) != 0
                                             && strcmp (mb.media_type, IMAGE_MT_DOCKER_MANIFEST) != 0)))
    ret = skiff_error_plain (err, EBADMSG, "unknown manifest media type `%s`",
                             mb.media_type ? mb.media_type : "(none)");
  if (ret == 0)
    ret = check_manifest (&mb, &m, err);
  if (ret == 0)
    {
      descs = xmalloc ((m->layers_len + 1) * sizeof *descs);
      descs[0] = m->config;
      memcpy (descs + 1, m->layers, m->layers_len * sizeof *descs);
      /* A blob found in the store is not fetched; when rmi or prune takes
         it before the tag (ESTALE), fetching again brings it back.  */
      for (int tries = 0;; tries++)
        {
          prog = image_progress_new (o->reg.quiet);
          ret = fetch_blobs (r, store, ref.repository, descs, m->layers_len + 1, prog, err);
          image_progress_free (prog);
          if (ret == 0)
            ret = check_config (store, m, err);
          if (ret == 0)
            ret = image_store_put_blob (store, mb.data, mb.len, mb.digest, NULL, err);
          if (ret == 0)
            ret = image_store_tag (store, name, mb.digest, mb.media_type, (int64_t) mb.len, err);
          if (ret == 0 || err == NULL || *err == NULL || (*err)->status != ESTALE || tries == 2)
            break;
          skiff_error_free (err);
        }
    }
  if (ret == 0)
    snprintf (image_id, IMAGE_DIGEST_LEN, "%s", m->config->digest);
  free (descs);
  oci_image_manifest_free (m);
  image_manifest_blob_clear (&mb);
  platform_clear (&plat);
  if (ret < 0)
    return skiff_error_wrap (err, "pull %s", refstr);
  return 0;
}
