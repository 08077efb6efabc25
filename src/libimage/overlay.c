/* skiff-image: overlay mounts (see overlay.h).  */
#include <config.h>
#include "overlay.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "utils.h"

static int
mount_with_fsconfig (char *const *lowers, size_t n, const char *upper, const char *work, const char *target,
                     skiff_error_t *err)
{
  cleanup_close int fs = fsopen ("overlay", FSOPEN_CLOEXEC);
  cleanup_close int mnt = -1;

  if (fs < 0)
    return skiff_error_sys (err, "fsopen overlay");
  /* The first lowerdir+ is the top of the stack.  */
  for (size_t i = n; i > 0; i--)
    if (fsconfig (fs, FSCONFIG_SET_STRING, "lowerdir+", lowers[i - 1], 0) < 0)
      return skiff_error_sys (err, "overlay: lowerdir+ `%s`", lowers[i - 1]);
  if (fsconfig (fs, FSCONFIG_SET_STRING, "upperdir", upper, 0) < 0)
    return skiff_error_sys (err, "overlay: upperdir `%s`", upper);
  if (fsconfig (fs, FSCONFIG_SET_STRING, "workdir", work, 0) < 0)
    return skiff_error_sys (err, "overlay: workdir `%s`", work);
  if (fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return skiff_error_sys (err, "overlay: create");
  mnt = fsmount (fs, FSMOUNT_CLOEXEC, 0);
  if (mnt < 0)
    return skiff_error_sys (err, "overlay: fsmount");
  if (move_mount (mnt, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH) < 0)
    return skiff_error_sys (err, "overlay: move_mount to `%s`", target);
  return 0;
}

static int
mount_with_data (char *const *lowers, size_t n, const char *upper, const char *work, const char *target,
                 skiff_error_t *err)
{
  cleanup_free char *data = NULL;
  cleanup_free char *list = xstrdup ("");
  for (size_t i = n; i > 0; i--)
    {
      char *next = xasprintf ("%s%s%s", list, *list ? ":" : "", lowers[i - 1]);
      free (list);
      list = next;
    }
  data = xasprintf ("lowerdir=%s,upperdir=%s,workdir=%s", list, upper, work);
  if (strlen (data) >= (size_t) getpagesize ())
    return skiff_error_plain (err, E2BIG, "overlay: %zu layers do not fit in mount(2) data on this kernel", n);
  if (mount ("overlay", target, "overlay", 0, data) < 0)
    return skiff_error_sys (err, "mount overlay on `%s`", target);
  return 0;
}

int
image_overlay_mount (char *const *lowers, const char *upper, const char *work, const char *target,
                     skiff_error_t *err)
{
  size_t n = strv_len (lowers);
  skiff_error_t first = NULL;
  int ret;

  if (n == 0)
    return skiff_error_plain (err, EINVAL, "overlay on `%s`: an image without layers", target);
  ret = mount_with_fsconfig (lowers, n, upper, work, target, &first);
  /* EINVAL at lowerdir+: a kernel before 6.8.  ENOSYS: no fsopen.  */
  if (ret < 0 && (skiff_error_errno (&first) == EINVAL || skiff_error_errno (&first) == ENOSYS))
    {
      skiff_error_free (&first);
      return mount_with_data (lowers, n, upper, work, target, err);
    }
  if (ret < 0)
    *err = first;
  return ret;
}

bool
image_is_mountpoint (const char *target)
{
  struct stat st, parent;
  cleanup_free char *up = xasprintf ("%s/..", target);
  if (stat (target, &st) < 0 || stat (up, &parent) < 0)
    return false;
  return st.st_dev != parent.st_dev || st.st_ino == parent.st_ino;
}

int
image_overlay_unmount (const char *target, skiff_error_t *err)
{
  if (!image_is_mountpoint (target))
    return 0;
  if (umount2 (target, UMOUNT_NOFOLLOW) < 0 && errno != EINVAL)
    return skiff_error_sys (err, "unmount `%s`", target);
  return 0;
}
