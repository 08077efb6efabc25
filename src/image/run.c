/* skiff-image run [create's options] [--rm] [-d] [-t] [-i] IMAGE [CMD...]:
   create and start; in the foreground it returns the container's exit
   status, detached it prints the name.  */
#include <config.h>

#include <stdio.h>

#include "containers.h"
#include "create.h"
#include "store.h"
#include "utils.h"

int
image_cmd_run (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  cleanup_store struct image_store *s = NULL;
  cleanup_container struct image_container *c = NULL;
  struct create_options o;
  int first, ret, code = 0;

  first = image_parse_create_options (argc, argv, true, &o, err);
  if (first <= 0)
    return first;
  ret = image_store_open (cli->root, &s, err);
  if (ret == 0)
    ret = image_container_create (s, cli->runtime, argv[first], o.name, &o.run, &c, err);
  if (ret == 0)
    {
      ret = image_container_start (s, cli->runtime, c, !o.detach, o.interactive, &code, err);
      if (ret == 0 && o.detach)
        printf ("%s\n", c->name);
      /* --rm: the container goes when its process exits (the start
         attached, its monitor detached), and when it could not start.  */
      if (o.rm && ret < 0)
        {
          skiff_error_t rm_err = NULL;
          image_container_remove (s, cli->runtime, c, true, &rm_err);
          skiff_error_free (&rm_err);
        }
    }
  image_create_options_clear (&o);
  return ret < 0 ? -1 : code;
}
