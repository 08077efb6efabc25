/* skiff-image logs (see container_logs.h).  */
#include <config.h>
#include "container_logs.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <unistd.h>

#include "utils.h"

/* Copies what LOG has from its offset to OUTFD.  */
static int
drain (struct image_container *c, int log, int outfd, skiff_error_t *err)
{
  char buf[65536];
  for (;;)
    {
      ssize_t n = read (log, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return skiff_error_sys (err, "container %s: read its log", c->name);
      if (n == 0)
        return 0;
      if (write_all (outfd, buf, (size_t) n) < 0)
        return skiff_error_sys (err, "container %s: write its log", c->name);
    }
}

int
image_container_logs (struct image_store *s, const char *rt, struct image_container *c, bool follow, int outfd,
                      skiff_error_t *err)
{
  cleanup_free char *path = xasprintf ("%s/ctr.log", c->dir);
  cleanup_close int log = open (path, O_RDONLY | O_CLOEXEC);

  /* Never started detached: nothing was logged.  */
  if (log < 0 && errno == ENOENT)
    return 0;
  if (log < 0)
    return skiff_error_sys (err, "container %s: open `%s`", c->name, path);
  if (drain (c, log, outfd, err) < 0)
    return -1;
  while (follow)
    {
      enum image_container_state state;
      struct timespec tick = { 0, 200 * 1000 * 1000 };
      if (image_container_state (s, rt, c, &state, err) < 0)
        return -1;
      /* What it wrote before it stopped is read after the state says so.  */
      if (state != IMAGE_CONTAINER_RUNNING)
        follow = false;
      else
        nanosleep (&tick, NULL);
      if (drain (c, log, outfd, err) < 0)
        return -1;
    }
  return 0;
}
