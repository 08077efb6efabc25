/* skiff: the container lifecycle, as the CLI commands drive it.  */
#ifndef SKIFF_CONTAINER_H
#define SKIFF_CONTAINER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "context.h"
#include "error.h"

int skiff_container_create (struct skiff_context *ctx, skiff_error_t *err);
int skiff_container_start (struct skiff_context *ctx, skiff_error_t *err);
/* create + start + wait: returns the exit status (128+N for signal N) in
   *STATUS; with ctx->detach returns after start.  */
int skiff_container_run (struct skiff_context *ctx, int *status, skiff_error_t *err);
/* Prints the OCI state JSON into *JSON.  */
int skiff_container_state (struct skiff_context *ctx, char **json, skiff_error_t *err);
int skiff_container_kill (struct skiff_context *ctx, int sig, bool all, skiff_error_t *err);
int skiff_container_delete (struct skiff_context *ctx, bool force, skiff_error_t *err);
int skiff_container_pause (struct skiff_context *ctx, skiff_error_t *err);
int skiff_container_resume (struct skiff_context *ctx, skiff_error_t *err);
/* The container's processes: from its cgroup, or from its pid namespace
   when it has no cgroup (just pid 1 when it shares ours).  */
int skiff_container_pids (struct skiff_context *ctx, pid_t **pids, size_t *n, skiff_error_t *err);

struct skiff_exec_opts
{
  const char *process_file;  /* --process FILE (oci_process JSON) */
  char **args;               /* or ARGS... */
  bool tty;
  const char *cwd;
  char **cgroups;            /* --cgroup [CONTROLLERS:]SUB: an existing sub-cgroup */
  char **env;                /* --env K=V, appended */
  const char *user;          /* UID[:GID] */
  char **caps;               /* --cap, added */
  bool no_new_privs;
  const char *process_label;
  const char *apparmor;
  char **additional_gids;    /* --additional-gids, added (numbers) */
  bool ignore_paused;        /* into a paused container too: runs once resumed */
};
int skiff_container_exec (struct skiff_context *ctx, const struct skiff_exec_opts *opts, int *status,
                          skiff_error_t *err);

#endif
