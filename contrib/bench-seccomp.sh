#!/usr/bin/env bash
# What skiff's compiled-filter cache saves on `skiff run`, with podman's
# default seccomp profile (containers-common, converted to OCI form):
# cold (cache emptied before every run, so the profile is compiled),
# warm (the filter comes from the cache), and no seccomp at all.
#
#   contrib/bench-seccomp.sh [SKIFF-BINARY]      (or: make bench-seccomp)
#
# Needs root, hyperfine, jq, /usr/share/containers/seccomp.json (Debian
# package containers-common) and the test payload (tests/helper/
# skiff-test-helper, built by `make check`).  Env: RUNS (default 30).
# The cache is root's, /var/cache/skiff/seccomp: emptying it costs skiff
# nothing but the next compile.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
SKIFF=$(realpath "${1:-${SKIFF:-$here/../skiff}}")
HELPER=$(realpath "${SKIFF_TEST_HELPER:-$(dirname "$SKIFF")/tests/helper/skiff-test-helper}")
PROFILE=/usr/share/containers/seccomp.json
CACHE=/var/cache/skiff/seccomp
RUNS=${RUNS:-30}

die() { echo "bench-seccomp: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"
for c in hyperfine jq; do command -v $c >/dev/null || die "needs $c"; done
[ -x "$SKIFF" ] || die "no skiff binary at $SKIFF"
[ -x "$HELPER" ] || die "no test payload at $HELPER (make check builds it)"
[ -f "$PROFILE" ] || die "no $PROFILE (Debian package containers-common)"

W=$(mktemp -d /tmp/skiff-bench-seccomp.XXXXXX)
trap 'rm -rf "$W"' EXIT
mkdir -p "$W/b/rootfs/bin" "$W/b/rootfs/proc" "$W/b/rootfs/dev" "$W/b/rootfs/sys"
cp "$HELPER" "$W/b/rootfs/bin/payload"
(cd "$W/b" && "$SKIFF" spec)
jq -f "$here/seccomp-docker-to-oci.jq" "$PROFILE" >"$W/seccomp.json"
jq --slurpfile s "$W/seccomp.json" \
  '.process.terminal = false | .process.args = ["/bin/payload", "true"] | .linux.seccomp = $s[0]' \
  "$W/b/config.json" >"$W/with.json"
jq '.process.terminal = false | .process.args = ["/bin/payload", "true"] | del(.linux.seccomp)' \
  "$W/b/config.json" >"$W/without.json"
cp "$W/with.json" "$W/b/config.json"
mkdir -p "$W/b2"
ln -s "$W/b/rootfs" "$W/b2/rootfs"
cp "$W/without.json" "$W/b2/config.json"

echo "== $("$SKIFF" --version | head -n1); profile: $(jq '[.syscalls[].names[]] | length' "$W/seccomp.json") syscall names"
run="$SKIFF --root $W/state run"
# One --prepare per command, in order: only "cold" empties the cache.
hyperfine -N --runs "$RUNS" --warmup 3 --export-json "$W/h.json" \
  --prepare "rm -rf $CACHE" --prepare true --prepare true \
  -n cold "$run -b $W/b cold" -n warm "$run -b $W/b warm" -n none "$run -b $W/b2 none" >&2
jq -r '.results[] | "\(.command) \(.median * 1000)"' "$W/h.json" | {
  declare -A t
  while read -r n v; do t[$n]=$v; done
  printf '%-6s %10s\n' case "median (ms)"
  for n in cold warm none; do printf '%-6s %10.2f\n' "$n" "${t[$n]}"; done
  awk -v c="${t[cold]}" -v w="${t[warm]}" -v n="${t[none]}" 'BEGIN {
    printf "warm/cold: %.2fx; the cache saves %.1f ms per run; seccomp costs %.1f ms warm\n", w / c, c - w, w - n }'
}
