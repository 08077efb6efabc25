/* skiff-image: extracting layers safely.
 *
 * A layer is a tar (plain, gzip or zstd) read with libarchive; every
 * entry is written with *at() calls relative to the target directory, its
 * parents opened one component at a time with openat2(RESOLVE_BENEATH |
 * RESOLVE_NO_SYMLINKS), so no entry can reach outside the directory: `..`
 * and absolute names, a parent that is a symlink, and hardlinks to names
 * outside are errors that name the entry.  Modes, owners (when root),
 * xattrs (except overlay's own), hardlinks, sparse files, device nodes
 * (root only) and PAX/GNU long names are kept.  */
#ifndef IMAGE_LAYER_H
#define IMAGE_LAYER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "error.h"

enum image_layer_mode
{
  /* Into an empty directory that becomes an overlay lowerdir: `.wh.NAME`
     becomes a 0/0 character device, `.wh..wh..opq` the opaque xattr.  */
  IMAGE_LAYER_OVERLAY,
  /* On top of the layers below in one plain directory: `.wh.NAME` removes
     NAME, `.wh..wh..opq` empties its directory of what lower layers put
     there.  */
  IMAGE_LAYER_APPLY,
  /* A user's archive (build's ADD): `.wh.` names are plain files, and
     the symlinks of the directory extracted into are followed with that
     directory as the root (never out of it).  */
  IMAGE_LAYER_PLAIN,
};

/* Extracts the layer read from BLOB_FD into DIRFD.  When DIFF_ID is not
   NULL the digest of the uncompressed tar must match it.  NAME (the blob's
   digest) prefixes errors.  */
int image_layer_extract (int blob_fd, int dirfd, enum image_layer_mode mode, const char *diff_id,
                         const char *name, skiff_error_t *err);
/* The same, and the digest (diff id) and size of the uncompressed tar in
   GOT and *SIZE.  */
int image_layer_extract_info (int blob_fd, int dirfd, enum image_layer_mode mode, const char *diff_id,
                              const char *name, char got[IMAGE_DIGEST_LEN], int64_t *size, skiff_error_t *err);

/* The same without a diff id; when CHOWN, every entry is owned by
   UID:GID instead of the archive's owners.  */
int image_layer_extract_as (int blob_fd, int dirfd, enum image_layer_mode mode, bool chown, uid_t uid,
                            gid_t gid, const char *name, skiff_error_t *err);

/* The chain id of a layer whose parent has chain id PARENT (NULL for the
   first layer): sha256 of "PARENT DIFF_ID", or DIFF_ID itself.  */
void image_chain_id (const char *parent, const char *diff_id, char out[IMAGE_DIGEST_LEN]);

/* rm -rf NAME in DIRFD, never following symlinks; a missing NAME is not an
   error.  */
int image_remove_at (int dirfd, const char *name, skiff_error_t *err);

#endif
