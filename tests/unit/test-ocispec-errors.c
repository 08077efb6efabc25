/* libocispec unit tests: every class of bad input is refused with a clean
 * one-line message naming the document, the JSON path and the problem.  */

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ocispec/image.h"
#include "ocispec/runtime.h"

/* Parse DOC (LEN bytes) as config.json, expect failure and an error that
   contains each of the NULL-terminated substrings.  */
static void
expect_config_error_n (const char *doc, size_t len, ...)
{
  char *err = NULL;
  oci_config *c = oci_config_parse_data (doc, len, "config.json", &err);
  const char *sub;
  va_list ap;

  cr_assert_null (c, "accepted: %.200s", doc);
  cr_assert_not_null (err);
  cr_assert_null (strchr (err, '\n'), "multi-line error: %s", err);
  cr_assert_eq (strncmp (err, "config.json: ", 13), 0, "no name: %s", err);
  va_start (ap, len);
  while ((sub = va_arg (ap, const char *)) != NULL)
    cr_assert_not_null (strstr (err, sub), "error \"%s\" lacks \"%s\"", err, sub);
  va_end (ap);
  free (err);
}

#define expect_config_error(doc, ...)                                         \
  expect_config_error_n (doc, strlen (doc), __VA_ARGS__, NULL)

#define V "\"ociVersion\":\"1.2.0\""

Test (errors, wrong_type)
{
  expect_config_error ("{\"ociVersion\":1}",
                       "config.json: ociVersion: expected a string, got \"1\"");
  expect_config_error ("{" V ",\"process\":[]}",
                       "config.json: process: expected an object, got an array");
  expect_config_error ("{" V ",\"mounts\":{}}", "mounts: expected an array, got an object");
  expect_config_error ("{" V ",\"root\":{\"path\":\"r\",\"readonly\":\"yes\"}}",
                       "root.readonly: expected a boolean, got \"yes\"");
  expect_config_error ("{" V ",\"process\":{\"args\":[\"a\",null]}}",
                       "process.args[1]: expected a string, got null");
  expect_config_error ("{" V ",\"process\":{\"args\":[\"a\",true]}}",
                       "process.args[1]: expected a string, got true");
  expect_config_error ("{" V ",\"linux\":{\"sysctl\":{\"net.ipv4.ip_forward\":1}}}",
                       "config.json: linux.sysctl[\"net.ipv4.ip_forward\"]: "
                       "expected a string, got \"1\"");
  expect_config_error ("[]", "config.json: expected an object, got an array");
  expect_config_error ("\"x\"", "config.json: expected an object, got \"x\"");
}

Test (errors, integer_range)
{
  expect_config_error ("{" V ",\"process\":{\"rlimits\":["
                       "{\"type\":\"RLIMIT_CORE\",\"hard\":1,\"soft\":1},"
                       "{\"type\":\"RLIMIT_NOFILE\",\"hard\":-1,\"soft\":1}]}}",
                       "config.json: process.rlimits[1].hard: expected an unsigned "
                       "64-bit integer, got \"-1\"");
  expect_config_error ("{" V ",\"process\":{\"user\":{\"uid\":4294967296,\"gid\":0}}}",
                       "config.json: process.user.uid: expected an unsigned 32-bit "
                       "integer, got \"4294967296\"");
  expect_config_error ("{" V ",\"process\":{\"user\":{\"uid\":0,\"gid\":-1}}}",
                       "process.user.gid: expected an unsigned 32-bit integer");
  expect_config_error ("{" V ",\"process\":{\"user\":{\"uid\":0,\"gid\":0,"
                       "\"additionalGids\":[1,-2]}}}",
                       "process.user.additionalGids[1]: expected an unsigned 32-bit "
                       "integer, got \"-2\"");
  expect_config_error ("{" V ",\"linux\":{\"resources\":{\"memory\":{\"limit\":"
                       "9223372036854775808}}}}",
                       "linux.resources.memory.limit: expected a 64-bit integer");
  expect_config_error ("{" V ",\"linux\":{\"resources\":{\"memory\":{\"limit\":"
                       "-9223372036854775809}}}}",
                       "linux.resources.memory.limit: expected a 64-bit integer");
  expect_config_error ("{" V ",\"linux\":{\"resources\":{\"memory\":{\"swappiness\":-1}}}}",
                       "swappiness: expected an unsigned 64-bit integer, got \"-1\"");
  expect_config_error ("{" V ",\"linux\":{\"resources\":{\"cpu\":{\"shares\":"
                       "18446744073709551616}}}}",
                       "linux.resources.cpu.shares: expected an unsigned 64-bit integer");
  expect_config_error ("{" V ",\"linux\":{\"resources\":{\"blockIO\":{\"weight\":65536}}}}",
                       "linux.resources.blockIO.weight: expected an unsigned 16-bit integer");
  expect_config_error ("{" V ",\"process\":{\"oomScoreAdj\":2147483648}}",
                       "process.oomScoreAdj: expected an integer, got \"2147483648\"");
  expect_config_error ("{" V ",\"process\":{\"scheduler\":{\"policy\":\"p\","
                       "\"nice\":-2147483649}}}",
                       "process.scheduler.nice: expected a 32-bit integer");
}

Test (errors, float_for_int)
{
  expect_config_error ("{" V ",\"process\":{\"oomScoreAdj\":1.5}}",
                       "process.oomScoreAdj: expected an integer, got \"1.5\"");
  expect_config_error ("{" V ",\"hooks\":{\"poststop\":[{\"path\":\"/x\",\"timeout\":1e3}]}}",
                       "hooks.poststop[0].timeout: expected an integer, got \"1e3\"");
  expect_config_error ("{" V ",\"process\":{\"user\":{\"uid\":1.0,\"gid\":0}}}",
                       "process.user.uid: expected an unsigned 32-bit integer, got \"1.0\"");
  expect_config_error ("{" V ",\"process\":{\"user\":{\"uid\":\"0\",\"gid\":0}}}",
                       "process.user.uid: expected an unsigned 32-bit integer, got \"0\"");
}

Test (errors, missing_required)
{
  char *err = NULL;

  expect_config_error ("{}", "config.json: ociVersion: required field missing");
  expect_config_error ("{\"ociVersion\":null}", "ociVersion: required field missing");
  expect_config_error ("{" V ",\"mounts\":[{\"destination\":\"/a\"},{\"type\":\"tmpfs\"}]}",
                       "config.json: mounts[1].destination: required field missing");
  expect_config_error ("{" V ",\"root\":{}}", "root.path: required field missing");
  expect_config_error ("{" V ",\"linux\":{\"namespaces\":[{\"path\":\"/x\"}]}}",
                       "linux.namespaces[0].type: required field missing");
  expect_config_error ("{" V ",\"hooks\":{\"prestart\":[{}]}}",
                       "hooks.prestart[0].path: required field missing");
  expect_config_error ("{" V ",\"linux\":{\"uidMappings\":[{\"containerID\":0,\"hostID\":0}]}}",
                       "linux.uidMappings[0].size: required field missing");
  expect_config_error ("{" V ",\"linux\":{\"devices\":[{\"type\":\"c\"}]}}",
                       "linux.devices[0].path: required field missing");
  expect_config_error ("{" V ",\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"hard\":1}]}}",
                       "process.rlimits[0].soft: required field missing");
  expect_config_error ("{" V ",\"linux\":{\"seccomp\":{\"defaultAction\":\"SCMP_ACT_ALLOW\","
                       "\"syscalls\":[{\"action\":\"SCMP_ACT_LOG\"}]}}}",
                       "linux.seccomp.syscalls[0].names: required field missing");
  expect_config_error ("{" V ",\"linux\":{\"resources\":{\"devices\":[{\"access\":\"r\"}]}}}",
                       "linux.resources.devices[0].allow: required field missing");

  cr_assert_null (oci_state_parse_data ("{\"ociVersion\":\"1\",\"id\":\"x\"}", strlen ("{\"ociVersion\":\"1\",\"id\":\"x\"}"),
                                        "state.json", &err));
  cr_assert_str_eq (err, "state.json: status: required field missing");
  free (err);
  cr_assert_null (oci_image_descriptor_parse_data ("{\"mediaType\":\"m\",\"size\":1}", strlen ("{\"mediaType\":\"m\",\"size\":1}"),
                                                   "desc.json", &err));
  cr_assert_str_eq (err, "desc.json: digest: required field missing");
  free (err);
  cr_assert_null (oci_image_config_parse_data ("{\"architecture\":\"a\",\"os\":\"l\"}", strlen ("{\"architecture\":\"a\",\"os\":\"l\"}"),
                                               "img.json", &err));
  cr_assert_str_eq (err, "img.json: rootfs: required field missing");
  free (err);
}

Test (errors, bad_utf8)
{
  const char doc[] = "{" V ",\"hostname\":\"a\xff\xfe\"}";
  const char key[] = "{" V ",\"x\xc3\":1}";
  /* yajl's check is structural only; these are caught by ours.  */
  const char overlong[] = "{" V ",\"hostname\":\"\xc0\xaf\"}";
  const char surrogate[] = "{" V ",\n\"hostname\":\"\xed\xa0\x80\"}";
  const char too_big[] = "{" V ",\"hostname\":\"\xf4\x90\x80\x80\"}";
  const char bad_key[] = "{" V ",\"\xe0\x80\x80\":1}";
  const char late[] = "{" V ",\"hostname\":\"0123456789abcdef\xc3\xa9\xed\xbf\xbf\"}";

  expect_config_error_n (doc, sizeof doc - 1, "config.json: line 1: ",
                         "invalid bytes in UTF8 string", NULL);
  expect_config_error_n (key, sizeof key - 1, "invalid bytes in UTF8 string", NULL);
  expect_config_error_n (overlong, sizeof overlong - 1,
                         "config.json: line 1: invalid UTF-8 in string", NULL);
  expect_config_error_n (surrogate, sizeof surrogate - 1,
                         "config.json: line 2: invalid UTF-8 in string", NULL);
  expect_config_error_n (too_big, sizeof too_big - 1, "invalid UTF-8 in string", NULL);
  expect_config_error_n (bad_key, sizeof bad_key - 1, "invalid UTF-8 in object key", NULL);
  expect_config_error_n (late, sizeof late - 1, "invalid UTF-8 in string", NULL);
  /* Escapes: unpaired surrogates are refused, pairs decode to UTF-8.  */
  expect_config_error ("{" V ",\"hostname\":\"\\ud800\"}",
                       "config.json: line 1: unpaired UTF-16 surrogate escape");
  expect_config_error ("{" V ",\"hostname\":\"\\ud800\\u0041\"}",
                       "unpaired UTF-16 surrogate escape");
  expect_config_error ("{" V ",\n\"hostname\":\"\\udc00\"}",
                       "config.json: line 2: unpaired UTF-16 surrogate escape");
}

Test (parse, escapes)
{
  const char *doc = "{" V ",\"hostname\":\"\\\\ud800 \\ud83d\\ude00 \\u00e9\\n\"}";
  char *err = NULL;
  oci_config *c = oci_config_parse_data (doc, strlen (doc), "esc.json", &err);

  cr_assert_not_null (c, "%s", err);
  cr_assert_str_eq (c->hostname, "\\ud800 \xf0\x9f\x98\x80 \xc3\xa9\n");
  oci_config_free (c);
}

Test (errors, bad_utf8_generate)
{
  oci_config c = { 0 };
  char *err = NULL;

  c.oci_version = (char *) "1.2.0";
  c.hostname = (char *) "bad\xff";
  cr_assert_null (oci_config_generate_json (&c, &err));
  cr_assert_str_eq (err, "hostname: invalid UTF-8 in string");
  free (err);
  c.hostname = (char *) "overlong\xc0\xaf";
  cr_assert_null (oci_config_generate_json (&c, &err));
  cr_assert_str_eq (err, "hostname: invalid UTF-8 in string");
  free (err);
  c.hostname = NULL;
  c.oci_version = NULL;
  cr_assert_null (oci_config_generate_json (&c, &err));
  cr_assert_str_eq (err, "ociVersion: required field missing");
  free (err);
}

Test (errors, nul_in_string)
{
  expect_config_error ("{" V ",\"hostname\":\"a\\u0000b\"}",
                       "hostname: string contains a NUL character");
  expect_config_error ("{" V ",\"a\\u0000b\":1}", "line 1: object key contains a NUL");
}

Test (errors, truncated_and_garbage)
{
  expect_config_error ("{" V ",\"process\":{\"args\":[\"a\"", "config.json: line 1: ",
                       "premature EOF");
  expect_config_error ("{" V ",\n\"process\":{\n\"args\":[\"a\",", "config.json: line 3: ");
  expect_config_error ("{" V "} {}", "config.json: line 1: ", "trailing garbage");
  expect_config_error ("{" V ", /* c */ \"hostname\":\"x\"}", "config.json: line 1: ");
  expect_config_error ("{" V ",}", "config.json: line 1: ");
  expect_config_error ("{\"ociVersion\":\"1.2.0\"\n,\n\n\"hostname\":tru}",
                       "config.json: line 4: ", "lexical error");
}

Test (errors, empty)
{
  expect_config_error_n ("", 0, "config.json: empty document", NULL);
  expect_config_error ("  \n\t ", "config.json: empty document");
}

Test (errors, duplicate_keys)
{
  char *big;
  size_t i, n = 0;

  expect_config_error ("{\"ociVersion\":\"1\",\"ociVersion\":\"2\"}",
                       "config.json: line 1: duplicate key \"ociVersion\"");
  expect_config_error ("{" V ",\"annotations\":{\"a\":\"1\",\"b\":\"1\",\"a\":\"2\"}}",
                       "annotations: duplicate key \"a\"");
  expect_config_error ("{" V ",\"linux\":{\"x\":[{},{\"k\":1,\"k\":2}]}}",
                       "linux.x[1]: duplicate key \"k\"");
  /* Big objects take the sorting path.  */
  big = malloc (100000);
  n += (size_t) sprintf (big + n, "{" V ",\"annotations\":{");
  for (i = 0; i < 1000; i++)
    n += (size_t) sprintf (big + n, "\"k%zu\":\"v\",", i);
  sprintf (big + n, "\"k999\":\"again\"}}");
  expect_config_error (big, "annotations: duplicate key \"k999\"");
  free (big);
}

Test (errors, deep_nesting)
{
  const size_t depth = 10000;
  char *doc = malloc (6 * depth + 64), *p = doc;
  size_t i;

  p += sprintf (p, "{" V ",\"x\":");
  for (i = 0; i < depth; i++)
    *p++ = '[';
  for (i = 0; i < depth; i++)
    *p++ = ']';
  strcpy (p, "}");
  expect_config_error (doc, "config.json: line 1: ", "nested deeper than 127 levels");

  /* Objects too, and inside known fields.  */
  p = doc;
  p += sprintf (p, "{" V ",\"annotations\":");
  for (i = 0; i < depth; i++)
    p += sprintf (p, "{\"a\":");
  expect_config_error (doc, "nested deeper than 127 levels");
  free (doc);
}

/* The deepest accepted document can be written back.  */
Test (errors, max_nesting_roundtrips)
{
  char doc[512], *p = doc, *err = NULL, *json;
  oci_config *c;
  int i;

  p += sprintf (p, "{" V ",\"x\":");
  for (i = 0; i < 126; i++) /* + the root object = 127 levels */
    *p++ = '[';
  for (i = 0; i < 126; i++)
    *p++ = ']';
  strcpy (p, "}");
  c = oci_config_parse_data (doc, strlen (doc), "deep.json", &err);
  cr_assert_not_null (c, "%s", err);
  json = oci_config_generate_json (c, &err);
  cr_assert_not_null (json, "%s", err);
  cr_assert_str_eq (json, doc);
  free (json);
  oci_config_free (c);
}

Test (errors, huge_string_works)
{
  const size_t big = 10 * 1024 * 1024;
  char *doc = malloc (big + 64), *p, *err = NULL, *json;
  oci_config *c;

  p = doc + sprintf (doc, "{" V ",\"hostname\":\"");
  memset (p, 'h', big);
  strcpy (p + big, "\"}");
  c = oci_config_parse_data (doc, strlen (doc), "big.json", &err);
  cr_assert_not_null (c, "%s", err);
  cr_assert_eq (strlen (c->hostname), big);
  json = oci_config_generate_json (c, &err);
  cr_assert_not_null (json, "%s", err);
  cr_assert_str_eq (json, doc);
  free (json);
  oci_config_free (c);
  free (doc);
}

Test (errors, files)
{
  char path[] = "/tmp/test-ocispec-XXXXXX";
  char *err = NULL;
  int fd = mkstemp (path);

  cr_assert_geq (fd, 0);
  close (fd);
  cr_assert_null (oci_config_parse_file (path, &err));
  cr_assert_not_null (strstr (err, ": empty document"), "%s", err);
  cr_assert_eq (strncmp (err, path, strlen (path)), 0, "%s", err);
  free (err);
  unlink (path);

  cr_assert_null (oci_config_parse_file (OCISPEC_TESTDATA, &err));
  cr_assert_str_eq (err, OCISPEC_TESTDATA ": read: Is a directory");
  free (err);

  cr_assert_null (oci_config_parse_file ("/nonexistent/config.json", &err));
  cr_assert_str_eq (err, "/nonexistent/config.json: open: No such file or directory");
  free (err);
}

Test (errors, image_types)
{
  char *err = NULL;
  const char *m = "{\"schemaVersion\":2,\"config\":{\"mediaType\":\"m\",\"digest\":\"d\","
                  "\"size\":-1.5},\"layers\":[]}";
  const char *ic = "{\"architecture\":\"a\",\"os\":\"l\",\"rootfs\":{\"type\":\"layers\","
                   "\"diff_ids\":[]},\"config\":{\"ExposedPorts\":{\"80/tcp\":1}}}";

  cr_assert_null (oci_image_manifest_parse_data (m, strlen (m), "manifest.json", &err));
  cr_assert_str_eq (err, "manifest.json: config.size: expected a 64-bit integer, got \"-1.5\"");
  free (err);
  cr_assert_null (oci_image_config_parse_data (ic, strlen (ic), "config.json", &err));
  cr_assert_str_eq (err, "config.json: config.ExposedPorts[\"80/tcp\"]: expected an "
                         "object, got \"1\"");
  free (err);
}

/* Generation refuses structures it could not write back faithfully.  */
Test (errors, generate_bad_structures)
{
  oci_config c = { 0 };
  oci_process p = { 0 };
  oci_rlimit *rl[2] = { NULL, NULL };
  oci_rlimit r = { 0 };
  char *env[2] = { (char *) "A=1", NULL };
  char *k[1] = { (char *) "key" }, *v[1] = { NULL };
  oci_string_map m = { k, v, 1 };
  char *err = NULL;

  c.oci_version = (char *) "1.2.0";
  c.process = &p;
  p.cwd = (char *) "/";
  p.rlimits = rl;
  p.rlimits_len = 2;
  rl[0] = &r;
  r.type = (char *) "RLIMIT_CORE";
  cr_assert_null (oci_config_generate_json (&c, &err));
  cr_assert_str_eq (err, "process.rlimits[1]: NULL array element");
  free (err);

  p.rlimits_len = 1;
  p.env = env;
  p.env_len = 2;
  cr_assert_null (oci_config_generate_json (&c, &err));
  cr_assert_str_eq (err, "process.env[1]: NULL string in array");
  free (err);

  p.env_len = 1;
  c.annotations = &m;
  cr_assert_null (oci_config_generate_json (&c, &err));
  cr_assert_str_eq (err, "annotations: NULL key or value in map");
  free (err);

  c.annotations = NULL;
  r.type = NULL;
  cr_assert_null (oci_config_generate_json (&c, &err));
  cr_assert_str_eq (err, "process.rlimits[0].type: required field missing");
  free (err);

  r.type = (char *) "RLIMIT_CORE";
  r.hard = UINT64_MAX;
  {
    char *json = oci_config_generate_json (&c, &err);
    cr_assert_str_eq (json, "{\"ociVersion\":\"1.2.0\",\"process\":{\"env\":[\"A=1\"],"
                            "\"cwd\":\"/\",\"rlimits\":[{\"type\":\"RLIMIT_CORE\",\"soft\":0,"
                            "\"hard\":18446744073709551615}]}}");
    free (json);
  }
  cr_assert_null (oci_config_generate_json (NULL, &err));
  cr_assert_str_eq (err, "no document");
  free (err);
}
