/* skiff-image: output helpers shared by the listing commands.  */
#ifndef IMAGE_OUTPUT_H
#define IMAGE_OUTPUT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <yajl/yajl_gen.h>

#include "error.h"

/* "4.27 MB": decimal units and three significant digits, as podman.  */
void image_format_size (int64_t size, char *buf, size_t len);
/* "3 days ago", relative to NOW.  */
void image_format_ago (time_t t, time_t now, char *buf, size_t len);
/* Splits a canonical reference into repository and tag ("<none>" when the
   reference names a digest); both are malloc'd.  */
void image_split_ref (const char *ref_name, char **repo, char **tag);

/* A pretty-printing generator, and the final write of its buffer to stdout
   with a newline.  */
yajl_gen image_json_new (void);
int image_json_print (yajl_gen g, skiff_error_t *err);
void image_json_str (yajl_gen g, const char *s);
void image_json_kv (yajl_gen g, const char *key, const char *value);
void image_json_kint (yajl_gen g, const char *key, long long value);

#endif
