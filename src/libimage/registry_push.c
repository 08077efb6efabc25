/* skiff-image: push: HEAD every blob, mount from the image's own
   repository when it is on the same registry, upload what is missing (all
   in parallel), then PUT the exact manifest bytes of the store, so a pushed
   image keeps the digests it was pulled with.  */
#include <config.h>
#include "registry.h"

#include <errno.h>
#include <string.h>

#include <curl/curl.h>

#include "ocispec/image.h"
#include "progress.h"
#include "ref.h"
#include "store.h"
#include "utils.h"

struct blob_up
{
  const char *digest;
  int64_t size;
  int line;
  struct image_progress *prog;
  bool done;
  char *url, *upload_url;
  int fd;
  struct image_http_req req;
};

/* LOCATION (maybe relative) against BASE, with "digest=DIGEST" added.  */
static char *
upload_url (const char *base, const char *location, const char *digest)
{
  cleanup_free char *root = xasprintf ("%s/", base);
  cleanup_free char *q = xasprintf ("digest=%s", digest);
  CURLU *u = curl_url ();
  char *out = NULL;

  if (u && curl_url_set (u, CURLUPART_URL, root, 0) == CURLUE_OK
      && curl_url_set (u, CURLUPART_URL, location, 0) == CURLUE_OK
      && curl_url_set (u, CURLUPART_QUERY, q, CURLU_APPENDQUERY | CURLU_URLENCODE) == CURLUE_OK)
    {
      char *s = NULL;
      if (curl_url_get (u, CURLUPART_URL, &s, 0) == CURLUE_OK)
        out = xstrdup (s);
      curl_free (s);
    }
  curl_url_cleanup (u);
  return out;
}

static void
on_sent (struct image_http_req *r, int64_t bytes)
{
  struct blob_up *u = r->ctx;
  image_progress_set (u->prog, u->line, bytes);
}

/* Runs the requests of UPS that are not done yet, all at once.  */
static int
run_step (struct image_registry *r, struct blob_up *ups, size_t n, skiff_error_t *err)
{
  cleanup_free struct image_http_req **reqs = xmalloc0 (n * sizeof *reqs);
  size_t i, m = 0;
  for (i = 0; i < n; i++)
    if (!ups[i].done && ups[i].req.url)
      reqs[m++] = &ups[i].req;
  return m ? image_registry_run (r, reqs, m, err) : 0;
}

int
image_push (struct image_store *store, const char *image, const char *dest,
            const struct image_registry_opts *o, char manifest_digest[IMAGE_DIGEST_LEN], skiff_error_t *err)
{
  cleanup_ref struct image_ref dst = { 0 };
  cleanup_ref struct image_ref src = { 0 };
  cleanup_registry struct image_registry *r = NULL;
  cleanup_free char *manifest = NULL, *perr = NULL, *scopes = NULL, *murl = NULL, *ctype = NULL;
  cleanup_free struct blob_up *ups = NULL;
  cleanup_free oci_image_descriptor **descs = NULL;
  struct image_desc desc = { 0 };
  struct image_progress *prog = NULL;
  oci_image_manifest *m = NULL;
  const char *from = NULL, *mhdrs[2];
  struct image_http_req mq, *mqp = &mq;
  size_t len, i, n = 0;
  int ret;

  image_http_req_init (&mq, "PUT", NULL);
  if (image_store_resolve (store, image, &desc, err) < 0)
    return skiff_error_wrap (err, "push %s", image);
  if (dest && strncmp (dest, "docker://", 9) == 0)
    dest += 9;
  if (dest == NULL && desc.ref_name == NULL)
    {
      image_desc_clear (&desc);
      return skiff_error_plain (err, EINVAL, "push %s: the image has no name: give a DEST-REF", image);
    }
  ret = image_ref_parse (dest ? dest : desc.ref_name, &dst, err);
  if (ret == 0 && dst.tag == NULL && dst.digest == NULL)
    ret = skiff_error_plain (err, EINVAL, "%s: no tag to push to", dest);
  if (ret == 0)
    ret = image_store_read_blob (store, desc.manifest_digest, &manifest, &len, err);
  if (ret == 0)
    {
      m = oci_image_manifest_parse_data (manifest, len, "manifest", &perr);
      if (m == NULL)
        ret = skiff_error_plain (err, EBADMSG, "stored %s", perr ? perr : "manifest: invalid");
    }
  if (ret < 0)
    goto out;

  /* The registry can link a blob from the repository the image came from
     instead of receiving it again.  */
  if (desc.ref_name && image_ref_parse (desc.ref_name, &src, NULL) == 0 && strcmp (src.registry, dst.registry) == 0
      && strcmp (src.repository, dst.repository) != 0)
    from = src.repository;
  scopes = from ? xasprintf ("repository:%s:pull,push repository:%s:pull", dst.repository, from)
                : xasprintf ("repository:%s:pull,push", dst.repository);
  ret = image_registry_open (dst.registry, o, &r, err);
  if (ret == 0)
    ret = image_registry_authorize (r, scopes, err);
  if (ret < 0)
    goto out;

  descs = xmalloc ((m->layers_len + 1) * sizeof *descs);
  for (i = 0; i <= m->layers_len; i++)
    {
      oci_image_descriptor *d = i == 0 ? m->config : m->layers[i - 1];
      bool dup = false;
      for (size_t j = 0; j < n; j++)
        dup |= strcmp (descs[j]->digest, d->digest) == 0;
      if (!dup)
        descs[n++] = d;
    }
  ups = xmalloc0 (n * sizeof *ups);
  prog = image_progress_new (o->quiet);
  for (i = 0; i < n; i++)
    {
      ups[i].digest = descs[i]->digest;
      ups[i].size = descs[i]->size;
      ups[i].fd = -1;
      ups[i].line = image_progress_add (prog, "Copying blob", ups[i].digest, ups[i].size);
      ups[i].url = xasprintf ("%s/v2/%s/blobs/%s", image_registry_base (r), dst.repository, ups[i].digest);
      image_http_req_init (&ups[i].req, "HEAD", ups[i].url);
      ups[i].req.follow_redirects = true;
    }

  /* 1. What the registry has already.  */
  ret = run_step (r, ups, n, err);
  for (i = 0; ret == 0 && i < n; i++)
    {
      if (ups[i].req.status == 200)
        {
          ups[i].done = true;
          image_progress_end (prog, ups[i].line, "exists");
        }
      else if (ups[i].req.status != 404)
        ret = image_registry_status_error (&ups[i].req, err);
      image_http_req_clear (&ups[i].req);
      free (ups[i].url);
      ups[i].url = NULL;
    }

  /* 2. Start an upload, or mount.  */
  for (i = 0; ret == 0 && i < n; i++)
    if (!ups[i].done)
      {
        cleanup_free char *d = from ? image_http_escape (ups[i].digest) : NULL;
        cleanup_free char *f = from ? image_http_escape (from) : NULL;
        ups[i].url = from ? xasprintf ("%s/v2/%s/blobs/uploads/?mount=%s&from=%s", image_registry_base (r),
                                       dst.repository, d, f)
                          : xasprintf ("%s/v2/%s/blobs/uploads/", image_registry_base (r), dst.repository);
        image_http_req_init (&ups[i].req, "POST", ups[i].url);
      }
  if (ret == 0)
    ret = run_step (r, ups, n, err);
  for (i = 0; ret == 0 && i < n; i++)
    if (!ups[i].done)
      {
        if (ups[i].req.status == 201 && from)
          {
            ups[i].done = true;
            image_progress_end (prog, ups[i].line, "mounted");
          }
        else if (ups[i].req.status != 202 || ups[i].req.location == NULL)
          ret = image_registry_status_error (&ups[i].req, err);
        else if ((ups[i].upload_url = upload_url (image_registry_base (r), ups[i].req.location, ups[i].digest))
                 == NULL)
          ret = skiff_error_plain (err, EPROTO, "POST %s: invalid upload location `%s`", ups[i].url,
                                   ups[i].req.location);
        image_http_req_clear (&ups[i].req);
        free (ups[i].url);
        ups[i].url = NULL;
      }

  /* 3. The blobs themselves, straight from the store's files.  */
  for (i = 0; ret == 0 && i < n; i++)
    if (!ups[i].done)
      {
        static const char *const octet[] = { "Content-Type: application/octet-stream", NULL };
        ret = image_store_open_blob (store, ups[i].digest, &ups[i].fd, err);
        image_http_req_init (&ups[i].req, "PUT", ups[i].upload_url);
        ups[i].req.headers = octet;
        ups[i].req.body_fd = ups[i].fd;
        ups[i].req.body_size = ups[i].size;
        ups[i].req.ctx = &ups[i];
        ups[i].req.sent = on_sent;
        ups[i].prog = prog;
      }
  if (ret == 0)
    ret = run_step (r, ups, n, err);
  for (i = 0; ret == 0 && i < n; i++)
    if (!ups[i].done)
      {
        if (ups[i].req.status != 201)
          ret = image_registry_status_error (&ups[i].req, err);
        else
          {
            ups[i].done = true;
            image_progress_set (prog, ups[i].line, ups[i].size);
            image_progress_end (prog, ups[i].line, "done");
          }
      }

  /* 4. The manifest, byte for byte.  */
  if (ret == 0)
    {
      murl = xasprintf ("%s/v2/%s/manifests/%s", image_registry_base (r), dst.repository,
                        dst.tag ? dst.tag : dst.digest);
      ctype = xasprintf ("Content-Type: %s", desc.media_type);
      mhdrs[0] = ctype;
      mhdrs[1] = NULL;
      mq.url = murl;
      mq.headers = mhdrs;
      mq.body = manifest;
      mq.body_len = len;
      ret = image_registry_run (r, &mqp, 1, err);
      if (ret == 0 && mq.status != 201)
        ret = image_registry_status_error (&mq, err);
      if (ret == 0 && mq.docker_digest && strcmp (mq.docker_digest, desc.manifest_digest) != 0)
        ret = skiff_error_plain (err, EBADMSG, "PUT %s: the registry stored digest %s, ours is %s", murl,
                                 mq.docker_digest, desc.manifest_digest);
      if (ret == 0)
        snprintf (manifest_digest, IMAGE_DIGEST_LEN, "%s", desc.manifest_digest);
    }

out:
  image_progress_free (prog);
  for (i = 0; ups && i < n; i++)
    {
      image_http_req_clear (&ups[i].req);
      free (ups[i].url);
      free (ups[i].upload_url);
      close_fd (&ups[i].fd);
    }
  image_http_req_clear (&mq);
  oci_image_manifest_free (m);
  image_desc_clear (&desc);
  if (ret < 0)
    return skiff_error_wrap (err, "push %s", image);
  return 0;
}
