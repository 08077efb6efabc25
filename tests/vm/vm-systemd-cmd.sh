#!/bin/bash
# skiff-vm.service's command in the systemd-booted VM (vm-stage2-systemd.sh):
# runs vm-run.sh's command like vm-stage2.sh does, in the service's own
# cgroup, then records its status and powers off.  Prints how long the
# boot took (the kernel's uptime when the unit started) on stderr.
ctl=/run/vm-run
out=/dev/null err=/dev/null
for p in /sys/class/virtio-ports/vport*; do
  read -r name <"$p/name" || continue
  case $name in
    stdout) out=/dev/${p##*/} ;;
    stderr) err=/dev/${p##*/} ;;
  esac
done
read -r up _ </proc/uptime
echo "== systemd VM: boot to skiff-vm.service took $up s (kernel uptime)" >"$err"
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
