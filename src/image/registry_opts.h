/* skiff-image: the options pull, push, login and logout share
   (--tls-verify, --authfile, --cert-dir), parsed in one place.  */
#ifndef IMAGE_REGISTRY_OPTS_H
#define IMAGE_REGISTRY_OPTS_H

#include <getopt.h>

#include "error.h"
#include "registry.h"

enum
{
  OPT_TLS_VERIFY = 2000,
  OPT_AUTHFILE,
  OPT_CERT_DIR,
  OPT_PLATFORM,
  OPT_PASSWORD_STDIN,
};

#define REGISTRY_LONG_OPTIONS                                         \
  { "tls-verify", optional_argument, NULL, OPT_TLS_VERIFY },          \
  { "authfile", required_argument, NULL, OPT_AUTHFILE },              \
  { "cert-dir", required_argument, NULL, OPT_CERT_DIR }

/* Handles one of REGISTRY_LONG_OPTIONS for command NAME: 1 when OPT was
   one of them, 0 when not, negative on a bad value.  */
int image_registry_option (const char *name, int opt, const char *arg, struct image_registry_opts *o,
                           skiff_error_t *err);

#endif
