/* Unit tests of skiff-image's references and digests: normalisation of
   short names, registries with ports, tags and digests, and the references
   that must not parse.  */
#include <config.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "ref.h"

#define D64 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static void
parses_to (const char *in, const char *registry, const char *repo, const char *tag, const char *digest,
           const char *canonical)
{
  struct image_ref r = { 0 };
  skiff_error_t err = NULL;
  char *s;
  cr_assert_eq (image_ref_parse (in, &r, &err), 0, "`%s`: %s", in, err ? err->msg : "?");
  cr_assert_str_eq (r.registry, registry, "`%s`", in);
  cr_assert_str_eq (r.repository, repo, "`%s`", in);
  if (tag)
    cr_assert_str_eq (r.tag, tag, "`%s`", in);
  else
    cr_assert_null (r.tag, "`%s`", in);
  if (digest)
    cr_assert_str_eq (r.digest, digest, "`%s`", in);
  else
    cr_assert_null (r.digest, "`%s`", in);
  s = image_ref_string (&r);
  cr_assert_str_eq (s, canonical, "`%s`", in);
  free (s);
  image_ref_clear (&r);
}

static void
fails (const char *in, const char *needle)
{
  struct image_ref r = { 0 };
  skiff_error_t err = NULL;
  cr_assert_lt (image_ref_parse (in, &r, &err), 0, "`%s` parsed", in);
  cr_assert_not_null (strstr (err->msg, needle), "`%s`: %s", in, err->msg);
  cr_assert_null (r.registry);
  skiff_error_free (&err);
}

Test (ref, short_names_are_docker_library)
{
  parses_to ("busybox", "docker.io", "library/busybox", "latest", NULL, "docker.io/library/busybox:latest");
  parses_to ("busybox:1.36", "docker.io", "library/busybox", "1.36", NULL, "docker.io/library/busybox:1.36");
  parses_to ("user/app", "docker.io", "user/app", "latest", NULL, "docker.io/user/app:latest");
  parses_to ("index.docker.io/library/busybox", "docker.io", "library/busybox", "latest", NULL,
             "docker.io/library/busybox:latest");
  parses_to ("docker.io/busybox", "docker.io", "library/busybox", "latest", NULL,
             "docker.io/library/busybox:latest");
}

Test (ref, registries)
{
  parses_to ("localhost/app", "localhost", "app", "latest", NULL, "localhost/app:latest");
  parses_to ("localhost:5000/a/b:c", "localhost:5000", "a/b", "c", NULL, "localhost:5000/a/b:c");
  parses_to ("127.0.0.1:5000/app:1", "127.0.0.1:5000", "app", "1", NULL, "127.0.0.1:5000/app:1");
  parses_to ("quay.io/team/sub/app:v1.2_rc-3", "quay.io", "team/sub/app", "v1.2_rc-3", NULL,
             "quay.io/team/sub/app:v1.2_rc-3");
  /* The first component without '.', ':' or "localhost" is a path.  */
  parses_to ("team/app", "docker.io", "team/app", "latest", NULL, "docker.io/team/app:latest");
}

Test (ref, digests)
{
  parses_to ("busybox@sha256:" D64, "docker.io", "library/busybox", NULL, "sha256:" D64,
             "docker.io/library/busybox@sha256:" D64);
  parses_to ("reg.io:443/app:1@sha256:" D64, "reg.io:443", "app", "1", "sha256:" D64,
             "reg.io:443/app@sha256:" D64);
}

Test (ref, separators_in_components)
{
  parses_to ("x/a.b_c__d---e", "docker.io", "x/a.b_c__d---e", "latest", NULL, "docker.io/x/a.b_c__d---e:latest");
  /* With a '.', the first component is a host, where '_' has no place.  */
  fails ("a.b_c/f", "bad registry `a.b_c`");
  fails ("a..b", "bad repository name");
  fails ("a___b", "bad repository name");
  fails ("-a", "bad repository name");
  fails ("a-", "bad repository name");
}

Test (ref, bad_references)
{
  fails ("", "empty");
  fails ("Busybox", "must be lowercase");
  fails ("busybox:", "bad tag");
  fails ("busybox:-x", "bad tag");
  fails ("busybox:a/b", "bad registry `busybox:a`");
  fails ("busybox@sha256:abc", "bad digest");
  fails ("busybox@md5:" D64, "bad digest");
  fails ("busybox@sha256:" D64 "0", "bad digest");
  fails ("a//b", "bad repository name");
  fails ("/a", "bad repository name");
  fails ("reg.io/", "bad repository name");
  fails ("reg.io:x/app", "bad registry");
  fails ("a b", "bad repository name");
}

Test (digest, valid)
{
  cr_assert (image_digest_valid ("sha256:" D64));
  cr_assert_not (image_digest_valid ("sha256:" D64 "0"));
  cr_assert_not (image_digest_valid ("sha256:0123"));
  cr_assert_not (image_digest_valid ("sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
  cr_assert_not (image_digest_valid ("sha512:" D64));
  cr_assert_not (image_digest_valid ("sha256:../../../../etc/passwd"));
  cr_assert_not (image_digest_valid (NULL));
}

Test (digest, streaming_equals_whole)
{
  char a[IMAGE_DIGEST_LEN], b[IMAGE_DIGEST_LEN];
  struct image_digester *d = image_digester_new ();
  image_digester_update (d, "ab", 2);
  image_digester_update (d, "", 0);
  image_digester_update (d, "c", 1);
  image_digester_final (d, a);
  image_digester_free (d);
  image_digest_buffer ("abc", 3, b);
  cr_assert_str_eq (a, b);
  /* FIPS 180-2's example.  */
  cr_assert_str_eq (a, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  image_digest_buffer ("", 0, b);
  cr_assert_str_eq (b, "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
