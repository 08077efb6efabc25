/* skiff: what this build and this kernel support, gathered from the modules
   that implement each feature (for `skiff features`).  */
#ifndef SKIFF_SUPPORT_H
#define SKIFF_SUPPORT_H

#include <stdbool.h>

struct skiff_features
{
  char **capabilities;            /* names known to libcap and the kernel */
  char **mount_options;           /* options the mount code understands */
  bool seccomp_enabled;
  char **seccomp_actions;
  char **seccomp_operators;
  char **seccomp_archs;
  char **seccomp_known_flags;
  char **seccomp_supported_flags;
  bool cgroup_v2;
  bool cgroup_systemd;
  bool cgroup_rdma;
  bool apparmor;
  bool selinux;
  bool idmap_mounts;
};

/* Fill F; every list is a NULL-terminated, owned string vector.  */
void skiff_features_collect (struct skiff_features *f);
void skiff_features_release (struct skiff_features *f);

#endif
