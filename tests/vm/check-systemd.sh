#!/bin/bash
# `make check-systemd` (part of `make check`): boot the test VM with
# systemd as PID 1 (vm-run.sh with VM_SYSTEMD=1: the host's systemd and
# D-Bus, nothing else started) and run tests/vm/systemd-tests.sh in it:
# the cgroup tests through the systemd cgroup driver, and the driver's
# own.  Prints the boot time, the tests' output, then the wall time.
#   SKIFF=/path/to/skiff SKIFF_TEST_HELPER=/path/to/helper tests/vm/check-systemd.sh
set -u
. "$(dirname "$0")/check-env.sh" check-systemd $(command -v jq >/dev/null || echo jq) \
  $(command -v systemctl >/dev/null || echo systemd) $(command -v dbus-daemon >/dev/null || echo dbus)
if ! "$SKIFF" features | jq -e '.linux.cgroup.systemd' >/dev/null; then
  echo "check-systemd: $SKIFF was built without the systemd cgroup driver (libsystemd-dev): skipped"
  exit 77
fi
t0=$(date +%s.%N)
VM_SYSTEMD=1 "$here/vm-run.sh" -c 2 -m 1024 -d 16 -t "${VM_TIMEOUT:-1200}" -- "$here/systemd-tests.sh"
rc=$?
echo "== VM wall time: $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N)-$t0}") s (exit $rc)"
exit $rc
