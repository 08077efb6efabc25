/* skiff: parse config.json mount options into mount(2) flags, propagation,
   mount_setattr(2) attributes and fs data.  Later options win over earlier
   conflicting ones ("ro,rw" is rw), as with mount(8).  */
#include <config.h>
#include "rootfs.h"
#include "utils.h"

#include <errno.h>
#include <string.h>
#include <sys/mount.h>

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif
#ifndef MOUNT_ATTR_NOSYMFOLLOW
#define MOUNT_ATTR_NOSYMFOLLOW 0x00200000
#endif

enum opt_kind
{
  OPT_SET,      /* set FLAG */
  OPT_CLEAR,    /* clear FLAG */
  OPT_PROP,     /* propagation FLAG */
  OPT_ATTR_SET, /* mount_setattr: set FLAG (recursive) */
  OPT_ATTR_CLR, /* mount_setattr: clear FLAG (recursive) */
  OPT_ATIME,    /* mount_setattr: atime mode FLAG (an enum, not a bit) */
  OPT_BIND,
  OPT_RBIND,
  OPT_IDMAP,
  OPT_RIDMAP,
  OPT_TMPCOPYUP,
  OPT_IGNORE,
};

struct opt_def
{
  const char *name;
  enum opt_kind kind;
  unsigned long flag;
};

static const struct opt_def opt_defs[] = {
  { "defaults", OPT_IGNORE, 0 },
  { "ro", OPT_SET, MS_RDONLY },
  { "rw", OPT_CLEAR, MS_RDONLY },
  { "nosuid", OPT_SET, MS_NOSUID },
  { "suid", OPT_CLEAR, MS_NOSUID },
  { "nodev", OPT_SET, MS_NODEV },
  { "dev", OPT_CLEAR, MS_NODEV },
  { "noexec", OPT_SET, MS_NOEXEC },
  { "exec", OPT_CLEAR, MS_NOEXEC },
  { "sync", OPT_SET, MS_SYNCHRONOUS },
  { "async", OPT_CLEAR, MS_SYNCHRONOUS },
  { "dirsync", OPT_SET, MS_DIRSYNC },
  { "remount", OPT_SET, MS_REMOUNT },
  { "mand", OPT_SET, MS_MANDLOCK },
  { "nomand", OPT_CLEAR, MS_MANDLOCK },
  { "atime", OPT_CLEAR, MS_NOATIME },
  { "noatime", OPT_SET, MS_NOATIME },
  { "diratime", OPT_CLEAR, MS_NODIRATIME },
  { "nodiratime", OPT_SET, MS_NODIRATIME },
  { "relatime", OPT_SET, MS_RELATIME },
  { "norelatime", OPT_CLEAR, MS_RELATIME },
  { "strictatime", OPT_SET, MS_STRICTATIME },
  { "nostrictatime", OPT_CLEAR, MS_STRICTATIME },
  { "lazytime", OPT_SET, MS_LAZYTIME },
  { "nolazytime", OPT_CLEAR, MS_LAZYTIME },
  { "silent", OPT_SET, MS_SILENT },
  { "loud", OPT_CLEAR, MS_SILENT },
  { "nosymfollow", OPT_SET, MS_NOSYMFOLLOW },
  { "symfollow", OPT_CLEAR, MS_NOSYMFOLLOW },
  { "iversion", OPT_SET, MS_I_VERSION },
  { "noiversion", OPT_CLEAR, MS_I_VERSION },
  /* fstab(5) options mount(8) keeps to itself: never for the kernel.  */
  { "auto", OPT_IGNORE, 0 },
  { "noauto", OPT_IGNORE, 0 },
  { "nofail", OPT_IGNORE, 0 },
  { "_netdev", OPT_IGNORE, 0 },
  { "nouser", OPT_IGNORE, 0 },

  { "bind", OPT_BIND, 0 },
  { "rbind", OPT_RBIND, 0 },

  { "shared", OPT_PROP, MS_SHARED },
  { "rshared", OPT_PROP, MS_SHARED | MS_REC },
  { "slave", OPT_PROP, MS_SLAVE },
  { "rslave", OPT_PROP, MS_SLAVE | MS_REC },
  { "private", OPT_PROP, MS_PRIVATE },
  { "rprivate", OPT_PROP, MS_PRIVATE | MS_REC },
  { "unbindable", OPT_PROP, MS_UNBINDABLE },
  { "runbindable", OPT_PROP, MS_UNBINDABLE | MS_REC },

  { "rro", OPT_ATTR_SET, MOUNT_ATTR_RDONLY },
  { "rrw", OPT_ATTR_CLR, MOUNT_ATTR_RDONLY },
  { "rnosuid", OPT_ATTR_SET, MOUNT_ATTR_NOSUID },
  { "rsuid", OPT_ATTR_CLR, MOUNT_ATTR_NOSUID },
  { "rnodev", OPT_ATTR_SET, MOUNT_ATTR_NODEV },
  { "rdev", OPT_ATTR_CLR, MOUNT_ATTR_NODEV },
  { "rnoexec", OPT_ATTR_SET, MOUNT_ATTR_NOEXEC },
  { "rexec", OPT_ATTR_CLR, MOUNT_ATTR_NOEXEC },
  { "rnodiratime", OPT_ATTR_SET, MOUNT_ATTR_NODIRATIME },
  { "rdiratime", OPT_ATTR_CLR, MOUNT_ATTR_NODIRATIME },
  { "rnosymfollow", OPT_ATTR_SET, MOUNT_ATTR_NOSYMFOLLOW },
  { "rsymfollow", OPT_ATTR_CLR, MOUNT_ATTR_NOSYMFOLLOW },
  /* The kernel's atime setting is one value: "not X" picks the default
     (relatime), except norelatime which asks for full atime updates.  */
  { "rnoatime", OPT_ATIME, MOUNT_ATTR_NOATIME },
  { "ratime", OPT_ATIME, MOUNT_ATTR_RELATIME },
  { "rrelatime", OPT_ATIME, MOUNT_ATTR_RELATIME },
  { "rnorelatime", OPT_ATIME, MOUNT_ATTR_STRICTATIME },
  { "rstrictatime", OPT_ATIME, MOUNT_ATTR_STRICTATIME },
  { "rnostrictatime", OPT_ATIME, MOUNT_ATTR_RELATIME },

  { "idmap", OPT_IDMAP, 0 },
  { "ridmap", OPT_RIDMAP, 0 },
  { "tmpcopyup", OPT_TMPCOPYUP, 0 },
};

static const struct opt_def *
find_opt (const char *name)
{
  for (size_t i = 0; i < sizeof opt_defs / sizeof opt_defs[0]; i++)
    if (strcmp (opt_defs[i].name, name) == 0)
      return &opt_defs[i];
  return NULL;
}

static void
append_data (struct skiff_mount_options *o, const char *opt)
{
  if (o->data == NULL)
    {
      o->data = xstrdup (opt);
      return;
    }
  size_t a = strlen (o->data), b = strlen (opt);
  o->data = xrealloc (o->data, a + b + 2);
  o->data[a] = ',';
  memcpy (o->data + a + 1, opt, b + 1);
}

int
skiff_parse_mount_options (char *const *options, size_t n, struct skiff_mount_options *out,
                           skiff_error_t *err)
{
  memset (out, 0, sizeof *out);
  for (size_t i = 0; i < n; i++)
    {
      const char *opt = options[i];
      if (opt == NULL)
        {
          skiff_mount_options_clear (out);
          return skiff_error_make (err, EINVAL, "mount option %zu is null", i);
        }
      /* x-* and comment=: notes for userspace tools (mount(8)).  */
      if (*opt == '\0' || strncmp (opt, "x-", 2) == 0 || strncmp (opt, "comment=", 8) == 0)
        continue;

      const struct opt_def *d = find_opt (opt);
      if (d == NULL)
        {
          /* fs-specific ("size=64m", "mode=1777", "uid=5", "context=..."). */
          append_data (out, opt);
          continue;
        }
      switch (d->kind)
        {
        case OPT_SET:
          out->flags |= d->flag;
          out->clear_flags &= ~d->flag;
          break;
        case OPT_CLEAR:
          out->flags &= ~d->flag;
          out->clear_flags |= d->flag;
          break;
        case OPT_PROP:
          out->propagation = d->flag;
          break;
        case OPT_ATTR_SET:
          out->attr_set |= d->flag;
          out->attr_clr &= ~(uint64_t) d->flag;
          out->recursive_attr = true;
          break;
        case OPT_ATTR_CLR:
          out->attr_clr |= d->flag;
          out->attr_set &= ~(uint64_t) d->flag;
          out->recursive_attr = true;
          break;
        case OPT_ATIME:
          out->attr_set = (out->attr_set & ~(uint64_t) MOUNT_ATTR__ATIME) | d->flag;
          out->attr_clr |= MOUNT_ATTR__ATIME;
          out->recursive_attr = true;
          break;
        case OPT_BIND:
          out->bind = true;
          out->flags |= MS_BIND;
          break;
        case OPT_RBIND:
          out->bind = out->rbind = true;
          out->flags |= MS_BIND | MS_REC;
          break;
        case OPT_IDMAP:
          out->idmap = true;
          break;
        case OPT_RIDMAP:
          out->idmap = out->ridmap = true;
          break;
        case OPT_TMPCOPYUP:
          out->tmpcopyup = true;
          break;
        case OPT_IGNORE:
          break;
        }
    }
  return 0;
}

void
skiff_mount_options_clear (struct skiff_mount_options *o)
{
  free (o->data);
  memset (o, 0, sizeof *o);
}

char **
skiff_mount_option_names (void)
{
  size_t n = sizeof opt_defs / sizeof opt_defs[0], j = 0;
  char **v = xmalloc0 ((n + 1) * sizeof *v);
  for (size_t i = 0; i < n; i++)
    if (opt_defs[i].kind != OPT_IGNORE)
      v[j++] = xstrdup (opt_defs[i].name);
  return v;
}
