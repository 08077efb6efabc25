/* skiff-image create [options] IMAGE [CMD...]: a container from an image,
   its rootfs mounted, not started; prints its name.  With --rm it is
   removed when its process exits (see containers.h).  */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "containers.h"
#include "create.h"
#include "store.h"
#include "utils.h"

enum
{
  OPT_NAME = 1000,
  OPT_ENTRYPOINT,
  OPT_READ_ONLY,
  OPT_NETWORK,
  OPT_RM,
};

static void
strv_push (char ***v, size_t *n, const char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof **v);
  (*v)[(*n)++] = xstrdup (s);
  (*v)[*n] = NULL;
}

static int
create_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct create_options *o = data;
  switch (opt)
    {
    case OPT_NAME:
      o->name = arg;
      break;
    case 'e':
      strv_push (&o->run.env, &o->n_env, arg);
      break;
    case OPT_ENTRYPOINT:
      o->run.entrypoint = arg;
      break;
    case 'w':
      o->run.workdir = arg;
      break;
    case 'u':
      o->run.user = arg;
      break;
    case OPT_READ_ONLY:
      o->run.read_only = true;
      break;
    case 'v':
      strv_push (&o->run.volumes, &o->n_volumes, arg);
      break;
    case OPT_NETWORK:
      if (strcmp (arg, "host") != 0 && strcmp (arg, "none") != 0)
        return image_usage_error (err, "create", "--network `%s`: only host and none (see skiff-image(1))", arg);
      o->run.network = arg;
      break;
    case OPT_RM:
      o->rm = true;
      o->run.autoremove = true;
      break;
    case 'd':
      o->detach = true;
      break;
    case 't':
      o->run.terminal = true;
      break;
    case 'i':
      o->interactive = true;
      break;
    default:
      return image_usage_error (err, "create", "unknown option");
    }
  return 0;
}

int
image_parse_create_options (int argc, char **argv, bool run, struct create_options *o, skiff_error_t *err)
{
  /* run takes create's options and its own.  */
#define CREATE_LONGOPTS                                         \
    { "name", required_argument, NULL, OPT_NAME },              \
    { "env", required_argument, NULL, 'e' },                    \
    { "entrypoint", required_argument, NULL, OPT_ENTRYPOINT },  \
    { "workdir", required_argument, NULL, 'w' },                \
    { "user", required_argument, NULL, 'u' },                   \
    { "read-only", no_argument, NULL, OPT_READ_ONLY },          \
    { "volume", required_argument, NULL, 'v' },                 \
    { "network", required_argument, NULL, OPT_NETWORK },        \
    { "rm", no_argument, NULL, OPT_RM }
  static const struct option create_longopts[] = {
    CREATE_LONGOPTS,
    { NULL, 0, NULL, 0 },
  };
  static const struct option run_longopts[] = {
    CREATE_LONGOPTS,
    { "detach", no_argument, NULL, 'd' },
    { "tty", no_argument, NULL, 't' },
    { "interactive", no_argument, NULL, 'i' },
    { NULL, 0, NULL, 0 },
  };
#undef CREATE_LONGOPTS
  int first;

  memset (o, 0, sizeof *o);
  first = image_parse_options (argc, argv, run ? "e:w:u:v:dti" : "e:w:u:v:", run ? run_longopts : create_longopts,
                               create_option, o, err);
  if (first <= 0)
    return first;
  if (first == argc)
    return image_usage_error (err, argv[0], "missing IMAGE");
  o->run.cmd = argv + first + 1;
  o->run.cmd_len = (size_t) (argc - first - 1);
  return first;
}

void
image_create_options_clear (struct create_options *o)
{
  strv_free (o->run.env);
  strv_free (o->run.volumes);
  memset (o, 0, sizeof *o);
}

int
image_cmd_create (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  cleanup_store struct image_store *s = NULL;
  cleanup_container struct image_container *c = NULL;
  struct create_options o;
  int first, ret;

  first = image_parse_create_options (argc, argv, false, &o, err);
  if (first <= 0)
    return first;
  ret = image_store_open (cli->root, &s, err);
  if (ret == 0)
    ret = image_container_create (s, cli->runtime, argv[first], o.name, &o.run, &c, err);
  image_create_options_clear (&o);
  if (ret < 0)
    return -1;
  printf ("%s\n", c->name);
  return 0;
}
