/* skiff start: let a created container's process exec.  */
#include <config.h>

#include "commands.h"
#include "container.h"

/* Commands whose only argument is the id.  */
static int
parse_id (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  bool help = false;
  int first = skiff_parse_options (argc, argv, "", NULL, NULL, NULL, &help, err);
  if (first < 0)
    return first;
  if (help)
    return 1;
  if (skiff_expect_args (argc, argv, first, 1, 1, err) < 0)
    return -1;
  ctx->id = argv[first];
  return 0;
}

int
skiff_cmd_start (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  int ret = parse_id (ctx, argc, argv, err);
  if (ret != 0)
    return ret < 0 ? ret : 0;
  return skiff_container_start (ctx, err) < 0 ? -1 : 0;
}
