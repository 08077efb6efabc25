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

/* exec --cgroup specs against a cgroup the test makes below its own (its
   own may be the hierarchy's root, which is never a container's).  */
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

static char *unit_parent, *unit_child;

/* Runs also when an assertion ends the test early.  */
static void
remove_unit_cgroups (void)
{
  if (unit_child)
    rmdir (unit_child);
  if (unit_parent)
    rmdir (unit_parent);
  free (unit_child);
  free (unit_parent);
  unit_child = unit_parent = NULL;
}

Test (cgroup, exec_sub_cgroup_specs, .fini = remove_unit_cgroups)
{
  skiff_error_t err = NULL;
  struct skiff_cgroup *ct = NULL, *sub = NULL;
  if (geteuid () != 0)
    cr_skip_test ("needs root (makes two cgroups)");
  char *self = skiff_cgroup_self_path (&err);
  if (self == NULL)
    cr_skip_test ("no cgroup v2 hierarchy: %s", err->msg);
  char name[64];
  snprintf (name, sizeof name, "skiff-unit-%d", (int) getpid ());
  cr_assert (asprintf (&unit_parent, "%s/%s", self, name) > 0);
  cr_assert_eq (mkdir (unit_parent, 0755), 0, "mkdir %s: %m", unit_parent);
  cr_assert_eq (skiff_cgroup_open (unit_parent, &ct, &err), 0, "%s", err ? err->msg : "?");

  open_sub_fails (ct, (char *[]){ "a:x", "b:y", NULL }, "only one sub-cgroup");
  open_sub_fails (ct, (char *[]){ ":x", NULL }, "empty controller list");
  open_sub_fails (ct, (char *[]){ "../escape", NULL }, "not a sub-cgroup");
  open_sub_fails (ct, (char *[]){ "//", NULL }, "not a sub-cgroup");
  open_sub_fails (ct, (char *[]){ "no-such-cgroup", NULL }, "No such file");
  open_sub_fails (NULL, (char *[]){ "x", NULL }, "has no cgroup");

  /* The same place under several controller lists is one sub-cgroup.  */
  cr_assert (asprintf (&unit_child, "%s/sub", unit_parent) > 0);
  cr_assert_eq (mkdir (unit_child, 0755), 0, "mkdir %s: %m", unit_child);
  int r = skiff_cgroup_open_sub (ct, (char *[]){ "pids,memory:/sub/", "cpu:sub", NULL }, &sub, &err);
  cr_assert_eq (r, 0, "%s", err ? err->msg : "?");
  cr_assert_str_eq (skiff_cgroup_path (sub), unit_child);
  cr_assert_geq (skiff_cgroup_dirfd (sub), 0);
  skiff_cgroup_free (sub);
  skiff_cgroup_free (ct);
  free (self);
}
