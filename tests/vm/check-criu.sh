#!/bin/bash
# `make check-criu` (part of `make check`): tests/integration/checkpoint.bats
# and the checkpoint test of clients-containerd.bats in the test VM, whose
# Debian kernel CRIU accepts.  Where the host's own
# kernel passes `criu check`, the integration tests already ran them there
# and this skips (77).
#   SKIFF=/path/to/skiff SKIFF_TEST_HELPER=/path/to/helper tests/vm/check-criu.sh
set -u
. "$(dirname "$0")/check-env.sh" check-criu $(command -v jq >/dev/null || echo jq) \
  $(command -v criu >/dev/null || echo criu)
if [ "${CHECK_CRIU_FORCE:-0}" != 1 ] && criu check >/dev/null 2>&1; then
  echo "check-criu: the host's kernel passes criu check: checkpoint.bats ran natively"
  exit 77
fi
t0=$(date +%s.%N)
"$here/vm-run.sh" -m 1024 -t "${VM_TIMEOUT:-900}" -- \
  env SKIFF_TESTS="checkpoint clients-containerd" SKIFF_TESTS_FILTER=checkpoint \
  SKIFF_BUILDDIR="$(dirname "$SKIFF")" "$here/../integration/run.sh"
rc=$?
echo "== VM wall time: $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N)-$t0}") s (exit $rc)"
exit $rc
