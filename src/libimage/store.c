/* skiff-image: the image store (see store.h for the layout and its rules). */
#include <config.h>
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>

#include "image.h"
#include "ocispec/image.h"
#include "ref.h"
#include "store_internal.h"
#include "utils.h"

static const char oci_layout_json[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
static const char empty_index_json[] = "{\"schemaVersion\":2,\"manifests\":[]}";

struct image_blob_writer
{
  struct image_store *store;
  int fd;
  char *tmp_name; /* in ROOT/tmp */
  struct image_digester *digester;
  int64_t size;
  int64_t flushing; /* bytes whose writeback was started */
};

static int
open_dir (int dirfd, const char *name, int *out, skiff_error_t *err)
{
  if (mkdirat (dirfd, name, 0755) < 0 && errno != EEXIST)
    return skiff_error_sys (err, "mkdir `%s`", name);
  *out = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (*out < 0)
    return skiff_error_sys (err, "open `%s`", name);
  return 0;
}

void
image_store_close (struct image_store *s)
{
  if (s == NULL)
    return;
  close_fd (&s->root_fd);
  close_fd (&s->layout_fd);
  close_fd (&s->blobs_fd);
  close_fd (&s->tmp_fd);
  close_fd (&s->layerinfo_fd);
  free (s->root);
  free (s);
}

void
image_store_closep (struct image_store **s)
{
  image_store_close (*s);
  *s = NULL;
}

int
image_store_open (const char *root, struct image_store **out, skiff_error_t *err)
{
  cleanup_store struct image_store *s = xmalloc0 (sizeof *s);
  cleanup_close int blobs = -1;
  struct stat st;

  s->root_fd = s->layout_fd = s->blobs_fd = s->tmp_fd = s->layerinfo_fd = -1;
  if (root == NULL || *root == '\0')
    return skiff_error_plain (err, EINVAL, "store: the root directory is an empty path");
  s->root = xstrdup (root);
  if (mkdir_p (root, 0700, err) < 0)
    return skiff_error_wrap (err, "store `%s`", root);
  s->root_fd = open (root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (s->root_fd < 0)
    return skiff_error_sys (err, "store `%s`: open", root);
  if (open_dir (s->root_fd, "oci", &s->layout_fd, err) < 0
      || open_dir (s->layout_fd, "blobs", &blobs, err) < 0
      || open_dir (blobs, "sha256", &s->blobs_fd, err) < 0
      || open_dir (s->root_fd, "tmp", &s->tmp_fd, err) < 0
      || open_dir (s->root_fd, "layerinfo", &s->layerinfo_fd, err) < 0)
    return skiff_error_wrap (err, "store `%s`", root);

  /* Both files are created once, under the lock, so that a concurrent
     open never sees a half-initialised layout.  */
  if (fstatat (s->layout_fd, "index.json", &st, 0) < 0 || fstatat (s->layout_fd, "oci-layout", &st, 0) < 0)
    {
      cleanup_close int lock = -1;
      if (image_store_lock (s, &lock, err) < 0)
        return -1;
      if (fstatat (s->layout_fd, "oci-layout", &st, 0) < 0
          && write_file_atomic_at (s->layout_fd, "oci-layout", oci_layout_json, strlen (oci_layout_json),
                                   0644, err) < 0)
        return skiff_error_wrap (err, "store `%s`", root);
      if (fstatat (s->layout_fd, "index.json", &st, 0) < 0
          && write_file_atomic_at (s->layout_fd, "index.json", empty_index_json, strlen (empty_index_json),
                                   0644, err) < 0)
        return skiff_error_wrap (err, "store `%s`", root);
    }
  *out = steal_pointer (&s);
  return 0;
}

int
image_store_lock (struct image_store *s, int *fd, skiff_error_t *err)
{
  cleanup_close int lock = openat (s->root_fd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0)
    return skiff_error_sys (err, "store `%s`: open `lock`", s->root);
  while (flock (lock, LOCK_EX) < 0)
    if (errno != EINTR)
      return skiff_error_sys (err, "store `%s`: flock `lock`", s->root);
  *fd = steal_fd (&lock);
  return 0;
}

const char *
image_store_root (struct image_store *s)
{
  return s->root;
}

/* --- blobs --------------------------------------------------------------- */

bool
image_store_has_blob (struct image_store *s, const char *digest)
{
  struct stat st;
  if (!image_digest_valid (digest))
    return false;
  return fstatat (s->blobs_fd, digest + 7, &st, 0) == 0 && S_ISREG (st.st_mode);
}

int
image_store_blob_begin (struct image_store *s, struct image_blob_writer **w, skiff_error_t *err)
{
  struct image_blob_writer *bw;
  cleanup_free char *path = xasprintf ("%s/tmp/blob-XXXXXX", s->root);
  int fd = mkostemp (path, O_CLOEXEC);
  if (fd < 0)
    return skiff_error_sys (err, "store `%s`: create a temporary blob", s->root);
  bw = xmalloc0 (sizeof *bw);
  bw->store = s;
  bw->fd = fd;
  bw->tmp_name = xstrdup (strrchr (path, '/') + 1);
  bw->digester = image_digester_new ();
  *w = bw;
  return 0;
}

int
image_blob_write (struct image_blob_writer *w, const void *buf, size_t len, skiff_error_t *err)
{
  if (write_all (w->fd, buf, len) < 0)
    return skiff_error_sys (err, "write `%s/tmp/%s`", w->store->root, w->tmp_name);
  image_digester_update (w->digester, buf, len);
  w->size += len;
  /* Writeback starts while the blob is written, so that the fsync before
     its rename waits for the last few MiB only (a hint: fsync reports).  */
  if (w->size - w->flushing >= 8 * 1024 * 1024)
    {
      sync_file_range (w->fd, w->flushing, w->size - w->flushing, SYNC_FILE_RANGE_WRITE);
      w->flushing = w->size;
    }
  return 0;
}

static void
blob_writer_free (struct image_blob_writer *w, bool unlink_tmp)
{
  if (unlink_tmp)
    unlinkat (w->store->tmp_fd, w->tmp_name, 0);
  close_fd (&w->fd);
  image_digester_free (w->digester);
  free (w->tmp_name);
  free (w);
}

void
image_blob_abort (struct image_blob_writer *w)
{
  if (w)
    blob_writer_free (w, true);
}

int
image_blob_commit (struct image_blob_writer *w, const char *expected_digest, int64_t expected_size,
                   char digest_out[IMAGE_DIGEST_LEN], skiff_error_t *err)
{
  return image_blob_commit_created (w, expected_digest, expected_size, digest_out, NULL, err);
}

int
image_blob_commit_created (struct image_blob_writer *w, const char *expected_digest, int64_t expected_size,
                           char digest_out[IMAGE_DIGEST_LEN], bool *created, skiff_error_t *err)
{
  char digest[IMAGE_DIGEST_LEN];
  struct image_store *s = w->store;
  int ret;

  image_digester_final (w->digester, digest);
  if (created)
    *created = false;
  if (expected_size >= 0 && w->size != expected_size)
    ret = skiff_error_plain (err, EIO, "blob %s: size %lld, expected %lld", expected_digest ? expected_digest : digest,
                             (long long) w->size, (long long) expected_size);
  else if (expected_digest && strcmp (digest, expected_digest) != 0)
    ret = skiff_error_plain (err, EIO, "blob %s: content has digest %s", expected_digest, digest);
  else if (fchmod (w->fd, 0644) < 0 || fsync (w->fd) < 0)
    ret = skiff_error_sys (err, "blob %s: fsync", digest);
  else if (image_store_has_blob (s, digest))
    ret = 0; /* written by someone else meanwhile: same content */
  else if (renameat (s->tmp_fd, w->tmp_name, s->blobs_fd, digest + 7) < 0)
    ret = skiff_error_sys (err, "blob %s: rename into the store", digest);
  else
    {
      fsync (s->blobs_fd);
      if (created)
        *created = true;
      if (digest_out)
        memcpy (digest_out, digest, IMAGE_DIGEST_LEN);
      blob_writer_free (w, false);
      return 0;
    }
  if (ret == 0 && digest_out)
    memcpy (digest_out, digest, IMAGE_DIGEST_LEN);
  blob_writer_free (w, true);
  return ret;
}

int
image_store_put_blob (struct image_store *s, const void *data, size_t len, const char *expected_digest,
                      char digest_out[IMAGE_DIGEST_LEN], skiff_error_t *err)
{
  struct image_blob_writer *w = NULL;

  if (expected_digest && !image_digest_valid (expected_digest))
    return skiff_error_plain (err, EINVAL, "invalid digest `%s`", expected_digest);
  if (image_store_blob_begin (s, &w, err) < 0)
    return -1;
  if (image_blob_write (w, data, len, err) < 0)
    {
      image_blob_abort (w);
      return -1;
    }
  return image_blob_commit (w, expected_digest, (int64_t) len, digest_out, err);
}

int
image_store_open_blob (struct image_store *s, const char *digest, int *fd, skiff_error_t *err)
{
  if (!image_digest_valid (digest))
    return skiff_error_plain (err, EINVAL, "invalid digest `%s`", digest ? digest : "");
  *fd = openat (s->blobs_fd, digest + 7, O_RDONLY | O_CLOEXEC);
  if (*fd < 0)
    return skiff_error_sys (err, "blob %s", digest);
  return 0;
}

int
image_store_read_blob (struct image_store *s, const char *digest, char **data, size_t *len, skiff_error_t *err)
{
  if (!image_digest_valid (digest))
    return skiff_error_plain (err, EINVAL, "invalid digest `%s`", digest ? digest : "");
  if (read_file_at (s->blobs_fd, digest + 7, data, len, err) < 0)
    return skiff_error_wrap (err, "blob %s", digest);
  return 0;
}

/* --- index.json ------------------------------------------------------------ */

int
image_store_load_index (struct image_store *s, oci_image_index **out, skiff_error_t *err)
{
  cleanup_free char *data = NULL;
  char *perr = NULL;
  size_t len = 0;

  if (read_file_at (s->layout_fd, "index.json", &data, &len, err) < 0)
    return skiff_error_wrap (err, "store `%s`", s->root);
  *out = oci_image_index_parse_data (data, len, "index.json", &perr);
  if (*out == NULL)
    {
      skiff_error_plain (err, EINVAL, "store `%s`: %s", s->root, perr ? perr : "index.json: invalid");
      free (perr);
      return -1;
    }
  return 0;
}

int
image_store_save_index (struct image_store *s, const oci_image_index *idx, skiff_error_t *err)
{
  char *perr = NULL;
  cleanup_free char *json = oci_image_index_generate_json (idx, &perr);
  if (json == NULL)
    {
      skiff_error_plain (err, EINVAL, "store `%s`: index.json: %s", s->root, perr ? perr : "cannot generate");
      free (perr);
      return -1;
    }
  if (write_file_durable_at (s->layout_fd, "index.json", json, strlen (json), 0644, err) < 0)
    return skiff_error_wrap (err, "store `%s`", s->root);
  return 0;
}

const char *
image_index_ref_name (const oci_image_descriptor *d)
{
  return d->annotations ? oci_string_map_get (d->annotations, IMAGE_REF_NAME_ANNOTATION) : NULL;
}

/* Drop the ref.name annotation of D (other annotations stay).  */
static void
descriptor_untag (oci_image_descriptor *d)
{
  oci_string_map *m = d->annotations, *kept;
  if (m == NULL)
    return;
  kept = oci_string_map_new ();
  for (size_t i = 0; i < m->len; i++)
    if (strcmp (m->keys[i], IMAGE_REF_NAME_ANNOTATION) != 0)
      oci_string_map_set (kept, m->keys[i], m->values[i]);
  oci_string_map_free (m);
  d->annotations = kept->len ? kept : NULL;
  if (kept->len == 0)
    oci_string_map_free (kept);
}

void
image_index_remove_at (oci_image_index *idx, size_t i)
{
  oci_image_descriptor_free (idx->manifests[i]);
  memmove (&idx->manifests[i], &idx->manifests[i + 1], (idx->manifests_len - i - 1) * sizeof *idx->manifests);
  idx->manifests_len--;
}

static size_t
index_count_digest (const oci_image_index *idx, const char *digest)
{
  size_t n = 0;
  for (size_t i = 0; i < idx->manifests_len; i++)
    n += strcmp (idx->manifests[i]->digest, digest) == 0;
  return n;
}

void
image_index_untag (oci_image_index *idx, const char *ref_name)
{
  for (size_t i = 0; i < idx->manifests_len; i++)
    {
      oci_image_descriptor *d = idx->manifests[i];
      const char *name = image_index_ref_name (d);
      if (name == NULL || strcmp (name, ref_name) != 0)
        continue;
      /* Another entry still names this manifest: the entry goes; otherwise
         it stays, dangling (<none>).  */
      if (index_count_digest (idx, d->digest) > 1)
        image_index_remove_at (idx, i--);
      else
        descriptor_untag (d);
    }
}

/* Called under the lock: every blob the manifest MANIFEST_DIGEST names is
   here.  A pull does not fetch a blob the store has, and rmi or prune may
   remove that blob, with the image that held it, before the pull's tag:
   the index must never name a missing blob.  ESTALE tells the caller
   that fetching again completes the image.  */
static int
check_blobs_present (struct image_store *s, const char *ref_name, const char *manifest_digest,
                     const char *media_type, skiff_error_t *err)
{
  oci_image_descriptor d = { .media_type = (char *) media_type, .digest = (char *) manifest_digest };
  oci_image_descriptor *dp = &d;
  oci_image_index one = { .schema_version = 2, .manifests = &dp, .manifests_len = 1 };
  cleanup_strv char **refs = NULL;
  size_t n = 0;

  /* An index may name manifests of other platforms, never fetched.  */
  if (image_media_type_is_index (media_type))
    return image_store_has_blob (s, manifest_digest) ? 0
           : skiff_error_plain (err, ESTALE, "tag %s: index %s is not in the store (removed meanwhile)",
                                ref_name ? ref_name : "<none>", manifest_digest);
  if (image_store_referenced (s, &one, &refs, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    if (!image_store_has_blob (s, refs[i]))
      return skiff_error_plain (err, ESTALE, "tag %s: blob %s of manifest %s is not in the store (removed meanwhile)",
                                ref_name ? ref_name : "<none>", refs[i], manifest_digest);
  return 0;
}

int
image_store_tag (struct image_store *s, const char *ref_name, const char *manifest_digest, const char *media_type,
                 int64_t size, skiff_error_t *err)
{
  cleanup_close int lock = -1;
  oci_image_index *idx = NULL;
  oci_image_descriptor *d;
  int ret = -1;

  if (!image_store_has_blob (s, manifest_digest))
    return skiff_error_plain (err, ENOENT, "tag %s: manifest %s is not in the store", ref_name ? ref_name : "<none>",
                              manifest_digest);
  if (image_store_lock (s, &lock, err) < 0
      || check_blobs_present (s, ref_name, manifest_digest, media_type, err) < 0
      || image_store_load_index (s, &idx, err) < 0)
    return -1;

  if (ref_name)
    image_index_untag (idx, ref_name);

  for (size_t i = 0; i < idx->manifests_len; i++)
    {
      d = idx->manifests[i];
      if (strcmp (d->digest, manifest_digest) != 0)
        continue;
      if (ref_name == NULL)
        goto save; /* already listed */
      if (image_index_ref_name (d) == NULL)
        {
          if (d->annotations == NULL)
            d->annotations = oci_string_map_new ();
          oci_string_map_set (d->annotations, IMAGE_REF_NAME_ANNOTATION, ref_name);
          goto save;
        }
    }

  d = xmalloc0 (sizeof *d);
  d->media_type = xstrdup (media_type);
  d->digest = xstrdup (manifest_digest);
  d->size = size;
  if (ref_name)
    {
      d->annotations = oci_string_map_new ();
      oci_string_map_set (d->annotations, IMAGE_REF_NAME_ANNOTATION, ref_name);
    }
  idx->manifests = xrealloc (idx->manifests, (idx->manifests_len + 1) * sizeof *idx->manifests);
  idx->manifests[idx->manifests_len++] = d;

save:
  ret = image_store_save_index (s, idx, err);
  oci_image_index_free (idx);
  return ret;
}

/* --- resolving names ----------------------------------------------------- */

void
image_desc_clear (struct image_desc *d)
{
  free (d->manifest_digest);
  free (d->media_type);
  free (d->config_digest);
  free (d->ref_name);
  free (d->parent);
  memset (d, 0, sizeof *d);
}

int
image_store_config_digest (struct image_store *s, const char *manifest_digest, char **out, skiff_error_t *err)
{
  cleanup_free char *data = NULL;
  oci_image_manifest *m;
  char *perr = NULL;
  size_t len;

  if (image_store_read_blob (s, manifest_digest, &data, &len, err) < 0)
    return -1;
  m = oci_image_manifest_parse_data (data, len, manifest_digest, &perr);
  if (m == NULL)
    {
      skiff_error_plain (err, EINVAL, "manifest %s", perr ? perr : "invalid");
      free (perr);
      return -1;
    }
  *out = xstrdup (m->config->digest);
  oci_image_manifest_free (m);
  return 0;
}

static void
desc_from_index (struct image_desc *out, const oci_image_descriptor *d, char *config)
{
  const char *name = image_index_ref_name (d), *parent;
  out->manifest_digest = xstrdup (d->digest);
  out->media_type = xstrdup (d->media_type);
  out->size = d->size;
  out->config_digest = config;
  out->ref_name = name ? xstrdup (name) : NULL;
  parent = d->annotations ? oci_string_map_get (d->annotations, IMAGE_BUILD_PARENT_ANNOTATION) : NULL;
  out->parent = parent ? xstrdup (parent) : NULL;
}

bool
image_desc_intermediate (const struct image_desc *v, size_t n, size_t i)
{
  if (v[i].ref_name)
    return false;
  for (size_t j = 0; j < n; j++)
    if (v[j].parent && strcmp (v[j].parent, v[i].manifest_digest) == 0)
      return true;
  return false;
}

int
image_store_list (struct image_store *s, struct image_desc **out, size_t *n, skiff_error_t *err)
{
  oci_image_index *idx = NULL;
  struct image_desc *v;

  if (image_store_load_index (s, &idx, err) < 0)
    return -1;
  v = xmalloc0 ((idx->manifests_len + 1) * sizeof *v);
  for (size_t i = 0; i < idx->manifests_len; i++)
    {
      char *config = NULL;
      cleanup_error skiff_error_t ignored = NULL;
      /* A missing or broken manifest still lists (fsck names it).  */
      image_store_config_digest (s, idx->manifests[i]->digest, &config, &ignored);
      desc_from_index (&v[i], idx->manifests[i], config);
    }
  *n = idx->manifests_len;
  *out = v;
  oci_image_index_free (idx);
  return 0;
}

void
image_desc_list_free (struct image_desc *v, size_t n)
{
  for (size_t i = 0; v && i < n; i++)
    image_desc_clear (&v[i]);
  free (v);
}

static bool
is_hex (const char *s)
{
  if (*s == '\0')
    return false;
  for (; *s; s++)
    if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
      return false;
  return true;
}

int
image_store_resolve (struct image_store *s, const char *name, struct image_desc *out, skiff_error_t *err)
{
  struct image_desc *v = NULL;
  size_t n = 0, found = SIZE_MAX;
  const char *hex = strncmp (name, "sha256:", 7) == 0 ? name + 7 : name;
  bool by_id = is_hex (hex) && strlen (hex) >= 3;
  cleanup_free char *canonical = NULL;
  struct image_ref ref = { 0 };
  cleanup_error skiff_error_t ref_err = NULL;
  int ret;

  memset (out, 0, sizeof *out);
  if (image_ref_parse (name, &ref, &ref_err) == 0)
    {
      canonical = image_ref_string (&ref);
      image_ref_clear (&ref);
    }
  else if (!by_id)
    {
      *err = steal_pointer (&ref_err);
      return -1;
    }

  if (image_store_list (s, &v, &n, err) < 0)
    return -1;

  /* A name wins over an id prefix, as in podman ("abc" may be both).  */
  for (size_t i = 0; canonical && i < n && found == SIZE_MAX; i++)
    if (v[i].ref_name && strcmp (v[i].ref_name, canonical) == 0)
      found = i;
  /* NAME@DIGEST: the manifest with that digest, whatever its tags.  */
  if (found == SIZE_MAX && canonical && strchr (canonical, '@'))
    for (size_t i = 0; i < n && found == SIZE_MAX; i++)
      if (strcmp (v[i].manifest_digest, strchr (canonical, '@') + 1) == 0)
        found = i;
  if (found == SIZE_MAX && by_id)
    {
      size_t hlen = strlen (hex);
      for (size_t i = 0; i < n; i++)
        {
          bool match = (v[i].config_digest && strncmp (v[i].config_digest + 7, hex, hlen) == 0)
                       || (hlen == 64 && strcmp (v[i].manifest_digest + 7, hex) == 0);
          if (!match)
            continue;
          if (found != SIZE_MAX && strcmp (v[found].manifest_digest, v[i].manifest_digest) != 0
              && (v[found].config_digest == NULL || v[i].config_digest == NULL
                  || strcmp (v[found].config_digest, v[i].config_digest) != 0))
            {
              image_desc_list_free (v, n);
              return skiff_error_plain (err, EINVAL, "image `%s`: ambiguous id prefix", name);
            }
          /* Prefer a tagged entry of the same image.  */
          if (found == SIZE_MAX || (v[found].ref_name == NULL && v[i].ref_name))
            found = i;
        }
    }
  if (found == SIZE_MAX)
    ret = skiff_error_plain (err, ENOENT, "image `%s`: not in the store", name);
  else
    {
      *out = v[found];
      memset (&v[found], 0, sizeof v[found]);
      ret = 0;
    }
  image_desc_list_free (v, n);
  return ret;
}
