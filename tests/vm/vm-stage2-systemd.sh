#!/bin/bash
# Stage 2 of tests/vm/vm-run.sh with VM_SYSTEMD=1: PID 1 after switch_root
# hands over to the host's systemd, booted to skiff-vm.target, which starts
# only the D-Bus system bus and skiff-vm.service; that service runs the
# command (tests/vm/vm-stage2.sh --boot-time) and powers the VM off.
#
# Everything written here lands in the guest's tmpfs overlay, never on the
# host.  Under emulation every file systemd looks at is a 9p round trip,
# so it sees only the units it needs: SYSTEMD_UNIT_PATH has a directory of
# them (loading the host's unit directories took 3 s), and the generators
# are removed from the guest's view.  /run is already a tmpfs and
# /sys/fs/cgroup a cgroup2 mount (stage 1), which systemd takes over.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
rm -f /usr/lib/systemd/system-generators/* /etc/systemd/system-generators/* 2>/dev/null
# Transient units and runtime properties (SetUnitProperties) live in
# /run/systemd: without those, a daemon-reload would lose every scope.
u=/run/skiff-vm-units
mkdir -p "$u"
export SYSTEMD_UNIT_PATH=/run/systemd/system.control:/run/systemd/transient:$u
cat >"$u/skiff-vm.target" <<'EOF'
[Unit]
Description=skiff VM tests
DefaultDependencies=no
Requires=skiff-vm.service
After=skiff-vm.service
AllowIsolate=yes
EOF
cat >"$u/skiff-vm.service" <<'EOF'
[Unit]
Description=run the skiff VM test command
DefaultDependencies=no
Wants=dbus.socket dbus.service
After=dbus.socket dbus.service

[Service]
Type=oneshot
ExecStart=/bin/bash /run/vm-run/run-cmd.sh --boot-time
StandardInput=null
StandardOutput=null
StandardError=null
EOF
# The bus without sysinit.target and basic.target: nothing else is booted.
for s in dbus.service dbus.socket; do
  cp "/lib/systemd/system/$s" "$u/$s"
  mkdir -p "$u/$s.d"
  printf '[Unit]\nDefaultDependencies=no\n' >"$u/$s.d/vm.conf"
done
# The host's enabled units are not started (skiff-vm.target pulls in none
# of their targets); a machine id of its own for the guest.
: >/etc/machine-id
exec /lib/systemd/systemd --unit=skiff-vm.target --log-level=warning --show-status=false \
  --log-target=console
