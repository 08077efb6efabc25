/* skiff start: let a created container's process exec.  */
#include <config.h>

#include "commands.h"
#include "container.h"

int
skiff_cmd_start (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  int ret = skiff_parse_id_command (ctx, argc, argv, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  return skiff_container_start (ctx, err) < 0 ? -1 : 0;
}
