/* skiff: linux.resources.devices as a cgroup v2 device program.
 *
 * cgroup v2 has no devices.allow/deny files: access to device nodes is
 * decided by a BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup.
 * We emit it as raw instructions: default deny, then the rules from the
 * LAST to the first, each returning its verdict on a match, so the last
 * matching rule of the list wins as the spec says.  */
#include <config.h>
#include "cgroup.h"
#include "cgroup_internal.h"
#include "log.h"
#include "utils.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/syscall.h>
#include <linux/bpf.h>

#define SKIFF_BPF_PROG_NAME "skiff_devices"

/* Devices every container gets (as runc and crun give them): the nodes
   the runtime creates in /dev, ptys, and mknod of anything (creating a
   node does not grant opening it).  linux.devices entries get no rule of
   their own: the spec has them created, and linux.resources.devices alone
   decides whether they may be opened (callers that pass a device list its
   allow rule too, as podman and containerd do).  */
static const struct dev_rule default_rules[] = {
  { true, BPF_DEVCG_DEV_CHAR, -1, -1, BPF_DEVCG_ACC_MKNOD },
  { true, BPF_DEVCG_DEV_BLOCK, -1, -1, BPF_DEVCG_ACC_MKNOD },
  { true, BPF_DEVCG_DEV_CHAR, 1, 3, 7 },    /* null */
  { true, BPF_DEVCG_DEV_CHAR, 1, 5, 7 },    /* zero */
  { true, BPF_DEVCG_DEV_CHAR, 1, 7, 7 },    /* full */
  { true, BPF_DEVCG_DEV_CHAR, 1, 8, 7 },    /* random */
  { true, BPF_DEVCG_DEV_CHAR, 1, 9, 7 },    /* urandom */
  { true, BPF_DEVCG_DEV_CHAR, 5, 0, 7 },    /* tty */
  { true, BPF_DEVCG_DEV_CHAR, 5, 1, 7 },    /* console */
  { true, BPF_DEVCG_DEV_CHAR, 5, 2, 7 },    /* ptmx */
  { true, BPF_DEVCG_DEV_CHAR, 136, -1, 7 }, /* pts */
  { true, BPF_DEVCG_DEV_CHAR, 10, 200, 7 }, /* net/tun */
};

static int
parse_access (const char *s, unsigned *out)
{
  *out = 0;
  if (s == NULL || *s == '\0')
    {
      *out = 7;
      return 0;
    }
  for (; *s; s++)
    switch (*s)
      {
      case 'r': *out |= BPF_DEVCG_ACC_READ; break;
      case 'w': *out |= BPF_DEVCG_ACC_WRITE; break;
      case 'm': *out |= BPF_DEVCG_ACC_MKNOD; break;
      default: return -1;
      }
  return 0;
}

/* Instruction builders (linux/bpf.h has the opcodes, not the macros).  */
static struct bpf_insn
insn (unsigned char code, unsigned dst, unsigned src, short off, int imm)
{
  struct bpf_insn i = { .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
  return i;
}
#define LDX_W(dst, src, off) insn (BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV32_REG(dst, src) insn (BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define MOV64_IMM(dst, imm) insn (BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define AND32_IMM(dst, imm) insn (BPF_ALU | BPF_AND | BPF_K, dst, 0, 0, imm)
#define RSH32_IMM(dst, imm) insn (BPF_ALU | BPF_RSH | BPF_K, dst, 0, 0, imm)
#define JNE_IMM(dst, imm, off) insn (BPF_JMP | BPF_JNE | BPF_K, dst, 0, off, imm)
#define JEQ_IMM(dst, imm, off) insn (BPF_JMP | BPF_JEQ | BPF_K, dst, 0, off, imm)
#define EXIT() insn (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

struct prog
{
  struct bpf_insn *insns;
  size_t n, cap;
};

static void
emit (struct prog *p, struct bpf_insn i)
{
  if (p->n == p->cap)
    {
      p->cap = p->cap ? p->cap * 2 : 64;
      p->insns = xrealloc (p->insns, p->cap * sizeof (*p->insns));
    }
  p->insns[p->n++] = i;
}

/* Registers: r2 = type, r3 = access, r4 = major, r5 = minor (loaded once
   from struct bpf_cgroup_dev_ctx); r1 is scratch.  Returns true when the
   rule matches everything (what follows it would be unreachable, which the
   verifier rejects).  */
static bool
emit_rule (struct prog *p, const struct dev_rule *r)
{
  struct bpf_insn block[8];
  size_t n = 0, jumps[8], nj = 0;

  if (r->type)
    {
      jumps[nj++] = n;
      block[n++] = JNE_IMM (2, r->type, 0);
    }
  if (r->allow && r->access != 7)
    {
      /* An allow rule covers a request only if it grants all of it.  */
      block[n++] = MOV32_REG (1, 3);
      block[n++] = AND32_IMM (1, ~r->access & 7);
      jumps[nj++] = n;
      block[n++] = JNE_IMM (1, 0, 0);
    }
  else if (!r->allow && r->access != 7)
    {
      /* A deny rule hits a request asking for any access it denies.  */
      block[n++] = MOV32_REG (1, 3);
      block[n++] = AND32_IMM (1, r->access);
      jumps[nj++] = n;
      block[n++] = JEQ_IMM (1, 0, 0);
    }
  if (r->major >= 0)
    {
      jumps[nj++] = n;
      block[n++] = JNE_IMM (4, (int) r->major, 0);
    }
  if (r->minor >= 0)
    {
      jumps[nj++] = n;
      block[n++] = JNE_IMM (5, (int) r->minor, 0);
    }
  block[n++] = MOV64_IMM (0, r->allow ? 1 : 0);
  block[n++] = EXIT ();
  /* Each "no match" jump skips to the next rule's first instruction.  */
  for (size_t j = 0; j < nj; j++)
    block[jumps[j]].off = (short) (n - jumps[j] - 1);
  for (size_t i = 0; i < n; i++)
    emit (p, block[i]);
  return nj == 0;
}

static void
build_program (struct prog *p, const struct dev_rule *rules, size_t n)
{
  emit (p, LDX_W (2, 1, offsetof (struct bpf_cgroup_dev_ctx, access_type)));
  emit (p, AND32_IMM (2, 0xffff));
  emit (p, LDX_W (3, 1, offsetof (struct bpf_cgroup_dev_ctx, access_type)));
  emit (p, RSH32_IMM (3, 16));
  emit (p, LDX_W (4, 1, offsetof (struct bpf_cgroup_dev_ctx, major)));
  emit (p, LDX_W (5, 1, offsetof (struct bpf_cgroup_dev_ctx, minor)));
  for (size_t i = n; i-- > 0;)
    if (emit_rule (p, &rules[i]))
      return;
  emit (p, MOV64_IMM (0, 0));
  emit (p, EXIT ());
}

int
skiff_cgroup_device_rules (const oci_resources *res, struct dev_rule **out, size_t *n,
                           skiff_error_t *err)
{
  size_t cap = (res ? res->devices_len : 0) + sizeof (default_rules) / sizeof (default_rules[0]);
  struct dev_rule *rules = xmalloc0 ((cap + 1) * sizeof (*rules));
  size_t k = 0;

  for (size_t i = 0; res && i < res->devices_len; i++)
    {
      const oci_device_cgroup *d = res->devices[i];
      struct dev_rule *r = &rules[k];
      r->allow = d->allow;
      if (d->type == NULL || strcmp (d->type, "a") == 0)
        r->type = 0;
      else if (strcmp (d->type, "c") == 0)
        r->type = BPF_DEVCG_DEV_CHAR;
      else if (strcmp (d->type, "b") == 0)
        r->type = BPF_DEVCG_DEV_BLOCK;
      else
        {
          free (rules);
          return skiff_error_make (err, EINVAL, "linux.resources.devices[%zu]: invalid type `%s` "
                                                "(a, c or b)", i, d->type);
        }
      r->major = d->major_present ? d->major : -1;
      r->minor = d->minor_present ? d->minor : -1;
      if (parse_access (d->access, &r->access) < 0)
        {
          free (rules);
          return skiff_error_make (err, EINVAL, "linux.resources.devices[%zu]: invalid access "
                                                "`%s` (letters r, w, m)", i, d->access);
        }
      k++;
    }
  memcpy (&rules[k], default_rules, sizeof (default_rules));
  k += sizeof (default_rules) / sizeof (default_rules[0]);
  *out = rules;
  *n = k;
  return 0;
}

static long
bpf (int cmd, union bpf_attr *attr)
{
  return syscall (__NR_bpf, cmd, attr, sizeof (*attr));
}

static int
load_program (const struct prog *p, skiff_error_t *err)
{
  union bpf_attr attr;
  static char log[4096];

  memset (&attr, 0, sizeof (attr));
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = (uintptr_t) p->insns;
  attr.insn_cnt = p->n;
  attr.license = (uintptr_t) "GPL";
  strncpy (attr.prog_name, SKIFF_BPF_PROG_NAME, sizeof (attr.prog_name) - 1);
  int fd = bpf (BPF_PROG_LOAD, &attr);
  if (fd >= 0)
    return fd;
  int saved = errno;
  if (saved == EINVAL || saved == EACCES)
    {
      /* Load again with the verifier log to say why.  */
      attr.log_buf = (uintptr_t) log;
      attr.log_size = sizeof (log);
      attr.log_level = 1;
      log[0] = '\0';
      fd = bpf (BPF_PROG_LOAD, &attr);
      if (fd >= 0)
        return fd;
      return skiff_error_make (err, saved, "load the device cgroup program (%zu insns): %s", p->n,
                               log);
    }
  return skiff_error_make (err, saved, "load the device cgroup program (BPF_PROG_LOAD)");
}

/* The device program skiff attached earlier to this cgroup, or -1.  */
static int
find_attached (int cgfd)
{
  __u32 ids[64];
  union bpf_attr attr;

  memset (&attr, 0, sizeof (attr));
  attr.query.target_fd = cgfd;
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = (uintptr_t) ids;
  attr.query.prog_cnt = 64;
  if (bpf (BPF_PROG_QUERY, &attr) < 0)
    return -1;
  for (__u32 i = 0; i < attr.query.prog_cnt && i < 64; i++)
    {
      union bpf_attr a;
      struct bpf_prog_info info;
      memset (&a, 0, sizeof (a));
      a.prog_id = ids[i];
      int fd = bpf (BPF_PROG_GET_FD_BY_ID, &a);
      if (fd < 0)
        continue;
      memset (&info, 0, sizeof (info));
      memset (&a, 0, sizeof (a));
      a.info.bpf_fd = fd;
      a.info.info_len = sizeof (info);
      a.info.info = (uintptr_t) &info;
      if (bpf (BPF_OBJ_GET_INFO_BY_FD, &a) == 0 && strcmp (info.name, SKIFF_BPF_PROG_NAME) == 0)
        return fd;
      close (fd);
    }
  return -1;
}

int
skiff_cgroup_apply_devices (const struct skiff_cgroup *cg, const oci_resources *res,
                            skiff_error_t *err)
{
  cleanup_free struct dev_rule *rules = NULL;
  struct prog p = { 0 };
  size_t n = 0;
  int ret;

  if (skiff_cgroup_device_rules (res, &rules, &n, err) < 0)
    return -1;
  build_program (&p, rules, n);

  cleanup_close int progfd = load_program (&p, err);
  free (p.insns);
  if (progfd < 0)
    goto fail;
  /* BPF_PROG_ATTACH needs a real (not O_PATH) fd of the cgroup dir.  */
  cleanup_close int cgfd = openat (cg->pathfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (cgfd < 0)
    return skiff_error_sys (err, "open `%s`", cg->path);

  /* Replace our previous program atomically (update), so there is no
     window without rules; programs attached by others are left alone. */
  cleanup_close int oldfd = find_attached (cgfd);
  union bpf_attr attr;
  memset (&attr, 0, sizeof (attr));
  attr.target_fd = cgfd;
  attr.attach_bpf_fd = progfd;
  attr.attach_type = BPF_CGROUP_DEVICE;
  attr.attach_flags = BPF_F_ALLOW_MULTI;
  if (oldfd >= 0)
    {
      attr.attach_flags |= BPF_F_REPLACE;
      attr.replace_bpf_fd = oldfd;
    }
  if (bpf (BPF_PROG_ATTACH, &attr) < 0)
    {
      skiff_error_sys (err, "attach the device cgroup program to `%s`", cg->path);
      goto fail;
    }
  skiff_debug ("cgroup %s: device program with %zu rules attached%s", cg->rel, n,
               oldfd >= 0 ? " (replacing the previous one)" : "");
  return 0;

fail:
  /* On a hybrid host the v1 devices hierarchy is the machine's, not ours,
     so the BPF program is the only enforcement we have; still, a kernel
     refusing BPF must not make every container fail there.  On a real v2
     host device rules are mandatory.  */
  if (cg->hybrid)
    {
      skiff_warn ("linux.resources.devices: %s; running without device rules (hybrid host)",
                  (*err)->msg);
      skiff_error_free (err);
      return 0;
    }
  ret = skiff_error_wrap (err, "linux.resources.devices");
  return ret;
}
