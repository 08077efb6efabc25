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
# Debian's reference policy with tests/vm/skiff-test.cil built in, from a
# copy of the installed policy store (the host's own stays untouched);
# cached next to the VM's kernel.
policy_for_vm() {
  local cache=${VM_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/skiff-vm} key tmp
  key=$( (cat "$here/skiff-test.cil"; ls -l --time-style=+%s /etc/selinux/default/policy/) |
    sha256sum | cut -c1-16)
  SKIFF_SELINUX_POLICY=$cache/selinux-policy-$key
  [ -s "$SKIFF_SELINUX_POLICY" ] && return 0
  mkdir -p "$cache"
  tmp=$(mktemp -d)
  mkdir -p "$tmp/var/lib" "$tmp/etc"
  cp -a /var/lib/selinux "$tmp/var/lib/" && cp -a /etc/selinux "$tmp/etc/" &&
    semodule -p "$tmp" -n -i "$here/skiff-test.cil" 2>"$tmp/semodule.err" &&
    cp "$(ls -v "$tmp"/etc/selinux/default/policy/policy.* | tail -n1)" "$SKIFF_SELINUX_POLICY.tmp" &&
    mv "$SKIFF_SELINUX_POLICY.tmp" "$SKIFF_SELINUX_POLICY" ||
    { echo "check-lsm: could not build the test policy: $(cat "$tmp/semodule.err")" >&2; rm -rf "$tmp"; return 1; }
  rm -rf "$tmp"
}
policy_for_vm || exit 1
export SKIFF_SELINUX_POLICY

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
