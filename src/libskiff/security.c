/* skiff: the security seam.  skiff_security_prepare does everything that
   can fail for a bad config (parsing, seccomp compilation) in the parent;
   skiff_security_apply runs in the child with only syscalls left to do.

   Order in the child, and why:
     PR_SET_KEEPCAPS, setgroups/setresgid/setresuid - keep the permitted set
       across the switch to a non-root uid;
     raise effective = permitted - CAP_SETPCAP for the bounding drop (and
       CAP_SYS_ADMIN for a seccomp load without no_new_privs);
     drop the bounding set;
     [seccomp without NNP: needs CAP_SYS_ADMIN, so before the final drop]
     capset to the configured sets, ambient raise (PR_SET_KEEPCAPS is
       left for the execve to clear: one syscall less after the filter);
     no_new_privs; [seccomp with NNP: last].
   The caller runs this as the last step before the exec, so that the
   filter, meant for the program, sees no syscall of skiff's but the exec
   (and without NNP the capset that must follow a privileged load).
   The exec labels (SELinux, AppArmor) are not written here: they apply to
   the writer's next execve, which must be the program's, so the exec stub
   writes them (skiff_security_exec_attrs, exe_guard.h).  */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#ifdef HAVE_SELINUX
#include <selinux/selinux.h>
#endif

#include "caps.h"
#include "exe_guard.h"
#include "fs.h"
#include "log.h"
#include "seccomp.h"
#include "security.h"
#include "utils.h"

struct skiff_security
{
  bool caps_present;
  struct skiff_caps caps;
  uid_t uid;
  gid_t gid;
  gid_t *gids;
  size_t n_gids;
  bool nnp;
  bool userns;             /* the config asks for (or joins) a user namespace */
  char *selinux_label;     /* only when SELinux is enabled */
  char *apparmor_exec;     /* "exec PROFILE", only when AppArmor is enabled */
  struct skiff_exec_attr exec_attrs[3];
  struct skiff_seccomp_filter *seccomp;
};

static bool
apparmor_enabled (void)
{
  cleanup_free char *buf = NULL;
  skiff_error_t err = NULL;

  if (read_file_at (AT_FDCWD, "/sys/module/apparmor/parameters/enabled", &buf, NULL, &err) < 0)
    {
      skiff_error_free (&err);
      return false;
    }
  return buf[0] == 'Y';
}

static bool
selinux_enabled (void)
{
#ifdef HAVE_SELINUX
  return is_selinux_enabled () > 0;
#else
  return false;
#endif
}

/* A label the loaded policy does not know would only fail in the child,
   after the namespaces and mounts exist: refuse it here, naming FIELD.  */
static int
check_selinux_context (const char *field, const char *label, skiff_error_t *err)
{
#ifdef HAVE_SELINUX
  if (security_check_context (label) < 0)
    return skiff_error_plain (err, EINVAL, "%s `%s`: not a valid SELinux context for the loaded policy",
                             field, label);
#else
  (void) field;
  (void) label;
  (void) err;
#endif
  return 0;
}

/* The profile has to be loaded, or the program's execve would fail long
   after `create` said yes.  Unknown when securityfs is not mounted, and
   for stacked or namespaced names: the kernel judges those at exec.  */
static int
check_apparmor_profile (const char *profile, skiff_error_t *err)
{
  cleanup_free char *list = NULL;
  size_t n = strlen (profile);
  skiff_error_t ignored = NULL;

  if (strcmp (profile, "unconfined") == 0 || profile[0] == ':' || strstr (profile, "//&"))
    return 0;
  if (read_file_at (AT_FDCWD, "/sys/kernel/security/apparmor/profiles", &list, NULL, &ignored) < 0)
    {
      skiff_error_free (&ignored);
      return 0;
    }
  /* One "NAME (MODE)" per line.  */
  for (const char *l = list; l && *l;)
    {
      if (strncmp (l, profile, n) == 0 && strncmp (l + n, " (", 2) == 0)
        return 0;
      l = strchr (l, '\n');
      if (l)
        l++;
    }
  return skiff_error_plain (err, ENOENT, "process.apparmorProfile `%s`: no such profile is loaded",
                            profile);
}

int
skiff_security_prepare (const oci_config *config, const oci_process *proc,
                        struct skiff_security **out, skiff_error_t *err)
{
  struct skiff_security *s = xmalloc0 (sizeof *s);
  const oci_seccomp *sc = config && config->linux ? config->linux->seccomp : NULL;

  *out = NULL;
  if (proc == NULL && config)
    proc = config->process;
  if (config && config->linux)
    for (size_t i = 0; i < config->linux->namespaces_len; i++)
      if (config->linux->namespaces[i]->type && strcmp (config->linux->namespaces[i]->type, "user") == 0)
        s->userns = true;
  if (proc)
    {
      if (proc->capabilities)
        {
          s->caps_present = true;
          if (skiff_caps_parse (proc->capabilities, &s->caps, err) < 0)
            goto fail;
        }
      if (proc->user)
        {
          s->uid = proc->user->uid;
          s->gid = proc->user->gid;
          s->n_gids = proc->user->additional_gids_len;
          s->gids = xmalloc0 (sizeof (gid_t) * (s->n_gids + 1));
          for (size_t i = 0; i < s->n_gids; i++)
            s->gids[i] = proc->user->additional_gids[i];
        }
      s->nnp = proc->no_new_privileges;
      if (proc->selinux_label && proc->selinux_label[0])
        {
          if (!selinux_enabled ())
            skiff_debug ("process.selinuxLabel ignored: SELinux is not enabled");
          else if (check_selinux_context ("process.selinuxLabel", proc->selinux_label, err) < 0)
            goto fail;
          else
            s->selinux_label = xstrdup (proc->selinux_label);
        }
      if (proc->apparmor_profile && proc->apparmor_profile[0])
        {
          if (!apparmor_enabled ())
            skiff_debug ("process.apparmorProfile ignored: AppArmor is not enabled");
          else if (check_apparmor_profile (proc->apparmor_profile, err) < 0)
            goto fail;
          else
            s->apparmor_exec = xasprintf ("exec %s", proc->apparmor_profile);
        }
    }
  if (skiff_security_mount_label (config)
      && check_selinux_context ("linux.mountLabel", config->linux->mount_label, err) < 0)
    goto fail;
  if (sc && skiff_seccomp_compile (sc, &s->seccomp, err) < 0)
    goto fail;
  *out = s;
  return 0;
fail:
  skiff_security_free (s);
  return -1;
}

void
skiff_security_free (struct skiff_security *s)
{
  if (s == NULL)
    return;
  free (s->gids);
  free (s->selinux_label);
  free (s->apparmor_exec);
  skiff_seccomp_filter_free (s->seccomp);
  free (s);
}

bool
skiff_security_seccomp_notify (const struct skiff_security *s)
{
  return s && s->seccomp && s->seccomp->notify;
}

const struct skiff_exec_attr *
skiff_security_exec_attrs (struct skiff_security *s)
{
  size_t n = 0;

  if (s->apparmor_exec)
    {
      /* attr/apparmor/ since Linux 5.8, so that stacked LSMs do not clash;
         attr/exec before.  */
      const char *path = "/proc/thread-self/attr/apparmor/exec";
      if (access (path, F_OK) < 0)
        path = "/proc/thread-self/attr/exec";
      s->exec_attrs[n++] = (struct skiff_exec_attr) { "process.apparmorProfile", path, s->apparmor_exec };
    }
  if (s->selinux_label)
    s->exec_attrs[n++] = (struct skiff_exec_attr) { "process.selinuxLabel", "/proc/thread-self/attr/exec",
                                                     s->selinux_label };
  s->exec_attrs[n].path = NULL;
  return s->exec_attrs;
}

int
skiff_security_label_keyring (const struct skiff_security *s, skiff_error_t *err)
{
#ifdef HAVE_SELINUX
  if (s && s->selinux_label && setkeycreatecon (s->selinux_label) < 0)
    return skiff_error_sys (err, "set SELinux key label `%s`", s->selinux_label);
#else
  (void) s;
  (void) err;
#endif
  return 0;
}

/* In a user namespace whose setgroups file says "deny", setgroups(2) is
   impossible; the process keeps the (unmapped) groups it has.  */
static bool
setgroups_denied (void)
{
  cleanup_free char *buf = NULL;
  skiff_error_t err = NULL;

  if (read_file_at (AT_FDCWD, "/proc/self/setgroups", &buf, NULL, &err) < 0)
    {
      skiff_error_free (&err);
      return false;
    }
  return strncmp (buf, "deny", 4) == 0;
}

static int
switch_user (struct skiff_security *s, skiff_error_t *err)
{
  /* Try first: reading /proc/self/setgroups costs a file open on every
     start, and only a failure needs to know why.  */
  if (setgroups (s->n_gids, s->gids) < 0)
    {
      if (errno != EPERM)
        return skiff_error_sys (err, "setgroups");
      if (setgroups_denied ())
        {
          /* As runc: a rootless user namespace cannot have them; go on.  */
          if (s->n_gids > 0)
            skiff_warn ("process.user.additionalGids ignored: setgroups is denied in this user namespace");
          else
            skiff_debug ("setgroups denied in the user namespace, supplementary groups left as they are");
        }
      /* No /proc in the container to tell us "deny": clearing groups we
         cannot clear is what the denied case does anyway.  */
      else if (!(s->n_gids == 0 && s->userns))
        return skiff_error_sys (err, "setgroups");
      else
        skiff_debug ("setgroups: %s, supplementary groups left as they are", strerror (EPERM));
    }
  if (setresgid (s->gid, s->gid, s->gid) < 0)
    return skiff_error_sys (err, "setresgid %u", (unsigned) s->gid);
  if (setresuid (s->uid, s->uid, s->uid) < 0)
    return skiff_error_sys (err, "setresuid %u", (unsigned) s->uid);
  return 0;
}

int
skiff_security_apply (struct skiff_security *s, const oci_process *proc, int *notify_fd,
                      skiff_error_t *err)
{
  bool seccomp_early = s->seccomp && !s->nnp;
  int dummy_fd;

  if (notify_fd == NULL)
    notify_fd = &dummy_fd;
  *notify_fd = -1;

  if (s->caps_present)
    {
      if (prctl (PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
        return skiff_error_sys (err, "prctl PR_SET_KEEPCAPS");
    }
  else if (seccomp_early && s->uid != 0)
    {
      /* No capability config: the switch to a non-root uid clears every
         cap, so the privileged load has to happen before it.  */
      if (skiff_seccomp_load (s->seccomp, notify_fd, err) < 0)
        return -1;
      seccomp_early = false;
    }

  if (switch_user (s, err) < 0)
    goto fail;

  if (s->caps_present)
    {
      if (skiff_caps_raise_effective (err) < 0 || skiff_caps_drop_bounding (&s->caps, err) < 0)
        goto fail;
      if (seccomp_early && skiff_seccomp_load (s->seccomp, notify_fd, err) < 0)
        goto fail;
      if (skiff_caps_set_final (&s->caps, err) < 0)
        {
          if (seccomp_early)
            skiff_error_wrap (err, "the seccomp filter, loaded before the capability drop "
                              "without noNewPrivileges, must allow capset and prctl");
          goto fail;
        }
    }
  else if (seccomp_early && skiff_seccomp_load (s->seccomp, notify_fd, err) < 0)
    goto fail;

  if (s->nnp && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    {
      skiff_error_sys (err, "prctl PR_SET_NO_NEW_PRIVS");
      goto fail;
    }
  if (s->seccomp && s->nnp && skiff_seccomp_load (s->seccomp, notify_fd, err) < 0)
    goto fail;
  return 0;

fail:
  if (*notify_fd >= 0)
    {
      close (*notify_fd);
      *notify_fd = -1;
    }
  return -1;
}

int
skiff_security_label_file (int fd, const char *label, skiff_error_t *err)
{
#ifdef HAVE_SELINUX
  char path[SKIFF_FD_PATH_SIZE];
  if (setfilecon (skiff_fd_path (fd, path), label) < 0)
    return skiff_error_sys (err, "set SELinux label `%s`", label);
#else
  (void) fd;
  (void) label;
  (void) err;
#endif
  return 0;
}

const char *
skiff_security_mount_label (const oci_config *config)
{
  if (config == NULL || config->linux == NULL || config->linux->mount_label == NULL
      || config->linux->mount_label[0] == '\0')
    return NULL;
  return selinux_enabled () ? config->linux->mount_label : NULL;
}

/* ---- seccomp listener -------------------------------------------------- */

static void
json_escape (FILE *f, const char *s)
{
  fputc ('"', f);
  for (; *s; s++)
    {
      unsigned char c = (unsigned char) *s;
      if (c == '"' || c == '\\')
        fprintf (f, "\\%c", c);
      else if (c < 0x20)
        fprintf (f, "\\u%04x", c);
      else
        fputc (c, f);
    }
  fputc ('"', f);
}

/* The spec's "Container Process State": the fd travels as SCM_RIGHTS, the
   document names it in "fds".  */
static char *
process_state_json (const oci_seccomp *sc, const char *state_json, skiff_error_t *err)
{
  char *errstr = NULL;
  oci_state *st = oci_state_parse_data (state_json, strlen (state_json), "state", &errstr);
  char *buf = NULL;
  size_t len = 0;
  FILE *f;

  if (st == NULL)
    {
      skiff_error_make (err, EINVAL, "seccomp listener: bad state: %s", errstr ? errstr : "?");
      free (errstr);
      return NULL;
    }
  f = open_memstream (&buf, &len);
  if (f == NULL)
    {
      oci_state_free (st);
      skiff_error_sys (err, "open_memstream");
      return NULL;
    }
  fputs ("{\"ociVersion\":", f);
  json_escape (f, st->oci_version ? st->oci_version : OCI_SPEC_VERSION);
  fprintf (f, ",\"fds\":[\"seccompFd\"],\"pid\":%d", st->pid_present ? st->pid : 0);
  if (sc->listener_metadata)
    {
      fputs (",\"metadata\":", f);
      json_escape (f, sc->listener_metadata);
    }
  fprintf (f, ",\"state\":%s}", state_json);
  fclose (f);
  oci_state_free (st);
  return buf;
}

int
skiff_seccomp_send_listener (const oci_seccomp *seccomp, int notify_fd, const char *state_json,
                             skiff_error_t *err)
{
  cleanup_free char *payload = NULL;
  cleanup_close int sock = -1;
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  size_t len;
  ssize_t n;

  if (seccomp == NULL || seccomp->listener_path == NULL || notify_fd < 0)
    return 0;
  if (strlen (seccomp->listener_path) >= sizeof addr.sun_path)
    return skiff_error_make (err, ENAMETOOLONG, "linux.seccomp.listenerPath `%s`",
                             seccomp->listener_path);
  strcpy (addr.sun_path, seccomp->listener_path);
  payload = process_state_json (seccomp, state_json, err);
  if (payload == NULL)
    return -1;
  len = strlen (payload);

  sock = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (sock < 0)
    return skiff_error_sys (err, "socket");
  if (connect (sock, (struct sockaddr *) &addr, sizeof addr) < 0)
    return skiff_error_sys (err, "connect to the seccomp listener `%s`", seccomp->listener_path);

  n = send_with_fd (sock, payload, len, notify_fd);
  if (n < 0)
    return skiff_error_sys (err, "send the seccomp fd to `%s`", seccomp->listener_path);
  /* The fd went with the first bytes; the rest of a long state follows.  */
  for (size_t off = (size_t) n; off < len; off += (size_t) n)
    {
      n = send_with_fd (sock, payload + off, len - off, -1);
      if (n < 0)
        return skiff_error_sys (err, "send the state to `%s`", seccomp->listener_path);
    }
  return 0;
}
