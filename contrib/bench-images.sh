#!/usr/bin/env bash
# Container start from an image and commit: skiff-image against podman.
#
#   contrib/bench-images.sh [SKIFF-IMAGE-BINARY]      (or: make bench-images)
#
# Times `skiff-image run --rm IMAGE true` on a pulled image, first container
# (its layers not yet extracted: a copy of the store as the pull left it) and
# second container (layers on disk), against `podman run --rm IMAGE true`
# with podman's default runtime (crun on Debian) and with skiff as podman's
# runtime (podman extracts the layers when it pulls, so its runs are all
# "second containers"), and their peak RSS (of the largest process the
# command waits for; podman's conmon is not one).  Then the disk space and
# time of creating N_CONTAINERS (default 20) containers of the image, per
# container (skiff-image: an upper, work and merged directory and the
# bundle; the layers are shared), against `podman create`.  Last, times
# `commit` of a container that wrote BENCH_COMMIT_FILES files of 10 KiB
# (default 10000, 100 MB of random data) against `podman commit`.
# Prints the numbers and the ratios, all measured in the same run.
#
# The image is busybox-static plus one layer per host directory of
# BENCH_DIRS (default /usr/share/locale), pushed to a local docker-registry
# on 127.0.0.1 (no other network).  podman keeps its own storage under the
# work directory (overlay driver).  Everything runs in a private mount
# namespace with cgroup2 on /sys/fs/cgroup (crun refuses a hybrid cgroup
# host; see bench-run.sh); the containers' cgroups go under the caller's
# cgroup2 cgroup, podman's containers run with --cgroups disabled.  Every
# container has --network none.  Needs root, hyperfine, jq,
# docker-registry, skopeo, podman, crun, GNU time.  Env: RUNS (default
# 10), COMMIT_RUNS (default 3), MEM_RUNS (default 3), BENCH_ONLY=commit
# (only the commit part).  Use a build without --enable-sanitizers.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
SKIFF_IMAGE=$(realpath "${1:-${SKIFF_IMAGE:-$here/../skiff-image}}")
SKIFF=$(realpath "${SKIFF:-$(dirname "$SKIFF_IMAGE")/skiff}")
RUNS=${RUNS:-10}
COMMIT_RUNS=${COMMIT_RUNS:-3}
BENCH_DIRS=${BENCH_DIRS:-/usr/share/locale}
BENCH_COMMIT_FILES=${BENCH_COMMIT_FILES:-10000}
N_CONTAINERS=${N_CONTAINERS:-20}
MEM_RUNS=${MEM_RUNS:-3}
BENCH_ONLY=${BENCH_ONLY:-}
export BENCH_COMMIT_FILES

die() { echo "bench-images: $*" >&2; exit 1; }

if [ -z "${SKIFF_BENCH_INNER:-}" ]; then
  [ "$(id -u)" = 0 ] || die "needs root"
  for c in hyperfine jq docker-registry skopeo podman crun unshare /usr/bin/time; do
    command -v "$c" >/dev/null || die "needs $c (contrib/install-deps.sh --tests; hyperfine: apt-get install hyperfine)"
  done
  [ -x "$SKIFF_IMAGE" ] || die "no skiff-image binary at $SKIFF_IMAGE"
  [ -x "$SKIFF" ] || die "no skiff binary at $SKIFF"
  for b in "$SKIFF_IMAGE" "$SKIFF"; do
    if nm "$b" 2>/dev/null | grep -q __asan_init; then
      echo "bench-images: warning: $b is built with sanitizers; its times are not representative" >&2
    fi
  done
  export SKIFF_BENCH_INNER=1 SKIFF_IMAGE SKIFF
  exec unshare -m --propagation private "$0" "$SKIFF_IMAGE"
fi

mount -t cgroup2 none /sys/fs/cgroup || die "cannot mount cgroup2 on /sys/fs/cgroup"

# The registry frame of the tests (started and stopped by pid).
require_cmd() { :; }
skip() { die "$*"; }
# shellcheck source=../tests/image/registry.bash
. "$here/../tests/image/registry.bash"

W=$(mktemp -d /tmp/skiff-bench-images.XXXXXX)
pod="podman --root $W/podman/root --runroot $W/podman/run --storage-driver overlay --cgroup-manager cgroupfs"
si="$SKIFF_IMAGE --runtime $SKIFF"
cleanup() {
  set +e
  $si --root "$W/si2" rm -f bench-w >/dev/null 2>&1 || true
  $pod rm -a -f >/dev/null 2>&1 || true
  $pod rmi -a -f >/dev/null 2>&1 || true
  # podman leaves its overlay mounts in this namespace; they go with it,
  # but rm -rf must not cross them.
  grep " $W/" /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l
  registry_stop
  rm -rf --one-file-system "$W"
}
trap cleanup EXIT
# Without CAP_SYS_RESOURCE podman's default rlimits (nofile 1048576, nproc
# max) are above the hard limits and fail any runtime: ask for grantable
# ones.  podman passes --cgroups disabled only to the runtimes listed in
# runtime_supports_nocgroup (as in tests/integration/clients-podman.bats).
cat >"$W/containers.conf" <<EOF
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
runtime_supports_nocgroup = ["crun", "skiff"]
[engine.runtimes]
skiff = ["$SKIFF"]
EOF
export CONTAINERS_CONF=$W/containers.conf
export REGISTRY_AUTH_FILE=$W/auth.json
echo '{"auths":{}}' >"$REGISTRY_AUTH_FILE"

registry_start
echo "== building the image (busybox + $BENCH_DIRS)"
# shellcheck disable=SC2086
make_test_layout "$W/layout" bench --from-dirs $BENCH_DIRS >/dev/null
push_image "$W/layout:bench" bench:1
ref=$REGISTRY/bench:1
size=$(skopeo inspect --tls-verify=false --raw "docker://$ref" | jq '[.layers[].size] | add')
layers=$(skopeo inspect --tls-verify=false --raw "docker://$ref" | jq '.layers | length')
echo "== $ref: $layers layers, $((size >> 20)) MiB compressed; $("$SKIFF_IMAGE" --version | head -n1)"

# si1: the store as the pull leaves it (copied before each first run);
# si2: layers extracted once, kept.
$si --root "$W/si1.pulled" pull -q --tls-verify=false "$ref" >/dev/null
cp -a "$W/si1.pulled" "$W/si2"
$si --root "$W/si2" run --rm --network none "$ref" true
$pod pull -q --tls-verify=false "$ref" >/dev/null
defrt=$($pod info --format '{{.Host.OCIRuntime.Name}}')

if [ "$BENCH_ONLY" != commit ]; then
podrun="run --rm --network none --cgroups disabled $ref true"
# shellcheck disable=SC2086
$pod $podrun
# shellcheck disable=SC2086
$pod --runtime skiff $podrun

# hyperfine takes either one --prepare for all commands or one per
# command, in order; -N runs them without a shell.
hyperfine -N --warmup 1 --runs "$RUNS" --export-json "$W/run.json" --style basic \
  --prepare "sh -c 'rm -rf --one-file-system $W/si1 && cp -a $W/si1.pulled $W/si1'" \
  --prepare true --prepare true --prepare true \
  -n skiff-image-first "$si --root $W/si1 run --rm --network none $ref true" \
  -n skiff-image "$si --root $W/si2 run --rm --network none $ref true" \
  -n podman "$pod $podrun" \
  -n podman-skiff "$pod --runtime skiff $podrun" >&2

# Peak RSS (KiB) of the largest process COMMAND waits for (GNU time's %M:
# podman's conmon is not one of them), the median of MEM_RUNS runs.
peak_rss() {
  local i
  for ((i = 0; i < MEM_RUNS; i++)); do
    /usr/bin/time -f %M -o "$W/rss" "$@" >/dev/null 2>&1
    cat "$W/rss"
  done | sort -n | sed -n "$(((MEM_RUNS + 1) / 2))p"
}
# shellcheck disable=SC2086
{
  rss_si=$(peak_rss $si --root "$W/si2" run --rm --network none "$ref" true)
  rss_pod=$(peak_rss $pod $podrun)
  rss_pod_skiff=$(peak_rss $pod --runtime skiff $podrun)
}

echo "== $N_CONTAINERS containers of the image (created, not started)"
# Allocated bytes under a store, not crossing the containers' mounts.
disk() { du -sx -B1 "$1" | cut -f1; }
si_before=$(disk "$W/si2")
pod_before=$(disk "$W/podman")
t0=$(date +%s%N)
for ((i = 0; i < N_CONTAINERS; i++)); do
  $si --root "$W/si2" create --name "bench-n$i" --network none "$ref" true >/dev/null
done
t1=$(date +%s%N)
for ((i = 0; i < N_CONTAINERS; i++)); do
  $pod create --name "bench-n$i" --network none --cgroups disabled "$ref" true >/dev/null
done
t2=$(date +%s%N)
si_per=$((($(disk "$W/si2") - si_before) / N_CONTAINERS))
pod_per=$((($(disk "$W/podman") - pod_before) / N_CONTAINERS))
si_layers=$(disk "$W/si2/layers")
for ((i = 0; i < N_CONTAINERS; i++)); do
  $si --root "$W/si2" rm "bench-n$i" >/dev/null
done
$pod rm -a >/dev/null
create_ms_si=$(((t1 - t0) / 1000000 / N_CONTAINERS))
create_ms_pod=$(((t2 - t1) / 1000000 / N_CONTAINERS))
fi

echo "== a container writes $BENCH_COMMIT_FILES files of 10 KiB"
# shellcheck disable=SC2016
write='mkdir /written && i=0 && while [ $i -lt '"$BENCH_COMMIT_FILES"' ]; do head -c 10240 /dev/urandom >/written/f$i; i=$((i + 1)); done'
$si --root "$W/si2" run --name bench-w --network none "$ref" sh -c "$write"
$pod run --name bench-w --network none --cgroups disabled "$ref" sh -c "$write"
hyperfine -N --runs "$COMMIT_RUNS" --export-json "$W/commit.json" --style basic \
  -n skiff-image "$si --root $W/si2 commit bench-w bench-commit:1" \
  -n podman "$pod commit -q bench-w bench-commit:1" >&2

echo
if [ "$BENCH_ONLY" != commit ]; then
# Wall time (mean), and CPU time (user + system), which a loaded machine
# disturbs less.  "podman" is podman with its default runtime.
jq -r --arg rt "$defrt" '
  def ms: . * 1000 | floor;
  def x: . * 100 | floor / 100;
  (.results | map({(.command): .}) | add) as $r
  | ($r | map_values(.mean)) as $m
  | ($r | map_values(.user + .system)) as $c
  | "run --rm IMAGE true, wall: skiff-image \($m["skiff-image"] | ms) ms (first container \($m["skiff-image-first"] | ms) ms);"
    + " podman+\($rt) \($m.podman | ms) ms, podman+skiff \($m["podman-skiff"] | ms) ms",
    "  skiff-image/podman+\($rt) \($m["skiff-image"] / $m.podman | x)x,"
    + " first container \($m["skiff-image-first"] / $m.podman | x)x,"
    + " skiff-image/podman+skiff \($m["skiff-image"] / $m["podman-skiff"] | x)x,"
    + " podman+skiff/podman+\($rt) \($m["podman-skiff"] / $m.podman | x)x",
    "run --rm IMAGE true, cpu: skiff-image \($c["skiff-image"] | ms) ms (first \($c["skiff-image-first"] | ms) ms);"
    + " podman+\($rt) \($c.podman | ms) ms, podman+skiff \($c["podman-skiff"] | ms) ms;"
    + " skiff-image/podman+\($rt) \($c["skiff-image"] / $c.podman | x)x"' \
  "$W/run.json"
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
echo "run --rm IMAGE true, peak RSS: skiff-image $((rss_si / 1024)) MiB, podman+$defrt $((rss_pod / 1024)) MiB," \
  "podman+skiff $((rss_pod_skiff / 1024)) MiB; skiff-image/podman+$defrt $(ratio "$rss_si" "$rss_pod")x"
echo "$N_CONTAINERS containers of one image: skiff-image $si_per bytes and $create_ms_si ms per container," \
  "podman $pod_per bytes and $create_ms_pod ms; bytes $(ratio "$si_per" "$pod_per")x," \
  "time $(ratio "$create_ms_si" "$create_ms_pod")x (the image's layers, once: $((si_layers >> 20)) MiB)"
fi
jq -r '
  def ms: . * 1000 | floor;
  def x: . * 100 | floor / 100;
  (.results | map({(.command): .}) | add) as $r
  | "commit of \(env.BENCH_COMMIT_FILES) files of 10 KiB, wall: skiff-image \($r["skiff-image"].mean | ms) ms,"
    + " podman \($r.podman.mean | ms) ms; skiff-image/podman \($r["skiff-image"].mean / $r.podman.mean | x)x",
    "  cpu: skiff-image \($r["skiff-image"] | .user + .system | ms) ms, podman \($r.podman | .user + .system | ms) ms"' \
  "$W/commit.json"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg)"
