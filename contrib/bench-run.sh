#!/usr/bin/env bash
# Benchmark `skiff run` against crun and runc on the same bundle.
#
#   contrib/bench-run.sh [SKIFF-BINARY]      (or: make bench)
#
# Needs root, hyperfine, jq, GNU time (Debian packages hyperfine jq time),
# crun and/or runc (compared when installed), and the test payload
# (tests/helper/skiff-test-helper, built by `make check`) as the container's
# process: a static binary that exits at once, so what is measured is the
# runtime.  Env: RUNS (hyperfine runs, default 50), RSS_RUNS (default 10),
# SKIFF_TEST_HELPER (payload path).
#
# Everything runs inside one private mount namespace with a cgroup2 mount on
# /sys/fs/cgroup: crun refuses the hybrid cgroup layout of some hosts, and it
# keeps every runtime off the host's cgroup v1 hierarchies.  skiff and crun
# run with --cgroup-manager disabled; runc has no such switch and creates its
# cgroup in that cgroup2 tree.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
SKIFF=$(realpath "${1:-${SKIFF:-$here/../skiff}}")
HELPER=$(realpath "${SKIFF_TEST_HELPER:-$(dirname "$SKIFF")/tests/helper/skiff-test-helper}")
RUNS=${RUNS:-50}
RSS_RUNS=${RSS_RUNS:-10}

die() { echo "bench-run: $*" >&2; exit 1; }

# Re-exec inside a private mount namespace (see above).
if [ -z "${SKIFF_BENCH_INNER:-}" ]; then
  [ "$(id -u)" = 0 ] || die "needs root"
  for c in hyperfine jq unshare; do
    command -v "$c" >/dev/null || die "$c not found (apt-get install -y hyperfine jq util-linux)"
  done
  [ -x /usr/bin/time ] || die "/usr/bin/time not found (apt-get install -y time)"
  [ -x "$SKIFF" ] || die "skiff not found at $SKIFF (build it, or pass its path)"
  [ -x "$HELPER" ] || die "payload not found at $HELPER (make tests/helper/skiff-test-helper)"
  export SKIFF_BENCH_INNER=1 SKIFF SKIFF_TEST_HELPER=$HELPER
  exec unshare -m --propagation private "$0" "$SKIFF"
fi

mount -t cgroup2 none /sys/fs/cgroup || die "cannot mount cgroup2 on /sys/fs/cgroup"

work=$(mktemp -d /tmp/skiff-bench.XXXXXX)
trap 'rm -rf --one-file-system "$work"' EXIT

# The bundle: an empty-ish rootfs holding only the payload.
bundle=$work/bundle
mkdir -p "$bundle"/rootfs/{bin,dev,proc,sys,tmp,etc}
cp "$HELPER" "$bundle/rootfs/bin/skiff-test-helper"
"$SKIFF" spec --bundle "$bundle"
# ociVersion 1.0.2: crun 1.8 and runc 1.1 reject configs newer than they know.
jq '.ociVersion = "1.0.2" | .process.args = ["/bin/skiff-test-helper", "true"]
    | .process.terminal = false' \
  "$bundle/config.json" >"$work/c.json"
mv "$work/c.json" "$bundle/config.json"

# Name, command line and cleanup for each runtime (state under $work; a
# fixed id per runtime, since `run` deletes the container when it exits).
declare -a names cmds preps
add() {
  names+=("$1")
  cmds+=("$2 run --bundle $bundle bench-$1")
  preps+=("$2 delete --force bench-$1 >/dev/null 2>&1 || true")
}
add skiff "$SKIFF --root $work/skiff --cgroup-manager disabled"
if command -v crun >/dev/null; then
  add crun "$(command -v crun) --root $work/crun --cgroup-manager=disabled"
fi
if command -v runc >/dev/null; then
  add runc "$(command -v runc) --root $work/runc"
fi

# Each runtime must run the bundle (twice: the id must be free again after
# a run) before it is timed.
for i in "${!names[@]}"; do
  for _ in 1 2; do
    sh -c "${cmds[$i]} >/dev/null" || die "${names[$i]} cannot run the bench bundle: ${cmds[$i]}"
  done
done

# One hyperfine run for all, so they are measured under the same conditions.
# No shell (-N): the commands are a few ms long, shell spawning would blur
# them.  No --prepare either: `run` deletes its container when it exits, and
# a leftover would make the next run fail, which hyperfine reports.
args=()
for i in "${!names[@]}"; do
  args+=(--command-name "${names[$i]}" "${cmds[$i]}")
done
hyperfine -N --warmup 3 --runs "$RUNS" --export-json "$work/hf.json" --style basic "${args[@]}" >&2

median_ms() {
  jq -r --arg n "$1" '.results[] | select(.command == $n) | .median * 1000' "$work/hf.json"
}

# Peak RSS (KiB) of the runtime process tree, median of RSS_RUNS runs.
peak_rss() {
  local i cmd=$1 prep=$2
  for ((i = 0; i < RSS_RUNS; i++)); do
    sh -c "$prep"
    /usr/bin/time -f %M -o "$work/rss" sh -c "exec $cmd" >/dev/null
    cat "$work/rss"
  done | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

declare -A med rss
for i in "${!names[@]}"; do
  med[${names[$i]}]=$(median_ms "${names[$i]}")
  rss[${names[$i]}]=$(peak_rss "${cmds[$i]}" "${preps[$i]}")
done

echo
printf '%-6s %12s %14s\n' runtime "median (ms)" "peak RSS (KiB)"
for n in "${names[@]}"; do
  printf '%-6s %12.2f %14d\n' "$n" "${med[$n]}" "${rss[$n]}"
done
echo
for n in "${names[@]}"; do
  [ "$n" = skiff ] && continue
  awk -v a="${med[skiff]}" -v b="${med[$n]}" -v ra="${rss[skiff]}" -v rb="${rss[$n]}" -v n="$n" \
    'BEGIN { printf "skiff/%s: time %.2fx, peak RSS %.2fx\n", n, a / b, ra / rb }'
done
