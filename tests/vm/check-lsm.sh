#!/bin/bash
# `make check-lsm` (part of `make check`): boot the test VM twice, once
# with AppArmor (the Debian kernel's default LSM) and once with SELinux
# (security=selinux), and run tests/vm/lsm-tests.sh in each against the
# skiff binary of the build tree.  The host itself runs neither.
#   SKIFF=/path/to/skiff SKIFF_TEST_HELPER=/path/to/helper tests/vm/check-lsm.sh
set -u
here=$(cd "$(dirname "$0")" && pwd)
export SKIFF=${SKIFF:-$here/../../skiff}
export SKIFF_TEST_HELPER=${SKIFF_TEST_HELPER:-$here/../helper/skiff-test-helper}
SKIFF=$(realpath "$SKIFF")
SKIFF_TEST_HELPER=$(realpath "$SKIFF_TEST_HELPER" 2>/dev/null || true)
[ -x "$SKIFF" ] || { echo "check-lsm: no skiff binary at $SKIFF" >&2; exit 1; }
# The guest runs the host's tools: the AppArmor parser and Debian's
# reference SELinux policy (with nothing enabled on the host).
missing=()
command -v jq >/dev/null || missing+=(jq)
command -v apparmor_parser >/dev/null || missing+=(apparmor)
ls /etc/selinux/default/policy/policy.* >/dev/null 2>&1 || missing+=(selinux-policy-default)
if [ ${#missing[@]} -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" >&2
fi
rc=0
for lsm in apparmor selinux; do
  t0=$(date +%s.%N)
  append=
  [ $lsm = selinux ] && append="security=selinux"
  VM_APPEND="$append" "$here/vm-run.sh" -m 1024 -t "${VM_TIMEOUT:-600}" -- "$here/lsm-tests.sh"
  r=$?
  echo "== $lsm VM wall time: $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N)-$t0}") s (exit $r)"
  [ $r = 0 ] || rc=1
done
exit $rc
