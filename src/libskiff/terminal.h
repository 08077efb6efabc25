/* skiff: process.terminal: a pty created inside the container whose master
   is sent over --console-socket (SCM_RIGHTS), or proxied by `run`.  */
#ifndef SKIFF_TERMINAL_H
#define SKIFF_TERMINAL_H

#include "error.h"
#include "ocispec/runtime.h"

/* Connect to the console socket path (parent, before the clone).  */
int skiff_console_socket_connect (const char *path, skiff_error_t *err);

/* Child: open /dev/ptmx in the container's devpts, make the slave the
   controlling terminal and fds 0-2, bind it on /dev/console when
   BIND_CONSOLE, apply consoleSize, and send the master fd over SOCKFD.  */
int skiff_terminal_setup (int sockfd, const oci_process *proc, bool bind_console,
                          skiff_error_t *err);

/* Receive a pty master sent with SCM_RIGHTS over SOCKFD.  */
int skiff_terminal_receive (int sockfd, skiff_error_t *err);

/* `run` without --console-socket: copy between our stdio and MASTER until
   the container exits (puts our tty in raw mode and restores it; forwards
   window size changes).  PIDFD becomes readable when the process exits. */
int skiff_terminal_proxy (int master, int pidfd, skiff_error_t *err);

/* Send FD over the unix socket SOCKFD with SCM_RIGHTS.  */
int skiff_send_fd (int sockfd, int fd, const char *payload, skiff_error_t *err);
int skiff_recv_fd (int sockfd, skiff_error_t *err);

#endif
