/* skiff: seccomp filters.  linux.seccomp is compiled with libseccomp into
   classic BPF before the clone (or taken from the compiled-filter cache);
   the child only hands the ready program to the kernel.  */
#ifndef SKIFF_SECCOMP_H
#define SKIFF_SECCOMP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "error.h"
#include "ocispec/runtime.h"

struct skiff_seccomp_filter
{
  void *bpf;            /* struct sock_filter[] */
  size_t bpf_len;       /* bytes */
  unsigned int flags;   /* SECCOMP_FILTER_FLAG_* for seccomp(2) */
  bool notify;          /* some rule uses SCMP_ACT_NOTIFY: ask for a listener fd */
};

/* Where compiled filters are cached; NULL disables the cache.  Default:
   /var/cache/skiff/seccomp for root, $XDG_RUNTIME_DIR/skiff/.seccomp-cache
   otherwise.  */
void skiff_seccomp_set_cache_dir (const char *dir);

/* Compile SC (validating it) or load it from the cache.  */
int skiff_seccomp_compile (const oci_seccomp *sc, struct skiff_seccomp_filter **out,
                           skiff_error_t *err);
void skiff_seccomp_filter_free (struct skiff_seccomp_filter *f);

/* Child: install F.  With F->notify, *NOTIFY_FD receives the listener fd
   (close-on-exec), else -1.  No libseccomp calls, no allocation.  */
int skiff_seccomp_load (const struct skiff_seccomp_filter *f, int *notify_fd, skiff_error_t *err);

/* For `skiff features`.  Every list is NULL-terminated (free with
   skiff_seccomp_features_free).  */
struct skiff_seccomp_features
{
  bool enabled;            /* the kernel has seccomp filters */
  char **actions;          /* "SCMP_ACT_ALLOW", ... usable with this kernel */
  char **operators;        /* "SCMP_CMP_EQ", ... */
  char **archs;            /* "SCMP_ARCH_X86_64", ... known to libseccomp */
  char **known_flags;      /* "SECCOMP_FILTER_FLAG_LOG", ... known to skiff */
  char **supported_flags;  /* those of known_flags the kernel accepts */
};
int skiff_seccomp_features (struct skiff_seccomp_features *out, skiff_error_t *err);
void skiff_seccomp_features_free (struct skiff_seccomp_features *f);

/* Internal to the seccomp files: the compiled-filter cache.  KEY is the
   SHA-256 of the filter's inputs.  */
void skiff_sha256 (const void *data, size_t len, uint8_t out[32]);
int skiff_seccomp_cache_lookup (const uint8_t key[32], struct skiff_seccomp_filter *f);
void skiff_seccomp_cache_store (const uint8_t key[32], const struct skiff_seccomp_filter *f);

#endif
