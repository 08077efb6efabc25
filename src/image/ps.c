/* skiff-image ps [-a] [-s] [--format json]: the containers of the store,
   running ones unless -a: NAME IMAGE COMMAND CREATED STATUS, and with -s
   SIZE as docker shows it (what the container wrote, and in parentheses
   that plus its image: the virtual size).  */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "containers.h"
#include "image.h"
#include "image_commands.h"
#include "image_output.h"
#include "store.h"
#include "utils.h"

struct ps_options
{
  bool all, size, json;
};

static int
ps_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct ps_options *o = data;
  if (opt == 'a')
    o->all = true;
  else if (opt == 's')
    o->size = true;
  else if (strcmp (arg, "json") == 0)
    o->json = true;
  else
    return image_usage_error (err, "ps", "--format `%s`: only json", arg);
  return 0;
}

static char *
join_command (char **cmd)
{
  char *out = xstrdup ("");
  for (size_t i = 0; cmd && cmd[i]; i++)
    {
      char *next = xasprintf ("%s%s%s", out, i ? " " : "", cmd[i]);
      free (out);
      out = next;
    }
  return out;
}

static char *
status_text (const struct image_container *c, enum image_container_state state, time_t now)
{
  char ago[64];
  switch (state)
    {
    case IMAGE_CONTAINER_CREATED:
      return xstrdup ("Created");
    case IMAGE_CONTAINER_RUNNING:
      image_format_ago (c->started, now, ago, sizeof ago);
      if (strlen (ago) > 4 && strcmp (ago + strlen (ago) - 4, " ago") == 0)
        ago[strlen (ago) - 4] = '\0';
      return xasprintf ("Up %s", ago);
    default:
      image_format_ago (c->finished ? c->finished : c->started, now, ago, sizeof ago);
      if (c->exit_code >= 0)
        return xasprintf ("Exited (%d) %s", c->exit_code, ago);
      return xasprintf ("Exited %s", ago);
    }
}

/* The image's size, for the virtual size (0 when the image is gone).  */
static int64_t
image_size (struct image_store *s, const char *image_id)
{
  cleanup_image_info struct image_info info = { 0 };
  struct image_desc d = { 0 };
  int64_t size = 0;
  int ret = image_store_resolve (s, image_id, &d, NULL);
  if (ret == 0)
    ret = image_info_load (s, &d, &info, NULL);
  image_desc_clear (&d);
  if (ret == 0)
    image_info_size (s, &info, &size, NULL);
  return size;
}

int
image_cmd_ps (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "all", no_argument, NULL, 'a' },
    { "size", no_argument, NULL, 's' },
    { "format", required_argument, NULL, 'F' },
    { NULL, 0, NULL, 0 },
  };
  cleanup_store struct image_store *s = NULL;
  struct image_container **v = NULL;
  struct ps_options o = { 0 };
  yajl_gen g = NULL;
  time_t now = time (NULL);
  int first, ret = 0;

  first = image_parse_options (argc, argv, "as", longopts, ps_option, &o, err);
  if (first <= 0)
    return first;
  if (first != argc)
    return image_usage_error (err, argv[0], "no arguments expected");
  if (image_store_open (cli->root, &s, err) < 0 || image_container_list (s, &v, err) < 0)
    return skiff_error_wrap (err, "ps");

  if (o.json)
    {
      g = image_json_new ();
      yajl_gen_array_open (g);
    }
  else
    printf ("%-20s %-30s %-24s %-16s %-20s%s\n", "NAME", "IMAGE", "COMMAND", "CREATED", "STATUS",
            o.size ? " SIZE" : "");
  for (size_t i = 0; v[i] && ret == 0; i++)
    {
      struct image_container *c = v[i];
      enum image_container_state state;
      cleanup_free char *cmd = NULL, *status = NULL;
      int64_t upper = 0, virt = 0;
      char created[64];

      ret = image_container_state (s, cli->runtime, c, &state, err);
      if (ret < 0 || state == IMAGE_CONTAINER_REMOVED || (!o.all && state != IMAGE_CONTAINER_RUNNING))
        continue;
      cmd = join_command (c->command);
      status = status_text (c, state, now);
      /* A build's working container says so, and whether its build is
         gone (the next build or `container prune` removes it).  */
      if (c->builder_pid > 0)
        {
          char *marked = xasprintf ("%s (build%s)", status, image_container_orphaned (c) ? ", orphaned" : "");
          free (status);
          status = marked;
        }
      if (o.size)
        {
          upper = image_container_upper_size (c);
          virt = upper + image_size (s, c->image_id);
        }
      if (o.json)
        {
          yajl_gen_map_open (g);
          image_json_kv (g, "Id", c->id);
          image_json_kv (g, "Name", c->name);
          image_json_kv (g, "Image", c->image_name);
          image_json_kv (g, "ImageID", c->image_id);
          image_json_kv (g, "Command", cmd);
          image_json_kint (g, "Created", c->created);
          image_json_kv (g, "State", state == IMAGE_CONTAINER_RUNNING   ? "running"
                                     : state == IMAGE_CONTAINER_CREATED ? "created"
                                                                        : "exited");
          image_json_kv (g, "Status", status);
          image_json_kint (g, "ExitCode", c->exit_code);
          if (c->builder_pid > 0)
            {
              image_json_kint (g, "BuildPid", c->builder_pid);
              yajl_gen_string (g, (const unsigned char *) "Orphaned", 8);
              yajl_gen_bool (g, image_container_orphaned (c));
            }
          if (o.size)
            {
              image_json_kint (g, "SizeRw", upper);
              image_json_kint (g, "SizeRootFs", virt);
            }
          yajl_gen_map_close (g);
          continue;
        }
      image_format_ago (c->created, now, created, sizeof created);
      {
        cleanup_free char *quoted = xasprintf ("\"%.19s%s\"", cmd, strlen (cmd) > 19 ? "..." : "");
        printf ("%-20s %-30s %-24s %-16s %-20s", c->name, c->image_name, quoted, created, status);
      }
      if (o.size)
        {
          char a[32], b[32];
          image_format_size (upper, a, sizeof a);
          image_format_size (virt, b, sizeof b);
          printf (" %s (virtual %s)", a, b);
        }
      printf ("\n");
    }
  image_container_list_free (v);
  if (g)
    {
      yajl_gen_array_close (g);
      if (ret == 0)
        ret = image_json_print (g, err);
      yajl_gen_free (g);
    }
  return ret < 0 ? skiff_error_wrap (err, "ps") : 0;
}
