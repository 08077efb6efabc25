/* skiff: OCI hooks, each run with the container state on stdin, its args,
   env and timeout, in the namespace the spec says.  */
#ifndef SKIFF_HOOKS_H
#define SKIFF_HOOKS_H

#include <stddef.h>
#include "error.h"
#include "ocispec/runtime.h"

/* Run HOOKS in order; STAGE names the stage in errors ("prestart", ...).
   Stops at the first failure and returns it.  */
int skiff_hooks_run (oci_hook **hooks, size_t n, const char *stage, const char *state_json,
                     skiff_error_t *err);

/* Run every one of HOOKS (poststart, poststop): as the spec says for these
   stages, a failing hook is a warning and the next one still runs.
   Returns how many failed.  */
size_t skiff_hooks_run_warn (oci_hook **hooks, size_t n, const char *stage,
                             const char *state_json);

#endif
