/* Unit tests of the build context: ignore rules, COPY/ADD source
   matching, the content hash and the copy into a root filesystem, in
   temporary directories.  The copy tests run as root (owners) and use
   hostile symlinks in the destination root to check that nothing is
   written outside it.  */
#include <config.h>
#include <criterion/criterion.h>
#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "build_context.h"
#include "layer.h"
#include "utils.h"

static char tmp[PATH_MAX];

static void
setup (void)
{
  snprintf (tmp, sizeof tmp, "/tmp/test-build-context.XXXXXX");
  cr_assert_not_null (mkdtemp (tmp));
}

static void
teardown (void)
{
  skiff_error_t err = NULL;
  if (image_remove_at (AT_FDCWD, tmp, &err) < 0)
    cr_log_warn ("remove %s: %s", tmp, err->msg);
  skiff_error_free (&err);
}

TestSuite (build_context, .init = setup, .fini = teardown);

static char *
at (const char *fmt, ...)
{
  static char bufs[8][PATH_MAX];
  static int next;
  char rel[PATH_MAX / 2];
  va_list ap;
  char *b = bufs[next++ % 8];

  va_start (ap, fmt);
  vsnprintf (rel, sizeof rel, fmt, ap);
  va_end (ap);
  cr_assert_lt (strlen (tmp) + strlen (rel) + 2, (size_t) PATH_MAX);
  snprintf (b, PATH_MAX, "%.1024s/%s", tmp, rel);
  return b;
}

/* Creates the file PATH (under tmp) with TEXT, its parents too.  */
static void
put (const char *path, const char *text, mode_t mode)
{
  char *p = at ("%s", path), *slash = strrchr (p, '/');
  skiff_error_t err = NULL;
  int fd;

  *slash = '\0';
  cr_assert_eq (mkdir_p (p, 0755, &err), 0, "%s", err ? err->msg : "");
  *slash = '/';
  fd = open (p, O_WRONLY | O_CREAT | O_TRUNC, mode);
  cr_assert_geq (fd, 0, "create %s: %m", p);
  cr_assert_eq (write_all (fd, text, strlen (text)), (ssize_t) strlen (text));
  cr_assert_eq (fchmod (fd, mode), 0);
  close (fd);
}

static void
mkdirs (const char *path)
{
  skiff_error_t err = NULL;
  cr_assert_eq (mkdir_p (at ("%s", path), 0755, &err), 0, "%s", err ? err->msg : "");
}

static void
link_ (const char *target, const char *path)
{
  cr_assert_eq (symlink (target, at ("%s", path)), 0, "symlink %s: %m", path);
}

static char *
slurp (const char *path)
{
  char *text = NULL;
  skiff_error_t err = NULL;
  if (read_file_at (AT_FDCWD, at ("%s", path), &text, NULL, &err) < 0)
    {
      skiff_error_free (&err);
      return NULL;
    }
  return text;
}

static void
assert_file (const char *path, const char *text)
{
  cleanup_free char *got = slurp (path);
  cr_assert_not_null (got, "%s is missing", path);
  cr_assert_str_eq (got, text, "%s", path);
}

static struct build_context *
open_ctx (const char *dir)
{
  struct build_context *c = NULL;
  skiff_error_t err = NULL;
  cr_assert_eq (build_context_open (at ("%s", dir), &c, &err), 0, "%s", err ? err->msg : "");
  return c;
}

/* --- ignore rules --------------------------------------------------------- */

Test (build_context, ignore_rules)
{
  cleanup_build_context struct build_context *c = NULL;

  put ("ctx/.containerignore",
       "# comments and blank lines are skipped\n\n*.log\n**/tmp\n/secret\n./docs/../notes/*.md\n"
       "build\n!build/keep.txt\n  vendor/**/*.o  \r\ncache/**\n",
       0644);
  put ("ctx/.dockerignore", "everything\n", 0644);
  c = open_ctx ("ctx");

  cr_assert (build_context_ignored (c, "x.log"));
  cr_assert_not (build_context_ignored (c, "dir/x.log"), "`*.log` is anchored at the root");
  cr_assert (build_context_ignored (c, "tmp"));
  cr_assert (build_context_ignored (c, "a/b/tmp"));
  cr_assert (build_context_ignored (c, "a/b/tmp/file"), "a directory rule covers its content");
  cr_assert (build_context_ignored (c, "secret"));
  cr_assert (build_context_ignored (c, "notes/a.md"));
  cr_assert_not (build_context_ignored (c, "docs/a.md"));
  cr_assert (build_context_ignored (c, "build"));
  cr_assert (build_context_ignored (c, "build/out.bin"));
  cr_assert_not (build_context_ignored (c, "build/keep.txt"), "the exception re-includes it");
  cr_assert (build_context_ignored (c, "vendor/x.o"), "`**` matches no directory too");
  cr_assert (build_context_ignored (c, "cache/a"));
  cr_assert (build_context_ignored (c, "cache/a/b"));
  cr_assert_not (build_context_ignored (c, "cache"), "`cache/**` is what is in cache");
  cr_assert (build_context_ignored (c, "vendor/a/b/x.o"));
  cr_assert_not (build_context_ignored (c, "vendor/a/b/x.c"));
  cr_assert_not (build_context_ignored (c, "everything"), ".containerignore wins over .dockerignore");
  cr_assert_not (build_context_ignored (c, "src/main.c"));
}

Test (build_context, ignore_last_rule_wins_and_dockerignore)
{
  cleanup_build_context struct build_context *c = NULL;

  put ("ctx/.dockerignore", "*.txt\n!important*.txt\nimportant-not.txt\n", 0644);
  c = open_ctx ("ctx");
  cr_assert (build_context_ignored (c, "a.txt"));
  cr_assert_not (build_context_ignored (c, "important.txt"));
  cr_assert (build_context_ignored (c, "important-not.txt"));
}

Test (build_context, no_ignore_file)
{
  cleanup_build_context struct build_context *c = NULL;
  mkdirs ("ctx");
  c = open_ctx ("ctx");
  cr_assert_not (build_context_ignored (c, "anything"));
}

/* --- matching ------------------------------------------------------------- */

static char **
match (struct build_context *c, const char *first, ...)
{
  char *srcs[16] = { (char *) first };
  char **out = NULL;
  skiff_error_t err = NULL;
  va_list ap;
  size_t n = 1;

  va_start (ap, first);
  while ((srcs[n] = va_arg (ap, char *)) != NULL)
    n++;
  va_end (ap);
  cr_assert_eq (build_context_match (c, srcs, &out, &err), 0, "%s: %s", first, err ? err->msg : "");
  return out;
}

static char *
match_error (struct build_context *c, const char *src)
{
  char *srcs[] = { (char *) src, NULL };
  char **out = NULL;
  skiff_error_t err = NULL;
  char *msg;

  cr_assert_lt (build_context_match (c, srcs, &out, &err), 0, "`%s` matched", src);
  msg = xstrdup (err->msg);
  skiff_error_free (&err);
  return msg;
}

static void
assert_strv (char **got, const char *want)
{
  cleanup_free char *joined = xstrdup ("");
  for (size_t i = 0; got[i]; i++)
    {
      char *j = xasprintf ("%s%s%s", joined, i ? " " : "", got[i]);
      free (joined);
      joined = j;
    }
  cr_assert_str_eq (joined, want);
}

Test (build_context, match_globs)
{
  cleanup_build_context struct build_context *c = NULL;
  cleanup_strv char **m1 = NULL, **m2 = NULL, **m3 = NULL, **m4 = NULL, **m5 = NULL;
  cleanup_free char *e1 = NULL, *e2 = NULL;

  put ("ctx/b.txt", "b", 0644);
  put ("ctx/a.txt", "a", 0644);
  put ("ctx/c.md", "c", 0644);
  put ("ctx/.hidden.txt", "h", 0644);
  put ("ctx/src/x.c", "x", 0644);
  put ("ctx/src/y.c", "y", 0644);
  put ("ctx/lib/z.c", "z", 0644);
  put ("ctx/skip.txt", "s", 0644);
  put ("ctx/.containerignore", "skip.txt\nonly-ignored*\n", 0644);
  put ("ctx/only-ignored.bin", "i", 0644);
  c = open_ctx ("ctx");

  m1 = match (c, "*.txt", NULL);
  assert_strv (m1, ".hidden.txt a.txt b.txt");
  m2 = match (c, "*/?.c", "./c.md", NULL);
  assert_strv (m2, "c.md lib/z.c src/x.c src/y.c");
  m3 = match (c, "[ab].txt", "/a.txt", "src/../a.txt", NULL);
  assert_strv (m3, "a.txt b.txt");
  m4 = match (c, ".", NULL);
  assert_strv (m4, ".");
  m5 = match (c, "src", "s*/", NULL);
  assert_strv (m5, "src");

  e1 = match_error (c, "x*");
  cr_assert_str_eq (e1, "COPY source `x*`: no such file in the build context");
  e2 = match_error (c, "only-ignored.bin");
  cr_assert (strstr (e2, "no such file in the build context") && strstr (e2, "excluded"), "%s", e2);
}

Test (build_context, match_refuses_escapes)
{
  cleanup_build_context struct build_context *c = NULL;
  cleanup_free char *e1 = NULL, *e2 = NULL, *e3 = NULL, *e4 = NULL, *e5 = NULL;

  put ("outside.txt", "secret", 0644);
  put ("ctx/in.txt", "in", 0644);
  mkdirs ("ctx/sub");
  link_ ("/etc", "ctx/etc");
  link_ ("../../outside.txt", "ctx/sub/up");
  link_ ("/etc/passwd", "ctx/passwd");
  c = open_ctx ("ctx");

  e1 = match_error (c, "../outside.txt");
  cr_assert (strstr (e1, "outside the build context"), "%s", e1);
  e2 = match_error (c, "sub/../../outside.txt");
  cr_assert (strstr (e2, "outside the build context"), "%s", e2);
  e3 = match_error (c, "etc/passwd");
  cr_assert (strstr (e3, "leads outside the build context"), "%s", e3);
  e4 = match_error (c, "sub/up");
  cr_assert (strstr (e4, "leads outside the build context"), "%s", e4);
  e5 = match_error (c, "passwd");
  cr_assert (strstr (e5, "leads outside the build context"), "%s", e5);
}

Test (build_context, root_context_resolves_symlinks_inside)
{
  cleanup_build_context struct build_context *c = NULL;
  cleanup_strv char **m = NULL;
  skiff_error_t err = NULL;
  cleanup_free char *e = NULL;

  put ("stage/etc/os-release", "stage", 0644);
  link_ ("/etc", "stage/link");
  link_ ("../../../../../../etc", "stage/up");
  cr_assert_eq (build_context_open_root (at ("stage"), &c, &err), 0);
  m = match (c, "link/os-release", "up/os-release", NULL);
  assert_strv (m, "link/os-release up/os-release");
  cr_assert_not (build_context_ignored (c, "link"));
  e = match_error (c, "link/shadow");
  cr_assert (strstr (e, "no such file"), "%s", e);
}

/* --- hashing -------------------------------------------------------------- */

static void
hash (struct build_context *c, char *const *m, char out[IMAGE_DIGEST_LEN])
{
  skiff_error_t err = NULL;
  cr_assert_eq (build_context_hash (c, m, out, &err), 0, "%s", err ? err->msg : "");
}

Test (build_context, hash)
{
  cleanup_build_context struct build_context *c = NULL;
  cleanup_strv char **m = NULL;
  char h0[IMAGE_DIGEST_LEN], h1[IMAGE_DIGEST_LEN];
  struct timespec old[2] = { { .tv_sec = 1000000 }, { .tv_sec = 1000000 } };

  put ("ctx/app/a.txt", "alpha", 0644);
  put ("ctx/app/sub/b.txt", "beta", 0644);
  put ("ctx/app/junk.tmp", "junk", 0644);
  put ("ctx/.containerignore", "**/*.tmp\n", 0644);
  link_ ("a.txt", "ctx/app/link");
  c = open_ctx ("ctx");
  m = match (c, "app", NULL);

  hash (c, m, h0);
  cr_assert_eq (strncmp (h0, "sha256:", 7), 0);
  cr_assert_eq (strlen (h0), IMAGE_DIGEST_LEN - 1);

  cr_assert_eq (utimensat (AT_FDCWD, at ("ctx/app/a.txt"), old, 0), 0);
  cr_assert_eq (utimensat (AT_FDCWD, at ("ctx/app/sub"), old, 0), 0);
  hash (c, m, h1);
  cr_assert_str_eq (h0, h1, "mtimes are not part of the hash");

  put ("ctx/app/junk.tmp", "other junk", 0644);
  hash (c, m, h1);
  cr_assert_str_eq (h0, h1, "ignored files are not part of the hash");

  put ("ctx/app/sub/b.txt", "betA", 0644);
  hash (c, m, h1);
  cr_assert_str_neq (h0, h1, "content");
  put ("ctx/app/sub/b.txt", "beta", 0644);
  hash (c, m, h1);
  cr_assert_str_eq (h0, h1);

  cr_assert_eq (chmod (at ("ctx/app/sub/b.txt"), 0755), 0);
  hash (c, m, h1);
  cr_assert_str_neq (h0, h1, "mode");
  cr_assert_eq (chmod (at ("ctx/app/sub/b.txt"), 0644), 0);

  cr_assert_eq (rename (at ("ctx/app/sub/b.txt"), at ("ctx/app/sub/c.txt")), 0);
  hash (c, m, h1);
  cr_assert_str_neq (h0, h1, "name");
  cr_assert_eq (rename (at ("ctx/app/sub/c.txt"), at ("ctx/app/sub/b.txt")), 0);

  cr_assert_eq (unlink (at ("ctx/app/link")), 0);
  link_ ("sub/b.txt", "ctx/app/link");
  hash (c, m, h1);
  cr_assert_str_neq (h0, h1, "symlink target");
}

/* --- copying -------------------------------------------------------------- */

/* Copies SRCS (matched in C) to DEST in the root directory ROOT (under
   tmp).  Returns build_context_copy's result; *MSG gets the error.  */
static int
copy_ (struct build_context *c, char *const *srcs, const char *root, const struct build_copy_options *o,
       char **msg)
{
  cleanup_strv char **m = NULL;
  cleanup_close int rootfd = -1;
  skiff_error_t err = NULL;
  int ret;

  cr_assert_eq (build_context_match (c, srcs, &m, &err), 0, "%s", err ? err->msg : "");
  mkdirs (root);
  rootfd = open (at ("%s", root), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  cr_assert_geq (rootfd, 0);
  ret = build_context_copy (c, m, rootfd, o, &err);
  if (msg)
    *msg = ret < 0 ? xstrdup (err->msg) : NULL;
  else
    cr_assert_eq (ret, 0, "%s", err ? err->msg : "");
  skiff_error_free (&err);
  return ret;
}

/* Options with --chmod absent; WORKDIR NULL is "/".  */
#define OPTS(...) (&(struct build_copy_options) { .chmod = (mode_t) -1, __VA_ARGS__ })
#define SRCS(...) ((char *[]) { __VA_ARGS__, NULL })

static struct stat
lstat_ (const char *path)
{
  struct stat st;
  cr_assert_eq (lstat (at ("%s", path), &st), 0, "%s: %m", path);
  return st;
}

static void
context_tree (void)
{
  struct timespec old[2] = { { .tv_sec = 1000000 }, { .tv_sec = 1000000 } };
  put ("ctx/file.txt", "file", 0640);
  put ("ctx/run.sh", "#!/bin/sh\n", 0755);
  put ("ctx/dir/a.txt", "a", 0600);
  put ("ctx/dir/sub/b.txt", "b", 0644);
  put ("ctx/dir/skip.o", "o", 0644);
  put ("ctx/.containerignore", "**/*.o\n", 0644);
  link_ ("sub/b.txt", "ctx/dir/link");
  link_ ("/nowhere/at/all", "ctx/dir/dangling");
  cr_assert_eq (link (at ("ctx/dir/a.txt"), at ("ctx/dir/hard")), 0);
  cr_assert_eq (chmod (at ("ctx/dir/sub"), 0750), 0);
  cr_assert_eq (utimensat (AT_FDCWD, at ("ctx/dir/sub/b.txt"), old, 0), 0);
  cr_assert_eq (utimensat (AT_FDCWD, at ("ctx/dir/sub"), old, 0), 0);
}

Test (build_context, copy_file_to_path_and_into_directory)
{
  cleanup_build_context struct build_context *c = NULL;
  context_tree ();
  mkdirs ("root/existing");
  c = open_ctx ("ctx");

  copy_ (c, SRCS ("file.txt"), "root", OPTS (.dest = "/new/name.txt"), NULL);
  assert_file ("root/new/name.txt", "file");
  cr_assert_eq (lstat_ ("root/new/name.txt").st_mode & 07777, 0640);
  cr_assert_eq (lstat_ ("root/new").st_mode & 07777, 0755);

  copy_ (c, SRCS ("file.txt"), "root", OPTS (.dest = "/existing"), NULL);
  assert_file ("root/existing/file.txt", "file");

  copy_ (c, SRCS ("file.txt"), "root", OPTS (.dest = "made/", .workdir = "/work"), NULL);
  assert_file ("root/work/made/file.txt", "file");

  /* onto an existing file: replaced */
  put ("root/over.txt", "old", 0644);
  copy_ (c, SRCS ("file.txt"), "root", OPTS (.dest = "over.txt"), NULL);
  assert_file ("root/over.txt", "file");
}

Test (build_context, copy_directory_contents)
{
  cleanup_build_context struct build_context *c = NULL;
  struct stat a, h;
  char target[PATH_MAX];
  ssize_t n;

  context_tree ();
  c = open_ctx ("ctx");
  copy_ (c, SRCS ("dir"), "root", OPTS (.dest = "/app"), NULL);

  cr_assert_eq (access (at ("root/app/dir"), F_OK), -1, "the directory's contents, not itself");
  assert_file ("root/app/a.txt", "a");
  assert_file ("root/app/sub/b.txt", "b");
  cr_assert_eq (access (at ("root/app/skip.o"), F_OK), -1, "ignored files are left out");
  cr_assert_eq (lstat_ ("root/app/a.txt").st_mode & 07777, 0600);
  cr_assert_eq (lstat_ ("root/app/sub").st_mode & 07777, 0750);
  cr_assert_eq (lstat_ ("root/app/sub/b.txt").st_mtim.tv_sec, 1000000, "mtimes are kept");
  cr_assert_eq (lstat_ ("root/app/sub").st_mtim.tv_sec, 1000000, "directory mtimes are kept");

  cr_assert (S_ISLNK (lstat_ ("root/app/link").st_mode), "symlinks are copied as symlinks");
  n = readlink (at ("root/app/link"), target, sizeof target - 1);
  cr_assert_gt (n, 0);
  target[n] = '\0';
  cr_assert_str_eq (target, "sub/b.txt");
  cr_assert (S_ISLNK (lstat_ ("root/app/dangling").st_mode));

  a = lstat_ ("root/app/a.txt");
  h = lstat_ ("root/app/hard");
  cr_assert_eq (a.st_ino, h.st_ino, "hardlinks are kept");
  cr_assert_eq (a.st_nlink, 2);
}

Test (build_context, copy_several_sources_and_context_root)
{
  cleanup_build_context struct build_context *c = NULL;
  context_tree ();
  c = open_ctx ("ctx");

  copy_ (c, SRCS ("file.txt", "run.sh"), "root", OPTS (.dest = "/several"), NULL);
  assert_file ("root/several/file.txt", "file");
  assert_file ("root/several/run.sh", "#!/bin/sh\n");
  cr_assert_eq (lstat_ ("root/several/run.sh").st_mode & 07777, 0755);

  copy_ (c, SRCS ("*.txt"), "root", OPTS (.dest = "/glob/"), NULL);
  assert_file ("root/glob/file.txt", "file");

  copy_ (c, SRCS ("."), "root", OPTS (.dest = "/all"), NULL);
  assert_file ("root/all/dir/sub/b.txt", "b");
  assert_file ("root/all/.containerignore", "**/*.o\n");
  cr_assert_eq (access (at ("root/all/dir/skip.o"), F_OK), -1);
}

Test (build_context, copy_chown_chmod)
{
  cleanup_build_context struct build_context *c = NULL;
  struct stat st;

  if (geteuid () != 0)
    cr_skip_test ("chown needs root");
  context_tree ();
  c = open_ctx ("ctx");
  copy_ (c, SRCS ("dir", "file.txt"), "root",
         &(struct build_copy_options) { .dest = "/owned/by/them/", .uid = 1234, .gid = 5678, .chmod = 0604 }, NULL);
  st = lstat_ ("root/owned/by/them/file.txt");
  cr_assert_eq (st.st_uid, 1234);
  cr_assert_eq (st.st_gid, 5678);
  cr_assert_eq (st.st_mode & 07777, 0604);
  st = lstat_ ("root/owned/by/them/sub");
  cr_assert_eq (st.st_uid, 1234);
  cr_assert_eq (st.st_mode & 07777, 0604);
  st = lstat_ ("root/owned/by/them/link");
  cr_assert_eq (st.st_uid, 1234, "symlinks are chowned too");
  st = lstat_ ("root/owned/by/them");
  cr_assert_eq (st.st_uid, 1234, "the destination the copy made gets the owner");
  cr_assert_eq (st.st_mode & 07777, 0755);
  st = lstat_ ("root/owned/by");
  cr_assert_eq (st.st_uid, 0, "missing parents are root's");
  cr_assert_eq (st.st_mode & 07777, 0755);
}

Test (build_context, copy_follows_image_symlinks_inside_the_root)
{
  cleanup_build_context struct build_context *c = NULL;
  char name[64], host[PATH_MAX];

  context_tree ();
  /* a usrmerged image, and hostile links pointing far up */
  mkdirs ("root/usr/bin");
  mkdirs ("root/usr/lib");
  link_ ("usr/bin", "root/bin");
  link_ ("/usr/lib", "root/lib");
  link_ ("/../../../../../../etc", "root/app");
  link_ ("../../../../../../../../tmp", "root/evil");
  mkdirs ("ctx/lib/sub");
  put ("ctx/lib/sub/libx.so", "elf", 0644);
  c = open_ctx ("ctx");

  copy_ (c, SRCS ("run.sh"), "root", OPTS (.dest = "/bin/"), NULL);
  assert_file ("root/usr/bin/run.sh", "#!/bin/sh\n");
  cr_assert (S_ISLNK (lstat_ ("root/bin").st_mode), "the image's /bin stays a symlink");

  /* a tree copied over the root: the image's lib -> /usr/lib is followed */
  copy_ (c, SRCS ("lib"), "root", OPTS (.dest = "/lib"), NULL);
  assert_file ("root/usr/lib/sub/libx.so", "elf");

  snprintf (name, sizeof name, "bctx-escape-%d", (int) getpid ());
  snprintf (host, sizeof host, "/etc/%s", name);
  put ("ctx/escape", "x", 0644);
  cr_assert_eq (rename (at ("ctx/escape"), at ("ctx/%s", name)), 0);
  copy_ (c, SRCS (name), "root", OPTS (.dest = "/app/"), NULL);
  cr_assert_eq (access (host, F_OK), -1, "%s was written on the host", host);
  snprintf (host, sizeof host, "root/etc/%s", name);
  assert_file (host, "x");

  /* a dangling link: its target is made, inside the root */
  link_ ("/../../../../opt/app", "root/dangling");
  copy_ (c, SRCS ("run.sh"), "root", OPTS (.dest = "/dangling/"), NULL);
  assert_file ("root/opt/app/run.sh", "#!/bin/sh\n");
  cr_assert (S_ISLNK (lstat_ ("root/dangling").st_mode));

  /* relative upward links stop at the root too */
  snprintf (host, sizeof host, "/tmp/%s", name);
  copy_ (c, SRCS (name), "root", OPTS (.dest = "/evil/"), NULL);
  cr_assert_eq (access (host, F_OK), -1, "%s was written on the host", host);
  snprintf (host, sizeof host, "root/tmp/%s", name);
  assert_file (host, "x");
}

/* --- ADD ------------------------------------------------------------------ */

struct tar_entry
{
  const char *name;
  mode_t type; /* AE_IFREG, AE_IFDIR, AE_IFLNK, or 0: a hardlink to DATA */
  const char *data; /* content, or the symlink's target */
};

/* Writes the archive PATH (under tmp), gzip-compressed when GZIP.  */
static void
write_tar (const char *path, bool gzip, const struct tar_entry *entries)
{
  struct archive *a = NULL;

  put (path, "", 0644); /* its directory */
  a = archive_write_new ();
  cr_assert_not_null (a);
  archive_write_set_format_pax_restricted (a);
  if (gzip)
    archive_write_add_filter_gzip (a);
  cr_assert_eq (archive_write_open_filename (a, at ("%s", path)), ARCHIVE_OK);
  for (const struct tar_entry *t = entries; t->name; t++)
    {
      struct archive_entry *e = archive_entry_new ();
      archive_entry_set_pathname (e, t->name);
      archive_entry_set_filetype (e, t->type ? t->type : AE_IFREG);
      if (t->type == 0)
        archive_entry_set_hardlink (e, t->data);
      archive_entry_set_perm (e, t->type == AE_IFDIR ? 0711 : 0604);
      archive_entry_set_uid (e, 42);
      archive_entry_set_gid (e, 43);
      archive_entry_set_mtime (e, 2000000, 0);
      if (t->type == AE_IFLNK)
        archive_entry_set_symlink (e, t->data);
      if (t->type == AE_IFREG)
        archive_entry_set_size (e, (la_int64_t) strlen (t->data));
      cr_assert_eq (archive_write_header (a, e), ARCHIVE_OK, "%s", archive_error_string (a));
      if (t->type == AE_IFREG)
        cr_assert_eq (archive_write_data (a, t->data, strlen (t->data)), (la_ssize_t) strlen (t->data));
      archive_entry_free (e);
    }
  cr_assert_eq (archive_write_close (a), ARCHIVE_OK);
  archive_write_free (a);
}

Test (build_context, add_extracts_local_archives)
{
  cleanup_build_context struct build_context *c = NULL;
  struct stat st;

  write_tar ("ctx/app.tar.gz", true,
             (struct tar_entry[]) { { "./", AE_IFDIR, NULL },
                                    { "./etc/", AE_IFDIR, NULL },
                                    { "./etc/conf", AE_IFREG, "conf" },
                                    { "./.wh.keep", AE_IFREG, "not a whiteout" },
                                    { "./link", AE_IFLNK, "etc/conf" },
                                    { NULL, 0, NULL } });
  write_tar ("ctx/plain.tar", false, (struct tar_entry[]) { { "p.txt", AE_IFREG, "p" }, { NULL, 0, NULL } });
  put ("ctx/notes.txt", "just text", 0644);
  put ("root/opt/.wh.keep-old", "old", 0644);
  c = open_ctx ("ctx");

  copy_ (c, SRCS ("app.tar.gz"), "root", OPTS (.dest = "/opt", .add = true), NULL);
  assert_file ("root/opt/etc/conf", "conf");
  assert_file ("root/opt/.wh.keep", "not a whiteout");
  assert_file ("root/opt/.wh.keep-old", "old");
  cr_assert (S_ISLNK (lstat_ ("root/opt/link").st_mode));
  st = lstat_ ("root/opt/etc/conf");
  cr_assert_eq (st.st_mode & 07777, 0604);
  cr_assert_eq (st.st_mtim.tv_sec, 2000000);
  if (geteuid () == 0)
    cr_assert_eq (st.st_uid, 42, "without --chown the archive's owners stay");

  /* a plain tar and a file that is no archive, onto a directory */
  copy_ (c, SRCS ("plain.tar", "notes.txt"), "root", OPTS (.dest = "/x/", .add = true), NULL);
  assert_file ("root/x/p.txt", "p");
  assert_file ("root/x/notes.txt", "just text");

  /* COPY never extracts */
  copy_ (c, SRCS ("plain.tar"), "root", OPTS (.dest = "/y/"), NULL);
  cr_assert (S_ISREG (lstat_ ("root/y/plain.tar").st_mode));

  if (geteuid () == 0)
    {
      copy_ (c, SRCS ("app.tar.gz"), "root", OPTS (.dest = "/owned", .add = true, .chown = true, .uid = 7, .gid = 8),
             NULL);
      st = lstat_ ("root/owned/etc/conf");
      cr_assert_eq (st.st_uid, 7);
      cr_assert_eq (st.st_gid, 8);
    }
}

Test (build_context, add_keeps_hostile_archives_in_dest)
{
  cleanup_build_context struct build_context *c = NULL;
  cleanup_free char *m1 = NULL, *m3 = NULL, *m4 = NULL;
  char name[64], entry[128], host[PATH_MAX];

  snprintf (name, sizeof name, "bctx-escape-%d", (int) getpid ());
  snprintf (entry, sizeof entry, "../../../../../../../../tmp/%s", name);
  write_tar ("ctx/dotdot.tar", false, (struct tar_entry[]) { { entry, AE_IFREG, "x" }, { NULL, 0, NULL } });
  snprintf (entry, sizeof entry, "out/%s", name);
  write_tar ("ctx/via-link.tar.gz", true,
             (struct tar_entry[]) { { "out", AE_IFLNK, "/tmp" }, { entry, AE_IFREG, "x" }, { NULL, 0, NULL } });
  snprintf (entry, sizeof entry, "/tmp/%s", name);
  write_tar ("ctx/absolute.tar", false, (struct tar_entry[]) { { entry, AE_IFREG, "x" }, { NULL, 0, NULL } });
  write_tar ("ctx/hardlink.tar", false,
             (struct tar_entry[]) { { "passwd", 0, "../../../../../../../../etc/passwd" }, { NULL, 0, NULL } });
  c = open_ctx ("ctx");
  snprintf (host, sizeof host, "/tmp/%s", name);

  cr_assert_lt (copy_ (c, SRCS ("dotdot.tar"), "root", OPTS (.dest = "/d", .add = true), &m1), 0);
  cr_assert (strstr (m1, "`..`") && strstr (m1, "dotdot.tar"), "%s", m1);
  /* a symlink of the archive is followed with DEST as the root: what goes
     through it stays in DEST */
  copy_ (c, SRCS ("via-link.tar.gz"), "root", OPTS (.dest = "/d", .add = true), NULL);
  snprintf (host, sizeof host, "root/d/tmp/%s", name);
  assert_file (host, "x");
  snprintf (host, sizeof host, "/tmp/%s", name);
  cr_assert_lt (copy_ (c, SRCS ("absolute.tar"), "root", OPTS (.dest = "/d", .add = true), &m3), 0);
  cr_assert (strstr (m3, "absolute"), "%s", m3);
  cr_assert_lt (copy_ (c, SRCS ("hardlink.tar"), "root", OPTS (.dest = "/d", .add = true), &m4), 0);
  cr_assert (strstr (m4, "hardlink") && strstr (m4, "`..`"), "%s", m4);
  cr_assert_eq (access (at ("root/d/passwd"), F_OK), -1);
  cr_assert_eq (access (host, F_OK), -1, "%s was written on the host", host);
  snprintf (host, sizeof host, "root/tmp/%s", name);
  cr_assert_eq (access (at ("%s", host), F_OK), -1, "written outside DEST");
  mkdirs ("root/usr/bin");
  link_ ("/../../usr/bin", "root/bin");
  write_tar ("ctx/over-root.tar", false,
             (struct tar_entry[]) { { "./", AE_IFDIR, NULL },
                                    { "./bin/", AE_IFDIR, NULL },
                                    { "./bin/app", AE_IFREG, "app" },
                                    { "./bin/link-to-app", 0, "bin/app" },
                                    { NULL, 0, NULL } });
  copy_ (c, SRCS ("over-root.tar"), "root", OPTS (.dest = "/", .add = true), NULL);
  cr_assert (S_ISLNK (lstat_ ("root/bin").st_mode), "the image's /bin stays a symlink");
  assert_file ("root/usr/bin/app", "app");
  cr_assert_eq (lstat_ ("root/usr/bin/link-to-app").st_ino, lstat_ ("root/usr/bin/app").st_ino);
}

/* --- corners -------------------------------------------------------------- */

Test (build_context, copy_reincluded_file_below_an_excluded_directory)
{
  cleanup_build_context struct build_context *c = NULL;
  cleanup_strv char **m = NULL;
  char h0[IMAGE_DIGEST_LEN], h1[IMAGE_DIGEST_LEN];

  put ("ctx/.containerignore", "build\n!build/out/keep.txt\n", 0644);
  put ("ctx/build/junk.bin", "junk", 0644);
  put ("ctx/build/out/keep.txt", "keep", 0600);
  put ("ctx/build/out/other.txt", "other", 0644);
  put ("ctx/src/main.c", "int main;", 0644);
  cr_assert_eq (chmod (at ("ctx/build/out"), 0700), 0);
  c = open_ctx ("ctx");

  copy_ (c, SRCS ("."), "root", OPTS (.dest = "/app/"), NULL);
  assert_file ("root/app/src/main.c", "int main;");
  assert_file ("root/app/build/out/keep.txt", "keep");
  cr_assert_eq (lstat_ ("root/app/build/out").st_mode & 07777, 0700, "its directories are copied as they are");
  cr_assert_eq (access (at ("root/app/build/junk.bin"), F_OK), -1);
  cr_assert_eq (access (at ("root/app/build/out/other.txt"), F_OK), -1);

  /* the build directory itself matches: what the exception keeps is copied */
  m = match (c, "build", NULL);
  assert_strv (m, "build");
  hash (c, m, h0);
  put ("ctx/build/junk.bin", "changed junk", 0644);
  hash (c, m, h1);
  cr_assert_str_eq (h0, h1, "an excluded file is not hashed");
  put ("ctx/build/out/keep.txt", "changed", 0600);
  hash (c, m, h1);
  cr_assert_str_neq (h0, h1, "a re-included file is hashed");
}

Test (build_context, symlinks_out_of_the_context_are_never_read)
{
  cleanup_build_context struct build_context *c = NULL;
  cleanup_strv char **m = NULL;
  char h0[IMAGE_DIGEST_LEN], h1[IMAGE_DIGEST_LEN], target[PATH_MAX];
  ssize_t n;

  put ("outside/secret", "secret", 0600);
  put ("ctx/dir/ok.txt", "ok", 0644);
  link_ (at ("outside/secret"), "ctx/dir/abs");
  link_ ("../../outside", "ctx/dir/rel");
  c = open_ctx ("ctx");
  m = match (c, "dir", NULL);
  hash (c, m, h0);
  put ("outside/secret", "another secret", 0600);
  hash (c, m, h1);
  cr_assert_str_eq (h0, h1, "the hash read through a symlink out of the context");

  copy_ (c, SRCS ("dir"), "root", OPTS (.dest = "/d"), NULL);
  cr_assert (S_ISLNK (lstat_ ("root/d/abs").st_mode));
  cr_assert (S_ISLNK (lstat_ ("root/d/rel").st_mode));
  n = readlink (at ("root/d/rel"), target, sizeof target - 1);
  cr_assert_gt (n, 0);
  target[n] = '\0';
  cr_assert_str_eq (target, "../../outside");
}

Test (build_context, copy_from_a_hostile_stage_root)
{
  cleanup_build_context struct build_context *c = NULL;
  skiff_error_t err = NULL;

  /* another stage's root: its symlinks resolve inside it, whatever they say */
  put ("stage/etc/passwd", "stage's passwd", 0644);
  put ("stage/usr/lib/libx.so", "lib", 0755);
  link_ ("usr/lib", "stage/lib");
  link_ ("/../../../../../../../etc", "stage/app");
  link_ ("libx.so", "stage/usr/lib/libx.so.1");
  cr_assert_eq (build_context_open_root (at ("stage"), &c, &err), 0);

  copy_ (c, SRCS ("/app/passwd"), "root", OPTS (.dest = "/copied/"), NULL);
  assert_file ("root/copied/passwd", "stage's passwd");
  copy_ (c, SRCS ("/lib/libx.so.1"), "root", OPTS (.dest = "/usr/lib/"), NULL);
  assert_file ("root/usr/lib/libx.so.1", "lib");
  cr_assert (S_ISREG (lstat_ ("root/usr/lib/libx.so.1").st_mode), "a source named itself is followed");
  copy_ (c, SRCS ("/lib/"), "root", OPTS (.dest = "/lib2"), NULL);
  cr_assert (S_ISLNK (lstat_ ("root/lib2/libx.so.1").st_mode), "symlinks below a source are kept");
}

Test (build_context, copy_errors_name_the_path)
{
  cleanup_build_context struct build_context *c = NULL;
  cleanup_free char *m1 = NULL, *m2 = NULL;

  put ("ctx/f/x", "file", 0644);
  put ("ctx/g", "g", 0644);
  mkdirs ("root/d/x/inner");
  put ("root/file", "f", 0644);
  c = open_ctx ("ctx");

  cr_assert_lt (copy_ (c, SRCS ("f"), "root", OPTS (.dest = "/d"), &m1), 0);
  cr_assert (strstr (m1, "/d/x") && strstr (m1, "directory"), "%s", m1);
  cr_assert_lt (copy_ (c, SRCS ("g"), "root", OPTS (.dest = "/file/"), &m2), 0);
  cr_assert (strstr (m2, "/file") && strstr (m2, "not a directory"), "%s", m2);
}

Test (build_context, copy_keeps_xattrs_but_not_overlay_ones)
{
  cleanup_build_context struct build_context *c = NULL;
  char v[64];
  ssize_t n;

  put ("ctx/d/f", "f", 0644);
  if (setxattr (at ("ctx/d/f"), "user.note", "kept", 4, 0) < 0 && errno == ENOTSUP)
    cr_skip_test ("no user xattrs on %s", tmp);
  cr_assert_eq (setxattr (at ("ctx/d/f"), "user.note", "kept", 4, 0), 0, "%m");
  if (geteuid () == 0)
    cr_assert_eq (setxattr (at ("ctx/d"), "trusted.overlay.opaque", "y", 1, 0), 0, "%m");
  cr_assert_eq (setxattr (at ("ctx/d"), "user.overlay.opaque", "y", 1, 0), 0, "%m");
  c = open_ctx ("ctx");
  copy_ (c, SRCS ("."), "root", OPTS (.dest = "/x"), NULL);

  n = getxattr (at ("root/x/d/f"), "user.note", v, sizeof v);
  cr_assert_eq (n, 4, "%m");
  cr_assert_eq (memcmp (v, "kept", 4), 0);
  cr_assert_lt (getxattr (at ("root/x/d"), "user.overlay.opaque", v, sizeof v), 0, "an overlay xattr was copied");
  cr_assert_lt (getxattr (at ("root/x/d"), "trusted.overlay.opaque", v, sizeof v), 0, "an overlay xattr was copied");
}

Test (build_context, classes_and_escapes)
{
  cleanup_build_context struct build_context *c = NULL;
  cleanup_strv char **m1 = NULL, **m2 = NULL;

  put ("ctx/.containerignore", "[!a]*.txt\n\\*star\n", 0644);
  put ("ctx/a.txt", "a", 0644);
  put ("ctx/b.txt", "b", 0644);
  put ("ctx/*star", "literal", 0644);
  put ("ctx/xstar", "x", 0644);
  put ("ctx/q*", "q", 0644);
  put ("ctx/qq", "qq", 0644);
  c = open_ctx ("ctx");
  cr_assert_not (build_context_ignored (c, "a.txt"));
  cr_assert (build_context_ignored (c, "b.txt"));
  cr_assert (build_context_ignored (c, "*star"));
  cr_assert_not (build_context_ignored (c, "xstar"), "an escaped * is a plain *");

  m1 = match (c, "q\\*", NULL);
  assert_strv (m1, "q*");
  m2 = match (c, "[a-b].txt", "q?", NULL);
  assert_strv (m2, "a.txt q* qq");
}
