/* skiff: what criu.c (the criu command line), criu_checkpoint.c,
   criu_restore.c and criu_restore_hooks.c share.  Not an interface of
   libskiff: criu.h is.  */
#ifndef SKIFF_CRIU_INTERNAL_H
#define SKIFF_CRIU_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "cgroup.h"
#include "container_internal.h"
#include "criu.h"
#include "state.h"

#define STDIO_FILE "skiff-stdio"
#define NETNS_KEY "skiff-netns"
#define PIDNS_KEY "skiff-pidns"
#define HOOK_SCRIPT "criu-hooks"
#define HOOK_STAGE "criu-stage"
#define HOOK_ANSWER "criu-answer"

/* A criu command line (argv, NULL-terminated).  */
struct args
{
  char **v;
  size_t n;
};

#define args_addf(a, ...) criu_args_add ((a), xasprintf (__VA_ARGS__))

/* Run in a forked child; fills *ERR on failure.  */
typedef int (*child_fn) (void *data, skiff_error_t *err);
/* In our process while criu (PID) runs.  */
typedef int (*serve_fn) (void *data, pid_t pid, skiff_error_t *err);

/* A restore in progress (criu_restore.c, criu_restore_hooks.c).  */
struct restore
{
  struct skiff_context *ctx;
  const struct skiff_criu_opts *o;
  oci_config *config;
  char *config_data;
  size_t config_len;
  struct skiff_state state;
  struct skiff_cgroup *cg;
  int dirfd;
  int ns_fd[2];       /* network, pid namespaces joined by path */
  int tty_master, tty_slave;
  char tty_name[64];  /* the new pty's slave */
  char *criu_root;    /* <state dir>/criu-root */
  char *images, *work;
  pid_t pid;
  int hook_stage, hook_answer;  /* the fifos of the action script, both ends ours */
};

/* criu.c */
void criu_args_add (struct args *a, char *owned);
void criu_args_free (struct args *a);
pid_t criu_fork_reporting (child_fn fn, void *data, int *report, const char *what, skiff_error_t *err);
int criu_read_report (int report, skiff_error_t *err);
int criu_wait_child (pid_t pid, int *st, const char *what, skiff_error_t *err);
int criu_run (struct args *args, const int *keep, size_t n_keep, child_fn prep, serve_fn serve, void *data,
              const char *log, skiff_error_t *err);
void criu_add_common (struct args *a, const struct skiff_criu_opts *o, const char *images, const char *work,
                      const char *log_name);
bool criu_is_bind_mount (const oci_mount *m);
const char *criu_ns_path (const oci_config *config, const char *type);

/* criu_restore_hooks.c */
int criu_restore_hooks_prepare (struct restore *r, struct args *a, skiff_error_t *err);
int criu_serve_hooks (void *data, pid_t criu_pid, skiff_error_t *err);

#endif
