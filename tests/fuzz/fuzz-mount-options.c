/* libFuzzer harness: mount options as a config's "options" array (the
   input split at NUL bytes and newlines) through skiff_parse_mount_options,
   the parser that reads untrusted mount entries in the container child.
   Built by `make fuzz`.  */
#include <config.h>

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>

#include "rootfs.h"
#include "utils.h"

#ifndef MOUNT_ATTR__ATIME
# define MOUNT_ATTR__ATIME 0x00000070
#endif

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  struct skiff_mount_options o;
  skiff_error_t err = NULL;
  char *buf = malloc (size + 1), **opts;
  size_t n = 0;

  if (buf == NULL)
    return 0;
  memcpy (buf, data, size);
  buf[size] = '\0';
  opts = calloc (size + 2, sizeof (char *));
  if (opts == NULL)
    {
      free (buf);
      return 0;
    }
  for (size_t i = 0, start = 0; i <= size; i++)
    if (i == size || buf[i] == '\0' || buf[i] == '\n')
      {
        buf[i] = '\0';
        opts[n++] = buf + start;
        start = i + 1;
      }
  memset (&o, 0, sizeof o);
  if (skiff_parse_mount_options (opts, n, &o, &err) == 0)
    {
      /* Set and cleared flags/attributes must not overlap (except the
         atime field, which mount_setattr takes as clear-mask + value).  */
      if ((o.flags & o.clear_flags) || (o.attr_set & o.attr_clr & ~(uint64_t) MOUNT_ATTR__ATIME))
        abort ();
      skiff_mount_options_clear (&o);
    }
  skiff_error_free (&err);
  free (opts);
  free (buf);
  return 0;
}
