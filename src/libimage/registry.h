/* skiff-image: the registry client (Distribution API v2), pull and push.
 *
 * A struct image_registry talks to one registry: it finds whether the
 * registry speaks HTTPS (or, when allowed, plain HTTP), answers its
 * authentication challenge (Basic from the auth file, or a Bearer token from
 * the realm the registry names, anonymous or with those credentials), and
 * sends requests through the HTTP layer (http.h).  */
#ifndef IMAGE_REGISTRY_H
#define IMAGE_REGISTRY_H

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"
#include "http.h"

struct image_store;

#define IMAGE_MT_OCI_MANIFEST "application/vnd.oci.image.manifest.v1+json"
#define IMAGE_MT_OCI_INDEX "application/vnd.oci.image.index.v1+json"
#define IMAGE_MT_DOCKER_MANIFEST "application/vnd.docker.distribution.manifest.v2+json"
#define IMAGE_MT_DOCKER_LIST "application/vnd.docker.distribution.manifest.list.v2+json"

struct image_registry_opts
{
  /* 1: verify TLS; 0: --tls-verify=false (no verification, plain HTTP
     allowed); -1: the default (verify; plain HTTP only for localhost).  */
  int tls_verify;
  const char *authfile;  /* NULL: the default auth files */
  const char *cert_dir;  /* NULL: /etc/containers/certs.d/REGISTRY */
  /* Login: these credentials instead of the auth file's.  */
  const char *username, *password;
  bool quiet;            /* no progress display even on a terminal */
};

struct image_registry;

/* Contacts REGISTRY ("docker.io", "127.0.0.1:5000") at /v2/.  */
int image_registry_open (const char *registry, const struct image_registry_opts *o,
                         struct image_registry **out, skiff_error_t *err);
void image_registry_free (struct image_registry *r);
#define cleanup_registry __attribute__ ((cleanup (image_registry_freep)))
void image_registry_freep (struct image_registry **r);

/* Makes the next requests carry credentials for SCOPES (space separated,
   "repository:NAME:pull" ...); a Bearer token is fetched when the registry
   asks for one.  With no SCOPES (login) the credentials themselves are
   checked.  */
int image_registry_authorize (struct image_registry *r, const char *scopes, skiff_error_t *err);

/* The manifest (or index) REFERENCE (tag or digest) of REPO, byte-exact,
   with its media type and digest (checked against a digest reference).  */
struct image_manifest_blob
{
  char *data;
  size_t len;
  char *media_type;
  char digest[IMAGE_DIGEST_LEN];
};
void image_manifest_blob_clear (struct image_manifest_blob *m);
int image_registry_get_manifest (struct image_registry *r, const char *repo, const char *reference,
                                 struct image_manifest_blob *out, skiff_error_t *err);

/* What pull and push print.  */
struct image_pull_opts
{
  struct image_registry_opts reg;
  const char *platform; /* "os/arch[/variant]"; NULL: linux and this machine's */
};

/* Pulls REF into STORE and tags it; IMAGE_ID gets the config digest.  */
int image_pull (struct image_store *store, const char *ref, const struct image_pull_opts *o,
                char image_id[IMAGE_DIGEST_LEN], skiff_error_t *err);

/* Pushes IMAGE of STORE to DEST (NULL: IMAGE's own name); MANIFEST_DIGEST
   gets the digest the registry stored.  */
int image_push (struct image_store *store, const char *image, const char *dest,
                const struct image_registry_opts *o, char manifest_digest[IMAGE_DIGEST_LEN],
                skiff_error_t *err);

/* Checks USERNAME/PASSWORD of O against REGISTRY and stores them in the
   auth file.  */
int image_login (const char *registry, const struct image_registry_opts *o, skiff_error_t *err);

/* Internal to the registry files.  */
struct image_registry_internal;
const char *image_registry_base (struct image_registry *r);
const char *image_registry_name (struct image_registry *r);
struct image_http *image_registry_http (struct image_registry *r);
/* Runs REQS with the current credentials; a 401 gets new ones from its
   challenge once and runs the request again.  */
int image_registry_run (struct image_registry *r, struct image_http_req **reqs, size_t n,
                        skiff_error_t *err);
/* "VERB URL: STATUS (registry's message)" for an unexpected answer.  */
int image_registry_status_error (struct image_http_req *q, skiff_error_t *err);

#endif
