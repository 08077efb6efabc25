/* skiff: Linux capabilities of the container process (process.capabilities).
   Names are parsed once before the clone into bit masks; the child applies
   them around the uid/gid switch.  */
#ifndef SKIFF_CAPS_H
#define SKIFF_CAPS_H

#include <stdbool.h>
#include <stdint.h>
#include "error.h"
#include "ocispec/runtime.h"

/* One bit per capability number (the kernel has < 64 of them).  */
struct skiff_caps
{
  uint64_t bounding;
  uint64_t effective;
  uint64_t permitted;
  uint64_t inheritable;
  uint64_t ambient;
};

/* The highest capability number of the running kernel
   (/proc/sys/kernel/cap_last_cap, libcap's CAP_LAST_CAP if unreadable).  */
int skiff_caps_last_cap (void);

/* Capability number of NAME ("CAP_SYS_ADMIN"), -1 if libcap does not know
   the name.  */
int skiff_cap_from_name (const char *name);

/* Parse process.capabilities.  An unknown name is an error naming the field
   and the name; names above the kernel's last capability are skipped.  */
int skiff_caps_parse (const oci_capabilities *c, struct skiff_caps *out, skiff_error_t *err);

/* Child, still privileged, after setresuid with PR_SET_KEEPCAPS: make the
   effective set equal to the permitted one so that CAP_SETPCAP and
   CAP_SYS_ADMIN are usable for what follows.  */
int skiff_caps_raise_effective (skiff_error_t *err);

/* Child: drop every capability not in C->bounding from the bounding set.
   Needs CAP_SETPCAP in the effective set.  */
int skiff_caps_drop_bounding (const struct skiff_caps *c, skiff_error_t *err);

/* Child: set effective/permitted/inheritable exactly, then the ambient set. */
int skiff_caps_set_final (const struct skiff_caps *c, skiff_error_t *err);

/* For `skiff features`: "CAP_CHOWN", ... up to the kernel's last capability,
   NULL-terminated, free with strv_free.  */
char **skiff_caps_known_names (void);

#endif
