#!/usr/bin/env bash
# Build speed of `skiff-image build` against `buildah bud --layers` (buildah
# with crun, and with skiff as its runtime), cold (--no-cache: every step
# runs) and warm (every step from the cache), in one run; prints the times
# and the ratios.
#
#   contrib/bench-build.sh [SKIFF-IMAGE-BINARY [SKIFF-BINARY]]   (or: make bench-build)
#
# The base image is NOT a debootstrapped Debian (that needs a mirror, and
# this benchmark runs offline): it is a root filesystem made from the host,
# busybox-static with its applets plus the host's /usr/share/zoneinfo and
# /usr/share/common-licenses, ADDed FROM scratch by skiff-image and saved as
# an oci-archive that buildah pulls.
# The Containerfile has ENV/WORKDIR steps, three RUNs (one writes
# BENCH_SMALL_FILES small files, default 5000), two COPYs (200 files, and a
# 16 MiB file) and a CMD.
#
# Both tools store layers their own way: skiff-image writes gzip'd blobs of
# an OCI layout; buildah (overlay driver) keeps layer directories.  buildah
# runs with `--runtime-flag cgroup-manager=disabled` (crun's device cgroup
# needs CAP_SYS_RESOURCE for its eBPF program, which these machines lack),
# so its containers get no cgroup; skiff-image's RUN gets the runtime's
# default one.  Everything runs in a private mount namespace whose
# /sys/fs/cgroup is the cgroup2 hierarchy (the host's v1 hierarchies are
# never touched).  Needs root, hyperfine, buildah, crun, jq.
# Env: RUNS (default 5).  Use a build without --enable-sanitizers.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
SKIFF_IMAGE=$(realpath "${1:-${SKIFF_IMAGE:-$here/../skiff-image}}")
SKIFF=$(realpath "${2:-${SKIFF:-$(dirname "$SKIFF_IMAGE")/skiff}}")
RUNS=${RUNS:-5}
BENCH_SMALL_FILES=${BENCH_SMALL_FILES:-5000}

die() { echo "bench-build: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root"
for c in hyperfine buildah crun jq unshare; do
  command -v "$c" >/dev/null || die "needs $c (apt-get install hyperfine buildah crun jq)"
done
[ -x "$SKIFF_IMAGE" ] || die "no skiff-image binary at $SKIFF_IMAGE"
[ -x "$SKIFF" ] || die "no skiff binary at $SKIFF"
for b in "$SKIFF_IMAGE" "$SKIFF"; do
  if nm "$b" 2>/dev/null | grep -q __asan_init || nm -D "$b" 2>/dev/null | grep -q __asan_init; then
    echo "bench-build: warning: $b is built with sanitizers; its times are not representative" >&2
  fi
done
bb=
for f in /bin/busybox /usr/bin/busybox; do
  if [ -x "$f" ] && [[ "$(LC_ALL=C ldd "$f" 2>&1)" == *"not a dynamic executable"* ]]; then bb=$f; break; fi
done
[ -n "$bb" ] || die "needs busybox-static"

# A mount namespace of our own, with cgroup2 on /sys/fs/cgroup.
if [ -z "${BENCH_BUILD_IN_NS:-}" ]; then
  exec unshare -m --propagation private env BENCH_BUILD_IN_NS=1 "$0" "$SKIFF_IMAGE" "$SKIFF"
fi
mount -t cgroup2 none /sys/fs/cgroup

W=$(mktemp -d /tmp/skiff-bench-build.XXXXXX)
cleanup() {
  buildah --root "$W/buildah/root" --runroot "$W/buildah/run" --storage-driver overlay rmi -a -f >/dev/null 2>&1 || true
  grep " $W/" /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf --one-file-system "$W"
}
trap cleanup EXIT

echo "== the base image: a rootfs from the host (busybox-static + zoneinfo + licenses), no debootstrap"
rootfs=$W/rootfs
mkdir -p "$rootfs"/{bin,etc,tmp,root,usr/share} "$W/base" && chmod 1777 "$rootfs/tmp"
cp "$bb" "$rootfs/bin/busybox"
for a in $("$bb" --list); do [ "$a" = busybox ] || ln -sf busybox "$rootfs/bin/$a"; done
for d in /usr/share/zoneinfo /usr/share/common-licenses; do
  [ -d "$d" ] && cp -a "$d" "$rootfs/usr/share/"
done
printf 'root:x:0:0:root:/root:/bin/sh\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\n' >"$rootfs/etc/group"
tar -C "$rootfs" -cf "$W/base/rootfs.tar" .
printf 'FROM scratch\nADD rootfs.tar /\nENV PATH=/usr/sbin:/usr/bin:/sbin:/bin\nCMD ["/bin/sh"]\n' >"$W/base/Containerfile"

echo "== the context"
ctx=$W/ctx
mkdir -p "$ctx/src"
for i in $(seq 1 200); do echo "source file $i" >"$ctx/src/f$i.txt"; done
head -c 16M /dev/urandom >"$ctx/big.bin"
cat >"$ctx/Containerfile" <<EOF
FROM localhost/bench-base:1
ENV APP=/srv/app
WORKDIR /srv/app
RUN mkdir -p data && echo built > built
COPY src/ /srv/app/src/
RUN i=0; while [ \$i -lt $BENCH_SMALL_FILES ]; do echo "small file \$i" > data/f\$i; i=\$((i+1)); done
COPY big.bin /srv/app/big.bin
RUN sha256sum big.bin > big.sum
CMD ["cat", "built"]
EOF

si="$SKIFF_IMAGE --root $W/si --runtime $SKIFF"
bh="buildah --root $W/buildah/root --runroot $W/buildah/run --storage-driver overlay"
bud="bud --layers --isolation oci --runtime-flag cgroup-manager=disabled --cgroup-manager cgroupfs --ulimit nofile=1024:1024 --ulimit nproc=4096:4096 -q"
# The base: built by skiff-image from the rootfs tar, saved for buildah.
$si build -q -t localhost/bench-base:1 "$W/base" >/dev/null
$si save --format oci-archive -o "$W/base.tar" localhost/bench-base:1
$bh pull -q "oci-archive:$W/base.tar:localhost/bench-base:1" >/dev/null
# One build each first: the base's layers are unpacked (skiff-image does it
# at the first container, buildah at pull) and both caches are filled.
$si build -q -t bench "$ctx" >/dev/null
$bh $bud --runtime crun -t bench "$ctx" >/dev/null
echo "== $($SKIFF_IMAGE --version | head -n1); $(buildah --version); $(crun --version | head -n1)"

# Cold: --no-cache, the previous run's images pruned beforehand (not timed).
hyperfine -N --runs "$RUNS" --warmup 1 --export-json "$W/cold.json" \
  --prepare "$si prune" --prepare "$bh rmi --prune" --prepare "$bh rmi --prune" \
  -n skiff-image "$si build -q --no-cache -t bench $ctx" \
  -n buildah-crun "$bh $bud --runtime crun --no-cache -t bench $ctx" \
  -n buildah-skiff "$bh $bud --runtime $SKIFF --no-cache -t bench $ctx"
hyperfine -N --runs "$RUNS" --warmup 1 --export-json "$W/warm.json" \
  -n skiff-image "$si build -q -t bench $ctx" \
  -n buildah-crun "$bh $bud --runtime crun -t bench $ctx" \
  -n buildah-skiff "$bh $bud --runtime $SKIFF -t bench $ctx"

echo
for k in cold warm; do
  jq -r --arg k "$k" '
    def ms: . * 1000 | floor;
    def x: . * 100 | floor / 100;
    (.results | map({(.command): .}) | add) as $r
    | ($r | map_values(.mean)) as $m
    | "\($k): skiff-image \($m["skiff-image"] | ms) ms, buildah+crun \($m["buildah-crun"] | ms) ms, buildah+skiff \($m["buildah-skiff"] | ms) ms",
      "\($k): skiff-image / buildah+crun = \($m["skiff-image"] / $m["buildah-crun"] | x), skiff-image / buildah+skiff = \($m["skiff-image"] / $m["buildah-skiff"] | x)"
  ' "$W/$k.json"
done
