/* skiff-image: output helpers shared by the listing commands.  */
#include <config.h>
#include "image_output.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "utils.h"

void
image_format_size (int64_t size, char *buf, size_t len)
{
  static const char *const units[] = { "B", "kB", "MB", "GB", "TB", "PB" };
  double v = (double) size;
  size_t u = 0;
  while (v >= 1000.0 && u + 1 < sizeof units / sizeof units[0])
    {
      v /= 1000.0;
      u++;
    }
  snprintf (buf, len, "%.3g %s", v, units[u]);
}

void
image_format_ago (time_t t, time_t now, char *buf, size_t len)
{
  static const struct
  {
    long long limit, unit;
    const char *name;
  } steps[] = {
    { 60, 1, "second" },
    { 3600, 60, "minute" },
    { 2 * 86400, 3600, "hour" },
    { 14 * 86400, 86400, "day" },
    { 60 * 86400, 7 * 86400, "week" },
    { 2 * 365 * 86400LL, 30 * 86400, "month" },
    { -1, 365 * 86400LL, "year" },
  };
  long long d = (long long) (now - t);
  if (d < 1)
    {
      snprintf (buf, len, "Less than a second ago");
      return;
    }
  for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
    if (steps[i].limit < 0 || d < steps[i].limit)
      {
        long long n = d / steps[i].unit;
        snprintf (buf, len, "%lld %s%s ago", n, steps[i].name, n == 1 ? "" : "s");
        return;
      }
}

void
image_split_ref (const char *ref_name, char **repo, char **tag)
{
  const char *at = strchr (ref_name, '@');
  const char *slash = strrchr (ref_name, '/');
  const char *colon = strrchr (slash ? slash : ref_name, ':');
  if (at)
    {
      *repo = strndup (ref_name, at - ref_name);
      *tag = xstrdup ("<none>");
    }
  else if (colon)
    {
      *repo = strndup (ref_name, colon - ref_name);
      *tag = xstrdup (colon + 1);
    }
  else
    {
      *repo = xstrdup (ref_name);
      *tag = xstrdup ("<none>");
    }
  if (*repo == NULL)
    *repo = xstrdup ("");
}

yajl_gen
image_json_new (void)
{
  yajl_gen g = yajl_gen_alloc (NULL);
  if (g == NULL)
    {
      fputs ("skiff-image: out of memory (yajl_gen)\n", stderr);
      abort ();
    }
  yajl_gen_config (g, yajl_gen_beautify, 1);
  yajl_gen_config (g, yajl_gen_indent_string, "    ");
  return g;
}

int
image_json_print (yajl_gen g, skiff_error_t *err)
{
  const unsigned char *buf;
  size_t len;
  if (yajl_gen_get_buf (g, &buf, &len) != yajl_gen_status_ok)
    return skiff_error_plain (err, EINVAL, "cannot generate JSON");
  if (fwrite (buf, 1, len, stdout) != len || (len && buf[len - 1] != '\n' && putchar ('\n') == EOF))
    return skiff_error_sys (err, "write to stdout");
  return 0;
}

void
image_json_str (yajl_gen g, const char *s)
{
  if (s)
    yajl_gen_string (g, (const unsigned char *) s, strlen (s));
  else
    yajl_gen_null (g);
}

void
image_json_kv (yajl_gen g, const char *key, const char *value)
{
  image_json_str (g, key);
  image_json_str (g, value);
}

void
image_json_kint (yajl_gen g, const char *key, long long value)
{
  image_json_str (g, key);
  yajl_gen_integer (g, value);
}
