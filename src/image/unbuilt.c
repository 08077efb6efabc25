/* skiff-image: the registry commands are linked from registry.mk's
   sources; until they are part of the build, these weak definitions keep
   the command table complete and say so.  */
#include <config.h>

#include <errno.h>

#include "image_commands.h"

#define UNBUILT(name)                                                                        \
  __attribute__ ((weak)) int image_cmd_##name (struct image_cli *cli, int argc, char **argv, \
                                               skiff_error_t *err)                           \
  {                                                                                          \
    return skiff_error_plain (err, ENOSYS, "%s: not built into this skiff-image", argv[0]);  \
  }

UNBUILT (pull)
UNBUILT (push)
UNBUILT (login)
UNBUILT (logout)
