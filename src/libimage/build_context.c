/* skiff-image build: the build context, its ignore rules, source matching
   and content hash (see build_context.h; the copy is in build_copy.c).  */
#include <config.h>
#include "build_context_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <linux/openat2.h>

#include "utils.h"

struct ignore_rule
{
  char **comps; /* the cleaned pattern's components; "**" is any number of them */
  size_t n;
  bool exception;
};

/* --- paths ---------------------------------------------------------------- */

/* PATH relative to a root, cleaned lexically: no leading '/' or "./", no
   empty or "." components, ".." removes the component before it; a ".."
   with nothing before it sets *ESCAPED (when not NULL) and is dropped.
   The root itself is "".  */
static char *
clean_rel (const char *path, bool *escaped)
{
  size_t len = strlen (path);
  char *out = xmalloc (len + 1), *o = out;
  const char *p = path;

  if (escaped)
    *escaped = false;
  while (*p)
    {
      const char *end = strchrnul (p, '/');
      size_t n = (size_t) (end - p);
      if (n == 0 || (n == 1 && p[0] == '.'))
        ; /* nothing */
      else if (n == 2 && p[0] == '.' && p[1] == '.')
        {
          if (o == out)
            {
              if (escaped)
                *escaped = true;
            }
          else
            {
              while (o > out && o[-1] != '/')
                o--;
              if (o > out)
                o--;
            }
        }
      else
        {
          if (o > out)
            *o++ = '/';
          memcpy (o, p, n);
          o += n;
        }
      p = *end ? end + 1 : end;
    }
  *o = '\0';
  return out;
}

/* The components of a cleaned path ("" has none).  */
static char **
split_rel (const char *clean, size_t *n)
{
  char **v = xmalloc0 ((strlen (clean) / 2 + 2) * sizeof *v);
  cleanup_free char *copy = xstrdup (clean);
  char *save = NULL;
  size_t i = 0;
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    v[i++] = xstrdup (c);
  *n = i;
  return v;
}

char *
bc_clean_path (const char *path)
{
  return clean_rel (path, NULL);
}

const char *
bc_basename (const char *rel)
{
  const char *slash = strrchr (rel, '/');
  return slash ? slash + 1 : rel;
}

static char *
join_rel (const char *dir, const char *name)
{
  if (*dir == '\0' || strcmp (dir, ".") == 0)
    return xstrdup (name);
  return xasprintf ("%s/%s", dir, name);
}

/* --- ignore rules --------------------------------------------------------- */

/* Whether pattern components PC match exactly the path components SC.  */
static bool
match_comps (char *const *pc, size_t np, char *const *sc, size_t ns)
{
  while (np > 0)
    {
      if (strcmp (pc[0], "**") == 0)
        {
          /* any number of components, none included, except at the end:
             a trailing ** is what is in the directory, not the directory */
          for (size_t k = np == 1 ? 1 : 0; k <= ns; k++)
            if (match_comps (pc + 1, np - 1, sc + k, ns - k))
              return true;
          return false;
        }
      if (ns == 0 || fnmatch (pc[0], sc[0], 0) != 0)
        return false;
      pc++, np--, sc++, ns--;
    }
  return ns == 0;
}

/* Whether the rule matches the path or one of its parents (a directory
   rule covers what is under it).  */
static bool
rule_matches (const struct ignore_rule *r, char *const *sc, size_t ns)
{
  for (size_t k = ns; k > 0; k--)
    if (match_comps (r->comps, r->n, sc, k))
      return true;
  return false;
}

/* Whether the rule may match a path strictly below the directory SC.  */
static bool
rule_may_match_below (char *const *pc, size_t np, char *const *sc, size_t ns)
{
  for (;; pc++, np--, sc++, ns--)
    {
      if (np == 0 || ns == 0 || strcmp (pc[0], "**") == 0)
        return true;
      if (fnmatch (pc[0], sc[0], 0) != 0)
        return false;
    }
}

static bool
ignored_comps (const struct build_context *c, char *const *sc, size_t ns)
{
  bool ignored = false;
  for (size_t i = 0; i < c->n_rules; i++)
    if (c->rules[i].exception == ignored && rule_matches (&c->rules[i], sc, ns))
      ignored = !c->rules[i].exception;
  return ignored;
}

bool
build_context_ignored (const struct build_context *c, const char *path)
{
  cleanup_free char *clean = NULL;
  cleanup_strv char **sc = NULL;
  size_t ns;

  if (c->n_rules == 0)
    return false;
  clean = clean_rel (path, NULL);
  sc = split_rel (clean, &ns);
  return ns > 0 && ignored_comps (c, sc, ns);
}

/* Whether an exception may re-include something below the ignored
   directory PATH: then the walk has to look inside it.  */
static bool
exception_below (const struct build_context *c, const char *path)
{
  cleanup_free char *clean = clean_rel (path, NULL);
  cleanup_strv char **sc = NULL;
  size_t ns;

  sc = split_rel (clean, &ns);
  for (size_t i = 0; i < c->n_rules; i++)
    if (c->rules[i].exception && rule_may_match_below (c->rules[i].comps, c->rules[i].n, sc, ns))
      return true;
  return false;
}

static void
add_rule (struct build_context *c, char *line)
{
  bool exception = false;
  cleanup_free char *clean = NULL;
  size_t n;

  while (*line == ' ' || *line == '\t')
    line++;
  for (size_t len = strlen (line); len && strchr (" \t\r", line[len - 1]); len--)
    line[len - 1] = '\0';
  if (*line == '#' || *line == '\0')
    return;
  if (*line == '!')
    {
      exception = true;
      line++;
      while (*line == ' ' || *line == '\t')
        line++;
    }
  clean = clean_rel (line, NULL);
  if (*clean == '\0')
    return; /* the context itself: never excluded (the build needs its files) */
  c->rules = xrealloc (c->rules, (c->n_rules + 1) * sizeof *c->rules);
  c->rules[c->n_rules].comps = split_rel (clean, &n);
  c->rules[c->n_rules].n = n;
  c->rules[c->n_rules].exception = exception;
  c->n_rules++;
}

static int
load_rules (struct build_context *c, skiff_error_t *err)
{
  static const char *const names[] = { ".containerignore", ".dockerignore" };
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    {
      cleanup_free char *text = NULL;
      char *save = NULL;
      skiff_error_t local = NULL;

      if (read_file_at (c->dirfd, names[i], &text, NULL, &local) < 0)
        {
          int e = skiff_error_errno (&local);
          skiff_error_free (&local);
          if (e == ENOENT)
            continue;
          return skiff_error_make (err, e, "read %s/%s", c->dir, names[i]);
        }
      for (char *line = strtok_r (text, "\n", &save); line; line = strtok_r (NULL, "\n", &save))
        add_rule (c, line);
      return 0;
    }
  return 0;
}

/* --- opening -------------------------------------------------------------- */

static int
context_open (const char *dir, bool root, struct build_context **out, skiff_error_t *err)
{
  struct build_context *c = xmalloc0 (sizeof *c);
  struct stat st;

  c->dir = xstrdup (dir);
  c->root = root;
  c->dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (c->dirfd < 0)
    {
      int ret = skiff_error_sys (err, "build context `%s`", dir);
      build_context_free (c);
      return ret;
    }
  if (fstat (c->dirfd, &st) < 0)
    {
      int ret = skiff_error_sys (err, "stat `%s`", dir);
      build_context_free (c);
      return ret;
    }
  if (!root && load_rules (c, err) < 0)
    {
      build_context_free (c);
      return -1;
    }
  *out = c;
  return 0;
}

int
build_context_open (const char *dir, struct build_context **out, skiff_error_t *err)
{
  return context_open (dir, false, out, err);
}

int
build_context_open_root (const char *dir, struct build_context **out, skiff_error_t *err)
{
  return context_open (dir, true, out, err);
}

void
build_context_free (struct build_context *c)
{
  if (c == NULL)
    return;
  for (size_t i = 0; i < c->n_rules; i++)
    strv_free (c->rules[i].comps);
  free (c->rules);
  if (c->dirfd >= 0)
    close (c->dirfd);
  free (c->dir);
  free (c);
}

void
build_context_freep (struct build_context **c)
{
  build_context_free (*c);
  *c = NULL;
}

/* --- resolving sources ---------------------------------------------------- */

/* REL opened in C: beneath the context (a symlink leading out of it is
   EXDEV) or, for a root, inside it.  */
static int
open_in_context (const struct build_context *c, const char *rel, int flags)
{
  struct open_how how = {
    .flags = (unsigned long long) (flags | O_CLOEXEC),
    .resolve = RESOLVE_NO_MAGICLINKS | (c->root ? RESOLVE_IN_ROOT : RESOLVE_BENEATH),
  };
  if (*rel == '\0')
    rel = ".";
  for (int tries = 0;; tries++)
    {
      int fd = (int) syscall (SYS_openat2, c->dirfd, rel, &how, sizeof how);
      /* EAGAIN: a concurrent rename raced the scoped lookup.  */
      if (fd < 0 && errno == EAGAIN && tries < 32)
        continue;
      return fd;
    }
}

static int
resolve_error (const struct build_context *c, const char *rel, skiff_error_t *err)
{
  if (errno == EXDEV)
    return skiff_error_plain (err, EXDEV, "`%s` leads outside the build context %s", rel, c->dir);
  return skiff_error_sys (err, "`%s` in %s", rel, c->dir);
}

int
bc_resolve (const struct build_context *c, const char *rel, struct bc_source *src, skiff_error_t *err)
{
  cleanup_close int fd = open_in_context (c, rel, O_PATH);

  if (fd < 0 && errno == ENOENT)
    {
      /* a dangling symlink is copied as itself */
      int saved = errno;
      fd = open_in_context (c, rel, O_PATH | O_NOFOLLOW);
      if (fd >= 0 && (fstat (fd, &src->st) < 0 || !S_ISLNK (src->st.st_mode)))
        close_fd (&fd);
      if (fd >= 0)
        {
          src->fd = steal_fd (&fd);
          return 0;
        }
      errno = saved;
    }
  if (fd < 0)
    return resolve_error (c, rel, err);
  if (fstat (fd, &src->st) < 0)
    return skiff_error_sys (err, "stat `%s`", rel);
  if (S_ISDIR (src->st.st_mode) || S_ISREG (src->st.st_mode))
    {
      int flags = S_ISDIR (src->st.st_mode) ? O_RDONLY | O_DIRECTORY : O_RDONLY | O_NONBLOCK | O_NOCTTY;
      close_fd (&fd);
      fd = open_in_context (c, rel, flags);
      if (fd < 0)
        return resolve_error (c, rel, err);
    }
  src->fd = steal_fd (&fd);
  return 0;
}

/* --- the walk ------------------------------------------------------------- */

struct walk_level
{
  int fd;
  const char *name, *rel;
  struct stat st;
  bool entered;
};

struct walk
{
  const struct build_context *c;
  const struct bc_walker *w;
  struct walk_level **levels; /* the directories being walked below the start */
  size_t depth, cap;
};

/* Enters the ignored directories above an entry that is not ignored.  */
static int
enter_pending (struct walk *k, skiff_error_t *err)
{
  for (size_t i = 0; i < k->depth; i++)
    {
      struct walk_level *l = k->levels[i];
      if (l->entered)
        continue;
      if (k->w->enter (k->w->data, l->fd, l->name, l->rel, &l->st, err) < 0)
        return -1;
      l->entered = true;
    }
  return 0;
}

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* The names in DIRFD, sorted (strcmp).  */
static int
read_names (int dirfd_, const char *rel, char ***out, size_t *n, skiff_error_t *err)
{
  cleanup_dir DIR *d = NULL;
  cleanup_strv char **v = NULL;
  size_t len = 0, cap = 0;
  struct dirent *de;
  int fd = openat (dirfd_, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

  if (fd < 0 || (d = fdopendir (fd)) == NULL)
    {
      int ret = skiff_error_sys (err, "open directory `%s`", rel);
      if (fd >= 0)
        close (fd);
      return ret;
    }
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (len + 2 > cap)
        {
          cap = cap ? 2 * cap : 32;
          v = xrealloc (v, cap * sizeof *v);
        }
      v[len++] = xstrdup (de->d_name);
      v[len] = NULL;
    }
  if (errno)
    return skiff_error_sys (err, "read directory `%s`", rel);
  if (v == NULL)
    v = xmalloc0 (sizeof *v);
  qsort (v, len, sizeof *v, cmp_names);
  *n = len;
  *out = steal_pointer (&v);
  return 0;
}

static int walk_dir (struct walk *k, int dirfd_, const char *rel, skiff_error_t *err);

static int
walk_child (struct walk *k, int dirfd_, const char *name, const char *rel, skiff_error_t *err)
{
  struct stat st;
  bool ign = k->c->n_rules > 0 && build_context_ignored (k->c, rel);

  if (fstatat (dirfd_, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return skiff_error_sys (err, "stat `%s`", rel);
  if (S_ISDIR (st.st_mode))
    {
      struct walk_level level = { .fd = -1, .name = name, .rel = rel, .st = st };
      int ret;

      if (ign && !exception_below (k->c, rel))
        return 0;
      level.fd = openat (dirfd_, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (level.fd < 0)
        return skiff_error_sys (err, "open `%s`", rel);
      if (k->depth == k->cap)
        {
          k->cap = k->cap ? 2 * k->cap : 16;
          k->levels = xrealloc (k->levels, k->cap * sizeof *k->levels);
        }
      k->levels[k->depth++] = &level;
      ret = ign ? 0 : enter_pending (k, err);
      if (ret == 0)
        ret = walk_dir (k, level.fd, rel, err);
      k->depth--;
      if (ret == 0 && level.entered)
        ret = k->w->leave (k->w->data, rel, &level.st, err);
      close (level.fd);
      return ret;
    }

  if (ign)
    return 0;
  if (enter_pending (k, err) < 0)
    return -1;
  if (S_ISREG (st.st_mode))
    {
      cleanup_close int fd = openat (dirfd_, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
      if (fd < 0)
        return skiff_error_sys (err, "open `%s`", rel);
      return k->w->entry (k->w->data, fd, NULL, name, rel, &st, err);
    }
  if (S_ISLNK (st.st_mode))
    {
      char target[PATH_MAX];
      ssize_t n = readlinkat (dirfd_, name, target, sizeof target - 1);
      if (n < 0)
        return skiff_error_sys (err, "readlink `%s`", rel);
      target[n] = '\0';
      return k->w->entry (k->w->data, -1, target, name, rel, &st, err);
    }
  return k->w->entry (k->w->data, -1, NULL, name, rel, &st, err);
}

static int
walk_dir (struct walk *k, int dirfd_, const char *rel, skiff_error_t *err)
{
  cleanup_strv char **names = NULL;
  size_t n;

  if (read_names (dirfd_, rel, &names, &n, err) < 0)
    return -1;
  for (size_t i = 0; i < n; i++)
    {
      cleanup_free char *child = join_rel (rel, names[i]);
      if (walk_child (k, dirfd_, names[i], child, err) < 0)
        return -1;
    }
  return 0;
}

int
bc_walk (const struct build_context *c, int dirfd_, const char *rel, const struct bc_walker *w,
         skiff_error_t *err)
{
  struct walk k = { .c = c, .w = w };
  int ret = walk_dir (&k, dirfd_, rel, err);
  free (k.levels);
  return ret;
}

/* --- matching ------------------------------------------------------------- */

static bool
has_glob (const char *comp)
{
  return strpbrk (comp, "*?[\\") != NULL;
}

static void
strv_push (char ***v, size_t *n, char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof **v);
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

/* Candidates below DIR whose name matches the pattern component PAT.  */
static int
glob_dir (const struct build_context *c, const char *dir, const char *pat, char ***out, size_t *n,
          skiff_error_t *err)
{
  cleanup_close int fd = open_in_context (c, dir, O_RDONLY | O_DIRECTORY);
  cleanup_strv char **names = NULL;
  size_t len;

  if (fd < 0)
    {
      if (errno == ENOENT || errno == ENOTDIR)
        return 0;
      return resolve_error (c, *dir ? dir : ".", err);
    }
  if (read_names (fd, dir, &names, &len, err) < 0)
    return -1;
  for (size_t i = 0; i < len; i++)
    if (fnmatch (pat, names[i], 0) == 0)
      strv_push (out, n, join_rel (dir, names[i]));
  return 0;
}

static int
match_one (const struct build_context *c, const char *src, char ***all, size_t *n_all, skiff_error_t *err)
{
  bool escaped, some_ignored = false;
  cleanup_free char *clean = clean_rel (src, &escaped);
  cleanup_strv char **comps = NULL, **cands = NULL;
  size_t ncomps, ncands = 0, found = 0;

  if (escaped)
    return skiff_error_plain (err, EXDEV, "COPY source `%s`: outside the build context", src);
  comps = split_rel (clean, &ncomps);
  strv_push (&cands, &ncands, xstrdup (""));
  for (size_t i = 0; i < ncomps; i++)
    {
      cleanup_strv char **next = NULL;
      size_t nnext = 0;
      for (size_t j = 0; j < ncands; j++)
        {
          if (has_glob (comps[i]))
            {
              if (glob_dir (c, cands[j], comps[i], &next, &nnext, err) < 0)
                return skiff_error_wrap (err, "COPY source `%s`", src);
            }
          else
            strv_push (&next, &nnext, join_rel (cands[j], comps[i]));
        }
      strv_free (cands);
      cands = steal_pointer (&next);
      ncands = nnext;
      if (ncands == 0)
        break;
    }

  for (size_t j = 0; j < ncands; j++)
    {
      struct bc_source s = { .fd = -1 };
      const char *rel = *cands[j] ? cands[j] : ".";
      skiff_error_t local = NULL;

      if (bc_resolve (c, rel, &s, &local) < 0)
        {
          if (skiff_error_errno (&local) == ENOENT || skiff_error_errno (&local) == ENOTDIR)
            {
              skiff_error_free (&local);
              continue;
            }
          *err = local;
          return skiff_error_wrap (err, "COPY source `%s`", src);
        }
      close (s.fd);
      if (strcmp (rel, ".") != 0 && build_context_ignored (c, rel)
          && !(S_ISDIR (s.st.st_mode) && exception_below (c, rel)))
        {
          some_ignored = true;
          continue;
        }
      strv_push (all, n_all, xstrdup (rel));
      found++;
    }
  if (found == 0)
    return skiff_error_plain (err, ENOENT, "COPY source `%s`: no such file in the build context%s", src,
                              some_ignored ? " (excluded by its ignore file)" : "");
  return 0;
}

int
build_context_match (const struct build_context *c, char *const *srcs, char ***matches, skiff_error_t *err)
{
  cleanup_strv char **all = xmalloc0 (sizeof *all);
  size_t n = 0, kept = 0;

  for (size_t i = 0; srcs[i]; i++)
    if (match_one (c, srcs[i], &all, &n, err) < 0)
      return -1;
  qsort (all, n, sizeof *all, cmp_names);
  for (size_t i = 0; i < n; i++)
    {
      if (kept && strcmp (all[kept - 1], all[i]) == 0)
        {
          free (all[i]);
          continue;
        }
      all[kept++] = all[i];
    }
  all[kept] = NULL;
  *matches = steal_pointer (&all);
  return 0;
}

/* --- hashing -------------------------------------------------------------- */

struct hash
{
  struct image_digester *d;
  char buf[64 * 1024];
};

static void
hash_header (struct hash *h, char type, const char *rel, const struct stat *st)
{
  char head[64];
  int n = snprintf (head, sizeof head, "%c %o ", type, (unsigned) (st->st_mode & 07777));
  image_digester_update (h->d, head, (size_t) n);
  image_digester_update (h->d, rel, strlen (rel) + 1);
}

static int
hash_enter (void *data, int fd, const char *name, const char *rel, const struct stat *st, skiff_error_t *err)
{
  (void) fd, (void) name, (void) err;
  hash_header (data, 'd', rel, st);
  return 0;
}

static int
hash_leave (void *data, const char *rel, const struct stat *st, skiff_error_t *err)
{
  (void) data, (void) rel, (void) st, (void) err;
  return 0;
}

static int
hash_entry (void *data, int fd, const char *link, const char *name, const char *rel, const struct stat *st,
            skiff_error_t *err)
{
  struct hash *h = data;
  char num[32];
  int n;

  (void) name;
  if (S_ISREG (st->st_mode))
    {
      ssize_t r;
      hash_header (h, 'f', rel, st);
      n = snprintf (num, sizeof num, "%lld", (long long) st->st_size);
      image_digester_update (h->d, num, (size_t) n + 1);
      /* the size seen is hashed: the content up to it (as the copy does) */
      for (off_t left = st->st_size; left > 0; left -= r)
        {
          r = read (fd, h->buf, left < (off_t) sizeof h->buf ? (size_t) left : sizeof h->buf);
          if (r < 0 && errno == EINTR)
            {
              r = 0;
              continue;
            }
          if (r < 0)
            return skiff_error_sys (err, "read `%s`", rel);
          if (r == 0)
            return skiff_error_plain (err, EIO, "`%s` shrank while it was read", rel);
          image_digester_update (h->d, h->buf, (size_t) r);
        }
      return 0;
    }
  if (S_ISLNK (st->st_mode))
    {
      hash_header (h, 'l', rel, st);
      image_digester_update (h->d, link, strlen (link) + 1);
      return 0;
    }
  hash_header (h, S_ISFIFO (st->st_mode) ? 'p' : S_ISCHR (st->st_mode) ? 'c' : S_ISBLK (st->st_mode) ? 'b' : 's',
               rel, st);
  n = snprintf (num, sizeof num, "%llx", (unsigned long long) st->st_rdev);
  image_digester_update (h->d, num, (size_t) n + 1);
  return 0;
}

int
build_context_hash (const struct build_context *c, char *const *matches, char out[IMAGE_DIGEST_LEN],
                    skiff_error_t *err)
{
  cleanup_digester struct image_digester *d = image_digester_new ();
  cleanup_free struct hash *h = xmalloc0 (sizeof *h);
  struct bc_walker w = { .enter = hash_enter, .leave = hash_leave, .entry = hash_entry, .data = h };

  h->d = d;
  for (size_t i = 0; matches[i]; i++)
    {
      struct bc_source s = { .fd = -1 };
      cleanup_close int fd = -1;
      int ret;

      if (bc_resolve (c, matches[i], &s, err) < 0)
        return -1;
      fd = s.fd;
      if (S_ISDIR (s.st.st_mode))
        {
          hash_header (h, 'D', matches[i], &s.st);
          ret = bc_walk (c, fd, matches[i], &w, err);
        }
      else if (S_ISLNK (s.st.st_mode))
        {
          char target[PATH_MAX];
          ssize_t n = readlinkat (fd, "", target, sizeof target - 1);
          if (n < 0)
            return skiff_error_sys (err, "readlink `%s`", matches[i]);
          target[n] = '\0';
          ret = hash_entry (h, -1, target, bc_basename (matches[i]), matches[i], &s.st, err);
        }
      else
        ret = hash_entry (h, S_ISREG (s.st.st_mode) ? fd : -1, NULL, bc_basename (matches[i]), matches[i],
                          &s.st, err);
      if (ret < 0)
        return -1;
    }
  image_digester_final (d, out);
  return 0;
}
