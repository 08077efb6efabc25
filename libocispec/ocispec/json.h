/* skiff libocispec - JSON backend interface (internal).
 *
 * The generated code only talks to this interface: a small DOM produced by
 * oci_json_parse and a streaming writer (oci_gen).  The yajl implementation
 * lives in json.c; swapping the backend means rewriting json.c only.  */

#ifndef OCISPEC_JSON_H
#define OCISPEC_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Maximum number of nested arrays/objects in a document.  yajl's writer
   cannot emit more than YAJL_MAX_DEPTH - 1 (127) levels, and everything we
   accept must be writable again, so the parser rejects deeper input.  */
#define OCI_JSON_MAX_DEPTH 127

typedef enum
{
  OCI_JSON_NULL,
  OCI_JSON_BOOL,
  OCI_JSON_NUMBER, /* raw text kept verbatim in s/len */
  OCI_JSON_STRING, /* s/len, may contain NUL bytes */
  OCI_JSON_ARRAY,  /* items/len */
  OCI_JSON_OBJECT  /* keys/items/len; keys are unique */
} oci_json_type;

/* Where a node lives: parsed documents are arena-allocated as a whole;
   oci_json_detach moves a subtree to the heap so it can outlive them.  */
typedef enum
{
  OCI_JSON_HEAP,     /* node, s, keys, items all malloc'd */
  OCI_JSON_IN_DOC,   /* inside a parsed document: freed with it */
  OCI_JSON_DOC_ROOT  /* root of a parsed document: frees all of it */
} oci_json_alloc;

typedef struct oci_json oci_json;
struct oci_json
{
  oci_json_type type;
  unsigned char alloc; /* oci_json_alloc */
  bool b;
  size_t len;
  char *s;       /* strings: malloc'd in every mode, may be stolen */
  char **keys;
  oci_json **items;
};

/* A JSON path, linked from the leaf to the root (root is NULL).  */
typedef struct oci_path
{
  const struct oci_path *up;
  const char *key; /* NULL: array element INDEX */
  size_t index;
} oci_path;

/* Growable string, used to build messages.  */
typedef struct
{
  char *s;
  size_t len, cap;
  bool oom;
} oci_buf;

void oci_buf_add (oci_buf *b, const char *s, size_t n);
void oci_buf_adds (oci_buf *b, const char *s);
void oci_buf_add_key (oci_buf *b, const char *key, bool first);
void oci_buf_add_path (oci_buf *b, const oci_path *p);

/* Parse DATA into a tree.  On failure returns NULL and sets *ERR to
   "NAME: line N: problem".  Rejects invalid UTF-8, duplicate keys, keys
   containing NUL, trailing garbage and documents nested deeper than
   OCI_JSON_MAX_DEPTH.  */
oci_json *oci_json_parse (const char *data, size_t len, const char *name,
                          char **err);
/* Frees a heap tree or a whole parsed document (given its root); a no-op
   for other nodes of a document.  */
void oci_json_free (oci_json *v);
/* A heap copy of V that can outlive its document; V's strings are moved
   into it.  NULL on ENOMEM.  */
oci_json *oci_json_detach (oci_json *v);
/* Key I of object O as a malloc'd string (moved or copied).  */
char *oci_json_take_key (oci_json *o, size_t i);

/* Read a whole file; errors are "PATH: open: ..." / "PATH: read: ...".  */
int oci_read_file (const char *path, char **data, size_t *len, char **err);

/* Streaming writer with a sticky error: once something failed, further
   calls do nothing and oci_gen_finish reports the first error.  */
typedef struct oci_gen oci_gen;
oci_gen *oci_gen_new (void);
void oci_gen_free (oci_gen *g);
void oci_gen_map_open (oci_gen *g);
void oci_gen_map_close (oci_gen *g);
void oci_gen_array_open (oci_gen *g);
void oci_gen_array_close (oci_gen *g);
void oci_gen_key (oci_gen *g, const char *key);
void oci_gen_keyn (oci_gen *g, const char *key, size_t len);
void oci_gen_str (oci_gen *g, const oci_path *p, const char *s);
void oci_gen_bool (oci_gen *g, bool b);
void oci_gen_int (oci_gen *g, int64_t i);
void oci_gen_uint (oci_gen *g, uint64_t u);
void oci_gen_json (oci_gen *g, const oci_json *v);
void oci_gen_fail (oci_gen *g, const oci_path *p, const char *msg);
bool oci_gen_failed (const oci_gen *g);
/* The document as a malloc'd NUL-terminated string, or NULL and *ERR.
   Frees G.  */
char *oci_gen_finish (oci_gen *g, char **err);

#endif
