/* skiff: the container process's own settings and its final execve.
   Everything here runs in the container's child process, after pivot_root
   (so paths resolve inside the container) and before the security setup
   (so we are still root in the container's namespaces).  */
#include <config.h>
#include "process.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <stdint.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <linux/keyctl.h>
#include <linux/magic.h>

#include "exe_guard.h"
#include "log.h"
#include "utils.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static const char *
env_lookup (char *const *env, size_t n, const char *name)
{
  size_t len = strlen (name);
  for (size_t i = 0; i < n; i++)
    if (env[i] && strncmp (env[i], name, len) == 0 && env[i][len] == '=')
      return env[i] + len + 1;
  return NULL;
}

static bool
is_executable_file (const char *path, int *errnum)
{
  struct stat st;
  if (stat (path, &st) < 0)
    {
      *errnum = errno;
      return false;
    }
  if (! S_ISREG (st.st_mode) || (st.st_mode & 0111) == 0)
    {
      *errnum = EACCES;
      return false;
    }
  return true;
}

int
skiff_process_find_executable (const oci_process *proc, char **path, skiff_error_t *err)
{
  const char *arg0, *search;
  cleanup_free char *dirs = NULL;
  int errnum = 0;

  if (proc == NULL || proc->args_len == 0 || proc->args[0] == NULL || proc->args[0][0] == '\0')
    return skiff_error_make (err, 0, "process.args must not be empty");
  arg0 = proc->args[0];

  if (strchr (arg0, '/'))
    {
      if (is_executable_file (arg0, &errnum))
        {
          *path = xstrdup (arg0);
          return 0;
        }
      /* The lower-case wording Go uses: podman matches these words to
         pick the exit code (127 or 126), not strerror()'s.  */
      if (errnum == ENOENT)
        return skiff_error_plain (err, ENOENT, "exec: \"%s\": no such file or directory", arg0);
      if (errnum == EACCES)
        return skiff_error_plain (err, EACCES, "exec: \"%s\": permission denied", arg0);
      return skiff_error_make (err, errnum, "exec: \"%s\"", arg0);
    }

  search = env_lookup (proc->env, proc->env_len, "PATH");
  if (search == NULL)
    search = DEFAULT_PATH;
  dirs = xstrdup (search);
  for (char *saveptr = NULL, *p = dirs;; p = NULL)
    {
      /* strtok would skip empty elements, which mean the cwd.  */
      char *dir = p ? p : saveptr;
      char *colon;
      cleanup_free char *candidate = NULL;
      if (dir == NULL)
        break;
      colon = strchr (dir, ':');
      if (colon)
        {
          *colon = '\0';
          saveptr = colon + 1;
        }
      else
        saveptr = NULL;
      candidate = xasprintf ("%s/%s", *dir ? dir : ".", arg0);
      if (is_executable_file (candidate, &errnum))
        {
          *path = steal_pointer (&candidate);
          return 0;
        }
    }
  return skiff_error_plain (err, ENOENT, "exec: \"%s\": executable file not found in $PATH", arg0);
}

/* ------------------------------------------------------------ rlimits */

static const struct
{
  const char *name;
  int resource;
} rlimit_names[] = {
  { "RLIMIT_AS", RLIMIT_AS },
  { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU },
  { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE },
  { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
  { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE },
  { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC },
  { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
  { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
  { "RLIMIT_STACK", RLIMIT_STACK },
};

static int
rlimit_from_name (const char *name)
{
  for (size_t i = 0; i < sizeof rlimit_names / sizeof rlimit_names[0]; i++)
    if (name && strcmp (name, rlimit_names[i].name) == 0)
      return rlimit_names[i].resource;
  return -1;
}

static int
check_rlimits (const oci_process *proc, skiff_error_t *err)
{
  for (size_t i = 0; i < proc->rlimits_len; i++)
    {
      const oci_rlimit *r = proc->rlimits[i];
      if (rlimit_from_name (r->type) < 0)
        return skiff_error_make (err, 0, "process.rlimits[%zu]: unknown rlimit type `%s`", i,
                                 r->type ? r->type : "");
      if (r->soft > r->hard)
        return skiff_error_make (err, 0, "process.rlimits[%zu]: %s soft limit %llu is greater than hard limit %llu",
                                 i, r->type, (unsigned long long) r->soft, (unsigned long long) r->hard);
    }
  return 0;
}

static int
apply_rlimits (const oci_process *proc, skiff_error_t *err)
{
  for (size_t i = 0; i < proc->rlimits_len; i++)
    {
      const oci_rlimit *r = proc->rlimits[i];
      struct rlimit lim = { .rlim_cur = r->soft, .rlim_max = r->hard };
      if (setrlimit (rlimit_from_name (r->type), &lim) < 0)
        return skiff_error_sys (err, "setrlimit %s", r->type);
    }
  return 0;
}

/* ------------------------------------------------------------ personality */

static const struct
{
  const char *name;
  unsigned long value;
} personality_flags[] = {
  { "ADDR_COMPAT_LAYOUT", ADDR_COMPAT_LAYOUT },
  { "ADDR_LIMIT_32BIT", ADDR_LIMIT_32BIT },
  { "ADDR_LIMIT_3GB", ADDR_LIMIT_3GB },
  { "ADDR_NO_RANDOMIZE", ADDR_NO_RANDOMIZE },
  { "FDPIC_FUNCPTRS", FDPIC_FUNCPTRS },
  { "MMAP_PAGE_ZERO", MMAP_PAGE_ZERO },
  { "READ_IMPLIES_EXEC", READ_IMPLIES_EXEC },
  { "SHORT_INODE", SHORT_INODE },
  { "STICKY_TIMEOUTS", STICKY_TIMEOUTS },
  { "UNAME26", UNAME26 },
  { "WHOLE_SECONDS", WHOLE_SECONDS },
};

static int
personality_value (const oci_personality *p, unsigned long *out, skiff_error_t *err)
{
  unsigned long v;
  if (p->domain && strcmp (p->domain, "LINUX") == 0)
    v = PER_LINUX;
  else if (p->domain && strcmp (p->domain, "LINUX32") == 0)
    v = PER_LINUX32;
  else
    return skiff_error_make (err, 0, "linux.personality: unknown domain `%s`",
                             p->domain ? p->domain : "");
  for (size_t i = 0; i < p->flags_len; i++)
    {
      size_t j, n = sizeof personality_flags / sizeof personality_flags[0];
      for (j = 0; j < n; j++)
        if (strcmp (p->flags[i], personality_flags[j].name) == 0)
          break;
      if (j == n)
        return skiff_error_make (err, 0, "linux.personality: unknown flag `%s`", p->flags[i]);
      v |= personality_flags[j].value;
    }
  *out = v;
  return 0;
}

/* ------------------------------------------------------------ scheduler */

/* Our own copy of the kernel's struct (glibc < 2.41 has none).  */
struct skiff_sched_attr
{
  uint32_t size;
  uint32_t sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime;
  uint64_t sched_deadline;
  uint64_t sched_period;
};

static const struct
{
  const char *name;
  int value;
} sched_policies[] = {
  { "SCHED_OTHER", 0 }, { "SCHED_FIFO", 1 }, { "SCHED_RR", 2 },
  { "SCHED_BATCH", 3 }, { "SCHED_IDLE", 5 }, { "SCHED_DEADLINE", 6 },
};

static const struct
{
  const char *name;
  uint64_t value;
} sched_flag_names[] = {
  { "SCHED_FLAG_RESET_ON_FORK", 0x01 },
  { "SCHED_FLAG_RECLAIM", 0x02 },
  { "SCHED_FLAG_DL_OVERRUN", 0x04 },
  { "SCHED_FLAG_KEEP_POLICY", 0x08 },
  { "SCHED_FLAG_KEEP_PARAMS", 0x10 },
  { "SCHED_FLAG_UTIL_CLAMP_MIN", 0x20 },
  { "SCHED_FLAG_UTIL_CLAMP_MAX", 0x40 },
};

static int
sched_attr_from (const oci_scheduler *s, struct skiff_sched_attr *a, skiff_error_t *err)
{
  size_t i, n = sizeof sched_policies / sizeof sched_policies[0];
  int policy;

  memset (a, 0, sizeof *a);
  a->size = sizeof *a;
  for (i = 0; i < n; i++)
    if (s->policy && strcmp (s->policy, sched_policies[i].name) == 0)
      break;
  if (i == n)
    return skiff_error_make (err, 0, "process.scheduler: unknown policy `%s`",
                             s->policy ? s->policy : "");
  policy = sched_policies[i].value;
  a->sched_policy = policy;

  for (size_t f = 0; f < s->flags_len; f++)
    {
      size_t j, m = sizeof sched_flag_names / sizeof sched_flag_names[0];
      for (j = 0; j < m; j++)
        if (strcmp (s->flags[f], sched_flag_names[j].name) == 0)
          break;
      if (j == m)
        return skiff_error_make (err, 0, "process.scheduler: unknown flag `%s`", s->flags[f]);
      a->sched_flags |= sched_flag_names[j].value;
    }

  if (s->nice_present)
    {
      if (s->nice < -20 || s->nice > 19)
        return skiff_error_make (err, 0, "process.scheduler: nice %d is out of range [-20, 19]",
                                 (int) s->nice);
      a->sched_nice = s->nice;
    }
  if (s->priority_present)
    {
      bool rt = policy == 1 || policy == 2;
      if (rt ? (s->priority < 1 || s->priority > 99) : s->priority != 0)
        return skiff_error_make (err, 0, "process.scheduler: priority %d is invalid for %s",
                                 (int) s->priority, s->policy);
      a->sched_priority = s->priority;
    }
  if (policy == 6 && (! s->runtime_present || ! s->deadline_present))
    return skiff_error_make (err, 0, "process.scheduler: SCHED_DEADLINE needs runtime and deadline");
  a->sched_runtime = s->runtime;
  a->sched_deadline = s->deadline;
  a->sched_period = s->period;
  return 0;
}

/* ------------------------------------------------------------ ioPriority */

static int
ioprio_value (const oci_io_priority *p, int *out, skiff_error_t *err)
{
  int cls;
  if (p->class && strcmp (p->class, "IOPRIO_CLASS_RT") == 0)
    cls = 1;
  else if (p->class && strcmp (p->class, "IOPRIO_CLASS_BE") == 0)
    cls = 2;
  else if (p->class && strcmp (p->class, "IOPRIO_CLASS_IDLE") == 0)
    cls = 3;
  else
    return skiff_error_make (err, 0, "process.ioPriority: unknown class `%s`",
                             p->class ? p->class : "");
  if (p->priority < 0 || p->priority > 7)
    return skiff_error_make (err, 0, "process.ioPriority: priority %d is out of range [0, 7]",
                             (int) p->priority);
  *out = (cls << 13) | p->priority;
  return 0;
}

/* ------------------------------------------------------------ sysctl */

static bool
has_namespace (const oci_linux *linux, const char *type)
{
  for (size_t i = 0; linux && i < linux->namespaces_len; i++)
    if (linux->namespaces[i]->type && strcmp (linux->namespaces[i]->type, type) == 0)
      return true;
  return false;
}

/* Only sysctls that belong to a namespace the container has may be set:
   anything else would change the host.  */
static int
check_sysctl_key (const oci_linux *linux, const char *key, skiff_error_t *err)
{
  static const char *const ipc_keys[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
  };
  const char *ns = NULL;

  for (size_t i = 0; i < sizeof ipc_keys / sizeof ipc_keys[0]; i++)
    if (strcmp (key, ipc_keys[i]) == 0)
      ns = "ipc";
  if (strncmp (key, "fs.mqueue.", 10) == 0)
    ns = "ipc";
  else if (strncmp (key, "net.", 4) == 0)
    ns = "network";
  else if (strcmp (key, "kernel.hostname") == 0 || strcmp (key, "kernel.domainname") == 0)
    ns = "uts";
  if (ns == NULL)
    return skiff_error_make (err, 0, "sysctl `%s` is not in a separate kernel namespace", key);
  if (! has_namespace (linux, ns))
    return skiff_error_make (err, 0, "sysctl `%s` is not allowed without a %s namespace", key, ns);
  return 0;
}

/* sysctl(8) notation: '.' separates components and '/' stands for a dot
   inside one (net.ipv4.conf.eth0/100.forwarding).  Reject anything that
   could climb out of /proc/sys.  */
static char *
sysctl_key_to_path (const char *key)
{
  cleanup_free char *p = xstrdup (key);
  for (char *c = p; *c; c++)
    *c = *c == '.' ? '/' : *c == '/' ? '.' : *c;
  for (char *comp = p, *next;; comp = next + 1)
    {
      next = strchr (comp, '/');
      size_t len = next ? (size_t) (next - comp) : strlen (comp);
      if (len == 0 || (len == 1 && comp[0] == '.') || (len == 2 && comp[0] == '.' && comp[1] == '.'))
        return NULL;
      if (next == NULL)
        break;
    }
  return steal_pointer (&p);
}

/* A fresh procfs instance, not attached anywhere, for when /proc/sys is a
   read-only bind (the default readonlyPaths) — the sysctl itself is still
   writable for a process owning the namespace.  */
static int
open_detached_proc (void)
{
#if defined(SYS_fsopen) && defined(SYS_fsconfig) && defined(SYS_fsmount)
  cleanup_close int fsfd = syscall (SYS_fsopen, "proc", 1 /* FSOPEN_CLOEXEC */);
  if (fsfd < 0)
    return -1;
  if (syscall (SYS_fsconfig, fsfd, 6 /* FSCONFIG_CMD_CREATE */, NULL, NULL, 0) < 0)
    return -1;
  return syscall (SYS_fsmount, fsfd, 1 /* FSMOUNT_CLOEXEC */, 0);
#else
  errno = ENOSYS;
  return -1;
#endif
}

static int
write_sysctl (int procfd, const char *relpath, const char *value)
{
  cleanup_close int fd = openat (procfd, relpath, O_WRONLY | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
  struct statfs sfs;
  if (fd < 0)
    return -1;
  /* Only ever write into a real procfs: a rootfs could hide a plain file
     there.  */
  if (fstatfs (fd, &sfs) < 0)
    return -1;
  if (sfs.f_type != PROC_SUPER_MAGIC)
    {
      errno = EXDEV;
      return -1;
    }
  if (write_all (fd, value, strlen (value)) < 0)
    return -1;
  return 0;
}

static int
apply_sysctl (const oci_linux *linux, skiff_error_t *err)
{
  const oci_string_map *m = linux ? linux->sysctl : NULL;
  cleanup_close int detached = -1;

  if (m == NULL)
    return 0;
  for (size_t i = 0; i < m->len; i++)
    {
      const char *key = m->keys[i], *value = m->values[i] ? m->values[i] : "";
      cleanup_free char *rel = NULL, *path = NULL;
      int ret;

      ret = check_sysctl_key (linux, key, err);
      if (ret < 0)
        return ret;
      rel = sysctl_key_to_path (key);
      if (rel == NULL)
        return skiff_error_make (err, 0, "invalid sysctl key `%s`", key);

      path = xasprintf ("/proc/sys/%s", rel);
      if (write_sysctl (AT_FDCWD, path, value) == 0)
        continue;
      if (errno != EROFS && errno != EACCES)
        return skiff_error_sys (err, "write sysctl `%s` (%s)", key, path);
      if (detached < 0)
        detached = open_detached_proc ();
      if (detached >= 0)
        {
          cleanup_free char *p2 = xasprintf ("sys/%s", rel);
          if (write_sysctl (detached, p2, value) == 0)
            continue;
        }
      return skiff_error_sys (err, "write sysctl `%s` (%s)", key, path);
    }
  return 0;
}

/* ------------------------------------------------------------ misc */

static int
join_session_keyring (skiff_error_t *err)
{
  unsigned char rnd[4] = { 0 };
  cleanup_free char *name = NULL;
  if (getrandom (rnd, sizeof rnd, GRND_NONBLOCK) < 0)
    memset (rnd, 0, sizeof rnd);
  name = xasprintf ("_ses.%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
  if (syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name, 0, 0, 0) < 0)
    {
      /* Kernels without keys, or a seccomp filter that hides keyctl.  */
      if (errno == ENOSYS)
        {
          skiff_debug ("session keyring not available: %s", strerror (errno));
          return 0;
        }
      return skiff_error_sys (err, "join session keyring");
    }
  return 0;
}

int
skiff_process_parse_cpus (const char *list, cpu_set_t *set, skiff_error_t *err)
{
  const char *p = list;
  CPU_ZERO (set);
  while (p && *p)
    {
      char *end;
      unsigned long lo, hi;
      if (! isdigit ((unsigned char) *p))
        return skiff_error_make (err, 0, "invalid cpu list `%s`", list);
      lo = hi = strtoul (p, &end, 10);
      if (*end == '-')
        {
          if (! isdigit ((unsigned char) end[1]))
            return skiff_error_make (err, 0, "invalid cpu list `%s`", list);
          hi = strtoul (end + 1, &end, 10);
        }
      if (hi < lo || hi >= CPU_SETSIZE || (*end != ',' && *end != '\0'))
        return skiff_error_make (err, 0, "invalid cpu list `%s`", list);
      for (unsigned long c = lo; c <= hi; c++)
        CPU_SET (c, set);
      p = *end ? end + 1 : end;
    }
  return 0;
}

int
skiff_process_set_cpu_affinity (pid_t pid, const char *cpus, skiff_error_t *err)
{
  cpu_set_t set;
  int ret = skiff_process_parse_cpus (cpus, &set, err);
  if (ret < 0)
    return ret;
  if (sched_setaffinity (pid, sizeof set, &set) < 0)
    return skiff_error_sys (err, "sched_setaffinity `%s`", cpus);
  return 0;
}

static int
apply_cwd (const char *cwd, skiff_error_t *err)
{
  int ret;
  if (cwd == NULL || cwd[0] == '\0')
    cwd = "/";
  if (cwd[0] != '/')
    return skiff_error_make (err, 0, "process.cwd `%s` is not an absolute path", cwd);
  if (chdir (cwd) == 0)
    return 0;
  if (errno != ENOENT)
    return skiff_error_sys (err, "chdir to cwd `%s`", cwd);
  /* Like runc, create a missing cwd.  We are already inside the container's
     root, so symlinks cannot lead out of it.  */
  ret = mkdir_p (cwd, 0755, err);
  if (ret < 0)
    return skiff_error_wrap (err, "create cwd `%s`", cwd);
  if (chdir (cwd) < 0)
    return skiff_error_sys (err, "chdir to cwd `%s`", cwd);
  return 0;
}

int
skiff_process_validate (const oci_config *config, skiff_error_t *err)
{
  const oci_process *proc = config->process;
  const oci_linux *linux = config->linux;
  int ret;

  if (proc)
    {
      ret = check_rlimits (proc, err);
      if (ret < 0)
        return ret;
      if (proc->scheduler)
        {
          struct skiff_sched_attr a;
          ret = sched_attr_from (proc->scheduler, &a, err);
          if (ret < 0)
            return ret;
        }
      if (proc->io_priority)
        {
          int v;
          ret = ioprio_value (proc->io_priority, &v, err);
          if (ret < 0)
            return ret;
        }
      if (proc->cwd && proc->cwd[0] != '/')
        return skiff_error_make (err, 0, "process.cwd `%s` is not an absolute path", proc->cwd);
      if (proc->exec_cpu_affinity)
        {
          cpu_set_t set;
          const char *initial = proc->exec_cpu_affinity->initial;
          const char *final = proc->exec_cpu_affinity->final;
          if (initial && initial[0] && skiff_process_parse_cpus (initial, &set, err) < 0)
            return skiff_error_wrap (err, "process.execCPUAffinity.initial");
          if (final && final[0] && skiff_process_parse_cpus (final, &set, err) < 0)
            return skiff_error_wrap (err, "process.execCPUAffinity.final");
        }
    }
  if (linux && linux->personality)
    {
      unsigned long v;
      ret = personality_value (linux->personality, &v, err);
      if (ret < 0)
        return ret;
    }
  if (linux && linux->sysctl)
    for (size_t i = 0; i < linux->sysctl->len; i++)
      {
        cleanup_free char *rel = NULL;
        ret = check_sysctl_key (linux, linux->sysctl->keys[i], err);
        if (ret < 0)
          return ret;
        rel = sysctl_key_to_path (linux->sysctl->keys[i]);
        if (rel == NULL)
          return skiff_error_make (err, 0, "invalid sysctl key `%s`", linux->sysctl->keys[i]);
      }
  return 0;
}

int
skiff_process_set_oom_score_adj (pid_t pid, const oci_process *proc, skiff_error_t *err)
{
  cleanup_free char *path = NULL;
  cleanup_free char *v = NULL;

  if (proc == NULL || ! proc->oom_score_adj_present)
    return 0;
  path = pid > 0 ? xasprintf ("/proc/%d/oom_score_adj", (int) pid)
                 : xstrdup ("/proc/self/oom_score_adj");
  v = xasprintf ("%d", (int) proc->oom_score_adj);
  if (write_file_at (AT_FDCWD, path, v, strlen (v), err) < 0)
    return skiff_error_wrap (err, "set oomScoreAdj %d", (int) proc->oom_score_adj);
  return 0;
}

int
skiff_process_apply (const oci_config *config, bool no_new_keyring, skiff_error_t *err)
{
  const oci_process *proc = config->process;
  const oci_linux *linux = config->linux;
  int ret;

  ret = skiff_process_validate (config, err);
  if (ret < 0)
    return ret;

  if (proc)
    {
      ret = apply_rlimits (proc, err);
      if (ret < 0)
        return ret;
    }

  if (linux && linux->personality)
    {
      unsigned long v = 0;
      personality_value (linux->personality, &v, err);
      if (personality (v) < 0)
        return skiff_error_sys (err, "personality %s", linux->personality->domain);
    }

  if (proc && proc->scheduler)
    {
      struct skiff_sched_attr a;
      sched_attr_from (proc->scheduler, &a, err);
      if (syscall (SYS_sched_setattr, 0, &a, 0) < 0)
        return skiff_error_sys (err, "sched_setattr %s", proc->scheduler->policy);
    }

  if (proc && proc->io_priority)
    {
      int v = 0;
      ioprio_value (proc->io_priority, &v, err);
      if (syscall (SYS_ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, 0, v) < 0)
        return skiff_error_sys (err, "ioprio_set %s %d", proc->io_priority->class,
                                (int) proc->io_priority->priority);
    }

  if (! no_new_keyring)
    {
      ret = join_session_keyring (err);
      if (ret < 0)
        return ret;
    }

  ret = apply_sysctl (linux, err);
  if (ret < 0)
    return ret;

  umask (proc && proc->user && proc->user->umask_present ? proc->user->umask & 0777 : 0022);

  if (apply_cwd (proc ? proc->cwd : NULL, err) < 0)
    return -1;
  return skiff_exe_guard_check_cwd (proc ? proc->cwd : NULL, err);
}

/* ------------------------------------------------------------ fds + exec */

int
skiff_process_prepare_fds (int preserve_fds, skiff_error_t *err)
{
  if (preserve_fds < 0)
    return skiff_error_make (err, 0, "invalid --preserve-fds %d", preserve_fds);
  /* The caller's fds stay where they are; make sure none of them was
     marked close-on-exec along the way.  */
  for (int fd = 3; fd < 3 + preserve_fds; fd++)
    {
      int flags = fcntl (fd, F_GETFD);
      if (flags < 0)
        {
          if (errno == EBADF)
            continue;
          return skiff_error_sys (err, "fcntl preserved fd %d", fd);
        }
      if ((flags & FD_CLOEXEC) && fcntl (fd, F_SETFD, flags & ~FD_CLOEXEC) < 0)
        return skiff_error_sys (err, "fcntl preserved fd %d", fd);
    }
  return cloexec_fds_from (3 + preserve_fds, err);
}

/* Home directory of UID from the container's /etc/passwd, parsed by hand:
   getpwuid() could load NSS modules from the container's rootfs.  */
static char *
home_for_uid (uid_t uid)
{
  cleanup_free char *data = NULL;
  cleanup_close int fd = -1;
  char *line, *saveptr = NULL;
  struct stat st;
  ssize_t n;

  /* The image controls this file: only read a regular file of sane size
     (not a FIFO that blocks us, nor a link to /dev/zero).  */
  fd = open ("/etc/passwd", O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 || fstat (fd, &st) < 0 || ! S_ISREG (st.st_mode) || st.st_size > (16 << 20))
    return NULL;
  data = xmalloc (st.st_size + 1);
  n = read_all (fd, data, st.st_size);
  if (n < 0)
    return NULL;
  data[n] = '\0';
  for (line = strtok_r (data, "\n", &saveptr); line; line = strtok_r (NULL, "\n", &saveptr))
    {
      char *field[7] = { NULL };
      char *p = line;
      int n = 0;
      unsigned long long u;
      while (n < 7)
        {
          field[n++] = p;
          p = strchr (p, ':');
          if (p == NULL)
            break;
          *p++ = '\0';
        }
      if (n < 6 || parse_uint64 (field[2], &u) < 0 || u != uid)
        continue;
      return field[5][0] ? xstrdup (field[5]) : NULL;
    }
  return NULL;
}

char **
skiff_process_build_env (const oci_process *proc, int preserve_fds)
{
  size_t n = proc ? proc->env_len : 0, k = 0;
  char **env = xmalloc0 ((n + 4) * sizeof (char *));

  for (size_t i = 0; i < n; i++)
    {
      const char *e = proc->env[i];
      if (e == NULL)
        continue;
      /* Ours win over stale LISTEN_* values in the config.  */
      if (preserve_fds > 0 && (strncmp (e, "LISTEN_FDS=", 11) == 0 || strncmp (e, "LISTEN_PID=", 11) == 0))
        continue;
      env[k++] = xstrdup (e);
    }
  if (env_lookup (env, k, "HOME") == NULL)
    {
      char *home = home_for_uid (proc && proc->user ? proc->user->uid : 0);
      env[k++] = xasprintf ("HOME=%s", home ? home : "/");
      free (home);
    }
  if (preserve_fds > 0)
    {
      env[k++] = xasprintf ("LISTEN_FDS=%d", preserve_fds);
      env[k++] = xasprintf ("LISTEN_PID=%d", (int) getpid ());
    }
  env[k] = NULL;
  return env;
}

void
skiff_process_exec_prepare (struct skiff_exec_plan *p, const char *path, const oci_process *proc,
                            int preserve_fds, const struct skiff_exec_attr *attrs, int report_fd)
{
  size_t n = proc ? proc->args_len : 0;

  p->env = skiff_process_build_env (proc, preserve_fds);
  p->argv = xmalloc0 ((n + 1) * sizeof (char *));
  for (size_t i = 0; i < n; i++)
    p->argv[i] = xstrdup (proc->args[i]);
  skiff_exe_guard_prepare (&p->guard, path, p->argv, p->env, attrs, report_fd);
}

void
skiff_process_exec_release (struct skiff_exec_plan *p)
{
  skiff_exe_guard_release (&p->guard);
  strv_free (p->env);
  strv_free (p->argv);
  p->env = p->argv = NULL;
}

int
skiff_process_exec_run (struct skiff_exec_plan *p, skiff_error_t *err)
{
  const struct skiff_exec_attr *failed = NULL;
  const char *path = p->guard.path;

  if (p->argv[0] == NULL)
    return skiff_error_make (err, 0, "process.args must not be empty");
  skiff_exe_guard_exec (&p->guard, &failed);
  if (failed)
    return skiff_error_sys (err, "%s: write `%s` to %s", failed->field, failed->value, failed->path);
  if (errno == ENOENT)
    return skiff_error_plain (err, ENOENT, "exec: \"%s\": no such file or directory", path);
  if (errno == EACCES)
    return skiff_error_plain (err, EACCES, "exec: \"%s\": permission denied", path);
  return skiff_error_sys (err, "exec `%s`", path);
}

int
skiff_process_exec (const char *path, const oci_process *proc, int preserve_fds,
                    const struct skiff_exec_attr *attrs, skiff_error_t *err)
{
  struct skiff_exec_plan p;
  int ret;

  skiff_process_exec_prepare (&p, path, proc, preserve_fds, attrs, -1);
  ret = skiff_process_exec_run (&p, err);
  skiff_process_exec_release (&p);
  return ret;
}
