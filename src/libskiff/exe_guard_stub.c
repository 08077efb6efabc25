/* skiff exec stub: a tiny static program, without libc, that skiff's
   container child executes from a sealed memfd right before the container
   program.  It only does execve(argv[1], argv + 2, envp).

   Why: the process that execve()s the container's program is the one whose
   /proc/self/exe the program (a `#!/proc/self/exe` script, a symlink to it,
   an ELF whose interpreter is it) reaches.  If that process were skiff
   itself, the container would get the host skiff binary mapped and could
   reopen it for writing once skiff is gone (CVE-2019-5736).  Running this
   stub first makes /proc/self/exe a sealed, throwaway memfd of a few
   hundred bytes instead.  Built by src/libskiff/exe_guard.mk and embedded
   in skiff as a byte array.

   Invoked as: argv[0] = SKIFF_EXE_STUB_MAGIC, then zero or more triples
   "", PATH, VALUE (a /proc attribute to write, see below), then the
   resolved executable, then process.args.  Anything else (e.g. the
   container executing /proc/self/exe while we are it) exits 126 instead
   of looping.

   A triple with an empty PATH instead ("", "", FD) names a report fd: the
   stub marks it close-on-exec and, if its execve of the program fails,
   writes why there too (`skiff start` reads it from exec.fifo).

   The attribute writes are the LSM exec labels (SELinux, AppArmor).  They
   apply to the next execve of the writer, so skiff cannot write them
   itself: the label would go to this stub, whose memfd no policy allows as
   an entry point, and the program would only inherit it.  "" cannot be an
   executable, so a triple is never mistaken for the program.  */

#include "exe_guard_stub.h"

#define E_PERM 1
#define E_NOENT 2
#define E_NOEXEC 8
#define E_NOMEM 12
#define E_ACCES 13
#define E_TXTBSY 26
#define E_2BIG 7
#define E_LOOP 40
#define E_ISDIR 21
#define E_NOTDIR 20
#define E_INVAL 22
#define AT_FD_CWD -100
#define O_WRONLY_CLOEXEC 02000001 /* O_WRONLY | O_CLOEXEC */
#define F_SET_FD 2
#define FD_CLOEXEC_FLAG 1

#if defined(__x86_64__)
# define NR_write 1
# define NR_openat 257
# define NR_close 3
# define NR_execve 59
# define NR_exit_group 231
# define NR_fcntl 72
static long
sys3 (long n, long a, long b, long c)
{
  long r;
  __asm__ volatile ("syscall" : "=a" (r) : "a" (n), "D" (a), "S" (b), "d" (c) : "rcx", "r11", "memory");
  return r;
}
__asm__ (".text\n.globl _start\n_start:\n"
         "  xor %rbp, %rbp\n  mov %rsp, %rdi\n  and $-16, %rsp\n  call stub_main\n  hlt\n");
#elif defined(__aarch64__)
# define NR_write 64
# define NR_openat 56
# define NR_close 57
# define NR_execve 221
# define NR_exit_group 94
# define NR_fcntl 25
static long
sys3 (long n, long a, long b, long c)
{
  register long x8 __asm__ ("x8") = n;
  register long x0 __asm__ ("x0") = a;
  register long x1 __asm__ ("x1") = b;
  register long x2 __asm__ ("x2") = c;
  __asm__ volatile ("svc 0" : "+r" (x0) : "r" (x8), "r" (x1), "r" (x2) : "memory");
  return x0;
}
__asm__ (".text\n.globl _start\n_start:\n"
         "  mov x29, #0\n  mov x0, sp\n  bl stub_main\n  brk #0\n");
#else
# error "no exec stub for this architecture"
#endif

static unsigned long
len (const char *s)
{
  unsigned long n = 0;
  while (s[n])
    n++;
  return n;
}

/* On stderr, and on REPORT_FD when there is one (a local, not a global:
   the stub has no writable data segment).  */
static void
put (long report_fd, const char *s)
{
  sys3 (NR_write, 2, (long) s, (long) len (s));
  if (report_fd >= 0)
    sys3 (NR_write, report_fd, (long) s, (long) len (s));
}

static long
parse_fd (const char *s)
{
  long n = 0;
  if (*s == '\0')
    return -1;
  for (; *s; s++)
    {
      if (*s < '0' || *s > '9' || n > 65536)
        return -1;
      n = n * 10 + (*s - '0');
    }
  return n;
}

static void __attribute__ ((noreturn))
die (int status)
{
  for (;;)
    sys3 (NR_exit_group, status, 0, 0);
}

/* Go's wording, as skiff_process_exec reports these errors.  */
static const char *
reason (long e)
{
  switch (e)
    {
    case E_NOENT: return "no such file or directory";
    case E_ACCES: return "permission denied";
    case E_PERM: return "operation not permitted";
    case E_NOEXEC: return "exec format error";
    case E_NOMEM: return "cannot allocate memory";
    case E_TXTBSY: return "text file busy";
    case E_2BIG: return "argument list too long";
    case E_LOOP: return "too many levels of symbolic links";
    case E_ISDIR: return "is a directory";
    case E_NOTDIR: return "not a directory";
    case E_INVAL: return "invalid argument";
    default: return "failed";
    }
}

void __attribute__ ((noreturn, used)) stub_main (long *sp);

void __attribute__ ((noreturn, used))
stub_main (long *sp)
{
  long argc = sp[0], r, report_fd = -1;
  char **argv = (char **) (sp + 1);
  char **envp = argv + argc + 1;
  const char *m = SKIFF_EXE_STUB_MAGIC, *a;

  a = argc >= 3 ? argv[0] : "";
  while (*m && *m == *a)
    m++, a++;
  if (*m || *a)
    {
      put (-1, "skiff: this is skiff's exec stub; it only runs from skiff\n");
      die (126);
    }
  argv++;
  while (argv[0] && argv[0][0] == '\0' && argv[1] && argv[2])
    {
      long fd;
      if (argv[1][0] == '\0')
        {
          /* Kept until our execve, not by the program: a failure to mark
             it only loses the report.  */
          report_fd = parse_fd (argv[2]);
          if (report_fd >= 0 && sys3 (NR_fcntl, report_fd, F_SET_FD, FD_CLOEXEC_FLAG) < 0)
            {
              sys3 (NR_close, report_fd, 0, 0);
              report_fd = -1;
            }
          argv += 3;
          continue;
        }
      fd = sys3 (NR_openat, AT_FD_CWD, (long) argv[1], O_WRONLY_CLOEXEC);
      r = fd < 0 ? fd : sys3 (NR_write, fd, (long) argv[2], (long) len (argv[2]));
      if (r < 0)
        {
          put (report_fd, "skiff: write \"");
          put (report_fd, argv[2]);
          put (report_fd, "\" to ");
          put (report_fd, argv[1]);
          put (report_fd, ": ");
          put (report_fd, reason (-r));
          put (report_fd, "\n");
          die (126);
        }
      sys3 (NR_close, fd, 0, 0);
      argv += 3;
    }
  if (argv[0] == 0 || argv[1] == 0)
    die (126);
  r = -sys3 (NR_execve, (long) argv[0], (long) (argv + 1), (long) envp);
  put (report_fd, "skiff: exec \"");
  put (report_fd, argv[0]);
  put (report_fd, "\": ");
  put (report_fd, reason (r));
  put (report_fd, "\n");
  die (r == E_NOENT ? 127 : 126);
}
