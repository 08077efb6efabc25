/* Unit tests of the pure parts of the cgroup module: cgroupsPath
   resolution (cgroupfs and systemd-style), size parsing, the v1 -> v2
   weight conversions.  Limits themselves are tested in the VM
   (tests/vm/cgroup-tests.sh).  */
#include <config.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup.h"

static char *
resolve_ok (const char *path, const char *id, enum skiff_cgroup_manager mgr)
{
  skiff_error_t err = NULL;
  char *out = NULL;
  int r = skiff_cgroup_resolve_path (path, id, mgr, &out, &err);
  cr_assert_eq (r, 0, "resolve `%s`: %s", path ? path : "(null)", err ? err->msg : "?");
  return out;
}

static void
resolve_fails (const char *path, enum skiff_cgroup_manager mgr, const char *needle)
{
  skiff_error_t err = NULL;
  char *out = NULL;
  int r = skiff_cgroup_resolve_path (path, "x", mgr, &out, &err);
  cr_assert_lt (r, 0, "`%s` resolved to %s", path, out ? out : "?");
  cr_assert_not_null (strstr (err->msg, needle), "message: %s", err->msg);
  skiff_error_free (&err);
}

Test (cgroup, absolute_path)
{
  char *p = resolve_ok ("/a/b//c/", "x", SKIFF_CGROUP_MANAGER_CGROUPFS);
  cr_assert_str_eq (p, "/a/b/c");
  free (p);
}

Test (cgroup, escapes_rejected)
{
  resolve_fails ("/a/../../b", SKIFF_CGROUP_MANAGER_CGROUPFS, "cgroupsPath");
  resolve_fails ("/", SKIFF_CGROUP_MANAGER_CGROUPFS, "cgroupsPath");
  resolve_fails ("sys.slice:p:n", SKIFF_CGROUP_MANAGER_CGROUPFS, "--systemd-cgroup");
}

Test (cgroup, relative_and_default_below_own_cgroup)
{
  /* The test's own cgroup, from the 0:: line.  */
  FILE *f = fopen ("/proc/self/cgroup", "r");
  char line[4096], own[4096] = "";
  while (f && fgets (line, sizeof line, f))
    if (strncmp (line, "0::", 3) == 0)
      {
        strcpy (own, line + 3);
        own[strcspn (own, "\n")] = '\0';
      }
  if (f)
    fclose (f);
  if (strcmp (own, "/") == 0)
    own[0] = '\0';
  char *want = NULL, *p = resolve_ok ("rel/ct", "x", SKIFF_CGROUP_MANAGER_CGROUPFS);
  cr_assert (asprintf (&want, "%s/rel/ct", own) > 0);
  cr_assert_str_eq (p, want);
  free (p);
  free (want);
  p = resolve_ok (NULL, "abc", SKIFF_CGROUP_MANAGER_CGROUPFS);
  cr_assert (asprintf (&want, "%s/skiff-abc", own) > 0);
  cr_assert_str_eq (p, want);
  free (p);
  free (want);
}

Test (cgroup, systemd_paths)
{
  struct
  {
    const char *in, *out;
  } cases[] = {
    { "system.slice:docker:abc", "/system.slice/docker-abc.scope" },
    { "a-b-c.slice:pfx:ct", "/a.slice/a-b.slice/a-b-c.slice/pfx-ct.scope" },
    { "machine.slice:libpod:1234", "/machine.slice/libpod-1234.scope" },
    { "-.slice:p:n", "/p-n.scope" },
    { ":skiff:n", "/system.slice/skiff-n.scope" },
    { "user.slice::n", "/user.slice/n.scope" },
    { "system.slice:p:sub.slice", "/system.slice/sub.slice" },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      char *p = resolve_ok (cases[i].in, "x", SKIFF_CGROUP_MANAGER_SYSTEMD);
      cr_expect_str_eq (p, cases[i].out, "%s", cases[i].in);
      free (p);
    }
  char *p = resolve_ok (NULL, "id1", SKIFF_CGROUP_MANAGER_SYSTEMD);
  cr_assert_str_eq (p, "/system.slice/skiff-id1.scope");
  free (p);
  resolve_fails ("nocolon", SKIFF_CGROUP_MANAGER_SYSTEMD, "slice:prefix:name");
  resolve_fails ("bad:p:n", SKIFF_CGROUP_MANAGER_SYSTEMD, "invalid systemd slice");
  resolve_fails ("a--b.slice:p:n", SKIFF_CGROUP_MANAGER_SYSTEMD, "invalid systemd slice");
  resolve_fails ("x.slice:p:a/b", SKIFF_CGROUP_MANAGER_SYSTEMD, "invalid unit name");
}

Test (cgroup, sizes)
{
  long long v;
  cr_assert_eq (skiff_parse_size ("512m", &v), 0);
  cr_assert_eq (v, 512LL << 20);
  cr_assert_eq (skiff_parse_size ("1G", &v), 0);
  cr_assert_eq (v, 1LL << 30);
  cr_assert_eq (skiff_parse_size ("4096", &v), 0);
  cr_assert_eq (v, 4096);
  cr_assert_eq (skiff_parse_size ("10kb", &v), 0);
  cr_assert_eq (v, 10240);
  cr_assert_eq (skiff_parse_size ("2MiB", &v), 0);
  cr_assert_eq (v, 2LL << 20);
  cr_assert_eq (skiff_parse_size ("-1", &v), 0);
  cr_assert_eq (v, -1);
  cr_assert_lt (skiff_parse_size ("", &v), 0);
  cr_assert_lt (skiff_parse_size ("12x", &v), 0);
  cr_assert_lt (skiff_parse_size ("-5", &v), 0);
  cr_assert_lt (skiff_parse_size ("99999999999999999999", &v), 0);
}

Test (cgroup, weights)
{
  /* The quadratic mapping sends min, default and max onto each other. */
  cr_assert_eq (skiff_cgroup_shares_to_weight (0), 0);
  cr_assert_eq (skiff_cgroup_shares_to_weight (2), 1);
  cr_assert_eq (skiff_cgroup_shares_to_weight (1024), 100);
  cr_assert_eq (skiff_cgroup_shares_to_weight (262144), 10000);
  cr_assert_eq (skiff_cgroup_shares_to_weight (1000000), 10000);
  cr_assert_eq (skiff_cgroup_shares_to_weight (512), 59);
  cr_assert_eq (skiff_cgroup_blkio_to_io_weight (10), 1);
  cr_assert_eq (skiff_cgroup_blkio_to_io_weight (1000), 10000);
  cr_assert_eq (skiff_cgroup_blkio_to_io_weight (500), 4950);
}
