#!/usr/bin/env bash
# A first container with skiff: build a tiny busybox bundle and run it.
#
#   sudo contrib/demo.sh [SKIFF-BINARY]
#
# Needs root and a static busybox (Debian package busybox-static) and jq.
# The bundle is made in a temp dir and removed at the end.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
SKIFF=$(realpath "${1:-${SKIFF:-$here/../skiff}}")

die() { echo "demo: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run me as root (sudo $0)"
[ -x "$SKIFF" ] || die "skiff not found at $SKIFF: build it first (./configure && make)"
command -v jq >/dev/null || die "jq not found: apt-get install -y jq"
busybox=
for b in /bin/busybox /usr/bin/busybox; do
  if [ -x "$b" ] && [[ "$(LC_ALL=C ldd "$b" 2>&1)" == *"not a dynamic executable"* ]]; then
    busybox=$b
    break
  fi
done
[ -n "$busybox" ] || die "no static busybox: apt-get install -y busybox-static"

bundle=$(mktemp -d /tmp/skiff-demo.XXXXXX)
root=$bundle/state
trap '"$SKIFF" --root "$root" delete --force demo >/dev/null 2>&1 || true
      rm -rf --one-file-system "$bundle"' EXIT

echo "==> building a busybox root filesystem in $bundle/rootfs"
mkdir -p "$bundle"/rootfs/{bin,dev,etc,proc,sys,tmp}
cp "$busybox" "$bundle/rootfs/bin/busybox"
for applet in sh echo cat hostname id ls ps uname; do
  ln -s busybox "$bundle/rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/:/bin/sh' >"$bundle/rootfs/etc/passwd"
echo 'root:x:0:' >"$bundle/rootfs/etc/group"

echo "==> skiff spec (a default config.json), then set the command"
"$SKIFF" spec --bundle "$bundle"
jq '.process.terminal = false
    | .hostname = "skiff-demo"
    | .process.args = ["/bin/sh", "-c",
        "echo \"Hello from a skiff container!\"; echo \"hostname: $(hostname)\"; echo \"I am: $(id)\"; echo \"processes I can see:\"; ps -o pid,args; echo \"Bye!\""]' \
  "$bundle/config.json" >"$bundle/config.json.new"
mv "$bundle/config.json.new" "$bundle/config.json"

echo "==> skiff run --bundle $bundle demo"
echo
status=0
"$SKIFF" --root "$root" run --bundle "$bundle" demo || status=$?
echo
echo "==> the container exited with status $status"
