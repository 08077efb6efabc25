/* libFuzzer harness: config.json bytes through the generated libocispec
   parser, and every accepted config through a generate -> parse ->
   generate round trip, which must be stable (what we write, e.g. into a
   bundle for hooks or `spec`, must read back as the same document).
   Built by `make fuzz`.  */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ocispec/runtime.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  char *errstr = NULL, *json1 = NULL, *json2 = NULL;
  oci_config *c1, *c2 = NULL;

  c1 = oci_config_parse_data ((const char *) data, size, "fuzz", &errstr);
  free (errstr);
  errstr = NULL;
  if (c1 == NULL)
    return 0;
  json1 = oci_config_generate_json (c1, &errstr);
  if (json1 == NULL)
    {
      /* Generation of a parsed document must not fail.  */
      fprintf (stderr, "generate failed: %s\n", errstr ? errstr : "?");
      abort ();
    }
  c2 = oci_config_parse_data (json1, strlen (json1), "fuzz-generated", &errstr);
  if (c2 == NULL)
    {
      fprintf (stderr, "generated JSON does not parse: %s\n%s\n", errstr ? errstr : "?", json1);
      abort ();
    }
  json2 = oci_config_generate_json (c2, &errstr);
  if (json2 == NULL || strcmp (json1, json2) != 0)
    {
      fprintf (stderr, "round trip differs:\n%s\n---\n%s\n", json1, json2 ? json2 : "(null)");
      abort ();
    }
  free (errstr);
  free (json1);
  free (json2);
  oci_config_free (c1);
  oci_config_free (c2);
  return 0;
}
