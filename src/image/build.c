/* skiff-image build -t REF... [-f FILE] [--build-arg K=V]... [--no-cache]
   [--target STAGE] [--network host|none] [--layers] [-q] CONTEXT: an image
   from a Containerfile (the executor is src/libimage/build.c).  Prints the
   steps, then the image id; a failing RUN makes the command's exit status
   ours; SIGINT or SIGTERM stop the build (exit 130 or 143) after cleaning
   up.  */
#include <config.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "build.h"
#include "image_commands.h"
#include "ref.h"
#include "store.h"
#include "utils.h"

struct build_cli
{
  struct image_build_options o;
  char **tags, **args;
  size_t n_tags, n_args;
};

enum
{
  OPT_BUILD_ARG = 1000,
  OPT_NO_CACHE,
  OPT_TARGET,
  OPT_NETWORK,
  OPT_LAYERS,
};

static void
push (char ***v, size_t *n, char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof **v);
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

static int
build_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct build_cli *b = data;
  switch (opt)
    {
    case 't':
      {
        struct image_ref ref = { 0 };
        if (image_ref_parse (arg, &ref, err) < 0)
          return skiff_error_wrap (err, "build: -t %s", arg);
        if (ref.digest)
          {
            image_ref_clear (&ref);
            return skiff_error_plain (err, EINVAL, "build: -t %s: a new image cannot be named by a digest", arg);
          }
        push (&b->tags, &b->n_tags, image_ref_string (&ref));
        image_ref_clear (&ref);
        return 0;
      }
    case 'f':
      b->o.file = arg;
      return 0;
    case 'q':
      b->o.quiet = true;
      return 0;
    case OPT_BUILD_ARG:
      push (&b->args, &b->n_args, xstrdup (arg));
      return 0;
    case OPT_NO_CACHE:
      b->o.no_cache = true;
      return 0;
    case OPT_TARGET:
      b->o.target = arg;
      return 0;
    case OPT_NETWORK:
      if (strcmp (arg, "host") != 0 && strcmp (arg, "none") != 0)
        return image_usage_error (err, "build", "--network %s: host or none", arg);
      b->o.network = arg;
      return 0;
    case OPT_LAYERS:
      /* The cache is on by default (podman's --layers); --layers=false
         turns the lookups off and keeps no intermediate image.  */
      if (arg && strcmp (arg, "false") == 0)
        b->o.no_cache = b->o.no_layers = true;
      else if (arg == NULL || strcmp (arg, "true") == 0)
        b->o.no_layers = false;
      else if (arg && strcmp (arg, "true") != 0)
        return image_usage_error (err, "build", "--layers=%s: true or false", arg);
      return 0;
    }
  return image_usage_error (err, "build", "unknown option");
}

static volatile sig_atomic_t caught;

static void
on_signal (int sig)
{
  caught = sig;
  image_build_cancel ();
}

int
image_cmd_build (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "tag", required_argument, NULL, 't' },
    { "file", required_argument, NULL, 'f' },
    { "quiet", no_argument, NULL, 'q' },
    { "build-arg", required_argument, NULL, OPT_BUILD_ARG },
    { "no-cache", no_argument, NULL, OPT_NO_CACHE },
    { "target", required_argument, NULL, OPT_TARGET },
    { "network", required_argument, NULL, OPT_NETWORK },
    { "layers", optional_argument, NULL, OPT_LAYERS },
    { NULL, 0, NULL, 0 },
  };
  struct build_cli b = { 0 };
  cleanup_store struct image_store *s = NULL;
  struct sigaction sa = { .sa_handler = on_signal, .sa_flags = SA_RESTART }, old_int, old_term;
  char id[IMAGE_DIGEST_LEN];
  int first, ret, status = 0, sig = 0;

  first = image_parse_options (argc, argv, "t:f:q", longopts, build_option, &b, err);
  if (first <= 0)
    ret = first;
  else if (argc - first != 1)
    ret = image_usage_error (err, argv[0], "expected one CONTEXT directory");
  else
    {
      b.o.context = argv[first];
      b.o.tags = b.tags;
      b.o.build_args = b.args;
      b.o.runtime = cli->runtime;
      ret = image_store_open (cli->root, &s, err);
      if (ret == 0)
        {
          sigemptyset (&sa.sa_mask);
          sigaction (SIGINT, &sa, &old_int);
          sigaction (SIGTERM, &sa, &old_term);
          ret = image_build (s, &b.o, id, &status, err);
          sigaction (SIGINT, &old_int, NULL);
          sigaction (SIGTERM, &old_term, NULL);
          if (ret < 0 && skiff_error_errno (err) == ECANCELED)
            sig = caught ? caught : SIGINT;
        }
      if (ret == 0)
        printf ("%s\n", id + 7);
      else if (status != 0 || sig)
        {
          /* The command's own status (or 128+SIGINT), after the message.  */
          fprintf (stderr, "skiff-image: %s\n", (*err)->msg);
          ret = status ? status : 128 + sig;
        }
    }
  strv_free (b.tags);
  strv_free (b.args);
  return ret;
}
