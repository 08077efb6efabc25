/* skiff: the systemd cgroup driver (--systemd-cgroup): the container's
   cgroup is a transient systemd unit (a scope, or a slice when
   linux.cgroupsPath names one), created, changed and stopped over D-Bus
   with libsystemd's sd-bus.  Only the unit is systemd's business here: the
   cgroup files systemd cannot express are written by cgroup*.c on the
   unit's path, as for the cgroupfs driver.  */
#ifndef SKIFF_CGROUP_SYSTEMD_H
#define SKIFF_CGROUP_SYSTEMD_H

#include <stdbool.h>
#include <sys/types.h>
#include "error.h"
#include "ocispec/runtime.h"

/* The error for hosts where the driver cannot work: skiff built without
   libsystemd, or systemd not running (no /run/systemd/system).  Nothing is
   connected to.  */
int skiff_systemd_check (skiff_error_t *err);

/* Before the container's process exists: the unit of the cgroup REL
   must not be in use (a failed one is reset), so that the name the
   container's state records is known to be its own.  */
int skiff_systemd_prepare (const char *rel, skiff_error_t *err);

/* Start the transient unit of the cgroup REL ("/a.slice/a-b.slice/x.scope",
   inside the v2 hierarchy): a scope gets PID in it, a slice no process.
   Properties: the resources RES translates into (see the mapping in
   skiff(1)), then each `org.systemd.property.NAME` annotation of
   ANNOTATIONS (NULL: none), so an annotation wins.  Returns once systemd
   has finished the start job.  */
int skiff_systemd_start (const char *rel, pid_t pid, const oci_resources *res,
                         const oci_string_map *annotations, skiff_error_t *err);

/* `update`: set the unit properties RES translates into, at runtime
   (SetUnitProperties with runtime=true: not persisted).  */
int skiff_systemd_update (const char *rel, const oci_resources *res, skiff_error_t *err);

/* Stop the unit of REL and wait for it; a unit that no longer exists
   (systemd collects a scope whose processes all exited) is no error.  */
int skiff_systemd_stop (const char *rel, skiff_error_t *err);

/* Parse a GVariant-style text value of an org.systemd.property.*
   annotation: true/false, an integer (int32), a decimal (double), a
   quoted string, or a typed value ("uint64 10", "@t 10", "int32 -1",
   "string 'x'"...).  *TYPE is the D-Bus signature letter; the value is in
   the matching member.  Exposed for the unit tests.  */
struct skiff_systemd_value
{
  char type; /* 'b' 'y' 'n' 'q' 'i' 'u' 'x' 't' 'd' 's' */
  bool b;
  long long i;          /* y n i x (and q u within range) */
  unsigned long long u; /* t, q, u */
  double d;
  char *s;              /* 's': allocated */
};
int skiff_systemd_parse_value (const char *text, struct skiff_systemd_value *out,
                               skiff_error_t *err);

/* "0-2,7" -> a bitmask of BYTES (bit N of byte N/8 is CPU or node N), as
   systemd's AllowedCPUs/AllowedMemoryNodes take it.  */
int skiff_systemd_cpu_mask (const char *list, unsigned char **bytes, size_t *len,
                            skiff_error_t *err);

#endif
