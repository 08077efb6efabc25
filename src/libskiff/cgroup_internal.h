/* skiff: cgroup internals shared by cgroup*.c (not a contract).  */
#ifndef SKIFF_CGROUP_INTERNAL_H
#define SKIFF_CGROUP_INTERNAL_H

#include <stdbool.h>
#include "cgroup.h"

struct skiff_cgroup
{
  char *path;       /* absolute cgroupfs path: <mountpoint><rel> */
  char *rel;        /* path inside the hierarchy, starts with '/' */
  char *mountpoint; /* /sys/fs/cgroup or /sys/fs/cgroup/unified */
  int pathfd;       /* O_PATH|O_DIRECTORY, -1 when the cgroup is gone */
  bool hybrid;      /* v2 hierarchy next to v1 controllers */
  bool systemd;     /* a systemd unit (cgroup_systemd.c) */
  const oci_config *config; /* systemd: the unit's properties, until it is started */
};

/* The cgroup v2 hierarchy of this host.  */
int skiff_cgroup_mountpoint (const char **mountpoint, bool *hybrid, skiff_error_t *err);

/* Controllers available (cgroup.controllers of the hierarchy root) contain
   NAME.  */
bool skiff_cgroup_controller_available (const char *mountpoint, const char *name);

/* Controllers the resources need, as a space separated list, plus the
   check that each is available (see the policy in cgroup_resources.c).  On
   success *SOFT_SKIP tells which soft defaults must be skipped.  */
struct skiff_cgroup_skip
{
  bool pids;
  bool cpu_shares;
  bool memory;  /* only "unlimited" values were given, no controller */
  bool cpu_max; /* likewise for cpu.max/burst/idle */
};
int skiff_cgroup_needed_controllers (const struct skiff_cgroup *cg, const oci_resources *res,
                                     bool is_update, char ***ctrls,
                                     struct skiff_cgroup_skip *skip, skiff_error_t *err);

/* Write every limit of RES (not devices).  */
int skiff_cgroup_apply_resources (const struct skiff_cgroup *cg, const oci_resources *res,
                                  const struct skiff_cgroup_skip *skip, bool is_update,
                                  skiff_error_t *err);

/* One device rule in kernel terms.  */
struct dev_rule
{
  bool allow;
  int type;      /* 0 = any, else BPF_DEVCG_DEV_CHAR / BPF_DEVCG_DEV_BLOCK */
  long long major, minor; /* -1 = any */
  unsigned access;        /* BPF_DEVCG_ACC_* */
};
/* RES's device rules followed by the default devices' (the last matching
   rule wins; nothing matching: denied).  */
int skiff_cgroup_device_rules (const oci_resources *res, struct dev_rule **out, size_t *n,
                               skiff_error_t *err);

/* Device rules (RES's, after the default devices') as an eBPF program.  */
int skiff_cgroup_apply_devices (const struct skiff_cgroup *cg, const oci_resources *res,
                                skiff_error_t *err);

/* Write VALUE to FILE of the cgroup; the error names the file.  */
int skiff_cgroup_write (const struct skiff_cgroup *cg, const char *file, const char *value,
                        skiff_error_t *err);
/* Read FILE of the cgroup (NUL-terminated).  */
int skiff_cgroup_read (const struct skiff_cgroup *cg, const char *file, char **out,
                       skiff_error_t *err);
/* Value of KEY in a flat keyed file ("key value\n" lines); -1 if absent. */
int skiff_cgroup_keyed_value (const char *content, const char *key, unsigned long long *out);

#endif
