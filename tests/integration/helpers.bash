# skiff integration tests: the shared helpers every tests/integration/*.bats
# file loads with `load helpers`.
#
#   setup()    { setup_bundle; }
#   teardown() { teardown_bundle; }
#   @test "..." { update_config '.process.args = ["/bin/skiff-test-helper","ids"]'
#                 run skiff run -b "$BUNDLE" ct1; [ "$status" -eq 0 ]; ... }
#
# Environment (set by `make check` through TESTS_ENVIRONMENT; the defaults
# let `bats tests/integration/x.bats` work by hand from the build dir):
#   SKIFF              the skiff binary under test
#   SKIFF_TEST_HELPER  the static payload, installed as /bin/skiff-test-helper
#   SKIFF_SRCDIR, SKIFF_BUILDDIR
#   SKIFF_TEST_TEMPLATE  (optional) a prebuilt rootfs template dir
#
# After setup_bundle: $BUNDLE (bundle dir with rootfs/ and config.json),
# $ROOT (a fresh --root state dir), $PAYLOAD (/bin/skiff-test-helper).

SKIFF_SRCDIR=${SKIFF_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if [ -z "${SKIFF_BUILDDIR:-}" ]; then
  if [ -x "$PWD/skiff" ]; then SKIFF_BUILDDIR=$PWD; else SKIFF_BUILDDIR=$SKIFF_SRCDIR; fi
fi
SKIFF=${SKIFF:-$SKIFF_BUILDDIR/skiff}
SKIFF_TEST_HELPER=${SKIFF_TEST_HELPER:-$SKIFF_BUILDDIR/tests/helper/skiff-test-helper}
PAYLOAD=/bin/skiff-test-helper
export SKIFF SKIFF_TEST_HELPER SKIFF_SRCDIR SKIFF_BUILDDIR

# Background processes started with skiff_bg; teardown_bundle ends them.
SKIFF_BG_PIDS=()

# Run skiff against this test's state root.
skiff() {
  "$SKIFF" --root "$ROOT" "$@"
}

# Start `skiff ARGS...` in the background (output in $BUNDLE/bg.log);
# teardown_bundle kills it if it is still running.  $! is its pid.
skiff_bg() {
  "$SKIFF" --root "$ROOT" "$@" >>"$BUNDLE/bg.log" 2>&1 </dev/null &
  SKIFF_BG_PIDS+=("$!")
}

# Skip the test when a command is missing.
require_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || skip "$c is not installed"
  done
}

# Find a statically linked busybox (Debian package busybox-static).
find_busybox() {
  local bb
  for bb in "${BUSYBOX:-}" /bin/busybox /usr/bin/busybox "$(command -v busybox 2>/dev/null)"; do
    [ -n "$bb" ] && [ -x "$bb" ] || continue
    if [[ "$(LC_ALL=C ldd "$bb" 2>&1)" == *"not a dynamic executable"* ]]; then
      echo "$bb"
      return 0
    fi
  done
  echo "no static busybox found: install the Debian package busybox-static" >&2
  return 1
}

# Build the rootfs + config.json template once per test run.  Layout:
#   TEMPLATE/rootfs/  busybox with all its applets, the payload, passwd/group
#   TEMPLATE/config.json  `skiff spec` output running the payload `true`
_skiff_build_template() {
  local t=$1 tmp bb a
  [ -x "$SKIFF" ] || { echo "skiff binary not found at $SKIFF (build it first)" >&2; return 1; }
  [ -x "$SKIFF_TEST_HELPER" ] || {
    echo "payload not found at $SKIFF_TEST_HELPER (run: make tests/helper/skiff-test-helper)" >&2
    return 1
  }
  bb=$(find_busybox) || return 1
  tmp=$(mktemp -d "$t.tmp.XXXXXX") || return 1
  (
    set -e
    r=$tmp/rootfs
    mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,tmp,root,run,var/tmp,home/user,usr/bin,usr/sbin,mnt}
    chmod 1777 "$r/tmp" "$r/var/tmp"
    chmod 700 "$r/root"
    chown 1000:1000 "$r/home/user"
    cp "$bb" "$r/bin/busybox"
    for a in $("$r/bin/busybox" --list); do
      [ -e "$r/bin/$a" ] || ln -s busybox "$r/bin/$a"
    done
    cp "$SKIFF_TEST_HELPER" "$r/bin/skiff-test-helper"
    chmod 755 "$r/bin/skiff-test-helper"
    cat >"$r/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
user:x:1000:1000:user:/home/user:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
EOF
    cat >"$r/etc/group" <<'EOF'
root:x:0:
users:x:100:user
user:x:1000:
nogroup:x:65534:
EOF
    echo skiff-test >"$r/etc/hostname"
    printf '127.0.0.1 localhost\n::1 localhost\n' >"$r/etc/hosts"
    : >"$r/etc/resolv.conf"
    "$SKIFF" spec --bundle "$tmp"
    jq '.process.args = ["/bin/skiff-test-helper", "true"] | .process.terminal = false' \
      "$tmp/config.json" >"$tmp/config.json.new"
    mv "$tmp/config.json.new" "$tmp/config.json"
  ) || { rm -rf "$tmp"; return 1; }
  # Another bats process may have won the race: keep whichever is there.
  mv -T "$tmp" "$t" 2>/dev/null || rm -rf "$tmp"
  [ -d "$t/rootfs" ]
}

setup_bundle() {
  local t=${SKIFF_TEST_TEMPLATE:-${BATS_RUN_TMPDIR:-/tmp}/skiff-template}
  [ -d "$t/rootfs" ] || _skiff_build_template "$t" || {
    echo "setup_bundle: cannot build the test rootfs" >&2
    return 1
  }
  BUNDLE=$(mktemp -d /tmp/skiff-test.XXXXXX)
  chmod 755 "$BUNDLE"
  ROOT=$(mktemp -d /tmp/skiff-root.XXXXXX)
  cp -a "$t/rootfs" "$BUNDLE/rootfs"
  cp "$t/config.json" "$BUNDLE/config.json"
  export BUNDLE ROOT
}

# update_config 'JQ-EXPR' [jq options...]: edit $BUNDLE/config.json in place,
# e.g. update_config '.process.env += [$e]' --arg e FOO=bar
update_config() {
  local f=$BUNDLE/config.json
  jq "$1" "$f" "${@:2}" >"$f.new" && mv "$f.new" "$f" || { rm -f "$f.new"; return 1; }
}

# set_args ARG...: set .process.args, e.g. set_args /bin/skiff-test-helper ids
set_args() {
  # One --arg per element: jq would parse `--args` values such as -c as its
  # own options.
  local i=0 a expr= opts=()
  for a in "$@"; do
    opts+=(--arg "a$i" "$a")
    expr+="${expr:+, }\$a$i"
    i=$((i + 1))
  done
  update_config ".process.args = [$expr]" "${opts[@]}"
}

# Print the container's status (`skiff state` .status), or nothing.
container_status() {
  skiff state "$1" 2>/dev/null | jq -r .status 2>/dev/null
}

# wait_for_status ID STATUS [TIMEOUT-SECONDS=5]
wait_for_status() {
  local id=$1 want=$2 timeout=${3:-5} i s=
  for ((i = 0; i < timeout * 20; i++)); do
    s=$(container_status "$id")
    [ "$s" = "$want" ] && return 0
    sleep 0.05
  done
  echo "container $id: status '$s', expected '$want' after ${timeout}s" >&2
  return 1
}

# Host pid of the container's process (from `skiff state`).
container_pid() {
  skiff state "$1" | jq -r .pid
}

# True if PID lives in another mount namespace or root than we do: how
# teardown recognises that a pid from a state.json is still the container
# (and not a recycled pid of some unrelated host process).
_skiff_is_container_pid() {
  local pid=$1
  [ -n "$pid" ] && [ "$pid" -gt 1 ] 2>/dev/null && [ -d "/proc/$pid" ] || return 1
  [ "$(readlink "/proc/$pid/ns/mnt" 2>/dev/null)" != "$(readlink /proc/self/ns/mnt)" ] ||
    [ "$(readlink "/proc/$pid/root" 2>/dev/null)" != "/" ]
}

teardown_bundle() {
  local id pid p mnt
  # 1. Background skiff processes this test started.
  for p in "${SKIFF_BG_PIDS[@]}"; do
    kill -TERM "$p" 2>/dev/null || true
  done
  # 2. Every container in our private state root.
  if [ -n "${ROOT:-}" ] && [ -d "$ROOT" ]; then
    for id in $(ls -A "$ROOT" 2>/dev/null); do
      [ -d "$ROOT/$id" ] || continue
      pid=$(jq -r '.pid // empty' "$ROOT/$id/state.json" 2>/dev/null || true)
      timeout 10 "$SKIFF" --root "$ROOT" delete --force "$id" >/dev/null 2>&1 || true
      # If delete failed to end it, end it ourselves (it is ours: its pid
      # comes from our state root and it is still inside its container).
      if _skiff_is_container_pid "$pid"; then
        kill -KILL "$pid" 2>/dev/null || true
      fi
    done
  fi
  for p in "${SKIFF_BG_PIDS[@]}"; do
    kill -KILL "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  SKIFF_BG_PIDS=()
  # 3. Anything still mounted under the bundle (deepest first).
  if [ -n "${BUNDLE:-}" ] && [ -d "$BUNDLE" ]; then
    findmnt -rn -o TARGET 2>/dev/null | grep -F "$BUNDLE/" | sort -r |
      while read -r mnt; do
        umount -l "$mnt" 2>/dev/null || true
      done
    rm -rf --one-file-system "$BUNDLE"
  fi
  [ -n "${ROOT:-}" ] && rm -rf --one-file-system "$ROOT"
  return 0
}

# Clients (podman, containerd) make cgroups of their own in the cgroup2
# hierarchy (libpod_parent/..., the containerd namespace "default").
# client_cgroups_snapshot in setup_file records which exist; remove_client_cgroups
# in teardown_file removes the empty ones of NAMES that appeared since.
client_cgroups_snapshot() {
  local cg2
  cg2=$(findmnt -rn -t cgroup2 -o TARGET | head -n1)
  CLIENT_CG2=$cg2
  CLIENT_CG_BEFORE=" "
  local n
  for n in "$@"; do
    [ -e "$cg2/$n" ] && CLIENT_CG_BEFORE+="$n "
  done
  export CLIENT_CG2 CLIENT_CG_BEFORE
}

remove_client_cgroups() {
  local n d
  [ -n "${CLIENT_CG2:-}" ] || return 0
  for n in "$@"; do
    [[ "$CLIENT_CG_BEFORE" == *" $n "* ]] && continue
    [ -d "$CLIENT_CG2/$n" ] || continue
    # deepest first; a busy cgroup stays (rmdir refuses it)
    find "$CLIENT_CG2/$n" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
}
