/* skiff-test-helper: the payload of skiff's integration tests.

   One static multi-call binary that reports what the container process
   actually sees (ids, capabilities, namespaces, limits, fds, ...) or tries
   one privileged operation and reports the outcome.  It is copied into
   each test rootfs as /bin/skiff-test-helper, so it must not depend on
   anything in that rootfs: no shared libraries, no NSS (no getpwnam).

   Conventions, so tests can assert on the output:
   - "probe" commands (syscall, open) always exit 0 and print `ok` or
     `errno=N`: the outcome is the output;
   - "action" commands (cat, write, mount, mknod, kill, ptrace, stat, ...)
     exit 0 on success and exit 1 on failure, printing
     `skiff-test-helper: WHAT: STRERROR (errno=N)` on stderr;
   - a usage error exits 2.
   Signals keep their default disposition everywhere.  */

#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/personality.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>

extern char **environ;

static const char *prog = "skiff-test-helper";

/* Report a failed action and exit 1.  */
static void __attribute__ ((noreturn, format (printf, 1, 2)))
fail (const char *fmt, ...)
{
  int saved = errno;
  va_list ap;

  fprintf (stderr, "%s: ", prog);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fprintf (stderr, ": %s (errno=%d)\n", strerror (saved), saved);
  exit (1);
}

static void __attribute__ ((noreturn))
usage_error (const char *msg)
{
  fprintf (stderr, "%s: %s (run `%s help`)\n", prog, msg, prog);
  exit (2);
}

static long long
num (const char *s)
{
  char *end;
  long long v;

  errno = 0;
  v = strtoll (s, &end, 0);
  if (errno || end == s || *end)
    usage_error ("expected a number");
  return v;
}

/* Probe result: `ok` or `errno=N`, exit 0 either way.  */
static int
report (int ret)
{
  if (ret < 0)
    printf ("errno=%d\n", errno);
  else
    printf ("ok\n");
  return 0;
}

static int
cat_fd (int fd, const char *what)
{
  char buf[65536];
  ssize_t n;

  while ((n = read (fd, buf, sizeof buf)) != 0)
    {
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          fail ("read %s", what);
        }
      if (fwrite (buf, 1, n, stdout) != (size_t) n)
        fail ("write stdout");
    }
  return 0;
}

static int
cat_file (const char *path)
{
  int fd = open (path, O_RDONLY | O_CLOEXEC);

  if (fd < 0)
    fail ("open %s", path);
  cat_fd (fd, path);
  close (fd);
  return 0;
}

/* Print the lines of /proc/self/status whose key is one of KEYS.  */
static int
status_lines (const char *const *keys, size_t nkeys)
{
  char line[1024];
  FILE *f = fopen ("/proc/self/status", "re");

  if (f == NULL)
    fail ("open /proc/self/status");
  while (fgets (line, sizeof line, f))
    {
      size_t klen = strcspn (line, ":");
      for (size_t i = 0; i < nkeys; i++)
        if (strlen (keys[i]) == klen && strncmp (line, keys[i], klen) == 0)
          fputs (line, stdout);
    }
  fclose (f);
  return 0;
}

static int
cmd_ids (void)
{
  gid_t groups[NGROUPS_MAX];
  int n = getgroups (NGROUPS_MAX, groups);

  if (n < 0)
    fail ("getgroups");
  printf ("uid=%u gid=%u euid=%u egid=%u groups=", getuid (), getgid (),
          geteuid (), getegid ());
  for (int i = 0; i < n; i++)
    printf ("%s%u", i ? "," : "", groups[i]);
  printf ("\n");
  return 0;
}

static int
cmd_caps (void)
{
  static const char *const keys[] = { "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb" };
  return status_lines (keys, 5);
}

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* `ns`: NAME:TARGET, e.g. `net:net:[4026531840]`, sorted by name.  */
static int
cmd_ns (void)
{
  char *lines[64];
  size_t n = 0;
  struct dirent *de;
  DIR *d = opendir ("/proc/self/ns");

  if (d == NULL)
    fail ("opendir /proc/self/ns");
  while ((de = readdir (d)) != NULL && n < 64)
    {
      char target[256];
      ssize_t len;

      if (de->d_name[0] == '.')
        continue;
      len = readlinkat (dirfd (d), de->d_name, target, sizeof target - 1);
      if (len < 0)
        fail ("readlink /proc/self/ns/%s", de->d_name);
      target[len] = '\0';
      if (asprintf (&lines[n++], "%s:%s", de->d_name, target) < 0)
        fail ("asprintf");
    }
  closedir (d);
  qsort (lines, n, sizeof lines[0], cmp_str);
  for (size_t i = 0; i < n; i++)
    printf ("%s\n", lines[i]);
  return 0;
}

static const struct { const char *name; int res; } rlimits[] = {
  { "RLIMIT_AS", RLIMIT_AS }, { "RLIMIT_CORE", RLIMIT_CORE },
  { "RLIMIT_CPU", RLIMIT_CPU }, { "RLIMIT_DATA", RLIMIT_DATA },
  { "RLIMIT_FSIZE", RLIMIT_FSIZE }, { "RLIMIT_LOCKS", RLIMIT_LOCKS },
  { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK }, { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
  { "RLIMIT_NICE", RLIMIT_NICE }, { "RLIMIT_NOFILE", RLIMIT_NOFILE },
  { "RLIMIT_NPROC", RLIMIT_NPROC }, { "RLIMIT_RSS", RLIMIT_RSS },
  { "RLIMIT_RTPRIO", RLIMIT_RTPRIO }, { "RLIMIT_RTTIME", RLIMIT_RTTIME },
  { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING }, { "RLIMIT_STACK", RLIMIT_STACK },
};

static void
print_rlim (rlim_t v)
{
  if (v == RLIM_INFINITY)
    printf ("unlimited");
  else
    printf ("%llu", (unsigned long long) v);
}

/* `limits [NAME]`: `RLIMIT_NOFILE soft=1024 hard=4096` per line; NAME
   (e.g. RLIMIT_NOFILE or nofile) selects one.  */
static int
cmd_limits (const char *only)
{
  for (size_t i = 0; i < sizeof rlimits / sizeof rlimits[0]; i++)
    {
      struct rlimit rl;

      if (only && strcasecmp (only, rlimits[i].name) != 0
          && strcasecmp (only, rlimits[i].name + 7) != 0)
        continue;
      if (getrlimit (rlimits[i].res, &rl) < 0)
        fail ("getrlimit %s", rlimits[i].name);
      printf ("%s soft=", rlimits[i].name);
      print_rlim (rl.rlim_cur);
      printf (" hard=");
      print_rlim (rl.rlim_max);
      printf ("\n");
    }
  return 0;
}

static int
cmd_write (const char *path, const char *data)
{
  int fd = open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  size_t len = strlen (data);

  if (fd < 0)
    fail ("open %s", path);
  if (write (fd, data, len) != (ssize_t) len)
    fail ("write %s", path);
  if (close (fd) < 0)
    fail ("close %s", path);
  return 0;
}

/* `fds`: `N -> TARGET` for each open fd but the one used for listing.  */
static int
cmd_fds (void)
{
  struct dirent *de;
  DIR *d = opendir ("/proc/self/fd");

  if (d == NULL)
    fail ("opendir /proc/self/fd");
  while ((de = readdir (d)) != NULL)
    {
      char target[PATH_MAX];
      ssize_t len;

      if (de->d_name[0] == '.' || atoi (de->d_name) == dirfd (d))
        continue;
      len = readlinkat (dirfd (d), de->d_name, target, sizeof target - 1);
      if (len < 0)
        strcpy (target, "?"), len = 1;
      target[len] = '\0';
      printf ("%s -> %s\n", de->d_name, target);
    }
  closedir (d);
  return 0;
}

/* `pty [FD]`: isatty, ttyname and window size of FD (default 0).  */
static int
cmd_pty (int fd)
{
  struct winsize ws;
  const char *name;

  printf ("isatty=%d\n", isatty (fd) ? 1 : 0);
  name = ttyname (fd);
  printf ("ttyname=%s\n", name ? name : "");
  if (ioctl (fd, TIOCGWINSZ, &ws) < 0)
    printf ("winsize errno=%d\n", errno);
  else
    printf ("rows=%u cols=%u\n", ws.ws_row, ws.ws_col);
  return 0;
}

static const struct { const char *name; int flag; } ns_flags[] = {
  { "mnt", CLONE_NEWNS }, { "uts", CLONE_NEWUTS }, { "ipc", CLONE_NEWIPC },
  { "net", CLONE_NEWNET }, { "pid", CLONE_NEWPID }, { "user", CLONE_NEWUSER },
  { "cgroup", CLONE_NEWCGROUP }, { "time", 0x80 /* CLONE_NEWTIME */ },
};

static int
ns_flag (const char *s)
{
  for (size_t i = 0; i < sizeof ns_flags / sizeof ns_flags[0]; i++)
    if (strcmp (s, ns_flags[i].name) == 0)
      return ns_flags[i].flag;
  return (int) num (s);
}

static void
need_args (int argc, int n)
{
  if (argc < n)
    usage_error ("syscall: missing argument");
}

/* `syscall NAME [ARGS]`: try one syscall, print `ok` or `errno=N`.  */
static int
cmd_syscall (int argc, char **argv)
{
  const char *name = argc > 0 ? argv[0] : "";
  const char *a1 = argc > 1 ? argv[1] : NULL;
  const char *a2 = argc > 2 ? argv[2] : NULL;
  char buf[PATH_MAX];

#define NEED(n) need_args (argc, (n) + 1)
  if (strcmp (name, "mkdir") == 0)
    return NEED (1), report (mkdir (a1, 0755));
  if (strcmp (name, "rmdir") == 0)
    return NEED (1), report (rmdir (a1));
  if (strcmp (name, "unlink") == 0)
    return NEED (1), report (unlink (a1));
  if (strcmp (name, "symlink") == 0)
    return NEED (2), report (symlink (a1, a2));
  if (strcmp (name, "getcwd") == 0)
    return report (getcwd (buf, sizeof buf) ? 0 : -1);
  if (strcmp (name, "chmod") == 0)
    return NEED (2), report (chmod (a1, (mode_t) strtol (a2, NULL, 8)));
  if (strcmp (name, "chown") == 0)
    return NEED (3), report (chown (a1, (uid_t) num (a2), (gid_t) num (argv[3])));
  if (strcmp (name, "chroot") == 0)
    return NEED (1), report (chroot (a1));
  if (strcmp (name, "unshare") == 0)
    return NEED (1), report (unshare (ns_flag (a1)));
  if (strcmp (name, "mount") == 0)   /* a tmpfs on DST (default /tmp) */
    return report (mount ("tmpfs", a1 ? a1 : "/tmp", "tmpfs", 0, NULL));
  if (strcmp (name, "umount") == 0)
    return NEED (1), report (umount2 (a1, MNT_DETACH));
  if (strcmp (name, "ptrace") == 0)  /* attach to PID (default: parent) */
    {
      pid_t pid = a1 ? (pid_t) num (a1) : getppid ();
      long r = ptrace (PTRACE_ATTACH, pid, NULL, NULL);
      int saved = errno;
      if (r == 0)
        {
          waitpid (pid, NULL, __WALL);
          ptrace (PTRACE_DETACH, pid, NULL, NULL);
        }
      errno = saved;
      return report (r < 0 ? -1 : 0);
    }
  if (strcmp (name, "sethostname") == 0)
    return report (sethostname (a1 ? a1 : "x", strlen (a1 ? a1 : "x")));
  if (strcmp (name, "setuid") == 0)
    return report (setuid (a1 ? (uid_t) num (a1) : 0));
  if (strcmp (name, "setgid") == 0)
    return report (setgid (a1 ? (gid_t) num (a1) : 0));
  if (strcmp (name, "kill") == 0)
    return NEED (1), report (kill ((pid_t) num (a1), a2 ? (int) num (a2) : 0));
  if (strcmp (name, "socket") == 0)  /* socket DOMAIN-NUMBER TYPE-NUMBER */
    {
      int fd = socket (a1 ? (int) num (a1) : AF_INET, a2 ? (int) num (a2) : SOCK_STREAM, 0);
      return report (fd < 0 ? -1 : 0);
    }
  if (strcmp (name, "personality") == 0)
    return report (personality (a1 ? (unsigned long) num (a1) : 0xffffffffUL) < 0 ? -1 : 0);
  if (strcmp (name, "mknod") == 0)   /* a char device 1:3 at PATH */
    return NEED (1), report (mknod (a1, S_IFCHR | 0666, makedev (1, 3)));
  if (strcmp (name, "keyctl") == 0)  /* KEYCTL_GET_KEYRING_ID of the session keyring */
    return report (syscall (SYS_keyctl, 0, -3, 0) < 0 ? -1 : 0);
  if (strcmp (name, "nr") == 0)      /* nr NUMBER [up to 6 integer args] */
    {
      long a[6] = { 0 };
      NEED (1);
      for (int i = 0; i < 6 && i + 2 < argc; i++)
        a[i] = (long) num (argv[i + 2]);
      return report (syscall (num (a1), a[0], a[1], a[2], a[3], a[4], a[5]) < 0 ? -1 : 0);
    }
#undef NEED
  usage_error ("syscall: unknown syscall name");
}

static int
cmd_stat (const char *path, int follow)
{
  struct stat st;
  const char *type;

  if ((follow ? stat (path, &st) : lstat (path, &st)) < 0)
    fail ("stat %s", path);
  switch (st.st_mode & S_IFMT)
    {
    case S_IFREG: type = "file"; break;
    case S_IFDIR: type = "dir"; break;
    case S_IFCHR: type = "char"; break;
    case S_IFBLK: type = "block"; break;
    case S_IFIFO: type = "fifo"; break;
    case S_IFSOCK: type = "socket"; break;
    case S_IFLNK: type = "symlink"; break;
    default: type = "unknown";
    }
  printf ("type=%s mode=%04o uid=%u gid=%u", type, (unsigned) (st.st_mode & 07777),
          st.st_uid, st.st_gid);
  if (S_ISCHR (st.st_mode) || S_ISBLK (st.st_mode))
    printf (" major=%u minor=%u", major (st.st_rdev), minor (st.st_rdev));
  else
    printf (" size=%lld", (long long) st.st_size);
  printf ("\n");
  return 0;
}

static const char *
policy_name (int policy)
{
  switch (policy)
    {
    case SCHED_OTHER: return "SCHED_OTHER";
    case SCHED_FIFO: return "SCHED_FIFO";
    case SCHED_RR: return "SCHED_RR";
    case SCHED_BATCH: return "SCHED_BATCH";
    case SCHED_IDLE: return "SCHED_IDLE";
    case 6: return "SCHED_DEADLINE";
    default: return "unknown";
    }
}

/* Mirrors the kernel's struct sched_attr (glibc 2.36 has no wrapper).  */
struct helper_sched_attr
{
  uint32_t size, sched_policy;
  uint64_t sched_flags;
  int32_t sched_nice;
  uint32_t sched_priority;
  uint64_t sched_runtime, sched_deadline, sched_period;
  uint32_t util_min, util_max;
};

static int
cmd_sched (void)
{
  struct helper_sched_attr a;

  memset (&a, 0, sizeof a);
  if (syscall (SYS_sched_getattr, 0, &a, sizeof a, 0) < 0)
    fail ("sched_getattr");
  printf ("policy=%s priority=%u nice=%d flags=%llu runtime=%llu deadline=%llu period=%llu\n",
          policy_name ((int) a.sched_policy), a.sched_priority, a.sched_nice,
          (unsigned long long) a.sched_flags, (unsigned long long) a.sched_runtime,
          (unsigned long long) a.sched_deadline, (unsigned long long) a.sched_period);
  return 0;
}

static int
cmd_ioprio (void)
{
  static const char *const classes[] = { "IOPRIO_CLASS_NONE", "IOPRIO_CLASS_RT",
                                         "IOPRIO_CLASS_BE", "IOPRIO_CLASS_IDLE" };
  long r = syscall (SYS_ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, 0);
  int cls;

  if (r < 0)
    fail ("ioprio_get");
  cls = (int) (r >> 13);
  printf ("class=%s priority=%ld\n", cls < 4 ? classes[cls] : "unknown", r & 0x1fff);
  return 0;
}

static int
cmd_sleep (double secs, int busy)
{
  struct timespec start, now;

  clock_gettime (CLOCK_MONOTONIC, &start);
  for (;;)
    {
      double elapsed;

      clock_gettime (CLOCK_MONOTONIC, &now);
      elapsed = (now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9;
      if (elapsed >= secs)
        return 0;
      if (!busy)
        {
          double left = secs - elapsed;
          struct timespec ts = { (time_t) left, (long) ((left - (time_t) left) * 1e9) };
          nanosleep (&ts, NULL);
        }
    }
}

static int
cmd_alloc (long mib)
{
  size_t len = (size_t) mib << 20;
  char *p = malloc (len);

  if (p == NULL)
    fail ("malloc %ld MiB", mib);
  for (size_t i = 0; i < len; i += 4096)
    p[i] = 1;
  printf ("allocated %ld MiB\n", mib);
  return 0;
}

/* `forkbomb N`: try N forks (children wait for SIGKILL); print
   `forked=K` and the errno of the first failure, then reap them.  */
static int
cmd_forkbomb (long n)
{
  pid_t *pids = calloc (n > 0 ? n : 1, sizeof *pids);
  long k = 0;
  int err = 0;

  if (pids == NULL)
    fail ("calloc");
  for (; k < n; k++)
    {
      pid_t pid = fork ();
      if (pid < 0)
        {
          err = errno;
          break;
        }
      if (pid == 0)
        {
          for (;;)
            pause ();
        }
      pids[k] = pid;
    }
  for (long i = 0; i < k; i++)
    kill (pids[i], SIGKILL);
  for (long i = 0; i < k; i++)
    waitpid (pids[i], NULL, 0);
  printf ("forked=%ld errno=%d\n", k, err);
  return 0;
}

static int
signal_number (const char *s)
{
  static const struct { const char *name; int sig; } sigs[] = {
    { "HUP", SIGHUP }, { "INT", SIGINT }, { "QUIT", SIGQUIT }, { "KILL", SIGKILL },
    { "USR1", SIGUSR1 }, { "USR2", SIGUSR2 }, { "TERM", SIGTERM }, { "CONT", SIGCONT },
    { "STOP", SIGSTOP }, { "CHLD", SIGCHLD },
  };
  if (strncmp (s, "SIG", 3) == 0)
    s += 3;
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    if (strcmp (s, sigs[i].name) == 0)
      return sigs[i].sig;
  return (int) num (s);
}

static int
cmd_keyring (void)
{
  char desc[512];
  long id = syscall (SYS_keyctl, 0 /* GET_KEYRING_ID */, -3 /* SESSION */, 0);
  long n;

  if (id < 0)
    fail ("keyctl get session keyring");
  n = syscall (SYS_keyctl, 6 /* DESCRIBE */, id, desc, sizeof desc);
  if (n < 0)
    fail ("keyctl describe");
  desc[sizeof desc - 1] = '\0';
  printf ("%s\n", desc);
  /* The keyring's LSM label, when the kernel has one to give.  */
  n = syscall (SYS_keyctl, 17 /* GET_SECURITY */, id, desc, sizeof desc);
  if (n > 1)
    {
      desc[sizeof desc - 1] = '\0';
      printf ("label=%s\n", desc);
    }
  else if (n < 0)
    printf ("label-errno=%d\n", errno);
  return 0;
}

static const char usage[] =
  "usage: skiff-test-helper CMD [ARGS]\n"
  "report: true | exit N | echo ARGS | pid | ids | caps | env | cwd | mounts | ns\n"
  "        limits [NAME] | fds | pty [FD] | stat PATH | lstat PATH | setuid | setuid-test\n"
  "        personality | sched | ioprio | oom | umask | hostname | domainname\n"
  "        keyring | status KEY... | cat FILE\n"
  "act:    write FILE DATA | mount SRC DST TYPE [DATA] | mknod PATH c|b|p MAJ MIN\n"
  "        exe-attack PATH [SECS] | rename-loop A B [SECS]\n"
  "        kill PID SIG | ptrace PID | sleep SECS | spin SECS | alloc MIB | forkbomb N\n"
  "probe:  open PATH | syscall NAME [ARGS]   (print `ok` or `errno=N`, exit 0)\n"
  "        syscall names: mkdir rmdir unlink symlink getcwd chmod chown chroot unshare\n"
  "        mount umount ptrace sethostname setuid setgid kill socket personality mknod\n"
  "        keyctl nr\n";

int
main (int argc, char **argv)
{
  const char *cmd = argc > 1 ? argv[1] : "help";
  char **args = argv + 2;
  int nargs = argc > 2 ? argc - 2 : 0;

  setvbuf (stdout, NULL, _IOLBF, 0);
#define IS(name, n) (strcmp (cmd, name) == 0 && (nargs >= (n) || (usage_error ("missing argument"), 0)))
  if (IS ("true", 0))
    return 0;
  if (IS ("exit", 1))
    return (int) num (args[0]);
  if (IS ("echo", 0))
    {
      for (int i = 0; i < nargs; i++)
        printf ("%s%s", i ? " " : "", args[i]);
      printf ("\n");
      return 0;
    }
  if (IS ("pid", 0))
    return printf ("pid=%d ppid=%d\n", getpid (), getppid ()), 0;
  if (IS ("ids", 0))
    return cmd_ids ();
  if (IS ("caps", 0))
    return cmd_caps ();
  if (IS ("status", 1))
    return status_lines ((const char *const *) args, nargs);
  if (IS ("env", 0))
    {
      for (char **e = environ; *e; e++)
        printf ("%s\n", *e);
      return 0;
    }
  if (IS ("cwd", 0))
    {
      char buf[PATH_MAX];
      if (getcwd (buf, sizeof buf) == NULL)
        fail ("getcwd");
      return printf ("%s\n", buf), 0;
    }
  if (IS ("mounts", 0))
    return cat_file ("/proc/self/mountinfo");
  if (IS ("ns", 0))
    return cmd_ns ();
  if (IS ("limits", 0))
    return cmd_limits (nargs ? args[0] : NULL);
  if (IS ("cat", 1))
    return cat_file (args[0]);
  if (IS ("write", 2))
    return cmd_write (args[0], args[1]);
  if (IS ("fds", 0))
    return cmd_fds ();
  if (IS ("pty", 0))
    return cmd_pty (nargs ? (int) num (args[0]) : 0);
  if (IS ("syscall", 1))
    return cmd_syscall (nargs, args);
  if (IS ("open", 1))
    {
      int fd = open (args[0], O_RDWR | O_CLOEXEC);
      return report (fd < 0 ? -1 : 0);
    }
  if (IS ("mount", 3))
    {
      if (mount (args[0], args[1], args[2], 0, nargs > 3 ? args[3] : NULL) < 0)
        fail ("mount %s on %s type %s", args[0], args[1], args[2]);
      return 0;
    }
  if (IS ("mknod", 2))
    {
      mode_t type = args[1][0] == 'c' ? S_IFCHR : args[1][0] == 'b' ? S_IFBLK : S_IFIFO;
      dev_t dev = 0;
      if (type != S_IFIFO)
        {
          if (nargs < 4)
            usage_error ("mknod: missing MAJ MIN");
          dev = makedev ((unsigned) num (args[2]), (unsigned) num (args[3]));
        }
      if (mknod (args[0], type | 0666, dev) < 0)
        fail ("mknod %s", args[0]);
      return 0;
    }
  if (IS ("kill", 2))
    {
      if (kill ((pid_t) num (args[0]), signal_number (args[1])) < 0)
        fail ("kill %s %s", args[0], args[1]);
      return 0;
    }
  if (IS ("ptrace", 1))
    {
      pid_t pid = (pid_t) num (args[0]);
      if (ptrace (PTRACE_ATTACH, pid, NULL, NULL) < 0)
        fail ("ptrace attach %d", pid);
      waitpid (pid, NULL, __WALL);
      ptrace (PTRACE_DETACH, pid, NULL, NULL);
      return printf ("ok\n"), 0;
    }
  if (IS ("exe-attack", 1))
    {
      /* CVE-2019-5736 attempt: keep an O_PATH fd on PATH (e.g. /proc/1/exe),
         then retry reopening it for writing for SECS (ETXTBSY while it
         runs); prints `open errno=N`, `reopen errno=N`, `write errno=N` or
         `written` (PATH's first bytes overwritten).  */
      double secs = nargs > 1 ? strtod (args[1], NULL) : 5;
      char p[64];
      int fd = open (args[0], O_PATH), w = -1;
      if (fd < 0)
        return printf ("open errno=%d\n", errno), 0;
      snprintf (p, sizeof p, "/proc/self/fd/%d", fd);
      for (long i = 0; i <= (long) (secs * 100) && w < 0; i++)
        if ((w = open (p, O_WRONLY)) < 0 && errno == ETXTBSY)
          usleep (10000);
        else if (w < 0)
          break;
      if (w < 0)
        return printf ("reopen errno=%d\n", errno), 0;
      if (write (w, "pwned!\n", 7) != 7)
        return printf ("write errno=%d\n", errno), 0;
      return printf ("written\n"), 0;
    }
  if (IS ("rename-loop", 2))
    {
      /* Swap A and B (renameat2 RENAME_EXCHANGE) for SECS: a directory and
         a symlink trading places under a runtime resolving paths.  */
      time_t end = time (NULL) + (nargs > 2 ? (time_t) num (args[2]) : 10);
      long n = 0;
      while (time (NULL) < end)
        if (syscall (SYS_renameat2, AT_FDCWD, args[0], AT_FDCWD, args[1], 2 /* RENAME_EXCHANGE */) == 0)
          n++;
      return printf ("swaps=%ld\n", n), 0;
    }
  if (IS ("stat", 1))
    return cmd_stat (args[0], 1);
  if (IS ("lstat", 1))
    return cmd_stat (args[0], 0);
  if (IS ("setuid", 0) || IS ("setuid-test", 0))
    {
      uid_t r, e, s;
      gid_t rg, eg, sg;
      getresuid (&r, &e, &s);
      getresgid (&rg, &eg, &sg);
      return printf ("ruid=%u euid=%u suid=%u rgid=%u egid=%u\n", r, e, s, rg, eg), 0;
    }
  if (IS ("personality", 0))
    {
      struct utsname u;
      uname (&u);
      return printf ("%s\n", u.machine), 0;
    }
  if (IS ("hostname", 0) || IS ("domainname", 0))
    {
      struct utsname u;
      uname (&u);
      return printf ("%s\n", cmd[0] == 'h' ? u.nodename : u.domainname), 0;
    }
  if (IS ("sched", 0))
    return cmd_sched ();
  if (IS ("ioprio", 0))
    return cmd_ioprio ();
  if (IS ("oom", 0))
    return cat_file ("/proc/self/oom_score_adj");
  if (IS ("umask", 0))
    {
      mode_t m = umask (0);
      umask (m);
      return printf ("%04o\n", (unsigned) m), 0;
    }
  if (IS ("keyring", 0))
    return cmd_keyring ();
  if (IS ("sleep", 1))
    return cmd_sleep (strtod (args[0], NULL), 0);
  if (IS ("spin", 1))
    return cmd_sleep (strtod (args[0], NULL), 1);
  if (IS ("alloc", 1))
    return cmd_alloc ((long) num (args[0]));
  if (IS ("forkbomb", 1))
    return cmd_forkbomb ((long) num (args[0]));
#undef IS
  if (strcmp (cmd, "help") == 0 || strcmp (cmd, "--help") == 0)
    return fputs (usage, stdout), 0;
  fprintf (stderr, "%s: unknown command `%s`\n%s", prog, cmd, usage);
  return 2;
}
