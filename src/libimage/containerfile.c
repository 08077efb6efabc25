/* skiff-image: the Containerfile parser: lines, directives, comments and continuations into
   instructions; keywords, flags and JSON forms checked (see containerfile.h).  */
#include <config.h>
#include "containerfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "containerfile_internal.h"
#include "ocispec/json.h"
#include "utils.h"

struct flag_spec
{
  const char *name;
  bool value; /* --name=VALUE, not --name alone */
};

enum
{
  MAY_JSON = 1 << 0,  /* a JSON array is the exec form, anything else the shell form */
  JSON_ONLY = 1 << 1, /* only the JSON form */
  NEEDS_ARG = 1 << 2, /* empty is an error */
  HEREDOC = 1 << 3,   /* where heredocs would be recognised: refused */
};

static const struct flag_spec from_flags[] = { { "platform", true }, { NULL, false } };
static const struct flag_spec run_flags[] = { { "network", true }, { NULL, false } };
static const struct flag_spec copy_flags[] = { { "from", true }, { "chown", true }, { "chmod", true }, { NULL, false } };
static const struct flag_spec add_flags[] = { { "chown", true }, { "chmod", true }, { NULL, false } };
static const struct flag_spec healthcheck_flags[] = { { "interval", true }, { "timeout", true },
                                                      { "start-period", true }, { "start-interval", true },
                                                      { "retries", true }, { NULL, false } };

static const struct keyword
{
  const char *name;
  enum cf_kind kind;
  unsigned props;
  const struct flag_spec *flags; /* NULL: none */
} keywords[] = {
  { "FROM", CF_FROM, NEEDS_ARG, from_flags },
  { "RUN", CF_RUN, MAY_JSON | NEEDS_ARG | HEREDOC, run_flags },
  { "CMD", CF_CMD, MAY_JSON, NULL },
  { "ENTRYPOINT", CF_ENTRYPOINT, MAY_JSON, NULL },
  { "COPY", CF_COPY, MAY_JSON | NEEDS_ARG | HEREDOC, copy_flags },
  { "ADD", CF_ADD, MAY_JSON | NEEDS_ARG | HEREDOC, add_flags },
  { "ENV", CF_ENV, NEEDS_ARG, NULL },
  { "ARG", CF_ARG, NEEDS_ARG, NULL },
  { "WORKDIR", CF_WORKDIR, NEEDS_ARG, NULL },
  { "USER", CF_USER, NEEDS_ARG, NULL },
  { "LABEL", CF_LABEL, NEEDS_ARG, NULL },
  { "EXPOSE", CF_EXPOSE, NEEDS_ARG, NULL },
  { "VOLUME", CF_VOLUME, MAY_JSON | NEEDS_ARG, NULL },
  { "STOPSIGNAL", CF_STOPSIGNAL, NEEDS_ARG, NULL },
  { "SHELL", CF_SHELL, JSON_ONLY | NEEDS_ARG, NULL },
  { "MAINTAINER", CF_MAINTAINER, NEEDS_ARG, NULL },
  { "HEALTHCHECK", CF_HEALTHCHECK, NEEDS_ARG, healthcheck_flags },
  { "ONBUILD", CF_ONBUILD, NEEDS_ARG, NULL },
};

static const struct keyword *
find_keyword (const char *s, size_t n)
{
  for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++)
    if (strlen (keywords[i].name) == n && strncasecmp (keywords[i].name, s, n) == 0)
      return &keywords[i];
  return NULL;
}

/* An error "PATH:LINE: ...".  */
#define cf_error(err, path, line, fmt, ...)                                                        \
  skiff_error_plain ((err), EINVAL, "%s:%d: " fmt, (path), (line), ##__VA_ARGS__)

/* At most 40 bytes of S (LEN bytes) fit to quote in a message: control bytes become '?'.  */
static char *
quotable (const char *s, size_t len)
{
  char *q = cf_strndup (s, len > 40 ? 40 : len);
  for (char *p = q; *p; p++)
    if ((unsigned char) *p < 0x20 || *p == 0x7f)
      *p = '?';
  return q;
}

/* --- JSON arrays of strings ------------------------------------------------------------------- */

/* S as a JSON array of strings and nothing else; NULL when it is not one.
   libocispec's parser reads it (strict: valid UTF-8, every escape).  */
static char **
json_array (const char *s)
{
  cleanup_free char *perr = NULL;
  oci_json *doc = oci_json_parse (s, strlen (s), "instruction", &perr);
  char **v = NULL;

  if (doc == NULL)
    return NULL;
  if (doc->type == OCI_JSON_ARRAY)
    {
      v = xmalloc0 ((doc->len + 1) * sizeof (char *));
      for (size_t i = 0; i < doc->len && v; i++)
        {
          const oci_json *it = doc->items[i];
          /* \u0000 cannot be carried by a C string.  */
          if (it->type != OCI_JSON_STRING || strlen (it->s) != it->len)
            {
              strv_free (v);
              v = NULL;
            }
          else
            v[i] = xstrdup (it->s);
        }
    }
  oci_json_free (doc);
  return v;
}

/* --- instructions ------------------------------------------------------------------------------ */

static void
instruction_clear (struct cf_instruction *in)
{
  free (in->text);
  strv_free (in->flags);
  strv_free (in->args);
}

void
containerfile_free (struct containerfile *cf)
{
  if (cf == NULL)
    return;
  for (size_t i = 0; i < cf->n; i++)
    instruction_clear (&cf->ins[i]);
  free (cf->ins);
  free (cf->path);
  free (cf);
}

void
containerfile_freep (struct containerfile **cf)
{
  containerfile_free (*cf);
  *cf = NULL;
}

static const char *
skip_blanks (const char *p)
{
  while (cf_blank (*p))
    p++;
  return p;
}

/* The number of blanks S (N bytes, not NUL-terminated) starts with.  */
static size_t
blanks_n (const char *s, size_t n)
{
  size_t i = 0;
  while (i < n && cf_blank (s[i]))
    i++;
  return i;
}

/* The length of S without trailing blanks.  */
static size_t
trimmed_len (const char *s, size_t n)
{
  while (n > 0 && cf_blank (s[n - 1]))
    n--;
  return n;
}

/* The name of flag F ("--from=x" -> "from", length in *LEN).  */
static const char *
flag_name (const char *f, size_t *len)
{
  *len = strcspn (f + 2, "=");
  return f + 2;
}

const char *
cf_flag (const struct cf_instruction *in, const char *name)
{
  size_t n, len = strlen (name);
  for (char **f = in->flags; f && *f; f++)
    {
      const char *fn = flag_name (*f, &n);
      if (n == len && strncmp (fn, name, n) == 0)
        return fn[n] == '=' ? fn + n + 1 : "";
    }
  return NULL;
}

/* Takes the leading --flags off *REST into IN->flags, checking them against KW.  */
static int
parse_flags (const struct containerfile *cf, const struct keyword *kw, struct cf_instruction *in,
             const char **rest, skiff_error_t *err)
{
  const char *path = cf->path;
  size_t n = 0;
  const char *p = *rest;

  in->flags = xmalloc0 (sizeof (char *));
  while (p[0] == '-' && p[1] == '-')
    {
      size_t len = cf_raw_word_len (p, cf->escape), nlen;
      const char *name;
      const struct flag_spec *fs = NULL;
      char *flag;

      if (len == 2)
        {
          /* `--` ends the flags.  */
          p = skip_blanks (p + 2);
          break;
        }
      flag = cf_strndup (p, len);
      in->flags = xrealloc (in->flags, (n + 2) * sizeof (char *));
      in->flags[n++] = flag;
      in->flags[n] = NULL;
      name = flag_name (flag, &nlen);
      for (fs = kw->flags; fs && fs->name; fs++)
        if (strlen (fs->name) == nlen && strncmp (fs->name, name, nlen) == 0)
          break;
      if (fs == NULL || fs->name == NULL)
        {
          cleanup_free char *q = quotable (name, nlen);
          return cf_error (err, path, in->line, "%s does not take --%s", kw->name, q);
        }
      if (fs->value && name[nlen] != '=')
        return cf_error (err, path, in->line, "%s --%s needs a value (--%s=...)", kw->name, fs->name, fs->name);
      if (!fs->value && name[nlen] == '=')
        return cf_error (err, path, in->line, "%s --%s takes no value", kw->name, fs->name);
      for (size_t i = 0; i + 1 < n; i++)
        {
          size_t olen;
          const char *other = flag_name (in->flags[i], &olen);
          if (olen == nlen && strncmp (other, name, nlen) == 0)
            return cf_error (err, path, in->line, "%s --%s given twice", kw->name, fs->name);
        }
      p = skip_blanks (p + len);
    }
  *rest = p;
  return 0;
}

/* A shell-form word that starts a heredoc as buildkit sees one: [N]<<[-]WORD.  */
static bool
heredoc_word (const char *w)
{
  w += strspn (w, "0123456789");
  if (strncmp (w, "<<", 2) != 0)
    return false;
  w += 2;
  if (*w == '-')
    w++;
  return *w && strchr (w, '<') == NULL;
}

/* The checks on the arguments that need no variables (see containerfile.h).  */
static int
check_args (const struct containerfile *cf, const struct keyword *kw, struct cf_instruction *in,
            skiff_error_t *err)
{
  const char *path = cf->path, *raw = in->json ? NULL : in->args[0];
  size_t nargs = strv_len (in->args);
  cleanup_strv char **words = NULL;

  if ((kw->props & NEEDS_ARG) && (in->json ? nargs == 0 : *raw == '\0'))
    return cf_error (err, path, in->line, "%s needs an argument", kw->name);
  if ((kw->kind == CF_COPY || kw->kind == CF_ADD) && in->json && nargs < 2)
    return cf_error (err, path, in->line, "%s needs a source and a destination", kw->name);
  if (in->json)
    return 0;

  words = cf_split_raw (raw, cf->escape);
  if (kw->props & HEREDOC)
    for (char **w = words; *w; w++)
      if (heredoc_word (*w))
        {
          cleanup_free char *q = quotable (*w, strlen (*w));
          return cf_error (err, path, in->line, "heredocs (`%s`) are not supported", q);
        }
  switch (kw->kind)
    {
    case CF_FROM:
      if (strv_len (words) == 2 || strv_len (words) > 3
          || (strv_len (words) == 3 && strcasecmp (words[1], "AS") != 0))
        return cf_error (err, path, in->line, "FROM takes IMAGE or IMAGE AS NAME");
      break;
    case CF_COPY:
    case CF_ADD:
      if (strv_len (words) < 2)
        return cf_error (err, path, in->line, "%s needs a source and a destination", kw->name);
      break;
    case CF_HEALTHCHECK:
      if (strcasecmp (words[0], "NONE") == 0 ? words[1] != NULL
                                              : strcasecmp (words[0], "CMD") != 0 || words[1] == NULL)
        return cf_error (err, path, in->line, "HEALTHCHECK takes NONE or CMD COMMAND");
      break;
    case CF_ONBUILD:
      {
        size_t klen = strcspn (raw, " \t\v\f\r");
        const struct keyword *t = find_keyword (raw, klen);
        cleanup_free char *q = quotable (raw, klen);
        if (t == NULL)
          return cf_error (err, path, in->line, "ONBUILD: unknown instruction `%s`", q);
        if (t->kind == CF_ONBUILD || t->kind == CF_FROM || t->kind == CF_MAINTAINER)
          return cf_error (err, path, in->line, "ONBUILD %s is not allowed", t->name);
        break;
      }
    default:
      break;
    }
  return 0;
}

/* LINE (the instruction with its continuations joined, left-trimmed) into IN.  */
static int
parse_instruction (struct containerfile *cf, const char *line, int lineno, bool *seen_from,
                   struct cf_instruction *in, skiff_error_t *err)
{
  size_t klen = strcspn (line, " \t\v\f\r"), len;
  const struct keyword *kw = find_keyword (line, klen);
  struct cf_buf text = { 0 };
  const char *rest, *args;
  int r;

  in->line = lineno;
  if (kw == NULL)
    {
      cleanup_free char *q = quotable (line, klen);
      return cf_error (err, cf->path, lineno, "unknown instruction `%s`", q);
    }
  in->kind = kw->kind;
  in->keyword = kw->name;

  rest = skip_blanks (line + klen);
  len = trimmed_len (rest, strlen (rest));
  cf_buf_add (&text, kw->name, strlen (kw->name));
  if (len)
    {
      cf_buf_addc (&text, ' ');
      cf_buf_add (&text, rest, len);
    }
  in->text = cf_buf_take (&text);

  if (kw->kind == CF_FROM)
    *seen_from = true;
  else if (kw->kind != CF_ARG && !*seen_from)
    return cf_error (err, cf->path, lineno, "%s before the first FROM (only ARG may come before it)", kw->name);

  args = rest;
  r = parse_flags (cf, kw, in, &args, err);
  if (r < 0)
    return r;
  len = trimmed_len (args, strlen (args));

  if ((kw->props & (MAY_JSON | JSON_ONLY)) && *args == '[')
    in->args = json_array (args);
  if (in->args)
    in->json = true;
  else if (kw->props & JSON_ONLY)
    return cf_error (err, cf->path, lineno, "%s needs a JSON array of strings: %s [\"...\", ...]", kw->name,
                     kw->name);
  else
    {
      in->args = xmalloc0 (2 * sizeof (char *));
      in->args[0] = cf_strndup (args, len);
    }
  return check_args (cf, kw, in, err);
}

/* --- lines --------------------------------------------------------------------------------------- */

struct reader
{
  const char *text;
  size_t len, pos;
  int line;
};

/* The next line (without its "\n" or "\r\n") in START and N; false at the end.  */
static bool
next_line (struct reader *rd, const char **start, size_t *n)
{
  const char *nl;
  if (rd->pos >= rd->len)
    return false;
  *start = rd->text + rd->pos;
  nl = memchr (*start, '\n', rd->len - rd->pos);
  *n = nl ? (size_t) (nl - *start) : rd->len - rd->pos;
  rd->pos += *n + (nl ? 1 : 0);
  if (*n > 0 && (*start)[*n - 1] == '\r')
    (*n)--;
  rd->line++;
  return true;
}

/* A parser directive line, `#[blanks]NAME[blanks]=[blanks]VALUE[blanks]`: the name and value.  */
static bool
directive (const char *s, size_t n, const char **name, size_t *nlen, const char **val, size_t *vlen)
{
  size_t i = 1;
  if (n == 0 || s[0] != '#')
    return false;
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  *name = s + i;
  if (i >= n || !((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z')))
    return false;
  while (i < n && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9')))
    i++;
  *nlen = s + i - *name;
  while (i < n && (s[i] == ' ' || s[i] == '\t'))
    i++;
  if (i >= n || s[i] != '=')
    return false;
  for (i++; i < n && (s[i] == ' ' || s[i] == '\t'); i++)
    ;
  *val = s + i;
  *vlen = trimmed_len (s + i, n - i);
  return *vlen > 0;
}

/* Reads the directives at the top of the file into CF.  */
static int
read_directives (struct containerfile *cf, struct reader *rd, skiff_error_t *err)
{
  bool seen_escape = false, seen_syntax = false;

  for (;;)
    {
      struct reader saved = *rd;
      const char *s, *name, *val;
      size_t n, nlen, vlen;

      if (!next_line (rd, &s, &n) || !directive (s, n, &name, &nlen, &val, &vlen))
        {
          *rd = saved;
          return 0;
        }
      if (nlen == 6 && strncasecmp (name, "escape", 6) == 0)
        {
          if (seen_escape)
            return cf_error (err, cf->path, rd->line, "`# escape=` given twice");
          if (vlen != 1 || (val[0] != '\\' && val[0] != '`'))
            {
              cleanup_free char *q = quotable (val, vlen);
              return cf_error (err, cf->path, rd->line, "invalid escape `%s`: \\ or ` only", q);
            }
          seen_escape = true;
          cf->escape = val[0];
        }
      else if (nlen == 6 && strncasecmp (name, "syntax", 6) == 0)
        {
          /* Ignored: there is only one syntax here.  */
          if (seen_syntax)
            return cf_error (err, cf->path, rd->line, "`# syntax=` given twice");
          seen_syntax = true;
        }
      else
        return 0; /* an unknown directive is a comment, and the directives end with it */
    }
}

/* Whether the line S (N bytes, left-trimmed) is continued: its last non-blank is the escape.  The
   escape and the blanks after it are taken off *N.  */
static bool
continued (const char *s, size_t *n, char escape)
{
  size_t t = trimmed_len (s, *n);
  if (t == 0 || s[t - 1] != escape)
    return false;
  *n = t - 1;
  return true;
}

int
containerfile_parse (const char *path, const char *text, size_t len, struct containerfile **out,
                     skiff_error_t *err)
{
  cleanup_containerfile struct containerfile *cf = xmalloc0 (sizeof *cf);
  struct reader rd = { .text = text, .len = len };
  const char *s, *nul;
  size_t n, alloc = 0;
  bool seen_from = false;
  int r;

  cf->path = xstrdup (path);
  cf->escape = '\\';
  if (len >= 3 && memcmp (text, "\xef\xbb\xbf", 3) == 0)
    rd.pos = 3;
  nul = memchr (text, '\0', len);
  if (nul)
    {
      int line = 1;
      for (const char *p = text; p < nul; p++)
        line += *p == '\n';
      return cf_error (err, path, line, "NUL byte: not a text file");
    }

  r = read_directives (cf, &rd, err);
  if (r < 0)
    return r;

  while (next_line (&rd, &s, &n))
    {
      struct cf_buf b = { 0 };
      size_t k = blanks_n (s, n);
      int start = rd.line;
      bool more;

      s += k;
      n -= k;
      if (n == 0 || s[0] == '#')
        continue;
      more = continued (s, &n, cf->escape);
      cf_buf_add (&b, s, n);
      while (more && next_line (&rd, &s, &n))
        {
          k = blanks_n (s, n);
          /* Comment lines and empty lines inside a continued instruction are dropped.  */
          if (k == n || s[k] == '#')
            continue;
          more = continued (s, &n, cf->escape);
          cf_buf_add (&b, s, n);
        }

      /* Only an escape and what it continued into: nothing.  */
      if (trimmed_len (b.s ? b.s : "", b.len) == 0)
        {
          free (b.s);
          continue;
        }
      if (cf->n == alloc)
        {
          alloc = alloc ? alloc * 2 : 16;
          cf->ins = xrealloc (cf->ins, alloc * sizeof *cf->ins);
        }
      memset (&cf->ins[cf->n], 0, sizeof *cf->ins);
      /* Counted before parsing, so a failed one is freed with the rest.  */
      cf->n++;
      r = parse_instruction (cf, b.s ? b.s : "", start, &seen_from, &cf->ins[cf->n - 1], err);
      free (b.s);
      if (r < 0)
        return r;
    }
  *out = steal_pointer (&cf);
  return 0;
}

int
containerfile_load (const char *path, struct containerfile **out, skiff_error_t *err)
{
  cleanup_free char *text = NULL;
  size_t len = 0;
  int r = read_file_at (AT_FDCWD, path, &text, &len, err);
  if (r < 0)
    return r;
  return containerfile_parse (path, text, len, out, err);
}

/* --- ENV, LABEL, ARG ------------------------------------------------------------------------------ */

/* RAW_KEY and RAW_VAL (NULL: none, ARG only) into "K=V" (or "K") expanded with VARS.  */
static int
key_value (const struct containerfile *cf, const struct cf_instruction *in, const char *raw_key,
           const char *raw_val, char *const *vars, char **pair, skiff_error_t *err)
{
  cleanup_free char *key = NULL, *val = NULL;
  int r = cf_expand_word (raw_key, cf->escape, vars, &key, err);

  if (r == 0 && raw_val)
    r = cf_expand_word (raw_val, cf->escape, vars, &val, err);
  if (r < 0)
    return skiff_error_wrap (err, "%s:%d: %s", cf->path, in->line, in->keyword);
  if (*key == '\0' || strchr (key, '='))
    {
      cleanup_free char *q = quotable (raw_key, strlen (raw_key));
      return cf_error (err, cf->path, in->line, "%s: invalid name `%s`", in->keyword, q);
    }
  *pair = val ? xasprintf ("%s=%s", key, val) : steal_pointer (&key);
  return 0;
}

int
cf_key_values (const struct containerfile *cf, const struct cf_instruction *in, char *const *vars,
               char ***pairs, skiff_error_t *err)
{
  cleanup_strv char **words = NULL, **v = NULL;
  size_t n = 0;
  int r;

  if (in->kind != CF_ENV && in->kind != CF_LABEL && in->kind != CF_ARG)
    return cf_error (err, cf->path, in->line, "%s has no NAME=VALUE pairs", in->keyword);
  words = cf_split_raw (in->args[0], cf->escape);
  v = xmalloc0 ((strv_len (words) + 1) * sizeof (char *));
  if (words[0] == NULL)
    return cf_error (err, cf->path, in->line, "%s needs NAME=VALUE", in->keyword);

  if (in->kind != CF_ARG && cf_raw_find_eq (words[0], cf->escape) < 0)
    {
      /* The legacy form: NAME, blanks, then the rest of the line is the value.  */
      const char *val = skip_blanks (in->args[0] + strlen (words[0]));
      if (*val == '\0')
        {
          cleanup_free char *q = quotable (words[0], strlen (words[0]));
          return cf_error (err, cf->path, in->line, "%s %s needs a value: %s NAME=VALUE or %s NAME VALUE",
                           in->keyword, q, in->keyword, in->keyword);
        }
      r = key_value (cf, in, words[0], val, vars, &v[0], err);
      if (r < 0)
        return r;
      *pairs = steal_pointer (&v);
      return 0;
    }

  for (char **w = words; *w; w++)
    {
      long eq = cf_raw_find_eq (*w, cf->escape);
      cleanup_free char *key = NULL;
      if (eq < 0 && in->kind != CF_ARG)
        {
          cleanup_free char *q = quotable (*w, strlen (*w));
          return cf_error (err, cf->path, in->line, "%s `%s`: NAME=VALUE expected", in->keyword, q);
        }
      key = cf_strndup (*w, eq < 0 ? strlen (*w) : (size_t) eq);
      r = key_value (cf, in, key, eq < 0 ? NULL : *w + eq + 1, vars, &v[n], err);
      if (r < 0)
        return r;
      n++;
    }
  *pairs = steal_pointer (&v);
  return 0;
}
