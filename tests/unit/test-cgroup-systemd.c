/* Unit tests of the pure parts of the systemd cgroup driver: the text
   values of org.systemd.property.* annotations and the cpu/node lists as
   systemd's bitmasks.  The driver itself runs against systemd in the VM
   (tests/vm/systemd-tests.sh).  */
#include <config.h>
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "cgroup_systemd.h"

static struct skiff_systemd_value
parse_ok (const char *text, char type)
{
  struct skiff_systemd_value v;
  skiff_error_t err = NULL;
  int r = skiff_systemd_parse_value (text, &v, &err);
  cr_assert_eq (r, 0, "parse `%s`: %s", text, err ? err->msg : "?");
  cr_assert_eq (v.type, type, "`%s`: type %c, want %c", text, v.type, type);
  return v;
}

static void
parse_fails (const char *text)
{
  struct skiff_systemd_value v;
  skiff_error_t err = NULL;
  cr_assert_lt (skiff_systemd_parse_value (text, &v, &err), 0, "`%s` accepted", text);
  cr_assert (strstr (err->msg, text), "error `%s` does not name `%s`", err->msg, text);
  skiff_error_free (&err);
}

Test (systemd, annotation_values)
{
  cr_assert (parse_ok ("true", 'b').b);
  cr_assert (!parse_ok ("false", 'b').b);
  cr_assert (parse_ok ("@b true", 'b').b);
  cr_assert_eq (parse_ok ("3", 'i').i, 3);
  cr_assert_eq (parse_ok ("-15", 'i').i, -15);
  cr_assert_eq (parse_ok ("uint64 10000000", 't').u, 10000000ULL);
  cr_assert_eq (parse_ok ("@t 18446744073709551615", 't').u, 18446744073709551615ULL);
  cr_assert_eq (parse_ok ("uint32 0x10", 'u').u, 16);
  cr_assert_eq (parse_ok ("int64 -1", 'x').i, -1);
  cr_assert_eq (parse_ok ("@q 65535", 'q').u, 65535);
  cr_assert_eq (parse_ok ("byte 255", 'y').i, 255);
  cr_assert_eq (parse_ok ("int16 -3", 'n').i, -3);
  cr_assert_float_eq (parse_ok ("0.5", 'd').d, 0.5, 1e-9);
  cr_assert_float_eq (parse_ok ("double 2", 'd').d, 2.0, 1e-9);

  struct skiff_systemd_value v = parse_ok ("'inactive-or-failed'", 's');
  cr_assert_str_eq (v.s, "inactive-or-failed");
  free (v.s);
  v = parse_ok ("\"it's\"", 's');
  cr_assert_str_eq (v.s, "it's");
  free (v.s);
  v = parse_ok ("string 'a\\'b'", 's');
  cr_assert_str_eq (v.s, "a'b");
  free (v.s);
  v = parse_ok ("  ''  ", 's');
  cr_assert_str_eq (v.s, "");
  free (v.s);

  parse_fails ("uint64 lots");
  parse_fails ("uint64 -1");
  parse_fails ("uint32 4294967296");
  parse_fails ("4294967296"); /* int32 by default */
  parse_fails ("byte 256");
  parse_fails ("@b 1");
  parse_fails ("uint64 'x'");
  parse_fails ("yes");
  parse_fails ("'unterminated");
  parse_fails ("'a'b'");
  parse_fails ("");
}

static void
mask_is (const char *list, const unsigned char *want, size_t n)
{
  unsigned char *bytes = NULL;
  size_t len = 0;
  skiff_error_t err = NULL;
  cr_assert_eq (skiff_systemd_cpu_mask (list, &bytes, &len, &err), 0, "`%s`: %s", list,
                err ? err->msg : "?");
  cr_assert_eq (len, n, "`%s`: %zu bytes, want %zu", list, len, n);
  cr_assert (n == 0 || memcmp (bytes, want, n) == 0, "`%s`: wrong bits", list);
  free (bytes);
}

Test (systemd, cpu_masks)
{
  mask_is ("0", (const unsigned char[]){ 0x01 }, 1);
  mask_is ("1", (const unsigned char[]){ 0x02 }, 1);
  mask_is ("0-2,7", (const unsigned char[]){ 0x87 }, 1);
  mask_is ("8", (const unsigned char[]){ 0x00, 0x01 }, 2);
  mask_is ("3,9-10", (const unsigned char[]){ 0x08, 0x06 }, 2);
  mask_is ("", NULL, 0);

  const char *bad[] = { "a", "1-", "2-1", "1,,2", "-1", "1 2", "70000" };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
    {
      unsigned char *bytes = NULL;
      size_t len;
      skiff_error_t err = NULL;
      cr_assert_lt (skiff_systemd_cpu_mask (bad[i], &bytes, &len, &err), 0, "`%s` accepted",
                    bad[i]);
      cr_assert (strstr (err->msg, bad[i]), "error `%s`", err->msg);
      cr_assert_null (bytes);
      skiff_error_free (&err);
    }
}
