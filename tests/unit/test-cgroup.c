/* Unit tests of the pure parts of the cgroup module: cgroupsPath
   resolution (cgroupfs and systemd-style), size parsing, the v1 -> v2
   weight conversions; and `exec --cgroup` specs, against the test's own
   cgroup (root: it makes and removes one empty sub-cgroup).  Limits themselves are tested in the VM
   (tests/vm/cgroup-tests.sh).  */
#include <config.h>
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* exec --cgroup specs against the test's own cgroup (which exists).  */
static void
open_sub_fails (const struct skiff_cgroup *cg, char **specs, const char *needle)
{
  skiff_error_t err = NULL;
  struct skiff_cgroup *sub = NULL;
  int r = skiff_cgroup_open_sub (cg, specs, &sub, &err);
  cr_assert_lt (r, 0, "`%s` opened as %s", specs[0], sub ? skiff_cgroup_path (sub) : "?");
  cr_assert_null (sub);
  cr_assert_not_null (strstr (err->msg, needle), "message: %s", err->msg);
  skiff_error_free (&err);
}

Test (cgroup, exec_sub_cgroup_specs)
{
  skiff_error_t err = NULL;
  struct skiff_cgroup *own = NULL, *sub = NULL;
  if (geteuid () != 0)
    cr_skip_test ("needs root (makes a sub-cgroup)");
  char *self = skiff_cgroup_self_path (&err);
  if (self == NULL)
    cr_skip_test ("no cgroup v2 hierarchy: %s", err->msg);
  cr_assert_eq (skiff_cgroup_open (self, &own, &err), 0, "%s", err ? err->msg : "?");

  open_sub_fails (own, (char *[]){ "a:x", "b:y", NULL }, "only one sub-cgroup");
  open_sub_fails (own, (char *[]){ ":x", NULL }, "empty controller list");
  open_sub_fails (own, (char *[]){ "../escape", NULL }, "not a sub-cgroup");
  open_sub_fails (own, (char *[]){ "//", NULL }, "not a sub-cgroup");
  open_sub_fails (own, (char *[]){ "skiff-unit-no-such-cgroup", NULL }, "No such file");
  open_sub_fails (NULL, (char *[]){ "x", NULL }, "has no cgroup");

  /* The same place under several controller lists is one sub-cgroup.  */
  char *dir = NULL;
  cr_assert (asprintf (&dir, "%s/skiff-unit-%d", self, (int) getpid ()) > 0);
  cr_assert_eq (mkdir (dir, 0755), 0, "mkdir %s: %m", dir);
  char name[64];
  snprintf (name, sizeof name, "skiff-unit-%d", (int) getpid ());
  char *a = NULL, *b = NULL;
  cr_assert (asprintf (&a, "pids,memory:/%s/", name) > 0 && asprintf (&b, "cpu:/%s/", name) > 0);
  int r = skiff_cgroup_open_sub (own, (char *[]){ a, b, NULL }, &sub, &err);
  rmdir (dir);
  cr_assert_eq (r, 0, "%s", err ? err->msg : "?");
  cr_assert_str_eq (skiff_cgroup_path (sub), dir);
  cr_assert_geq (skiff_cgroup_dirfd (sub), 0);
  skiff_cgroup_free (sub);
  skiff_cgroup_free (own);
  free (a);
  free (b);
  free (dir);
  free (self);
}
