/* skiff-image: the HTTP layer of the registry client, over libcurl.
 *
 * One engine for every request: image_http_run() drives a set of requests
 * with curl multi (several at once for layer downloads, one for a manifest),
 * retries 5xx/429 answers and transport failures (time-outs, resets) with
 * exponential backoff, never retries other 4xx, follows redirects without
 * carrying the Authorization header to another host, and streams 2xx bodies
 * into a caller's sink.  Authentication is the registry layer's business:
 * it passes headers and reads the answers kept here.  */
#ifndef IMAGE_HTTP_H
#define IMAGE_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct image_http;

struct image_http_opts
{
  bool tls_verify;
  /* PEM file of extra CAs trusted with the system's (may be NULL).  */
  const char *ca_file;
  /* A transfer that moves no byte for this long fails (and is retried).  */
  long stall_timeout_s;
  /* Tries per request, the first included.  */
  int max_attempts;
  /* Transfers at once in one image_http_run.  */
  unsigned max_parallel;
};

/* The defaults, with SKIFF_IMAGE_TIMEOUT (seconds) and SKIFF_IMAGE_RETRIES
   from the environment applied.  */
void image_http_default_opts (struct image_http_opts *o);

int image_http_new (const struct image_http_opts *o, struct image_http **out, skiff_error_t *err);
void image_http_free (struct image_http *h);

/* A 2xx response body, chunk by chunk; a negative return aborts the
   transfer (no retry) with the error it set.  RESET is called before a
   retried transfer delivers again, so the sink can start over.  */
typedef int (*image_http_sink_fn) (void *ctx, const void *buf, size_t len, skiff_error_t *err);
typedef int (*image_http_reset_fn) (void *ctx, skiff_error_t *err);

struct image_http_req
{
  /* Set by the caller.  */
  const char *method;           /* NULL: GET */
  const char *url;
  const char *const *headers;   /* "Name: value", NULL-terminated, may be NULL */
  const void *body;             /* request body from memory ... */
  size_t body_len;
  int body_fd;                  /* ... or, when >= 0, BODY_SIZE bytes of this fd */
  int64_t body_size;
  image_http_sink_fn sink;      /* NULL: the body is kept in RESP_BODY */
  image_http_reset_fn reset;
  /* Called once the request has its final answer (or failed), while the
     others still run: a download can be committed at once.  */
  void (*done) (struct image_http_req *r);
  /* Bytes of the request body sent so far (for a progress display).  */
  void (*sent) (struct image_http_req *r, int64_t bytes);
  void *ctx;
  bool follow_redirects;

  /* Set by image_http_run.  */
  long status;                  /* 0 when no response arrived */
  int tries;                    /* attempts made */
  char *resp_body;              /* non-2xx bodies, and all bodies without a sink */
  size_t resp_len;
  char *content_type, *docker_digest, *location, *www_authenticate, *retry_after;
  skiff_error_t err;            /* why this request failed, if it did */

  /* Private to http.c.  */
  struct image_http_xfer *priv;
};

/* Initialise a request (body_fd = -1, the rest zero).  */
void image_http_req_init (struct image_http_req *r, const char *method, const char *url);
/* Free what image_http_run stored in R (not the caller's fields).  */
void image_http_req_clear (struct image_http_req *r);

/* Run the N requests; returns 0 when every one got a final HTTP answer
   (whatever its status), else the first failure (each failed request has
   its own ERR).  */
int image_http_run (struct image_http *h, struct image_http_req **reqs, size_t n, skiff_error_t *err);

/* The value of PARAM in a WWW-Authenticate challenge such as
   `Bearer realm="...",service="...",scope="..."` (malloc'd), or NULL.  */
char *image_http_challenge_param (const char *challenge, const char *param);

/* Percent-encode S for a URL query.  */
char *image_http_escape (const char *s);

#endif
