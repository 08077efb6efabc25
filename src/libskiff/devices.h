/* skiff: device nodes of the container's /dev.  */
#ifndef SKIFF_DEVICES_H
#define SKIFF_DEVICES_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec/runtime.h"

/* Create PATH (inside ROOTFD) as a device of TYPE 'c', 'u', 'b' or 'p'
   with MODE (permission bits) owned by UID:GID.  With BIND_FROM_HOST (user
   namespaces cannot mknod) the host's node at the same path is bind
   mounted on an empty file instead.  An existing PATH is replaced.  */
int skiff_device_create (int rootfd, const char *path, char type, uint64_t major, uint64_t minor,
                         mode_t mode, uid_t uid, gid_t gid, bool bind_from_host,
                         skiff_error_t *err);

/* The default devices (null zero full random urandom tty) unless
   linux.devices redefines them, then every linux.devices entry, the /dev
   symlinks (fd stdin stdout stderr ptmx, core when WITH_PROC) and, with
   CONSOLE, an empty /dev/console for the terminal to be mounted on.  */
int skiff_devices_setup (int rootfd, const oci_config *config, bool user_ns, bool console,
                         bool with_proc, skiff_error_t *err);

#endif
