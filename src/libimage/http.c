/* skiff-image: HTTP requests over libcurl multi (see http.h).  */
#include <config.h>
#include "http.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "log.h"
#include "utils.h"

/* Manifests are at most 4 MiB in the distribution spec; error bodies are
   small.  Anything bigger held in memory is refused.  */
#define MEM_BODY_MAX (8u << 20)
#define BACKOFF_FIRST_MS 250
#define BACKOFF_MAX_MS 8000

struct image_http
{
  CURLM *multi; /* kept for the whole run: it owns the connection cache */
  struct image_http_opts o;
  char *ca_blob; /* system bundle + extra CAs, when extra CAs are given */
  size_t ca_blob_len;
};

enum xfer_state { XFER_WAITING, XFER_ACTIVE, XFER_DONE };

struct image_http_xfer
{
  CURL *easy;
  struct curl_slist *hdrs;
  enum xfer_state state;
  int attempt;
  long long not_before_ms;
  int64_t upload_off;
  bool sink_failed;
  char errbuf[CURL_ERROR_SIZE];
};

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long
env_long (const char *name, long def, long min)
{
  const char *v = getenv (name);
  unsigned long long n;
  if (v == NULL || parse_uint64 (v, &n) < 0 || (long long) n < min || n > 86400)
    return def;
  return (long) n;
}

void
image_http_default_opts (struct image_http_opts *o)
{
  o->tls_verify = true;
  o->ca_file = NULL;
  o->stall_timeout_s = env_long ("SKIFF_IMAGE_TIMEOUT", 30, 1);
  o->max_attempts = (int) env_long ("SKIFF_IMAGE_RETRIES", 3, 0) + 1;
  o->max_parallel = 6;
}

int
image_http_new (const struct image_http_opts *o, struct image_http **out, skiff_error_t *err)
{
  static bool inited;
  struct image_http *h;

  if (!inited)
    {
      CURLcode c = curl_global_init (CURL_GLOBAL_DEFAULT);
      if (c != CURLE_OK)
        return skiff_error_make (err, 0, "libcurl init: %s", curl_easy_strerror (c));
      inited = true;
    }
  h = xmalloc0 (sizeof *h);
  h->o = *o;
  if (h->o.max_attempts < 1)
    h->o.max_attempts = 1;
  if (h->o.max_parallel < 1)
    h->o.max_parallel = 1;
  if (o->ca_file)
    {
      /* CURLOPT_CAINFO would replace the system's CAs: trust both.  */
      cleanup_free char *sys = NULL, *extra = NULL;
      size_t sys_len = 0, extra_len = 0;
      cleanup_error skiff_error_t ignored = NULL;
      if (read_file_at (AT_FDCWD, o->ca_file, &extra, &extra_len, err) < 0)
        {
          free (h);
          return skiff_error_wrap (err, "CA file");
        }
      if (read_file_at (AT_FDCWD, "/etc/ssl/certs/ca-certificates.crt", &sys, &sys_len, &ignored) < 0)
        sys_len = 0;
      h->ca_blob = xmalloc (sys_len + extra_len + 2);
      if (sys_len)
        memcpy (h->ca_blob, sys, sys_len);
      h->ca_blob[sys_len] = '\n';
      memcpy (h->ca_blob + sys_len + 1, extra, extra_len);
      h->ca_blob_len = sys_len + 1 + extra_len;
    }
  h->multi = curl_multi_init ();
  if (h->multi == NULL)
    {
      free (h->ca_blob);
      free (h);
      return skiff_error_make (err, 0, "libcurl: cannot create a multi handle");
    }
  curl_multi_setopt (h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long) h->o.max_parallel);
  *out = h;
  return 0;
}

void
image_http_free (struct image_http *h)
{
  if (h == NULL)
    return;
  curl_multi_cleanup (h->multi);
  free (h->ca_blob);
  free (h);
}

void
image_http_req_init (struct image_http_req *r, const char *method, const char *url)
{
  memset (r, 0, sizeof *r);
  r->method = method;
  r->url = url;
  r->body_fd = -1;
}

static void
clear_response (struct image_http_req *r)
{
  r->status = 0;
  free (r->resp_body);
  free (r->content_type);
  free (r->docker_digest);
  free (r->location);
  free (r->www_authenticate);
  free (r->retry_after);
  r->resp_body = r->content_type = r->docker_digest = r->location = NULL;
  r->www_authenticate = r->retry_after = NULL;
  r->resp_len = 0;
}

static void
xfer_free (struct image_http_xfer *x)
{
  if (x == NULL)
    return;
  if (x->easy)
    curl_easy_cleanup (x->easy);
  curl_slist_free_all (x->hdrs);
  free (x);
}

void
image_http_req_clear (struct image_http_req *r)
{
  clear_response (r);
  skiff_error_free (&r->err);
  xfer_free (r->priv);
  r->priv = NULL;
}

static long
response_code (struct image_http_xfer *x)
{
  long code = 0;
  curl_easy_getinfo (x->easy, CURLINFO_RESPONSE_CODE, &code);
  return code;
}

static size_t
on_write (char *p, size_t size, size_t nmemb, void *ud)
{
  struct image_http_req *r = ud;
  size_t n = size * nmemb;
  long code = response_code (r->priv);

  if (r->sink && code >= 200 && code < 300)
    {
      if (r->sink (r->ctx, p, n, &r->err) < 0)
        {
          r->priv->sink_failed = true;
          return 0;
        }
      return n;
    }
  if (r->resp_len + n > MEM_BODY_MAX)
    {
      skiff_error_make (&r->err, EFBIG, "%s: response larger than %u bytes", r->url, MEM_BODY_MAX);
      r->priv->sink_failed = true;
      return 0;
    }
  r->resp_body = xrealloc (r->resp_body, r->resp_len + n + 1);
  memcpy (r->resp_body + r->resp_len, p, n);
  r->resp_len += n;
  r->resp_body[r->resp_len] = '\0';
  return n;
}

/* Keep the headers the registry layer reads; a new status line (a redirect
   followed, a 100 Continue) starts over.  */
static size_t
on_header (char *p, size_t size, size_t nmemb, void *ud)
{
  struct image_http_req *r = ud;
  size_t n = size * nmemb, klen;
  static const struct { const char *name; size_t off; } keep[] = {
    { "content-type", offsetof (struct image_http_req, content_type) },
    { "docker-content-digest", offsetof (struct image_http_req, docker_digest) },
    { "location", offsetof (struct image_http_req, location) },
    { "www-authenticate", offsetof (struct image_http_req, www_authenticate) },
    { "retry-after", offsetof (struct image_http_req, retry_after) },
  };
  const char *colon, *v, *end;
  size_t i;

  if (n >= 5 && memcmp (p, "HTTP/", 5) == 0)
    {
      char *body = r->resp_body;
      size_t len = r->resp_len;
      r->resp_body = NULL;
      clear_response (r);
      r->resp_body = body;
      r->resp_len = len;
      return n;
    }
  colon = memchr (p, ':', n);
  if (colon == NULL)
    return n;
  klen = colon - p;
  v = colon + 1;
  end = p + n;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
    end--;
  for (i = 0; i < sizeof keep / sizeof keep[0]; i++)
    if (strlen (keep[i].name) == klen && strncasecmp (p, keep[i].name, klen) == 0)
      {
        char **field = (char **) ((char *) r + keep[i].off);
        free (*field);
        *field = strndup (v, end - v);
        if (*field == NULL)
          return 0;
      }
  return n;
}

static size_t
on_read (char *buf, size_t size, size_t nmemb, void *ud)
{
  struct image_http_req *r = ud;
  struct image_http_xfer *x = r->priv;
  size_t want = size * nmemb;
  int64_t total = r->body_fd >= 0 ? r->body_size : (int64_t) r->body_len;
  int64_t left = total - x->upload_off;

  if (left <= 0)
    return 0;
  if ((int64_t) want > left)
    want = (size_t) left;
  if (r->body_fd >= 0)
    {
      ssize_t got;
      do
        got = pread (r->body_fd, buf, want, x->upload_off);
      while (got < 0 && errno == EINTR);
      if (got <= 0)
        return CURL_READFUNC_ABORT;
      want = (size_t) got;
    }
  else
    memcpy (buf, (const char *) r->body + x->upload_off, want);
  x->upload_off += want;
  if (r->sent)
    r->sent (r, x->upload_off);
  return want;
}

/* A redirect or an auth round trip replays the body from the start.  */
static int
on_seek (void *ud, curl_off_t offset, int origin)
{
  struct image_http_req *r = ud;
  if (origin != SEEK_SET || offset < 0)
    return CURL_SEEKFUNC_CANTSEEK;
  r->priv->upload_off = offset;
  return CURL_SEEKFUNC_OK;
}

static int
xfer_setup (struct image_http *h, struct image_http_req *r, skiff_error_t *err)
{
  struct image_http_xfer *x = xmalloc0 (sizeof *x);
  const char *m = r->method ? r->method : "GET";
  int64_t body_size = r->body_fd >= 0 ? r->body_size : (int64_t) r->body_len;
  bool has_body = r->body_fd >= 0 || r->body != NULL;
  size_t i;
  CURL *e;

  r->priv = x;
  x->easy = e = curl_easy_init ();
  if (e == NULL)
    return skiff_error_make (err, 0, "libcurl: cannot create a handle");
  for (i = 0; r->headers && r->headers[i]; i++)
    x->hdrs = curl_slist_append (x->hdrs, r->headers[i]);
  /* No 100-continue round trip before every upload.  */
  x->hdrs = curl_slist_append (x->hdrs, "Expect:");

  curl_easy_setopt (e, CURLOPT_URL, r->url);
  curl_easy_setopt (e, CURLOPT_PRIVATE, r);
  curl_easy_setopt (e, CURLOPT_HTTPHEADER, x->hdrs);
  curl_easy_setopt (e, CURLOPT_USERAGENT, "skiff-image/" PACKAGE_VERSION);
  curl_easy_setopt (e, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt (e, CURLOPT_ERRORBUFFER, x->errbuf);
  curl_easy_setopt (e, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt (e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  /* curl sends neither a custom Authorization header nor cookies to a
     redirect target on another host, port or scheme
     (CURLOPT_UNRESTRICTED_AUTH stays 0): credentials stay with the
     registry that asked for them.  */
  curl_easy_setopt (e, CURLOPT_FOLLOWLOCATION, r->follow_redirects ? 1L : 0L);
  curl_easy_setopt (e, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt (e, CURLOPT_SSL_VERIFYPEER, h->o.tls_verify ? 1L : 0L);
  curl_easy_setopt (e, CURLOPT_SSL_VERIFYHOST, h->o.tls_verify ? 2L : 0L);
  if (h->ca_blob)
    {
      struct curl_blob blob = { h->ca_blob, h->ca_blob_len, CURL_BLOB_NOCOPY };
      curl_easy_setopt (e, CURLOPT_CAINFO_BLOB, &blob);
    }
  curl_easy_setopt (e, CURLOPT_CONNECTTIMEOUT, h->o.stall_timeout_s);
  curl_easy_setopt (e, CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt (e, CURLOPT_LOW_SPEED_TIME, h->o.stall_timeout_s);
  curl_easy_setopt (e, CURLOPT_BUFFERSIZE, 512L * 1024);
  curl_easy_setopt (e, CURLOPT_WRITEFUNCTION, on_write);
  curl_easy_setopt (e, CURLOPT_WRITEDATA, r);
  curl_easy_setopt (e, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt (e, CURLOPT_HEADERDATA, r);

  if (strcmp (m, "HEAD") == 0)
    curl_easy_setopt (e, CURLOPT_NOBODY, 1L);
  else if (strcmp (m, "GET") != 0)
    {
      if (has_body || strcmp (m, "PUT") == 0)
        {
          curl_easy_setopt (e, CURLOPT_READFUNCTION, on_read);
          curl_easy_setopt (e, CURLOPT_READDATA, r);
          curl_easy_setopt (e, CURLOPT_SEEKFUNCTION, on_seek);
          curl_easy_setopt (e, CURLOPT_SEEKDATA, r);
        }
      if (strcmp (m, "POST") == 0)
        {
          curl_easy_setopt (e, CURLOPT_POST, 1L);
          curl_easy_setopt (e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t) body_size);
          if (!has_body)
            curl_easy_setopt (e, CURLOPT_POSTFIELDS, "");
        }
      else if (has_body || strcmp (m, "PUT") == 0)
        {
          curl_easy_setopt (e, CURLOPT_UPLOAD, 1L);
          curl_easy_setopt (e, CURLOPT_INFILESIZE_LARGE, (curl_off_t) body_size);
        }
      if (strcmp (m, "POST") != 0 && strcmp (m, "PUT") != 0)
        curl_easy_setopt (e, CURLOPT_CUSTOMREQUEST, m);
    }
  return 0;
}

/* Failures that another try can cure: the network, the server's state.
   TLS verification, bad URLs and redirect loops are not.  */
static bool
transient (CURLcode c)
{
  switch (c)
    {
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_PARTIAL_FILE:
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_COULDNT_RESOLVE_HOST:
      return true;
    default:
      return false;
    }
}

static long
backoff_ms (struct image_http_req *r, int attempt)
{
  unsigned long long secs;
  long ms = BACKOFF_FIRST_MS << (attempt > 6 ? 6 : attempt - 1);
  /* A registry that says when to come back is believed, within reason.  */
  if (r->retry_after && parse_uint64 (r->retry_after, &secs) == 0)
    ms = secs > BACKOFF_MAX_MS / 1000 ? BACKOFF_MAX_MS : (long) secs * 1000;
  return ms > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : ms;
}

/* One transfer ended with RES: finish it, or queue it again.  */
static void
xfer_done (struct image_http *h, struct image_http_req *r, CURLcode res)
{
  struct image_http_xfer *x = r->priv;
  const char *m = r->method ? r->method : "GET";
  bool retry = false;

  curl_multi_remove_handle (h->multi, x->easy);
  x->state = XFER_DONE;
  if (x->sink_failed)
    {
      if (r->err == NULL)
        skiff_error_make (&r->err, EIO, "%s %s: writing the response failed", m, r->url);
      return;
    }
  if (res != CURLE_OK)
    {
      skiff_debug ("%s %s: %s (attempt %d)", m, r->url, curl_easy_strerror (res), x->attempt);
      if (transient (res) && x->attempt < h->o.max_attempts)
        retry = true;
      else
        {
          char tries[32] = "";
          if (x->attempt > 1)
            snprintf (tries, sizeof tries, " (%d tries)", x->attempt);
          bool tls = res == CURLE_PEER_FAILED_VERIFICATION || res == CURLE_SSL_CONNECT_ERROR;
          skiff_error_plain (&r->err, res == CURLE_OPERATION_TIMEDOUT ? ETIMEDOUT : EIO,
                             "%s %s: %s%s%s", m, r->url,
                             x->errbuf[0] ? x->errbuf : curl_easy_strerror (res), tries,
                             tls && h->o.tls_verify ? " (a private CA: --cert-dir; no TLS check: --tls-verify=false)" : "");
          return;
        }
    }
  else
    {
      r->status = response_code (x);
      if ((r->status >= 500 || r->status == 429) && x->attempt < h->o.max_attempts)
        retry = true;
    }
  if (res == CURLE_OK)
    skiff_debug ("%s %s: HTTP %ld (attempt %d)", m, r->url, r->status, x->attempt);
  if (!retry)
    return;

  x->not_before_ms = now_ms () + backoff_ms (r, x->attempt);
  x->state = XFER_WAITING;
  x->upload_off = 0;
  x->errbuf[0] = '\0';
  clear_response (r);
  if (r->reset && r->reset (r->ctx, &r->err) < 0)
    x->state = XFER_DONE;
}

int
image_http_run (struct image_http *h, struct image_http_req **reqs, size_t n, skiff_error_t *err)
{
  size_t i, active = 0, done = 0;
  int ret = 0;

  for (i = 0; i < n; i++)
    {
      clear_response (reqs[i]);
      skiff_error_free (&reqs[i]->err);
      xfer_free (reqs[i]->priv);
      reqs[i]->priv = NULL;
      if (xfer_setup (h, reqs[i], &reqs[i]->err) < 0)
        {
          reqs[i]->priv->state = XFER_DONE;
          done++;
        }
    }

  while (done < n)
    {
      long long now = now_ms (), next_wake = now + 1000;
      int running, left;
      CURLMsg *msg;

      for (i = 0; i < n && active < h->o.max_parallel; i++)
        {
          struct image_http_xfer *x = reqs[i]->priv;
          if (x->state != XFER_WAITING)
            continue;
          if (x->not_before_ms > now)
            {
              if (x->not_before_ms < next_wake)
                next_wake = x->not_before_ms;
              continue;
            }
          x->attempt++;
          reqs[i]->tries = x->attempt;
          x->state = XFER_ACTIVE;
          curl_multi_add_handle (h->multi, x->easy);
          active++;
        }

      curl_multi_perform (h->multi, &running);
      while ((msg = curl_multi_info_read (h->multi, &left)))
        {
          struct image_http_req *r = NULL;
          if (msg->msg != CURLMSG_DONE)
            continue;
          curl_easy_getinfo (msg->easy_handle, CURLINFO_PRIVATE, (char **) &r);
          xfer_done (h, r, msg->data.result);
          active--;
          if (r->priv->state == XFER_DONE)
            {
              done++;
              if (r->done)
                r->done (r);
            }
        }
      if (done == n)
        break;

      now = now_ms ();
      if (active > 0)
        {
          long wait = next_wake > now ? (long) (next_wake - now) : 0;
          curl_multi_poll (h->multi, NULL, 0, (int) (wait > 1000 ? 1000 : wait), NULL);
        }
      else if (next_wake > now)
        poll (NULL, 0, (int) (next_wake - now));
    }

  for (i = 0; i < n; i++)
    if (reqs[i]->err && ret == 0)
      {
        ret = skiff_error_plain (err, skiff_error_errno (&reqs[i]->err), "%s", reqs[i]->err->msg);
      }
  return ret;
}

char *
image_http_challenge_param (const char *ch, const char *param)
{
  size_t plen = strlen (param);
  const char *p = ch;

  /* Skip the scheme ("Bearer ").  */
  while (*p && !isspace ((unsigned char) *p))
    p++;
  while (*p)
    {
      const char *k, *v;
      size_t klen;
      bool quoted;
      char *out;
      size_t o = 0;

      while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
      k = p;
      while (*p && *p != '=' && *p != ',')
        p++;
      klen = p - k;
      while (klen && k[klen - 1] == ' ')
        klen--;
      if (*p != '=')
        continue;
      p++;
      quoted = *p == '"';
      if (quoted)
        p++;
      v = p;
      out = xmalloc (strlen (v) + 1);
      while (*p && (quoted ? *p != '"' : (*p != ',' && *p != ' ')))
        {
          if (quoted && *p == '\\' && p[1])
            p++;
          out[o++] = *p++;
        }
      out[o] = '\0';
      if (quoted && *p == '"')
        p++;
      if (klen == plen && strncasecmp (k, param, plen) == 0)
        return out;
      free (out);
    }
  return NULL;
}

char *
image_http_escape (const char *s)
{
  static const char hex[] = "0123456789ABCDEF";
  char *out = xmalloc (strlen (s) * 3 + 1), *o = out;
  for (; *s; s++)
    {
      unsigned char c = *s;
      if (isalnum (c) || c == '-' || c == '_' || c == '.' || c == '~')
        *o++ = c;
      else
        {
          *o++ = '%';
          *o++ = hex[c >> 4];
          *o++ = hex[c & 15];
        }
    }
  *o = '\0';
  return out;
}
