/* skiff: process.terminal.  The pty is created inside the container (its
   own devpts instance) so the slave belongs to the container; the master
   goes to whoever asked for it over a unix socket: the console socket of
   podman/containerd, or `skiff run` itself, which then proxies it.  */
#include <config.h>
#include "terminal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <termios.h>

#include "log.h"
#include "utils.h"

#ifndef TIOCGPTPEER
# define TIOCGPTPEER _IO ('T', 0x41)
#endif

int
skiff_console_socket_connect (const char *path, skiff_error_t *err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int fd = -1, dirfd = -1;
  cleanup_free char *via = NULL;
  const char *target = path;

  /* sun_path holds 107 bytes: reach longer paths through their directory's
     /proc/self/fd link.  */
  if (strlen (path) >= sizeof addr.sun_path)
    {
      cleanup_free char *dir = xstrdup (path);
      char *slash = strrchr (dir, '/');
      if (slash == NULL)
        return skiff_error_make (err, ENAMETOOLONG, "console socket `%s`", path);
      *slash = '\0';
      dirfd = open (*dir ? dir : "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
      if (dirfd < 0)
        return skiff_error_sys (err, "open console socket directory `%s`", dir);
      via = xasprintf ("/proc/self/fd/%d/%s", dirfd, slash + 1);
      if (strlen (via) >= sizeof addr.sun_path)
        return skiff_error_make (err, ENAMETOOLONG, "console socket `%s`", path);
      target = via;
    }
  strcpy (addr.sun_path, target);

  fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return skiff_error_sys (err, "socket for console socket `%s`", path);
  if (connect (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    return skiff_error_sys (err, "connect to console socket `%s`", path);
  return steal_fd (&fd);
}

int
skiff_send_fd (int sockfd, int fd, const char *payload, skiff_error_t *err)
{
  /* A message needs at least one byte to carry the fd.  */
  const char *data = payload && *payload ? payload : "";
  if (send_with_fd (sockfd, data, strlen (data) + (*data ? 0 : 1), fd) < 0)
    return skiff_error_sys (err, "send fd over unix socket");
  return 0;
}

int
skiff_recv_fd (int sockfd, skiff_error_t *err)
{
  char buf[512];
  int fd;
  ssize_t r = recv_with_fd (sockfd, buf, sizeof buf, &fd);

  if (r < 0)
    return skiff_error_sys (err, "receive fd over unix socket");
  if (fd >= 0)
    return fd;
  if (r == 0)
    return skiff_error_make (err, EPIPE, "receive fd over unix socket: peer closed the socket");
  return skiff_error_make (err, EBADMSG, "receive fd over unix socket: no fd in the message");
}

int
skiff_terminal_receive (int sockfd, skiff_error_t *err)
{
  int fd = skiff_recv_fd (sockfd, err);
  if (fd < 0)
    return skiff_error_wrap (err, "receive terminal master");
  return fd;
}

static void
copy_winsize (int from, int to)
{
  struct winsize ws;
  /* 0x0 means nobody set a size (e.g. under script(1)): keep consoleSize. */
  if (ioctl (from, TIOCGWINSZ, &ws) == 0 && (ws.ws_row || ws.ws_col))
    (void) ioctl (to, TIOCSWINSZ, &ws);
}

/* The master of a new pty in the container's devpts instance.  */
static int
open_ptmx (skiff_error_t *err)
{
  int fd = open ("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    fd = open ("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (fd < 0)
    return skiff_error_sys (err, "open /dev/ptmx");
  return fd;
}

int
skiff_terminal_setup (int sockfd, const oci_process *proc, bool bind_console, skiff_error_t *err)
{
  cleanup_close int master = -1, slave = -1;
  cleanup_free char *slave_path = NULL;
  int unlock = 0, ptn = 0;

  master = open_ptmx (err);
  if (master < 0)
    return master;
  if (ioctl (master, TIOCSPTLCK, &unlock) < 0)
    return skiff_error_sys (err, "unlock pty (TIOCSPTLCK)");
  if (ioctl (master, TIOCGPTN, &ptn) < 0)
    return skiff_error_sys (err, "pty number (TIOCGPTN)");
  slave_path = xasprintf ("/dev/pts/%d", ptn);

  /* TIOCGPTPEER opens the very slave of this master, with no path lookup
     a container could redirect.  */
  slave = ioctl (master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0 && (errno == EINVAL || errno == ENOTTY))
    slave = open (slave_path, O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (slave < 0)
    return skiff_error_sys (err, "open pty slave `%s`", slave_path);

  /* The user process may not be root: let it reopen its own tty.  */
  if (proc && proc->user && fchown (slave, proc->user->uid, -1) < 0)
    skiff_debug ("chown %s to %u: %s", slave_path, (unsigned) proc->user->uid, strerror (errno));

  if (proc && proc->console_size)
    {
      struct winsize ws = { .ws_row = proc->console_size->height, .ws_col = proc->console_size->width };
      if (ioctl (slave, TIOCSWINSZ, &ws) < 0)
        return skiff_error_sys (err, "set console size (TIOCSWINSZ)");
    }
  else
    /* `skiff run` from a terminal: start with its size now; the proxy
       would set it only after the process may already have looked.  */
    copy_winsize (STDIN_FILENO, slave);

  if (bind_console)
    {
      /* The rootfs step leaves a placeholder; create one if it did not.  */
      int fd = open ("/dev/console", O_RDONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600);
      if (fd >= 0)
        close (fd);
      if (mount (slave_path, "/dev/console", NULL, MS_BIND, NULL) < 0)
        return skiff_error_sys (err, "bind mount `%s` on /dev/console", slave_path);
    }

  if (ioctl (slave, TIOCSCTTY, 0) < 0)
    return skiff_error_sys (err, "make `%s` the controlling terminal", slave_path);
  for (int i = 0; i <= 2; i++)
    if (dup2 (slave, i) < 0)
      return skiff_error_sys (err, "dup2 pty slave to fd %d", i);

  if (skiff_send_fd (sockfd, master, slave_path, err) < 0)
    return skiff_error_wrap (err, "send terminal master");
  return 0;
}

/* ------------------------------------------------------------ run's proxy */

/* Copy what is readable from IN to OUT.  Returns bytes copied, 0 on EOF
   (EIO on a master means every slave fd is closed), -1 on EAGAIN.  Output
   errors are ignored: the container must still be waited for.  */
static ssize_t
pump (int in, int out)
{
  char buf[8192];
  ssize_t r = read (in, buf, sizeof buf);
  if (r < 0 && (errno == EAGAIN || errno == EINTR))
    return -1;
  if (r <= 0)
    return 0;
  if (out >= 0)
    (void) write_all (out, buf, r);
  return r;
}

/* Our stdin ended: let a canonical-mode reader in the container see EOF
   too (`echo x | skiff run` with a terminal), instead of hanging.  */
static void
send_eof (int master)
{
  struct termios t;
  if (tcgetattr (master, &t) == 0 && (t.c_lflag & ICANON) && t.c_cc[VEOF] != _POSIX_VDISABLE)
    (void) write_all (master, &t.c_cc[VEOF], 1);
}

struct proxy
{
  bool raw;
  struct termios saved;
  sigset_t oldmask;
  int sigfd;
};

int
skiff_terminal_proxy (int master, int pidfd, skiff_error_t *err)
{
  struct proxy px = { .sigfd = -1 };
  sigset_t winch;
  bool stdin_open = true, exited = false;
  int ret = 0;

  if (isatty (STDIN_FILENO) && tcgetattr (STDIN_FILENO, &px.saved) == 0)
    {
      struct termios raw = px.saved;
      cfmakeraw (&raw);
      if (tcsetattr (STDIN_FILENO, TCSANOW, &raw) == 0)
        px.raw = true;
      copy_winsize (STDIN_FILENO, master);
    }

  sigemptyset (&winch);
  sigaddset (&winch, SIGWINCH);
  sigprocmask (SIG_BLOCK, &winch, &px.oldmask);
  px.sigfd = signalfd (-1, &winch, SFD_CLOEXEC | SFD_NONBLOCK);

  while (! exited)
    {
      struct pollfd pfd[4] = {
        { .fd = stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
        { .fd = master, .events = POLLIN },
        { .fd = pidfd, .events = POLLIN },
        { .fd = px.sigfd, .events = POLLIN },
      };
      int n = poll (pfd, 4, -1);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          ret = skiff_error_sys (err, "poll terminal");
          break;
        }
      if (pfd[3].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (px.sigfd, &si, sizeof si) > 0)
            ;
          if (px.raw)
            copy_winsize (STDIN_FILENO, master);
        }
      if (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))
        {
          if (pump (STDIN_FILENO, master) == 0)
            {
              stdin_open = false;
              send_eof (master);
            }
        }
      if (pfd[1].revents & (POLLIN | POLLHUP | POLLERR))
        {
          if (pump (master, STDOUT_FILENO) == 0)
            break;
        }
      if (pfd[2].revents & POLLIN)
        exited = true;
    }

  /* The process is gone.  Its last output may still be on its way through
     the pty, so read until the slave is closed everywhere (EIO); stop
     early if something it left behind keeps the slave open and quiet.  */
  if (exited && ret == 0)
    {
      int fl = fcntl (master, F_GETFL);
      if (fl >= 0)
        fcntl (master, F_SETFL, fl | O_NONBLOCK);
      for (;;)
        {
          struct pollfd p = { .fd = master, .events = POLLIN };
          int n = poll (&p, 1, 200);
          if (n < 0 && errno == EINTR)
            continue;
          if (n <= 0)
            break;
          if (pump (master, STDOUT_FILENO) == 0)
            break;
        }
    }

  if (px.sigfd >= 0)
    close (px.sigfd);
  sigprocmask (SIG_SETMASK, &px.oldmask, NULL);
  if (px.raw)
    tcsetattr (STDIN_FILENO, TCSANOW, &px.saved);
  return ret;
}
