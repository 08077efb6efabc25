/* skiff: checkpoint and restore through the `criu` binary (see criu.h).
 *
 * Debian packages CRIU without libcriu or its RPC description, so skiff
 * drives `criu dump`/`criu restore` by their command line.  Restore runs
 * CRIU in a private mount namespace of its own, with the rootfs bound on
 * <state dir>/criu-root as the root CRIU rebuilds the container's mount
 * table on, and with --restore-sibling so that the restored pid 1 is our
 * child, as the process of `create` is.  */
#include <config.h>
#include "criu_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "utils.h"

bool
skiff_criu_cgroups_mode_valid (const char *mode)
{
  static const char *const modes[] = { "soft", "full", "strict", "ignore" };
  for (size_t i = 0; i < sizeof modes / sizeof modes[0]; i++)
    if (strcmp (mode, modes[i]) == 0)
      return true;
  return false;
}

/* ---- the criu command line ------------------------------------------------ */

void
criu_args_add (struct args *a, char *owned)
{
  a->v = xrealloc (a->v, (a->n + 2) * sizeof *a->v);
  a->v[a->n++] = owned;
  a->v[a->n] = NULL;
}

void
criu_args_free (struct args *a)
{
  strv_free (a->v);
  a->v = NULL;
  a->n = 0;
}

/* The last "Error" line of CRIU's log, for a one-line report: the cause,
   not the "Dumping FAILED." that follows it.  */
static char *
last_log_error (const char *log)
{
  cleanup_file FILE *f = fopen (log, "re");
  cleanup_free char *line = NULL;
  char *found = NULL;
  size_t cap = 0;
  ssize_t n;

  if (f == NULL)
    return NULL;
  while ((n = getline (&line, &cap, f)) > 0)
    if (strstr (line, "Error") != NULL && (found == NULL || strstr (line, "FAILED") == NULL))
      {
        if (line[n - 1] == '\n')
          line[n - 1] = '\0';
        free (found);
        found = xstrdup (line);
      }
  return found;
}

/* Fork a child that runs FN (which execs, or returns).  Whatever error FN
   reports comes back on *REPORT (the read end: EOF once FN exec'd or the
   child is gone), read with criu_read_report.  */
pid_t
criu_fork_reporting (child_fn fn, void *data, int *report, const char *what, skiff_error_t *err)
{
  int p[2];
  pid_t pid;

  if (pipe2 (p, O_CLOEXEC) < 0)
    return skiff_error_sys (err, "pipe");
  pid = fork ();
  if (pid < 0)
    {
      close (p[0]);
      close (p[1]);
      return skiff_error_sys (err, "fork %s", what);
    }
  if (pid == 0)
    {
      skiff_error_t cerr = NULL;
      close (p[0]);
      if (fn (data, &cerr) == 0)
        _exit (0);
      if (cerr)
        (void) write_all (p[1], cerr->msg, strlen (cerr->msg));
      _exit (127);
    }
  close (p[1]);
  *report = p[0];
  return pid;
}

/* The child's error, if it sent one (closes REPORT).  */
int
criu_read_report (int report, skiff_error_t *err)
{
  char msg[1024];
  ssize_t n = read_all (report, msg, sizeof msg - 1);

  close (report);
  if (n <= 0)
    return 0;
  msg[n] = '\0';
  return skiff_error_plain (err, EINVAL, "%s", msg);
}

int
criu_wait_child (pid_t pid, int *st, const char *what, skiff_error_t *err)
{
  while (waitpid (pid, st, 0) < 0)
    if (errno != EINTR)
      return skiff_error_sys (err, "waitpid %s", what);
  return 0;
}

struct criu_child
{
  struct args *args;
  const int *keep;
  size_t n_keep;
  child_fn prep;
  void *data;
};

static int
criu_child (void *data, skiff_error_t *err)
{
  struct criu_child *cc = data;

  for (size_t i = 0; i < cc->n_keep; i++)
    if (cc->keep[i] >= 0 && fcntl (cc->keep[i], F_SETFD, 0) < 0)
      return skiff_error_sys (err, "fcntl fd %d", cc->keep[i]);
  if (cc->prep && cc->prep (cc->data, err) < 0)
    return -1;
  execvp (cc->args->v[0], cc->args->v);
  return skiff_error_sys (err, "exec `%s` (install Debian's criu package)", cc->args->v[0]);
}

/* Run ARGS (argv[0] "criu", argv[1] the action), keeping KEEP fds open in
   it; PREP runs in its child first, SERVE (if any) in ours while it runs
   (a failure of SERVE is what fails then: CRIU only says its script
   failed).  A failure names CRIU's exit status, its last error and its
   log.  */
int
criu_run (struct args *args, const int *keep, size_t n_keep, child_fn prep, serve_fn serve,
          void *data, const char *log, skiff_error_t *err)
{
  struct criu_child cc = { args, keep, n_keep, prep, data };
  skiff_error_t serr = NULL;
  int report, st;
  pid_t pid;

  skiff_debug ("running criu %s (log: %s)", args->v[1], log);
  pid = criu_fork_reporting (criu_child, &cc, &report, "criu", err);
  if (pid < 0)
    return -1;
  if (criu_read_report (report, err) < 0)
    {
      waitpid (pid, NULL, 0);
      return -1;
    }
  if (serve)
    (void) serve (data, pid, &serr);
  if (criu_wait_child (pid, &st, "criu", err) < 0)
    {
      skiff_error_free (&serr);
      return -1;
    }
  if (serr)
    {
      skiff_error_free (err);
      *err = serr;
      return -1;
    }
  if (! WIFEXITED (st) || WEXITSTATUS (st) != 0)
    {
      cleanup_free char *why = last_log_error (log);
      return skiff_error_plain (err, EIO, "criu %s failed (status %d)%s%s; see %s", args->v[1],
                                skiff_exit_status (st), why ? ": " : "", why ? why : "", log);
    }
  return 0;
}

/* Options both actions share.  */
void
criu_add_common (struct args *a, const struct skiff_criu_opts *o, const char *images,
            const char *work, const char *log_name)
{
  criu_args_add (a, xstrdup ("--images-dir"));
  criu_args_add (a, xstrdup (images));
  criu_args_add (a, xstrdup ("--work-dir"));
  criu_args_add (a, xstrdup (work));
  criu_args_add (a, xstrdup ("--log-file"));
  criu_args_add (a, xstrdup (log_name));
  criu_args_add (a, xstrdup ("-v4"));
  args_addf (a, "--manage-cgroups=%s", o->cgroups_mode ? o->cgroups_mode : "soft");
  if (o->tcp_established)
    criu_args_add (a, xstrdup ("--tcp-established"));
  if (o->ext_unix_sk)
    criu_args_add (a, xstrdup ("--ext-unix-sk"));
  if (o->shell_job)
    criu_args_add (a, xstrdup ("--shell-job"));
  if (o->file_locks)
    criu_args_add (a, xstrdup ("--file-locks"));
}

bool
criu_is_bind_mount (const oci_mount *m)
{
  if (m->type && strcmp (m->type, "bind") == 0)
    return true;
  for (size_t i = 0; i < m->options_len; i++)
    if (strcmp (m->options[i], "bind") == 0 || strcmp (m->options[i], "rbind") == 0)
      return true;
  return false;
}

const char *
criu_ns_path (const oci_config *config, const char *type)
{
  const oci_linux *l = config->linux;
  for (size_t i = 0; l && i < l->namespaces_len; i++)
    if (strcmp (l->namespaces[i]->type, type) == 0)
      return l->namespaces[i]->path && *l->namespaces[i]->path ? l->namespaces[i]->path : NULL;
  return NULL;
}
