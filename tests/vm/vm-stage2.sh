#!/bin/bash
# Stage 2 of tests/vm/vm-run.sh: PID 1 after switch_root.  Runs the
# command in the foreground (a background job would start with SIGINT and
# SIGQUIT ignored), stdout/stderr on the virtio-serial ports, then records
# the status and powers off.  Builtins only until the command runs: every
# binary is a 9p read under emulation.  With VM_SYSTEMD=1 it is instead
# skiff-vm.service's command (vm-stage2-systemd.sh), started with
# --boot-time to report how long systemd took to get there.
ctl=/run/vm-run
out=/dev/null err=/dev/null
for p in /sys/class/virtio-ports/vport*; do
  read -r name <"$p/name" || continue
  case $name in
    stdout) out=/dev/${p##*/} ;;
    stderr) err=/dev/${p##*/} ;;
  esac
done
if [ "${1:-}" = --boot-time ]; then
  read -r up _ </proc/uptime
  echo "== systemd VM: boot to skiff-vm.service took $up s (kernel uptime)" >"$err"
fi
mapfile -d '' argv <"$ctl/argv"
mapfile -d '' envv <"$ctl/env"
mapfile -d '' cwd <"$ctl/cwd"
read -r um <"$ctl/umask"
cd "${cwd[0]}" 2>/dev/null || cd /
umask "$um"
env -i "${envv[@]}" "${argv[@]}" </dev/null >"$out" 2>"$err"
rc=$?
echo "$rc" >"$ctl/rc"
sync
echo o >/proc/sysrq-trigger
sleep 30
