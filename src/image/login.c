/* skiff-image login [--tls-verify=false] [--authfile F] [--cert-dir D]
   -u USER --password-stdin REGISTRY: checks the credentials against the
   registry, then stores them in the auth file.  */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "image_commands.h"
#include "registry_opts.h"
#include "utils.h"

struct login_opts
{
  struct image_registry_opts reg;
  bool password_stdin;
};

static int
on_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct login_opts *o = data;
  int r = image_registry_option ("login", opt, arg, &o->reg, err);
  if (r != 0)
    return r < 0 ? r : 0;
  switch (opt)
    {
    case 'u':
      o->reg.username = arg;
      return 0;
    case OPT_PASSWORD_STDIN:
      o->password_stdin = true;
      return 0;
    default:
      return image_usage_error (err, "login", "unknown option");
    }
}

int
image_cmd_login (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    REGISTRY_LONG_OPTIONS,
    { "username", required_argument, NULL, 'u' },
    { "password-stdin", no_argument, NULL, OPT_PASSWORD_STDIN },
    { NULL, 0, NULL, 0 },
  };
  struct login_opts o = { .reg = { .tls_verify = -1, .quiet = true } };
  cleanup_free char *password = NULL;
  size_t cap = 0;
  ssize_t n;
  int i = image_parse_options (argc, argv, "u:", longopts, on_option, &o, err);
  int ret;

  if (i <= 0)
    return i;
  if (argc - i != 1)
    return image_usage_error (err, "login", "expected one REGISTRY");
  /* A password on the command line would be visible to every user.  */
  if (o.reg.username == NULL || !o.password_stdin)
    return image_usage_error (err, "login", "give -u USER and --password-stdin");
  n = getline (&password, &cap, stdin);
  if (n < 0)
    return skiff_error_plain (err, EINVAL, "login: no password on stdin");
  while (n > 0 && (password[n - 1] == '\n' || password[n - 1] == '\r'))
    password[--n] = '\0';
  o.reg.password = password;
  ret = image_login (argv[i], &o.reg, err);
  explicit_bzero (password, cap);
  if (ret < 0)
    return -1;
  printf ("Login Succeeded!\n");
  return 0;
}
