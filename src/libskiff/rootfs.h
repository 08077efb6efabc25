/* skiff: the container's root filesystem: propagation, rootfs bind, every
   mount in order, devices, pivot_root, masked/readonly paths, readonly root.
   Mount destinations are resolved inside the rootfs without following
   symlinks out of it.  Runs in the child, in its new mount namespace; in a
   mount namespace skiff did not make, it only chroots (see
   skiff_rootfs_validate).  */
#ifndef SKIFF_ROOTFS_H
#define SKIFF_ROOTFS_H

#include <stdbool.h>
#include <stdint.h>
#include "error.h"
#include "ocispec/runtime.h"

struct skiff_rootfs_opts
{
  const char *rootfs;     /* absolute host path of root.path */
  bool no_pivot;          /* MS_MOVE + chroot instead of pivot_root */
  bool user_ns;           /* devices are bind mounted from the host */
  bool console;           /* create /dev/console for a terminal */
  bool new_cgroup_ns;
  const char *bundle;     /* relative bind sources are relative to it (NULL: cwd) */
  bool new_ipc_ns;        /* its mqueue is the container's alone (may be relabelled) */
  const int *premade;     /* per mount: a tree from skiff_rootfs_premake, or -1; may be NULL */
  bool own_mount_ns;      /* a new mount namespace of ours; false: shared or joined,
                             nothing is mounted, the root is entered with chroot */
  const char *cgroup_path; /* the container's cgroup as the parent made it, NULL: none */
};

/* Parent, before anything is created: without a mount namespace of its
   own (OWN_MOUNT_NS false: none in linux.namespaces, or one joined by
   path) the container may not change the mount table, which is not only
   its own.  Refuses every field that would need a mount.  */
int skiff_rootfs_validate (const oci_config *config, bool own_mount_ns, skiff_error_t *err);

/* Parent, before the clone of a container with a user namespace: the
   id-mapped bind mounts as detached trees.  Inside the user namespace
   they could not be made any more (id-mapping a mount needs privilege
   over its filesystem); the child only attaches them.  *TREES gets one
   fd per mount, -1 for the others, or stays NULL when there are none.  */
int skiff_rootfs_premake (const oci_config *config, const struct skiff_rootfs_opts *opts,
                          int **trees, skiff_error_t *err);
void skiff_rootfs_premade_free (int *trees, size_t n);

/* Everything up to (not including) pivot_root.  Hooks createRuntime run
   between this and skiff_rootfs_pivot.  */
int skiff_rootfs_prepare (const oci_config *config, const struct skiff_rootfs_opts *opts,
                          skiff_error_t *err);
/* pivot_root (or move+chroot), then masked paths, readonly paths and the
   readonly root.  After this the process sees only the container's /.  */
int skiff_rootfs_pivot (const oci_config *config, const struct skiff_rootfs_opts *opts,
                        skiff_error_t *err);

/* chroot into the directory DIRFD (what a container without a mount
   namespace of its own has for root; exec enters it the same way).  */
int skiff_rootfs_chroot_fd (int dirfd, skiff_error_t *err);

/* Parse one mount option ("ro", "nosuid", "rbind", "size=64m", "rprivate",
   "idmap", ...) into flags; unknown options become fs data.  Exposed for
   tests and fuzzing.  */
struct skiff_mount_options
{
  unsigned long flags;          /* MS_* for mount(2) */
  unsigned long clear_flags;    /* flags explicitly cleared ("rw", "suid") */
  unsigned long propagation;    /* MS_SHARED/MS_PRIVATE/... (| MS_REC) */
  uint64_t attr_set, attr_clr;  /* MOUNT_ATTR_* for recursive (rro, rnosuid, ...) */
  bool recursive_attr;
  char *data;                   /* comma-joined fs-specific options */
  bool bind, rbind;
  bool idmap, ridmap;           /* id-mapped (recursively) bind mount */
  bool tmpcopyup;               /* copy the content under a tmpfs into it */
};
int skiff_parse_mount_options (char *const *options, size_t n, struct skiff_mount_options *out,
                               skiff_error_t *err);
void skiff_mount_options_clear (struct skiff_mount_options *o);
/* Names of every option the parser knows (for `features`); strv_free it. */
char **skiff_mount_option_names (void);

#endif
