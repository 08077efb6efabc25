/* skiff-image: docker-archive and oci-archive, written and read with
   libarchive (see archive.h).  */
#include <config.h>
#include "archive.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include <archive.h>
#include <archive_entry.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "image.h"
#include "layerinfo.h"
#include "ref.h"
#include "store_internal.h"
#include "utils.h"

#define COPY_BUF (256 * 1024)
/* manifest.json, index.json...: anything larger is not one of ours.  */
#define MAX_JSON (16 * 1024 * 1024)

static void
strv_push (char ***v, size_t *n, const char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof **v);
  (*v)[(*n)++] = xstrdup (s);
  (*v)[*n] = NULL;
}

static bool
strv_contains (char *const *v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

/* --- save ------------------------------------------------------------------ */

struct writer
{
  struct archive *a;
  char **written; /* entry names already in the archive */
  size_t n_written;
};

static int
aw_error (struct writer *w, const char *what, skiff_error_t *err)
{
  return skiff_error_plain (err, EIO, "write archive: %s: %s", what, archive_error_string (w->a));
}

static int
aw_header (struct writer *w, const char *name, int64_t size, mode_t type, skiff_error_t *err)
{
  struct archive_entry *e = archive_entry_new ();
  int r;
  archive_entry_set_pathname (e, name);
  archive_entry_set_filetype (e, type);
  archive_entry_set_perm (e, type == AE_IFDIR ? 0755 : 0644);
  archive_entry_set_size (e, type == AE_IFDIR ? 0 : size);
  archive_entry_set_mtime (e, 0, 0);
  r = archive_write_header (w->a, e);
  archive_entry_free (e);
  return r == ARCHIVE_OK ? 0 : aw_error (w, name, err);
}

static int
aw_data (struct writer *w, const char *name, const void *buf, size_t len, skiff_error_t *err)
{
  if (len && archive_write_data (w->a, buf, len) != (la_ssize_t) len)
    return aw_error (w, name, err);
  return 0;
}

static int
aw_buffer (struct writer *w, const char *name, const char *data, size_t len, skiff_error_t *err)
{
  if (aw_header (w, name, len, AE_IFREG, err) < 0 || aw_data (w, name, data, len, err) < 0)
    return -1;
  return 0;
}

/* Copies the bytes of a blob (ARCH: through decompression) of SIZE bytes. */
static int
aw_copy (struct writer *w, const char *name, int fd, struct archive *arch, int64_t size, skiff_error_t *err)
{
  cleanup_free char *buf = xmalloc (COPY_BUF);
  int64_t done = 0;

  if (aw_header (w, name, size, AE_IFREG, err) < 0)
    return -1;
  while (done < size)
    {
      ssize_t n = arch ? archive_read_data (arch, buf, COPY_BUF) : read (fd, buf, COPY_BUF);
      if (n < 0 && !arch && errno == EINTR)
        continue;
      if (n < 0)
        return arch ? skiff_error_plain (err, EIO, "%s: decompress: %s", name, archive_error_string (arch))
                    : skiff_error_sys (err, "%s: read", name);
      if (n == 0)
        return skiff_error_plain (err, EIO, "%s: blob shorter than %lld bytes", name, (long long) size);
      if (n > size - done)
        n = size - done;
      if (aw_data (w, name, buf, n, err) < 0)
        return -1;
      done += n;
    }
  return 0;
}

static bool
aw_once (struct writer *w, const char *name)
{
  if (strv_contains (w->written, name))
    return false;
  strv_push (&w->written, &w->n_written, name);
  return true;
}

static int
aw_blob (struct writer *w, struct image_store *s, const char *digest, const char *name, skiff_error_t *err)
{
  cleanup_close int fd = -1;
  struct stat st;
  if (!aw_once (w, name))
    return 0;
  if (image_store_open_blob (s, digest, &fd, err) < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    return skiff_error_sys (err, "blob %s: fstat", digest);
  return aw_copy (w, name, fd, NULL, st.st_size, err);
}

static int
aw_layer_uncompressed (struct writer *w, struct image_store *s, const char *digest, const char *name,
                       int64_t size, skiff_error_t *err)
{
  cleanup_close int fd = -1;
  struct archive *arch = NULL;
  struct archive_entry *e;
  int ret;

  if (!aw_once (w, name))
    return 0;
  if (image_store_open_blob (s, digest, &fd, err) < 0 || image_layer_open_uncompressed (fd, &arch, err) < 0)
    return -1;
  if (archive_read_next_header (arch, &e) != ARCHIVE_OK)
    ret = skiff_error_plain (err, EIO, "layer %s: decompress: %s", digest, archive_error_string (arch));
  else
    ret = aw_copy (w, name, -1, arch, size, err);
  archive_read_free (arch);
  return ret;
}

/* The names to save for an image: the one it was given by, or all of
   them when it was given by id or digest.  */
static char **
item_names (struct image_store *s, const char *given, const struct image_desc *d)
{
  struct image_desc *all = NULL;
  struct image_ref ref = { 0 };
  char **names = NULL;
  size_t n = 0, count = 0;
  cleanup_error skiff_error_t ignored = NULL;

  names = xmalloc0 (sizeof *names);
  if (d->ref_name && image_ref_parse (given, &ref, NULL) == 0)
    {
      cleanup_free char *canonical = image_ref_string (&ref);
      image_ref_clear (&ref);
      if (strcmp (canonical, d->ref_name) == 0)
        {
          strv_push (&names, &count, d->ref_name);
          return names;
        }
    }
  if (image_store_list (s, &all, &n, &ignored) < 0)
    return names;
  for (size_t i = 0; i < n; i++)
    if (all[i].ref_name && strcmp (all[i].manifest_digest, d->manifest_digest) == 0)
      strv_push (&names, &count, all[i].ref_name);
  image_desc_list_free (all, n);
  return names;
}

static void
gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

static char *
gen_take (yajl_gen g)
{
  const unsigned char *buf;
  size_t len;
  char *out;
  yajl_gen_get_buf (g, &buf, &len);
  out = xmalloc (len + 1);
  memcpy (out, buf, len);
  out[len] = '\0';
  yajl_gen_free (g);
  return out;
}

static yajl_gen
gen_new (void)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    {
      fputs ("skiff-image: out of memory (yajl_gen)\n", stderr);
      abort ();
    }
  return g;
}

static int
save_docker (struct writer *w, struct image_store *s, struct image_info *infos, char ***names, size_t n,
             skiff_error_t *err)
{
  yajl_gen m = gen_new (), r = gen_new ();
  cleanup_free char *manifest_json = NULL, *repos_json = NULL;
  int ret = 0;

  yajl_gen_array_open (m);
  yajl_gen_map_open (r);
  for (size_t i = 0; i < n && ret == 0; i++)
    {
      struct image_info *info = &infos[i];
      cleanup_free char *config_name = xasprintf ("%s.json", info->manifest->config->digest + 7);
      char top[IMAGE_DIGEST_LEN] = "";

      if (aw_blob (w, s, info->manifest->config->digest, config_name, err) < 0)
        {
          ret = -1;
          break;
        }
      yajl_gen_map_open (m);
      gen_str (m, "Config");
      gen_str (m, config_name);
      gen_str (m, "RepoTags");
      yajl_gen_array_open (m);
      for (size_t j = 0; names[i][j]; j++)
        gen_str (m, names[i][j]);
      yajl_gen_array_close (m);
      gen_str (m, "Layers");
      yajl_gen_array_open (m);
      for (size_t j = 0; j < info->manifest->layers_len && ret == 0; j++)
        {
          const char *digest = info->manifest->layers[j]->digest;
          char diff_id[IMAGE_DIGEST_LEN];
          int64_t size;
          cleanup_free char *layer_name = NULL;
          if (image_store_layer_info (s, digest, diff_id, &size, err) < 0)
            {
              ret = -1;
              break;
            }
          layer_name = xasprintf ("%s.tar", diff_id + 7);
          ret = aw_layer_uncompressed (w, s, digest, layer_name, size, err);
          gen_str (m, layer_name);
          memcpy (top, diff_id, sizeof top);
        }
      yajl_gen_array_close (m);
      yajl_gen_map_close (m);

      /* `repositories` (the format before manifest.json): repo -> tag ->
         top layer.  */
      for (size_t j = 0; names[i][j] && top[0]; j++)
        {
          cleanup_free char *repo = NULL;
          const char *slash = strrchr (names[i][j], '/');
          const char *colon = strrchr (slash ? slash : names[i][j], ':');
          if (colon == NULL || strchr (names[i][j], '@'))
            continue;
          repo = strndup (names[i][j], colon - names[i][j]);
          yajl_gen_map_open (r);
          gen_str (r, repo ? repo : "");
          yajl_gen_map_open (r);
          gen_str (r, colon + 1);
          gen_str (r, top + 7);
          yajl_gen_map_close (r);
          yajl_gen_map_close (r);
        }
    }
  yajl_gen_array_close (m);
  yajl_gen_map_close (r);
  manifest_json = gen_take (m);
  repos_json = gen_take (r);
  if (ret < 0)
    return -1;
  if (aw_buffer (w, "manifest.json", manifest_json, strlen (manifest_json), err) < 0)
    return -1;
  return aw_buffer (w, "repositories", repos_json, strlen (repos_json), err);
}

static int
save_oci (struct writer *w, struct image_store *s, struct image_info *infos, char ***names, size_t n,
          skiff_error_t *err)
{
  static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
  yajl_gen g = gen_new ();
  cleanup_free char *index_json = NULL;
  int ret = 0;

  if (aw_header (w, "blobs/", 0, AE_IFDIR, err) < 0 || aw_header (w, "blobs/sha256/", 0, AE_IFDIR, err) < 0
      || aw_buffer (w, "oci-layout", layout, strlen (layout), err) < 0)
    ret = -1;
  yajl_gen_map_open (g);
  gen_str (g, "schemaVersion");
  yajl_gen_integer (g, 2);
  gen_str (g, "manifests");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n && ret == 0; i++)
    {
      struct image_info *info = &infos[i];
      const char *blobs[2] = { info->desc.manifest_digest, info->manifest->config->digest };
      for (size_t j = 0; j < 2 + info->manifest->layers_len && ret == 0; j++)
        {
          const char *digest = j < 2 ? blobs[j] : info->manifest->layers[j - 2]->digest;
          cleanup_free char *name = xasprintf ("blobs/sha256/%s", digest + 7);
          ret = aw_blob (w, s, digest, name, err);
        }
      /* One entry per name; an unnamed image gets one entry without. */
      for (size_t j = 0; j == 0 || names[i][j - 1]; j++)
        {
          if (j > 0 && names[i][j] == NULL)
            break;
          yajl_gen_map_open (g);
          gen_str (g, "mediaType");
          gen_str (g, info->desc.media_type);
          gen_str (g, "digest");
          gen_str (g, info->desc.manifest_digest);
          gen_str (g, "size");
          yajl_gen_integer (g, info->desc.size);
          if (names[i][j])
            {
              gen_str (g, "annotations");
              yajl_gen_map_open (g);
              gen_str (g, IMAGE_REF_NAME_ANNOTATION);
              gen_str (g, names[i][j]);
              yajl_gen_map_close (g);
            }
          yajl_gen_map_close (g);
          if (names[i][j] == NULL)
            break;
        }
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  index_json = gen_take (g);
  if (ret < 0)
    return -1;
  return aw_buffer (w, "index.json", index_json, strlen (index_json), err);
}

int
image_archive_save (struct image_store *s, char *const *images, size_t n,
                    enum image_archive_format format, int fd, skiff_error_t *err)
{
  struct image_info *infos = xmalloc0 ((n + 1) * sizeof *infos);
  char ***names = xmalloc0 ((n + 1) * sizeof *names);
  struct writer w = { 0 };
  int ret = -1;

  for (size_t i = 0; i < n; i++)
    {
      struct image_desc d = { 0 };
      int r = image_store_resolve (s, images[i], &d, err);
      if (r == 0)
        {
          names[i] = item_names (s, images[i], &d);
          r = image_info_load (s, &d, &infos[i], err);
        }
      image_desc_clear (&d);
      if (r < 0)
        {
          skiff_error_wrap (err, "image `%s`", images[i]);
          goto out;
        }
    }

  w.a = archive_write_new ();
  if (w.a == NULL)
    {
      skiff_error_plain (err, ENOMEM, "archive_write_new: out of memory");
      goto out;
    }
  /* pax: layers larger than 8 GiB and long names stay exact.  */
  archive_write_set_format_pax_restricted (w.a);
  archive_write_set_bytes_in_last_block (w.a, 1);
  if (archive_write_open_fd (w.a, fd) != ARCHIVE_OK)
    {
      aw_error (&w, "open", err);
      goto out;
    }
  ret = format == IMAGE_ARCHIVE_DOCKER ? save_docker (&w, s, infos, names, n, err)
                                       : save_oci (&w, s, infos, names, n, err);
  if (ret == 0 && archive_write_close (w.a) != ARCHIVE_OK)
    ret = aw_error (&w, "close", err);

out:
  if (w.a)
    archive_write_free (w.a);
  strv_free (w.written);
  for (size_t i = 0; i < n; i++)
    {
      image_info_clear (&infos[i]);
      strv_free (names[i]);
    }
  free (infos);
  free (names);
  return ret;
}

/* --- load ------------------------------------------------------------------ */

struct member
{
  char *name;
  char *digest; /* regular files stored as blobs */
  char *link;   /* symlinks: target, relative to the archive's root */
};

struct loader
{
  struct image_store *s;
  struct member *members;
  size_t n_members;
  char *manifest_json, *index_json; /* docker-archive / oci-archive */
  bool oci_layout;
  char **added; /* blobs new to the store */
  size_t n_added;
  char **to_tag_names; /* NULL entries: dangling */
  char **to_tag_digests;
  char **to_tag_types;
  int64_t *to_tag_sizes;
  size_t n_tags;
};

/* "./a/../b" -> "b"; NULL when the name leaves the archive.  */
static char *
clean_name (const char *base, const char *name)
{
  cleanup_free char *joined = base ? xasprintf ("%s/%s", base, name) : xstrdup (name);
  char **parts = NULL, *save = NULL, *tok;
  size_t n = 0;
  char *out;

  for (tok = strtok_r (joined, "/", &save); tok; tok = strtok_r (NULL, "/", &save))
    {
      if (strcmp (tok, ".") == 0)
        continue;
      if (strcmp (tok, "..") == 0)
        {
          if (n == 0)
            {
              free (parts);
              return NULL;
            }
          n--;
          continue;
        }
      parts = xrealloc (parts, (n + 1) * sizeof *parts);
      parts[n++] = tok;
    }
  out = xmalloc0 (strlen (name) + (base ? strlen (base) : 0) + 2);
  for (size_t i = 0; i < n; i++)
    {
      if (i)
        strcat (out, "/");
      strcat (out, parts[i]);
    }
  free (parts);
  return out;
}

/* The blob a member name stands for, through symlinks.  */
static const char *
member_digest (struct loader *l, const char *name)
{
  cleanup_free char *cur = clean_name (NULL, name);
  for (int depth = 0; cur && depth < 16; depth++)
    {
      struct member *m = NULL;
      for (size_t i = 0; i < l->n_members && m == NULL; i++)
        if (strcmp (l->members[i].name, cur) == 0)
          m = &l->members[i];
      if (m == NULL)
        return NULL;
      if (m->digest)
        return m->digest;
      if (m->link == NULL)
        return NULL;
      free (cur);
      cur = xstrdup (m->link);
    }
  return NULL;
}

static int
read_member_json (struct archive *a, struct archive_entry *e, const char *name, char **out, skiff_error_t *err)
{
  int64_t size = archive_entry_size (e);
  char *buf;
  la_ssize_t n;
  if (size < 0 || size > MAX_JSON)
    return skiff_error_plain (err, EINVAL, "%s: too large", name);
  buf = xmalloc (size + 1);
  n = archive_read_data (a, buf, size);
  if (n != size)
    {
      free (buf);
      return skiff_error_plain (err, EIO, "%s: %s", name, n < 0 ? archive_error_string (a) : "truncated");
    }
  buf[size] = '\0';
  free (*out);
  *out = buf;
  return 0;
}

static int
read_member_blob (struct loader *l, struct archive *a, struct archive_entry *e, const char *name,
                  struct member *m, skiff_error_t *err)
{
  struct image_blob_writer *w = NULL;
  cleanup_free char *buf = xmalloc (COPY_BUF);
  char expected[IMAGE_DIGEST_LEN + 8] = "", digest[IMAGE_DIGEST_LEN];
  bool created = false;

  /* An OCI layout names its blobs: verify them against their names.  */
  if (strncmp (name, "blobs/sha256/", 13) == 0)
    {
      snprintf (expected, sizeof expected, "sha256:%s", name + 13);
      if (!image_digest_valid (expected))
        return skiff_error_plain (err, EINVAL, "%s: not a sha256 digest", name);
    }
  if (image_store_blob_begin (l->s, &w, err) < 0)
    return -1;
  for (;;)
    {
      la_ssize_t n = archive_read_data (a, buf, COPY_BUF);
      if (n < 0)
        {
          image_blob_abort (w);
          return skiff_error_plain (err, EIO, "%s: %s", name, archive_error_string (a));
        }
      if (n == 0)
        break;
      if (image_blob_write (w, buf, n, err) < 0)
        {
          image_blob_abort (w);
          return -1;
        }
    }
  if (image_blob_commit_created (w, expected[0] ? expected : NULL, archive_entry_size (e), digest, &created, err)
      < 0)
    return expected[0] ? -1 : skiff_error_wrap (err, "%s", name);
  if (created)
    strv_push (&l->added, &l->n_added, digest);
  m->digest = xstrdup (digest);
  return 0;
}

static int
read_members (struct loader *l, int fd, skiff_error_t *err)
{
  struct archive *a = archive_read_new ();
  struct archive_entry *e;
  int r, ret = 0;

  archive_read_support_filter_all (a);
  archive_read_support_format_tar (a);
  if (archive_read_open_fd (a, fd, COPY_BUF) != ARCHIVE_OK)
    {
      ret = skiff_error_plain (err, EINVAL, "read archive: %s", archive_error_string (a));
      archive_read_free (a);
      return ret;
    }
  while (ret == 0 && (r = archive_read_next_header (a, &e)) == ARCHIVE_OK)
    {
      cleanup_free char *name = clean_name (NULL, archive_entry_pathname (e));
      struct member m = { 0 };
      mode_t type = archive_entry_filetype (e);

      if (name == NULL)
        {
          ret = skiff_error_plain (err, EINVAL, "archive member `%s` is outside the archive",
                                   archive_entry_pathname (e));
          break;
        }
      if (type == AE_IFLNK)
        {
          cleanup_free char *dir = xstrdup (name);
          char *slash = strrchr (dir, '/');
          if (slash)
            *slash = '\0';
          m.link = clean_name (slash ? dir : NULL, archive_entry_symlink (e));
          if (m.link == NULL)
            {
              ret = skiff_error_plain (err, EINVAL, "archive member `%s` links outside the archive", name);
              break;
            }
        }
      else if (type != AE_IFREG)
        continue;
      else if (strcmp (name, "manifest.json") == 0)
        ret = read_member_json (a, e, name, &l->manifest_json, err);
      else if (strcmp (name, "index.json") == 0)
        ret = read_member_json (a, e, name, &l->index_json, err);
      else if (strcmp (name, "oci-layout") == 0)
        l->oci_layout = true;
      else if (strcmp (name, "repositories") == 0)
        ; /* superseded by manifest.json */
      else
        ret = read_member_blob (l, a, e, name, &m, err);
      if (ret < 0)
        {
          free (m.link);
          break;
        }
      m.name = steal_pointer (&name);
      l->members = xrealloc (l->members, (l->n_members + 1) * sizeof *l->members);
      l->members[l->n_members++] = m;
    }
  if (ret == 0 && r != ARCHIVE_EOF)
    ret = skiff_error_plain (err, EIO, "read archive: %s", archive_error_string (a));
  archive_read_free (a);
  return ret;
}

static void
queue_tag (struct loader *l, const char *name, const char *digest, const char *media_type, int64_t size)
{
  size_t n = l->n_tags + 1;
  l->to_tag_names = xrealloc (l->to_tag_names, n * sizeof (char *));
  l->to_tag_digests = xrealloc (l->to_tag_digests, n * sizeof (char *));
  l->to_tag_types = xrealloc (l->to_tag_types, n * sizeof (char *));
  l->to_tag_sizes = xrealloc (l->to_tag_sizes, n * sizeof (int64_t));
  l->to_tag_names[l->n_tags] = name ? xstrdup (name) : NULL;
  l->to_tag_digests[l->n_tags] = xstrdup (digest);
  l->to_tag_types[l->n_tags] = xstrdup (media_type);
  l->to_tag_sizes[l->n_tags] = size;
  l->n_tags = n;
}

static int
canonical_name (const char *name, char **out, skiff_error_t *err)
{
  struct image_ref ref = { 0 };
  if (image_ref_parse (name, &ref, err) < 0)
    return -1;
  *out = image_ref_string (&ref);
  image_ref_clear (&ref);
  return 0;
}

/* The config's diff ids are the layers' (both in order).  */
static int
check_diff_ids (struct image_store *s, const oci_image_config *config, char *const *layers, size_t n,
                skiff_error_t *err)
{
  if (config->rootfs->diff_ids_len != n)
    return skiff_error_plain (err, EINVAL, "%zu layers, but the config lists %zu diff ids", n,
                              config->rootfs->diff_ids_len);
  for (size_t i = 0; i < n; i++)
    {
      char diff_id[IMAGE_DIGEST_LEN];
      int64_t size;
      if (image_store_layer_info (s, layers[i], diff_id, &size, err) < 0)
        return -1;
      if (strcmp (diff_id, config->rootfs->diff_ids[i]) != 0)
        return skiff_error_plain (err, EINVAL, "layer %s has diff id %s, the config says %s", layers[i], diff_id,
                                  config->rootfs->diff_ids[i]);
    }
  return 0;
}

static int
load_config (struct image_store *s, const char *digest, oci_image_config **out, skiff_error_t *err)
{
  cleanup_free char *data = NULL;
  char *perr = NULL;
  size_t len;
  if (image_store_read_blob (s, digest, &data, &len, err) < 0)
    return -1;
  *out = oci_image_config_parse_data (data, len, "config", &perr);
  if (*out == NULL)
    {
      skiff_error_plain (err, EINVAL, "config %s: %s", digest, perr ? perr : "invalid");
      free (perr);
      return -1;
    }
  return 0;
}

static const char *
sniff_layer_type (struct image_store *s, const char *digest)
{
  unsigned char magic[4] = { 0 };
  cleanup_close int fd = -1;
  cleanup_error skiff_error_t ignored = NULL;
  if (image_store_open_blob (s, digest, &fd, &ignored) < 0 || read_all (fd, magic, 4) < 4)
    return IMAGE_MT_OCI_LAYER;
  if (magic[0] == 0x1f && magic[1] == 0x8b)
    return IMAGE_MT_OCI_LAYER_GZIP;
  if (magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    return IMAGE_MT_OCI_LAYER_ZSTD;
  return IMAGE_MT_OCI_LAYER;
}

static int
blob_size (struct image_store *s, const char *digest, int64_t *size, skiff_error_t *err)
{
  struct stat st;
  if (fstatat (s->blobs_fd, digest + 7, &st, 0) < 0)
    return skiff_error_sys (err, "blob %s", digest);
  *size = st.st_size;
  return 0;
}

/* One entry of a docker-archive's manifest.json: builds an OCI manifest
   for it and queues its names.  */
static int
load_docker_entry (struct loader *l, yajl_val entry, size_t index, skiff_error_t *err)
{
  static const char *config_path[] = { "Config", NULL };
  static const char *tags_path[] = { "RepoTags", NULL };
  static const char *layers_path[] = { "Layers", NULL };
  yajl_val config_v = yajl_tree_get (entry, config_path, yajl_t_string);
  yajl_val tags_v = yajl_tree_get (entry, tags_path, yajl_t_array);
  yajl_val layers_v = yajl_tree_get (entry, layers_path, yajl_t_array);
  const char *config_digest;
  oci_image_config *config = NULL;
  cleanup_strv char **layers = NULL;
  cleanup_free char *manifest = NULL;
  size_t n_layers = 0;
  int64_t config_size;
  char digest[IMAGE_DIGEST_LEN];
  yajl_gen g;
  int ret;

  if (config_v == NULL || layers_v == NULL)
    return skiff_error_plain (err, EINVAL, "manifest.json: entry %zu: no Config or Layers", index);
  config_digest = member_digest (l, YAJL_GET_STRING (config_v));
  if (config_digest == NULL)
    return skiff_error_plain (err, EINVAL, "manifest.json: entry %zu: `%s` is not in the archive", index,
                              YAJL_GET_STRING (config_v));
  layers = xmalloc0 (sizeof *layers);
  for (size_t i = 0; i < layers_v->u.array.len; i++)
    {
      const char *name = YAJL_GET_STRING (layers_v->u.array.values[i]);
      const char *d = name ? member_digest (l, name) : NULL;
      if (d == NULL)
        return skiff_error_plain (err, EINVAL, "manifest.json: entry %zu: layer `%s` is not in the archive", index,
                                  name ? name : "?");
      strv_push (&layers, &n_layers, d);
    }
  if (load_config (l->s, config_digest, &config, err) < 0)
    return -1;
  ret = check_diff_ids (l->s, config, layers, n_layers, err);
  oci_image_config_free (config);
  if (ret < 0 || blob_size (l->s, config_digest, &config_size, err) < 0)
    return skiff_error_wrap (err, "manifest.json: entry %zu", index);

  g = gen_new ();
  yajl_gen_map_open (g);
  gen_str (g, "schemaVersion");
  yajl_gen_integer (g, 2);
  gen_str (g, "mediaType");
  gen_str (g, IMAGE_MT_OCI_MANIFEST);
  gen_str (g, "config");
  yajl_gen_map_open (g);
  gen_str (g, "mediaType");
  gen_str (g, IMAGE_MT_OCI_CONFIG);
  gen_str (g, "digest");
  gen_str (g, config_digest);
  gen_str (g, "size");
  yajl_gen_integer (g, config_size);
  yajl_gen_map_close (g);
  gen_str (g, "layers");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n_layers; i++)
    {
      int64_t size;
      if (blob_size (l->s, layers[i], &size, err) < 0)
        {
          yajl_gen_free (g);
          return -1;
        }
      yajl_gen_map_open (g);
      gen_str (g, "mediaType");
      gen_str (g, sniff_layer_type (l->s, layers[i]));
      gen_str (g, "digest");
      gen_str (g, layers[i]);
      gen_str (g, "size");
      yajl_gen_integer (g, size);
      yajl_gen_map_close (g);
    }
  yajl_gen_array_close (g);
  yajl_gen_map_close (g);
  manifest = gen_take (g);

  {
    bool created = false;
    struct image_blob_writer *w = NULL;
    if (image_store_blob_begin (l->s, &w, err) < 0)
      return -1;
    if (image_blob_write (w, manifest, strlen (manifest), err) < 0)
      {
        image_blob_abort (w);
        return -1;
      }
    if (image_blob_commit_created (w, NULL, strlen (manifest), digest, &created, err) < 0)
      return -1;
    if (created)
      strv_push (&l->added, &l->n_added, digest);
  }

  if (tags_v == NULL || tags_v->u.array.len == 0)
    queue_tag (l, NULL, digest, IMAGE_MT_OCI_MANIFEST, strlen (manifest));
  for (size_t i = 0; tags_v && i < tags_v->u.array.len; i++)
    {
      const char *t = YAJL_GET_STRING (tags_v->u.array.values[i]);
      cleanup_free char *name = NULL;
      if (t == NULL || canonical_name (t, &name, err) < 0)
        return skiff_error_wrap (err, "manifest.json: entry %zu", index);
      queue_tag (l, name, digest, IMAGE_MT_OCI_MANIFEST, strlen (manifest));
    }
  return 0;
}

static int
load_docker (struct loader *l, skiff_error_t *err)
{
  char errbuf[256];
  yajl_val root = yajl_tree_parse (l->manifest_json, errbuf, sizeof errbuf);
  int ret = 0;

  if (root == NULL)
    return skiff_error_plain (err, EINVAL, "manifest.json: %s", errbuf);
  if (!YAJL_IS_ARRAY (root) || root->u.array.len == 0)
    ret = skiff_error_plain (err, EINVAL, "manifest.json: not a non-empty array");
  for (size_t i = 0; ret == 0 && i < root->u.array.len; i++)
    ret = load_docker_entry (l, root->u.array.values[i], i, err);
  yajl_tree_free (root);
  return ret;
}

/* The blob DESC names is in the store (from the archive) with its size. */
static int
check_desc_size (struct image_store *s, const oci_image_descriptor *desc, skiff_error_t *err)
{
  int64_t size;
  if (!image_store_has_blob (s, desc->digest))
    return skiff_error_plain (err, ENOENT, "blob %s is not in the archive", desc->digest);
  if (blob_size (s, desc->digest, &size, err) < 0)
    return -1;
  if (size != desc->size)
    return skiff_error_plain (err, EINVAL, "blob %s: size %lld, its descriptor says %lld", desc->digest,
                              (long long) size, (long long) desc->size);
  return 0;
}

/* An image manifest from the archive: its blobs are there and agree.  */
static int
check_oci_manifest (struct loader *l, const char *digest, skiff_error_t *err)
{
  cleanup_free char *data = NULL;
  oci_image_manifest *m;
  oci_image_config *config = NULL;
  cleanup_strv char **layers = NULL;
  size_t len, n = 0;
  char *perr = NULL;
  int ret;

  if (image_store_read_blob (l->s, digest, &data, &len, err) < 0)
    return -1;
  m = oci_image_manifest_parse_data (data, len, "manifest", &perr);
  if (m == NULL)
    {
      skiff_error_plain (err, EINVAL, "manifest %s: %s", digest, perr ? perr : "invalid");
      free (perr);
      return -1;
    }
  layers = xmalloc0 (sizeof *layers);
  ret = check_desc_size (l->s, m->config, err);
  for (size_t i = 0; ret == 0 && i < m->layers_len; i++)
    {
      strv_push (&layers, &n, m->layers[i]->digest);
      ret = check_desc_size (l->s, m->layers[i], err);
    }
  if (ret == 0)
    ret = load_config (l->s, m->config->digest, &config, err);
  if (ret == 0)
    {
      ret = check_diff_ids (l->s, config, layers, n, err);
      oci_image_config_free (config);
    }
  oci_image_manifest_free (m);
  return ret < 0 ? skiff_error_wrap (err, "manifest %s", digest) : 0;
}

/* From an index in the archive, the manifest for linux/amd64.  */
static int
select_platform (struct loader *l, const oci_image_descriptor *d, oci_image_descriptor **out, skiff_error_t *err)
{
  cleanup_free char *data = NULL;
  oci_image_index *idx;
  char *perr = NULL;
  size_t len;

  if (image_store_read_blob (l->s, d->digest, &data, &len, err) < 0)
    return -1;
  idx = oci_image_index_parse_data (data, len, "index", &perr);
  if (idx == NULL)
    {
      skiff_error_plain (err, EINVAL, "index %s: %s", d->digest, perr ? perr : "invalid");
      free (perr);
      return -1;
    }
  *out = NULL;
  for (size_t i = 0; i < idx->manifests_len && *out == NULL; i++)
    {
      oci_image_platform *p = idx->manifests[i]->platform;
      if (p && strcmp (p->os, "linux") == 0 && strcmp (p->architecture, "amd64") == 0
          && image_store_has_blob (l->s, idx->manifests[i]->digest))
        {
          *out = idx->manifests[i];
          memmove (&idx->manifests[i], &idx->manifests[i + 1], (idx->manifests_len - i - 1) * sizeof (void *));
          idx->manifests_len--;
        }
    }
  oci_image_index_free (idx);
  if (*out == NULL)
    return skiff_error_plain (err, ENOENT, "index %s: no linux/amd64 manifest in the archive", d->digest);
  return 0;
}

static int
load_oci (struct loader *l, skiff_error_t *err)
{
  oci_image_index *idx;
  char *perr = NULL;
  int ret = 0;

  idx = oci_image_index_parse_data (l->index_json, strlen (l->index_json), "index.json", &perr);
  if (idx == NULL)
    {
      skiff_error_plain (err, EINVAL, "%s", perr ? perr : "index.json: invalid");
      free (perr);
      return -1;
    }
  for (size_t i = 0; ret == 0 && i < idx->manifests_len; i++)
    {
      oci_image_descriptor *d = idx->manifests[i], *chosen = NULL;
      /* docker save (25 and later) writes an OCI layout whose ref.name is
         the bare tag, and the whole name in containerd's annotation.  */
      const char *full = d->annotations ? oci_string_map_get (d->annotations, "io.containerd.image.name") : NULL;
      const char *ref = full ? full : image_index_ref_name (d);
      cleanup_free char *name = NULL;

      if (!image_store_has_blob (l->s, d->digest))
        {
          ret = skiff_error_plain (err, ENOENT, "index.json: manifest %s is not in the archive", d->digest);
          break;
        }
      if (image_media_type_is_index (d->media_type))
        {
          if ((ret = select_platform (l, d, &chosen, err)) < 0)
            break;
          d = chosen;
        }
      ret = check_oci_manifest (l, d->digest, err);
      if (ret == 0 && ref && canonical_name (ref, &name, err) < 0)
        ret = skiff_error_wrap (err, "index.json");
      if (ret == 0)
        queue_tag (l, name, d->digest, d->media_type ? d->media_type : IMAGE_MT_OCI_MANIFEST, d->size);
      if (chosen)
        oci_image_descriptor_free (chosen);
    }
  oci_image_index_free (idx);
  return ret;
}

int
image_archive_load (struct image_store *s, int fd, char ***loaded, skiff_error_t *err)
{
  struct loader l = { .s = s };
  char **names = xmalloc0 (sizeof *names);
  size_t n_names = 0;
  int ret;

  ret = read_members (&l, fd, err);
  if (ret == 0)
    {
      if (l.index_json && l.oci_layout)
        ret = load_oci (&l, err);
      else if (l.manifest_json)
        ret = load_docker (&l, err);
      else
        ret = skiff_error_plain (err, EINVAL, "neither a docker-archive (manifest.json) nor an oci-archive "
                                               "(oci-layout, index.json)");
    }
  for (size_t i = 0; ret == 0 && i < l.n_tags; i++)
    {
      ret = image_store_tag (s, l.to_tag_names[i], l.to_tag_digests[i], l.to_tag_types[i], l.to_tag_sizes[i], err);
      if (ret == 0)
        {
          cleanup_free char *config = NULL;
          cleanup_error skiff_error_t ignored = NULL;
          if (l.to_tag_names[i])
            strv_push (&names, &n_names, l.to_tag_names[i]);
          else if (image_store_config_digest (s, l.to_tag_digests[i], &config, &ignored) == 0)
            strv_push (&names, &n_names, config);
        }
    }
  /* Take back what this load added and no image references: everything
     after a failure, else the members that were not blobs of an image
     (the VERSION and json files of old docker archives...).  */
  {
    cleanup_close int lock = -1;
    cleanup_error skiff_error_t ignored = NULL;
    if (image_store_lock (s, &lock, &ignored) == 0)
      image_store_drop_unreferenced (s, l.added, &ignored);
  }
  if (ret < 0)
    {
      strv_free (names);
      names = NULL;
    }
  for (size_t i = 0; i < l.n_members; i++)
    {
      free (l.members[i].name);
      free (l.members[i].digest);
      free (l.members[i].link);
    }
  free (l.members);
  for (size_t i = 0; i < l.n_tags; i++)
    {
      free (l.to_tag_names[i]);
      free (l.to_tag_digests[i]);
      free (l.to_tag_types[i]);
    }
  free (l.to_tag_names);
  free (l.to_tag_digests);
  free (l.to_tag_types);
  free (l.to_tag_sizes);
  free (l.manifest_json);
  free (l.index_json);
  strv_free (l.added);
  *loaded = names;
  return ret;
}
