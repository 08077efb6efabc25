/* skiff-image create and run: their shared options.  */
#ifndef IMAGE_CREATE_H
#define IMAGE_CREATE_H

#include "image_commands.h"
#include "runconfig.h"

struct create_options
{
  struct image_run_options run;
  const char *name;
  size_t n_env, n_volumes;
  bool rm, detach, interactive; /* run only */
};

/* Parses create's options (RUN: and run's) into O; returns the index of
   IMAGE, 0 after --help, < 0 on a usage error.  */
int image_parse_create_options (int argc, char **argv, bool run, struct create_options *o, skiff_error_t *err);
void image_create_options_clear (struct create_options *o);

#endif
