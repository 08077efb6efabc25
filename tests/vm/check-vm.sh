#!/bin/bash
# `make check-vm`: boot one cgroup v2 VM (2 vCPUs, single-threaded TCG, a
# 16 MiB scratch disk for io.max) and run tests/vm/cgroup-tests.sh in it
# against the skiff binary of the build tree.  Prints the tests' output,
# then the wall time of the whole run.
#   SKIFF=/path/to/skiff SKIFF_TEST_HELPER=/path/to/helper tests/vm/check-vm.sh
set -u
. "$(dirname "$0")/check-env.sh" check-vm $(command -v jq >/dev/null || echo jq)
t0=$(date +%s.%N)
"$here/vm-run.sh" -c 2 -m 1024 -d 16 -t "${VM_TIMEOUT:-900}" -- "$here/cgroup-tests.sh"
rc=$?
echo "== VM wall time: $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N)-$t0}") s (exit $rc)"
exit $rc
