#!/bin/bash
# Sourced by the host side of the VM tests (check-vm.sh, check-lsm.sh):
# the skiff binary and test payload of the build tree, as absolute paths
# the guest can read, and the host packages the guest borrows (PKGS...).
#   . check-env.sh NAME [DEBIAN-PACKAGE-IF-MISSING...]
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
export SKIFF=${SKIFF:-$here/../../skiff}
export SKIFF_TEST_HELPER=${SKIFF_TEST_HELPER:-$here/../helper/skiff-test-helper}
SKIFF=$(realpath "$SKIFF")
SKIFF_TEST_HELPER=$(realpath "$SKIFF_TEST_HELPER" 2>/dev/null || true)
[ -x "$SKIFF" ] || { echo "$1: no skiff binary at $SKIFF" >&2; exit 1; }
shift
if [ $# -gt 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@" >&2
fi
