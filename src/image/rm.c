/* skiff-image rm [-f] NAME...: remove containers (running ones with -f,
   killed first): their runtime state, mount, upper directory and record.
   skiff-image container prune: every container that is not running, but
   no working container of a live build; orphaned build containers (their
   build was killed), running or not, and dead builds' directories.  */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "containers.h"
#include "image_commands.h"
#include "store.h"
#include "utils.h"

static int
rm_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  *(bool *) data = true; /* -f */
  return 0;
}

int
image_cmd_rm (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "force", no_argument, NULL, 'f' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_store struct image_store *s = NULL;
  bool force = false;
  int first;

  first = image_parse_options (argc, argv, "f", longopts, rm_option, &force, err);
  if (first <= 0)
    return first;
  if (first == argc)
    return image_usage_error (err, argv[0], "missing a container");
  if (image_store_open (cli->root, &s, err) < 0)
    return skiff_error_wrap (err, "rm");
  for (int i = first; i < argc; i++)
    {
      cleanup_container struct image_container *c = NULL;
      if (image_container_find (s, argv[i], &c, err) < 0
          || image_container_remove (s, cli->runtime, c, force, err) < 0)
        return skiff_error_wrap (err, "rm");
      printf ("%s\n", c->name);
    }
  return 0;
}

static int
container_prune (struct image_cli *cli, skiff_error_t *err)
{
  cleanup_store struct image_store *s = NULL;
  struct image_container **v = NULL;
  cleanup_strv char **orphans = NULL;
  int ret = 0;

  if (image_store_open (cli->root, &s, err) < 0
      || image_build_orphans_remove (s, cli->runtime, &orphans, err) < 0)
    return skiff_error_wrap (err, "container prune");
  for (size_t i = 0; orphans[i]; i++)
    printf ("%s\n", orphans[i]);
  if (image_container_list (s, &v, err) < 0)
    return skiff_error_wrap (err, "container prune");
  for (size_t i = 0; v[i] && ret == 0; i++)
    {
      enum image_container_state state;
      if (v[i]->builder_pid > 0)
        continue;
      ret = image_container_state (s, cli->runtime, v[i], &state, err);
      if (ret == 0 && state != IMAGE_CONTAINER_RUNNING && state != IMAGE_CONTAINER_REMOVED)
        {
          ret = image_container_remove (s, cli->runtime, v[i], false, err);
          if (ret == 0)
            printf ("%s\n", v[i]->id);
        }
    }
  image_container_list_free (v);
  return ret < 0 ? skiff_error_wrap (err, "container prune") : 0;
}

int
image_cmd_container (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  int first = image_parse_options (argc, argv, "", NULL, NULL, NULL, err);
  if (first <= 0)
    return first;
  if (argc - first == 1 && strcmp (argv[first], "prune") == 0)
    return container_prune (cli, err);
  return image_usage_error (err, argv[0], "expected `prune`");
}
