/* skiff-image: talking to one registry: transport, authentication,
   manifests, login (see registry.h).  */
#include <config.h>
#include "registry.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <yajl/yajl_tree.h>

#include "auth.h"
#include "utils.h"

struct image_registry
{
  char *name; /* as in references: "docker.io", "127.0.0.1:5000" */
  char *base; /* "https://registry-1.docker.io" */
  struct image_http *http;
  char *user, *pass;
  char *challenge;   /* WWW-Authenticate of /v2/, NULL when none is needed */
  char *auth_header; /* "Authorization: ..." sent with every request */
  char *scopes;      /* what AUTH_HEADER was obtained for */
};

const char *
image_registry_base (struct image_registry *r)
{
  return r->base;
}

const char *
image_registry_name (struct image_registry *r)
{
  return r->name;
}

struct image_http *
image_registry_http (struct image_registry *r)
{
  return r->http;
}

void
image_registry_free (struct image_registry *r)
{
  if (r == NULL)
    return;
  image_http_free (r->http);
  free (r->name);
  free (r->base);
  free (r->user);
  if (r->pass)
    explicit_bzero (r->pass, strlen (r->pass));
  free (r->pass);
  free (r->challenge);
  if (r->auth_header)
    explicit_bzero (r->auth_header, strlen (r->auth_header));
  free (r->auth_header);
  free (r->scopes);
  free (r);
}

void
image_registry_freep (struct image_registry **r)
{
  image_registry_free (*r);
}

static const char *
strip_scheme (const char *s)
{
  if (strncmp (s, "https://", 8) == 0)
    return s + 8;
  if (strncmp (s, "http://", 7) == 0)
    return s + 7;
  return s;
}

/* Plain HTTP is allowed to a registry on this machine, as podman does.  */
static bool
is_local (const char *name)
{
  size_t hl = name[0] == '[' ? strcspn (name, "]") + 1 : strcspn (name, ":");
  return (hl == 9 && strncmp (name, "localhost", 9) == 0) || strncmp (name, "127.", 4) == 0
         || strncmp (name, "[::1]", 5) == 0;
}

/* The first line of an error answer: the registry's {"errors":[...]}
   message, or the start of the body.  */
static char *
body_message (const struct image_http_req *q)
{
  static const char *errors_path[] = { "errors", NULL };
  static const char *code_path[] = { "code", NULL };
  static const char *message_path[] = { "message", NULL };
  yajl_val tree, errs, e, code, msg;
  char *out = NULL;
  size_t n;

  if (q->resp_body == NULL || q->resp_len == 0)
    return NULL;
  tree = yajl_tree_parse (q->resp_body, NULL, 0);
  errs = tree ? yajl_tree_get (tree, errors_path, yajl_t_array) : NULL;
  if (errs && errs->u.array.len > 0)
    {
      e = errs->u.array.values[0];
      code = yajl_tree_get (e, code_path, yajl_t_string);
      msg = yajl_tree_get (e, message_path, yajl_t_string);
      out = xasprintf ("%s%s%s", code ? YAJL_GET_STRING (code) : "", code && msg ? ": " : "",
                       msg ? YAJL_GET_STRING (msg) : "");
    }
  yajl_tree_free (tree);
  if (out)
    return out;
  n = strcspn (q->resp_body, "\r\n");
  if (n > 200)
    n = 200;
  for (size_t i = 0; i < n; i++)
    if ((unsigned char) q->resp_body[i] < 0x20)
      return NULL;
  return n ? strndup (q->resp_body, n) : NULL;
}

int
image_registry_status_error (struct image_http_req *q, skiff_error_t *err)
{
  cleanup_free char *msg = body_message (q);
  int errnum = q->status == 404 ? ENOENT : q->status == 401 || q->status == 403 ? EACCES : EIO;
  const char *hint = q->status == 401 && msg == NULL ? ", authentication required" : "";
  char tries[32] = "";
  if (q->tries > 1)
    snprintf (tries, sizeof tries, " (%d tries)", q->tries);
  return skiff_error_plain (err, errnum, "%s %s: HTTP %ld%s%s%s%s%s", q->method ? q->method : "GET", q->url,
                            q->status, hint, msg ? " (" : "", msg ? msg : "", msg ? ")" : "", tries);
}

static char *
json_string_member (const char *data, const char *key)
{
  const char *path[] = { key, NULL };
  yajl_val tree = yajl_tree_parse (data, NULL, 0), v;
  char *out = NULL;
  v = tree ? yajl_tree_get (tree, path, yajl_t_string) : NULL;
  if (v)
    out = xstrdup (YAJL_GET_STRING (v));
  yajl_tree_free (tree);
  return out;
}

/* A Bearer token for SCOPES from the realm of CHALLENGE.  */
static int
fetch_token (struct image_registry *r, const char *challenge, const char *scopes, char **token,
             skiff_error_t *err)
{
  cleanup_free char *realm = image_http_challenge_param (challenge, "realm");
  cleanup_free char *service = image_http_challenge_param (challenge, "service");
  cleanup_free char *url = NULL, *basic = NULL, *tok = NULL;
  char *sep;
  const char *hdrs[2] = { NULL, NULL };
  struct image_http_req q, *qp = &q;
  size_t cap;
  int ret;

  if (realm == NULL || (strncmp (realm, "https://", 8) != 0 && strncmp (realm, "http://", 7) != 0))
    return skiff_error_plain (err, EPROTO, "%s: the Bearer challenge has no http(s) realm", r->name);

  cap = strlen (realm) + 64 + (service ? 3 * strlen (service) : 0) + (scopes ? 4 * strlen (scopes) : 0)
        + (r->user ? 3 * strlen (r->user) : 0);
  url = xmalloc (cap);
  strcpy (url, realm);
  sep = strchr (realm, '?') ? "&" : "?";
  if (service)
    {
      cleanup_free char *e = image_http_escape (service);
      strcat (strcat (strcat (url, sep), "service="), e);
      sep = "&";
    }
  for (const char *s = scopes; s && *s;)
    {
      size_t n = strcspn (s, " ");
      if (n)
        {
          cleanup_free char *one = strndup (s, n);
          cleanup_free char *e = image_http_escape (one);
          strcat (strcat (strcat (url, sep), "scope="), e);
          sep = "&";
        }
      s += n;
      while (*s == ' ')
        s++;
    }
  if (r->user)
    {
      cleanup_free char *e = image_http_escape (r->user);
      cleanup_free char *b64 = image_auth_encode (r->user, r->pass);
      strcat (strcat (strcat (url, sep), "account="), e);
      basic = xasprintf ("Authorization: Basic %s", b64);
      hdrs[0] = basic;
    }

  image_http_req_init (&q, "GET", url);
  q.headers = hdrs;
  q.follow_redirects = true;
  ret = image_http_run (r->http, &qp, 1, err);
  if (ret == 0 && q.status != 200)
    ret = image_registry_status_error (&q, err);
  if (ret == 0)
    {
      tok = json_string_member (q.resp_body, "token");
      if (tok == NULL)
        tok = json_string_member (q.resp_body, "access_token");
      if (tok == NULL || *tok == '\0')
        ret = skiff_error_plain (err, EPROTO, "GET %s: no token in the answer", realm);
    }
  if (basic)
    explicit_bzero (basic, strlen (basic));
  image_http_req_clear (&q);
  if (ret < 0)
    return skiff_error_wrap (err, "%s: token", r->name);
  *token = steal_pointer (&tok);
  return 0;
}

static int
authorize_with (struct image_registry *r, const char *challenge, const char *scopes, skiff_error_t *err)
{
  free (r->auth_header);
  r->auth_header = NULL;
  free (r->scopes);
  r->scopes = scopes ? xstrdup (scopes) : NULL;
  if (challenge == NULL)
    return 0;
  if (strncasecmp (challenge, "Basic", 5) == 0)
    {
      cleanup_free char *b64 = NULL;
      if (r->user == NULL)
        return 0; /* the requests say what is missing */
      b64 = image_auth_encode (r->user, r->pass);
      r->auth_header = xasprintf ("Authorization: Basic %s", b64);
      return 0;
    }
  if (strncasecmp (challenge, "Bearer", 6) == 0)
    {
      cleanup_free char *token = NULL;
      if (fetch_token (r, challenge, scopes, &token, err) < 0)
        return -1;
      r->auth_header = xasprintf ("Authorization: Bearer %s", token);
      explicit_bzero (token, strlen (token));
      return 0;
    }
  return skiff_error_plain (err, EPROTO, "%s: unsupported authentication scheme in `%s`", r->name, challenge);
}

int
image_registry_authorize (struct image_registry *r, const char *scopes, skiff_error_t *err)
{
  return authorize_with (r, r->challenge, scopes, err);
}

int
image_registry_run (struct image_registry *r, struct image_http_req **reqs, size_t n, skiff_error_t *err)
{
  cleanup_free struct image_http_req **again = xmalloc0 (n * sizeof *again);
  cleanup_free const char **hdrs = NULL;
  size_t total_hdrs = 0, i, k;

  for (i = 0; i < n; i++)
    for (k = 0; reqs[i]->headers && reqs[i]->headers[k]; k++)
      total_hdrs++;
  hdrs = xmalloc0 ((total_hdrs + 2 * n) * sizeof *hdrs);

  for (int round = 0; round < 2; round++)
    {
      const char *const *saved[n];
      const char *challenge = NULL;
      size_t used = 0, m = 0;
      int ret;

      for (i = 0; i < n; i++)
        {
          const char **h = hdrs + used;
          size_t j = 0;
          if (r->auth_header)
            h[j++] = r->auth_header;
          for (k = 0; reqs[i]->headers && reqs[i]->headers[k]; k++)
            h[j++] = reqs[i]->headers[k];
          h[j++] = NULL;
          used += j;
          saved[i] = reqs[i]->headers;
          reqs[i]->headers = h;
        }
      ret = image_http_run (r->http, reqs, n, err);
      for (i = 0; i < n; i++)
        reqs[i]->headers = saved[i];
      if (ret < 0 || round == 1)
        return ret;

      for (i = 0; i < n; i++)
        if (reqs[i]->status == 401)
          {
            again[m++] = reqs[i];
            if (challenge == NULL)
              challenge = reqs[i]->www_authenticate;
          }
      if (m == 0 || challenge == NULL)
        return 0;
      /* A token that expired, or a registry that wants other scopes: the
         challenge names them.  */
      {
        cleanup_free char *scope = image_http_challenge_param (challenge, "scope");
        cleanup_free char *scopes = NULL;
        cleanup_free char *ch = xstrdup (challenge);
        if (scope && (r->scopes == NULL || strstr (r->scopes, scope) == NULL))
          scopes = r->scopes ? xasprintf ("%s %s", r->scopes, scope) : xstrdup (scope);
        else
          scopes = r->scopes ? xstrdup (r->scopes) : NULL;
        if (authorize_with (r, ch, scopes, err) < 0)
          return -1;
        if (r->auth_header == NULL)
          return 0; /* nothing new to try: the 401 stands */
      }
      reqs = again;
      n = m;
    }
  return 0;
}

/* GET /v2/ at BASE: the registry's answer says what authentication it
   wants.  */
static int
ping (struct image_registry *r, const char *base, skiff_error_t *err)
{
  cleanup_free char *url = xasprintf ("%s/v2/", base);
  struct image_http_req q, *qp = &q;
  int ret;

  image_http_req_init (&q, "GET", url);
  q.follow_redirects = true;
  ret = image_http_run (r->http, &qp, 1, err);
  if (ret == 0)
    {
      if (q.status == 401 && q.www_authenticate)
        r->challenge = xstrdup (q.www_authenticate);
      else if (q.status != 200)
        ret = image_registry_status_error (&q, err);
    }
  image_http_req_clear (&q);
  return ret;
}

int
image_registry_open (const char *registry, const struct image_registry_opts *o,
                     struct image_registry **out, skiff_error_t *err)
{
  struct image_registry *r = xmalloc0 (sizeof *r);
  struct image_http_opts ho;
  cleanup_free char *ca = NULL, *https = NULL;
  const char *host;
  bool plain_ok;
  int ret;

  r->name = xstrdup (registry);
  host = strcmp (registry, "docker.io") == 0 ? "registry-1.docker.io" : registry;
  plain_ok = o->tls_verify == 0 || (o->tls_verify < 0 && is_local (registry));

  image_http_default_opts (&ho);
  ho.tls_verify = o->tls_verify != 0;
  ca = o->cert_dir ? xasprintf ("%s/ca.crt", o->cert_dir)
                   : xasprintf ("/etc/containers/certs.d/%s/ca.crt", registry);
  if (access (ca, R_OK) == 0)
    ho.ca_file = ca;
  else if (o->cert_dir)
    {
      image_registry_free (r);
      return skiff_error_sys (err, "--cert-dir: `%s`", ca);
    }
  ret = image_http_new (&ho, &r->http, err);
  if (ret < 0)
    {
      image_registry_free (r);
      return ret;
    }

  if (o->username)
    {
      r->user = xstrdup (o->username);
      r->pass = xstrdup (o->password ? o->password : "");
    }
  else if (image_auth_lookup (o->authfile, registry, &r->user, &r->pass, err) < 0)
    {
      image_registry_free (r);
      return -1;
    }

  https = xasprintf ("https://%s", host);
  ret = ping (r, https, err);
  if (ret < 0 && plain_ok)
    {
      cleanup_error skiff_error_t plain_err = NULL;
      cleanup_free char *http = xasprintf ("http://%s", host);
      if (ping (r, http, &plain_err) == 0)
        {
          skiff_error_free (err);
          r->base = steal_pointer (&http);
          ret = 0;
        }
    }
  else if (ret == 0)
    r->base = steal_pointer (&https);
  if (ret < 0)
    {
      image_registry_free (r);
      return skiff_error_wrap (err, "registry %s", registry);
    }
  *out = r;
  return 0;
}

void
image_manifest_blob_clear (struct image_manifest_blob *m)
{
  free (m->data);
  free (m->media_type);
  memset (m, 0, sizeof *m);
}

static bool
is_manifest_type (const char *mt)
{
  return strcmp (mt, IMAGE_MT_OCI_MANIFEST) == 0 || strcmp (mt, IMAGE_MT_OCI_INDEX) == 0
         || strcmp (mt, IMAGE_MT_DOCKER_MANIFEST) == 0 || strcmp (mt, IMAGE_MT_DOCKER_LIST) == 0;
}

int
image_registry_get_manifest (struct image_registry *r, const char *repo, const char *reference,
                             struct image_manifest_blob *out, skiff_error_t *err)
{
  static const char accept[] = "Accept: " IMAGE_MT_OCI_MANIFEST ", " IMAGE_MT_OCI_INDEX
                               ", " IMAGE_MT_DOCKER_MANIFEST ", " IMAGE_MT_DOCKER_LIST;
  const char *hdrs[] = { accept, NULL };
  cleanup_free char *url = xasprintf ("%s/v2/%s/manifests/%s", r->base, repo, reference);
  struct image_http_req q, *qp = &q;
  int ret;

  memset (out, 0, sizeof *out);
  image_http_req_init (&q, "GET", url);
  q.headers = hdrs;
  q.follow_redirects = true;
  ret = image_registry_run (r, &qp, 1, err);
  if (ret == 0 && q.status != 200)
    ret = image_registry_status_error (&q, err);
  if (ret == 0)
    {
      char *mt = q.content_type ? strndup (q.content_type, strcspn (q.content_type, "; ")) : NULL;
      /* Some registries answer a generic type: the document says its own.  */
      if (mt == NULL || !is_manifest_type (mt))
        {
          char *own = q.resp_body ? json_string_member (q.resp_body, "mediaType") : NULL;
          if (own)
            {
              free (mt);
              mt = own;
            }
        }
      out->media_type = mt;
      out->data = steal_pointer (&q.resp_body);
      out->len = q.resp_len;
      if (out->data == NULL)
        out->data = xstrdup ("");
      image_digest_buffer (out->data, out->len, out->digest);
      if (strncmp (reference, "sha256:", 7) == 0 && strcmp (reference, out->digest) != 0)
        ret = skiff_error_plain (err, EBADMSG, "manifest %s: its content has the digest %s", reference,
                                 out->digest);
      else if (q.docker_digest && strncmp (q.docker_digest, "sha256:", 7) == 0
               && strcmp (q.docker_digest, out->digest) != 0)
        ret = skiff_error_plain (err, EBADMSG,
                                 "manifest %s: the registry says its digest is %s, its content has %s",
                                 reference, q.docker_digest, out->digest);
    }
  image_http_req_clear (&q);
  if (ret < 0)
    image_manifest_blob_clear (out);
  return ret;
}

int
image_login (const char *registry, const struct image_registry_opts *o, skiff_error_t *err)
{
  cleanup_registry struct image_registry *r = NULL;
  cleanup_free char *url = NULL;
  const char *name = strip_scheme (registry);
  struct image_http_req q, *qp = &q;
  int ret;

  if (image_registry_open (name, o, &r, err) < 0)
    return -1;
  if (r->challenge == NULL)
    return skiff_error_plain (err, EINVAL, "%s: the registry asks for no credentials", name);
  /* A token issued for these credentials (no scope), or Basic itself,
     must open /v2/.  */
  if (image_registry_authorize (r, NULL, err) < 0)
    return skiff_error_wrap (err, "login %s", name);
  url = xasprintf ("%s/v2/", r->base);
  image_http_req_init (&q, "GET", url);
  ret = image_registry_run (r, &qp, 1, err);
  if (ret == 0 && q.status != 200)
    ret = image_registry_status_error (&q, err);
  image_http_req_clear (&q);
  if (ret < 0)
    return skiff_error_wrap (err, "login %s", name);
  return image_auth_store (o->authfile, name, o->username, o->password, err);
}
