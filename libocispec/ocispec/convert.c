/* skiff libocispec - tree <-> C conversion helpers for the generated code.
 * Independent of the JSON backend.  */

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec/internal.h"

static char *
steal_or_oom (oci_buf *b)
{
  if (b->oom)
    {
      free (b->s);
      return strdup ("out of memory");
    }
  return b->s;
}

int
oci_fail (oci_ctx *c, const oci_path *p, const char *fmt, ...)
{
  oci_buf b = { 0 };
  char *msg = NULL;
  va_list ap;
  size_t plen;

  if (c->err != NULL)
    return -1;
  oci_buf_adds (&b, c->name);
  oci_buf_adds (&b, ": ");
  plen = b.len;
  oci_buf_add_path (&b, p);
  if (b.len > plen)
    oci_buf_adds (&b, ": ");
  va_start (ap, fmt);
  if (vasprintf (&msg, fmt, ap) < 0)
    msg = NULL;
  va_end (ap);
  oci_buf_adds (&b, msg ? msg : "out of memory");
  free (msg);
  c->err = steal_or_oom (&b);
  return -1;
}

/* Short description of a value for messages: numbers and strings are
   shown quoted (truncated), e.g. got "-1".  */
int
oci_fail_type (oci_ctx *c, const oci_path *p, const char *expected,
               const oci_json *got)
{
  switch (got->type)
    {
    case OCI_JSON_NULL:
      return oci_fail (c, p, "expected %s, got null", expected);
    case OCI_JSON_BOOL:
      return oci_fail (c, p, "expected %s, got %s", expected,
                       got->b ? "true" : "false");
    case OCI_JSON_ARRAY:
      return oci_fail (c, p, "expected %s, got an array", expected);
    case OCI_JSON_OBJECT:
      return oci_fail (c, p, "expected %s, got an object", expected);
    case OCI_JSON_NUMBER:
    case OCI_JSON_STRING:
      {
        size_t n = got->len > 40 ? 40 : got->len;
        char *shown = strndup (got->s ? got->s : "", n);
        int r = oci_fail (c, p, "expected %s, got \"%s%s\"", expected,
                          shown ? shown : "", got->len > n ? "..." : "");
        free (shown);
        return r;
      }
    }
  return oci_fail (c, p, "expected %s", expected);
}

int
oci_conv_str (oci_ctx *c, const oci_path *p, oci_json *v, char **out)
{
  if (v->type != OCI_JSON_STRING)
    return oci_fail_type (c, p, "a string", v);
  if (memchr (v->s, '\0', v->len) != NULL)
    return oci_fail (c, p, "string contains a NUL character");
  free (*out);
  *out = v->s; /* steal: no copy for big strings */
  v->s = NULL;
  v->len = 0;
  return 0;
}

int
oci_conv_bool (oci_ctx *c, const oci_path *p, oci_json *v, bool *out)
{
  if (v->type != OCI_JSON_BOOL)
    return oci_fail_type (c, p, "a boolean", v);
  *out = v->b;
  return 0;
}

/* JSON numbers arrive verbatim; only plain integers are accepted, no
   fraction or exponent, so 1.5 or 1e3 are rejected rather than rounded.  */
static int
parse_magnitude (const char *s, bool *neg, uint64_t *mag)
{
  uint64_t m = 0;

  *neg = false;
  if (*s == '-')
    {
      *neg = true;
      s++;
    }
  if (*s == '\0')
    return -1;
  for (; *s; s++)
    {
      unsigned d;
      if (*s < '0' || *s > '9')
        return -1;
      d = (unsigned) (*s - '0');
      if (m > (UINT64_MAX - d) / 10)
        return -1;
      m = m * 10 + d;
    }
  *mag = m;
  return 0;
}

int
oci_conv_i64 (oci_ctx *c, const oci_path *p, oci_json *v, int64_t min,
              int64_t max, const char *what, int64_t *out)
{
  bool neg;
  uint64_t mag;
  int64_t r;

  if (v->type != OCI_JSON_NUMBER || parse_magnitude (v->s, &neg, &mag) < 0)
    return oci_fail_type (c, p, what, v);
  if (neg)
    {
      if (mag > (uint64_t) INT64_MAX + 1)
        return oci_fail_type (c, p, what, v);
      r = mag == (uint64_t) INT64_MAX + 1 ? INT64_MIN : -(int64_t) mag;
    }
  else
    {
      if (mag > (uint64_t) INT64_MAX)
        return oci_fail_type (c, p, what, v);
      r = (int64_t) mag;
    }
  if (r < min || r > max)
    return oci_fail_type (c, p, what, v);
  *out = r;
  return 0;
}

int
oci_conv_u64 (oci_ctx *c, const oci_path *p, oci_json *v, uint64_t max,
              const char *what, uint64_t *out)
{
  bool neg;
  uint64_t mag;

  if (v->type != OCI_JSON_NUMBER || parse_magnitude (v->s, &neg, &mag) < 0
      || (neg && mag != 0) || mag > max)
    return oci_fail_type (c, p, what, v);
  *out = mag;
  return 0;
}

void
oci_str_array_free (char **a, size_t len)
{
  size_t i;

  if (a == NULL)
    return;
  for (i = 0; i < len; i++)
    free (a[i]);
  free (a);
}

int
oci_conv_str_array (oci_ctx *c, const oci_path *p, oci_json *v, char ***out,
                    size_t *len)
{
  char **a;
  size_t i;

  if (v->type != OCI_JSON_ARRAY)
    return oci_fail_type (c, p, "an array", v);
  /* Never NULL, even for []: presence is "pointer != NULL".  */
  a = calloc (v->len ? v->len : 1, sizeof *a);
  if (a == NULL)
    return oci_fail (c, p, "out of memory");
  for (i = 0; i < v->len; i++)
    {
      oci_path ip = { p, NULL, i };
      if (oci_conv_str (c, &ip, v->items[i], &a[i]) < 0)
        {
          oci_str_array_free (a, i);
          return -1;
        }
    }
  oci_str_array_free (*out, *len);
  *out = a;
  *len = v->len;
  return 0;
}

void
oci_string_map_free (oci_string_map *m)
{
  if (m == NULL)
    return;
  oci_str_array_free (m->keys, m->len);
  oci_str_array_free (m->values, m->len);
  free (m);
}

oci_string_map *
oci_string_map_new (void)
{
  return calloc (1, sizeof (oci_string_map));
}

const char *
oci_string_map_get (const oci_string_map *m, const char *key)
{
  size_t i;

  if (m == NULL || key == NULL)
    return NULL;
  for (i = 0; i < m->len; i++)
    if (strcmp (m->keys[i], key) == 0)
      return m->values[i];
  return NULL;
}

int
oci_string_map_set (oci_string_map *m, const char *key, const char *value)
{
  char *k, *v, **nk, **nv;
  size_t i;

  v = strdup (value);
  if (v == NULL)
    return -1;
  for (i = 0; i < m->len; i++)
    if (strcmp (m->keys[i], key) == 0)
      {
        free (m->values[i]);
        m->values[i] = v;
        return 0;
      }
  k = strdup (key);
  nk = realloc (m->keys, (m->len + 1) * sizeof *nk);
  if (nk != NULL)
    m->keys = nk;
  nv = realloc (m->values, (m->len + 1) * sizeof *nv);
  if (nv != NULL)
    m->values = nv;
  if (k == NULL || nk == NULL || nv == NULL)
    {
      free (k);
      free (v);
      return -1;
    }
  m->keys[m->len] = k;
  m->values[m->len] = v;
  m->len++;
  return 0;
}

int
oci_conv_str_map (oci_ctx *c, const oci_path *p, oci_json *v,
                  oci_string_map **out)
{
  oci_string_map *m;
  size_t i;

  if (v->type != OCI_JSON_OBJECT)
    return oci_fail_type (c, p, "an object", v);
  m = calloc (1, sizeof *m);
  if (m == NULL)
    return oci_fail (c, p, "out of memory");
  m->keys = calloc (v->len ? v->len : 1, sizeof *m->keys);
  m->values = calloc (v->len ? v->len : 1, sizeof *m->values);
  if (m->keys == NULL || m->values == NULL)
    {
      oci_string_map_free (m);
      return oci_fail (c, p, "out of memory");
    }
  for (i = 0; i < v->len; i++)
    {
      oci_path kp = { p, v->keys[i], 0 };
      if (oci_conv_str (c, &kp, v->items[i], &m->values[i]) < 0)
        {
          m->len = i + 1;
          oci_string_map_free (m);
          return -1;
        }
      m->len = i + 1;
      m->keys[i] = oci_json_take_key (v, i);
      if (m->keys[i] == NULL)
        {
          oci_string_map_free (m);
          return oci_fail (c, p, "out of memory");
        }
    }
  oci_string_map_free (*out);
  *out = m;
  return 0;
}

oci_string_set *
oci_string_set_new (void)
{
  return calloc (1, sizeof (oci_string_set));
}

void
oci_string_set_free (oci_string_set *s)
{
  if (s == NULL)
    return;
  oci_str_array_free (s->keys, s->len);
  free (s);
}

bool
oci_string_set_contains (const oci_string_set *s, const char *key)
{
  size_t i;

  if (s == NULL || key == NULL)
    return false;
  for (i = 0; i < s->len; i++)
    if (strcmp (s->keys[i], key) == 0)
      return true;
  return false;
}

int
oci_string_set_add (oci_string_set *s, const char *key)
{
  char *k, **nk;

  if (oci_string_set_contains (s, key))
    return 0;
  k = strdup (key);
  if (k == NULL)
    return -1;
  nk = realloc (s->keys, (s->len + 1) * sizeof *nk);
  if (nk == NULL)
    {
      free (k);
      return -1;
    }
  s->keys = nk;
  s->keys[s->len++] = k;
  return 0;
}

/* Values must be objects; their content is not kept (the image spec
   defines them as {}).  */
int
oci_conv_str_set (oci_ctx *c, const oci_path *p, oci_json *v,
                  oci_string_set **out)
{
  oci_string_set *s;
  size_t i;

  if (v->type != OCI_JSON_OBJECT)
    return oci_fail_type (c, p, "an object", v);
  s = calloc (1, sizeof *s);
  if (s == NULL)
    return oci_fail (c, p, "out of memory");
  s->keys = calloc (v->len ? v->len : 1, sizeof *s->keys);
  if (s->keys == NULL)
    {
      free (s);
      return oci_fail (c, p, "out of memory");
    }
  for (i = 0; i < v->len; i++)
    {
      oci_path kp = { p, v->keys[i], 0 };
      if (v->items[i]->type != OCI_JSON_OBJECT)
        {
          oci_string_set_free (s);
          return oci_fail_type (c, &kp, "an object", v->items[i]);
        }
      s->len = i + 1;
      s->keys[i] = oci_json_take_key (v, i);
      if (s->keys[i] == NULL)
        {
          oci_string_set_free (s);
          return oci_fail (c, p, "out of memory");
        }
    }
  oci_string_set_free (*out);
  *out = s;
  return 0;
}

void
oci_extra_free (struct oci_extra *x)
{
  size_t i;

  if (x == NULL)
    return;
  for (i = 0; i < x->len; i++)
    {
      free (x->keys[i]);
      oci_json_free (x->values[i]);
    }
  free (x->keys);
  free (x->values);
  free (x);
}

int
oci_extra_take (oci_ctx *c, struct oci_extra **xp, oci_json *o, size_t i)
{
  struct oci_extra *x = *xp;

  if (x == NULL)
    {
      x = calloc (1, sizeof *x);
      if (x == NULL)
        return oci_fail (c, NULL, "out of memory");
      *xp = x;
    }
  if (x->len == x->cap)
    {
      size_t cap = x->cap ? x->cap * 2 : 4;
      char **k = realloc (x->keys, cap * sizeof *k);
      oci_json **v;
      if (k == NULL)
        return oci_fail (c, NULL, "out of memory");
      x->keys = k;
      v = realloc (x->values, cap * sizeof *v);
      if (v == NULL)
        return oci_fail (c, NULL, "out of memory");
      x->values = v;
      x->cap = cap;
    }
  x->keys[x->len] = oci_json_take_key (o, i);
  if (x->keys[x->len] == NULL)
    return oci_fail (c, NULL, "out of memory");
  x->values[x->len] = oci_json_detach (o->items[i]);
  if (x->values[x->len] == NULL)
    {
      free (x->keys[x->len]);
      return oci_fail (c, NULL, "out of memory");
    }
  if (x->values[x->len] == o->items[i])
    o->items[i] = NULL; /* heap tree: moved, not copied */
  x->len++;
  return 0;
}

void
oci_gen_str_array (oci_gen *g, const oci_path *p, char *const *a, size_t len)
{
  size_t i;

  oci_gen_array_open (g);
  for (i = 0; i < len; i++)
    {
      oci_path ip = { p, NULL, i };
      if (a[i] == NULL)
        oci_gen_fail (g, &ip, "NULL string in array");
      else
        oci_gen_str (g, &ip, a[i]);
    }
  oci_gen_array_close (g);
}

void
oci_gen_str_map (oci_gen *g, const oci_path *p, const oci_string_map *m)
{
  size_t i;

  oci_gen_map_open (g);
  for (i = 0; i < m->len; i++)
    {
      oci_path kp = { p, m->keys[i], 0 };
      if (m->keys[i] == NULL || m->values[i] == NULL)
        {
          oci_gen_fail (g, p, "NULL key or value in map");
          break;
        }
      oci_gen_str (g, &kp, m->keys[i]);
      oci_gen_str (g, &kp, m->values[i]);
    }
  oci_gen_map_close (g);
}

void
oci_gen_str_set (oci_gen *g, const oci_path *p, const oci_string_set *s)
{
  size_t i;

  oci_gen_map_open (g);
  for (i = 0; i < s->len; i++)
    {
      oci_path kp = { p, s->keys[i], 0 };
      if (s->keys[i] == NULL)
        {
          oci_gen_fail (g, p, "NULL key in set");
          break;
        }
      oci_gen_str (g, &kp, s->keys[i]);
      oci_gen_map_open (g);
      oci_gen_map_close (g);
    }
  oci_gen_map_close (g);
}

void
oci_gen_extra (oci_gen *g, const struct oci_extra *x)
{
  size_t i;

  if (x == NULL)
    return;
  for (i = 0; i < x->len; i++)
    {
      oci_gen_key (g, x->keys[i]);
      oci_gen_json (g, x->values[i]);
    }
}

void *
oci_parse_data (const char *data, size_t len, const char *name, char **err,
                oci_conv_fn conv)
{
  oci_ctx c = { name ? name : "<data>", NULL };
  char *dummy = NULL;
  oci_json *tree;
  void *r = NULL;

  if (err == NULL)
    err = &dummy;
  *err = NULL;
  if (data == NULL)
    {
      *err = strdup ("no data");
      free (dummy);
      return NULL;
    }
  tree = oci_json_parse (data, len, c.name, err);
  if (tree != NULL)
    {
      if (conv (&c, NULL, tree, &r) < 0)
        {
          r = NULL;
          *err = c.err ? c.err : strdup ("out of memory");
        }
      oci_json_free (tree);
    }
  free (dummy);
  return r;
}

void *
oci_parse_file (const char *path, char **err, oci_conv_fn conv)
{
  char *dummy = NULL, *data = NULL;
  size_t len = 0;
  void *r;

  if (err == NULL)
    err = &dummy;
  *err = NULL;
  if (oci_read_file (path, &data, &len, err) < 0)
    {
      free (dummy);
      return NULL;
    }
  r = oci_parse_data (data, len, path, err, conv);
  free (data);
  free (dummy);
  return r;
}

char *
oci_generate (const void *v, char **err, oci_gen_fn gen)
{
  char *dummy = NULL, *r;
  oci_gen *g;

  if (err == NULL)
    err = &dummy;
  *err = NULL;
  if (v == NULL)
    {
      *err = strdup ("no document");
      free (dummy);
      return NULL;
    }
  g = oci_gen_new ();
  if (g != NULL)
    gen (g, v);
  r = oci_gen_finish (g, err);
  free (dummy);
  return r;
}

/* ---- constraints of the .def files ----------------------------------- */

int
oci_check_range (oci_ctx *c, const oci_path *p, int64_t v, int64_t min,
                 int64_t max)
{
  if (v >= min && v <= max)
    return 0;
  if (max == INT64_MAX)
    return oci_fail (c, p, "must be at least %lld, got %lld", (long long) min,
                     (long long) v);
  if (min == INT64_MIN)
    return oci_fail (c, p, "must be at most %lld, got %lld", (long long) max,
                     (long long) v);
  return oci_fail (c, p, "must be between %lld and %lld, got %lld",
                   (long long) min, (long long) max, (long long) v);
}

int
oci_check_enum (oci_ctx *c, const oci_path *p, const char *s,
                const char *const *values)
{
  oci_buf b = { 0 };
  int r;

  for (size_t i = 0; values[i]; i++)
    if (strcmp (s, values[i]) == 0)
      return 0;
  for (size_t i = 0; values[i]; i++)
    {
      oci_buf_adds (&b, i ? ", " : "");
      oci_buf_adds (&b, values[i]);
    }
  r = oci_fail (c, p, "\"%.40s\" is not one of %s", s,
                b.oom ? "the allowed values" : b.s);
  free (b.s);
  return r;
}

int
oci_check_absolute (oci_ctx *c, const oci_path *p, const char *s)
{
  if (s[0] == '/')
    return 0;
  return oci_fail (c, p, "\"%.80s\" is not an absolute path", s);
}

/* One dot-separated SemVer identifier: digits only when NUMERIC_ONLY,
   else letters, digits and '-'; numeric identifiers have no leading zero
   unless LEADING_ZERO_OK (build metadata).  Returns its end or NULL.  */
static const char *
semver_ident (const char *s, bool numeric_only, bool leading_zero_ok)
{
  const char *start = s;
  bool digits = true;

  for (; (*s >= '0' && *s <= '9')
         || (! numeric_only
             && ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '-'));
       s++)
    if (*s < '0' || *s > '9')
      digits = false;
  if (s == start)
    return NULL;
  if (digits && ! leading_zero_ok && start[0] == '0' && s - start > 1)
    return NULL;
  return s;
}

int
oci_check_semver (oci_ctx *c, const oci_path *p, const char *s)
{
  const char *q = s;

  for (int i = 0; i < 3 && q; i++)
    {
      q = semver_ident (q, true, false);
      if (q && i < 2)
        q = *q == '.' ? q + 1 : NULL;
    }
  if (q && *q == '-')
    do
      q = semver_ident (q + 1, false, false);
    while (q && *q == '.');
  if (q && *q == '+')
    do
      q = semver_ident (q + 1, false, true);
    while (q && *q == '.');
  if (q && *q == '\0')
    return 0;
  return oci_fail (c, p, "\"%.40s\" is not a SemVer 2.0 version", s);
}

int
oci_check_pagesize (oci_ctx *c, const oci_path *p, const char *s)
{
  static const char units[] = "KMGTP";
  const char *u;
  uint64_t n = 0;
  const char *q = s;
  int shift;

  for (; *q >= '0' && *q <= '9' && n <= UINT32_MAX; q++)
    n = n * 10 + (uint64_t) (*q - '0');
  u = *q ? strchr (units, *q) : NULL;
  if (q == s || u == NULL || strcmp (q + 1, "B") != 0 || n > UINT32_MAX)
    goto bad;
  shift = 10 * (int) (u - units + 1);
  /* n << shift as a power of two >= 4KB, without overflow */
  if (n == 0 || (n & (n - 1)) != 0 || shift + __builtin_ctzll (n) < 12
      || shift + __builtin_ctzll (n) > 62)
    goto bad;
  return 0;
bad:
  return oci_fail (c, p, "\"%.40s\" is not a page size such as 64KB, 2MB or 1GB", s);
}

int
oci_check_devaccess (oci_ctx *c, const oci_path *p, const char *s)
{
  for (const char *q = s; *q; q++)
    if (strchr ("rwm", *q) == NULL || strchr (q + 1, *q) != NULL)
      return oci_fail (c, p, "\"%.40s\" is not a combination of r, w and m", s);
  return 0;
}

int
oci_check_unique (oci_ctx *c, const oci_path *p, void *const *items, size_t n,
                  size_t offset, const char *key)
{
  for (size_t i = 1; i < n; i++)
    {
      const char *a = *(char *const *) ((const char *) items[i] + offset);
      if (a == NULL)
        continue;
      for (size_t j = 0; j < i; j++)
        {
          const char *b = *(char *const *) ((const char *) items[j] + offset);
          if (b != NULL && strcmp (a, b) == 0)
            {
              oci_path ip = { p, NULL, i };
              oci_path kp = { &ip, key, 0 };
              return oci_fail (c, &kp, "duplicate \"%.40s\" (also at index %zu)",
                               a, j);
            }
        }
    }
  return 0;
}

int
oci_check_map_keys (oci_ctx *c, const oci_path *p, const oci_string_map *m)
{
  for (size_t i = 0; i < m->len; i++)
    if (m->keys[i][0] == '\0')
      return oci_fail (c, p, "keys must not be empty");
  return 0;
}
