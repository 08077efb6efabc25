/* skiff-image build: what build_context.c shares with build_copy.c.  */
#ifndef IMAGE_BUILD_CONTEXT_INTERNAL_H
#define IMAGE_BUILD_CONTEXT_INTERNAL_H

#include <sys/stat.h>

#include "build_context.h"

struct ignore_rule;

struct build_context
{
  char *dir;
  int dirfd;  /* O_PATH of DIR */
  bool root;  /* open_root: symlinks resolve inside DIR; else a source must stay beneath it */
  struct ignore_rule *rules;
  size_t n_rules;
};

/* One source of a copy, resolved: REL (relative to the context, "." for
   its root), FD open O_RDONLY for a regular file or a directory, O_PATH
   otherwise (a dangling symlink), ST its lstat-like stat.  */
struct bc_source
{
  int fd;
  struct stat st;
};

/* Resolves REL in C as build_context_match does (the last component is
   followed too; a dangling symlink stays itself).  */
int bc_resolve (const struct build_context *c, const char *rel, struct bc_source *src, skiff_error_t *err);

/* A walk over the not-ignored content of a directory, children in sorted
   order.  REL is the entry's path relative to the context.  An ignored
   directory whose children an exception may re-include is entered only
   when one of them is, before it.  */
struct bc_walker
{
  /* A directory: FD is open O_RDONLY on it (the walk reads it after
     ENTER returns).  */
  int (*enter) (void *data, int fd, const char *name, const char *rel, const struct stat *st,
                skiff_error_t *err);
  int (*leave) (void *data, const char *rel, const struct stat *st, skiff_error_t *err);
  /* Anything else: FD is open O_RDONLY for a regular file, else -1; LINK is
     the target of a symlink, else NULL.  */
  int (*entry) (void *data, int fd, const char *link, const char *name, const char *rel,
                const struct stat *st, skiff_error_t *err);
  void *data;
};

/* Walks the children of the directory DIRFD (REL in the context).  */
int bc_walk (const struct build_context *c, int dirfd, const char *rel, const struct bc_walker *w,
             skiff_error_t *err);

/* PATH cleaned lexically, relative to its root: no leading '/', "." or empty
   components; ".." removes the component before it (none at the root).
   The root itself is "".  */
char *bc_clean_path (const char *path);

/* The last component of the relative path REL ("." stays ".").  */
const char *bc_basename (const char *rel);

#endif
