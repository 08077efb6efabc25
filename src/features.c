#include <config.h>
#include "commands.h"

int
skiff_cmd_features (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  return skiff_error_make (err, 0, "features: not implemented yet");
}
