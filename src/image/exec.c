/* skiff-image exec [-i] [-t] [-d] [-e K=V]... [-u USER] [-w DIR] NAME CMD...:
   a new process in a running container; returns its exit status.  */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container_exec.h"
#include "containers.h"
#include "image_commands.h"
#include "store.h"
#include "utils.h"

struct exec_cli
{
  struct image_exec_options o;
  size_t n_env;
};

static int
exec_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct exec_cli *x = data;
  switch (opt)
    {
    case 'e':
      if (strchr (arg, '=') == NULL || arg[0] == '=')
        return image_usage_error (err, "exec", "--env `%s`: want KEY=VALUE", arg);
      x->o.env = xrealloc (x->o.env, (x->n_env + 2) * sizeof *x->o.env);
      x->o.env[x->n_env++] = (char *) arg;
      x->o.env[x->n_env] = NULL;
      return 0;
    case 'u':
      x->o.user = arg;
      return 0;
    case 'w':
      x->o.workdir = arg;
      return 0;
    case 't':
      x->o.tty = true;
      return 0;
    case 'i':
      x->o.interactive = true;
      return 0;
    case 'd':
      x->o.detach = true;
      return 0;
    }
  return image_usage_error (err, "exec", "unknown option");
}

int
image_cmd_exec (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "env", required_argument, NULL, 'e' },       { "user", required_argument, NULL, 'u' },
    { "workdir", required_argument, NULL, 'w' },   { "tty", no_argument, NULL, 't' },
    { "interactive", no_argument, NULL, 'i' },     { "detach", no_argument, NULL, 'd' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_store struct image_store *s = NULL;
  cleanup_container struct image_container *c = NULL;
  struct exec_cli x = { 0 };
  int first, ret, code = 0;

  first = image_parse_options (argc, argv, "e:u:w:tid", longopts, exec_option, &x, err);
  if (first > 0 && argc - first < 2)
    first = image_usage_error (err, argv[0], "want NAME and a command");
  if (first <= 0)
    {
      free (x.o.env);
      return first;
    }
  x.o.argv = argv + first + 1;
  ret = image_store_open (cli->root, &s, err);
  if (ret == 0)
    ret = image_container_find (s, argv[first], &c, err);
  if (ret == 0)
    ret = image_container_exec (s, cli->runtime, c, &x.o, &code, err);
  free (x.o.env);
  if (ret < 0)
    return skiff_error_wrap (err, "exec");
  fflush (stdout);
  return code;
}
