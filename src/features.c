/* skiff features: the runtime-spec features document.  It must be true:
   every list comes from the code that implements the feature (the mount
   option table, libcap and the kernel, libseccomp and the kernel, the
   cgroup code), so it stays in step as features are added.  */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "support.h"
#include "ocispec/runtime.h"
#include "utils.h"

static char *namespaces[] = { "cgroup", "ipc", "mount", "network", "pid", "time", "user", "uts" };
static char *hooks[] = { "prestart", "createRuntime", "createContainer", "startContainer",
                         "poststart", "poststop" };

#define N(a) (sizeof (a) / sizeof (a)[0])

int
skiff_cmd_features (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  cleanup_free char *json = NULL;
  char *gen_err = NULL;
  bool help;
  int first;
  struct skiff_features f = { 0 };

  first = skiff_parse_options (argc, argv, "", NULL, NULL, NULL, &help, err);
  if (first < 0 || help)
    return first < 0 ? first : 0;
  if (skiff_expect_args (argc, argv, first, 0, 0, err) < 0)
    return -1;

  skiff_features_collect (&f);

  oci_features_cgroup cgroup = {
    .v1 = false, .v1_present = true,
    .v2 = f.cgroup_v2, .v2_present = true,
    .systemd = f.cgroup_systemd, .systemd_present = true,
    .systemd_user = false, .systemd_user_present = true,
    .rdma = f.cgroup_rdma, .rdma_present = true,
  };
  oci_features_seccomp seccomp = {
    .enabled = f.seccomp_enabled, .enabled_present = true,
    .actions = f.seccomp_actions, .actions_len = strv_len (f.seccomp_actions),
    .operators = f.seccomp_operators, .operators_len = strv_len (f.seccomp_operators),
    .archs = f.seccomp_archs, .archs_len = strv_len (f.seccomp_archs),
    .known_flags = f.seccomp_known_flags, .known_flags_len = strv_len (f.seccomp_known_flags),
    .supported_flags = f.seccomp_supported_flags,
    .supported_flags_len = strv_len (f.seccomp_supported_flags),
  };
  oci_features_apparmor apparmor = { .enabled = f.apparmor, .enabled_present = true };
  oci_features_selinux selinux = { .enabled = f.selinux, .enabled_present = true };
  oci_features_intel_rdt intel_rdt = { .enabled = false, .enabled_present = true };
  oci_features_idmap idmap = { .enabled = f.idmap_mounts, .enabled_present = true };
  oci_features_mount_extensions mount_ext = { .idmap = &idmap };
  oci_features_linux linux = {
    .namespaces = namespaces, .namespaces_len = N (namespaces),
    .capabilities = f.capabilities, .capabilities_len = strv_len (f.capabilities),
    .cgroup = &cgroup,
    .seccomp = &seccomp,
    .apparmor = &apparmor,
    .selinux = &selinux,
    .intel_rdt = &intel_rdt,
    .mount_extensions = &mount_ext,
  };
  oci_features doc = {
    .oci_version_min = "1.0.0",
    .oci_version_max = OCI_SPEC_VERSION,
    .hooks = hooks, .hooks_len = N (hooks),
    .mount_options = f.mount_options, .mount_options_len = strv_len (f.mount_options),
    .linux = &linux,
  };

  json = oci_features_generate_json (&doc, &gen_err);
  skiff_features_release (&f);
  if (json == NULL)
    {
      skiff_error_make (err, 0, "features: %s", gen_err ? gen_err : "cannot generate JSON");
      free (gen_err);
      return -1;
    }
  puts (json);
  return 0;
}
