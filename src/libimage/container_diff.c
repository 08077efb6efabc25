/* skiff-image: a container's changes (see container_diff.h).  */
#include <config.h>
#include "container_diff.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

#include "utils.h"

static bool
is_whiteout (const struct stat *st)
{
  return S_ISCHR (st->st_mode) && st->st_rdev == makedev (0, 0);
}

static bool
is_opaque (const char *dir)
{
  char v[2];
  return lgetxattr (dir, "trusted.overlay.opaque", v, sizeof v) == 1 && v[0] == 'y';
}

/* Whether PATH (relative, no leading slash) is in the image: the layers
   are read top down, component by component, as overlayfs merges them.  */
static bool
in_image (char *const *lowers, const char *path)
{
  size_t n = strv_len (lowers);
  for (size_t i = n; i > 0; i--)
    {
      bool authoritative = false;
      const char *p = path;
      for (;;)
        {
          const char *slash = strchr (p, '/');
          cleanup_free char *full = xasprintf ("%s/%.*s", lowers[i - 1], slash ? (int) (slash - path) : (int) strlen (path), path);
          struct stat st;
          if (lstat (full, &st) < 0)
            {
              if (authoritative)
                return false;
              break; /* this layer says nothing about PATH */
            }
          if (is_whiteout (&st))
            return false;
          if (slash == NULL)
            return true;
          if (!S_ISDIR (st.st_mode))
            return false;
          if (is_opaque (full))
            authoritative = true;
          p = slash + 1;
        }
    }
  return false;
}

struct walk
{
  const struct image_container *c;
  char *const *lowers;
  struct image_change *v;
  size_t n;
};

static void
add (struct walk *w, char kind, const char *rel)
{
  w->v = xrealloc (w->v, (w->n + 1) * sizeof *w->v);
  w->v[w->n].kind = kind;
  w->v[w->n].path = xasprintf ("/%s", rel);
  w->n++;
}

static int
walk_dir (struct walk *w, const char *upper, const char *rel, skiff_error_t *err)
{
  cleanup_free char *dir = *rel ? xasprintf ("%s/%s", upper, rel) : xstrdup (upper);
  cleanup_dir DIR *d = opendir (dir);
  struct dirent *de;

  if (d == NULL)
    return skiff_error_sys (err, "open `%s`", dir);
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      cleanup_free char *r = NULL, *full = NULL;
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      r = *rel ? xasprintf ("%s/%s", rel, de->d_name) : xstrdup (de->d_name);
      full = xasprintf ("%s/%s", upper, r);
      if (lstat (full, &st) < 0)
        return skiff_error_sys (err, "stat `%s`", full);
      if (image_container_runtime_made (w->c, upper, r))
        continue;
      if (is_whiteout (&st))
        {
          add (w, 'D', r);
          continue;
        }
      add (w, in_image (w->lowers, r) ? 'C' : 'A', r);
      if (S_ISDIR (st.st_mode) && walk_dir (w, upper, r, err) < 0)
        return -1;
    }
  if (errno)
    return skiff_error_sys (err, "readdir `%s`", dir);
  return 0;
}

static int
cmp_path (const void *a, const void *b)
{
  return strcmp (((const struct image_change *) a)->path, ((const struct image_change *) b)->path);
}

int
image_container_changes (const struct image_container *c, struct image_change **out, size_t *n,
                         skiff_error_t *err)
{
  cleanup_free char *upper = xasprintf ("%s/upper", c->dir);
  struct walk w = { .c = c, .lowers = c->lowers };

  if (walk_dir (&w, upper, "", err) < 0)
    {
      image_changes_free (w.v, w.n);
      return skiff_error_wrap (err, "container %s", c->name);
    }
  if (w.n > 0) /* no changes: no array at all */
    qsort (w.v, w.n, sizeof *w.v, cmp_path);
  *out = w.v;
  *n = w.n;
  return 0;
}

void
image_changes_free (struct image_change *v, size_t n)
{
  for (size_t i = 0; i < n; i++)
    free (v[i].path);
  free (v);
}
