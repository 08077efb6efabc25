/* skiff-image build: what the executor's three files share.  build.c drives
   the stages (and cancelling), build_state.c keeps the current image, the
   cache and the messages, build_steps.c runs the instructions in working
   containers.  Not part of libimage's interface: build.h is.  */
#ifndef IMAGE_BUILD_INTERNAL_H
#define IMAGE_BUILD_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "build.h"
#include "container_commit.h"
#include "containerfile.h"
#include "image.h"
#include "runconfig.h"
#include "store.h"

struct build_context;

struct stage
{
  char *name;       /* AS NAME (compared without case); NULL */
  size_t first;     /* its FROM */
  size_t end;       /* one past its last instruction */
  char *result;     /* manifest digest of its image once built */
  bool has_layers;  /* the result has a filesystem */
};

struct build
{
  struct image_store *s;
  const struct image_build_options *o;
  struct containerfile *cf;
  struct build_context *ctx; /* opened on the first COPY/ADD */
  struct stage *stages;
  size_t n_stages;
  char **build_args;  /* K=V from --build-arg */
  bool *arg_used;     /* per build_args entry */
  char **predefined;  /* TARGETOS=linux ... */
  char **globals;     /* ARGs before the first FROM, with their values */
  char **made;        /* manifests of the images the steps listed */
};

/* The stage being built: its current image and what is not in it.  */
struct cur
{
  struct image_info info; /* manifest and config of the current image */
  char manifest[IMAGE_DIGEST_LEN];
  int64_t manifest_size;
  char *media_type;
  char **args;  /* the stage's ARGs with a value (K=V) */
  char **shell; /* SHELL, default /bin/sh -c */
  bool cmd_set; /* CMD given in this stage */
  bool listed;  /* the current image has an entry in index.json */
};

/* build.c: cancelling */

/* Whether SIGINT or SIGTERM asked the build to stop.  */
bool build_cancelled (void);
void build_arm_cancel (struct image_store *s, const char *runtime, const char *id);
void build_disarm_cancel (void);

/* build_state.c: helpers, the current image, the cache, messages */
void build_strv_push (char ***v, const char *s);
char **build_strv_copy (char *const *v, size_t n);
void build_kv_set (char ***v, size_t *len, const char *pair);
const char *build_kv_get (char *const *v, size_t n, const char *k);
const char *build_goarch (const char **variant);
bool build_is_proxy_arg (const char *k, size_t klen);
void build_cur_clear (struct cur *c);
const oci_image_config_config *build_cur_cc (struct cur *c);
oci_image_config_config *build_cur_ccw (struct cur *c);
char **build_cur_vars (struct cur *c);
void build_say (struct build *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
int build_line_error (struct build *b, const struct cf_instruction *in, skiff_error_t *err);
int build_cur_load (struct build *b, struct cur *c, const char *name, skiff_error_t *err);
int build_cur_scratch (struct build *b, struct cur *c, skiff_error_t *err);
int build_index_add (struct image_store *s, const char *manifest, int64_t size, const char *parent, const char *key,
                     skiff_error_t *err);
void build_cur_chain (struct cur *c, char chain[IMAGE_DIGEST_LEN]);
int build_cur_commit (struct build *b, struct cur *c, const struct cf_instruction *in,
                      const struct image_new_layer *layer, const char *key, skiff_error_t *err);
int build_cache_try (struct build *b, struct cur *c, const char *key, bool *hit, skiff_error_t *err);
void build_make_key (const char *parent, char *const *lines, char key[IMAGE_DIGEST_LEN]);

/* build_steps.c: the instructions */
int build_apply_config (struct build *b, struct cur *c, const struct cf_instruction *in, char **line,
                        skiff_error_t *err);
int build_apply_arg (struct build *b, struct cur *c, const struct cf_instruction *in, char ***scope,
                     skiff_error_t *err);
int build_do_run (struct build *b, struct cur *c, const struct cf_instruction *in, int *run_status, skiff_error_t *err);
struct stage *build_find_stage (struct build *b, size_t cur, const char *name);
int build_do_copy (struct build *b, size_t stage, struct cur *c, const struct cf_instruction *in, skiff_error_t *err);

#endif
