/* skiff libocispec - public helpers shared by the generated OCI types.
 *
 * Conventions of every generated type (see runtime.h / image.h):
 *  - strings are char * (NULL = absent);
 *  - optional integers and booleans come with a "bool X_present" flag;
 *  - arrays are "T *X; size_t X_len;" and X != NULL means the key was
 *    present (possibly as an empty array []);
 *  - objects used as maps are oci_string_map / oci_T_map (insertion order);
 *  - objects whose values are all {} (image ExposedPorts, Volumes) are an
 *    oci_string_set: just the keys;
 *  - a JSON null is treated as "absent";
 *  - unknown keys are kept in the opaque _extra member and written back by
 *    T_generate_json, so documents round-trip.
 * All memory is malloc'd and owned by the enclosing object: T_free releases
 * everything.  Callers never see the JSON backend's types.  */

#ifndef OCISPEC_COMMON_H
#define OCISPEC_COMMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* GNU C predefines "linux" as 1; the spec's "linux" members must keep
   their name, so callers of this library cannot use that old macro.  */
#undef linux

#ifdef __cplusplus
extern "C" {
#endif

/* Unknown members of an object, opaque.  */
struct oci_extra;
void oci_extra_free (struct oci_extra *x);

typedef struct
{
  char **keys;
  char **values;
  size_t len;
} oci_string_map;

typedef struct
{
  char **keys;
  size_t len;
} oci_string_set;

oci_string_map *oci_string_map_new (void);
void oci_string_map_free (oci_string_map *m);
/* Value of KEY or NULL.  */
const char *oci_string_map_get (const oci_string_map *m, const char *key);
/* Replace or append KEY=VALUE (both copied).  0 on success, -1 on ENOMEM.  */
int oci_string_map_set (oci_string_map *m, const char *key, const char *value);

oci_string_set *oci_string_set_new (void);
void oci_string_set_free (oci_string_set *s);
bool oci_string_set_contains (const oci_string_set *s, const char *key);
/* Add KEY (copied) unless present.  0 on success, -1 on ENOMEM.  */
int oci_string_set_add (oci_string_set *s, const char *key);

#ifdef __cplusplus
}
#endif

#endif
