/* skiff-image: from an image's config to a runtime config.json.
 *
 * The base is `skiff spec`'s default (the runtime writes it, so both agree
 * on what a default container is); the image config and the user's
 * overrides are applied on top: Entrypoint + Cmd, Env (merged by key over
 * the default PATH, then -e), WorkingDir (created when missing), User
 * (names resolved through the image's /etc/passwd and /etc/group), Labels
 * as annotations, and StopSignal and ExposedPorts noted as the OCI image
 * spec's conversion annotations.  */
#ifndef IMAGE_RUNCONFIG_H
#define IMAGE_RUNCONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "ocispec/image.h"
#include "ocispec/runtime.h"

#define IMAGE_ANNOTATION_STOP_SIGNAL "org.opencontainers.image.stopSignal"
#define IMAGE_ANNOTATION_EXPOSED_PORTS "org.opencontainers.image.exposedPorts"
#define IMAGE_ANNOTATION_VOLUMES "org.opencontainers.image.volumes"

/* What create and run take from their command line.  */
struct image_run_options
{
  char **env;             /* -e K=V (K alone: the caller's value), NULL-terminated */
  const char *entrypoint; /* --entrypoint; "" clears the image's */
  char **cmd;             /* CMD...: replaces the image's Cmd */
  size_t cmd_len;
  const char *workdir; /* -w */
  const char *user;    /* -u USER[:GROUP] */
  bool read_only;
  bool terminal;
  const char *network; /* NULL (a private namespace), "none" or "host" */
  char **volumes;      /* -v SRC:DST[:ro], NULL-terminated */
  const char *hostname;
  bool command_optional; /* no command anywhere: keep the default's */
  bool autoremove;       /* --rm: the container goes when its process exits */
  bool build;            /* a build's working container (this process builds) */
};

/* Runs RUNTIME with ARGS (NULL-terminated, without argv[0]) and stdin,
   stdout, stderr on IN, OUT, ERR (-1: /dev/null); with OUTPUT, stdout is
   captured there instead.  *STATUS gets the exit status (128+N for
   signal N).  */
int image_runtime_run (const char *runtime, char *const *args, int in, int out, int errfd, char **output,
                       int *status, skiff_error_t *err);

/* Runs `RUNTIME spec -b BUNDLE` and parses the config.json it wrote.  */
int image_runconfig_default (const char *runtime, const char *bundle, oci_config **out, skiff_error_t *err);

/* Applies the image config IMG and the options O to CFG; ROOTFD is the
   container's root filesystem (for /etc/passwd and the working
   directory).  */
int image_runconfig_apply (oci_config *cfg, const oci_image_config *img, int rootfd,
                           const struct image_run_options *o, skiff_error_t *err);

/* USER[:GROUP] (names or ids) as the image ROOTFD's /etc/passwd and
   /etc/group resolve them (the group: the user's when absent).  */
int image_resolve_user (int rootfd, const char *spec, uint32_t *uid, uint32_t *gid, skiff_error_t *err);

/* Writes CFG as BUNDLE/config.json (atomically).  */
int image_runconfig_write (const oci_config *cfg, const char *bundle, skiff_error_t *err);

#endif
