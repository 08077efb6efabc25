/* skiff-image: the Containerfile (Dockerfile) parser and its word expansion.
 *
 * containerfile_parse() turns the file into instructions, checking only what
 * can be checked before anything is known about the build (keywords, flags,
 * JSON forms, FROM first); variables are expanded later, step by step, by
 * the executor with cf_expand_words/cf_expand_word/cf_key_values, because
 * their values change as ENV and ARG instructions run.  */
#ifndef IMAGE_CONTAINERFILE_H
#define IMAGE_CONTAINERFILE_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum cf_kind
{
  CF_FROM, CF_RUN, CF_CMD, CF_ENTRYPOINT, CF_COPY, CF_ADD, CF_ENV, CF_ARG, CF_WORKDIR, CF_USER,
  CF_LABEL, CF_EXPOSE, CF_VOLUME, CF_STOPSIGNAL, CF_SHELL,
  CF_MAINTAINER, CF_HEALTHCHECK, CF_ONBUILD, /* accepted; the executor warns that OCI images lack them
                                                (MAINTAINER becomes the author) */
};

struct cf_instruction
{
  enum cf_kind kind;
  const char *keyword; /* canonical upper case: "RUN" */
  int line;            /* 1-based line of the file where the instruction starts */
  char *text;          /* the instruction as one line: continuations joined, comment lines inside it
                          dropped, keyword upper-cased: history's created_by and the cache key's base */
  char **flags;        /* leading --name=value (or --name) flags, raw, NULL-terminated (never NULL) */
  bool json;           /* exec (JSON array) form */
  char **args;         /* json: the array's strings (unescaped JSON);
                          otherwise ONE element: the raw rest of the instruction after the flags,
                          leading/trailing blanks trimmed, NOT expanded (may be "" for e.g. `CMD`) */
};

struct containerfile
{
  char *path;        /* as given: used in every error, "PATH:LINE: ..." */
  char escape;       /* '\\' or '`' from the `# escape=` directive */
  struct cf_instruction *ins;
  size_t n;
};

/* Parses TEXT (LEN bytes) read from PATH.  Errors name PATH and the line: an unknown instruction
   ("Containerfile:7: unknown instruction `FOOBAR`"), a bad JSON array where one is required, a
   missing argument (FROM/COPY/...), a flag an instruction does not take, no FROM before the first
   instruction that needs one (only ARG may come before FROM), an unterminated continuation at EOF is
   allowed.  Directives (`# escape=`, `# syntax=`) only at the top, before any other line; `#` comment
   lines anywhere else (also between continued lines).  Empty lines end nothing.

   Also checked here: the flags each instruction takes (FROM --platform; RUN --network; COPY --from,
   --chown, --chmod; ADD --chown, --chmod; HEALTHCHECK --interval, --timeout, --start-period,
   --start-interval, --retries), that those needing a value have one and none is repeated; FROM
   has one word or three (`IMAGE AS NAME`); SHELL is a non-empty JSON array; COPY and ADD in JSON
   form have two strings or more; ONBUILD's trigger is an instruction other than ONBUILD, FROM and
   MAINTAINER; HEALTHCHECK is NONE or CMD ...; heredocs (`<<EOF` in RUN, COPY, ADD) are refused.
   A UTF-8 byte order mark is skipped, CRLF line ends are accepted, a NUL byte is an error.  */
int containerfile_parse (const char *path, const char *text, size_t len, struct containerfile **out,
                         skiff_error_t *err);
/* Reads and parses the file.  */
int containerfile_load (const char *path, struct containerfile **out, skiff_error_t *err);
void containerfile_free (struct containerfile *cf);
#define cleanup_containerfile __attribute__ ((cleanup (containerfile_freep)))
void containerfile_freep (struct containerfile **cf);

/* The value of flag NAME ("from" for --from=x) of IN, NULL when absent; a flag given without
   "=value" yields "".
   The value is raw, as written (a flag ends at a blank outside quotes: `--chown="$U:$G"`): the
   executor expands it with cf_expand_word.  */
const char *cf_flag (const struct cf_instruction *in, const char *name);

/* Variable expansion as Containerfiles do it, with VARS ("K=V" strings, NULL-terminated, a later
   entry wins over an earlier one with the same K): $K, ${K}, ${K:-word}, ${K:+word} (word itself
   expanded); an unset K expands to ""; the escape char before `$` keeps it literal; single quotes
   keep everything literal; double quotes allow expansion; quotes are removed.
   cf_expand_words splits the result into words on unquoted blanks (expansion results are NOT
   re-split), cf_expand_word returns the whole text as one word (quotes still removed).

   Details: VARS may be NULL; an entry without '=' is ignored.  Also ${K-word} and ${K+word} (set
   rather than non-empty), ${K:?word} and ${K?word} (an error with WORD when K is unset/empty).
   Outside quotes the escape char keeps any following char literal (a blank too: `a\ b` is one
   word); inside double quotes it does so only before `"`, `$` and itself, and stays otherwise.
   An unquoted expansion that is empty makes no word; `""` is an empty word.  An unterminated quote
   or `${` is an error quoting RAW.  */
int cf_expand_words (const char *raw, char escape, char *const *vars, char ***words, skiff_error_t *err);
int cf_expand_word (const char *raw, char escape, char *const *vars, char **word, skiff_error_t *err);

/* ENV, LABEL and ARG: "K=V" pairs (NULL-terminated strv), values expanded with VARS and unquoted:
   `ENV A=1 B="x y"`, the legacy `ENV KEY some value` (one pair, the rest of the line as the value),
   `LABEL "k"="v"`, `ARG NAME` (a pair "NAME" without '=': no default), `ARG NAME=default`.  Errors name
   PATH:LINE (CF is for the path).
   Keys are expanded and unquoted too; an empty key or one containing '=' is an error.  All pairs
   of one instruction see VARS as they were before it (`ENV A=2 B=$A` gives B the old A).  */
int cf_key_values (const struct containerfile *cf, const struct cf_instruction *in, char *const *vars,
                   char ***pairs, skiff_error_t *err);

#endif
