/* skiff-image: the words of a Containerfile instruction: variable expansion, quote removal and
   splitting into words (see containerfile.h), and the raw splitting that comes before it.  */
#include <config.h>
#include "containerfile.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "containerfile_internal.h"
#include "utils.h"

/* --- raw words: quotes, escapes and ${...} kept ----------------------------------------------- */

/* The index just after the unit of S starting at I: an escaped char, a quoted string, a ${...}
   (with quotes, escapes and ${...} nested inside), or one plain char.  Stops at the end of S.
   Iterative: the nesting of a hostile file is only bounded by its size.  */
static size_t
raw_skip (const char *s, size_t i, char escape)
{
  size_t depth = 0;

  do
    {
      char q = s[i];
      if (q == '\0')
        break;
      if (q == escape)
        i += s[i + 1] ? 2 : 1;
      else if (q == '\'')
        {
          for (i++; s[i] && s[i] != '\''; i++)
            ;
          i += s[i] ? 1 : 0;
        }
      else if (q == '"')
        {
          for (i++; s[i] && s[i] != '"'; i++)
            if (s[i] == escape && s[i + 1])
              i++;
          i += s[i] ? 1 : 0;
        }
      else if (q == '$' && s[i + 1] == '{')
        {
          depth++;
          i += 2;
        }
      else
        {
          if (q == '}' && depth > 0)
            depth--;
          i++;
        }
    }
  while (depth > 0);
  return i;
}

size_t
cf_raw_word_len (const char *s, char escape)
{
  size_t i = 0;
  while (s[i] && !cf_blank (s[i]))
    i = raw_skip (s, i, escape);
  return i;
}

char **
cf_split_raw (const char *raw, char escape)
{
  char **v = xmalloc0 (sizeof (char *));
  size_t n = 0, i = 0;

  for (;;)
    {
      size_t start;
      while (cf_blank (raw[i]))
        i++;
      if (raw[i] == '\0')
        return v;
      start = i;
      i += cf_raw_word_len (raw + i, escape);
      v = xrealloc (v, (n + 2) * sizeof (char *));
      v[n] = cf_strndup (raw + start, i - start);
      v[++n] = NULL;
    }
}

long
cf_raw_find_eq (const char *word, char escape)
{
  for (size_t i = 0; word[i];)
    {
      if (word[i] == '=')
        return (long) i;
      i = raw_skip (word, i, escape);
    }
  return -1;
}

/* --- expansion --------------------------------------------------------------------------------- */

struct lexer
{
  const char *raw; /* the whole input, for error messages */
  const char *s;
  size_t i;
  char escape;
  char *const *vars;
  unsigned depth; /* of ${...} in ${...}: bounded, the lexer recurses */
};

#define MAX_DEPTH 32

/* Where the expanded text goes: one word (SPLIT false) or words split on unquoted blanks.  */
struct words
{
  bool split;
  struct cf_buf cur;
  bool in_word; /* CUR is a word even when empty (it had quotes) */
  char **v;
  size_t n;
};

static void
words_add (struct words *w, const char *p, size_t n)
{
  cf_buf_add (&w->cur, p, n);
  if (n)
    w->in_word = true;
}

static void
words_end (struct words *w)
{
  if (!w->in_word)
    return;
  w->v = xrealloc (w->v, (w->n + 2) * sizeof (char *));
  w->v[w->n++] = cf_buf_take (&w->cur);
  w->v[w->n] = NULL;
  w->in_word = false;
}

static void
words_clear (struct words *w)
{
  free (w->cur.s);
  strv_free (w->v);
}

static bool
name_start (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static bool
digit (char c)
{
  return c >= '0' && c <= '9';
}

/* The value of the LEN-byte NAME in VARS, the last entry winning; NULL when unset.  */
static const char *
lookup (char *const *vars, const char *name, size_t len)
{
  size_t n = vars ? strv_len (vars) : 0;
  while (n-- > 0)
    if (strncmp (vars[n], name, len) == 0 && vars[n][len] == '=')
      return vars[n] + len + 1;
  return NULL;
}

/* The length of the variable name at S: a letter or '_' then letters, digits and '_', or only
   digits (positional parameters, never set here); 0 when S starts no name.  */
static size_t
name_len (const char *s)
{
  size_t n = 0;
  if (digit (s[0]))
    {
      while (digit (s[n]))
        n++;
      return n;
    }
  if (!name_start (s[0]))
    return 0;
  while (name_start (s[n]) || digit (s[n]))
    n++;
  return n;
}

static int lex (struct lexer *lx, struct words *w, char stop, skiff_error_t *err);

/* At "${": ${NAME}, ${NAME[:]-word}, ${NAME[:]+word}, ${NAME[:]?word}.  */
static int
lex_braces (struct lexer *lx, struct words *w, skiff_error_t *err)
{
  struct words word = { 0 };
  const char *name, *val;
  size_t n;
  bool colon = false, set;
  char op;
  int r;

  lx->i += 2;
  name = lx->s + lx->i;
  n = name_len (name);
  if (n == 0)
    return skiff_error_plain (err, EINVAL, "bad substitution `${%.*s` in `%s`", (int) strcspn (name, "}"),
                              name, lx->raw);
  lx->i += n;
  val = lookup (lx->vars, name, n);
  if (lx->s[lx->i] == '}')
    {
      lx->i++;
      if (val)
        words_add (w, val, strlen (val));
      return 0;
    }
  if (lx->s[lx->i] == ':')
    {
      colon = true;
      lx->i++;
    }
  op = lx->s[lx->i];
  if (op != '-' && op != '+' && op != '?')
    {
      if (op == '\0')
        return skiff_error_plain (err, EINVAL, "missing `}` after `${%.*s` in `%s`", (int) n, name, lx->raw);
      return skiff_error_plain (err, EINVAL, "unsupported modifier `%s%c` in `${%.*s` in `%s`", colon ? ":" : "",
                                op, (int) n, name, lx->raw);
    }
  lx->i++;
  r = lex (lx, &word, '}', err);
  if (r < 0)
    {
      words_clear (&word);
      return r;
    }
  /* With ':' an empty value counts as unset.  */
  set = val && (!colon || *val);
  if (op == '-' && !set)
    {
      words_add (w, word.cur.s ? word.cur.s : "", word.cur.len);
      w->in_word |= word.in_word;
    }
  else if (op == '+' && set)
    {
      words_add (w, word.cur.s ? word.cur.s : "", word.cur.len);
      w->in_word |= word.in_word;
    }
  else if (op == '?' && !set)
    {
      r = skiff_error_plain (err, EINVAL, "%.*s: %s", (int) n, name,
                             word.cur.len ? word.cur.s : (val ? "is empty" : "is not set"));
      words_clear (&word);
      return r;
    }
  else if (val)
    words_add (w, val, strlen (val));
  words_clear (&word);
  return 0;
}

/* At '$': a variable, or a literal '$' when no name follows.  */
static int
lex_dollar (struct lexer *lx, struct words *w, skiff_error_t *err)
{
  const char *name = lx->s + lx->i + 1, *val;
  size_t n;

  if (*name == '{')
    {
      int r;
      if (lx->depth >= MAX_DEPTH)
        return skiff_error_plain (err, EINVAL, "`${` nested more than %d deep in `%.40s...`", MAX_DEPTH,
                                  lx->raw);
      lx->depth++;
      r = lex_braces (lx, w, err);
      lx->depth--;
      return r;
    }
  n = name_len (name);
  if (n == 0)
    {
      lx->i++;
      words_add (w, "$", 1);
      return 0;
    }
  lx->i += 1 + n;
  val = lookup (lx->vars, name, n);
  if (val)
    words_add (w, val, strlen (val));
  return 0;
}

/* At '"': expansion and a few escapes inside.  */
static int
lex_double (struct lexer *lx, struct words *w, skiff_error_t *err)
{
  const char *s = lx->s;
  int r;

  w->in_word = true;
  for (lx->i++; s[lx->i] != '"'; )
    {
      char c = s[lx->i];
      if (c == '\0')
        return skiff_error_plain (err, EINVAL, "unterminated double quote in `%s`", lx->raw);
      if (c == lx->escape && (s[lx->i + 1] == '"' || s[lx->i + 1] == '$' || s[lx->i + 1] == lx->escape))
        {
          words_add (w, s + lx->i + 1, 1);
          lx->i += 2;
        }
      else if (c == '$')
        {
          r = lex_dollar (lx, w, err);
          if (r < 0)
            return r;
        }
      else
        {
          words_add (w, &c, 1);
          lx->i++;
        }
    }
  lx->i++;
  return 0;
}

/* Expands from LX's position up to STOP (consumed) or, when STOP is 0, the end.  */
static int
lex (struct lexer *lx, struct words *w, char stop, skiff_error_t *err)
{
  const char *s = lx->s;
  int r;

  for (;;)
    {
      char c = s[lx->i];
      if (c == '\0')
        {
          if (stop)
            return skiff_error_plain (err, EINVAL, "missing `%c` in `%s`", stop, lx->raw);
          return 0;
        }
      if (stop && c == stop)
        {
          lx->i++;
          return 0;
        }
      if (c == lx->escape)
        {
          /* A lone escape at the very end is dropped.  */
          if (s[lx->i + 1])
            words_add (w, s + lx->i + 1, 1);
          lx->i += s[lx->i + 1] ? 2 : 1;
        }
      else if (c == '\'')
        {
          size_t end = lx->i + 1 + strcspn (s + lx->i + 1, "'");
          if (s[end] != '\'')
            return skiff_error_plain (err, EINVAL, "unterminated single quote in `%s`", lx->raw);
          words_add (w, s + lx->i + 1, end - lx->i - 1);
          w->in_word = true;
          lx->i = end + 1;
        }
      else if (c == '"')
        {
          r = lex_double (lx, w, err);
          if (r < 0)
            return r;
        }
      else if (c == '$')
        {
          r = lex_dollar (lx, w, err);
          if (r < 0)
            return r;
        }
      else if (w->split && cf_blank (c))
        {
          words_end (w);
          lx->i++;
        }
      else
        {
          words_add (w, &c, 1);
          lx->i++;
        }
    }
}

int
cf_expand_words (const char *raw, char escape, char *const *vars, char ***words, skiff_error_t *err)
{
  struct lexer lx = { .raw = raw, .s = raw, .escape = escape, .vars = vars };
  struct words w = { .split = true };
  int r = lex (&lx, &w, 0, err);

  if (r < 0)
    {
      words_clear (&w);
      return r;
    }
  words_end (&w);
  *words = w.v ? w.v : xmalloc0 (sizeof (char *));
  free (w.cur.s);
  return 0;
}

int
cf_expand_word (const char *raw, char escape, char *const *vars, char **word, skiff_error_t *err)
{
  struct lexer lx = { .raw = raw, .s = raw, .escape = escape, .vars = vars };
  struct words w = { .split = false };
  int r = lex (&lx, &w, 0, err);

  if (r < 0)
    {
      words_clear (&w);
      return r;
    }
  *word = cf_buf_take (&w.cur);
  return 0;
}
