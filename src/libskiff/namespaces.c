/* skiff: namespaces: what linux.namespaces asks for, clone3, joining by
   path, and the files the parent writes for the child (id maps, time
   offsets).  */
#include <config.h>
#include "namespaces.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "utils.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

static const struct
{
  const char *name;
  uint64_t flag;
} ns_info[SKIFF_NS_COUNT] = {
  [SKIFF_NS_USER] = { "user", CLONE_NEWUSER },
  [SKIFF_NS_MOUNT] = { "mount", CLONE_NEWNS },
  [SKIFF_NS_PID] = { "pid", CLONE_NEWPID },
  [SKIFF_NS_NET] = { "network", CLONE_NEWNET },
  [SKIFF_NS_IPC] = { "ipc", CLONE_NEWIPC },
  [SKIFF_NS_UTS] = { "uts", CLONE_NEWUTS },
  [SKIFF_NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP },
  [SKIFF_NS_TIME] = { "time", CLONE_NEWTIME },
};

static int
ns_kind (const char *type)
{
  int i;
  for (i = 0; i < SKIFF_NS_COUNT; i++)
    if (strcmp (type, ns_info[i].name) == 0)
      return i;
  return -1;
}

void
skiff_ns_plan_close (struct skiff_ns_plan *plan)
{
  int i;
  for (i = 0; i < SKIFF_NS_COUNT; i++)
    if (plan->join_fd[i] >= 0)
      {
        close (plan->join_fd[i]);
        plan->join_fd[i] = -1;
      }
  if (plan->own_pid_fd >= 0)
    close (plan->own_pid_fd);
  plan->own_pid_fd = -1;
}

int
skiff_ns_helper_start (int flags, struct skiff_ns_helper *h, skiff_error_t *err)
{
  int ready[2], hold[2];
  char self[32] = "";
  ssize_t n;

  h->pid = -1;
  h->hold = -1;
  if (pipe2 (ready, O_CLOEXEC) < 0)
    return skiff_error_sys (err, "pipe");
  if (pipe2 (hold, O_CLOEXEC) < 0)
    {
      close (ready[0]), close (ready[1]);
      return skiff_error_sys (err, "pipe");
    }
  h->pid = fork ();
  if (h->pid < 0)
    {
      close (ready[0]), close (ready[1]), close (hold[0]), close (hold[1]);
      return skiff_error_sys (err, "fork");
    }
  if (h->pid == 0)
    {
      /* Says its pid (as /proc numbers it: we may be in a pid namespace),
         or nothing when the namespaces could not be made.  */
      char c;
      close (ready[0]);
      close (hold[1]);
      if (unshare (flags) == 0)
        {
          n = readlink ("/proc/self", self, sizeof self - 1);
          if (n > 0)
            self[n] = '\0';
        }
      if (write (ready[1], self, strlen (self) + 1) < 0)
        _exit (1);
      (void) read (hold[0], &c, 1);
      _exit (0);
    }
  close (ready[1]);
  close (hold[0]);
  h->hold = hold[1];
  /* One write from the helper; read_all would wait for an EOF that the
     helper, holding on to its namespaces, never sends.  */
  do
    n = read (ready[0], self, sizeof self - 1);
  while (n < 0 && errno == EINTR);
  close (ready[0]);
  if (n <= 0 || self[0] == '\0')
    {
      skiff_ns_helper_end (h);
      return skiff_error_make (err, EPERM, "create namespaces in a helper process");
    }
  snprintf (h->proc, sizeof h->proc, "/proc/%s", self);
  return 0;
}

void
skiff_ns_helper_end (struct skiff_ns_helper *h)
{
  if (h->hold >= 0)
    close (h->hold);
  h->hold = -1;
  if (h->pid > 0)
    while (waitpid (h->pid, NULL, 0) < 0 && errno == EINTR)
      ;
  h->pid = -1;
}

int
skiff_ns_plan_init (const oci_linux *linux, struct skiff_ns_plan *plan, skiff_error_t *err)
{
  uint64_t flags = 0, seen = 0;
  bool child_joins = false;
  size_t i;
  int k;

  memset (plan, 0, sizeof *plan);
  for (k = 0; k < SKIFF_NS_COUNT; k++)
    plan->join_fd[k] = -1;
  plan->own_pid_fd = -1;
  if (linux == NULL)
    return 0;

  for (i = 0; i < linux->namespaces_len; i++)
    {
      const oci_namespace *ns = linux->namespaces[i];
      k = ns_kind (ns->type);
      if (k < 0)
        {
          skiff_ns_plan_close (plan);
          return skiff_error_make (err, EINVAL, "linux.namespaces[%zu]: unknown type `%s`", i,
                                   ns->type);
        }
      if (seen & ns_info[k].flag)
        {
          skiff_ns_plan_close (plan);
          return skiff_error_make (err, EINVAL, "linux.namespaces[%zu]: duplicate type `%s`", i,
                                   ns->type);
        }
      seen |= ns_info[k].flag;
      if (ns->path && ns->path[0])
        {
          plan->join_fd[k] = open (ns->path, O_RDONLY | O_CLOEXEC);
          if (plan->join_fd[k] < 0)
            {
              int saved = errno;
              skiff_ns_plan_close (plan);
              return skiff_error_make (err, saved, "open %s namespace `%s`", ns->type, ns->path);
            }
          /* Joined later, after a cgroup exists: refuse a wrong type now.  */
          if (ioctl (plan->join_fd[k], NS_GET_NSTYPE) != (int) ns_info[k].flag)
            {
              skiff_ns_plan_close (plan);
              return skiff_error_make (err, EINVAL, "config.json: linux.namespaces[%zu].path: "
                                       "%s is not a %s namespace", i, ns->path, ns->type);
            }
          if (k != SKIFF_NS_PID && k != SKIFF_NS_TIME)
            child_joins = true;
        }
      else
        flags |= ns_info[k].flag;
    }
  plan->user_ns = (seen & CLONE_NEWUSER) != 0;

  if (plan->join_fd[SKIFF_NS_USER] >= 0 || ((flags & CLONE_NEWUSER) && child_joins))
    {
      /* The new namespaces must belong to the user namespace the container
         ends up in, and joining others needs privileges we lose once in a
         new user namespace: the child joins first, then unshares.  Only
         time (made by us for its offsets) is created by the clone.  */
      plan->clone_flags = flags & CLONE_NEWTIME;
      plan->unshare_flags = flags & ~(uint64_t) CLONE_NEWTIME;
      /* A pid namespace is owned by the user namespace of whoever makes
         it; made by our clone it would be ours, and the container could
         not even mount its /proc.  The child makes it after its user
         namespace; unshare(CLONE_NEWPID) applies to children, so the
         container's pid 1 is a child of the child.  */
      plan->fork_pid1 = (flags & CLONE_NEWPID) != 0;
    }
  else
    {
      /* A cgroup namespace created by clone3 would be rooted at the
         parent's cgroup, not the one CLONE_INTO_CGROUP puts the child in:
         the child unshares it once it is in its cgroup.  */
      plan->clone_flags = flags & ~(uint64_t) CLONE_NEWCGROUP;
      plan->unshare_flags = flags & CLONE_NEWCGROUP;
    }
  return 0;
}

bool
skiff_ns_own_mount (const oci_linux *linux)
{
  for (size_t i = 0; linux && i < linux->namespaces_len; i++)
    if (ns_kind (linux->namespaces[i]->type) == SKIFF_NS_MOUNT)
      return linux->namespaces[i]->path == NULL || linux->namespaces[i]->path[0] == '\0';
  return false;
}

static int
join (struct skiff_ns_plan *plan, int k, skiff_error_t *err)
{
  if (plan->join_fd[k] < 0)
    return 0;
  if (setns (plan->join_fd[k], (int) ns_info[k].flag) < 0)
    return skiff_error_sys (err, "join %s namespace", ns_info[k].name);
  close (plan->join_fd[k]);
  plan->join_fd[k] = -1;
  return 0;
}

int
skiff_ns_join_parent (struct skiff_ns_plan *plan, skiff_error_t *err)
{
  if (plan->join_fd[SKIFF_NS_PID] >= 0)
    plan->own_pid_fd = open ("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  if (join (plan, SKIFF_NS_PID, err) < 0)
    return -1;
  return join (plan, SKIFF_NS_TIME, err);
}

void
skiff_ns_restore_parent (struct skiff_ns_plan *plan)
{
  if (plan->own_pid_fd < 0)
    return;
  (void) setns (plan->own_pid_fd, CLONE_NEWPID);
  close (plan->own_pid_fd);
  plan->own_pid_fd = -1;
}

int
skiff_ns_join_child (struct skiff_ns_plan *plan, skiff_error_t *err)
{
  /* User first (it grants the rights for the rest), mount last (it changes
     what paths mean; the fds are already open anyway).  */
  static const int order[] = { SKIFF_NS_USER, SKIFF_NS_IPC, SKIFF_NS_UTS,
                               SKIFF_NS_NET, SKIFF_NS_CGROUP, SKIFF_NS_MOUNT };
  size_t i;

  for (i = 0; i < sizeof order / sizeof order[0]; i++)
    if (join (plan, order[i], err) < 0)
      return -1;
  return 0;
}

static char *
format_map (oci_id_mapping **m, size_t n)
{
  size_t i, off = 0, cap = n * 40 + 1;
  char *buf = xmalloc (cap);

  buf[0] = '\0';
  for (i = 0; i < n; i++)
    off += snprintf (buf + off, cap - off, "%u %u %u\n", m[i]->container_id, m[i]->host_id,
                     m[i]->size);
  return buf;
}

static int
write_proc (pid_t pid, const char *file, const char *data, skiff_error_t *err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  return write_file_at (AT_FDCWD, path, data, strlen (data), err);
}

int
skiff_ns_write_id_maps (pid_t pid, const oci_linux *linux, skiff_error_t *err)
{
  cleanup_free char *uid = NULL;
  cleanup_free char *gid = NULL;

  if (linux == NULL)
    return 0;
  if (linux->uid_mappings_len)
    {
      uid = format_map (linux->uid_mappings, linux->uid_mappings_len);
      if (write_proc (pid, "uid_map", uid, err) < 0)
        return skiff_error_wrap (err, "linux.uidMappings");
    }
  if (linux->gid_mappings_len)
    {
      gid = format_map (linux->gid_mappings, linux->gid_mappings_len);
      if (write_proc (pid, "gid_map", gid, err) < 0)
        {
          /* Without CAP_SETGID over the parent namespace the kernel only
             accepts a gid map once setgroups is denied: do that only when
             needed, so privileged containers keep setgroups(2).  */
          if (skiff_error_errno (err) != EPERM)
            return skiff_error_wrap (err, "linux.gidMappings");
          skiff_error_free (err);
          if (write_proc (pid, "setgroups", "deny", err) < 0
              || write_proc (pid, "gid_map", gid, err) < 0)
            return skiff_error_wrap (err, "linux.gidMappings");
        }
    }
  return 0;
}

int
skiff_ns_write_time_offsets (pid_t pid, const oci_linux *linux, skiff_error_t *err)
{
  char buf[256];
  size_t off = 0, i;

  if (linux == NULL || linux->time_offsets == NULL || linux->time_offsets->len == 0)
    return 0;
  for (i = 0; i < linux->time_offsets->len; i++)
    {
      const char *clock = linux->time_offsets->keys[i];
      const oci_time_offset *o = linux->time_offsets->values[i];
      if (strcmp (clock, "monotonic") != 0 && strcmp (clock, "boottime") != 0)
        return skiff_error_make (err, EINVAL, "linux.timeOffsets: unknown clock `%s`", clock);
      if (off + 80 > sizeof buf)
        return skiff_error_make (err, EINVAL, "linux.timeOffsets: too many entries");
      off += snprintf (buf + off, sizeof buf - off, "%s %lld %u\n", clock,
                       (long long) (o->secs_present ? o->secs : 0),
                       o->nanosecs_present ? o->nanosecs : 0);
    }
  if (write_proc (pid, "timens_offsets", buf, err) < 0)
    return skiff_error_wrap (err, "linux.timeOffsets");
  return 0;
}

struct clone3_args
{
  uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
      set_tid_size, cgroup;
};

pid_t
skiff_clone (uint64_t flags, int cgroup_fd, int *pidfd, bool *placed_in_cgroup,
             skiff_error_t *err)
{
  struct clone3_args args;
  int pfd = -1;
  long ret;

  memset (&args, 0, sizeof args);
  args.flags = flags | (pidfd ? CLONE_PIDFD : 0);
  args.pidfd = (uint64_t) (uintptr_t) &pfd;
  args.exit_signal = SIGCHLD;
  if (cgroup_fd >= 0)
    {
      args.flags |= CLONE_INTO_CGROUP;
      args.cgroup = (uint64_t) cgroup_fd;
    }
  ret = syscall (SYS_clone3, &args, sizeof args);
  if (ret < 0 && cgroup_fd >= 0 && errno != ENOSYS && errno != ENOMEM && errno != EAGAIN)
    {
      /* E.g. a cgroup that cannot take processes directly: let the caller
         move the process and report the real problem.  */
      args.flags &= ~CLONE_INTO_CGROUP;
      args.cgroup = 0;
      ret = syscall (SYS_clone3, &args, sizeof args);
    }
  if (ret < 0 && errno == ENOSYS)
    {
      /* No clone3: plain clone works like fork when given no stack.  Time
         namespaces need clone3.  */
      args.flags &= ~CLONE_INTO_CGROUP;
      if (flags & CLONE_NEWTIME)
        return skiff_error_make (err, ENOSYS, "clone3 (needed for a new time namespace)");
      ret = syscall (SYS_clone, (unsigned long) (args.flags | SIGCHLD), NULL,
                     pidfd ? &pfd : NULL, NULL, 0);
    }
  if (ret < 0)
    return skiff_error_sys (err, "clone");
  if (placed_in_cgroup)
    *placed_in_cgroup = (args.flags & CLONE_INTO_CGROUP) != 0;
  if (ret == 0)
    return 0;
  if (pidfd)
    *pidfd = pfd;
  return (pid_t) ret;
}

int
skiff_ns_set_hostname (const oci_config *config, skiff_error_t *err)
{
  if (config->hostname && sethostname (config->hostname, strlen (config->hostname)) < 0)
    return skiff_error_sys (err, "sethostname `%s`", config->hostname);
  if (config->domainname && setdomainname (config->domainname, strlen (config->domainname)) < 0)
    return skiff_error_sys (err, "setdomainname `%s`", config->domainname);
  return 0;
}
