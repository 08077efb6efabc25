/* skiff: what container.c, container_ops.c and exec.c share (not a public
   contract).  */
#ifndef SKIFF_CONTAINER_INTERNAL_H
#define SKIFF_CONTAINER_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "context.h"
#include "error.h"
#include "state.h"
#include "ocispec/runtime.h"

/* The parent/child sync protocol: small fixed messages on a SOCK_SEQPACKET
   socketpair (one message per packet), an error carries errno + text.  */
enum sync_type
{
  SYNC_GO = 1,      /* parent -> child: maps/offsets/cgroup/state done; pid */
  SYNC_HOOKS_DONE,  /* parent -> child: prestart/createRuntime hooks ran */
  SYNC_MAPS,        /* child -> parent: unshared a user ns, write its maps */
  SYNC_PREPARED,    /* child -> parent: rootfs prepared, run createRuntime */
  SYNC_SECCOMP_FD,  /* child -> parent: seccomp listener fd (SCM_RIGHTS) */
  SYNC_READY,       /* child -> parent: about to wait for `start` */
  SYNC_ERROR,       /* child -> parent: errno + text */
  SYNC_PID,         /* child -> parent: pid of the pid 1 it forked (ns_plan.fork_pid1) */
};

#define SYNC_TEXT_MAX 3072

struct sync_msg
{
  int32_t type;
  int32_t errnum;
  int32_t pid;
  char text[SYNC_TEXT_MAX];
};

/* Send a message (FD >= 0 is passed with SCM_RIGHTS).  */
int skiff_sync_send (int sock, int type, int pid, int fd);
/* Send *ERR as SYNC_ERROR; EXIT_CODE (in .pid) is 126/127 when the
   process could not be executed, else 1.  */
void skiff_sync_send_error (int sock, const skiff_error_t *err, int exit_code);
/* Receive one message; returns 0 on EOF, >0 on a message, <0 on error.
   *FD gets a passed fd or -1 (may be NULL: passed fds are closed).  */
int skiff_sync_recv (int sock, struct sync_msg *m, int *fd);
/* Wait for a message of TYPE; an EOF or other message is an error.  */
int skiff_sync_expect (int sock, int type, struct sync_msg *m, skiff_error_t *err);
/* Turn a SYNC_ERROR into *ERR.  */
int skiff_sync_error (const struct sync_msg *m, skiff_error_t *err);

/* Read and parse PATH ("config.json: path: problem" on errors).  */
int skiff_load_config (int dirfd, const char *path, oci_config **out, char **data, size_t *len,
                       skiff_error_t *err);

/* An opened container: its locked state dir, state and live status.  */
struct skiff_container
{
  int dirfd;
  struct skiff_state *state;
  enum skiff_status status;
};
int skiff_container_open (struct skiff_context *ctx, struct skiff_container *c,
                          skiff_error_t *err);
void skiff_container_close (struct skiff_container *c);

/* Kill what is left of a container (SIGKILL when KILL), run its poststop
   hooks, remove its cgroup and its state dir.  Copes with partial state
   (S may have pid 0, no cgroup); DIRFD may be -1.  */
int skiff_container_destroy (const char *root, int dirfd, const struct skiff_state *s,
                             const oci_config *config, bool kill_first, skiff_error_t *err);

/* Wait up to TIMEOUT_MS for the process of S to exit.  */
int skiff_wait_pid_exit (const struct skiff_state *s, int timeout_ms);

/* Exit status the way shells report it (128+N for signal N).  */
int skiff_exit_status (int wstatus);

#endif
