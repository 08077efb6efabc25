/* skiff-image CLI: one file per command; each exports image_cmd_NAME.
 *
 * A command gets the global options and argv starting at the command name.
 * It returns an exit code >= 0, or a negative value after filling *err
 * (main prints it once as "skiff-image: MESSAGE").  */
#ifndef IMAGE_COMMANDS_H
#define IMAGE_COMMANDS_H

#include <getopt.h>
#include <stdbool.h>

#include "error.h"

struct image_cli
{
  const char *root;    /* --root: the store */
  const char *runtime; /* --runtime: the skiff binary (parts 2 and 3) */
  bool debug;
};

typedef int (*image_command_fn) (struct image_cli *cli, int argc, char **argv, skiff_error_t *err);

#define IMAGE_COMMANDS(X)                                                                     \
  X (build, "build an image from a Containerfile",                                          \
     "[-t REF]... [-f FILE] [--build-arg K=V]... [--no-cache] [--target STAGE] "             \
     "[--network host|none] [--layers] [-q] CONTEXT")                                        \
  X (pull, "pull an image from a registry into the store",                                  \
     "[--platform OS/ARCH[/VARIANT]] [--tls-verify=false] [--authfile F] [-q] REF")          \
  X (push, "push an image of the store to a registry",                                      \
     "[--tls-verify=false] [--authfile F] IMAGE [DEST-REF]")                                 \
  X (login, "store credentials for a registry",                                             \
     "[--tls-verify=false] [--authfile F] -u USER --password-stdin REGISTRY")                \
  X (logout, "remove the credentials of a registry", "[--authfile F] REGISTRY")             \
  X (images, "list the images of the store",                                                \
     "[-a|--all] [-q|--quiet] [--digests] [--format json]")                                  \
  X (inspect, "print an image's config, manifest digest, layers and sizes (JSON)", "IMAGE") \
  X (tag, "add a name to an image", "IMAGE NEW-REF")                                         \
  X (rmi, "remove images (names, then unused blobs)", "[-f|--force] IMAGE...")              \
  X (prune, "remove dangling images, then blobs no image uses", "[-a|--all]")               \
  X (save, "write images to a docker-archive or oci-archive tar",                           \
     "[-o|--output FILE] [--format docker-archive|oci-archive] IMAGE...")                    \
  X (load, "load images from a docker-archive or oci-archive tar", "[-i|--input FILE] [-q]") \
  X (unpack, "write an image as a standalone bundle (DIR/config.json, DIR/rootfs)", "IMAGE DIR") \
  X (create, "create a container from an image (prints its name)",                           \
     "[--name N] [-e K=V]... [--entrypoint E] [-w DIR] [-u USER[:GROUP]] [--read-only] "     \
     "[-v SRC:DST[:ro]]... [--network host|none] IMAGE [CMD...]")                           \
  X (start, "start a container", "[-a|--attach] NAME")                                       \
  X (run, "create and start a container",                                                    \
     "[--rm] [-d|--detach] [-t|--tty] [-i|--interactive] [create's options] IMAGE [CMD...]") \
  X (exec, "run a command in a running container",                                           \
     "[-i|--interactive] [-t|--tty] [-d|--detach] [-e K=V]... [-u USER[:GROUP]] [-w DIR] NAME CMD...") \
  X (logs, "print what a detached container wrote", "[-f|--follow] NAME")                    \
  X (ps, "list containers", "[-a|--all] [-s|--size] [--format json]")                        \
  X (stop, "stop containers (StopSignal, SIGKILL after the timeout)", "[-t SECONDS] NAME...") \
  X (kill, "send a signal to containers", "[-s|--signal SIGNAL] NAME...")                     \
  X (rm, "remove containers", "[-f|--force] NAME...")                                        \
  X (diff, "list what a container added (A), changed (C) and deleted (D)", "NAME")          \
  X (commit, "write a container's changes as a new image (prints its id)",                   \
     "[-m MSG] [-c CHANGE]... [--compression gzip|zstd] [--pause=false] NAME [IMAGE-REF]")    \
  X (container, "manage containers: `container prune` removes stopped ones", "prune")        \
  X (fsck, "verify every blob and that the images' blobs exist", "")

#define X(name, summary, usage) \
  int image_cmd_##name (struct image_cli *cli, int argc, char **argv, skiff_error_t *err);
IMAGE_COMMANDS (X)
#undef X

/* Exit code of a usage error.  */
#define IMAGE_EXIT_USAGE 2

/* "NAME: MSG (see `skiff-image NAME --help`)"; marks the error as a usage
   error (exit 2) and returns the negative value to return.  */
int image_usage_error (skiff_error_t *err, const char *name, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

/* getopt_long in "+" mode with -h/--help added: calls HANDLER per option;
   returns the index of the first argument, 0 after printing help, or < 0
   on a usage error.  */
typedef int (*image_option_handler) (int opt, const char *arg, void *data, skiff_error_t *err);
int image_parse_options (int argc, char **argv, const char *shortopts, const struct option *longopts,
                         image_option_handler handler, void *data, skiff_error_t *err);

#endif
