/* skiff-image: the image's layers on disk (see layer_store.h).  */
#include <config.h>
#include "layer_store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "containers.h"
#include "layer.h"
#include "layerinfo.h"
#include "utils.h"

/* A manifest's layers and the config's diff ids must pair up.  */
static int
check_layers (const struct image_info *info, skiff_error_t *err)
{
  const oci_image_rootfs *rootfs = info->config->rootfs;
  size_t n = rootfs ? rootfs->diff_ids_len : 0;
  if (n != info->manifest->layers_len)
    return skiff_error_plain (err, EINVAL, "image %s: %zu layers but %zu diff ids in its config",
                              info->desc.config_digest, info->manifest->layers_len, n);
  for (size_t i = 0; i < n; i++)
    if (!image_digest_valid (rootfs->diff_ids[i]) || !image_digest_valid (info->manifest->layers[i]->digest))
      return skiff_error_plain (err, EINVAL, "image %s: layer %zu: invalid digest", info->desc.config_digest, i);
  return 0;
}

static int
extract_blob (struct image_store *s, const oci_image_descriptor *layer, const char *diff_id, int dirfd,
              enum image_layer_mode mode, skiff_error_t *err)
{
  cleanup_close int blob = -1;
  cleanup_error skiff_error_t ignored = NULL;
  char got[IMAGE_DIGEST_LEN];
  int64_t size;
  if (image_store_open_blob (s, layer->digest, &blob, err) < 0
      || image_layer_extract_info (blob, dirfd, mode, diff_id, layer->digest, got, &size, err) < 0)
    return -1;
  /* What the extraction learnt spares `images` and `ps -s` decompressing
     the layer again; a cache, so a failure to write it is no error.  */
  image_store_record_layer (s, layer->digest, got, size, &ignored);
  return 0;
}

/* Extracts LAYER into LAYERS_FD/HEX unless it is there.  */
static int
prepare_one (struct image_store *s, int layers_fd, const oci_image_descriptor *layer, const char *diff_id,
             const char *hex, skiff_error_t *err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int fd = -1;
  struct stat st;
  char name[] = "tmp-XXXXXX";
  int ret;

  if (fstatat (layers_fd, hex, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR (st.st_mode))
    return 0;
  tmp = xasprintf ("%s/layers/%s", image_store_root (s), name);
  if (mkdtemp (tmp) == NULL)
    return skiff_error_sys (err, "mkdtemp `%s`", tmp);
  snprintf (name, sizeof name, "%s", strrchr (tmp, '/') + 1);
  fd = openat (layers_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  /* The lowest layer's root is the container's "/".  */
  if (fd < 0 || fchmod (fd, 0755) < 0)
    ret = skiff_error_sys (err, "open `%s`", tmp);
  else
    ret = extract_blob (s, layer, diff_id, fd, IMAGE_LAYER_OVERLAY, err);
  if (ret == 0 && renameat (layers_fd, name, layers_fd, hex) == 0)
    return 0;
  /* EEXIST, ENOTEMPTY: someone else extracted it meanwhile; theirs is as
     good.  */
  if (ret == 0 && errno != EEXIST && errno != ENOTEMPTY)
    ret = skiff_error_sys (err, "rename `%s` to `%s`", tmp, hex);
  image_remove_at (layers_fd, name, NULL);
  return ret;
}

int
image_layers_prepare (struct image_store *s, const struct image_info *info, char ***dirs, skiff_error_t *err)
{
  cleanup_free char *layers = xasprintf ("%s/layers", image_store_root (s));
  cleanup_strv char **out = NULL;
  cleanup_close int layers_fd = -1;
  char chain[IMAGE_DIGEST_LEN] = "";
  size_t n;

  if (check_layers (info, err) < 0)
    return -1;
  if (mkdir (layers, 0700) < 0 && errno != EEXIST)
    return skiff_error_sys (err, "mkdir `%s`", layers);
  layers_fd = open (layers, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (layers_fd < 0)
    return skiff_error_sys (err, "open `%s`", layers);
  n = info->manifest->layers_len;
  out = xmalloc0 ((n + 1) * sizeof *out);
  for (size_t i = 0; i < n; i++)
    {
      const char *diff_id = info->config->rootfs->diff_ids[i];
      image_chain_id (i ? chain : NULL, diff_id, chain);
      if (prepare_one (s, layers_fd, info->manifest->layers[i], diff_id, chain + 7, err) < 0)
        return -1;
      out[i] = xasprintf ("%s/%s", layers, chain + 7);
    }
  *dirs = steal_pointer (&out);
  return 0;
}

int
image_layers_apply (struct image_store *s, const struct image_info *info, int rootfd, skiff_error_t *err)
{
  if (check_layers (info, err) < 0)
    return -1;
  for (size_t i = 0; i < info->manifest->layers_len; i++)
    if (extract_blob (s, info->manifest->layers[i], info->config->rootfs->diff_ids[i], rootfd, IMAGE_LAYER_APPLY,
                      err)
        < 0)
      return -1;
  return 0;
}

static void
keep_add (char ***keep, size_t *n, const char *hex)
{
  *keep = xrealloc (*keep, (*n + 2) * sizeof **keep);
  (*keep)[(*n)++] = xstrdup (hex);
  (*keep)[*n] = NULL;
}

static bool
kept (char *const *keep, const char *name)
{
  for (size_t i = 0; keep && keep[i]; i++)
    if (strcmp (keep[i], name) == 0)
      return true;
  return false;
}

int
image_layers_gc (struct image_store *s, time_t grace, skiff_error_t *err)
{
  cleanup_free char *layers = xasprintf ("%s/layers", image_store_root (s));
  cleanup_strv char **keep = xmalloc0 (sizeof *keep);
  cleanup_dir DIR *d = NULL;
  struct image_container **cs = NULL;
  struct image_desc *descs = NULL;
  struct dirent *de;
  size_t n = 0, nkeep = 0;
  time_t now = time (NULL);

  /* The chain ids of every image; an image that does not load keeps
     nothing, and its layers go only if nothing else has them.  */
  if (image_store_list (s, &descs, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      cleanup_image_info struct image_info info = { 0 };
      char chain[IMAGE_DIGEST_LEN] = "";
      if (image_info_load (s, &descs[i], &info, NULL) < 0 || check_layers (&info, NULL) < 0)
        continue;
      for (size_t j = 0; j < info.manifest->layers_len; j++)
        {
          image_chain_id (j ? chain : NULL, info.config->rootfs->diff_ids[j], chain);
          keep_add (&keep, &nkeep, chain + 7);
        }
    }
  image_desc_list_free (descs, n);
  /* A container keeps its layers even when its image is gone (rmi -f).  */
  if (image_container_list (s, &cs, err) < 0)
    return -1;
  for (size_t i = 0; cs[i]; i++)
    for (size_t j = 0; cs[i]->lowers && cs[i]->lowers[j]; j++)
      keep_add (&keep, &nkeep, strrchr (cs[i]->lowers[j], '/') + 1);
  image_container_list_free (cs);

  d = opendir (layers);
  if (d == NULL)
    return errno == ENOENT ? 0 : skiff_error_sys (err, "open `%s`", layers);
  while ((de = readdir (d)) != NULL)
    {
      struct stat st;
      if (de->d_name[0] == '.' || kept (keep, de->d_name) || image_build_tmp_live (de->d_name))
        continue;
      if (strncmp (de->d_name, "tmp-", 4) == 0
          && (fstatat (dirfd (d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || now - st.st_mtime < grace))
        continue;
      if (image_remove_at (dirfd (d), de->d_name, err) < 0)
        return skiff_error_wrap (err, "`%s`", layers);
    }
  return 0;
}
