/* skiff-image: removing images (rmi, prune).  Index entries go first,
   under the store's lock; then the blobs that no remaining entry uses.  */
#include <config.h>
#include "remove.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "image.h"
#include "layer_store.h"
#include "ref.h"
#include "store_internal.h"
#include "utils.h"

static void
strv_add (char ***v, const char *s)
{
  size_t n = *v ? strv_len (*v) : 0;
  *v = xrealloc (*v, (n + 2) * sizeof **v);
  (*v)[n] = xstrdup (s);
  (*v)[n + 1] = NULL;
}

static bool
strv_has (char **v, const char *s)
{
  for (size_t i = 0; v && v[i]; i++)
    if (strcmp (v[i], s) == 0)
      return true;
  return false;
}

void
image_removal_clear (struct image_removal *r)
{
  strv_free (r->untagged);
  strv_free (r->deleted);
  memset (r, 0, sizeof *r);
}

/* Removes the blobs of REMOVED (an index of the entries just dropped) that
   IDX (what remains) does not reference, whatever their age.  */
static int
drop_blobs (struct image_store *s, const oci_image_index *removed, const oci_image_index *idx,
            struct image_removal *out, skiff_error_t *err)
{
  cleanup_strv char **cand = NULL, **kept = NULL;
  size_t ncand = 0, nkept = 0;

  if (image_store_referenced (s, removed, &cand, &ncand, err) < 0
      || image_store_referenced (s, idx, &kept, &nkept, err) < 0)
    return -1;
  for (size_t i = 0; i < ncand; i++)
    {
      struct stat st;
      if (image_digest_in (kept, nkept, cand[i]) || (i && strcmp (cand[i], cand[i - 1]) == 0))
        continue;
      if (fstatat (s->blobs_fd, cand[i] + 7, &st, 0) < 0)
        continue;
      if (unlinkat (s->blobs_fd, cand[i] + 7, 0) < 0 && errno != ENOENT)
        return skiff_error_sys (err, "remove blob %s", cand[i]);
      unlinkat (s->layerinfo_fd, cand[i] + 7, 0);
      out->blobs++;
      out->bytes += st.st_size;
    }
  return image_layers_gc (s, IMAGE_GC_GRACE, err);
}

/* Moves entry I of IDX to REMOVED.  */
static void
move_entry (oci_image_index *idx, size_t i, oci_image_index *removed)
{
  removed->manifests = xrealloc (removed->manifests, (removed->manifests_len + 1) * sizeof *removed->manifests);
  removed->manifests[removed->manifests_len++] = idx->manifests[i];
  memmove (&idx->manifests[i], &idx->manifests[i + 1], (idx->manifests_len - i - 1) * sizeof *idx->manifests);
  idx->manifests_len--;
}

static char *
entry_config (struct image_store *s, const oci_image_descriptor *d)
{
  char *config = NULL;
  cleanup_error skiff_error_t ignored = NULL;
  image_store_config_digest (s, d->digest, &config, &ignored);
  return config;
}

static bool
same_image (struct image_store *s, const oci_image_descriptor *d, const struct image_desc *target)
{
  cleanup_free char *config = NULL;
  if (strcmp (d->digest, target->manifest_digest) == 0)
    return true;
  config = entry_config (s, d);
  return config && target->config_digest && strcmp (config, target->config_digest) == 0;
}

static int
check_unused (struct image_store *s, const char *name, const char *config_digest, skiff_error_t *err)
{
  cleanup_strv char **users = NULL;
  cleanup_free char *list = NULL;

  if (config_digest == NULL)
    return 0;
  if (image_store_containers_using (s, config_digest, &users, err) < 0)
    return -1;
  if (users[0] == NULL)
    return 0;
  list = xstrdup (users[0]);
  for (size_t i = 1; users[i]; i++)
    {
      char *l = xasprintf ("%s, %s", list, users[i]);
      free (list);
      list = l;
    }
  return skiff_error_plain (err, EBUSY, "image `%s` is in use by container%s %s (use -f to remove it anyway)", name,
                            users[1] ? "s" : "", list);
}

int
image_store_rmi (struct image_store *s, const char *name, bool force, struct image_removal *out, skiff_error_t *err)
{
  struct image_desc d = { 0 };
  struct image_ref ref = { 0 };
  cleanup_free char *canonical = NULL;
  cleanup_close int lock = -1;
  oci_image_index *idx = NULL;
  oci_image_index removed = { .schema_version = 2 };
  bool by_name;
  size_t names = 0;
  int ret = -1;

  if (image_store_lock (s, &lock, err) < 0 || image_store_resolve (s, name, &d, err) < 0)
    return -1;
  if (image_ref_parse (name, &ref, NULL) == 0)
    {
      canonical = image_ref_string (&ref);
      image_ref_clear (&ref);
    }
  by_name = canonical && d.ref_name && strcmp (canonical, d.ref_name) == 0;

  if (!force && check_unused (s, name, d.config_digest, err) < 0)
    goto out;
  if (image_store_load_index (s, &idx, err) < 0)
    goto out;

  if (by_name)
    {
      size_t others = 0;
      image_index_untag (idx, d.ref_name);
      strv_add (&out->untagged, d.ref_name);
      /* The last name of a manifest goes with it (and the image with its
         last manifest).  */
      for (size_t i = 0; i < idx->manifests_len; i++)
        if (strcmp (idx->manifests[i]->digest, d.manifest_digest) == 0 && image_index_ref_name (idx->manifests[i]))
          others++;
      if (others == 0)
        for (size_t i = 0; i < idx->manifests_len; i++)
          if (strcmp (idx->manifests[i]->digest, d.manifest_digest) == 0)
            move_entry (idx, i--, &removed);
    }
  else
    {
      for (size_t i = 0; i < idx->manifests_len; i++)
        if (same_image (s, idx->manifests[i], &d) && image_index_ref_name (idx->manifests[i]))
          names++;
      if (names > 1 && !force)
        {
          skiff_error_plain (err, EINVAL,
                             "image `%s` has %zu names: remove them by name, or all of them with -f", name, names);
          goto out;
        }
      for (size_t i = 0; i < idx->manifests_len; i++)
        if (same_image (s, idx->manifests[i], &d))
          {
            const char *tag = image_index_ref_name (idx->manifests[i]);
            if (tag)
              strv_add (&out->untagged, tag);
            move_entry (idx, i--, &removed);
          }
    }
  /* The image is deleted when no manifest of it is left.  */
  if (removed.manifests_len && d.config_digest)
    {
      bool left = false;
      for (size_t i = 0; i < idx->manifests_len && !left; i++)
        left = same_image (s, idx->manifests[i], &d);
      if (!left)
        strv_add (&out->deleted, d.config_digest);
    }

  if (image_store_save_index (s, idx, err) < 0 || drop_blobs (s, &removed, idx, out, err) < 0)
    goto out;
  ret = 0;

out:
  for (size_t i = 0; i < removed.manifests_len; i++)
    oci_image_descriptor_free (removed.manifests[i]);
  free (removed.manifests);
  if (idx)
    oci_image_index_free (idx);
  image_desc_clear (&d);
  return ret < 0 ? skiff_error_wrap (err, "rmi %s", name) : 0;
}

static const char *
entry_parent (const oci_image_descriptor *d)
{
  return d->annotations ? oci_string_map_get (d->annotations, IMAGE_BUILD_PARENT_ANNOTATION) : NULL;
}

/* The manifests a tagged image was built from (its build's intermediate
   images, which are its cache): their parent annotations, followed.  */
static char **
build_ancestors (const oci_image_index *idx)
{
  char **v = NULL;
  for (size_t i = 0; i < idx->manifests_len; i++)
    {
      const char *p = image_index_ref_name (idx->manifests[i]) ? entry_parent (idx->manifests[i]) : NULL;
      while (p && !strv_has (v, p))
        {
          const char *next = NULL;
          strv_add (&v, p);
          for (size_t j = 0; j < idx->manifests_len && next == NULL; j++)
            if (strcmp (idx->manifests[j]->digest, p) == 0)
              next = entry_parent (idx->manifests[j]);
          p = next;
        }
    }
  return v;
}

int
image_store_prune (struct image_store *s, bool all, time_t grace, struct image_removal *out, skiff_error_t *err)
{
  cleanup_close int lock = -1;
  oci_image_index *idx = NULL;
  oci_image_index removed = { .schema_version = 2 };
  cleanup_strv char **needed = NULL;
  int ret = -1;

  if (image_store_lock (s, &lock, err) < 0 || image_store_load_index (s, &idx, err) < 0)
    return -1;
  if (!all)
    needed = build_ancestors (idx);
  for (size_t i = 0; i < idx->manifests_len; i++)
    {
      const char *tag = image_index_ref_name (idx->manifests[i]);
      cleanup_free char *config = NULL;
      cleanup_strv char **users = NULL;

      if (!all && (tag || strv_has (needed, idx->manifests[i]->digest)))
        continue;
      config = entry_config (s, idx->manifests[i]);
      if (config)
        {
          if (image_store_containers_using (s, config, &users, err) < 0)
            goto out;
          if (users[0])
            continue;
        }
      if (tag)
        strv_add (&out->untagged, tag);
      /* An image listed twice (two names) is deleted once.  */
      if (config && !strv_has (out->deleted, config))
        strv_add (&out->deleted, config);
      move_entry (idx, i--, &removed);
    }
  if (image_store_save_index (s, idx, err) < 0 || drop_blobs (s, &removed, idx, out, err) < 0
      || image_store_gc (s, grace, &out->blobs, &out->bytes, err) < 0)
    goto out;
  ret = 0;

out:
  for (size_t i = 0; i < removed.manifests_len; i++)
    oci_image_descriptor_free (removed.manifests[i]);
  free (removed.manifests);
  oci_image_index_free (idx);
  return ret < 0 ? skiff_error_wrap (err, "prune") : 0;
}
