/* skiff: gather the features document's facts from the modules that
   implement them, so `skiff features` cannot drift from the code.  */
#include <config.h>
#include "support.h"

#include <string.h>

#include "caps.h"
#include "cgroup.h"
#include "rootfs.h"
#include "seccomp.h"
#include "utils.h"

void
skiff_features_collect (struct skiff_features *f)
{
  struct skiff_seccomp_features sf = { 0 };
  struct skiff_cgroup_support cg = { 0 };

  memset (f, 0, sizeof *f);
  f->capabilities = skiff_caps_known_names ();
  f->mount_options = skiff_mount_option_names ();
  f->idmap_mounts = true; /* idmap/ridmap bind mounts through mount_setattr */

  if (skiff_seccomp_features (&sf, NULL) == 0)
    {
      /* Ownership of the lists moves to F.  */
      f->seccomp_enabled = sf.enabled;
      f->seccomp_actions = steal_pointer (&sf.actions);
      f->seccomp_operators = steal_pointer (&sf.operators);
      f->seccomp_archs = steal_pointer (&sf.archs);
      f->seccomp_known_flags = steal_pointer (&sf.known_flags);
      f->seccomp_supported_flags = steal_pointer (&sf.supported_flags);
      skiff_seccomp_features_free (&sf);
    }

  skiff_cgroup_features (&cg);
  f->cgroup_v2 = cg.v2;
  f->cgroup_systemd = cg.systemd;
  f->cgroup_rdma = cg.rdma;

  /* "enabled" means compiled in (runtime-spec features), not active on
     this host: labels are applied whenever the host's LSM is on.  */
#ifdef HAVE_SELINUX
  f->selinux = true;
#endif
  f->apparmor = true; /* plain writes to /proc, no library needed */
}

void
skiff_features_release (struct skiff_features *f)
{
  strv_free (f->capabilities);
  strv_free (f->mount_options);
  strv_free (f->seccomp_actions);
  strv_free (f->seccomp_operators);
  strv_free (f->seccomp_archs);
  strv_free (f->seccomp_known_flags);
  strv_free (f->seccomp_supported_flags);
  memset (f, 0, sizeof *f);
}
