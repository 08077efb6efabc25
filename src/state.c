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
  char *json = NULL;
  int ret = skiff_parse_id_command (ctx, argc, argv, err);

  if (ret != 0)
    return ret < 0 ? ret : 0;
  if (skiff_container_state (ctx, &json, err) < 0)
    return -1;
  fputs (json, stdout);
  if (*json == '\0' || json[strlen (json) - 1] != '\n')
    putchar ('\n');
  free (json);
  return 0;
}
