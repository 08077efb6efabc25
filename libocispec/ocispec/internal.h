/* skiff libocispec - helpers used by the generated code (internal).  */

#ifndef OCISPEC_INTERNAL_H
#define OCISPEC_INTERNAL_H

#include "ocispec/common.h"
#include "ocispec/json.h"

/* Conversion context: document name for messages, first error.  */
typedef struct
{
  const char *name;
  char *err;
} oci_ctx;

struct oci_extra
{
  char **keys;
  oci_json **values;
  size_t len, cap;
};

/* All oci_conv_* return 0 or -1 after recording "NAME: PATH: problem".
   They take ownership of the tree's buffers (the tree is freed after).  */
int oci_fail (oci_ctx *c, const oci_path *p, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
int oci_fail_type (oci_ctx *c, const oci_path *p, const char *expected,
                   const oci_json *got);
int oci_conv_str (oci_ctx *c, const oci_path *p, oci_json *v, char **out);
int oci_conv_bool (oci_ctx *c, const oci_path *p, oci_json *v, bool *out);
int oci_conv_i64 (oci_ctx *c, const oci_path *p, oci_json *v, int64_t min,
                  int64_t max, const char *what, int64_t *out);
int oci_conv_u64 (oci_ctx *c, const oci_path *p, oci_json *v, uint64_t max,
                  const char *what, uint64_t *out);
int oci_conv_str_array (oci_ctx *c, const oci_path *p, oci_json *v,
                        char ***out, size_t *len);
int oci_conv_str_map (oci_ctx *c, const oci_path *p, oci_json *v,
                      oci_string_map **out);
int oci_conv_str_set (oci_ctx *c, const oci_path *p, oci_json *v,
                      oci_string_set **out);
/* Constraints of the .def files, checked on converted values; each
   returns 0 or -1 after recording the problem at P.  */
int oci_check_range (oci_ctx *c, const oci_path *p, int64_t v, int64_t min,
                     int64_t max);
/* S is one of the NULL-terminated VALUES.  */
int oci_check_enum (oci_ctx *c, const oci_path *p, const char *s,
                    const char *const *values);
int oci_check_absolute (oci_ctx *c, const oci_path *p, const char *s);
int oci_check_semver (oci_ctx *c, const oci_path *p, const char *s);
/* "<n><K|M|G|T|P>B" naming a power of two of at least 4KB.  */
int oci_check_pagesize (oci_ctx *c, const oci_path *p, const char *s);
/* Letters of "rwm", each at most once.  */
int oci_check_devaccess (oci_ctx *c, const oci_path *p, const char *s);
/* No two of the N objects ITEMS have the same string at byte OFFSET
   (member KEY); absent (NULL) strings are not compared.  */
int oci_check_unique (oci_ctx *c, const oci_path *p, void *const *items,
                      size_t n, size_t offset, const char *key);
int oci_check_map_keys (oci_ctx *c, const oci_path *p,
                        const oci_string_map *m);
/* Move member I of object O into *X.  */
int oci_extra_take (oci_ctx *c, struct oci_extra **x, oci_json *o, size_t i);
void oci_str_array_free (char **a, size_t len);

void oci_gen_str_array (oci_gen *g, const oci_path *p, char *const *a,
                        size_t len);
void oci_gen_str_map (oci_gen *g, const oci_path *p, const oci_string_map *m);
void oci_gen_str_set (oci_gen *g, const oci_path *p, const oci_string_set *s);
void oci_gen_extra (oci_gen *g, const struct oci_extra *x);

/* Drivers shared by all T_parse_data/T_parse_file/T_generate_json.  */
typedef int (*oci_conv_fn) (oci_ctx *c, const oci_path *p, oci_json *v,
                            void **out);
typedef void (*oci_gen_fn) (oci_gen *g, const void *v);
void *oci_parse_data (const char *data, size_t len, const char *name,
                      char **err, oci_conv_fn conv);
void *oci_parse_file (const char *path, char **err, oci_conv_fn conv);
char *oci_generate (const void *v, char **err, oci_gen_fn gen);

#endif
