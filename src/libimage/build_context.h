/* skiff-image build: the build context.
 *
 * What COPY and ADD read: the context directory (with its
 * .containerignore/.dockerignore rules) or another stage's root filesystem
 * (COPY --from), the matching of their sources, the content hash that goes
 * into the build cache key, and the copy into a container root.  */
#ifndef IMAGE_BUILD_CONTEXT_H
#define IMAGE_BUILD_CONTEXT_H

#include <stdbool.h>
#include <sys/types.h>

#include "digest.h"
#include "error.h"

struct build_context; /* a directory (the context, or another stage's root) plus its ignore rules */

/* Opens DIR as a build context: the ignore rules come from DIR/.containerignore, else
   DIR/.dockerignore (none: nothing ignored).  Rules: one pattern per line, `#` comments, blank lines
   skipped, a leading `!` is an exception (the last matching rule wins), patterns are
   path-relative to the context (leading `/` and `./` ignored, `..` cleaned lexically), with `*`, `?`,
   `[...]`, and `**` for any number of directories; a pattern matching a directory excludes what
   is under it (unless an exception re-includes a path below it).  */
int build_context_open (const char *dir, struct build_context **out, skiff_error_t *err);
/* A source root with no ignore rules: another stage's root filesystem for COPY --from.  */
int build_context_open_root (const char *dir, struct build_context **out, skiff_error_t *err);
void build_context_free (struct build_context *c);
#define cleanup_build_context __attribute__ ((cleanup (build_context_freep)))
void build_context_freep (struct build_context **c);

/* Whether PATH (relative to the context) is excluded by the ignore rules.  */
bool build_context_ignored (const struct build_context *c, const char *path);

/* Expands COPY/ADD sources (already variable-expanded, relative to the context; `*`, `?`, `[...]` in any
   component) into the matching relative paths, sorted, ignored ones left out.  A source that
   matches nothing is an error naming it ("COPY source `x*`: no such file in the build context"); a
   source that escapes the context (`..` beyond its root, or a symlink on the way that points
   outside) is an error.  For a ROOT context (open_root), symlinks are resolved inside the root.
   The context's root itself is the match ".".  */
int build_context_match (const struct build_context *c, char *const *srcs, char ***matches,
                         skiff_error_t *err);

/* A sha256 (IMAGE_DIGEST_LEN "sha256:hex") over what copying MATCHES would write: for each match,
   recursively in sorted order, the relative name, type, mode bits, symlink target and file content
   (not timestamps, not owners: COPY sets owners itself), skipping ignored paths.  The build cache key
   of a COPY/ADD includes it.  */
int build_context_hash (const struct build_context *c, char *const *matches, char out[IMAGE_DIGEST_LEN],
                        skiff_error_t *err);

struct build_copy_options
{
  const char *dest;    /* destination as written (expanded); relative ones are under WORKDIR */
  const char *workdir; /* the stage's working directory ("/" when none) */
  uid_t uid;           /* owner of everything written: --chown, resolved by the caller; 0:0 default */
  gid_t gid;
  mode_t chmod;        /* --chmod, (mode_t) -1 when absent (keep the source's modes) */
  bool add;            /* ADD: a local tar archive (plain, gzip, bzip2, xz, zstd: libarchive detects)
                          is extracted at dest instead of copied; anything else is copied */
  bool chown;          /* addition: --chown was given.  Only ADD's archives look at it: their
                          entries keep the archive's owners unless it is set (as `tar -x` does);
                          copied files always get uid:gid.  */
};

/* Copies MATCHES from C into the root filesystem ROOTFD (a mounted container root: every path is
   resolved with openat2 RESOLVE_IN_ROOT, so the image's own symlinks such as /bin -> usr/bin are
   followed inside it and nothing is written outside it).  COPY's rules: when there are several
   sources or DEST ends in '/', DEST is a directory (created with missing parents, owned 0:0 mode 0755
   except when it is created by --chown... follow podman: missing parents are root-owned); a
   directory source copies its contents, not itself; a file source onto an existing directory
   goes inside it.  Symlinks are copied as symlinks; hardlinks between copied files are kept;
   modes are kept (or --chmod); mtimes are kept; ignored paths are skipped.  ADD extracts local
   archives safely (no entry outside DEST; reuse or mirror layer.c's approach; whiteout names are
   plain files here).  */
int build_context_copy (const struct build_context *c, char *const *matches, int rootfd,
                        const struct build_copy_options *o, skiff_error_t *err);

#endif
