/* skiff: the options a command runs with (global flags + command flags). */
#ifndef SKIFF_CONTEXT_H
#define SKIFF_CONTEXT_H

#include <stdbool.h>

enum skiff_cgroup_manager
{
  SKIFF_CGROUP_MANAGER_CGROUPFS,
  SKIFF_CGROUP_MANAGER_SYSTEMD, /* systemd-style paths mapped onto cgroupfs */
  SKIFF_CGROUP_MANAGER_DISABLED,
};

struct skiff_context
{
  /* global */
  const char *state_root;  /* --root: /run/skiff or $XDG_RUNTIME_DIR/skiff */
  enum skiff_cgroup_manager cgroup_manager;
  bool systemd_cgroup;
  bool rootless;
  bool debug;

  /* per command */
  const char *id;
  const char *bundle;          /* absolute path */
  const char *config_file;     /* NULL: <bundle>/config.json */
  const char *pid_file;
  const char *console_socket;
  int preserve_fds;
  bool no_pivot;
  bool no_new_keyring;
  bool detach;
  bool keep;                   /* run --keep: no delete after the process exits */
};

#endif
