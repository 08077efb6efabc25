/* Unit tests of the Containerfile parser: every instruction in both forms, continuations and
   comments, directives, JSON arrays, word expansion with quotes and escapes, NAME=VALUE pairs,
   and an error naming PATH:LINE for each class of mistake.  */
#include <config.h>
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "containerfile.h"
#include "utils.h"

static struct containerfile *
parse_len (const char *text, size_t len)
{
  struct containerfile *cf = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (containerfile_parse ("Containerfile", text, len, &cf, &err), 0, "%s\n---\n%s",
                err ? err->msg : "?", text);
  cr_assert_not_null (cf);
  return cf;
}

static struct containerfile *
parse (const char *text)
{
  return parse_len (text, strlen (text));
}

/* TEXT fails to parse with exactly the message MSG.  */
static void
fails (const char *text, const char *msg)
{
  struct containerfile *cf = NULL;
  skiff_error_t err = NULL;
  cr_assert_lt (containerfile_parse ("Containerfile", text, strlen (text), &cf, &err), 0, "parsed:\n%s", text);
  cr_assert_null (cf);
  cr_assert_str_eq (err->msg, msg, "\n%s", text);
  skiff_error_free (&err);
}

/* IN's args are exactly the NULL-terminated list that follows.  */
static void
args_are (const struct cf_instruction *in, ...)
{
  va_list ap;
  size_t i = 0;
  const char *want;

  va_start (ap, in);
  while ((want = va_arg (ap, const char *)) != NULL)
    {
      cr_assert_not_null (in->args[i], "line %d: arg %zu missing, want `%s`", in->line, i, want);
      cr_assert_str_eq (in->args[i], want, "line %d: arg %zu", in->line, i);
      i++;
    }
  va_end (ap);
  cr_assert_null (in->args[i], "line %d: extra arg `%s`", in->line, in->args[i]);
}

static void
check (const struct cf_instruction *in, enum cf_kind kind, const char *keyword, int line, bool json)
{
  cr_assert_eq (in->kind, kind, "line %d", in->line);
  cr_assert_str_eq (in->keyword, keyword);
  cr_assert_eq (in->line, line, "%s: line %d, want %d", keyword, in->line, line);
  cr_assert_eq (in->json, json, "%s line %d: json %d", keyword, line, in->json);
  cr_assert_not_null (in->flags);
}

Test (containerfile, every_instruction_shell_form)
{
  struct containerfile *cf = parse ("ARG BASE=debian\n"
                                    "FROM $BASE AS build\n"
                                    "RUN echo hello  >/x \n"
                                    "CMD echo cmd\n"
                                    "ENTRYPOINT exec /bin/app\n"
                                    "COPY a b /dst/\n"
                                    "ADD x.tar.gz /opt\n"
                                    "ENV A=1 B=\"x y\"\n"
                                    "WORKDIR /work\n"
                                    "USER nobody:nogroup\n"
                                    "LABEL \"k\"=\"v\"\n"
                                    "EXPOSE 80/tcp 53/udp\n"
                                    "VOLUME /data /cache\n"
                                    "STOPSIGNAL SIGTERM\n"
                                    "SHELL [\"/bin/bash\", \"-c\"]\n"
                                    "MAINTAINER Jane <jane@example.com>\n"
                                    "HEALTHCHECK --interval=5s CMD curl -f http://localhost/\n"
                                    "ONBUILD RUN make\n");
  static const struct
  {
    enum cf_kind kind;
    const char *kw, *arg;
  } want[] = {
    { CF_ARG, "ARG", "BASE=debian" },
    { CF_FROM, "FROM", "$BASE AS build" },
    { CF_RUN, "RUN", "echo hello  >/x" },
    { CF_CMD, "CMD", "echo cmd" },
    { CF_ENTRYPOINT, "ENTRYPOINT", "exec /bin/app" },
    { CF_COPY, "COPY", "a b /dst/" },
    { CF_ADD, "ADD", "x.tar.gz /opt" },
    { CF_ENV, "ENV", "A=1 B=\"x y\"" },
    { CF_WORKDIR, "WORKDIR", "/work" },
    { CF_USER, "USER", "nobody:nogroup" },
    { CF_LABEL, "LABEL", "\"k\"=\"v\"" },
    { CF_EXPOSE, "EXPOSE", "80/tcp 53/udp" },
    { CF_VOLUME, "VOLUME", "/data /cache" },
    { CF_STOPSIGNAL, "STOPSIGNAL", "SIGTERM" },
    { CF_SHELL, "SHELL", NULL },
    { CF_MAINTAINER, "MAINTAINER", "Jane <jane@example.com>" },
    { CF_HEALTHCHECK, "HEALTHCHECK", "CMD curl -f http://localhost/" },
    { CF_ONBUILD, "ONBUILD", "RUN make" },
  };

  cr_assert_eq (cf->n, sizeof want / sizeof want[0]);
  cr_assert_str_eq (cf->path, "Containerfile");
  cr_assert_eq (cf->escape, '\\');
  for (size_t i = 0; i < cf->n; i++)
    {
      check (&cf->ins[i], want[i].kind, want[i].kw, (int) i + 1, want[i].arg == NULL);
      if (want[i].arg)
        args_are (&cf->ins[i], want[i].arg, NULL);
    }
  args_are (&cf->ins[14], "/bin/bash", "-c", NULL);
  cr_assert_str_eq (cf_flag (&cf->ins[16], "interval"), "5s");
  cr_assert_str_eq (cf->ins[2].text, "RUN echo hello  >/x");
  containerfile_free (cf);
}

Test (containerfile, every_instruction_exec_form)
{
  struct containerfile *cf = parse ("FROM scratch\n"
                                    "RUN [\"/bin/sh\", \"-c\", \"echo hi\"]\n"
                                    "CMD [\"--help\"]\n"
                                    "ENTRYPOINT [ \"/app\" , \"-v\" ] \n"
                                    "COPY --chown=1:2 [\"a b\", \"c\", \"/dst/\"]\n"
                                    "ADD [\"x.tar\", \"/opt\"]\n"
                                    "VOLUME [\"/data\"]\n"
                                    "SHELL [\"/bin/ash\",\"-eo\",\"pipefail\",\"-c\"]\n"
                                    "CMD []\n"
                                    "ENTRYPOINT []\n");
  cr_assert_eq (cf->n, 10);
  for (size_t i = 1; i < cf->n; i++)
    cr_assert (cf->ins[i].json, "line %zu", i + 1);
  args_are (&cf->ins[1], "/bin/sh", "-c", "echo hi", NULL);
  args_are (&cf->ins[2], "--help", NULL);
  args_are (&cf->ins[3], "/app", "-v", NULL);
  args_are (&cf->ins[4], "a b", "c", "/dst/", NULL);
  cr_assert_str_eq (cf_flag (&cf->ins[4], "chown"), "1:2");
  args_are (&cf->ins[5], "x.tar", "/opt", NULL);
  args_are (&cf->ins[6], "/data", NULL);
  args_are (&cf->ins[7], "/bin/ash", "-eo", "pipefail", "-c", NULL);
  args_are (&cf->ins[8], NULL);
  args_are (&cf->ins[9], NULL);
  cr_assert_str_eq (cf->ins[3].text, "ENTRYPOINT [ \"/app\" , \"-v\" ]");
  containerfile_free (cf);
}

Test (containerfile, keywords_are_case_insensitive_and_empty_cmd)
{
  struct containerfile *cf = parse ("from busybox\n"
                                    "  Run   true\n"
                                    "cmd\n"
                                    "entrypoint   \n");
  check (&cf->ins[0], CF_FROM, "FROM", 1, false);
  check (&cf->ins[1], CF_RUN, "RUN", 2, false);
  check (&cf->ins[2], CF_CMD, "CMD", 3, false);
  check (&cf->ins[3], CF_ENTRYPOINT, "ENTRYPOINT", 4, false);
  args_are (&cf->ins[1], "true", NULL);
  args_are (&cf->ins[2], "", NULL);
  args_are (&cf->ins[3], "", NULL);
  cr_assert_str_eq (cf->ins[1].text, "RUN true");
  cr_assert_str_eq (cf->ins[2].text, "CMD");
  containerfile_free (cf);
}

Test (containerfile, json_escapes_and_fallback)
{
  struct containerfile *cf = parse ("FROM x\n"
                                    "CMD [\"a\\\"b\", \"caf\\u00e9\", \"\\ud83d\\ude00\", \"\\\\ \\/ \\t\\n\"]\n"
                                    "RUN [\"unterminated\n"
                                    "RUN [\"a\", 1]\n"
                                    "RUN [\"a\",]\n"
                                    "CMD [\"a\"] trailing\n"
                                    "ENTRYPOINT ['single']\n"
                                    "RUN [\"nul\\u0000\"]\n"
                                    "RUN [\"bad\\x\"]\n"
                                    "RUN [\"lone\\udc00\"]\n");
  args_are (&cf->ins[1], "a\"b", "caf\xc3\xa9", "\xf0\x9f\x98\x80", "\\ / \t\n", NULL);
  cr_assert (cf->ins[1].json);
  /* Not an array of strings: the shell form, as written.  */
  for (size_t i = 2; i < cf->n; i++)
    cr_assert (!cf->ins[i].json, "line %zu", i + 1);
  args_are (&cf->ins[2], "[\"unterminated", NULL);
  args_are (&cf->ins[3], "[\"a\", 1]", NULL);
  args_are (&cf->ins[5], "[\"a\"] trailing", NULL);
  args_are (&cf->ins[6], "['single']", NULL);
  containerfile_free (cf);
}

Test (containerfile, continuations_and_comments)
{
  struct containerfile *cf = parse ("# a comment before anything\n"
                                    "FROM busybox\n"
                                    "\n"
                                    "RUN echo a \\\n"
                                    "    b \\  \n"
                                    "# a comment inside\n"
                                    "  # an indented one\n"
                                    "\n"
                                    "    c\n"
                                    "   # comment after an indented instruction\n"
                                    "RUN echo one\\\n"
                                    "two\n"
                                    "RUN echo # not a comment\n"
                                    "ENV A=1 \\\n"
                                    "    B=2\n"
                                    "CMD end \\\n");
  cr_assert_eq (cf->n, 6);
  check (&cf->ins[1], CF_RUN, "RUN", 4, false);
  args_are (&cf->ins[1], "echo a     b     c", NULL);
  cr_assert_str_eq (cf->ins[1].text, "RUN echo a     b     c");
  check (&cf->ins[2], CF_RUN, "RUN", 11, false);
  args_are (&cf->ins[2], "echo onetwo", NULL);
  args_are (&cf->ins[3], "echo # not a comment", NULL);
  check (&cf->ins[4], CF_ENV, "ENV", 14, false);
  args_are (&cf->ins[4], "A=1     B=2", NULL);
  /* A continuation at the end of the file just ends there.  */
  check (&cf->ins[5], CF_CMD, "CMD", 16, false);
  args_are (&cf->ins[5], "end", NULL);
  containerfile_free (cf);
}

Test (containerfile, escape_directive_backtick)
{
  struct containerfile *cf = parse ("# escape=`\n"
                                    "FROM windows\n"
                                    "COPY C:\\src\\ C:\\dst\\\n"
                                    "RUN dir `\n"
                                    "  C:\\\n");
  cr_assert_eq (cf->escape, '`');
  cr_assert_eq (cf->n, 3);
  /* A backslash no longer continues the line.  */
  args_are (&cf->ins[1], "C:\\src\\ C:\\dst\\", NULL);
  args_are (&cf->ins[2], "dir   C:\\", NULL);
  containerfile_free (cf);
}

Test (containerfile, directives)
{
  struct containerfile *cf;

  cf = parse ("#syntax=docker/dockerfile:1\n"
              "#  ESCAPE =  `  \n"
              "FROM x\n");
  cr_assert_eq (cf->escape, '`');
  containerfile_free (cf);

  /* After a blank line, a comment or an unknown directive, a directive is a comment.  */
  cf = parse ("\n# escape=`\nFROM x\nRUN a \\\n b\n");
  cr_assert_eq (cf->escape, '\\');
  args_are (&cf->ins[1], "a  b", NULL);
  containerfile_free (cf);
  cf = parse ("# hello\n# escape=`\nFROM x\n");
  cr_assert_eq (cf->escape, '\\');
  containerfile_free (cf);
  cf = parse ("# check=skip=all\n# escape=`\nFROM x\n");
  cr_assert_eq (cf->escape, '\\');
  containerfile_free (cf);
  cf = parse ("FROM x\n# escape=`\n");
  cr_assert_eq (cf->escape, '\\');
  containerfile_free (cf);

  fails ("# escape=\\\n# escape=`\nFROM x\n", "Containerfile:2: `# escape=` given twice");
  fails ("# escape=x\nFROM x\n", "Containerfile:1: invalid escape `x`: \\ or ` only");
  fails ("# syntax=a\n# syntax=b\nFROM x\n", "Containerfile:2: `# syntax=` given twice");
}

Test (containerfile, crlf_and_bom)
{
  struct containerfile *cf = parse ("\xef\xbb\xbf# escape=`\r\n"
                                    "FROM busybox\r\n"
                                    "RUN echo a `\r\n"
                                    "  b\r\n"
                                    "\r\n"
                                    "CMD [\"x\"]\r\n");
  cr_assert_eq (cf->escape, '`');
  cr_assert_eq (cf->n, 3);
  args_are (&cf->ins[0], "busybox", NULL);
  args_are (&cf->ins[1], "echo a   b", NULL);
  check (&cf->ins[2], CF_CMD, "CMD", 6, true);
  args_are (&cf->ins[2], "x", NULL);
  containerfile_free (cf);

  /* A BOM before an instruction.  */
  cf = parse ("\xef\xbb\xbf" "FROM a\n");
  check (&cf->ins[0], CF_FROM, "FROM", 1, false);
  containerfile_free (cf);
}

Test (containerfile, escape_alone_on_a_line)
{
  struct containerfile *cf = parse ("FROM a\n  \\\nRUN x\n\\\n");
  cr_assert_eq (cf->n, 2);
  check (&cf->ins[1], CF_RUN, "RUN", 2, false);
  args_are (&cf->ins[1], "x", NULL);
  containerfile_free (cf);
}

Test (containerfile, empty_files)
{
  struct containerfile *cf = parse_len ("", 0);
  cr_assert_eq (cf->n, 0);
  containerfile_free (cf);
  cf = parse ("# only a comment\n\n   \n");
  cr_assert_eq (cf->n, 0);
  containerfile_free (cf);
}

Test (containerfile, flags)
{
  struct containerfile *cf = parse ("FROM --platform=linux/amd64 debian AS b\n"
                                    "COPY --from=b --chown=app:app --chmod=0644 /a /b\n"
                                    "COPY --from= x y\n"
                                    "RUN --network=none -- --weird\n"
                                    "ADD --chmod=755 a b\n");
  cr_assert_str_eq (cf_flag (&cf->ins[0], "platform"), "linux/amd64");
  args_are (&cf->ins[0], "debian AS b", NULL);
  cr_assert_str_eq (cf_flag (&cf->ins[1], "from"), "b");
  cr_assert_str_eq (cf_flag (&cf->ins[1], "chown"), "app:app");
  cr_assert_str_eq (cf_flag (&cf->ins[1], "chmod"), "0644");
  cr_assert_null (cf_flag (&cf->ins[1], "fro"));
  cr_assert_null (cf_flag (&cf->ins[1], "link"));
  cr_assert_str_eq (cf->ins[1].flags[0], "--from=b");
  cr_assert_null (cf->ins[1].flags[3]);
  args_are (&cf->ins[1], "/a /b", NULL);
  cr_assert_str_eq (cf_flag (&cf->ins[2], "from"), "");
  cr_assert_str_eq (cf_flag (&cf->ins[3], "network"), "none");
  args_are (&cf->ins[3], "--weird", NULL);
  cr_assert_null (cf->ins[4].flags[1]);
  cr_assert_str_eq (cf->ins[1].text, "COPY --from=b --chown=app:app --chmod=0644 /a /b");
  containerfile_free (cf);

  cf = parse ("FROM a\nCOPY --chown=\"$U x\":'g y' a b\n");
  cr_assert_str_eq (cf_flag (&cf->ins[1], "chown"), "\"$U x\":'g y'");
  args_are (&cf->ins[1], "a b", NULL);
  containerfile_free (cf);

  fails ("FROM a\nCOPY --link a b\n", "Containerfile:2: COPY does not take --link");
  fails ("FROM a\nRUN --mount=type=cache,target=/x make\n", "Containerfile:2: RUN does not take --mount");
  fails ("FROM a\nWORKDIR --x /\n", "Containerfile:2: WORKDIR does not take --x");
  fails ("FROM a\nCOPY --from a b\n", "Containerfile:2: COPY --from needs a value (--from=...)");
  fails ("FROM a\nCOPY --chown=1 --chown=2 a b\n", "Containerfile:2: COPY --chown given twice");
}

Test (containerfile, errors_name_path_and_line)
{
  struct containerfile *cf = NULL;
  skiff_error_t err = NULL;

  /* Unknown instructions, counted in file lines, continuations and comments included.  */
  fails ("FROM a\n\n# c\nRUN x \\\n  y\n\nFOOBAR baz\n", "Containerfile:7: unknown instruction `FOOBAR`");
  fails ("FROM a\nrunn x\n", "Containerfile:2: unknown instruction `runn`");
  fails ("FROM a\n\x01\x02 x\n", "Containerfile:2: unknown instruction `??`");
  /* Missing arguments.  */
  fails ("FROM\n", "Containerfile:1: FROM needs an argument");
  fails ("FROM a\nWORKDIR   \n", "Containerfile:2: WORKDIR needs an argument");
  fails ("FROM a\nRUN\n", "Containerfile:2: RUN needs an argument");
  fails ("FROM a\nRUN []\n", "Containerfile:2: RUN needs an argument");
  fails ("FROM a\nCOPY onlyone\n", "Containerfile:2: COPY needs a source and a destination");
  fails ("FROM a\nADD [\"onlyone\"]\n", "Containerfile:2: ADD needs a source and a destination");
  fails ("FROM a\nCOPY --from=x\n", "Containerfile:2: COPY needs an argument");
  fails ("FROM a b\n", "Containerfile:1: FROM takes IMAGE or IMAGE AS NAME");
  fails ("FROM a as b c\n", "Containerfile:1: FROM takes IMAGE or IMAGE AS NAME");
  /* FROM first.  */
  fails ("RUN x\n", "Containerfile:1: RUN before the first FROM (only ARG may come before it)");
  fails ("# c\nARG A\n\nENV B=1\nFROM x\n", "Containerfile:4: ENV before the first FROM (only ARG may come before it)");
  /* JSON where it is required.  */
  fails ("FROM a\nSHELL /bin/sh -c\n", "Containerfile:2: SHELL needs a JSON array of strings: SHELL [\"...\", ...]");
  fails ("FROM a\nSHELL [\"/bin/sh\", 1]\n",
         "Containerfile:2: SHELL needs a JSON array of strings: SHELL [\"...\", ...]");
  fails ("FROM a\nSHELL []\n", "Containerfile:2: SHELL needs an argument");
  /* Heredocs.  */
  fails ("FROM a\nRUN <<EOF\necho\nEOF\n", "Containerfile:2: heredocs (`<<EOF`) are not supported");
  fails ("FROM a\nRUN cat 2<<-\"END\" >x\n", "Containerfile:2: heredocs (`2<<-\"END\"`) are not supported");
  fails ("FROM a\nCOPY <<EOF /x\n", "Containerfile:2: heredocs (`<<EOF`) are not supported");
  /* Instructions with a shape of their own.  */
  fails ("FROM a\nHEALTHCHECK curl\n", "Containerfile:2: HEALTHCHECK takes NONE or CMD COMMAND");
  fails ("FROM a\nHEALTHCHECK NONE x\n", "Containerfile:2: HEALTHCHECK takes NONE or CMD COMMAND");
  fails ("FROM a\nHEALTHCHECK CMD\n", "Containerfile:2: HEALTHCHECK takes NONE or CMD COMMAND");
  fails ("FROM a\nONBUILD ONBUILD RUN x\n", "Containerfile:2: ONBUILD ONBUILD is not allowed");
  fails ("FROM a\nONBUILD from x\n", "Containerfile:2: ONBUILD FROM is not allowed");
  fails ("FROM a\nONBUILD FOO x\n", "Containerfile:2: ONBUILD: unknown instruction `FOO`");

  /* A NUL byte: not a Containerfile.  */
  cr_assert_lt (containerfile_parse ("Containerfile", "FROM a\nRUN \0x\n", 13, &cf, &err), 0);
  cr_assert_str_eq (err->msg, "Containerfile:2: NUL byte: not a text file");
  cr_assert_null (cf);
  skiff_error_free (&err);
}

Test (containerfile, not_heredocs)
{
  struct containerfile *cf = parse ("FROM a\nRUN echo a<<b\nRUN x << y\nRUN echo '<<EOF'x\nCMD <<EOF\n");
  cr_assert_eq (cf->n, 5);
  containerfile_free (cf);
}

Test (containerfile, load)
{
  char dir[] = "/tmp/test-containerfile-XXXXXX", *path;
  struct containerfile *cf = NULL;
  skiff_error_t err = NULL;
  FILE *f;

  cr_assert_not_null (mkdtemp (dir));
  path = xasprintf ("%s/Containerfile", dir);
  cr_assert_lt (containerfile_load (path, &cf, &err), 0);
  cr_assert_not_null (strstr (err->msg, path), "%s", err->msg);
  cr_assert_eq (skiff_error_errno (&err), ENOENT);
  skiff_error_free (&err);

  f = fopen (path, "w");
  fputs ("FROM a\nRUN true\nBAD\n", f);
  fclose (f);
  cr_assert_lt (containerfile_load (path, &cf, &err), 0);
  cr_assert_str_eq (err->msg, strstr (err->msg, path));
  cr_assert_not_null (strstr (err->msg, ":3: unknown instruction `BAD`"), "%s", err->msg);
  skiff_error_free (&err);

  f = fopen (path, "w");
  fputs ("FROM a\nRUN true\n", f);
  fclose (f);
  cr_assert_eq (containerfile_load (path, &cf, &err), 0);
  cr_assert_str_eq (cf->path, path);
  cr_assert_eq (cf->n, 2);
  containerfile_free (cf);
  unlink (path);
  rmdir (dir);
  free (path);
}

/* --- expansion ---------------------------------------------------------------------------------- */

static char *const vars[] = { "A=1", "B=x y", "EMPTY=", "A=2", "NOEQ", "P=/usr/bin", NULL };

static void
word_is (const char *raw, const char *want)
{
  char *w = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (cf_expand_word (raw, '\\', vars, &w, &err), 0, "`%s`: %s", raw, err ? err->msg : "?");
  cr_assert_str_eq (w, want, "`%s`", raw);
  free (w);
}

/* RAW expands to the words that follow (NULL-terminated).  */
static void
words_are (const char *raw, char escape, ...)
{
  char **w = NULL;
  skiff_error_t err = NULL;
  va_list ap;
  size_t i = 0;
  const char *want;

  cr_assert_eq (cf_expand_words (raw, escape, vars, &w, &err), 0, "`%s`: %s", raw, err ? err->msg : "?");
  va_start (ap, escape);
  while ((want = va_arg (ap, const char *)) != NULL)
    {
      cr_assert_not_null (w[i], "`%s`: word %zu missing, want `%s`", raw, i, want);
      cr_assert_str_eq (w[i], want, "`%s`: word %zu", raw, i);
      i++;
    }
  va_end (ap);
  cr_assert_null (w[i], "`%s`: extra word `%s`", raw, w[i]);
  strv_free (w);
}

static void
expand_fails (const char *raw, const char *msg)
{
  char *w = NULL, **ws = NULL;
  skiff_error_t err = NULL;
  cr_assert_lt (cf_expand_word (raw, '\\', vars, &w, &err), 0, "`%s` expanded", raw);
  cr_assert_str_eq (err->msg, msg);
  skiff_error_free (&err);
  cr_assert_lt (cf_expand_words (raw, '\\', vars, &ws, &err), 0, "`%s` expanded", raw);
  cr_assert_str_eq (err->msg, msg);
  skiff_error_free (&err);
  cr_assert_null (w);
  cr_assert_null (ws);
}

Test (expand, variables)
{
  word_is ("$A", "2"); /* the later entry wins */
  word_is ("${A}", "2");
  word_is ("a$A-b", "a2-b");
  word_is ("${A}b", "2b");
  word_is ("$Ab", "");
  word_is ("$UNSET", "");
  word_is ("${UNSET}x", "x");
  word_is ("$NOEQ", "");
  word_is ("$P:/bin", "/usr/bin:/bin");
  word_is ("$", "$");
  word_is ("a$ b", "a$ b");
  word_is ("$-x", "$-x");
  word_is ("$1", "");
  word_is ("cost: 5$", "cost: 5$");
}

Test (expand, modifiers)
{
  word_is ("${UNSET:-def}", "def");
  word_is ("${EMPTY:-def}", "def");
  word_is ("${EMPTY-def}", "");
  word_is ("${UNSET-def}", "def");
  word_is ("${A:-def}", "2");
  word_is ("${A:+alt}", "alt");
  word_is ("${EMPTY:+alt}", "");
  word_is ("${EMPTY+alt}", "alt");
  word_is ("${UNSET:+alt}", "");
  word_is ("${UNSET:-$A}", "2");
  word_is ("${UNSET:-${B}!}", "x y!");
  word_is ("${A:+\"q}\"}", "q}");
  word_is ("${UNSET:-'$A'}", "$A");
  word_is ("${UNSET:-a\\}b}", "a}b");
  word_is ("${A:?must be set}", "2");
  word_is ("${U:-${U:-${U:-${U:-${U:-${U:-${U:-${U:-deep}}}}}}}}", "deep");
  expand_fails ("${UNSET:?must be set}", "UNSET: must be set");
  expand_fails ("${EMPTY:?}", "EMPTY: is empty");
  expand_fails ("${UNSET?}", "UNSET: is not set");
  word_is ("${EMPTY?}", "");
}

Test (expand, quotes_and_escapes)
{
  word_is ("'$A'", "$A");
  word_is ("\"$A\"", "2");
  word_is ("\"'$A'\"", "'2'");
  word_is ("'\"$A\"'", "\"$A\"");
  word_is ("\\$A", "$A");
  word_is ("\\${A}", "${A}");
  word_is ("a\\ b", "a b");
  word_is ("a\\\\b", "a\\b");
  word_is ("\"a\\\"b\"", "a\"b");
  word_is ("\"\\$A\"", "$A");
  word_is ("\"a\\b\"", "a\\b"); /* kept inside double quotes before another char */
  word_is ("'a\\b'", "a\\b");
  word_is ("x\\", "x");
  word_is ("  a  \"b  c\"  ", "  a  b  c  ");
  word_is ("", "");
  word_is ("\"\"", "");
  expand_fails ("\"abc", "unterminated double quote in `\"abc`");
  expand_fails ("a'bc", "unterminated single quote in `a'bc`");
  expand_fails ("${A", "missing `}` after `${A` in `${A`");
  expand_fails ("${A:-x", "missing `}` in `${A:-x`");
  expand_fails ("${}", "bad substitution `${` in `${}`");
  expand_fails ("${A%x}", "unsupported modifier `%` in `${A` in `${A%x}`");
  expand_fails ("${A:=x}", "unsupported modifier `:=` in `${A` in `${A:=x}`");
}

Test (expand, words)
{
  words_are ("a b\t c", '\\', "a", "b", "c", NULL);
  words_are ("  ", '\\', NULL);
  words_are ("", '\\', NULL);
  /* An expansion is not split again, and an empty one makes no word.  */
  words_are ("$B $UNSET c", '\\', "x y", "c", NULL);
  words_are ("\"$UNSET\" ''", '\\', "", "", NULL);
  words_are ("a\"b c\"d 'e f'", '\\', "ab cd", "e f", NULL);
  words_are ("a\\ b c", '\\', "a b", "c", NULL);
  words_are ("${UNSET:-x y} z", '\\', "x y", "z", NULL);
  words_are ("${UNSET:-\"\"}", '\\', "", NULL);
  words_are ("src/*.c $P/", '\\', "src/*.c", "/usr/bin/", NULL);
  /* With the backtick as escape, a backslash is a plain char.  */
  words_are ("C:\\dir\\ `$A `\"x", '`', "C:\\dir\\", "$A", "\"x", NULL);
}

Test (expand, nesting_is_bounded)
{
  /* 5000 nested ${...}: an error, not a stack overflow; the raw splitting of ENV copes too.  */
  size_t n = 5000;
  char *text = xmalloc (n * 5 + 32), *w = NULL, **pairs = NULL, *p;
  struct containerfile *cf;
  skiff_error_t err = NULL;

  p = stpcpy (text, "FROM a\nENV X=");
  for (size_t i = 0; i < n; i++)
    p = stpcpy (p, "${U:-");
  cr_assert_lt (cf_expand_word (text + 13, '\\', vars, &w, &err), 0);
  cr_assert_not_null (strstr (err->msg, "`${` nested more than 32 deep"), "%s", err->msg);
  skiff_error_free (&err);
  cf = parse (text);
  cr_assert_lt (cf_key_values (cf, &cf->ins[1], vars, &pairs, &err), 0);
  cr_assert_not_null (strstr (err->msg, "Containerfile:2: ENV: `${` nested more than 32 deep"), "%s", err->msg);
  skiff_error_free (&err);
  containerfile_free (cf);
  free (text);
}

Test (expand, no_vars)
{
  char *w = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (cf_expand_word ("$A-${B:-d}", '\\', NULL, &w, &err), 0);
  cr_assert_str_eq (w, "-d");
  free (w);
}

/* --- ENV, LABEL, ARG ---------------------------------------------------------------------------- */

/* The pairs of the last instruction of TEXT are the NULL-terminated list that follows.  */
static void
pairs_are (const char *text, ...)
{
  struct containerfile *cf = parse (text);
  char **pairs = NULL;
  skiff_error_t err = NULL;
  va_list ap;
  size_t i = 0;
  const char *want;

  cr_assert_eq (cf_key_values (cf, &cf->ins[cf->n - 1], vars, &pairs, &err), 0, "%s: %s", text,
                err ? err->msg : "?");
  va_start (ap, text);
  while ((want = va_arg (ap, const char *)) != NULL)
    {
      cr_assert_not_null (pairs[i], "%s: pair %zu missing, want `%s`", text, i, want);
      cr_assert_str_eq (pairs[i], want, "%s: pair %zu", text, i);
      i++;
    }
  va_end (ap);
  cr_assert_null (pairs[i], "%s: extra pair `%s`", text, pairs[i]);
  strv_free (pairs);
  containerfile_free (cf);
}

static void
pairs_fail (const char *text, const char *msg)
{
  struct containerfile *cf = parse (text);
  char **pairs = NULL;
  skiff_error_t err = NULL;

  cr_assert_lt (cf_key_values (cf, &cf->ins[cf->n - 1], vars, &pairs, &err), 0, "%s", text);
  cr_assert_str_eq (err->msg, msg);
  cr_assert_null (pairs);
  skiff_error_free (&err);
  containerfile_free (cf);
}

Test (key_values, env)
{
  pairs_are ("FROM a\nENV X=1 Y=\"x y\" Z=$A W=${B}\n", "X=1", "Y=x y", "Z=2", "W=x y", NULL);
  pairs_are ("FROM a\nENV KEY some value  \"q\"\n", "KEY=some value  q", NULL);
  pairs_are ("FROM a\nENV KEY=\n", "KEY=", NULL);
  pairs_are ("FROM a\nENV X='$A' Y=\\$A Z=a\\ b\n", "X=$A", "Y=$A", "Z=a b", NULL);
  pairs_are ("FROM a\nENV A=5 C=$A\n", "A=5", "C=2", NULL); /* the values from before the instruction */
  pairs_are ("FROM a\nENV PATH=$P:/sbin \\\n    MORE=yes\n", "PATH=/usr/bin:/sbin", "MORE=yes", NULL);
  pairs_are ("FROM a\nENV X=${UNSET:-a b} Y=2\n", "X=a b", "Y=2", NULL);
  pairs_fail ("FROM a\nENV KEY\n", "Containerfile:2: ENV KEY needs a value: ENV NAME=VALUE or ENV NAME VALUE");
  pairs_fail ("FROM a\nENV A=1 B\n", "Containerfile:2: ENV `B`: NAME=VALUE expected");
  pairs_fail ("FROM a\n\nENV A=\"x\n", "Containerfile:3: ENV: unterminated double quote in `\"x`");
  pairs_fail ("FROM a\nENV =x\n", "Containerfile:2: ENV: invalid name ``");
  pairs_fail ("FROM a\nENV $UNSET=x\n", "Containerfile:2: ENV: invalid name `$UNSET`");
  pairs_fail ("FROM a\nRUN x\n", "Containerfile:2: RUN has no NAME=VALUE pairs");
}

Test (key_values, label)
{
  pairs_are ("FROM a\nLABEL \"k\"=\"v\"\n", "k=v", NULL);
  pairs_are ("FROM a\nLABEL org.opencontainers.image.title=\"My app\" version=$A\n",
             "org.opencontainers.image.title=My app", "version=2", NULL);
  pairs_are ("FROM a\nLABEL \"a b\"=c \\\n  multi=\"line \\\n value\"\n", "a b=c", "multi=line  value", NULL);
  pairs_are ("FROM a\nLABEL description This is my app\n", "description=This is my app", NULL);
  pairs_fail ("FROM a\nLABEL 'x=y'=z\n", "Containerfile:2: LABEL: invalid name `'x=y'`");
}

Test (key_values, arg)
{
  pairs_are ("ARG NAME\nFROM a\nARG NAME\n", "NAME", NULL);
  pairs_are ("ARG NAME=default\n", "NAME=default", NULL);
  pairs_are ("ARG V=\"1 2\" W X=${A}\n", "V=1 2", "W", "X=2", NULL);
  pairs_are ("ARG E=\n", "E=", NULL);
  pairs_fail ("ARG =x\n", "Containerfile:1: ARG: invalid name ``");
}
