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
  bool help = false, force = false;
  int first = skiff_parse_options (argc, argv, "f", delete_options, handle, &force, &help, err);

  if (first < 0)
    return first;
  if (help)
    return 0;
  if (skiff_expect_args (argc, argv, first, 1, 1, err) < 0)
    return -1;
  ctx->id = argv[first];
  return skiff_container_delete (ctx, force, err) < 0 ? -1 : 0;
}
