/* libFuzzer harness: a config.json goes through skiff_security_prepare,
   i.e. capability parsing and seccomp validation + compilation (the code
   that reads untrusted profiles in the parent).  The compiled-filter cache
   is disabled so every input really compiles.  Built by `make fuzz`.  */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "log.h"
#include "seccomp.h"
#include "security.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  static int initialized;
  struct skiff_security *s = NULL;
  skiff_error_t err = NULL;
  char *errstr = NULL;
  oci_config *config;

  if (!initialized)
    {
      skiff_seccomp_set_cache_dir (NULL);
      initialized = 1;
    }
  config = oci_config_parse_data ((const char *) data, size, "fuzz", &errstr);
  free (errstr);
  if (config == NULL)
    return 0;
  if (skiff_security_prepare (config, config->process, &s, &err) == 0)
    skiff_security_free (s);
  skiff_error_free (&err);
  oci_config_free (config);
  return 0;
}
