/* skiff state: print the OCI state JSON of a container.  */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "container.h"

int
skiff_cmd_state (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  bool help = false;
  char *json = NULL;
  int first = skiff_parse_options (argc, argv, "", NULL, NULL, NULL, &help, err);

  if (first < 0)
    return first;
  if (help)
    return 0;
  if (skiff_expect_args (argc, argv, first, 1, 1, err) < 0)
    return -1;
  ctx->id = argv[first];
  if (skiff_container_state (ctx, &json, err) < 0)
    return -1;
  fputs (json, stdout);
  if (*json == '\0' || json[strlen (json) - 1] != '\n')
    putchar ('\n');
  free (json);
  return 0;
}
