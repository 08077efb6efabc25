/* skiff-image: images of the store, garbage collection of blobs.  */
#include <config.h>
#include "image.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "containers.h"
#include "layerinfo.h"
#include "store_internal.h"
#include "utils.h"

bool
image_media_type_is_index (const char *media_type)
{
  return media_type
         && (strcmp (media_type, IMAGE_MT_OCI_INDEX) == 0 || strcmp (media_type, IMAGE_MT_DOCKER_LIST) == 0);
}

void
image_info_clear (struct image_info *info)
{
  image_desc_clear (&info->desc);
  if (info->manifest)
    oci_image_manifest_free (info->manifest);
  if (info->config)
    oci_image_config_free (info->config);
  free (info->config_json);
  memset (info, 0, sizeof *info);
}

int
image_info_load (struct image_store *s, const struct image_desc *d, struct image_info *out, skiff_error_t *err)
{
  cleanup_free char *data = NULL;
  char *perr = NULL;
  size_t len = 0;

  memset (out, 0, sizeof *out);
  out->desc.manifest_digest = xstrdup (d->manifest_digest);
  out->desc.media_type = xstrdup (d->media_type ? d->media_type : IMAGE_MT_OCI_MANIFEST);
  out->desc.size = d->size;
  out->desc.config_digest = d->config_digest ? xstrdup (d->config_digest) : NULL;
  out->desc.ref_name = d->ref_name ? xstrdup (d->ref_name) : NULL;

  if (image_store_read_blob (s, d->manifest_digest, &data, &len, err) < 0)
    goto fail;
  out->manifest = oci_image_manifest_parse_data (data, len, "manifest", &perr);
  if (out->manifest == NULL)
    {
      skiff_error_plain (err, EINVAL, "manifest %s: %s", d->manifest_digest, perr ? perr : "invalid");
      goto fail;
    }
  if (image_store_read_blob (s, out->manifest->config->digest, &out->config_json, &out->config_len, err) < 0)
    goto fail;
  out->config = oci_image_config_parse_data (out->config_json, out->config_len, "config", &perr);
  if (out->config == NULL)
    {
      skiff_error_plain (err, EINVAL, "config %s: %s", out->manifest->config->digest, perr ? perr : "invalid");
      goto fail;
    }
  if (out->desc.config_digest == NULL)
    out->desc.config_digest = xstrdup (out->manifest->config->digest);
  return 0;

fail:
  free (perr);
  image_info_clear (out);
  return -1;
}

int
image_info_size (struct image_store *s, const struct image_info *info, int64_t *size, skiff_error_t *err)
{
  int64_t total = 0;
  for (size_t i = 0; i < info->manifest->layers_len; i++)
    {
      char diff_id[IMAGE_DIGEST_LEN];
      int64_t n;
      if (image_store_layer_info (s, info->manifest->layers[i]->digest, diff_id, &n, err) < 0)
        return -1;
      total += n;
    }
  *size = total;
  return 0;
}

time_t
image_info_created (const struct image_info *info)
{
  struct tm tm = { 0 };
  const char *c = info->config->created;
  if (c == NULL || strptime (c, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    return 0;
  return timegm (&tm);
}

/* --- references and garbage collection ------------------------------------ */

struct digest_set
{
  char **v;
  size_t n, cap;
};

static void
set_add (struct digest_set *set, const char *digest)
{
  if (!image_digest_valid (digest))
    return;
  if (set->n + 1 >= set->cap)
    {
      set->cap = set->cap ? set->cap * 2 : 64;
      set->v = xrealloc (set->v, set->cap * sizeof *set->v);
    }
  set->v[set->n++] = xstrdup (digest);
  set->v[set->n] = NULL;
}

static void
add_manifest_refs (struct image_store *s, const char *digest, const char *media_type, struct digest_set *set,
                   int depth)
{
  cleanup_free char *data = NULL;
  cleanup_error skiff_error_t ignored = NULL;
  char *perr = NULL;
  size_t len;

  set_add (set, digest);
  if (depth > 4 || image_store_read_blob (s, digest, &data, &len, &ignored) < 0)
    return;
  if (image_media_type_is_index (media_type))
    {
      oci_image_index *idx = oci_image_index_parse_data (data, len, "index", &perr);
      for (size_t i = 0; idx && i < idx->manifests_len; i++)
        add_manifest_refs (s, idx->manifests[i]->digest, idx->manifests[i]->media_type, set, depth + 1);
      if (idx)
        oci_image_index_free (idx);
    }
  else
    {
      oci_image_manifest *m = oci_image_manifest_parse_data (data, len, "manifest", &perr);
      if (m)
        {
          set_add (set, m->config->digest);
          for (size_t i = 0; i < m->layers_len; i++)
            set_add (set, m->layers[i]->digest);
          oci_image_manifest_free (m);
        }
    }
  free (perr);
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

int
image_store_referenced (struct image_store *s, const oci_image_index *idx, char ***digests, size_t *n,
                        skiff_error_t *err)
{
  struct digest_set set = { 0 };
  for (size_t i = 0; i < idx->manifests_len; i++)
    add_manifest_refs (s, idx->manifests[i]->digest, idx->manifests[i]->media_type, &set, 0);
  if (set.v == NULL)
    set.v = xmalloc0 (sizeof *set.v);
  qsort (set.v, set.n, sizeof *set.v, cmp_str);
  *digests = set.v;
  *n = set.n;
  return 0;
}

bool
image_digest_in (char *const *sorted, size_t n, const char *digest)
{
  return n && bsearch (&digest, sorted, n, sizeof *sorted, cmp_str) != NULL;
}

/* Removes the entries of DIRFD that KEEP does not want and that are older
   than GRACE.  */
static int
sweep (int dirfd, const char *what, time_t grace, bool (*keep) (const char *name, void *data), void *data,
       size_t *removed, int64_t *freed, skiff_error_t *err)
{
  cleanup_dir DIR *dir = NULL;
  struct dirent *de;
  time_t now = time (NULL);
  int fd = dup (dirfd);

  if (fd < 0 || (dir = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return skiff_error_sys (err, "open `%s`", what);
    }
  rewinddir (dir);
  while ((errno = 0, de = readdir (dir)) != NULL)
    {
      struct stat st;
      if (de->d_name[0] == '.' && (de->d_name[1] == '\0' || (de->d_name[1] == '.' && de->d_name[2] == '\0')))
        continue;
      if (keep && keep (de->d_name, data))
        continue;
      if (fstatat (dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISREG (st.st_mode))
        continue;
      if (now - st.st_mtime < grace)
        continue;
      if (unlinkat (dirfd, de->d_name, 0) < 0)
        {
          if (errno == ENOENT)
            continue;
          return skiff_error_sys (err, "remove `%s/%s`", what, de->d_name);
        }
      (*removed)++;
      *freed += st.st_size;
    }
  if (errno)
    return skiff_error_sys (err, "read `%s`", what);
  return 0;
}

struct referenced
{
  char **v;
  size_t n;
};

static bool
keep_referenced (const char *name, void *data)
{
  struct referenced *r = data;
  char digest[300];
  snprintf (digest, sizeof digest, "sha256:%s", name);
  return !image_digest_valid (digest) || image_digest_in (r->v, r->n, digest);
}

/* Layer info is kept as long as its blob is.  */
static bool
keep_blob_exists (const char *name, void *data)
{
  struct image_store *s = data;
  char digest[300];
  snprintf (digest, sizeof digest, "sha256:%s", name);
  return image_store_has_blob (s, digest);
}

int
image_store_gc (struct image_store *s, time_t grace, size_t *removed, int64_t *freed, skiff_error_t *err)
{
  oci_image_index *idx = NULL;
  struct referenced r = { 0 };
  size_t dummy_n = 0;
  int64_t dummy_bytes = 0;
  int ret;

  if (image_store_load_index (s, &idx, err) < 0)
    return -1;
  ret = image_store_referenced (s, idx, &r.v, &r.n, err);
  oci_image_index_free (idx);
  if (ret < 0)
    return -1;
  ret = sweep (s->blobs_fd, "blobs/sha256", grace, keep_referenced, &r, removed, freed, err);
  if (ret == 0)
    ret = sweep (s->layerinfo_fd, "layerinfo", 0, keep_blob_exists, s, &dummy_n, &dummy_bytes, err);
  if (ret == 0)
    ret = sweep (s->tmp_fd, "tmp", grace, NULL, NULL, &dummy_n, &dummy_bytes, err);
  strv_free (r.v);
  return ret;
}

int
image_store_containers_using (struct image_store *s, const char *image_id, char ***names, skiff_error_t *err)
{
  return image_containers_using (s, image_id, names, err);
}

int
image_store_drop_unreferenced (struct image_store *s, char *const *digests, skiff_error_t *err)
{
  oci_image_index *idx = NULL;
  cleanup_strv char **kept = NULL;
  size_t nkept = 0;

  if (image_store_load_index (s, &idx, err) < 0)
    return -1;
  image_store_referenced (s, idx, &kept, &nkept, err);
  oci_image_index_free (idx);
  for (size_t i = 0; digests && digests[i]; i++)
    if (image_digest_valid (digests[i]) && !image_digest_in (kept, nkept, digests[i]))
      {
        unlinkat (s->blobs_fd, digests[i] + 7, 0);
        unlinkat (s->layerinfo_fd, digests[i] + 7, 0);
      }
  return 0;
}
