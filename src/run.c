/* skiff run: create + start + wait; exits with the container's status.  */
#include <config.h>

#include "commands.h"
#include "container.h"
#include "log.h"
#include "utils.h"

int
skiff_cmd_run (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  cleanup_free char *bundle = NULL;
  int status = 0;
  int ret = skiff_parse_create_options (ctx, argc, argv, true, &bundle, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (skiff_container_run (ctx, &status, err) < 0)
    {
      /* The process could not be executed: report it, and exit the way a
         shell would (126/127), as callers of `run` expect.  */
      if (status != 126 && status != 127)
        return -1;
      skiff_log_error (NULL, err);
    }
  return status;
}
