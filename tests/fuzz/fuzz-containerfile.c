/* libFuzzer harness: bytes as a Containerfile through containerfile_parse, and every accepted
   instruction through what the build executor does with it: cf_flag, cf_expand_words and
   cf_expand_word on the shell form, cf_key_values on ENV, LABEL and ARG.  Checks the promises of
   containerfile.h that a caller relies on (lines in order, never-NULL lists, one-line text, both
   expansions agreeing).  Built by `make fuzz`.  */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "containerfile.h"
#include "utils.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static char *const vars[] = { "A=1", "B=x y", "EMPTY=", "Q=\"'$", "A=2", NULL };

static void
expand (const char *raw, char escape)
{
  skiff_error_t err = NULL;
  char **words = NULL, *word = NULL, special[] = { '$', '\'', '"', escape, '\0' };
  int rws, rw;

  rws = cf_expand_words (raw, escape, vars, &words, &err);
  skiff_error_free (&err);
  rw = cf_expand_word (raw, escape, vars, &word, &err);
  skiff_error_free (&err);

  /* One lexer: the same input fails in both or in neither.  */
  if ((rws < 0) != (rw < 0))
    abort ();
  if (rws == 0 && words == NULL)
    abort ();
  /* Nothing to expand, unquote or unescape: the text itself.  */
  if (rw == 0 && strpbrk (raw, special) == NULL && strcmp (word, raw) != 0)
    abort ();
  strv_free (words);
  free (word);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct containerfile *cf = NULL;
  skiff_error_t err = NULL;
  int last = 0;

  if (containerfile_parse ("Containerfile", (const char *) data, size, &cf, &err) < 0)
    {
      if (err == NULL || strncmp (err->msg, "Containerfile:", 14) != 0)
        abort ();
      skiff_error_free (&err);
      return 0;
    }
  if (cf->escape != '\\' && cf->escape != '`')
    abort ();
  for (size_t i = 0; i < cf->n; i++)
    {
      struct cf_instruction *in = &cf->ins[i];
      char **pairs = NULL;

      if (in->line <= last || in->flags == NULL || in->args == NULL || strchr (in->text, '\n')
          || strncmp (in->text, in->keyword, strlen (in->keyword)) != 0)
        abort ();
      last = in->line;
      for (char **f = in->flags; *f; f++)
        {
          size_t n = strcspn (*f + 2, "=");
          char *name = strndup (*f + 2, n);
          if (name == NULL || strncmp (*f, "--", 2) != 0 || cf_flag (in, name) == NULL)
            abort ();
          expand (cf_flag (in, name), cf->escape);
          free (name);
        }
      if (in->json)
        continue;
      if (in->args[0] == NULL || in->args[1] != NULL)
        abort ();
      expand (in->args[0], cf->escape);
      if (in->kind == CF_ENV || in->kind == CF_LABEL || in->kind == CF_ARG)
        {
          if (cf_key_values (cf, in, vars, &pairs, &err) == 0)
            {
              for (char **p = pairs; *p; p++)
                if (**p == '\0' || (in->kind != CF_ARG && strchr (*p, '=') == NULL))
                  abort ();
              strv_free (pairs);
            }
          else if (strncmp (err->msg, "Containerfile:", 14) != 0)
            abort ();
          skiff_error_free (&err);
        }
    }
  containerfile_free (cf);
  return 0;
}
