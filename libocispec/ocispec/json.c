/* skiff libocispec - yajl implementation of the JSON backend (json.h).
 *
 * Parsing uses yajl's event parser to build our own small tree: that gives
 * us the raw text of numbers (exact 64-bit range checks, no double
 * rounding), duplicate-key detection, a nesting limit enforced before any
 * recursion happens, and string/number buffers the converters can steal
 * instead of copying (10 MiB strings cost one copy).  */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <inttypes.h>

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <yajl/yajl_gen.h>
#include <yajl/yajl_parse.h>

#include "ocispec/json.h"

/* ------------------------------------------------------------ buffers */

void
oci_buf_add (oci_buf *b, const char *s, size_t n)
{
  if (b->oom)
    return;
  if (b->len + n + 1 > b->cap)
    {
      size_t cap = b->cap ? b->cap * 2 : 128;
      char *ns;
      while (cap < b->len + n + 1)
        cap *= 2;
      ns = realloc (b->s, cap);
      if (ns == NULL)
        {
          b->oom = true;
          return;
        }
      b->s = ns;
      b->cap = cap;
    }
  memcpy (b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = '\0';
}

void
oci_buf_adds (oci_buf *b, const char *s)
{
  oci_buf_add (b, s, strlen (s));
}

static bool
is_ident (const char *k)
{
  if (*k == '\0')
    return false;
  for (; *k; k++)
    if (!((*k >= 'a' && *k <= 'z') || (*k >= 'A' && *k <= 'Z')
          || (*k >= '0' && *k <= '9') || *k == '_'))
      return false;
  return true;
}

/* ".key", or ["key"] when the key would be ambiguous (dots, spaces...).  */
void
oci_buf_add_key (oci_buf *b, const char *key, bool first)
{
  if (is_ident (key))
    {
      if (!first)
        oci_buf_add (b, ".", 1);
      oci_buf_adds (b, key);
      return;
    }
  oci_buf_add (b, "[\"", 2);
  for (; *key; key++)
    {
      if (*key == '"' || *key == '\\')
        oci_buf_add (b, "\\", 1);
      oci_buf_add (b, key, 1);
    }
  oci_buf_add (b, "\"]", 2);
}

void
oci_buf_add_path (oci_buf *b, const oci_path *p)
{
  const oci_path *chain[OCI_JSON_MAX_DEPTH + 2];
  size_t n = 0, i;

  for (; p != NULL && n < sizeof chain / sizeof chain[0]; p = p->up)
    chain[n++] = p;
  for (i = n; i-- > 0;)
    {
      if (chain[i]->key != NULL)
        oci_buf_add_key (b, chain[i]->key, i == n - 1);
      else
        {
          char tmp[32];
          snprintf (tmp, sizeof tmp, "[%zu]", chain[i]->index);
          oci_buf_adds (b, tmp);
        }
    }
}

/* ------------------------------------------------------------ tree */

/* Strict UTF-8 (RFC 3629).  yajl's own check only looks at the byte
   structure: it lets overlong forms, UTF-16 surrogates and code points
   above U+10FFFF through.  */
static bool
utf8_valid (const unsigned char *s, size_t n)
{
  size_t i = 0;

  while (i < n)
    {
      unsigned c = s[i], lo = 0x80, hi = 0xbf;
      size_t need, k;

      if (c < 0x80)
        {
          /* Fast path: skip ASCII eight bytes at a time.  */
          uint64_t w;
          while (n - i >= 8)
            {
              memcpy (&w, s + i, 8);
              if (w & UINT64_C (0x8080808080808080))
                break;
              i += 8;
            }
          if (n - i < 8 || s[i] < 0x80)
            i++;
          continue;
        }
      if (c >= 0xc2 && c <= 0xdf)
        need = 1;
      else if (c >= 0xe0 && c <= 0xef)
        {
          need = 2;
          if (c == 0xe0)
            lo = 0xa0; /* overlong */
          else if (c == 0xed)
            hi = 0x9f; /* surrogates */
        }
      else if (c >= 0xf0 && c <= 0xf4)
        {
          need = 3;
          if (c == 0xf0)
            lo = 0x90; /* overlong */
          else if (c == 0xf4)
            hi = 0x8f; /* > U+10FFFF */
        }
      else
        return false;
      if (n - i <= need || s[i + 1] < lo || s[i + 1] > hi)
        return false;
      for (k = 2; k <= need; k++)
        if (s[i + k] < 0x80 || s[i + k] > 0xbf)
          return false;
      i += need + 1;
    }
  return true;
}

/* Parsed documents live in two arenas, which saves several thousand
   malloc/free pairs on a big config.json: fixed-size nodes (walkable, so
   the string buffers they own can be freed without recursion) and bytes
   (keys, numbers, member arrays).  String values stay individually
   malloc'd so converters can steal them.  Subtrees that outlive the
   document (unknown keys) are moved to the heap by oci_json_detach.  */

typedef struct chunk
{
  struct chunk *next;
  size_t used, cap;
  max_align_t data[];
} chunk;

struct oci_doc
{
  oci_json root; /* first: oci_json_free finds the doc from its root */
  chunk *nodes;  /* arrays of oci_json */
  chunk *bytes;
};

#define ARENA_ALIGN(n) (((n) + 15) & ~(size_t) 15)
#define NODE_SIZE ARENA_ALIGN (sizeof (oci_json))

static void *
chunk_alloc (chunk **head, size_t size, size_t min_cap)
{
  chunk *c = *head;
  void *p;

  size = ARENA_ALIGN (size);
  if (c == NULL || c->cap - c->used < size)
    {
      size_t cap = size > min_cap ? size : min_cap;
      c = malloc (sizeof *c + cap);
      if (c == NULL)
        return NULL;
      c->next = *head;
      c->used = 0;
      c->cap = cap;
      *head = c;
    }
  p = (char *) c->data + c->used;
  c->used += size;
  return p;
}

static void
doc_free (struct oci_doc *d)
{
  chunk *c, *next;
  size_t i;

  free (d->root.type == OCI_JSON_STRING ? d->root.s : NULL);
  for (c = d->nodes; c != NULL; c = next)
    {
      for (i = 0; i < c->used; i += NODE_SIZE)
        {
          oci_json *n = (oci_json *) ((char *) c->data + i);
          if (n->type == OCI_JSON_STRING)
            free (n->s);
        }
      next = c->next;
      free (c);
    }
  for (c = d->bytes; c != NULL; c = next)
    {
      next = c->next;
      free (c);
    }
  free (d);
}

void
oci_json_free (oci_json *v)
{
  size_t i;

  if (v == NULL)
    return;
  if (v->alloc == OCI_JSON_IN_DOC)
    return; /* freed with its document */
  if (v->alloc == OCI_JSON_DOC_ROOT)
    {
      doc_free ((struct oci_doc *) v);
      return;
    }
  free (v->s);
  if (v->items != NULL)
    for (i = 0; i < v->len; i++)
      oci_json_free (v->items[i]);
  if (v->keys != NULL)
    for (i = 0; i < v->len; i++)
      free (v->keys[i]);
  free (v->items);
  free (v->keys);
  free (v);
}

/* Recursion is bounded by OCI_JSON_MAX_DEPTH.  */
oci_json *
oci_json_detach (oci_json *v)
{
  oci_json *h;
  size_t i, n;

  if (v->alloc == OCI_JSON_HEAP)
    return v;
  h = calloc (1, sizeof *h);
  if (h == NULL)
    return NULL;
  h->type = v->type;
  h->alloc = OCI_JSON_HEAP;
  h->b = v->b;
  switch (v->type)
    {
    case OCI_JSON_STRING:
      h->s = v->s; /* move */
      h->len = v->len;
      v->s = NULL;
      v->len = 0;
      return h;
    case OCI_JSON_NUMBER:
      h->s = strndup (v->s, v->len);
      h->len = v->len;
      if (h->s == NULL)
        {
          free (h);
          return NULL;
        }
      return h;
    case OCI_JSON_ARRAY:
    case OCI_JSON_OBJECT:
      n = v->len ? v->len : 1;
      h->items = calloc (n, sizeof *h->items);
      if (v->type == OCI_JSON_OBJECT)
        h->keys = calloc (n, sizeof *h->keys);
      if (h->items == NULL || (v->type == OCI_JSON_OBJECT && h->keys == NULL))
        break;
      for (i = 0; i < v->len; i++)
        {
          h->len = i + 1;
          if (h->keys != NULL && (h->keys[i] = strdup (v->keys[i])) == NULL)
            break;
          if ((h->items[i] = oci_json_detach (v->items[i])) == NULL)
            break;
        }
      if (i < v->len)
        break;
      return h;
    default:
      return h;
    }
  oci_json_free (h);
  return NULL;
}

char *
oci_json_take_key (oci_json *o, size_t i)
{
  char *k;

  if (o->alloc != OCI_JSON_HEAP)
    return strdup (o->keys[i]);
  k = o->keys[i];
  o->keys[i] = NULL;
  return k;
}

/* One open array/object.  Members are collected in scratch arrays that
   are reused for the whole parse, then copied to the arena once the
   container closes.  */
struct level
{
  oci_json *node;
  oci_json **items;
  char **keys;
  size_t len, cap;
  char *pending_key;
};

struct pstate
{
  struct oci_doc *doc;
  bool have_root;
  struct level lv[OCI_JSON_MAX_DEPTH];
  size_t depth;
  char *msg; /* our reason when a callback stopped the parse */
};

static int
ps_fail (struct pstate *ps, const char *msg, const char *key)
{
  oci_buf b = { 0 };
  size_t i;

  /* Path of the innermost open container.  */
  for (i = 1; i < ps->depth; i++)
    {
      struct level *parent = &ps->lv[i - 1];
      if (parent->node->type == OCI_JSON_OBJECT)
        oci_buf_add_key (&b, parent->keys[parent->len - 1], b.len == 0);
      else
        {
          char tmp[32];
          snprintf (tmp, sizeof tmp, "[%zu]", parent->len - 1);
          oci_buf_adds (&b, tmp);
        }
    }
  if (b.len > 0)
    oci_buf_adds (&b, ": ");
  oci_buf_adds (&b, msg);
  if (key != NULL)
    {
      oci_buf_adds (&b, " \"");
      oci_buf_adds (&b, key);
      oci_buf_adds (&b, "\"");
    }
  free (ps->msg);
  ps->msg = b.oom ? NULL : b.s;
  if (b.oom)
    free (b.s);
  return 0;
}

static oci_json *
new_node (struct pstate *ps, oci_json_type t)
{
  oci_json *v;

  if (!ps->have_root)
    {
      v = &ps->doc->root;
      ps->have_root = true;
      v->alloc = OCI_JSON_DOC_ROOT;
    }
  else
    {
      v = chunk_alloc (&ps->doc->nodes, sizeof *v, 256 * NODE_SIZE);
      if (v == NULL)
        return NULL;
      memset (v, 0, sizeof *v);
      v->alloc = OCI_JSON_IN_DOC;
    }
  v->type = t;
  return v;
}

/* Attach V (already in the document) to the open container, if any.  */
static int
ps_add (struct pstate *ps, oci_json *v)
{
  struct level *l;

  if (v == NULL)
    return ps_fail (ps, "out of memory", NULL);
  if (ps->depth == 0)
    return 1;
  l = &ps->lv[ps->depth - 1];
  if (l->len == l->cap)
    {
      size_t cap = l->cap ? l->cap * 2 : 16;
      oci_json **items = realloc (l->items, cap * sizeof *items);
      char **keys;
      if (items == NULL)
        return ps_fail (ps, "out of memory", NULL);
      l->items = items;
      keys = realloc (l->keys, cap * sizeof *keys);
      if (keys == NULL)
        return ps_fail (ps, "out of memory", NULL);
      l->keys = keys;
      l->cap = cap;
    }
  l->keys[l->len] = l->pending_key;
  l->pending_key = NULL;
  l->items[l->len++] = v;
  return 1;
}

static int
cb_null (void *ctx)
{
  return ps_add (ctx, new_node (ctx, OCI_JSON_NULL));
}

static int
cb_bool (void *ctx, int b)
{
  oci_json *v = new_node (ctx, OCI_JSON_BOOL);
  if (v != NULL)
    v->b = b;
  return ps_add (ctx, v);
}

static int
cb_number (void *ctx, const char *s, size_t len)
{
  struct pstate *ps = ctx;
  oci_json *v = new_node (ps, OCI_JSON_NUMBER);

  if (v == NULL)
    return ps_fail (ps, "out of memory", NULL);
  /* Numbers are never stolen: keep them in the arena (even the root's,
     which the arena outlives anyway).  */
  v->s = chunk_alloc (&ps->doc->bytes, len + 1, 16384);
  if (v->s == NULL)
    return ps_fail (ps, "out of memory", NULL);
  memcpy (v->s, s, len);
  v->s[len] = '\0';
  v->len = len;
  return ps_add (ps, v);
}

static int
cb_string (void *ctx, const unsigned char *s, size_t len)
{
  struct pstate *ps = ctx;
  oci_json *v;

  if (!utf8_valid (s, len))
    return ps_fail (ps, "invalid UTF-8 in string", NULL);
  v = new_node (ps, OCI_JSON_STRING);
  if (v == NULL)
    return ps_fail (ps, "out of memory", NULL);
  v->s = malloc (len + 1);
  if (v->s == NULL)
    return ps_fail (ps, "out of memory", NULL);
  memcpy (v->s, s, len);
  v->s[len] = '\0';
  v->len = len;
  return ps_add (ps, v);
}

static int
cb_open (struct pstate *ps, oci_json_type t)
{
  oci_json *v;

  if (ps->depth >= OCI_JSON_MAX_DEPTH)
    {
      char msg[64];
      snprintf (msg, sizeof msg, "nested deeper than %d levels",
                OCI_JSON_MAX_DEPTH);
      return ps_fail (ps, msg, NULL);
    }
  v = new_node (ps, t);
  if (!ps_add (ps, v))
    return 0;
  ps->lv[ps->depth].node = v;
  ps->lv[ps->depth].len = 0;
  ps->depth++;
  return 1;
}

static int
cb_start_map (void *ctx)
{
  return cb_open (ctx, OCI_JSON_OBJECT);
}

static int
cb_start_array (void *ctx)
{
  return cb_open (ctx, OCI_JSON_ARRAY);
}

static int
cb_map_key (void *ctx, const unsigned char *key, size_t len)
{
  struct pstate *ps = ctx;
  char *k;

  /* Keys become C strings: an embedded NUL would silently alias keys.  */
  if (memchr (key, '\0', len) != NULL)
    return ps_fail (ps, "object key contains a NUL character", NULL);
  if (!utf8_valid (key, len))
    return ps_fail (ps, "invalid UTF-8 in object key", NULL);
  k = chunk_alloc (&ps->doc->bytes, len + 1, 16384);
  if (k == NULL)
    return ps_fail (ps, "out of memory", NULL);
  memcpy (k, key, len);
  k[len] = '\0';
  ps->lv[ps->depth - 1].pending_key = k;
  return 1;
}

static int
cmp_keys (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Move the members of the innermost container into the arena.  */
static int
ps_close (struct pstate *ps)
{
  struct level *l = &ps->lv[ps->depth - 1];
  oci_json *v = l->node;

  if (l->len > 0)
    {
      v->items = chunk_alloc (&ps->doc->bytes, l->len * sizeof *v->items,
                              16384);
      if (v->items == NULL)
        return ps_fail (ps, "out of memory", NULL);
      memcpy (v->items, l->items, l->len * sizeof *v->items);
      if (v->type == OCI_JSON_OBJECT)
        {
          v->keys = chunk_alloc (&ps->doc->bytes, l->len * sizeof *v->keys,
                                 16384);
          if (v->keys == NULL)
            return ps_fail (ps, "out of memory", NULL);
          memcpy (v->keys, l->keys, l->len * sizeof *v->keys);
        }
    }
  v->len = l->len;
  ps->depth--;
  return 1;
}

static int
cb_end_map (void *ctx)
{
  struct pstate *ps = ctx;
  struct level *l = &ps->lv[ps->depth - 1];
  const char *dup = NULL;
  size_t i, j;

  /* Pairwise for small objects, sorting for big ones: never quadratic.  */
  if (l->len <= 16)
    {
      for (i = 1; i < l->len && dup == NULL; i++)
        for (j = 0; j < i; j++)
          if (strcmp (l->keys[i], l->keys[j]) == 0)
            {
              dup = l->keys[i];
              break;
            }
    }
  else
    {
      char **sorted = malloc (l->len * sizeof *sorted);
      if (sorted == NULL)
        return ps_fail (ps, "out of memory", NULL);
      memcpy (sorted, l->keys, l->len * sizeof *sorted);
      qsort (sorted, l->len, sizeof *sorted, cmp_keys);
      for (i = 1; i < l->len; i++)
        if (strcmp (sorted[i], sorted[i - 1]) == 0)
          {
            dup = sorted[i];
            break;
          }
      free (sorted);
    }
  if (dup != NULL)
    return ps_fail (ps, "duplicate key", dup);
  return ps_close (ps);
}

static int
cb_end_array (void *ctx)
{
  return ps_close (ctx);
}

static const yajl_callbacks callbacks = {
  .yajl_null = cb_null,
  .yajl_boolean = cb_bool,
  .yajl_number = cb_number,
  .yajl_string = cb_string,
  .yajl_start_map = cb_start_map,
  .yajl_map_key = cb_map_key,
  .yajl_end_map = cb_end_map,
  .yajl_start_array = cb_start_array,
  .yajl_end_array = cb_end_array,
};

static char *
fmt (const char *f, ...) __attribute__ ((format (printf, 1, 2)));

static char *
fmt (const char *f, ...)
{
  va_list ap;
  char *s;
  int r;

  va_start (ap, f);
  r = vasprintf (&s, f, ap);
  va_end (ap);
  return r < 0 ? NULL : s;
}

static int
hex4 (const char *p, const char *end)
{
  int v = 0, i;

  if (end - p < 4)
    return -1;
  for (i = 0; i < 4; i++)
    {
      char c = p[i];
      v <<= 4;
      if (c >= '0' && c <= '9')
        v |= c - '0';
      else if (c >= 'a' && c <= 'f')
        v |= c - 'a' + 10;
      else if (c >= 'A' && c <= 'F')
        v |= c - 'A' + 10;
      else
        return -1;
    }
  return v;
}

/* yajl silently turns an unpaired \uD800-\uDFFF escape into '?': find
   them first.  Backslashes are only valid inside strings, where each one
   starts an escape, so a linear scan is exact for documents yajl accepts.
   Returns the offset of the bad escape, or (size_t) -1.  */
static size_t
find_bad_surrogate (const char *data, size_t len)
{
  const char *end = data + len, *p = data;

  while ((p = memchr (p, '\\', (size_t) (end - p))) != NULL)
    {
      int hi, lo;

      if (end - p < 2)
        break;
      if (p[1] != 'u')
        {
          p += 2;
          continue;
        }
      hi = hex4 (p + 2, end);
      if (hi < 0xd800 || hi > 0xdfff)
        {
          p += 2; /* also malformed escapes: yajl reports those */
          continue;
        }
      if (hi >= 0xdc00 || end - p < 12 || p[6] != '\\' || p[7] != 'u'
          || (lo = hex4 (p + 8, end)) < 0xdc00 || lo > 0xdfff)
        return (size_t) (p - data);
      p += 12;
    }
  return (size_t) -1;
}

static size_t
line_of (const char *data, size_t len, size_t off)
{
  size_t line = 1, i;

  if (off > len)
    off = len;
  for (i = 0; i < off; i++)
    if (data[i] == '\n')
      line++;
  return line;
}

oci_json *
oci_json_parse (const char *data, size_t len, const char *name, char **err)
{
  struct pstate ps = { 0 };
  yajl_handle h;
  yajl_status st;
  size_t i, offset;

  if (name == NULL)
    name = "<data>";
  for (i = 0; i < len; i++)
    if (!strchr (" \t\r\n", data[i]))
      break;
  if (i == len)
    {
      *err = fmt ("%s: empty document", name);
      return NULL;
    }

  offset = find_bad_surrogate (data, len);
  if (offset != (size_t) -1)
    {
      *err = fmt ("%s: line %zu: unpaired UTF-16 surrogate escape", name,
                  line_of (data, len, offset));
      return NULL;
    }

  ps.doc = calloc (1, sizeof *ps.doc);
  h = ps.doc ? yajl_alloc (&callbacks, NULL, &ps) : NULL;
  if (h == NULL)
    {
      free (ps.doc);
      *err = fmt ("%s: out of memory", name);
      return NULL;
    }
  /* yajl validates UTF-8 and rejects comments and trailing garbage by
     default; be explicit anyway, these are part of our contract.  */
  yajl_config (h, yajl_allow_comments, 0);
  yajl_config (h, yajl_dont_validate_strings, 0);
  yajl_config (h, yajl_allow_trailing_garbage, 0);
  yajl_config (h, yajl_allow_multiple_values, 0);
  yajl_config (h, yajl_allow_partial_values, 0);

  st = yajl_parse (h, (const unsigned char *) data, len);
  /* yajl_complete_parse only fails for a truncated document: the problem
     is then at the end of the data.  */
  offset = st == yajl_status_ok ? len : yajl_get_bytes_consumed (h);
  if (st == yajl_status_ok)
    st = yajl_complete_parse (h);
  for (i = 0; i < OCI_JSON_MAX_DEPTH; i++)
    {
      free (ps.lv[i].items);
      free (ps.lv[i].keys);
    }
  if (st != yajl_status_ok)
    {
      size_t line = line_of (data, len, offset);
      if (ps.msg != NULL)
        *err = fmt ("%s: line %zu: %s", name, line, ps.msg);
      else
        {
          unsigned char *ye = yajl_get_error (h, 0, NULL, 0);
          char *e = (char *) ye;
          size_t n = e ? strlen (e) : 0;
          while (n > 0 && (e[n - 1] == '\n' || e[n - 1] == ' '))
            e[--n] = '\0';
          *err = fmt ("%s: line %zu: %s", name, line, e ? e : "parse error");
          if (ye != NULL)
            yajl_free_error (h, ye);
        }
      free (ps.msg);
      doc_free (ps.doc);
      yajl_free (h);
      return NULL;
    }
  yajl_free (h);
  return &ps.doc->root;
}

int
oci_read_file (const char *path, char **data, size_t *len, char **err)
{
  struct stat st;
  char *buf = NULL;
  size_t cap = 0, n = 0;
  int fd;

  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    {
      *err = fmt ("%s: open: %s", path, strerror (errno));
      return -1;
    }
  if (fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
    cap = (size_t) st.st_size + 1;
  if (cap < 4096)
    cap = 4096;
  for (;;)
    {
      ssize_t r;
      if (n + 1 >= cap)
        {
          char *nb;
          cap *= 2;
          nb = realloc (buf, cap);
          if (nb == NULL)
            {
              free (buf);
              close (fd);
              *err = fmt ("%s: read: %s", path, strerror (ENOMEM));
              return -1;
            }
          buf = nb;
        }
      else if (buf == NULL)
        {
          buf = malloc (cap);
          if (buf == NULL)
            {
              close (fd);
              *err = fmt ("%s: read: %s", path, strerror (ENOMEM));
              return -1;
            }
        }
      r = read (fd, buf + n, cap - n - 1);
      if (r < 0 && errno == EINTR)
        continue;
      if (r < 0)
        {
          int e = errno;
          free (buf);
          close (fd);
          *err = fmt ("%s: read: %s", path, strerror (e));
          return -1;
        }
      if (r == 0)
        break;
      n += (size_t) r;
    }
  close (fd);
  buf[n] = '\0';
  *data = buf;
  *len = n;
  return 0;
}

/* ------------------------------------------------------------ writer */

struct oci_gen
{
  yajl_gen y;
  char *err;
};

oci_gen *
oci_gen_new (void)
{
  oci_gen *g = calloc (1, sizeof *g);
  if (g == NULL)
    return NULL;
  g->y = yajl_gen_alloc (NULL);
  if (g->y == NULL)
    {
      free (g);
      return NULL;
    }
  yajl_gen_config (g->y, yajl_gen_beautify, 0);
  /* oci_gen_str does a stricter UTF-8 check than yajl's; other strings
     (keys, kept unknown members) were validated when parsed.  */
  yajl_gen_config (g->y, yajl_gen_validate_utf8, 0);
  return g;
}

void
oci_gen_free (oci_gen *g)
{
  if (g == NULL)
    return;
  yajl_gen_free (g->y);
  free (g->err);
  free (g);
}

bool
oci_gen_failed (const oci_gen *g)
{
  return g->err != NULL;
}

void
oci_gen_fail (oci_gen *g, const oci_path *p, const char *msg)
{
  oci_buf b = { 0 };

  if (g->err != NULL)
    return;
  oci_buf_add_path (&b, p);
  if (b.len > 0)
    oci_buf_adds (&b, ": ");
  oci_buf_adds (&b, msg);
  if (b.oom)
    {
      free (b.s);
      b.s = strdup ("out of memory");
    }
  g->err = b.s ? b.s : strdup ("out of memory");
}

static void
check (oci_gen *g, const oci_path *p, yajl_gen_status st)
{
  switch (st)
    {
    case yajl_gen_status_ok:
      return;
    case yajl_gen_invalid_string:
      oci_gen_fail (g, p, "invalid UTF-8 in string");
      return;
    case yajl_max_depth_exceeded:
      oci_gen_fail (g, p, "document nested too deeply");
      return;
    default:
      oci_gen_fail (g, p, "JSON generator error");
      return;
    }
}

#define GEN(g, p, call)                                                       \
  do                                                                          \
    {                                                                         \
      if ((g)->err == NULL)                                                   \
        check ((g), (p), (call));                                             \
    }                                                                         \
  while (0)

void
oci_gen_map_open (oci_gen *g)
{
  GEN (g, NULL, yajl_gen_map_open (g->y));
}

void
oci_gen_map_close (oci_gen *g)
{
  GEN (g, NULL, yajl_gen_map_close (g->y));
}

void
oci_gen_array_open (oci_gen *g)
{
  GEN (g, NULL, yajl_gen_array_open (g->y));
}

void
oci_gen_array_close (oci_gen *g)
{
  GEN (g, NULL, yajl_gen_array_close (g->y));
}

void
oci_gen_key (oci_gen *g, const char *key)
{
  oci_gen_keyn (g, key, strlen (key));
}

void
oci_gen_keyn (oci_gen *g, const char *key, size_t len)
{
  GEN (g, NULL, yajl_gen_string (g->y, (const unsigned char *) key, len));
}

void
oci_gen_str (oci_gen *g, const oci_path *p, const char *s)
{
  size_t n = strlen (s);

  if (g->err == NULL && !utf8_valid ((const unsigned char *) s, n))
    {
      oci_gen_fail (g, p, "invalid UTF-8 in string");
      return;
    }
  GEN (g, p, yajl_gen_string (g->y, (const unsigned char *) s, n));
}

void
oci_gen_bool (oci_gen *g, bool b)
{
  GEN (g, NULL, yajl_gen_bool (g->y, b));
}

void
oci_gen_int (oci_gen *g, int64_t i)
{
  char tmp[32];
  int n = snprintf (tmp, sizeof tmp, "%" PRId64, i);
  GEN (g, NULL, yajl_gen_number (g->y, tmp, (size_t) n));
}

void
oci_gen_uint (oci_gen *g, uint64_t u)
{
  char tmp[32];
  int n = snprintf (tmp, sizeof tmp, "%" PRIu64, u);
  GEN (g, NULL, yajl_gen_number (g->y, tmp, (size_t) n));
}

/* Recursion is bounded: trees come from oci_json_parse, which limits
   nesting to OCI_JSON_MAX_DEPTH.  */
void
oci_gen_json (oci_gen *g, const oci_json *v)
{
  size_t i;

  if (g->err != NULL)
    return;
  switch (v->type)
    {
    case OCI_JSON_NULL:
      GEN (g, NULL, yajl_gen_null (g->y));
      break;
    case OCI_JSON_BOOL:
      GEN (g, NULL, yajl_gen_bool (g->y, v->b));
      break;
    case OCI_JSON_NUMBER:
      GEN (g, NULL, yajl_gen_number (g->y, v->s, v->len));
      break;
    case OCI_JSON_STRING:
      GEN (g, NULL,
           yajl_gen_string (g->y, (const unsigned char *) v->s, v->len));
      break;
    case OCI_JSON_ARRAY:
      oci_gen_array_open (g);
      for (i = 0; i < v->len; i++)
        oci_gen_json (g, v->items[i]);
      oci_gen_array_close (g);
      break;
    case OCI_JSON_OBJECT:
      oci_gen_map_open (g);
      for (i = 0; i < v->len; i++)
        {
          oci_gen_key (g, v->keys[i]);
          oci_gen_json (g, v->items[i]);
        }
      oci_gen_map_close (g);
      break;
    }
}

char *
oci_gen_finish (oci_gen *g, char **err)
{
  const unsigned char *buf;
  size_t len;
  char *out = NULL;

  if (g == NULL)
    {
      *err = strdup ("out of memory");
      return NULL;
    }
  if (g->err == NULL
      && yajl_gen_get_buf (g->y, &buf, &len) == yajl_gen_status_ok)
    {
      out = malloc (len + 1);
      if (out != NULL)
        {
          memcpy (out, buf, len);
          out[len] = '\0';
        }
      else
        *err = strdup ("out of memory");
    }
  else if (g->err != NULL)
    {
      *err = g->err;
      g->err = NULL;
    }
  else
    *err = strdup ("JSON generator error");
  oci_gen_free (g);
  return out;
}
