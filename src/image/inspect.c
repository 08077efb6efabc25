/* skiff-image inspect IMAGE...: a JSON array, one object per image: ids,
   names, the manifest's digest and media type, the layers with their
   compressed and uncompressed sizes and diff ids, and the whole config.  */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <yajl/yajl_tree.h>

#include "image.h"
#include "image_commands.h"
#include "image_output.h"
#include "layerinfo.h"
#include "store.h"
#include "utils.h"

/* Writes a parsed document back as it is.  */
static void
gen_tree (yajl_gen g, yajl_val v)
{
  if (YAJL_IS_OBJECT (v))
    {
      yajl_gen_map_open (g);
      for (size_t i = 0; i < v->u.object.len; i++)
        {
          image_json_str (g, v->u.object.keys[i]);
          gen_tree (g, v->u.object.values[i]);
        }
      yajl_gen_map_close (g);
    }
  else if (YAJL_IS_ARRAY (v))
    {
      yajl_gen_array_open (g);
      for (size_t i = 0; i < v->u.array.len; i++)
        gen_tree (g, v->u.array.values[i]);
      yajl_gen_array_close (g);
    }
  else if (YAJL_IS_STRING (v))
    image_json_str (g, v->u.string);
  else if (YAJL_IS_NUMBER (v))
    yajl_gen_number (g, v->u.number.r, strlen (v->u.number.r));
  else if (YAJL_IS_TRUE (v))
    yajl_gen_bool (g, 1);
  else if (YAJL_IS_FALSE (v))
    yajl_gen_bool (g, 0);
  else
    yajl_gen_null (g);
}

static int
inspect_one (struct image_store *s, yajl_gen g, const char *name, skiff_error_t *err)
{
  struct image_desc d = { 0 };
  struct image_desc *all = NULL;
  cleanup_image_info struct image_info info = { 0 };
  char errbuf[256];
  yajl_val config;
  size_t n = 0;
  int64_t total = 0, compressed = 0;
  int ret;

  if (image_store_resolve (s, name, &d, err) < 0)
    return -1;
  ret = image_info_load (s, &d, &info, err);
  image_desc_clear (&d);
  if (ret < 0 || image_store_list (s, &all, &n, err) < 0)
    return skiff_error_wrap (err, "image `%s`", name);

  yajl_gen_map_open (g);
  image_json_kv (g, "Id", info.desc.config_digest + 7);
  image_json_kv (g, "Digest", info.desc.manifest_digest);
  image_json_str (g, "RepoTags");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < n; i++)
    if (all[i].ref_name && strcmp (all[i].manifest_digest, info.desc.manifest_digest) == 0)
      image_json_str (g, all[i].ref_name);
  yajl_gen_array_close (g);
  image_desc_list_free (all, n);
  image_json_kv (g, "Created", info.config->created);
  image_json_kv (g, "Architecture", info.config->architecture);
  image_json_kv (g, "Os", info.config->os);
  if (info.config->variant)
    image_json_kv (g, "Variant", info.config->variant);
  image_json_kv (g, "ManifestMediaType", info.desc.media_type);
  image_json_kint (g, "ManifestSize", (long long) info.desc.size);

  image_json_str (g, "Layers");
  yajl_gen_array_open (g);
  for (size_t i = 0; i < info.manifest->layers_len; i++)
    {
      const oci_image_descriptor *l = info.manifest->layers[i];
      char diff_id[IMAGE_DIGEST_LEN];
      int64_t usize;
      if (image_store_layer_info (s, l->digest, diff_id, &usize, err) < 0)
        return skiff_error_wrap (err, "image `%s`", name);
      yajl_gen_map_open (g);
      image_json_kv (g, "Digest", l->digest);
      image_json_kv (g, "MediaType", l->media_type);
      image_json_kint (g, "Size", (long long) l->size);
      image_json_kv (g, "DiffID", diff_id);
      image_json_kint (g, "UncompressedSize", (long long) usize);
      yajl_gen_map_close (g);
      total += usize;
      compressed += l->size;
    }
  yajl_gen_array_close (g);
  image_json_kint (g, "Size", (long long) total);
  image_json_kint (g, "CompressedSize", (long long) compressed);

  config = yajl_tree_parse (info.config_json, errbuf, sizeof errbuf);
  if (config == NULL)
    return skiff_error_plain (err, EINVAL, "image `%s`: config: %s", name, errbuf);
  image_json_str (g, "Config");
  gen_tree (g, config);
  yajl_tree_free (config);
  yajl_gen_map_close (g);
  return 0;
}

int
image_cmd_inspect (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  cleanup_store struct image_store *s = NULL;
  yajl_gen g;
  int first, ret = 0;

  first = image_parse_options (argc, argv, "", NULL, NULL, NULL, err);
  if (first <= 0)
    return first;
  if (first == argc)
    return image_usage_error (err, argv[0], "missing IMAGE");
  if (image_store_open (cli->root, &s, err) < 0)
    return skiff_error_wrap (err, "inspect");

  g = image_json_new ();
  yajl_gen_array_open (g);
  for (int i = first; i < argc && ret == 0; i++)
    ret = inspect_one (s, g, argv[i], err);
  yajl_gen_array_close (g);
  if (ret == 0)
    ret = image_json_print (g, err);
  yajl_gen_free (g);
  return ret < 0 ? skiff_error_wrap (err, "inspect") : 0;
}
