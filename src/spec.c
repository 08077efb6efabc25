/* skiff spec: write a default config.json that a container can run with. */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "utils.h"

struct spec_opts
{
  const char *bundle;
  bool rootless;
};

static int
spec_option (int opt, const char *arg, void *data, skiff_error_t *err)
{
  struct spec_opts *o = data;
  switch (opt)
    {
    case 'b':
      o->bundle = arg;
      break;
    case 'r':
      o->rootless = true;
      break;
    }
  return 0;
}

/* The capabilities a default container keeps: the set that container
   engines grant by default, enough for a shell to work as root.  */
#define DEFAULT_CAPS \
  "\"CAP_CHOWN\",\"CAP_DAC_OVERRIDE\",\"CAP_FSETID\",\"CAP_FOWNER\",\"CAP_MKNOD\"," \
  "\"CAP_NET_RAW\",\"CAP_SETGID\",\"CAP_SETUID\",\"CAP_SETFCAP\",\"CAP_SETPCAP\","  \
  "\"CAP_NET_BIND_SERVICE\",\"CAP_SYS_CHROOT\",\"CAP_KILL\",\"CAP_AUDIT_WRITE\""

static char *
default_config (bool rootless)
{
  cleanup_free char *userns = NULL;
  cleanup_free char *mappings = NULL;

  if (rootless)
    {
      userns = xstrdup (",{\"type\":\"user\"}");
      mappings = xasprintf (",\n    \"uidMappings\": [{\"containerID\": 0, \"hostID\": %u, \"size\": 1}],\n"
                            "    \"gidMappings\": [{\"containerID\": 0, \"hostID\": %u, \"size\": 1}]",
                            (unsigned) getuid (), (unsigned) getgid ());
    }

  return xasprintf (
      "{\n"
      "  \"ociVersion\": \"" OCI_SPEC_VERSION "\",\n"
      "  \"process\": {\n"
      "    \"terminal\": true,\n"
      "    \"user\": {\"uid\": 0, \"gid\": 0},\n"
      "    \"args\": [\"sh\"],\n"
      "    \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\"],\n"
      "    \"cwd\": \"/\",\n"
      "    \"capabilities\": {\n"
      "      \"bounding\": [" DEFAULT_CAPS "],\n"
      "      \"effective\": [" DEFAULT_CAPS "],\n"
      "      \"permitted\": [" DEFAULT_CAPS "]\n"
      "    },\n"
      "    \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],\n"
      "    \"noNewPrivileges\": true\n"
      "  },\n"
      "  \"root\": {\"path\": \"rootfs\", \"readonly\": true},\n"
      "  \"hostname\": \"skiff\",\n"
      "  \"mounts\": [\n"
      "    {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},\n"
      "    {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\",\n"
      "     \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},\n"
      "    {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\",\n"
      "     \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\"%s]},\n"
      "    {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\",\n"
      "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},\n"
      "    {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\",\n"
      "     \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},\n"
      "    %s,\n"
      "    {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\",\n"
      "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}\n"
      "  ],\n"
      "  \"linux\": {\n"
      "    \"namespaces\": [{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},"
      "{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}%s]%s,\n"
      "    \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\",\n"
      "      \"/proc/latency_stats\", \"/proc/timer_list\", \"/proc/timer_stats\",\n"
      "      \"/proc/sched_debug\", \"/proc/scsi\", \"/sys/firmware\", \"/sys/devices/virtual/powercap\"],\n"
      "    \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\",\n"
      "      \"/proc/sysrq-trigger\"]\n"
      "  }\n"
      "}\n",
      /* a user namespace has no gid 5 unless mapped */
      rootless ? "" : ", \"gid=5\"",
      /* sysfs cannot be mounted in a user namespace that does not own the
         network namespace; a rootless container binds the host's.  */
      rootless ? "{\"destination\": \"/sys\", \"type\": \"none\", \"source\": \"/sys\",\n"
                 "     \"options\": [\"rbind\", \"nosuid\", \"noexec\", \"nodev\", \"ro\"]}"
               : "{\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\",\n"
                 "     \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]}",
      rootless ? userns : "", rootless ? mappings : "");
}

int
skiff_cmd_spec (struct skiff_context *ctx, int argc, char **argv, skiff_error_t *err)
{
  static const struct option longopts[] = {
    { "bundle", required_argument, NULL, 'b' },
    { "rootless", no_argument, NULL, 'r' },
    { NULL, 0, NULL, 0 },
  };
  struct spec_opts o = { .bundle = "." };
  cleanup_free char *config = NULL;
  cleanup_free char *path = NULL;
  cleanup_close int fd = -1;
  bool help;
  int first;

  first = skiff_parse_options (argc, argv, "b:", longopts, spec_option, &o, &help, err);
  if (first < 0 || help)
    return first < 0 ? first : 0;
  if (skiff_expect_args (argc, argv, first, 0, 0, err) < 0)
    return -1;

  path = xasprintf ("%s/config.json", o.bundle);
  /* O_EXCL: never overwrite a config someone wrote.  */
  fd = open (path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0)
    {
      if (errno == EEXIST)
        return skiff_error_make (err, 0, "spec: `%s` already exists; remove it first", path);
      return skiff_error_sys (err, "spec: create `%s`", path);
    }
  config = default_config (o.rootless);
  if (write_all (fd, config, strlen (config)) < 0)
    {
      int saved = errno;
      unlink (path);
      return skiff_error_make (err, saved, "spec: write `%s`", path);
    }
  return 0;
}
