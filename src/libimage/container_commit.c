/* skiff-image: commit (see container_commit.h).  */
#include <config.h>
#include "container_commit.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <yajl/yajl_tree.h>

#include "gzip_writer.h"
#include "image.h"
#include "utils.h"

struct layer_writer
{
  const struct image_container *c;
  struct image_blob_writer *blob;
  struct image_digester *diff; /* of the uncompressed tar */
  struct image_gzip_writer *gz; /* gzip, into BLOB */
  struct archive *compressed;   /* or zstd: raw format + filter, into BLOB */
  struct archive *tar;          /* into GZ or COMPRESSED */
  skiff_error_t *err;
  int64_t compressed_size;
  /* hardlinks: inodes already written, with their names */
  struct
  {
    dev_t dev;
    ino_t ino;
    char *name;
  } *links;
  size_t n_links;
};

static int
blob_sink (void *data, const void *buf, size_t len, skiff_error_t *err)
{
  struct layer_writer *lw = data;
  if (image_blob_write (lw->blob, buf, len, err) < 0)
    return -1;
  lw->compressed_size += (int64_t) len;
  return 0;
}

static la_ssize_t
to_blob (struct archive *a, void *data, const void *buf, size_t len)
{
  struct layer_writer *lw = data;
  if (blob_sink (lw, buf, len, lw->err) < 0)
    {
      archive_set_error (a, EIO, "%s", (*lw->err)->msg);
      return -1;
    }
  return (la_ssize_t) len;
}

static la_ssize_t
to_compressor (struct archive *a, void *data, const void *buf, size_t len)
{
  struct layer_writer *lw = data;
  image_digester_update (lw->diff, buf, len);
  if (lw->gz)
    {
      if (image_gzip_write (lw->gz, buf, len, lw->err) < 0)
        {
          archive_set_error (a, EIO, "%s", (*lw->err)->msg);
          return -1;
        }
    }
  else if (archive_write_data (lw->compressed, buf, len) < 0)
    {
      archive_set_error (a, EIO, "compress: %s", archive_error_string (lw->compressed));
      return -1;
    }
  return (la_ssize_t) len;
}

static int
copy_xattrs (struct archive_entry *e, const char *path)
{
  char names[4096];
  ssize_t n = llistxattr (path, names, sizeof names);
  for (ssize_t i = 0; i < n; i += (ssize_t) strlen (names + i) + 1)
    {
      char value[4096];
      ssize_t vlen;
      /* overlay's bookkeeping (origin, impure, opaque) is not content */
      if (strncmp (names + i, "trusted.overlay.", 16) == 0 || strncmp (names + i, "user.overlay.", 13) == 0)
        continue;
      vlen = lgetxattr (path, names + i, value, sizeof value);
      if (vlen >= 0)
        archive_entry_xattr_add_entry (e, names + i, value, (size_t) vlen);
    }
  return 0;
}

static int
write_header (struct layer_writer *lw, struct archive_entry *e, const char *rel, skiff_error_t *err)
{
  if (archive_write_header (lw->tar, e) != ARCHIVE_OK)
    return skiff_error_plain (err, EIO, "layer: `%s`: %s", rel, archive_error_string (lw->tar));
  return 0;
}

/* An empty regular file named NAME (a whiteout or the opaque marker).  */
static int
write_marker (struct layer_writer *lw, const char *name, skiff_error_t *err)
{
  struct archive_entry *e = archive_entry_new ();
  int ret;
  archive_entry_set_pathname (e, name);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0644);
  archive_entry_set_size (e, 0);
  ret = write_header (lw, e, name, err);
  archive_entry_free (e);
  return ret;
}

static int
write_file_data (struct layer_writer *lw, const char *path, const char *rel, skiff_error_t *err)
{
  cleanup_close int fd = open (path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  char buf[64 * 1024];
  ssize_t n;
  if (fd < 0)
    return skiff_error_sys (err, "open `%s`", path);
  while ((n = read (fd, buf, sizeof buf)) > 0)
    if (archive_write_data (lw->tar, buf, (size_t) n) < 0)
      return skiff_error_plain (err, EIO, "layer: `%s`: %s", rel, archive_error_string (lw->tar));
  if (n < 0)
    return skiff_error_sys (err, "read `%s`", path);
  return 0;
}

static int cmp_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static int
walk (struct layer_writer *lw, const char *upper, const char *rel, skiff_error_t *err)
{
  cleanup_free char *dir = *rel ? xasprintf ("%s/%s", upper, rel) : xstrdup (upper);
  cleanup_dir DIR *d = opendir (dir);
  cleanup_strv char **names = NULL;
  struct dirent *de;
  size_t n = 0;

  if (d == NULL)
    return skiff_error_sys (err, "open `%s`", dir);
  names = xmalloc0 (sizeof *names);
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      {
        names = xrealloc (names, (n + 2) * sizeof *names);
        names[n++] = xstrdup (de->d_name);
        names[n] = NULL;
      }
  /* Sorted: the same changes make the same layer.  */
  qsort (names, n, sizeof *names, cmp_names);

  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *r = *rel ? xasprintf ("%s/%s", rel, names[i]) : xstrdup (names[i]);
      cleanup_free char *full = xasprintf ("%s/%s", upper, r);
      struct archive_entry *e;
      struct stat st;
      char opq[2];
      int ret = 0;

      if (lstat (full, &st) < 0)
        return skiff_error_sys (err, "stat `%s`", full);
      if (lw->c && image_container_runtime_made (lw->c, upper, r))
        continue;
      if (S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0))
        {
          cleanup_free char *wh = *rel ? xasprintf ("%s/.wh.%s", rel, names[i]) : xasprintf (".wh.%s", names[i]);
          if (write_marker (lw, wh, err) < 0)
            return -1;
          continue;
        }
      e = archive_entry_new ();
      archive_entry_copy_stat (e, &st);
      archive_entry_set_pathname (e, r);
      copy_xattrs (e, full);
      if (S_ISLNK (st.st_mode))
        {
          char target[4096];
          ssize_t len = readlink (full, target, sizeof target - 1);
          if (len < 0)
            ret = skiff_error_sys (err, "readlink `%s`", full);
          target[len < 0 ? 0 : len] = '\0';
          archive_entry_set_symlink (e, target);
        }
      if (S_ISREG (st.st_mode) && st.st_nlink > 1)
        {
          for (size_t j = 0; j < lw->n_links; j++)
            if (lw->links[j].dev == st.st_dev && lw->links[j].ino == st.st_ino)
              {
                archive_entry_set_hardlink (e, lw->links[j].name);
                archive_entry_set_size (e, 0);
                break;
              }
          if (archive_entry_hardlink (e) == NULL)
            {
              lw->links = xrealloc (lw->links, (lw->n_links + 1) * sizeof *lw->links);
              lw->links[lw->n_links].dev = st.st_dev;
              lw->links[lw->n_links].ino = st.st_ino;
              lw->links[lw->n_links++].name = xstrdup (r);
            }
        }
      if (ret == 0)
        ret = write_header (lw, e, r, err);
      if (ret == 0 && S_ISREG (st.st_mode) && archive_entry_hardlink (e) == NULL)
        ret = write_file_data (lw, full, r, err);
      archive_entry_free (e);
      if (ret < 0)
        return -1;
      if (S_ISDIR (st.st_mode))
        {
          if (lgetxattr (full, "trusted.overlay.opaque", opq, sizeof opq) == 1 && opq[0] == 'y')
            {
              cleanup_free char *marker = xasprintf ("%s/.wh..wh..opq", r);
              if (write_marker (lw, marker, err) < 0)
                return -1;
            }
          if (walk (lw, upper, r, err) < 0)
            return -1;
        }
    }
  return 0;
}

int
image_upper_write_layer (struct image_store *s, const struct image_container *c, const char *upper, bool zstd,
                         char digest[IMAGE_DIGEST_LEN], char diff_id[IMAGE_DIGEST_LEN], int64_t *size,
                         skiff_error_t *err)
{
  struct layer_writer lw = { .c = c, .err = err };
  struct archive_entry *raw = NULL;
  int compress_ret = 0, ret = -1;

  if (image_store_blob_begin (s, &lw.blob, err) < 0)
    return -1;
  lw.diff = image_digester_new ();
  lw.tar = archive_write_new ();
  archive_write_set_format_pax_restricted (lw.tar);
  /* No padding to 10 KiB records: the layer ends where its tar ends.  */
  archive_write_set_bytes_in_last_block (lw.tar, 1);
  if (zstd)
    {
      lw.compressed = archive_write_new ();
      archive_write_set_format_raw (lw.compressed);
      archive_write_add_filter_zstd (lw.compressed);
      archive_write_set_bytes_in_last_block (lw.compressed, 1);
      raw = archive_entry_new ();
      archive_entry_set_filetype (raw, AE_IFREG);
      archive_entry_set_pathname (raw, "layer.tar");
      if (archive_write_open (lw.compressed, &lw, NULL, to_blob, NULL) != ARCHIVE_OK
          || archive_write_header (lw.compressed, raw) != ARCHIVE_OK)
        compress_ret = skiff_error_plain (err, EIO, "layer: %s", archive_error_string (lw.compressed));
    }
  else
    /* Compression on the other cores, while this thread reads the files:
       it, not the reading, takes most of the time.  */
    compress_ret = image_gzip_writer_new (blob_sink, &lw, &lw.gz, err);

  if (compress_ret < 0)
    ; /* ERR says why */
  else if (archive_write_open (lw.tar, &lw, NULL, to_compressor, NULL) != ARCHIVE_OK)
    skiff_error_plain (err, EIO, "layer: %s", archive_error_string (lw.tar));
  else if (walk (&lw, upper, "", err) == 0)
    {
      if (archive_write_close (lw.tar) != ARCHIVE_OK)
        skiff_error_plain (err, EIO, "layer: %s", archive_error_string (lw.tar));
      else if (lw.gz)
        ret = image_gzip_finish (lw.gz, err);
      else if (archive_write_close (lw.compressed) != ARCHIVE_OK)
        skiff_error_plain (err, EIO, "layer: %s", archive_error_string (lw.compressed));
      else
        ret = 0;
    }
  archive_entry_free (raw);
  archive_write_free (lw.tar);
  image_gzip_writer_free (lw.gz);
  if (lw.compressed)
    archive_write_free (lw.compressed);
  image_digester_final (lw.diff, diff_id);
  image_digester_free (lw.diff);
  for (size_t i = 0; i < lw.n_links; i++)
    free (lw.links[i].name);
  free (lw.links);
  *size = lw.compressed_size;
  if (ret < 0)
    {
      image_blob_abort (lw.blob);
      return -1;
    }
  return image_blob_commit (lw.blob, NULL, lw.compressed_size, digest, err);
}

/* --- config and manifest ------------------------------------------------- */

static void
set_strv (char ***v, size_t *len, char **src, size_t n)
{
  for (size_t i = 0; i < *len; i++)
    free ((*v)[i]);
  free (*v);
  *v = xmalloc0 ((n + 1) * sizeof **v);
  for (size_t i = 0; i < n; i++)
    (*v)[i] = xstrdup (src[i]);
  *len = n;
}

/* "[\"a\",\"b\"]" (exec form) or a shell command (run by /bin/sh -c).  */
static int
parse_command (const char *arg, char ***out, size_t *n, skiff_error_t *err)
{
  const char *p = arg + strspn (arg, " ");
  if (*p == '[')
    {
      char ebuf[128];
      yajl_val v = yajl_tree_parse (p, ebuf, sizeof ebuf);
      if (v == NULL || !YAJL_IS_ARRAY (v))
        {
          if (v)
            yajl_tree_free (v);
          return skiff_error_plain (err, EINVAL, "`%s`: not a JSON array of strings", arg);
        }
      *n = v->u.array.len;
      *out = xmalloc0 ((*n + 1) * sizeof **out);
      for (size_t i = 0; i < *n; i++)
        {
          if (!YAJL_IS_STRING (v->u.array.values[i]))
            {
              yajl_tree_free (v);
              return skiff_error_plain (err, EINVAL, "`%s`: not a JSON array of strings", arg);
            }
          (*out)[i] = xstrdup (YAJL_GET_STRING (v->u.array.values[i]));
        }
      yajl_tree_free (v);
      return 0;
    }
  *n = 3;
  *out = xmalloc0 (4 * sizeof **out);
  (*out)[0] = xstrdup ("/bin/sh");
  (*out)[1] = xstrdup ("-c");
  (*out)[2] = xstrdup (p);
  return 0;
}

static int
apply_change (oci_image_config_config *cc, const char *change, skiff_error_t *err)
{
  cleanup_free char *word = xstrdup (change);
  char *arg = word + strcspn (word, " ");
  cleanup_strv char **v = NULL;
  size_t n = 0;

  if (*arg)
    *arg++ = '\0';
  arg += strspn (arg, " ");
  for (char *p = word; *p; p++)
    if (*p >= 'a' && *p <= 'z')
      *p = (char) (*p - 'a' + 'A');
  if (strcmp (word, "CMD") == 0 || strcmp (word, "ENTRYPOINT") == 0)
    {
      if (parse_command (arg, &v, &n, err) < 0)
        return skiff_error_wrap (err, "-c %s", word);
      if (word[0] == 'C')
        set_strv (&cc->cmd, &cc->cmd_len, v, n);
      else
        set_strv (&cc->entrypoint, &cc->entrypoint_len, v, n);
      return 0;
    }
  if (strcmp (word, "ENV") == 0 && strchr (arg, '='))
    {
      size_t klen = strcspn (arg, "=");
      for (size_t i = 0; i < cc->env_len; i++)
        if (strncmp (cc->env[i], arg, klen) == 0 && cc->env[i][klen] == '=')
          {
            free (cc->env[i]);
            cc->env[i] = xstrdup (arg);
            return 0;
          }
      cc->env = xrealloc (cc->env, (cc->env_len + 2) * sizeof *cc->env);
      cc->env[cc->env_len++] = xstrdup (arg);
      cc->env[cc->env_len] = NULL;
      return 0;
    }
  if (strcmp (word, "WORKDIR") == 0 && *arg == '/')
    {
      free (cc->working_dir);
      cc->working_dir = xstrdup (arg);
      return 0;
    }
  if (strcmp (word, "USER") == 0 && *arg)
    {
      free (cc->user);
      cc->user = xstrdup (arg);
      return 0;
    }
  if (strcmp (word, "STOPSIGNAL") == 0 && *arg)
    {
      free (cc->stop_signal);
      cc->stop_signal = xstrdup (arg);
      return 0;
    }
  if (strcmp (word, "LABEL") == 0 && strchr (arg, '='))
    {
      cleanup_free char *k = xasprintf ("%.*s", (int) strcspn (arg, "="), arg);
      if (cc->labels == NULL)
        cc->labels = oci_string_map_new ();
      if (cc->labels == NULL || oci_string_map_set (cc->labels, k, strchr (arg, '=') + 1) < 0)
        abort ();
      return 0;
    }
  return skiff_error_plain (err, EINVAL,
                            "-c `%s`: expected CMD, ENTRYPOINT, ENV K=V, WORKDIR /DIR, USER, LABEL K=V or STOPSIGNAL",
                            change);
}

static char *
now_rfc3339 (void)
{
  char buf[64];
  time_t t = time (NULL);
  struct tm tm;
  gmtime_r (&t, &tm);
  strftime (buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return xstrdup (buf);
}

static const char *
oci_layer_type (const char *media_type)
{
  /* A Docker schema 2 layer in an OCI manifest gets its OCI name.  */
  if (strcmp (media_type, "application/vnd.docker.image.rootfs.diff.tar.gzip") == 0)
    return IMAGE_MT_OCI_LAYER_GZIP;
  if (strcmp (media_type, "application/vnd.docker.image.rootfs.diff.tar") == 0)
    return IMAGE_MT_OCI_LAYER;
  return media_type;
}

static oci_image_descriptor *
descriptor (const char *media_type, const char *digest, int64_t size)
{
  oci_image_descriptor *d = xmalloc0 (sizeof *d);
  d->media_type = xstrdup (media_type);
  d->digest = xstrdup (digest);
  d->size = size;
  return d;
}

static int
put_json (struct image_store *s, char *json, char *perr, const char *what, char digest[IMAGE_DIGEST_LEN],
          skiff_error_t *err)
{
  int ret;
  if (json == NULL)
    ret = skiff_error_plain (err, EINVAL, "%s: %s", what, perr ? perr : "cannot generate");
  else
    ret = image_store_put_blob (s, json, strlen (json), NULL, digest, err);
  free (json);
  free (perr);
  return ret;
}

int
image_commit_write (struct image_store *s, struct image_info *info, const struct image_new_layer *layer,
                    oci_image_history *h, char image_id[IMAGE_DIGEST_LEN], char manifest[IMAGE_DIGEST_LEN],
                    int64_t *manifest_size, skiff_error_t *err)
{
  oci_image_config *cfg = info->config;
  oci_image_manifest *m = info->manifest;
  char *perr = NULL, *json;

  if (layer)
    {
      cfg->rootfs->diff_ids
          = xrealloc (cfg->rootfs->diff_ids, (cfg->rootfs->diff_ids_len + 2) * sizeof (char *));
      cfg->rootfs->diff_ids[cfg->rootfs->diff_ids_len++] = xstrdup (layer->diff_id);
      cfg->rootfs->diff_ids[cfg->rootfs->diff_ids_len] = NULL;
    }
  free (cfg->created);
  cfg->created = now_rfc3339 ();
  free (h->created);
  h->created = xstrdup (cfg->created);
  cfg->history = xrealloc (cfg->history, (cfg->history_len + 1) * sizeof *cfg->history);
  cfg->history[cfg->history_len++] = h;
  json = oci_image_config_generate_json (cfg, &perr);
  if (put_json (s, json, perr, "config", image_id, err) < 0)
    return -1;

  free (m->media_type);
  m->media_type = xstrdup (IMAGE_MT_OCI_MANIFEST);
  free (m->config->media_type);
  m->config->media_type = xstrdup (IMAGE_MT_OCI_CONFIG);
  free (m->config->digest);
  m->config->digest = xstrdup (image_id);
  {
    cleanup_free char *size_json = oci_image_config_generate_json (cfg, NULL);
    m->config->size = size_json ? (int64_t) strlen (size_json) : 0;
  }
  for (size_t i = 0; i < m->layers_len; i++)
    {
      const char *mt = oci_layer_type (m->layers[i]->media_type);
      if (mt != m->layers[i]->media_type)
        {
          char *copy = xstrdup (mt);
          free (m->layers[i]->media_type);
          m->layers[i]->media_type = copy;
        }
    }
  if (layer)
    {
      m->layers = xrealloc (m->layers, (m->layers_len + 1) * sizeof *m->layers);
      m->layers[m->layers_len++]
          = descriptor (layer->zstd ? IMAGE_MT_OCI_LAYER_ZSTD : IMAGE_MT_OCI_LAYER_GZIP, layer->digest, layer->size);
    }
  json = oci_image_manifest_generate_json (m, &perr);
  *manifest_size = json ? (int64_t) strlen (json) : 0;
  return put_json (s, json, perr, "manifest", manifest, err);
}

int
image_container_commit (struct image_store *s, const struct image_container *c,
                        const struct image_commit_options *o, char image_id[IMAGE_DIGEST_LEN], skiff_error_t *err)
{
  cleanup_image_info struct image_info info = { 0 };
  struct image_desc d = { 0 };
  struct image_new_layer layer = { .zstd = o->zstd };
  char manifest[IMAGE_DIGEST_LEN];
  cleanup_free char *upper = xasprintf ("%s/upper", c->dir);
  oci_image_history *h;
  int64_t manifest_size;
  int ret;

  ret = image_store_resolve (s, c->image_id, &d, err);
  if (ret == 0)
    ret = image_info_load (s, &d, &info, err);
  image_desc_clear (&d);
  if (ret < 0)
    return skiff_error_wrap (err, "the image of container %s", c->name);
  if (info.config->config == NULL)
    info.config->config = xmalloc0 (sizeof *info.config->config);
  for (size_t i = 0; o->changes && o->changes[i]; i++)
    if (apply_change (info.config->config, o->changes[i], err) < 0)
      return -1;

  if (image_upper_write_layer (s, c, upper, o->zstd, layer.digest, layer.diff_id, &layer.size, err) < 0)
    return skiff_error_wrap (err, "container %s", c->name);

  h = xmalloc0 (sizeof *h);
  h->created_by = xstrdup ("skiff-image commit");
  if (o->message)
    h->comment = xstrdup (o->message);
  if (image_commit_write (s, &info, &layer, h, image_id, manifest, &manifest_size, err) < 0)
    return -1;
  return image_store_tag (s, o->ref_name, manifest, IMAGE_MT_OCI_MANIFEST, manifest_size, err);
}
