/* skiff-image: the auth file (see auth.h).  */
#include <config.h>
#include "auth.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/evp.h>
#include <yajl/yajl_gen.h>
#include <yajl/yajl_tree.h>

#include "utils.h"

char *
image_auth_default_path (void)
{
  const char *v = getenv ("REGISTRY_AUTH_FILE");
  if (v && *v)
    return xstrdup (v);
  v = getenv ("XDG_RUNTIME_DIR");
  if (v && *v)
    return xasprintf ("%s/containers/auth.json", v);
  return xasprintf ("/run/containers/%u/auth.json", (unsigned) getuid ());
}

/* Parse PATH; *TREE is NULL when the file does not exist.  */
static int
load (const char *path, yajl_val *tree, skiff_error_t *err)
{
  cleanup_free char *data = NULL;
  char ebuf[256] = "";

  *tree = NULL;
  if (read_file_at (AT_FDCWD, path, &data, NULL, err) < 0)
    {
      if (skiff_error_errno (err) == ENOENT)
        {
          skiff_error_free (err);
          return 0;
        }
      return skiff_error_wrap (err, "auth file");
    }
  *tree = yajl_tree_parse (data, ebuf, sizeof ebuf);
  if (*tree == NULL || !YAJL_IS_OBJECT (*tree))
    {
      char *nl = strchr (ebuf, '\n');
      if (nl)
        *nl = '\0';
      yajl_tree_free (*tree);
      *tree = NULL;
      return skiff_error_plain (err, EINVAL, "auth file `%s`: not a JSON object%s%s", path,
                                ebuf[0] ? ": " : "", ebuf);
    }
  return 0;
}

static yajl_val
auths_entry (yajl_val tree, const char *registry)
{
  static const char *auths_path[] = { "auths", NULL };
  yajl_val auths = yajl_tree_get (tree, auths_path, yajl_t_object);
  size_t i;

  if (auths == NULL)
    return NULL;
  for (i = 0; i < auths->u.object.len; i++)
    {
      const char *k = auths->u.object.keys[i];
      /* Docker writes "https://host/..." keys; compare the host part.  */
      if (strncmp (k, "https://", 8) == 0)
        k += 8;
      else if (strncmp (k, "http://", 7) == 0)
        k += 7;
      size_t n = strcspn (k, "/");
      if (strlen (registry) == n && strncmp (k, registry, n) == 0)
        return auths->u.object.values[i];
      if (strcmp (registry, "docker.io") == 0 && strncmp (k, "index.docker.io", n) == 0 && n == 15)
        return auths->u.object.values[i];
    }
  return NULL;
}

static int
lookup_in (const char *path, const char *registry, char **user, char **pass, skiff_error_t *err)
{
  static const char *auth_path[] = { "auth", NULL };
  yajl_val tree, entry, auth;
  unsigned char *dec;
  size_t in_len;
  int n, ret = 0;

  if (load (path, &tree, err) < 0)
    return -1;
  if (tree == NULL)
    return 0;
  entry = auths_entry (tree, registry);
  auth = entry ? yajl_tree_get (entry, auth_path, yajl_t_string) : NULL;
  if (auth != NULL)
    {
      const char *b64 = YAJL_GET_STRING (auth);
      char *colon;
      in_len = strlen (b64);
      dec = xmalloc (in_len + 1);
      n = EVP_DecodeBlock (dec, (const unsigned char *) b64, (int) in_len);
      if (n >= 0)
        {
          /* EVP_DecodeBlock counts the padding as zero bytes.  */
          while (in_len > 0 && b64[--in_len] == '=' && n > 0)
            n--;
          dec[n] = '\0';
        }
      colon = n >= 0 ? strchr ((char *) dec, ':') : NULL;
      if (colon == NULL)
        ret = skiff_error_plain (err, EINVAL, "auth file `%s`: the entry for %s is not base64 of USER:PASSWORD",
                                 path, registry);
      else
        {
          *colon = '\0';
          *user = xstrdup ((char *) dec);
          *pass = xstrdup (colon + 1);
          ret = 1;
        }
      explicit_bzero (dec, in_len + 1);
      free (dec);
    }
  yajl_tree_free (tree);
  return ret;
}

int
image_auth_lookup (const char *path, const char *registry, char **user, char **pass,
                   skiff_error_t *err)
{
  cleanup_free char *def = NULL, *docker = NULL;
  const char *home;
  int r;

  if (path)
    return lookup_in (path, registry, user, pass, err);
  def = image_auth_default_path ();
  r = lookup_in (def, registry, user, pass, err);
  if (r != 0)
    return r;
  home = getenv ("HOME");
  if (home == NULL || *home == '\0')
    return 0;
  docker = xasprintf ("%s/.docker/config.json", home);
  return lookup_in (docker, registry, user, pass, err);
}

/* Write V back as it was parsed.  */
static void
gen_value (yajl_gen g, yajl_val v)
{
  size_t i;
  switch (v->type)
    {
    case yajl_t_string:
      yajl_gen_string (g, (const unsigned char *) v->u.string, strlen (v->u.string));
      break;
    case yajl_t_number:
      yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
      break;
    case yajl_t_object:
      yajl_gen_map_open (g);
      for (i = 0; i < v->u.object.len; i++)
        {
          yajl_gen_string (g, (const unsigned char *) v->u.object.keys[i], strlen (v->u.object.keys[i]));
          gen_value (g, v->u.object.values[i]);
        }
      yajl_gen_map_close (g);
      break;
    case yajl_t_array:
      yajl_gen_array_open (g);
      for (i = 0; i < v->u.array.len; i++)
        gen_value (g, v->u.array.values[i]);
      yajl_gen_array_close (g);
      break;
    case yajl_t_true:
      yajl_gen_bool (g, 1);
      break;
    case yajl_t_false:
      yajl_gen_bool (g, 0);
      break;
    default:
      yajl_gen_null (g);
      break;
    }
}

static void
gen_str (yajl_gen g, const char *s)
{
  yajl_gen_string (g, (const unsigned char *) s, strlen (s));
}

/* Rewrite PATH from TREE with REGISTRY's entry replaced by AUTH (or
   dropped when AUTH is NULL).  */
static int
rewrite (const char *path, yajl_val tree, const char *registry, const char *auth, skiff_error_t *err)
{
  static const char *auths_path[] = { "auths", NULL };
  yajl_val auths = tree ? yajl_tree_get (tree, auths_path, yajl_t_object) : NULL;
  yajl_val old = tree ? auths_entry (tree, registry) : NULL;
  yajl_gen g = yajl_gen_alloc (NULL);
  cleanup_free char *dir = xstrdup (path), *base = xstrdup (path);
  cleanup_close int dfd = -1;
  const unsigned char *buf;
  size_t i, len;
  int ret;

  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_map_open (g);
  gen_str (g, "auths");
  yajl_gen_map_open (g);
  for (i = 0; auths && i < auths->u.object.len; i++)
    if (auths->u.object.values[i] != old)
      {
        gen_str (g, auths->u.object.keys[i]);
        gen_value (g, auths->u.object.values[i]);
      }
  if (auth)
    {
      gen_str (g, registry);
      yajl_gen_map_open (g);
      gen_str (g, "auth");
      gen_str (g, auth);
      yajl_gen_map_close (g);
    }
  yajl_gen_map_close (g);
  for (i = 0; tree && i < tree->u.object.len; i++)
    if (strcmp (tree->u.object.keys[i], "auths") != 0)
      {
        gen_str (g, tree->u.object.keys[i]);
        gen_value (g, tree->u.object.values[i]);
      }
  yajl_gen_map_close (g);
  yajl_gen_get_buf (g, &buf, &len);

  ret = mkdir_p (dirname (dir), 0700, err);
  if (ret == 0)
    {
      dfd = open (dir, O_DIRECTORY | O_PATH | O_CLOEXEC);
      if (dfd < 0)
        ret = skiff_error_sys (err, "open `%s`", dir);
    }
  if (ret == 0)
    ret = write_file_atomic_at (dfd, basename (base), buf, len, 0600, err);
  yajl_gen_free (g);
  if (ret < 0)
    return skiff_error_wrap (err, "auth file `%s`", path);
  return 0;
}

char *
image_auth_encode (const char *user, const char *pass)
{
  cleanup_free char *plain = xasprintf ("%s:%s", user, pass);
  size_t plen = strlen (plain);
  char *b64 = xmalloc (4 * ((plen + 2) / 3) + 1);

  EVP_EncodeBlock ((unsigned char *) b64, (const unsigned char *) plain, (int) plen);
  explicit_bzero (plain, plen);
  return b64;
}

int
image_auth_store (const char *path, const char *registry, const char *user, const char *pass,
                  skiff_error_t *err)
{
  cleanup_free char *def = path ? NULL : image_auth_default_path ();
  cleanup_free char *b64 = image_auth_encode (user, pass);
  yajl_val tree;
  int ret;

  if (path == NULL)
    path = def;
  if (load (path, &tree, err) < 0)
    return -1;
  ret = rewrite (path, tree, registry, (const char *) b64, err);
  yajl_tree_free (tree);
  return ret;
}

int
image_auth_remove (const char *path, const char *registry, skiff_error_t *err)
{
  cleanup_free char *def = path ? NULL : image_auth_default_path ();
  yajl_val tree;
  int ret = 0;

  if (path == NULL)
    path = def;
  if (load (path, &tree, err) < 0)
    return -1;
  if (tree && auths_entry (tree, registry))
    ret = rewrite (path, tree, registry, NULL, err) < 0 ? -1 : 1;
  yajl_tree_free (tree);
  return ret;
}
