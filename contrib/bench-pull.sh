#!/usr/bin/env bash
# Pull speed of skiff-image against `skopeo copy docker://... oci:DIR` and
# `podman pull`, from a local docker-registry, cold (empty store) and warm
# (everything already there), in one run; prints the times and the ratios.
#
#   contrib/bench-pull.sh [SKIFF-IMAGE-BINARY]      (or: make bench-pull)
#
# The image is made here: busybox-static layers, one layer per host
# directory of BENCH_DIRS (default /usr/lib/gcc /usr/share/locale
# /usr/share/i18n, a few hundred MB) and a layer of BENCH_SMALL_FILES
# (default 5000) small files, gzip-compressed, pushed with skopeo.
# podman pulls into a private root with the vfs driver; it also unpacks
# the layers, which skiff-image and skopeo do not (they store blobs).
# Needs root, hyperfine, docker-registry, skopeo, podman (Debian packages).
# Env: RUNS (default 5).  Use a build without --enable-sanitizers.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
SKIFF_IMAGE=$(realpath "${1:-${SKIFF_IMAGE:-$here/../skiff-image}}")
RUNS=${RUNS:-5}
BENCH_DIRS=${BENCH_DIRS:-/usr/lib/gcc /usr/share/locale /usr/share/i18n}
BENCH_SMALL_FILES=${BENCH_SMALL_FILES:-5000}

die() { echo "bench-pull: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"
for c in hyperfine jq docker-registry skopeo podman; do
  command -v "$c" >/dev/null || die "needs $c (contrib/install-deps.sh --tests; hyperfine: apt-get install hyperfine)"
done
[ -x "$SKIFF_IMAGE" ] || die "no skiff-image binary at $SKIFF_IMAGE"
if nm -D "$SKIFF_IMAGE" 2>/dev/null | grep -q __asan_init; then
  echo "bench-pull: warning: $SKIFF_IMAGE is built with sanitizers; its times are not representative" >&2
fi

# The registry frame of the tests (started and stopped by pid).
require_cmd() { :; }
skip() { die "$*"; }
# shellcheck source=../tests/image/registry.bash
. "$here/../tests/image/registry.bash"

W=$(mktemp -d /tmp/skiff-bench-pull.XXXXXX)
cleanup() {
  registry_stop
  rm -rf --one-file-system "$W"
}
trap cleanup EXIT
export REGISTRY_AUTH_FILE=$W/auth.json
echo '{"auths":{}}' >"$REGISTRY_AUTH_FILE"

registry_start
echo "== building the image (busybox + $BENCH_DIRS + $BENCH_SMALL_FILES small files)"
# shellcheck disable=SC2086
make_test_layout "$W/layout" bench --small-files "$BENCH_SMALL_FILES" --from-dirs $BENCH_DIRS >/dev/null
push_image "$W/layout:bench" bench:1
ref=$REGISTRY/bench:1
size=$(skopeo inspect --tls-verify=false --raw "docker://$ref" | jq '[.layers[].size] | add')
layers=$(skopeo inspect --tls-verify=false --raw "docker://$ref" | jq '.layers | length')
echo "== $ref: $layers layers, $((size >> 20)) MiB compressed; $("$SKIFF_IMAGE" --version | head -n1)"

pod="podman --root $W/podman/root --runroot $W/podman/run --storage-driver vfs"
# Cold: the destination emptied before every run; warm: filled once, kept.
hyperfine -N --runs "$RUNS" --warmup 1 --export-json "$W/cold.json" \
  --prepare "rm -rf $W/si" --prepare "rm -rf $W/oci" --prepare "rm -rf $W/podman" \
  -n skiff-image "$SKIFF_IMAGE --root $W/si pull -q $ref" \
  -n skopeo "skopeo copy -q --src-tls-verify=false docker://$ref oci:$W/oci:bench" \
  -n podman "$pod pull -q --tls-verify=false $ref"
hyperfine -N --runs "$RUNS" --warmup 1 --export-json "$W/warm.json" \
  -n skiff-image "$SKIFF_IMAGE --root $W/si pull -q $ref" \
  -n skopeo "skopeo copy -q --src-tls-verify=false docker://$ref oci:$W/oci:bench" \
  -n podman "$pod pull -q --tls-verify=false $ref"
$pod rmi -a -f >/dev/null 2>&1 || true

echo
# Wall time, and CPU time (user + system), which a loaded machine disturbs less.
for k in cold warm; do
  jq -r --arg k "$k" '
    def ms: . * 1000 | floor;
    def x: . * 100 | floor / 100;
    (.results | map({(.command): .}) | add) as $r
    | ($r | map_values(.mean)) as $m
    | ($r | map_values(.user + .system)) as $c
    | "\($k): wall skiff-image \($m["skiff-image"] | ms) ms, skopeo \($m.skopeo | ms) ms, podman \($m.podman | ms) ms;"
      + " skiff-image/skopeo \($m["skiff-image"] / $m.skopeo | x)x, skiff-image/podman \($m["skiff-image"] / $m.podman | x)x\n"
      + "\($k): cpu  skiff-image \($c["skiff-image"] | ms) ms, skopeo \($c.skopeo | ms) ms, podman \($c.podman | ms) ms;"
      + " skiff-image/skopeo \($c["skiff-image"] / $c.skopeo | x)x, skiff-image/podman \($c["skiff-image"] / $c.podman | x)x"' \
    "$W/$k.json"
done
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
