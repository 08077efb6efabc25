/* The runtime-spec's MUSTs that libocispec checks while parsing, one
   invalid config.json per rule: tests/data/validate/configs.txt (its
   header describes the format).  Each "refused" document fails with
   exactly its message, which names the JSON path; "runtime" documents are
   left to `skiff create` (validate.bats) and must parse; "accepted" ones,
   at the edges of the rules, must parse too.  */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec/runtime.h"

#define CASES VALIDATE_TESTDATA "/configs.txt"

static char *
chomp (char *s)
{
  s[strcspn (s, "\n")] = '\0';
  return s;
}

Test (validate, configs_table)
{
  FILE *f = fopen (CASES, "r");
  char *line = NULL, *kind = NULL, *expect = NULL;
  size_t cap = 0, lineno = 0, refused = 0, runtime = 0, accepted = 0;

  cr_assert_not_null (f, "%s", CASES);
  while (getline (&line, &cap, f) >= 0)
    {
      lineno++;
      chomp (line);
      if (line[0] == '\0' || line[0] == '#')
        continue;
      if (kind == NULL)
        {
          char *colon = strstr (line, ": ");
          cr_assert_not_null (colon, "line %zu: expected KIND: MESSAGE", lineno);
          *colon = '\0';
          kind = strdup (line);
          expect = strdup (colon + 2);
          continue;
        }

      char *err = NULL;
      oci_config *c = oci_config_parse_data (line, strlen (line), "config.json", &err);
      if (strcmp (kind, "refused") == 0)
        {
          refused++;
          cr_expect_null (c, "line %zu: accepted, expected: %s", lineno, expect);
          cr_expect_str_eq (err ? err : "(none)", expect, "line %zu", lineno);
        }
      else
        {
          cr_assert (strcmp (kind, "runtime") == 0 || strcmp (kind, "accepted") == 0,
                     "line %zu: unknown kind %s", lineno, kind);
          *(strcmp (kind, "runtime") == 0 ? &runtime : &accepted) += 1;
          cr_expect_not_null (c, "line %zu: must parse: %s", lineno, err ? err : "?");
        }
      oci_config_free (c);
      free (err);
      free (kind);
      free (expect);
      kind = expect = NULL;
    }
  free (line);
  fclose (f);
  cr_assert_null (kind, "%s ends with a case without a document", CASES);
  /* A truncated table must not pass quietly.  */
  cr_expect_geq (refused, 40);
  cr_expect_geq (runtime, 3);
  cr_expect_geq (accepted, 5);
}

/* A valid document keeps round-tripping through the checks: what
   generate writes, parse accepts again, and consoleSize keeps its
   64 bits.  */
Test (validate, accepted_roundtrip)
{
  static const char doc[]
      = "{\"ociVersion\":\"1.2.0+x\",\"process\":{\"consoleSize\":{\"height\":"
        "18446744073709551615,\"width\":1},\"cwd\":\"/\",\"oomScoreAdj\":1000},"
        "\"linux\":{\"memoryPolicy\":{\"mode\":\"MPOL_LOCAL\"}}}";
  char *err = NULL;
  oci_config *c = oci_config_parse_data (doc, strlen (doc), "config.json", &err);
  cr_assert_not_null (c, "%s", err ? err : "?");
  cr_expect_eq (c->process->console_size->height, UINT64_MAX);
  char *json = oci_config_generate_json (c, &err);
  cr_assert_not_null (json, "%s", err ? err : "?");
  oci_config *again = oci_config_parse_data (json, strlen (json), "config.json", &err);
  cr_expect_not_null (again, "%s", err ? err : "?");
  cr_expect_str_eq (again->linux->memory_policy->mode, "MPOL_LOCAL");
  oci_config_free (again);
  oci_config_free (c);
  free (json);
}
