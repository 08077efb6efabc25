/* skiff-image: registry credentials in an auth file, the format podman
 * (auth.json) and Docker (config.json) share:
 *   {"auths": {"REGISTRY[:PORT]": {"auth": "<base64 of USER:PASSWORD>"}}}
 * Other members of the file are kept when it is rewritten.  */
#ifndef IMAGE_AUTH_H
#define IMAGE_AUTH_H

#include "error.h"

/* The file login writes: $REGISTRY_AUTH_FILE, else
   $XDG_RUNTIME_DIR/containers/auth.json, else /run/containers/UID/auth.json
   (podman's places).  */
char *image_auth_default_path (void);

/* Credentials for REGISTRY from PATH (NULL: the default file, then
   ~/.docker/config.json).  Returns 1 and sets *USER and *PASS when found,
   0 when not, negative on a file that cannot be read or parsed.  */
int image_auth_lookup (const char *path, const char *registry, char **user, char **pass,
                       skiff_error_t *err);

/* Add or replace REGISTRY's entry in PATH (NULL: the default), mode 0600.  */
int image_auth_store (const char *path, const char *registry, const char *user, const char *pass,
                      skiff_error_t *err);

/* base64 of "USER:PASS", as the auth file and Basic auth write it.  */
char *image_auth_encode (const char *user, const char *pass);

/* Remove REGISTRY's entry; returns 1 when there was one, 0 when not.  */
int image_auth_remove (const char *path, const char *registry, skiff_error_t *err);

#endif
