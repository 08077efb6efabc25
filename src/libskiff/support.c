/* skiff: gather the features document's facts from the modules.  */
#include <config.h>
#include "support.h"

#include <string.h>
#ifdef HAVE_SELINUX
#include <selinux/selinux.h>
#endif

#include "utils.h"

static bool
apparmor_enabled (void)
{
  cleanup_free char *v = NULL;
  if (read_file_at (-100 /* AT_FDCWD */, "/sys/module/apparmor/parameters/enabled", &v, NULL, NULL) < 0)
    return false;
  return v[0] == 'Y';
}

void
skiff_features_collect (struct skiff_features *f)
{
  memset (f, 0, sizeof *f);
#ifdef HAVE_SELINUX
  f->selinux = true; /* labels are applied when SELinux is enabled on the host */
#endif
  f->apparmor = apparmor_enabled ();
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
