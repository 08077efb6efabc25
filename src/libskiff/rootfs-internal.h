/* skiff: shared between rootfs.c, rootfs-pivot.c and rootfs-special.c. */
#ifndef SKIFF_ROOTFS_INTERNAL_H
#define SKIFF_ROOTFS_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include "rootfs.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

struct skiff_rootfs_ctx
{
  const struct skiff_rootfs_opts *opts;
  const oci_config *config;
  const char *mount_label; /* NULL without SELinux */
  int rootfd;              /* O_PATH of the rootfs mount */
  bool dev_bound;          /* /dev is a bind mount from the config */
  bool with_proc;          /* the config mounts /proc */
  size_t current;          /* index in config->mounts of the mount being made */
  struct skiff_late_ro
  {
    int fd;                /* the mount, made read-only once all below it exists */
    const char *dest;
  } *late_ro;
  size_t n_late_ro;
};

/* rootfs.c */
bool skiff_path_is (const char *path, const char *want);
/* MS_* of linux.rootfsPropagation, 0 when unset.  */
int skiff_rootfs_propagation (const oci_config *config, unsigned long *out, skiff_error_t *err);
int skiff_mount_setattr_fd (int fd, uint64_t set, uint64_t clr, uint64_t propagation,
                            bool recursive);
int skiff_bind_tree (const char *src, const struct skiff_mount_options *o, const oci_mount *m,
                     const oci_linux *linux, const char *dest, skiff_error_t *err);
int skiff_bind_at (const char *src, int targetfd, const struct skiff_mount_options *o,
                   const oci_mount *m, const oci_linux *linux, const char *dest,
                   skiff_error_t *err);
int skiff_mount_fs_at (int rootfd, int targetfd, const char *source, const char *type,
                       const struct skiff_mount_options *o, const char *data, const char *dest,
                       skiff_error_t *err);

int skiff_reopen_mount (int rootfd, int targetfd, const char *dest, skiff_error_t *err);

/* rootfs-special.c */
int skiff_make_parent_private (const char *rootfs, skiff_error_t *err);
/* --no-pivot keeps the mounts outside ROOTFS in the namespace: detach (or
   cover) every procfs and sysfs among them, or a process of the container
   with CAP_SYS_ADMIN could mount a fresh, unmasked one.  */
int skiff_detach_outer_kernel_fs (const char *rootfs, skiff_error_t *err);
int skiff_mount_cgroup (struct skiff_rootfs_ctx *ctx, const oci_mount *m,
                        const struct skiff_mount_options *o, skiff_error_t *err);
int skiff_idmap_tree (int treefd, const struct skiff_mount_options *o, const oci_mount *m,
                      const oci_linux *linux, const char *dest, skiff_error_t *err);
int skiff_tmpcopyup (int coveredfd, int mntfd, const char *dest, skiff_error_t *err);

#endif
