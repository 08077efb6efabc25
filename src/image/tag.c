/* skiff-image tag IMAGE NEW-REF: another name for an image of the store. */
#include <config.h>

#include <errno.h>

#include "image_commands.h"
#include "ref.h"
#include "store.h"
#include "utils.h"

int
image_cmd_tag (struct image_cli *cli, int argc, char **argv, skiff_error_t *err)
{
  cleanup_store struct image_store *s = NULL;
  struct image_desc d = { 0 };
  struct image_ref ref = { 0 };
  cleanup_free char *name = NULL;
  int first, ret;

  first = image_parse_options (argc, argv, "", NULL, NULL, NULL, err);
  if (first <= 0)
    return first;
  if (argc - first != 2)
    return image_usage_error (err, argv[0], "expected IMAGE and NEW-REF");
  if (image_ref_parse (argv[first + 1], &ref, err) < 0)
    return skiff_error_wrap (err, "tag");
  if (ref.digest)
    {
      image_ref_clear (&ref);
      return skiff_error_plain (err, EINVAL, "tag: `%s`: a tag cannot name a digest", argv[first + 1]);
    }
  name = image_ref_string (&ref);
  image_ref_clear (&ref);

  if (image_store_open (cli->root, &s, err) < 0 || image_store_resolve (s, argv[first], &d, err) < 0)
    return skiff_error_wrap (err, "tag");
  ret = image_store_tag (s, name, d.manifest_digest, d.media_type, d.size, err);
  image_desc_clear (&d);
  return ret < 0 ? skiff_error_wrap (err, "tag") : 0;
}
