/* skiff: linux.seccomp -> classic BPF (libseccomp, parent side) and the
   load of that program (child side, plain syscalls only).  */
#include <config.h>

#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>

#include "log.h"
#include "seccomp.h"
#include "utils.h"

#ifndef SECCOMP_FILTER_FLAG_NEW_LISTENER
#define SECCOMP_FILTER_FLAG_NEW_LISTENER (1UL << 3)
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC_ESRCH
#define SECCOMP_FILTER_FLAG_TSYNC_ESRCH (1UL << 4)
#endif
#ifndef SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV
#define SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (1UL << 5)
#endif
#ifndef SECCOMP_GET_ACTION_AVAIL
#define SECCOMP_GET_ACTION_AVAIL 2
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF 0x7fc00000U
#endif
#ifndef SECCOMP_RET_LOG
#define SECCOMP_RET_LOG 0x7ffc0000U
#endif
#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif

/* The kernel's limit on one filter program.  */
#define SKIFF_BPF_MAXINSNS 4096

struct action_def
{
  const char *name;
  uint32_t scmp;       /* libseccomp action, errno/trace data added later */
  uint32_t kernel;     /* SECCOMP_RET_* for SECCOMP_GET_ACTION_AVAIL */
  bool has_data;       /* takes errnoRet */
};

static const struct action_def actions[] = {
  { "SCMP_ACT_KILL", SCMP_ACT_KILL, SECCOMP_RET_KILL_THREAD, false },
  { "SCMP_ACT_KILL_PROCESS", SCMP_ACT_KILL_PROCESS, SECCOMP_RET_KILL_PROCESS, false },
  { "SCMP_ACT_KILL_THREAD", SCMP_ACT_KILL_THREAD, SECCOMP_RET_KILL_THREAD, false },
  { "SCMP_ACT_TRAP", SCMP_ACT_TRAP, SECCOMP_RET_TRAP, false },
  { "SCMP_ACT_ERRNO", SCMP_ACT_ERRNO (0), SECCOMP_RET_ERRNO, true },
  { "SCMP_ACT_TRACE", SCMP_ACT_TRACE (0), SECCOMP_RET_TRACE, true },
  { "SCMP_ACT_ALLOW", SCMP_ACT_ALLOW, SECCOMP_RET_ALLOW, false },
  { "SCMP_ACT_LOG", SCMP_ACT_LOG, SECCOMP_RET_LOG, false },
  { "SCMP_ACT_NOTIFY", SCMP_ACT_NOTIFY, SECCOMP_RET_USER_NOTIF, false },
};

static const struct
{
  const char *name;
  enum scmp_compare op;
} operators[] = {
  { "SCMP_CMP_NE", SCMP_CMP_NE },   { "SCMP_CMP_LT", SCMP_CMP_LT },
  { "SCMP_CMP_LE", SCMP_CMP_LE },   { "SCMP_CMP_EQ", SCMP_CMP_EQ },
  { "SCMP_CMP_GE", SCMP_CMP_GE },   { "SCMP_CMP_GT", SCMP_CMP_GT },
  { "SCMP_CMP_MASKED_EQ", SCMP_CMP_MASKED_EQ },
};

static const struct
{
  const char *name;
  unsigned int flag;
} filter_flags[] = {
  { "SECCOMP_FILTER_FLAG_TSYNC", SECCOMP_FILTER_FLAG_TSYNC },
  { "SECCOMP_FILTER_FLAG_LOG", SECCOMP_FILTER_FLAG_LOG },
  { "SECCOMP_FILTER_FLAG_SPEC_ALLOW", SECCOMP_FILTER_FLAG_SPEC_ALLOW },
  { "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV", SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV },
};

/* libseccomp's names are the lower-case SCMP_ARCH_ suffixes.  */
static const char *const arch_names[] = {
  "SCMP_ARCH_X86",      "SCMP_ARCH_X86_64",  "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
  "SCMP_ARCH_AARCH64",  "SCMP_ARCH_MIPS",    "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
  "SCMP_ARCH_MIPSEL",   "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
  "SCMP_ARCH_PPC64",    "SCMP_ARCH_PPC64LE", "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
  "SCMP_ARCH_PARISC",   "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",    "SCMP_ARCH_LOONGARCH64",
  "SCMP_ARCH_M68K",     "SCMP_ARCH_SH",      "SCMP_ARCH_SHEB",
};

#define N_ELEMENTS(a) (sizeof (a) / sizeof ((a)[0]))

static int
sys_seccomp (unsigned int op, unsigned int flags, void *args)
{
  return (int) syscall (__NR_seccomp, op, flags, args);
}

static uint32_t
arch_token (const char *name)
{
  char lower[32];
  size_t i, n;

  if (strncmp (name, "SCMP_ARCH_", 10) != 0)
    return 0;
  n = strlen (name + 10);
  if (n == 0 || n >= sizeof lower)
    return 0;
  for (i = 0; i <= n; i++)
    lower[i] = (char) (name[10 + i] >= 'A' && name[10 + i] <= 'Z' ? name[10 + i] + 32 : name[10 + i]);
  return seccomp_arch_resolve_name (lower);
}

static int
parse_action (const char *field, const char *name, bool errno_present, uint32_t errno_ret,
              uint32_t *out, skiff_error_t *err)
{
  size_t i;

  for (i = 0; i < N_ELEMENTS (actions); i++)
    if (strcmp (actions[i].name, name) == 0)
      {
        *out = actions[i].scmp;
        /* errnoRet defaults to EPERM, for SCMP_ACT_TRACE too (its data).  */
        if (actions[i].has_data)
          *out |= (errno_present ? errno_ret : EPERM) & 0xffff;
        return 0;
      }
  return skiff_error_make (err, 0, "%s: unknown action \"%s\"", field, name);
}

static int
parse_operator (const char *name, enum scmp_compare *op)
{
  size_t i;

  for (i = 0; i < N_ELEMENTS (operators); i++)
    if (strcmp (operators[i].name, name) == 0)
      {
        *op = operators[i].op;
        return 0;
      }
  return -1;
}

static int
add_syscall_rules (scmp_filter_ctx ctx, const oci_seccomp *sc, size_t idx, uint32_t def_action,
                   skiff_error_t *err)
{
  const oci_syscall *s = sc->syscalls[idx];
  struct scmp_arg_cmp cmps[6];
  cleanup_free char *field = xasprintf ("linux.seccomp.syscalls[%zu]", idx);
  bool repeated_index = false;
  uint32_t action;
  size_t i, j;

  if (parse_action (field, s->action, s->errno_ret_present, s->errno_ret, &action, err) < 0)
    return -1;
  if (s->args_len > 6)
    return skiff_error_make (err, 0, "%s: more than 6 argument rules", field);
  for (i = 0; i < s->args_len; i++)
    {
      const oci_syscall_arg *a = s->args[i];
      enum scmp_compare op;

      if (a->index > 5)
        return skiff_error_make (err, 0, "%s.args[%zu]: index %u out of range (0-5)", field, i,
                                 a->index);
      if (parse_operator (a->op, &op) < 0)
        return skiff_error_make (err, 0, "%s.args[%zu]: unknown operator \"%s\"", field, i,
                                 a->op);
      cmps[i] = (struct scmp_arg_cmp){ .arg = a->index, .op = op, .datum_a = a->value,
                                       .datum_b = a->value_two };
      for (j = 0; j < i; j++)
        if (cmps[j].arg == cmps[i].arg)
          repeated_index = true;
    }

  /* libseccomp refuses rules whose action is the default one; they would
     change nothing anyway.  */
  if (action == def_action)
    {
      skiff_debug ("%s: action %s equals the default action, skipped", field, s->action);
      return 0;
    }

  for (i = 0; i < s->names_len; i++)
    {
      const char *name = s->names[i];
      int nr = seccomp_syscall_resolve_name (name);
      int ret;

      if (nr == __NR_SCMP_ERROR)
        {
          skiff_debug ("seccomp: syscall %s is unknown to libseccomp or this architecture, skipped",
                       name);
          continue;
        }
      /* Several comparisons on one argument cannot be ANDed by libseccomp:
         then each comparison becomes a rule of its own (so they are ORed),
         the interpretation runc gives such profiles.  */
      if (repeated_index)
        {
          for (j = 0, ret = 0; j < s->args_len && ret == 0; j++)
            ret = seccomp_rule_add_array (ctx, action, nr, 1, &cmps[j]);
        }
      else
        ret = seccomp_rule_add_array (ctx, action, nr, (unsigned int) s->args_len, cmps);
      if (ret < 0)
        return skiff_error_make (err, -ret, "%s: add the rule for `%s`", field, name);
    }
  return 0;
}

static int
export_bpf (scmp_filter_ctx ctx, struct skiff_seccomp_filter *f, skiff_error_t *err)
{
  cleanup_close int fd = memfd_create ("skiff-seccomp", MFD_CLOEXEC);
  struct stat st;
  int ret;

  if (fd < 0)
    return skiff_error_sys (err, "memfd_create");
  ret = seccomp_export_bpf (ctx, fd);
  if (ret < 0)
    return skiff_error_make (err, -ret, "seccomp_export_bpf");
  if (fstat (fd, &st) < 0)
    return skiff_error_sys (err, "fstat seccomp program");
  if (st.st_size == 0 || st.st_size % sizeof (struct sock_filter) != 0)
    return skiff_error_make (err, EINVAL, "seccomp_export_bpf: bad program size %lld",
                             (long long) st.st_size);
  if (st.st_size / sizeof (struct sock_filter) > SKIFF_BPF_MAXINSNS)
    return skiff_error_make (err, E2BIG, "linux.seccomp: the compiled filter has %lld instructions,"
                             " the kernel accepts %d", (long long) (st.st_size / 8), SKIFF_BPF_MAXINSNS);
  f->bpf = xmalloc (st.st_size);
  f->bpf_len = st.st_size;
  if (pread (fd, f->bpf, f->bpf_len, 0) != (ssize_t) f->bpf_len)
    return skiff_error_sys (err, "read seccomp program");
  return 0;
}

/* ---- ENOSYS for syscalls newer than the profile --------------------- */

/* x32 syscalls arrive as AUDIT_ARCH_X86_64 with this bit in the number.  */
#define X32_SYSCALL_BIT 0x40000000U
/* A few comparisons per architecture; jump offsets are 8 bits.  */
#define STUB_MAX_ARCHS 16

struct arch_max
{
  uint32_t arch;  /* SCMP_ARCH_* (the kernel's AUDIT_ARCH_*) */
  int max;        /* highest syscall number the profile names, -1: none */
  int x32_max;    /* for x86_64 with SCMP_ARCH_X32 listed, else -1 */
};

static int
profile_max_nr (const oci_seccomp *sc, uint32_t arch)
{
  int max = -1;

  for (size_t i = 0; i < sc->syscalls_len; i++)
    for (size_t k = 0; k < sc->syscalls[i]->names_len; k++)
      {
        /* Negative: unknown, or a pseudo number for a syscall this
           architecture only has multiplexed (socketcall, ipc).  */
        int nr = seccomp_syscall_resolve_name_arch (arch, sc->syscalls[i]->names[k]);
        if (nr > max)
          max = nr;
      }
  return max;
}

/* The highest syscall number the profile names, for the native
   architecture and each listed one; returns how many were filled.  */
static size_t
profile_arch_max (const oci_seccomp *sc, struct arch_max *out)
{
  uint32_t archs[STUB_MAX_ARCHS];
  size_t n_archs = 0, n = 0;
  bool x32 = false;

  archs[n_archs++] = seccomp_arch_native ();
  for (size_t i = 0; i < sc->architectures_len && n_archs < STUB_MAX_ARCHS; i++)
    {
      uint32_t a = arch_token (sc->architectures[i]);
      bool seen = false;
      if (a == SCMP_ARCH_X32)
        x32 = true;
      for (size_t j = 0; j < n_archs; j++)
        seen |= archs[j] == a;
      if (a != 0 && a != SCMP_ARCH_X32 && ! seen)
        archs[n_archs++] = a;
    }
  for (size_t i = 0; i < n_archs; i++)
    {
      out[n] = (struct arch_max){ archs[i], profile_max_nr (sc, archs[i]), -1 };
      if (archs[i] == SCMP_ARCH_X86_64 && x32)
        out[n].x32_max = profile_max_nr (sc, SCMP_ARCH_X32);
      if (out[n].max >= 0 || out[n].x32_max >= 0)
        n++;
    }
  return n;
}

/* A syscall newer than the profile must fail with ENOSYS, which libc
   takes as "not in this kernel" and falls back (clone3 -> clone,
   faccessat2 -> faccessat), not with the default errno meant for what the
   profile denies.  libseccomp cannot say "every number above N", so the
   program starts with our own check:
       A = arch; for each architecture: if A == arch: A = nr;
           [x86_64: if nr has the x32 bit: nr > x32 max ? ENOSYS : filter]
           nr > max ? ENOSYS : filter
       otherwise (or no rule): libseccomp's filter, which loads A itself. */
static int
prepend_enosys_stub (const oci_seccomp *sc, struct skiff_seccomp_filter *f, skiff_error_t *err)
{
  struct arch_max am[STUB_MAX_ARCHS];
  struct sock_filter stub[1 + 5 * STUB_MAX_ARCHS + 2];
  size_t n = profile_arch_max (sc, am), k = 0, len, ret_at, prog_at;
  struct sock_filter *bpf;

  if (n == 0)
    return 0;
  len = 1 + 2;
  for (size_t i = 0; i < n; i++)
    len += am[i].arch == SCMP_ARCH_X86_64 ? (am[i].x32_max >= 0 ? 5 : 4) : 3;
  ret_at = len - 1;
  prog_at = len;
#define TO(target) ((unsigned char) ((target) - (k + 1)))
  stub[k++] = (struct sock_filter) BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, arch));
  for (size_t i = 0; i < n; i++)
    {
      size_t size = am[i].arch == SCMP_ARCH_X86_64 ? (am[i].x32_max >= 0 ? 5 : 4) : 3;
      size_t next = k + size;
      /* Only an x86_64 kept for its x32 numbers can have none: then every
         native number is newer.  */
      uint32_t max = am[i].max < 0 ? 0 : (uint32_t) am[i].max;
      stub[k] = (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JEQ | BPF_K, am[i].arch, 0, TO (next));
      k++;
      stub[k++] = (struct sock_filter) BPF_STMT (BPF_LD | BPF_W | BPF_ABS, offsetof (struct seccomp_data, nr));
      if (am[i].arch == SCMP_ARCH_X86_64)
        {
          size_t x32_at = k + 2;
          /* Without SCMP_ARCH_X32 x32 calls are the filter's business.  */
          stub[k] = (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JSET | BPF_K, X32_SYSCALL_BIT,
                                                   TO (am[i].x32_max >= 0 ? x32_at : prog_at), 0);
          k++;
        }
      stub[k] = (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, max, TO (ret_at), TO (prog_at));
      k++;
      if (am[i].arch == SCMP_ARCH_X86_64 && am[i].x32_max >= 0)
        {
          stub[k] = (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JGT | BPF_K, (uint32_t) am[i].x32_max,
                                                   TO (ret_at), TO (prog_at));
          k++;
        }
    }
  stub[k] = (struct sock_filter) BPF_JUMP (BPF_JMP | BPF_JA | BPF_K, 1, 0, 0);
  k++;
  stub[k++] = (struct sock_filter) BPF_STMT (BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
#undef TO

  if (len + f->bpf_len / sizeof *stub > SKIFF_BPF_MAXINSNS)
    return skiff_error_make (err, E2BIG, "linux.seccomp: the compiled filter has %zu instructions,"
                             " the kernel accepts %d", len + f->bpf_len / sizeof *stub,
                             SKIFF_BPF_MAXINSNS);
  bpf = xmalloc (len * sizeof *stub + f->bpf_len);
  memcpy (bpf, stub, len * sizeof *stub);
  memcpy (bpf + len, f->bpf, f->bpf_len);
  free (f->bpf);
  f->bpf = bpf;
  f->bpf_len += len * sizeof *stub;
  return 0;
}

static int
compile_filter (const oci_seccomp *sc, struct skiff_seccomp_filter *f, skiff_error_t *err)
{
  scmp_filter_ctx ctx = NULL;
  uint32_t def_action;
  size_t i;
  int ret;

  if (parse_action ("linux.seccomp.defaultAction", sc->default_action,
                    sc->default_errno_ret_present, sc->default_errno_ret, &def_action, err) < 0)
    return -1;
  if (def_action == SCMP_ACT_NOTIFY)
    return skiff_error_make (err, 0, "linux.seccomp.defaultAction: SCMP_ACT_NOTIFY cannot be "
                             "the default action");
  ctx = seccomp_init (def_action);
  if (ctx == NULL)
    return skiff_error_make (err, EINVAL, "seccomp_init");

  for (i = 0; i < sc->architectures_len; i++)
    {
      uint32_t arch = arch_token (sc->architectures[i]);
      if (arch == 0)
        {
          ret = skiff_error_make (err, 0, "linux.seccomp.architectures: unknown architecture "
                                  "\"%s\"", sc->architectures[i]);
          goto out;
        }
      ret = seccomp_arch_add (ctx, arch);
      if (ret < 0 && ret != -EEXIST)
        {
          ret = skiff_error_make (err, -ret, "seccomp_arch_add %s", sc->architectures[i]);
          goto out;
        }
    }
  /* Sorted by syscall number into a binary tree: a big profile then costs
     a few comparisons per syscall instead of a linear scan.  */
  seccomp_attr_set (ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);

  for (i = 0; i < sc->syscalls_len; i++)
    if ((ret = add_syscall_rules (ctx, sc, i, def_action, err)) < 0)
      goto out;

  ret = export_bpf (ctx, f, err);
  if (ret == 0 && def_action != SCMP_ACT_ALLOW && def_action != SCMP_ACT_LOG)
    ret = prepend_enosys_stub (sc, f, err);
out:
  seccomp_release (ctx);
  return ret < 0 ? -1 : 0;
}

/* Flags and the checks that need no libseccomp.  */
static int
validate (const oci_seccomp *sc, struct skiff_seccomp_filter *f, skiff_error_t *err)
{
  size_t i, j, k;

  f->flags = 0;
  f->notify = false;
  for (i = 0; i < sc->flags_len; i++)
    {
      for (j = 0; j < N_ELEMENTS (filter_flags); j++)
        if (strcmp (sc->flags[i], filter_flags[j].name) == 0)
          break;
      if (j == N_ELEMENTS (filter_flags))
        return skiff_error_make (err, 0, "linux.seccomp.flags: unknown flag \"%s\"", sc->flags[i]);
      f->flags |= filter_flags[j].flag;
    }
  for (i = 0; i < sc->syscalls_len; i++)
    {
      const oci_syscall *s = sc->syscalls[i];
      if (s->action == NULL || strcmp (s->action, "SCMP_ACT_NOTIFY") != 0)
        continue;
      f->notify = true;
      /* The runtime itself hands the listener fd over (sendmsg) and
         reports errors (write) after the load; a notification nobody can
         answer yet would hang it.  */
      for (k = 0; k < s->names_len; k++)
        if (strcmp (s->names[k], "write") == 0 || strcmp (s->names[k], "sendmsg") == 0)
          return skiff_error_make (err, 0, "linux.seccomp.syscalls[%zu]: SCMP_ACT_NOTIFY cannot "
                                   "be used for the %s syscall", i, s->names[k]);
    }
  if (f->notify && (sc->listener_path == NULL || sc->listener_path[0] == '\0'))
    return skiff_error_make (err, 0, "linux.seccomp: SCMP_ACT_NOTIFY needs linux.seccomp.listenerPath");
  if (!f->notify && sc->listener_path && sc->listener_path[0])
    skiff_debug ("linux.seccomp.listenerPath is set but no rule uses SCMP_ACT_NOTIFY");
  if (f->notify)
    {
      /* The child is single-threaded: TSYNC has nothing to do, and the kernel
         refuses it together with a listener.  */
      f->flags &= ~SECCOMP_FILTER_FLAG_TSYNC;
      f->flags |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
    }
  else if (f->flags & SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
    {
      skiff_debug ("SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV ignored: no SCMP_ACT_NOTIFY rule");
      f->flags &= ~SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    }
  return 0;
}

static int
cache_key (const oci_seccomp *sc, uint8_t key[32], skiff_error_t *err)
{
  const struct scmp_version *v = seccomp_version ();
  cleanup_free char *json = NULL;
  cleanup_free char *input = NULL;
  char *errstr = NULL;
  struct utsname u;

  json = oci_seccomp_generate_json (sc, &errstr);
  if (json == NULL)
    {
      skiff_error_make (err, EINVAL, "linux.seccomp: %s", errstr ? errstr : "cannot serialize");
      free (errstr);
      return -1;
    }
  if (uname (&u) < 0)
    return skiff_error_sys (err, "uname");
  input = xasprintf ("skiff %s %s\nlibseccomp %u.%u.%u api %u\nkernel %s %s %s\n%s", PACKAGE_VERSION,
                     SKIFF_GIT_COMMIT, v->major, v->minor, v->micro, seccomp_api_get (), u.release,
                     u.version, u.machine, json);
  skiff_sha256 (input, strlen (input), key);
  return 0;
}

int
skiff_seccomp_compile (const oci_seccomp *sc, struct skiff_seccomp_filter **out, skiff_error_t *err)
{
  struct skiff_seccomp_filter *f = xmalloc0 (sizeof *f);
  unsigned int flags;
  bool notify;
  uint8_t key[32];

  *out = NULL;
  if (validate (sc, f, err) < 0 || cache_key (sc, key, err) < 0)
    goto fail;
  flags = f->flags;
  notify = f->notify;
  if (skiff_seccomp_cache_lookup (key, f) == 1 && f->flags == flags && f->notify == notify)
    {
      *out = f;
      return 0;
    }
  free (f->bpf);
  f->bpf = NULL;
  f->flags = flags;
  f->notify = notify;
  if (compile_filter (sc, f, err) < 0)
    {
      skiff_error_wrap (err, "compile the seccomp filter");
      goto fail;
    }
  skiff_debug ("seccomp: compiled %zu syscall rules into %zu instructions", sc->syscalls_len,
               f->bpf_len / sizeof (struct sock_filter));
  skiff_seccomp_cache_store (key, f);
  *out = f;
  return 0;
fail:
  skiff_seccomp_filter_free (f);
  return -1;
}

void
skiff_seccomp_filter_free (struct skiff_seccomp_filter *f)
{
  if (f == NULL)
    return;
  free (f->bpf);
  free (f);
}

int
skiff_seccomp_load (const struct skiff_seccomp_filter *f, int *notify_fd, skiff_error_t *err)
{
  struct sock_fprog prog = {
    .len = (unsigned short) (f->bpf_len / sizeof (struct sock_filter)),
    .filter = f->bpf,
  };
  int ret;

  if (notify_fd)
    *notify_fd = -1;
  ret = sys_seccomp (SECCOMP_SET_MODE_FILTER, f->flags, &prog);
  if (ret < 0 && errno == ENOSYS && f->flags == 0)
    ret = prctl (PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
  if (ret < 0)
    {
      if (errno == EACCES)
        return skiff_error_sys (err, "load the seccomp filter (needs no_new_privileges or CAP_SYS_ADMIN)");
      if (errno == EINVAL && f->flags)
        return skiff_error_sys (err, "load the seccomp filter (flags 0x%x not supported by the kernel?)",
                                f->flags);
      return skiff_error_sys (err, "load the seccomp filter");
    }
  if (f->notify && notify_fd)
    *notify_fd = ret;
  return 0;
}

/* ---- features -------------------------------------------------------- */

static char **
strv_from (const char *const *names, const bool *keep, size_t n)
{
  char **v = xmalloc0 (sizeof (char *) * (n + 1));
  size_t i, k = 0;

  for (i = 0; i < n; i++)
    if (keep == NULL || keep[i])
      v[k++] = xstrdup (names[i]);
  return v;
}

int
skiff_seccomp_features (struct skiff_seccomp_features *out, skiff_error_t *err)
{
  const char *names[32];
  bool keep[32];
  uint32_t allow = SECCOMP_RET_ALLOW;
  size_t i;

  memset (out, 0, sizeof *out);
  out->enabled = sys_seccomp (SECCOMP_GET_ACTION_AVAIL, 0, &allow) == 0 || errno != ENOSYS;

  for (i = 0; i < N_ELEMENTS (actions); i++)
    {
      uint32_t a = actions[i].kernel;
      names[i] = actions[i].name;
      keep[i] = sys_seccomp (SECCOMP_GET_ACTION_AVAIL, 0, &a) == 0;
    }
  out->actions = strv_from (names, keep, N_ELEMENTS (actions));

  for (i = 0; i < N_ELEMENTS (operators); i++)
    names[i] = operators[i].name;
  out->operators = strv_from (names, NULL, N_ELEMENTS (operators));

  for (i = 0; i < N_ELEMENTS (arch_names); i++)
    {
      names[i] = arch_names[i];
      keep[i] = arch_token (arch_names[i]) != 0;
    }
  out->archs = strv_from (names, keep, N_ELEMENTS (arch_names));

  for (i = 0; i < N_ELEMENTS (filter_flags); i++)
    {
      unsigned int fl = filter_flags[i].flag;
      names[i] = filter_flags[i].name;
      /* A NULL program with a known flag fails on the copy (EFAULT), an
         unknown flag fails first with EINVAL.  */
      if (fl == SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV)
        fl |= SECCOMP_FILTER_FLAG_NEW_LISTENER;
      keep[i] = sys_seccomp (SECCOMP_SET_MODE_FILTER, fl, NULL) < 0 && errno == EFAULT;
    }
  out->known_flags = strv_from (names, NULL, N_ELEMENTS (filter_flags));
  out->supported_flags = strv_from (names, keep, N_ELEMENTS (filter_flags));
  return 0;
}

void
skiff_seccomp_features_free (struct skiff_seccomp_features *f)
{
  strv_free (f->actions);
  strv_free (f->operators);
  strv_free (f->archs);
  strv_free (f->known_flags);
  strv_free (f->supported_flags);
  memset (f, 0, sizeof *f);
}
