/* skiff-image exec (see container_exec.h).  */
#include <config.h>
#include "container_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "runconfig.h"
#include "utils.h"

static void
push (char ***v, size_t *n, char *s)
{
  *v = xrealloc (*v, (*n + 2) * sizeof **v);
  (*v)[(*n)++] = s;
  (*v)[*n] = NULL;
}

/* USER[:GROUP] as the runtime's numeric UID:GID; names are looked up in
   the container's own /etc/passwd and /etc/group, as at create.  */
static int
numeric_user (struct image_container *c, const char *spec, char **out, skiff_error_t *err)
{
  cleanup_free char *merged = xasprintf ("%s/merged", c->dir);
  cleanup_close int rootfd = open (merged, O_PATH | O_DIRECTORY | O_CLOEXEC);
  uint32_t uid, gid;

  if (rootfd < 0)
    return skiff_error_sys (err, "container %s: open `%s`", c->name, merged);
  if (image_resolve_user (rootfd, spec, &uid, &gid, err) < 0)
    return skiff_error_wrap (err, "container %s: --user", c->name);
  *out = xasprintf ("%" PRIu32 ":%" PRIu32, uid, gid);
  return 0;
}

int
image_container_exec (struct image_store *s, const char *rt, struct image_container *c,
                      const struct image_exec_options *o, int *exit_code, skiff_error_t *err)
{
  cleanup_free char *root = image_runtime_root (s), *user = NULL;
  cleanup_free char **args = NULL;
  enum image_container_state state;
  size_t n = 0;
  int status;

  if (o->argv == NULL || o->argv[0] == NULL)
    return skiff_error_plain (err, EINVAL, "container %s: exec: no command", c->name);
  if (image_container_state (s, rt, c, &state, err) < 0)
    return -1;
  if (state != IMAGE_CONTAINER_RUNNING)
    return skiff_error_plain (err, EINVAL, "container %s is not running", c->name);
  if (o->user && numeric_user (c, o->user, &user, err) < 0)
    return -1;

  push (&args, &n, (char *) "--root");
  push (&args, &n, root);
  push (&args, &n, (char *) "exec");
  if (o->tty)
    push (&args, &n, (char *) "--tty");
  if (o->detach)
    push (&args, &n, (char *) "--detach");
  for (size_t i = 0; o->env && o->env[i]; i++)
    {
      push (&args, &n, (char *) "--env");
      push (&args, &n, o->env[i]);
    }
  if (user)
    {
      push (&args, &n, (char *) "--user");
      push (&args, &n, user);
    }
  if (o->workdir)
    {
      push (&args, &n, (char *) "--cwd");
      push (&args, &n, (char *) o->workdir);
    }
  push (&args, &n, c->id);
  for (size_t i = 0; o->argv[i]; i++)
    push (&args, &n, o->argv[i]);

  /* Detached, nothing of ours stays open in the process: whoever reads
     our output would wait for its end.  */
  if (image_runtime_run (rt, args, o->interactive && !o->detach ? 0 : -1, o->detach ? -1 : 1, 2, NULL, &status, err)
      < 0)
    return skiff_error_wrap (err, "container %s: exec", c->name);
  if (o->detach && status != 0)
    return skiff_error_plain (err, EIO, "container %s: `%s exec --detach` failed (exit status %d)", c->name, rt,
                              status);
  *exit_code = o->detach ? 0 : status;
  return 0;
}
