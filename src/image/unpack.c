/* skiff-image unpack IMAGE DIR: a standalone bundle, DIR/config.json and
   DIR/rootfs with the layers applied in a plain directory (no overlay, no
   link to the store), for users who copy it or hand it to another
   runtime.  */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "image.h"
#include "image_commands.h"
#include "layer.h"
#include "layer_store.h"
#include "runconfig.h"
#include "store.h"
#include "utils.h"

static void
oci_config_freep (oci_config **c)
{
  oci_config_free (*c);
}

/* DIR may exist only when empty: unpack never mixes with other files.  */
static int
make_bundle_dir (const char *dir, bool *created, skiff_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  struct dirent *de;

  *created = false;
  if (mkdir (dir, 0755) == 0)
    {
      *created = true;
      return 0;
    }
  if (errno != EEXIST)
    return skiff_error_sys (err, "mkdir `%s`", dir);
  d = opendir (dir);
  if (d == NULL)
    return skiff_error_sys (err, "open `%s`", dir);
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0)
      return skiff_error_plain (err, EEXIST, "`%s` is not empty", dir);
  return 0;
}

static int
unpack (struct image_store *s, const char *runtime, const char *name, const char *dir, skiff_error_t *err)
{
  cleanup_image_info struct image_info info = { 0 };
  oci_config *cfg __attribute__ ((cleanup (oci_config_freep))) = NULL;
  cleanup_free char *rootfs = xasprintf ("%s/rootfs", dir);
  cleanup_close int rootfd = -1;
  struct image_desc d = { 0 };
  /* A bundle is for editing: an image without a command keeps `skiff
     spec`'s.  */
  struct image_run_options o = { .command_optional = true };
  int ret;

  ret = image_store_resolve (s, name, &d, err);
  if (ret == 0)
    ret = image_info_load (s, &d, &info, err);
  image_desc_clear (&d);
  if (ret < 0)
    return -1;
  if (image_runconfig_default (runtime, dir, &cfg, err) < 0)
    return -1;
  if (mkdir (rootfs, 0755) < 0)
    return skiff_error_sys (err, "mkdir `%s`", rootfs);
  rootfd = open (rootfs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return skiff_error_sys (err, "open `%s`", rootfs);
  if (image_layers_apply (s, &info, rootfd, err) < 0)
    return -1;
  if (image_runconfig_apply (cfg, info.config, rootfd, &o, err) < 0)
    return -1;
  free (cfg->root->path);
  cfg->root->path = xstrdup ("rootfs");
  return image_runconfig_write (cfg, dir, err);
}

int
image_cmd_unpack (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  cleanup_store struct image_store *s = NULL;
  cleanup_close int dirfd = -1;
  const char *dir;
  bool created;
  int first;

  first = image_parse_options (argc, argv, "", NULL, NULL, NULL, err);
  if (first <= 0)
    return first;
  if (argc - first != 2)
    return image_usage_error (err, argv[0], "expected IMAGE and DIR");
  dir = argv[first + 1];
  if (image_store_open (cli->root, &s, err) < 0)
    return skiff_error_wrap (err, "unpack");
  if (make_bundle_dir (dir, &created, err) < 0)
    return skiff_error_wrap (err, "unpack");
  if (unpack (s, cli->runtime, argv[first], dir, err) == 0)
    return 0;

  /* Nothing half-made stays: what this command created goes.  */
  if (created)
    image_remove_at (AT_FDCWD, dir, NULL);
  else if ((dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
    {
      image_remove_at (dirfd, "rootfs", NULL);
      unlinkat (dirfd, "config.json", 0);
    }
  return skiff_error_wrap (err, "unpack %s", argv[first]);
}
