/* skiff: capability sets with libcap and prctl.  */
#include <config.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>

#include "caps.h"
#include "log.h"
#include "utils.h"

#ifndef PR_CAP_AMBIENT
#define PR_CAP_AMBIENT 47
#define PR_CAP_AMBIENT_RAISE 2
#define PR_CAP_AMBIENT_CLEAR_ALL 4
#endif

int
skiff_caps_last_cap (void)
{
  static int last = -1;
  cleanup_free char *buf = NULL;
  unsigned long long v;
  skiff_error_t err = NULL;

  if (last >= 0)
    return last;
  last = CAP_LAST_CAP;
  if (read_file_at (AT_FDCWD, "/proc/sys/kernel/cap_last_cap", &buf, NULL, &err) < 0)
    {
      skiff_error_free (&err);
      return last;
    }
  buf[strcspn (buf, "\n")] = '\0';
  if (parse_uint64 (buf, &v) == 0 && v < 64)
    last = (int) v;
  return last;
}

int
skiff_cap_from_name (const char *name)
{
  char lower[64];
  cap_value_t v;
  size_t i, n = strlen (name);

  /* The spec spells names "CAP_X"; refuse numbers and other spellings that
     libcap would also accept.  */
  if (strncmp (name, "CAP_", 4) != 0 || n < 5 || n >= sizeof lower)
    return -1;
  for (i = 0; i < n; i++)
    {
      if (!(isupper ((unsigned char) name[i]) || isdigit ((unsigned char) name[i]) || name[i] == '_'))
        return -1;
      lower[i] = (char) tolower ((unsigned char) name[i]);
    }
  lower[n] = '\0';
  if (isdigit ((unsigned char) lower[4]))
    return -1;
  if (cap_from_name (lower, &v) < 0 || v < 0 || v > 63)
    return -1;
  return v;
}

static int
parse_set (const char *field, char **names, size_t len, uint64_t *mask, skiff_error_t *err)
{
  int last = skiff_caps_last_cap ();
  size_t i;

  *mask = 0;
  for (i = 0; i < len; i++)
    {
      int v = skiff_cap_from_name (names[i]);
      if (v < 0)
        return skiff_error_make (err, 0, "process.capabilities.%s: unknown capability \"%s\"",
                                 field, names[i]);
      if (v > last)
        {
          skiff_debug ("process.capabilities.%s: %s is not supported by the running kernel "
                       "(last capability %d), skipped", field, names[i], last);
          continue;
        }
      *mask |= UINT64_C (1) << v;
    }
  return 0;
}

static char *cap_upper_name (int v);

int
skiff_caps_parse (const oci_capabilities *c, struct skiff_caps *out, skiff_error_t *err)
{
  uint64_t bad;

  memset (out, 0, sizeof *out);
  if (c == NULL)
    return 0;
  if (parse_set ("bounding", c->bounding, c->bounding_len, &out->bounding, err) < 0
      || parse_set ("effective", c->effective, c->effective_len, &out->effective, err) < 0
      || parse_set ("permitted", c->permitted, c->permitted_len, &out->permitted, err) < 0
      || parse_set ("inheritable", c->inheritable, c->inheritable_len, &out->inheritable, err) < 0
      || parse_set ("ambient", c->ambient, c->ambient_len, &out->ambient, err) < 0)
    return -1;
  /* capset(2) would refuse this in the child: say which capability.  */
  if ((bad = out->effective & ~out->permitted) != 0)
    {
      cleanup_free char *n = cap_upper_name (__builtin_ctzll (bad));
      return skiff_error_make (err, 0, "process.capabilities.effective: %s is not in the "
                               "permitted set", n ? n : "?");
    }
  /* The kernel cannot raise these; runc warns and goes on, and configs
     written for it rely on that.  */
  bad = out->ambient & ~(out->permitted & out->inheritable);
  for (int v = 0; bad && v < 64; v++)
    if (bad & (UINT64_C (1) << v))
      {
        cleanup_free char *n = cap_upper_name (v);
        skiff_warn ("process.capabilities.ambient: %s ignored, it is not in both the permitted "
                    "and inheritable sets", n ? n : "?");
      }
  out->ambient &= ~bad;
  return 0;
}

static char *
cap_upper_name (int v)
{
  char *n = cap_to_name (v);
  char *r, *p;

  if (n == NULL)
    return NULL;
  r = xstrdup (n);
  cap_free (n);
  for (p = r; *p; p++)
    *p = (char) toupper ((unsigned char) *p);
  return r;
}

int
skiff_caps_raise_effective (skiff_error_t *err)
{
  cap_t caps = cap_get_proc ();
  int last = skiff_caps_last_cap ();
  int v, ret = 0;

  if (caps == NULL)
    return skiff_error_sys (err, "cap_get_proc");
  for (v = 0; v <= last; v++)
    {
      cap_flag_value_t on = CAP_CLEAR;
      cap_value_t cv = v;
      if (cap_get_flag (caps, cv, CAP_PERMITTED, &on) == 0 && on == CAP_SET)
        cap_set_flag (caps, CAP_EFFECTIVE, 1, &cv, CAP_SET);
    }
  if (cap_set_proc (caps) < 0)
    ret = skiff_error_sys (err, "capset: raise the effective set");
  cap_free (caps);
  return ret;
}

int
skiff_caps_drop_bounding (const struct skiff_caps *c, skiff_error_t *err)
{
  int last = skiff_caps_last_cap ();
  int v;

  for (v = 0; v <= last; v++)
    {
      if (c->bounding & (UINT64_C (1) << v))
        continue;
      if (prctl (PR_CAPBSET_DROP, v, 0, 0, 0) < 0)
        {
          int e = errno;
          cleanup_free char *n = cap_upper_name (v);
          /* Already absent (EINVAL for an unknown cap) is what we want.  */
          if (e == EINVAL)
            continue;
          return skiff_error_make (err, e, "drop %s from the bounding set", n ? n : "capability");
        }
    }
  return 0;
}

static int
mask_to_flag (cap_t caps, uint64_t mask, cap_flag_t flag, int last)
{
  int v;

  for (v = 0; v <= last; v++)
    if (mask & (UINT64_C (1) << v))
      {
        cap_value_t cv = v;
        if (cap_set_flag (caps, flag, 1, &cv, CAP_SET) < 0)
          return -1;
      }
  return 0;
}

int
skiff_caps_set_final (const struct skiff_caps *c, skiff_error_t *err)
{
  int last = skiff_caps_last_cap ();
  cap_t caps = cap_init ();
  int v, ret = 0;

  if (caps == NULL)
    return skiff_error_sys (err, "cap_init");
  if (mask_to_flag (caps, c->effective, CAP_EFFECTIVE, last) < 0
      || mask_to_flag (caps, c->permitted, CAP_PERMITTED, last) < 0
      || mask_to_flag (caps, c->inheritable, CAP_INHERITABLE, last) < 0)
    {
      ret = skiff_error_sys (err, "cap_set_flag");
      goto out;
    }
  if (cap_set_proc (caps) < 0)
    {
      ret = skiff_error_sys (err, "capset: set the effective, permitted and inheritable sets");
      if ((c->effective & ~c->permitted) != 0)
        skiff_error_wrap (err, "the effective set is not a subset of the permitted set");
      goto out;
    }

  if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
    {
      ret = skiff_error_sys (err, "prctl PR_CAP_AMBIENT_CLEAR_ALL");
      goto out;
    }
  for (v = 0; v <= last; v++)
    {
      if (!(c->ambient & (UINT64_C (1) << v)))
        continue;
      if (prctl (PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, v, 0, 0) < 0)
        {
          cleanup_free char *n = cap_upper_name (v);
          ret = skiff_error_sys (err, "raise ambient capability %s", n ? n : "?");
          goto out;
        }
    }
out:
  cap_free (caps);
  return ret;
}

char **
skiff_caps_known_names (void)
{
  int last = skiff_caps_last_cap ();
  char **names = xmalloc0 (sizeof (char *) * (last + 2));
  int v, n = 0;

  for (v = 0; v <= last; v++)
    {
      char *name = cap_upper_name (v);
      /* libcap prints numbers for capabilities it has no name for.  */
      if (name == NULL || strncmp (name, "CAP_", 4) != 0)
        {
          free (name);
          continue;
        }
      names[n++] = name;
    }
  names[n] = NULL;
  return names;
}
