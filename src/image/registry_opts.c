/* skiff-image: options shared by the registry commands.  */
#include <config.h>
#include "registry_opts.h"

#include <string.h>

#include "image_commands.h"

int
image_registry_option (const char *name, int opt, const char *arg, struct image_registry_opts *o,
                       skiff_error_t *err)
{
  switch (opt)
    {
    case OPT_TLS_VERIFY:
      if (arg == NULL || strcmp (arg, "true") == 0)
        o->tls_verify = 1;
      else if (strcmp (arg, "false") == 0)
        o->tls_verify = 0;
      else
        return image_usage_error (err, name, "--tls-verify takes true or false, not `%s`", arg);
      return 1;
    case OPT_AUTHFILE:
      o->authfile = arg;
      return 1;
    case OPT_CERT_DIR:
      o->cert_dir = arg;
      return 1;
    default:
      return 0;
    }
}
