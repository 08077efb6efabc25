/* Unit tests of the registry client's pure parts: WWW-Authenticate
   challenge parameters, URL escaping, and the auth file (podman's and
   Docker's format) written and read back.  The protocol itself is tested
   against real registries in tests/image.  */
#include <config.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth.h"
#include "http.h"
#include "utils.h"

static void
param_is (const char *challenge, const char *name, const char *want)
{
  char *v = image_http_challenge_param (challenge, name);
  if (want == NULL)
    cr_assert_null (v, "%s in `%s`: got `%s`", name, challenge, v);
  else
    {
      cr_assert_not_null (v, "%s missing in `%s`", name, challenge);
      cr_assert_str_eq (v, want);
    }
  free (v);
}

Test (registry, challenge_params)
{
  const char *c = "Bearer realm=\"https://auth.example/token\",service=\"registry.example\","
                  "scope=\"repository:a/b:pull,push\"";
  param_is (c, "realm", "https://auth.example/token");
  param_is (c, "service", "registry.example");
  /* A comma inside quotes belongs to the value.  */
  param_is (c, "scope", "repository:a/b:pull,push");
  param_is (c, "error", NULL);
  param_is ("Basic realm=x", "realm", "x");
  param_is ("Bearer realm=\"a\\\"b\", service=s", "realm", "a\"b");
  param_is ("Bearer realm=\"a\\\"b\", service=s", "SERVICE", "s");
  param_is ("Bearer", "realm", NULL);
}

Test (registry, escape)
{
  char *e = image_http_escape ("repository:a/b:pull,push x~");
  cr_assert_str_eq (e, "repository%3Aa%2Fb%3Apull%2Cpush%20x~");
  free (e);
}

Test (registry, auth_file_round_trip)
{
  char dir[] = "/tmp/skiff-test-auth.XXXXXX";
  char *path, *user = NULL, *pass = NULL, *docker, *b64;
  skiff_error_t err = NULL;
  FILE *f;

  cr_assert_not_null (mkdtemp (dir));
  path = xasprintf ("%s/sub/auth.json", dir);
  cr_assert_eq (image_auth_lookup (path, "r.example:5000", &user, &pass, &err), 0);
  cr_assert_eq (image_auth_store (path, "r.example:5000", "me", "p:w", &err), 0, "%s", err ? err->msg : "");
  cr_assert_eq (image_auth_store (path, "other.example", "o", "x", &err), 0);
  cr_assert_eq (image_auth_lookup (path, "r.example:5000", &user, &pass, &err), 1);
  cr_assert_str_eq (user, "me");
  /* The password may hold a colon: only the first one separates.  */
  cr_assert_str_eq (pass, "p:w");
  free (user);
  free (pass);
  cr_assert_eq (access (path, R_OK), 0);

  cr_assert_eq (image_auth_remove (path, "r.example:5000", &err), 1);
  cr_assert_eq (image_auth_remove (path, "r.example:5000", &err), 0);
  cr_assert_eq (image_auth_lookup (path, "other.example", &user, &pass, &err), 1);
  free (user);
  free (pass);

  /* Docker's config.json keys carry a scheme and maybe a path.  */
  docker = xasprintf ("%s/config.json", dir);
  b64 = image_auth_encode ("d", "pw");
  cr_assert_str_eq (b64, "ZDpwdw==");
  f = fopen (docker, "w");
  fprintf (f, "{\"auths\":{\"https://index.docker.io/v1/\":{\"auth\":\"%s\"}}}", b64);
  fclose (f);
  cr_assert_eq (image_auth_lookup (docker, "docker.io", &user, &pass, &err), 1);
  cr_assert_str_eq (user, "d");
  cr_assert_str_eq (pass, "pw");
  free (user);
  free (pass);

  f = fopen (docker, "w");
  fputs ("not json", f);
  fclose (f);
  cr_assert_lt (image_auth_lookup (docker, "docker.io", &user, &pass, &err), 0);
  cr_assert_not_null (strstr (err->msg, "config.json"), "%s", err->msg);
  skiff_error_free (&err);

  free (b64);
  free (docker);
  free (path);
  path = xasprintf ("rm -rf %s", dir);
  cr_assert_eq (system (path), 0);
  free (path);
}
