/* skiff CLI: one file per command; each exports skiff_cmd_NAME.
 *
 * A command gets the context with the global options already parsed, and
 * argv starting at the command name.  It returns an exit code >= 0, or a
 * negative value after filling *err (the caller prints it once).  */
#ifndef SKIFF_COMMANDS_H
#define SKIFF_COMMANDS_H

#include <getopt.h>
#include <stdbool.h>

#include "context.h"
#include "error.h"

typedef int (*skiff_command_fn) (struct skiff_context *ctx, int argc, char **argv,
                                 skiff_error_t *err);

#define SKIFF_COMMANDS(X)                                                                     \
  X (create, "create a container from a bundle; its process waits for `start`",             \
     "[-b|--bundle DIR] [--pid-file FILE] [--console-socket SOCKET] [--preserve-fds N]\n"     \
     "       [--no-pivot] [--no-new-keyring] ID")                                             \
  X (start, "start the process of a created container", "ID")                                \
  X (run, "create and start a container, wait for it and return its exit status",           \
     "[-b|--bundle DIR] [-d|--detach] [--pid-file FILE] [--console-socket SOCKET]\n"          \
     "       [--preserve-fds N] [--no-pivot] [--no-new-keyring] [--keep] ID")                 \
  X (state, "print the OCI state of a container", "ID")                                      \
  X (list, "list containers", "[-f|--format table|json] [-q|--quiet]")                       \
  X (kill, "send a signal to a container's process", "[-a|--all] ID [SIGNAL]")               \
  X (delete, "delete a container and its resources", "[-f|--force] ID")                      \
  X (ps, "list the processes of a container", "[-f|--format table|json] ID")               \
  X (exec, "run a new process inside a container",                                          \
     "[--process FILE] [-d|--detach] [-t|--tty] [--console-socket SOCKET]\n"                  \
     "       [--pid-file FILE] [--cwd DIR] [-e|--env K=V]... [-u|--user UID[:GID]]\n"         \
     "       [--cgroup [CONTROLLERS:]SUB]...\n"                                                \
     "       [-g|--additional-gids GID]... [--cap CAP]... [--no-new-privs]\n"                \
     "       [--ignore-paused]\n"                                                            \
     "       [--process-label LABEL] [--apparmor PROFILE] [--preserve-fds N] ID [ARGS...]")   \
  X (pause, "freeze every process of a container", "ID")                                     \
  X (resume, "thaw a paused container", "ID")                                                \
  X (update, "change the resource limits of a container",                                   \
     "[-r|--resources FILE|-] [--memory N] [--memory-swap N] [--cpu-quota N]\n"               \
     "       [--cpu-period N] [--cpu-share N] [--cpuset-cpus L] [--cpuset-mems L]\n"          \
     "       [--pids-limit N] [--blkio-weight N] ID")                                         \
  X (events, "print container events or resource statistics",                               \
     "[--stats] [--interval SECS] ID")                                                        \
  X (spec, "write a default config.json", "[-b|--bundle DIR] [--rootless]")                  \
  X (features, "print the runtime's features document (JSON)", "")                           \
  X (checkpoint, "checkpoint a running container with CRIU",                                \
     "[--image-path DIR] [--work-path DIR] [--parent-path DIR] [--leave-running]\n"         \
     "       [--pre-dump] [--tcp-established] [--ext-unix-sk] [--shell-job] [--file-locks]\n" \
     "       [--manage-cgroups-mode soft|full|strict|ignore] [--empty-ns network] ID")        \
  X (restore, "restore a container from a checkpoint",                                      \
     "[--image-path DIR] [--work-path DIR] [-b|--bundle DIR] [-d|--detach]\n"                \
     "       [--pid-file FILE] [--console-socket SOCKET] [--tcp-established]\n"             \
     "       [--ext-unix-sk] [--shell-job] [--file-locks]\n"                                  \
     "       [--manage-cgroups-mode soft|full|strict|ignore] [--no-pivot] [--no-subreaper] ID")

#define X(name, summary, usage) \
  int skiff_cmd_##name (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err);
SKIFF_COMMANDS (X)
#undef X

/* Print "Usage: skiff NAME USAGE" and the summary to stdout.  */
void skiff_command_help (const char *name);
/* A usage error: fills *err with "NAME: MSG (see `skiff NAME --help`)" and
   returns the negative value to return from the command.  */
int skiff_usage_error (skiff_error_t *err, const char *name, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Exit code of a usage error.  */
#define SKIFF_EXIT_USAGE 2

/* Parse the command's options with getopt_long ("+" mode: options end at
   the first argument).  Handles --help (prints the command's help and sets
   *HELP) and unknown options (usage error).  Calls HANDLER for each other
   option; returns the index of the first argument, or < 0 on error.  */
typedef int (*skiff_option_handler) (int opt, const char *arg, void *data, skiff_error_t *err);
int skiff_parse_options (int argc, char **argv, const char *shortopts,
                         const struct option *longopts, skiff_option_handler handler,
                         void *data, bool *help, skiff_error_t *err);

/* For commands whose only argument is the container id: parse the options
   as skiff_parse_options does, then the id into CTX->id.  Returns 1 after
   printing help, 0 when the id was set, < 0 on a usage error.  */
int skiff_parse_id_options (struct skiff_context *ctx, int argc, char **argv, const char *shortopts,
                            const struct option *longopts, skiff_option_handler handler,
                            void *data, skiff_error_t *err);
/* The same for commands without options.  */
#define skiff_parse_id_command(ctx, argc, argv, err) \
  skiff_parse_id_options ((ctx), (argc), (argv), "", NULL, NULL, NULL, (err))

/* create and run: parse create's options and the id into CTX; *BUNDLE gets
   the absolute bundle path (CTX->bundle points to it; the caller frees it).
   Returns 1 when --help was printed, 0 to go on, < 0 on error.  */
int skiff_parse_create_options (struct skiff_context *ctx, int argc, char **argv, bool run,
                                char **bundle, skiff_error_t *err);

/* Require exactly N positional arguments (after options); usage error else. */
int skiff_expect_args (int argc, char **argv, int first, int min, int max, skiff_error_t *err);

#endif
