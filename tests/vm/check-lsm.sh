#!/bin/bash
# `make check-lsm` (part of `make check`): boot the test VM twice, once
# with AppArmor (the Debian kernel's default LSM) and once with SELinux
# (security=selinux), and run tests/vm/lsm-tests.sh in each against the
# skiff binary of the build tree.  The host itself runs neither.
#   SKIFF=/path/to/skiff SKIFF_TEST_HELPER=/path/to/helper tests/vm/check-lsm.sh
set -u
# The guest runs the host's tools: the AppArmor parser and Debian's
# reference SELinux policy (with nothing enabled on the host).
. "$(dirname "$0")/check-env.sh" check-lsm $(command -v jq >/dev/null || echo jq) \
  $(command -v apparmor_parser >/dev/null || echo apparmor) \
  $(ls /etc/selinux/default/policy/policy.* >/dev/null 2>&1 || echo selinux-policy-default)
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
