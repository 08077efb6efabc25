/* skiff: cache of compiled seccomp filters.

   Compiling a large profile (podman's default has ~300 syscalls on three
   architectures) with libseccomp costs milliseconds on every container
   start; the result depends only on the profile, libseccomp, the kernel and
   skiff itself, so it is kept under CACHE_DIR/<sha256 of those inputs>.
   Entries carry a checksum of their program: anything that does not verify
   is removed and recompiled.  The directory must belong to us and be
   writable by nobody else, since its contents become a security filter.  */
#include <config.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "seccomp.h"
#include "utils.h"

/* ---- SHA-256 (FIPS 180-4) ------------------------------------------- */

static const uint32_t K[64] = {
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
  0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
  0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
  0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
  0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
  0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))

static void
sha256_block (uint32_t h[8], const uint8_t *p)
{
  uint32_t w[64], a, b, c, d, e, f, g, hh;
  int i;

  for (i = 0; i < 16; i++)
    w[i] = (uint32_t) p[4 * i] << 24 | (uint32_t) p[4 * i + 1] << 16 | (uint32_t) p[4 * i + 2] << 8
           | p[4 * i + 3];
  for (i = 16; i < 64; i++)
    {
      uint32_t s0 = ROR (w[i - 15], 7) ^ ROR (w[i - 15], 18) ^ (w[i - 15] >> 3);
      uint32_t s1 = ROR (w[i - 2], 17) ^ ROR (w[i - 2], 19) ^ (w[i - 2] >> 10);
      w[i] = w[i - 16] + s0 + w[i - 7] + s1;
    }
  a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
  for (i = 0; i < 64; i++)
    {
      uint32_t t1 = hh + (ROR (e, 6) ^ ROR (e, 11) ^ ROR (e, 25)) + ((e & f) ^ (~e & g)) + K[i] + w[i];
      uint32_t t2 = (ROR (a, 2) ^ ROR (a, 13) ^ ROR (a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
      hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
    }
  h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void
skiff_sha256 (const void *data, size_t len, uint8_t out[32])
{
  uint32_t h[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                    0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
  const uint8_t *p = data;
  uint8_t tail[128];
  size_t rest = len % 64, tail_len, i;
  uint64_t bits = (uint64_t) len * 8;

  for (i = 0; i + 64 <= len; i += 64)
    sha256_block (h, p + i);
  memset (tail, 0, sizeof tail);
  memcpy (tail, p + i, rest);
  tail[rest] = 0x80;
  tail_len = rest < 56 ? 64 : 128;
  for (i = 0; i < 8; i++)
    tail[tail_len - 1 - i] = (uint8_t) (bits >> (8 * i));
  sha256_block (h, tail);
  if (tail_len == 128)
    sha256_block (h, tail + 64);
  for (i = 0; i < 8; i++)
    {
      out[4 * i] = (uint8_t) (h[i] >> 24);
      out[4 * i + 1] = (uint8_t) (h[i] >> 16);
      out[4 * i + 2] = (uint8_t) (h[i] >> 8);
      out[4 * i + 3] = (uint8_t) h[i];
    }
}

/* ---- the cache ------------------------------------------------------- */

#define CACHE_MAGIC "SKIFFBPF"
/* 2: programs start with the ENOSYS check of newer syscalls.  */
#define CACHE_FORMAT 2
#define CACHE_MAX_BPF (4096 * 8 * 64) /* far above BPF_MAXINSNS * sizeof insn */
/* Bound on the entries kept (~10 KiB each for a large profile, on tmpfs);
   beyond it the oldest are removed when a new one is stored.  */
#define CACHE_MAX_ENTRIES 256
#define CACHE_KEEP_ENTRIES 192

struct cache_header
{
  char magic[8];
  uint32_t format;
  uint32_t flags;
  uint32_t notify;
  uint32_t pad;
  uint64_t bpf_len;
  uint8_t key[32];
  uint8_t bpf_sum[32];
};

static char *cache_dir_override;
static bool cache_dir_set;

void
skiff_seccomp_set_cache_dir (const char *dir)
{
  free (cache_dir_override);
  cache_dir_override = dir ? xstrdup (dir) : NULL;
  cache_dir_set = true;
}

/* Shared by every --root of the same user and outside any state root, so
   it is never taken for a container.  Entries are keyed on the kernel
   release, so a cache that outlives a reboot into another kernel is only
   unused (and pruned).  */
static char *
cache_dir_path (void)
{
  const char *xdg;

  if (cache_dir_set)
    return cache_dir_override ? xstrdup (cache_dir_override) : NULL;
  if (geteuid () == 0)
    return xstrdup ("/var/cache/skiff/seccomp");
  xdg = getenv ("XDG_RUNTIME_DIR");
  if (xdg && *xdg == '/')
    return xasprintf ("%s/skiff/.seccomp-cache", xdg);
  return NULL;
}

/* Open (creating) the cache directory; -1 when there is none we can trust. */
static int
open_cache_dir (bool create, char **path_out)
{
  cleanup_free char *path = cache_dir_path ();
  cleanup_close int fd = -1;
  skiff_error_t err = NULL;
  struct stat st;

  if (path == NULL)
    return -1;
  if (create && mkdir_p (path, 0700, &err) < 0)
    {
      skiff_debug ("seccomp cache disabled: %s", err->msg);
      skiff_error_free (&err);
      return -1;
    }
  fd = open (path, O_DIRECTORY | O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0 || st.st_uid != geteuid () || (st.st_mode & 022) != 0)
    {
      skiff_debug ("seccomp cache disabled: %s is not owned by us or is writable by others", path);
      return -1;
    }
  if (path_out)
    *path_out = steal_pointer (&path);
  return steal_fd (&fd);
}

static void
key_hex (const uint8_t key[32], char out[65])
{
  static const char hex[] = "0123456789abcdef";
  int i;

  for (i = 0; i < 32; i++)
    {
      out[2 * i] = hex[key[i] >> 4];
      out[2 * i + 1] = hex[key[i] & 15];
    }
  out[64] = '\0';
}

/* 1 on a hit (F filled), 0 otherwise.  */
int
skiff_seccomp_cache_lookup (const uint8_t key[32], struct skiff_seccomp_filter *f)
{
  cleanup_free char *dir = NULL;
  cleanup_close int dfd = open_cache_dir (false, &dir);
  cleanup_free char *data = NULL;
  struct cache_header h;
  uint8_t sum[32];
  char name[65];
  size_t len = 0;
  skiff_error_t err = NULL;

  if (dfd < 0)
    return 0;
  key_hex (key, name);
  if (read_file_at (dfd, name, &data, &len, &err) < 0)
    {
      skiff_error_free (&err);
      return 0;
    }
  if (len < sizeof h)
    goto corrupt;
  memcpy (&h, data, sizeof h);
  if (memcmp (h.magic, CACHE_MAGIC, 8) != 0 || h.format != CACHE_FORMAT
      || memcmp (h.key, key, 32) != 0 || h.bpf_len != len - sizeof h || h.bpf_len == 0
      || h.bpf_len % 8 != 0 || h.bpf_len > CACHE_MAX_BPF)
    goto corrupt;
  skiff_sha256 (data + sizeof h, h.bpf_len, sum);
  if (memcmp (sum, h.bpf_sum, 32) != 0)
    goto corrupt;

  f->bpf = xmalloc (h.bpf_len);
  memcpy (f->bpf, data + sizeof h, h.bpf_len);
  f->bpf_len = h.bpf_len;
  f->flags = h.flags;
  f->notify = h.notify != 0;
  skiff_debug ("seccomp: cache hit %s/%s (%zu instructions)", dir, name, f->bpf_len / 8);
  return 1;

corrupt:
  skiff_debug ("seccomp: cache entry %s/%s is corrupt, recompiling", dir, name);
  unlinkat (dfd, name, 0);
  return 0;
}

struct entry_age
{
  char name[65];
  time_t mtime;
};

static int
cmp_age (const void *a, const void *b)
{
  const struct entry_age *x = a, *y = b;
  return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

/* Remove the oldest entries once there are too many: profiles that differ
   per container would otherwise fill /run.  */
static void
prune (int dfd)
{
  struct entry_age *ages = NULL;
  size_t n = 0, cap = 0, i;
  struct dirent *de;
  struct stat st;
  int fd = dup (dfd);
  DIR *d;

  if (fd < 0)
    return;
  d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return;
    }
  while ((de = readdir (d)) != NULL)
    {
      if (strlen (de->d_name) != 64 || fstatat (dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (n == cap)
        {
          cap = cap ? cap * 2 : 64;
          ages = xrealloc (ages, cap * sizeof *ages);
        }
      memcpy (ages[n].name, de->d_name, 65);
      ages[n++].mtime = st.st_mtime;
    }
  closedir (d);
  if (n > CACHE_MAX_ENTRIES)
    {
      qsort (ages, n, sizeof *ages, cmp_age);
      for (i = 0; i < n - CACHE_KEEP_ENTRIES; i++)
        unlinkat (dfd, ages[i].name, 0);
      skiff_debug ("seccomp: cache pruned to %d entries", CACHE_KEEP_ENTRIES);
    }
  free (ages);
}

/* Best effort: a failure only costs the next run a compile.  */
void
skiff_seccomp_cache_store (const uint8_t key[32], const struct skiff_seccomp_filter *f)
{
  cleanup_free char *dir = NULL;
  cleanup_close int dfd = open_cache_dir (true, &dir);
  cleanup_close int fd = -1;
  cleanup_free char *buf = NULL;
  cleanup_free char *tmp = NULL;
  struct cache_header h;
  char name[65];

  if (dfd < 0)
    return;
  key_hex (key, name);
  memset (&h, 0, sizeof h);
  memcpy (h.magic, CACHE_MAGIC, 8);
  h.format = CACHE_FORMAT;
  h.flags = f->flags;
  h.notify = f->notify;
  h.bpf_len = f->bpf_len;
  memcpy (h.key, key, 32);
  skiff_sha256 (f->bpf, f->bpf_len, h.bpf_sum);
  buf = xmalloc (sizeof h + f->bpf_len);
  memcpy (buf, &h, sizeof h);
  memcpy (buf + sizeof h, f->bpf, f->bpf_len);

  /* A name of our own, so that concurrent writers never share a temp file. */
  tmp = xasprintf (".%s.%d.tmp", name, (int) getpid ());
  fd = openat (dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0)
    {
      skiff_debug ("seccomp: cannot write the cache entry %s: %s", name, strerror (errno));
      return;
    }
  if (write_all (fd, buf, sizeof h + f->bpf_len) < 0 || renameat (dfd, tmp, dfd, name) < 0)
    {
      skiff_debug ("seccomp: cannot write the cache entry %s: %s", name, strerror (errno));
      unlinkat (dfd, tmp, 0);
      return;
    }
  skiff_debug ("seccomp: cached the compiled filter as %s/%s", dir, name);
  prune (dfd);
}
