/* Unit tests of skiff_parse_mount_options: every known option, fs data,
   conflicting options (the last wins).  */
#include <config.h>
#include <criterion/criterion.h>
#include <string.h>
#include <sys/mount.h>

#include "rootfs.h"

#ifndef MS_NOSYMFOLLOW
#define MS_NOSYMFOLLOW 256
#endif

static struct skiff_mount_options
parse_n (char **opts, size_t n)
{
  struct skiff_mount_options o;
  skiff_error_t err = NULL;
  int r = skiff_parse_mount_options (opts, n, &o, &err);
  cr_assert_eq (r, 0, "parse failed: %s", err ? err->msg : "?");
  return o;
}
#define PARSE(...)                                                                              \
  ({                                                                                             \
    char *opts_[] = { __VA_ARGS__ };                                                             \
    parse_n (opts_, sizeof opts_ / sizeof opts_[0]);                                             \
  })

struct flag_case
{
  const char *set, *clear;
  unsigned long flag;
};

static const struct flag_case flag_cases[] = {
  { "ro", "rw", MS_RDONLY },
  { "nosuid", "suid", MS_NOSUID },
  { "nodev", "dev", MS_NODEV },
  { "noexec", "exec", MS_NOEXEC },
  { "sync", "async", MS_SYNCHRONOUS },
  { "mand", "nomand", MS_MANDLOCK },
  { "noatime", "atime", MS_NOATIME },
  { "nodiratime", "diratime", MS_NODIRATIME },
  { "relatime", "norelatime", MS_RELATIME },
  { "strictatime", "nostrictatime", MS_STRICTATIME },
  { "lazytime", "nolazytime", MS_LAZYTIME },
  { "silent", "loud", MS_SILENT },
  { "nosymfollow", "symfollow", MS_NOSYMFOLLOW },
  { "iversion", "noiversion", MS_I_VERSION },
};

Test (mount_options, each_flag_and_its_opposite)
{
  for (size_t i = 0; i < sizeof flag_cases / sizeof flag_cases[0]; i++)
    {
      const struct flag_case *c = &flag_cases[i];
      struct skiff_mount_options o = PARSE ((char *) c->set);
      cr_expect_eq (o.flags, c->flag, "%s", c->set);
      cr_expect_eq (o.clear_flags, 0, "%s", c->set);
      cr_expect_null (o.data, "%s", c->set);
      skiff_mount_options_clear (&o);

      o = PARSE ((char *) c->clear);
      cr_expect_eq (o.flags, 0, "%s", c->clear);
      cr_expect_eq (o.clear_flags, c->flag, "%s", c->clear);
      skiff_mount_options_clear (&o);
    }
}

Test (mount_options, dirsync_remount_defaults)
{
  struct skiff_mount_options o = PARSE ("dirsync", "remount", "defaults");
  cr_expect_eq (o.flags, MS_DIRSYNC | MS_REMOUNT);
  cr_expect_null (o.data);
  skiff_mount_options_clear (&o);
}

Test (mount_options, last_wins)
{
  struct skiff_mount_options o = PARSE ("ro", "rw");
  cr_expect_eq (o.flags & MS_RDONLY, 0);
  cr_expect_eq (o.clear_flags, MS_RDONLY);
  skiff_mount_options_clear (&o);

  o = PARSE ("rw", "nosuid", "ro");
  cr_expect_eq (o.flags, MS_RDONLY | MS_NOSUID);
  cr_expect_eq (o.clear_flags, 0);
  skiff_mount_options_clear (&o);

  o = PARSE ("rshared", "private");
  cr_expect_eq (o.propagation, MS_PRIVATE);
  skiff_mount_options_clear (&o);

  o = PARSE ("rro", "rrw");
  cr_expect_eq (o.attr_set, 0);
  cr_expect_eq (o.attr_clr, MOUNT_ATTR_RDONLY);
  skiff_mount_options_clear (&o);

  o = PARSE ("rnoatime", "rstrictatime");
  cr_expect_eq (o.attr_set, MOUNT_ATTR_STRICTATIME);
  cr_expect_eq (o.attr_clr, MOUNT_ATTR__ATIME);
  skiff_mount_options_clear (&o);
}

Test (mount_options, bind_and_rbind)
{
  struct skiff_mount_options o = PARSE ("bind");
  cr_expect (o.bind);
  cr_expect_not (o.rbind);
  cr_expect_eq (o.flags, MS_BIND);
  skiff_mount_options_clear (&o);

  o = PARSE ("rbind", "ro");
  cr_expect (o.bind);
  cr_expect (o.rbind);
  cr_expect_eq (o.flags, MS_BIND | MS_REC | MS_RDONLY);
  skiff_mount_options_clear (&o);
}

Test (mount_options, propagation)
{
  static const struct
  {
    const char *name;
    unsigned long prop;
  } cases[] = {
    { "shared", MS_SHARED },          { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },            { "rslave", MS_SLAVE | MS_REC },
    { "private", MS_PRIVATE },        { "rprivate", MS_PRIVATE | MS_REC },
    { "unbindable", MS_UNBINDABLE },  { "runbindable", MS_UNBINDABLE | MS_REC },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      struct skiff_mount_options o = PARSE ((char *) cases[i].name);
      cr_expect_eq (o.propagation, cases[i].prop, "%s", cases[i].name);
      cr_expect_eq (o.flags, 0, "%s", cases[i].name);
      skiff_mount_options_clear (&o);
    }
}

Test (mount_options, recursive_attributes)
{
  static const struct
  {
    const char *name;
    uint64_t set, clr;
  } cases[] = {
    { "rro", MOUNT_ATTR_RDONLY, 0 },
    { "rrw", 0, MOUNT_ATTR_RDONLY },
    { "rnosuid", MOUNT_ATTR_NOSUID, 0 },
    { "rsuid", 0, MOUNT_ATTR_NOSUID },
    { "rnodev", MOUNT_ATTR_NODEV, 0 },
    { "rdev", 0, MOUNT_ATTR_NODEV },
    { "rnoexec", MOUNT_ATTR_NOEXEC, 0 },
    { "rexec", 0, MOUNT_ATTR_NOEXEC },
    { "rnodiratime", MOUNT_ATTR_NODIRATIME, 0 },
    { "rdiratime", 0, MOUNT_ATTR_NODIRATIME },
    { "rnoatime", MOUNT_ATTR_NOATIME, MOUNT_ATTR__ATIME },
    { "rrelatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
    { "rstrictatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
    { "ratime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
    { "rnorelatime", MOUNT_ATTR_STRICTATIME, MOUNT_ATTR__ATIME },
    { "rnostrictatime", MOUNT_ATTR_RELATIME, MOUNT_ATTR__ATIME },
  };
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      struct skiff_mount_options o = PARSE ((char *) cases[i].name);
      cr_expect (o.recursive_attr, "%s", cases[i].name);
      cr_expect_eq (o.attr_set, cases[i].set, "%s", cases[i].name);
      cr_expect_eq (o.attr_clr, cases[i].clr, "%s", cases[i].name);
      cr_expect_eq (o.flags, 0, "%s", cases[i].name);
      skiff_mount_options_clear (&o);
    }
}

Test (mount_options, combined_recursive)
{
  struct skiff_mount_options o = PARSE ("rro", "rnosuid", "rnodev", "rnoexec");
  cr_expect_eq (o.attr_set,
                MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
  cr_expect_eq (o.attr_clr, 0);
  skiff_mount_options_clear (&o);
}

Test (mount_options, unknown_options_are_data_in_order)
{
  struct skiff_mount_options o
      = PARSE ("nosuid", "size=64m", "mode=1777", "", "uid=5", "context=\"a,b\"");
  cr_expect_eq (o.flags, MS_NOSUID);
  cr_assert_not_null (o.data);
  cr_expect_str_eq (o.data, "size=64m,mode=1777,uid=5,context=\"a,b\"");
  skiff_mount_options_clear (&o);
  cr_expect_null (o.data);
}

Test (mount_options, idmap_and_tmpcopyup)
{
  struct skiff_mount_options o = PARSE ("idmap");
  cr_expect (o.idmap);
  cr_expect_not (o.ridmap);
  skiff_mount_options_clear (&o);

  o = PARSE ("ridmap", "tmpcopyup");
  cr_expect (o.idmap);
  cr_expect (o.ridmap);
  cr_expect (o.tmpcopyup);
  cr_expect_null (o.data);
  skiff_mount_options_clear (&o);
}

Test (mount_options, empty_list)
{
  struct skiff_mount_options o;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_parse_mount_options (NULL, 0, &o, &err), 0);
  cr_expect_eq (o.flags, 0);
  cr_expect_eq (o.propagation, 0);
  cr_expect_null (o.data);
}

Test (mount_options, null_option_is_an_error)
{
  char *opts[] = { "ro", NULL };
  struct skiff_mount_options o;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_parse_mount_options (opts, 2, &o, &err), 0);
  cr_assert_not_null (err);
  cr_expect (strstr (err->msg, "mount option 1") != NULL, "%s", err->msg);
  skiff_error_free (&err);
}

Test (mount_options, fstab_only_options_are_not_fs_data)
{
  struct skiff_mount_options o
      = PARSE ("noauto", "nofail", "_netdev", "x-systemd.automount", "comment=x", "size=1m");
  cr_expect_eq (o.flags, 0);
  cr_expect_str_eq (o.data, "size=1m");
  skiff_mount_options_clear (&o);
}
