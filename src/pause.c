/* skiff pause / resume: freeze and thaw the container's cgroup.  */
#include <config.h>

#include "commands.h"
#include "container.h"

int
skiff_cmd_pause (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  int ret = skiff_parse_id_command (ctx, argc, argv, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  return skiff_container_pause (ctx, err) < 0 ? -1 : 0;
}

int
skiff_cmd_resume (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  int ret = skiff_parse_id_command (ctx, argc, argv, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  return skiff_container_resume (ctx, err) < 0 ? -1 : 0;
}
