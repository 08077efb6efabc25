/* skiff-image: what containerfile.c and containerfile_words.c share.  */
#ifndef IMAGE_CONTAINERFILE_INTERNAL_H
#define IMAGE_CONTAINERFILE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "utils.h"

/* A growing NUL-terminated string.  */
struct cf_buf
{
  char *s;
  size_t len, alloc;
};

static inline void
cf_buf_add (struct cf_buf *b, const char *p, size_t n)
{
  /* Room for N bytes and the NUL (written so that it cannot wrap around).  */
  if (b->alloc - b->len <= n)
    {
      b->alloc = (b->len + n + 1) * 2;
      b->s = xrealloc (b->s, b->alloc);
    }
  memcpy (b->s + b->len, p, n);
  b->len += n;
  b->s[b->len] = '\0';
}

static inline void
cf_buf_addc (struct cf_buf *b, char c)
{
  cf_buf_add (b, &c, 1);
}

/* The string built so far (never NULL); the buffer is left empty.  */
static inline char *
cf_buf_take (struct cf_buf *b)
{
  char *s = b->s ? b->s : xstrdup ("");
  *b = (struct cf_buf){ 0 };
  return s;
}

/* strndup that aborts when out of memory, as xstrdup does.  */
static inline char *
cf_strndup (const char *s, size_t n)
{
  char *d;
  n = strnlen (s, n);
  d = xmalloc (n + 1);
  memcpy (d, s, n);
  d[n] = '\0';
  return d;
}

static inline bool
cf_blank (char c)
{
  return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r' || c == '\n';
}

/* Splits RAW on blanks outside quotes, escapes and ${...}, keeping every word verbatim (quotes,
   escapes and `$` still in it): the first pass of ENV/LABEL/ARG and of the checks on FROM and
   heredocs.  Lenient: an unterminated quote runs to the end.  Never fails.  */
char **cf_split_raw (const char *raw, char escape);

/* The length of the raw word S starts with (up to a blank outside quotes, escapes and ${...}).  */
size_t cf_raw_word_len (const char *s, char escape);

/* Offset of the first '=' of the raw word WORD outside quotes, escapes and ${...}, or -1.  */
long cf_raw_find_eq (const char *word, char escape);

#endif
