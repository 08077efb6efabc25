/* skiff delete: remove a container (kill it first with --force).  */
#include <config.h>

#include "commands.h"
#include "container.h"

static const struct option delete_options[] = {
  { "force", no_argument, NULL, 'f' },
  { NULL, 0, NULL, 0 },
};

static int
handle (int opt, const char *arg, void *data, skiff_error_t *err)
{
  *(bool *) data = true; /* -f/--force is the only option */
  return 0;
}

int
skiff_cmd_delete (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  bool force = false;
  int ret = skiff_parse_id_options (ctx, argc, argv, "f", delete_options, handle, &force, err);

  if (ret != 0)
    return ret < 0 ? ret : 0;
  return skiff_container_delete (ctx, force, err) < 0 ? -1 : 0;
}
