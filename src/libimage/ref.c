/* skiff-image: parsing and normalising image references, following the
   grammar of the distribution reference format: a registry is the first
   path component when it contains '.' or ':' or is "localhost"; otherwise
   the image is on docker.io, where one-component names live in library/. */
#include <config.h>
#include "ref.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "digest.h"
#include "utils.h"

#define DEFAULT_REGISTRY "docker.io"

void
image_ref_clear (struct image_ref *r)
{
  free (r->registry);
  free (r->repository);
  free (r->tag);
  free (r->digest);
  memset (r, 0, sizeof *r);
}

static bool
is_alnum_lower (char c)
{
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* One path component: [a-z0-9]+ separated by '.', '_', "__" or runs of '-'. */
static bool
component_valid (const char *s, size_t n)
{
  size_t i = 0;
  if (n == 0 || !is_alnum_lower (s[0]) || !is_alnum_lower (s[n - 1]))
    return false;
  while (i < n)
    {
      if (is_alnum_lower (s[i]))
        {
          i++;
          continue;
        }
      size_t j = i;
      if (s[i] == '.')
        j++;
      else if (s[i] == '_')
        j += (i + 1 < n && s[i + 1] == '_') ? 2 : 1;
      else if (s[i] == '-')
        while (j < n && s[j] == '-')
          j++;
      else
        return false;
      if (j >= n || !is_alnum_lower (s[j]))
        return false;
      i = j;
    }
  return true;
}

static bool
repository_valid (const char *repo)
{
  const char *p = repo;
  if (*repo == '\0' || strlen (repo) > 255)
    return false;
  for (;;)
    {
      const char *slash = strchr (p, '/');
      size_t n = slash ? (size_t) (slash - p) : strlen (p);
      if (!component_valid (p, n))
        return false;
      if (slash == NULL)
        return true;
      p = slash + 1;
    }
}

static bool
tag_valid (const char *tag)
{
  size_t n = strlen (tag);
  if (n == 0 || n > 128 || !(isalnum ((unsigned char) tag[0]) || tag[0] == '_'))
    return false;
  for (size_t i = 1; i < n; i++)
    if (!(isalnum ((unsigned char) tag[i]) || tag[i] == '_' || tag[i] == '.' || tag[i] == '-'))
      return false;
  return true;
}

/* host[:port]: letters, digits, '-', '.', an optional numeric port.  */
static bool
registry_valid (const char *reg)
{
  const char *colon = strrchr (reg, ':');
  size_t n = colon ? (size_t) (colon - reg) : strlen (reg);
  if (n == 0)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!(isalnum ((unsigned char) reg[i]) || reg[i] == '-' || reg[i] == '.'))
      return false;
  if (colon)
    {
      if (colon[1] == '\0')
        return false;
      for (const char *p = colon + 1; *p; p++)
        if (!isdigit ((unsigned char) *p))
          return false;
    }
  return true;
}

int
image_ref_parse (const char *s, struct image_ref *out, skiff_error_t *err)
{
  cleanup_free char *copy = NULL;
  char *name, *at, *slash, *colon;
  struct image_ref r = { 0 };

  memset (out, 0, sizeof *out);
  if (s == NULL || *s == '\0')
    return skiff_error_plain (err, EINVAL, "invalid reference ``: empty");
  copy = xstrdup (s);
  name = copy;

  at = strchr (name, '@');
  if (at)
    {
      *at = '\0';
      if (!image_digest_valid (at + 1))
        return skiff_error_plain (err, EINVAL, "invalid reference `%s`: bad digest `%s`", s, at + 1);
      r.digest = xstrdup (at + 1);
    }

  slash = strchr (name, '/');
  if (slash && (memchr (name, '.', slash - name) || memchr (name, ':', slash - name)
                || (slash - name == 9 && strncmp (name, "localhost", 9) == 0)))
    {
      *slash = '\0';
      if (!registry_valid (name))
        {
          image_ref_clear (&r);
          return skiff_error_plain (err, EINVAL, "invalid reference `%s`: bad registry `%s`", s, name);
        }
      r.registry = xstrdup (strcmp (name, "index.docker.io") == 0 ? DEFAULT_REGISTRY : name);
      name = slash + 1;
    }
  else
    r.registry = xstrdup (DEFAULT_REGISTRY);

  /* The tag follows the last ':' of the last path component.  */
  slash = strrchr (name, '/');
  colon = strrchr (slash ? slash : name, ':');
  if (colon)
    {
      *colon = '\0';
      if (!tag_valid (colon + 1))
        {
          image_ref_clear (&r);
          return skiff_error_plain (err, EINVAL, "invalid reference `%s`: bad tag `%s`", s, colon + 1);
        }
      r.tag = xstrdup (colon + 1);
    }

  if (!repository_valid (name))
    {
      bool upper = false;
      for (const char *p = name; *p; p++)
        upper |= isupper ((unsigned char) *p) != 0;
      image_ref_clear (&r);
      return skiff_error_plain (err, EINVAL, "invalid reference `%s`: %s", s,
                                upper ? "repository name must be lowercase"
                                      : "bad repository name");
    }
  if (strcmp (r.registry, DEFAULT_REGISTRY) == 0 && strchr (name, '/') == NULL)
    r.repository = xasprintf ("library/%s", name);
  else
    r.repository = xstrdup (name);

  if (r.tag == NULL && r.digest == NULL)
    r.tag = xstrdup ("latest");
  *out = r;
  return 0;
}

char *
image_ref_string (const struct image_ref *r)
{
  if (r->digest)
    return xasprintf ("%s/%s@%s", r->registry, r->repository, r->digest);
  return xasprintf ("%s/%s:%s", r->registry, r->repository, r->tag ? r->tag : "latest");
}
