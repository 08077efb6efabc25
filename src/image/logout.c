/* skiff-image logout [--authfile F] REGISTRY: forgets its credentials.  */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "auth.h"
#include "image_commands.h"
#include "registry_opts.h"

static int
on_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  int r = image_registry_option ("logout", opt, arg, data, err);
  if (r != 0)
    return r < 0 ? r : 0;
  return image_usage_error (err, "logout", "unknown option");
}

int
image_cmd_logout (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "authfile", required_argument, NULL, OPT_AUTHFILE },
    { NULL, 0, NULL, 0 },
  };
  struct image_registry_opts o = { .tls_verify = -1 };
  const char *name;
  int i = image_parse_options (argc, argv, "", longopts, on_option, &o, err);
  int r;

  if (i <= 0)
    return i;
  if (argc - i != 1)
    return image_usage_error (err, "logout", "expected one REGISTRY");
  name = argv[i];
  if (strncmp (name, "https://", 8) == 0)
    name += 8;
  else if (strncmp (name, "http://", 7) == 0)
    name += 7;
  r = image_auth_remove (o.authfile, name, err);
  if (r < 0)
    return -1;
  if (r == 0)
    return skiff_error_plain (err, ENOENT, "logout: not logged into %s", name);
  printf ("Removed login credentials for %s\n", name);
  return 0;
}
