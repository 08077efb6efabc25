/* skiff-image: checking the store (see fsck.h).  */
#include <config.h>
#include "fsck.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"
#include "layerinfo.h"
#include "store_internal.h"
#include "utils.h"

static int
digest_fd (int fd, char out[IMAGE_DIGEST_LEN])
{
  cleanup_digester struct image_digester *d = image_digester_new ();
  cleanup_free char *buf = xmalloc (256 * 1024);
  for (;;)
    {
      ssize_t n = read (fd, buf, 256 * 1024);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      if (n == 0)
        break;
      image_digester_update (d, buf, n);
    }
  image_digester_final (d, out);
  return 0;
}

/* Every file of blobs/sha256 has the digest it is named by.  Adds the
   corrupt ones to *BAD.  */
static int
check_blobs (struct image_store *s, FILE *out, size_t *problems, char ***bad, skiff_error_t *err)
{
  cleanup_dir DIR *dir = NULL;
  struct dirent *de;
  size_t nbad = 0;
  int fd = dup (s->blobs_fd);

  if (fd < 0 || (dir = fdopendir (fd)) == NULL)
    {
      if (fd >= 0)
        close (fd);
      return skiff_error_sys (err, "open `blobs/sha256`");
    }
  *bad = xmalloc0 (sizeof **bad);
  while ((errno = 0, de = readdir (dir)) != NULL)
    {
      char name[300], actual[IMAGE_DIGEST_LEN];
      cleanup_close int bfd = -1;
      if (de->d_name[0] == '.')
        continue;
      snprintf (name, sizeof name, "sha256:%s", de->d_name);
      if (!image_digest_valid (name))
        {
          fprintf (out, "stray file blobs/sha256/%s\n", de->d_name);
          (*problems)++;
          continue;
        }
      bfd = openat (s->blobs_fd, de->d_name, O_RDONLY | O_CLOEXEC);
      if (bfd < 0 || digest_fd (bfd, actual) < 0)
        {
          fprintf (out, "unreadable blob %s: %s\n", name, strerror (errno));
          (*problems)++;
        }
      else if (strcmp (actual, name) != 0)
        fprintf (out, "corrupt blob %s: content has digest %s\n", name, actual), (*problems)++;
      else
        continue;
      *bad = xrealloc (*bad, (nbad + 2) * sizeof **bad);
      (*bad)[nbad++] = xstrdup (name);
      (*bad)[nbad] = NULL;
    }
  if (errno)
    return skiff_error_sys (err, "read `blobs/sha256`");
  return 0;
}

static bool
in_list (char **v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

/* DESC exists in the store with its size: else one problem line.  */
static bool
check_desc (struct image_store *s, const char *what, const oci_image_descriptor *desc, const char *image,
            FILE *out, size_t *problems)
{
  struct stat st;
  if (!image_digest_valid (desc->digest))
    fprintf (out, "invalid digest `%s` of the %s of %s\n", desc->digest, what, image);
  else if (fstatat (s->blobs_fd, desc->digest + 7, &st, 0) < 0)
    fprintf (out, "missing blob %s (%s of %s)\n", desc->digest, what, image);
  else if (st.st_size != desc->size)
    fprintf (out, "blob %s (%s of %s): size %lld, its descriptor says %lld\n", desc->digest, what, image,
             (long long) st.st_size, (long long) desc->size);
  else
    return true;
  (*problems)++;
  return false;
}

static void
check_image (struct image_store *s, const oci_image_descriptor *entry, char **bad, FILE *out, size_t *problems)
{
  const char *ref = image_index_ref_name (entry);
  cleanup_free char *image = xstrdup (ref ? ref : entry->digest);
  struct image_desc d = { .manifest_digest = entry->digest, .media_type = entry->media_type };
  struct image_info info = { 0 };
  cleanup_error skiff_error_t e = NULL;
  oci_image_manifest *m;

  if (!check_desc (s, "manifest", entry, image, out, problems) || in_list (bad, entry->digest))
    return;
  if (image_media_type_is_index (entry->media_type))
    return; /* an index names manifests of other platforms: not all are pulled */
  if (image_info_load (s, &d, &info, &e) < 0)
    {
      /* Say which blob is missing, or that a document does not parse.  */
      cleanup_free char *data = NULL;
      size_t len;
      char *perr = NULL;
      cleanup_error skiff_error_t e2 = NULL;
      if (image_store_read_blob (s, entry->digest, &data, &len, &e2) == 0
          && (m = oci_image_manifest_parse_data (data, len, "manifest", &perr)) != NULL)
        {
          if (check_desc (s, "config", m->config, image, out, problems) && !in_list (bad, m->config->digest))
            fprintf (out, "image %s: %s\n", image, e->msg), (*problems)++;
          for (size_t i = 0; i < m->layers_len; i++)
            check_desc (s, "layer", m->layers[i], image, out, problems);
          oci_image_manifest_free (m);
        }
      else
        fprintf (out, "image %s: %s\n", image, perr ? perr : e->msg), (*problems)++;
      free (perr);
      return;
    }

  check_desc (s, "config", info.manifest->config, image, out, problems);
  if (info.config->rootfs->diff_ids_len != info.manifest->layers_len)
    fprintf (out, "image %s: %zu layers, its config lists %zu diff ids\n", image, info.manifest->layers_len,
             info.config->rootfs->diff_ids_len),
        (*problems)++;
  for (size_t i = 0; i < info.manifest->layers_len; i++)
    {
      const oci_image_descriptor *l = info.manifest->layers[i];
      char diff_id[IMAGE_DIGEST_LEN];
      int64_t size;
      cleanup_error skiff_error_t le = NULL;
      if (!check_desc (s, "layer", l, image, out, problems) || in_list (bad, l->digest))
        continue;
      if (image_store_layer_info (s, l->digest, diff_id, &size, &le) < 0)
        fprintf (out, "layer %s of %s: %s\n", l->digest, image, le->msg), (*problems)++;
      else if (i < info.config->rootfs->diff_ids_len && strcmp (diff_id, info.config->rootfs->diff_ids[i]) != 0)
        fprintf (out, "layer %s of %s: diff id %s, its config says %s\n", l->digest, image, diff_id,
                 info.config->rootfs->diff_ids[i]),
            (*problems)++;
    }
  image_info_clear (&info);
}

int
image_store_fsck (struct image_store *s, FILE *out, size_t *problems, skiff_error_t *err)
{
  cleanup_strv char **bad = NULL;
  oci_image_index *idx = NULL;

  *problems = 0;
  if (check_blobs (s, out, problems, &bad, err) < 0 || image_store_load_index (s, &idx, err) < 0)
    return -1;
  for (size_t i = 0; i < idx->manifests_len; i++)
    check_image (s, idx->manifests[i], bad, out, problems);
  oci_image_index_free (idx);
  return 0;
}
