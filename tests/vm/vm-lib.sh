#!/bin/bash
# The frame shared by the tests that run INSIDE the VM (cgroup-tests.sh,
# lsm-tests.sh): bundles, bounded skiff calls, run_test and the summary.
# Sourced, not run.
set -u
SKIFF=${SKIFF:?SKIFF must point at the skiff binary}
HELPER=${SKIFF_TEST_HELPER:-}
BUSYBOX=${BUSYBOX:-/bin/busybox}
CG=/sys/fs/cgroup
ROOT=/run/skiff-vmtest
W=$(mktemp -d /tmp/vmtest.XXXXXX)
passed=0 failed=0 failures=()
export PATH=/usr/sbin:/usr/bin:/sbin:/bin

# Every skiff call is bounded: a hang fails the test, not the whole run.
# SKIFF_VM_SYSTEMD=1 (systemd-tests.sh, systemd as PID 1): every container
# goes through the systemd cgroup driver, in a scope of skiffvm.slice.
SD=
[ "${SKIFF_VM_SYSTEMD:-0}" = 1 ] && SD=--systemd-cgroup
sk() { timeout 120 "$SKIFF" --root "$ROOT" $SD "$@"; }
log() { echo "    $*"; }
now() { local t; read -r t _ </proc/uptime; echo "$t"; }

# A bundle with busybox (+ the payload) and a config from `skiff spec`.
make_bundle() { # DIR
  local b=$1
  mkdir -p "$b/rootfs"/{bin,proc,sys,dev,tmp,etc}
  cp "$BUSYBOX" "$b/rootfs/bin/busybox"
  for a in sh sleep dd cat echo seq head mknod true ls grep mv; do ln -sf busybox "$b/rootfs/bin/$a"; done
  [ -n "$HELPER" ] && cp "$HELPER" "$b/rootfs/bin/skiff-test-helper"
  (cd "$b" && "$SKIFF" spec) || return 1
  cfg '.process.terminal = false | .root.readonly = false'
}
cfg() { # JQ-EXPR [JQ-ARGS...] (on $B/config.json)
  local t
  t=$(jq "$@" "$B/config.json") && printf '%s\n' "$t" >"$B/config.json"
}
cgpath() { if [ -n "$SD" ]; then echo "$CG/skiffvm.slice/skiff-$1.scope"; else echo "$CG/skiff-vm/$1"; fi; }
# linux.cgroupsPath of container ID.
ctpath() { if [ -n "$SD" ]; then echo "skiffvm.slice:skiff:$1"; else echo "/skiff-vm/$1"; fi; }
# Create + start ID with ARGS as the container's command.
start_ct() { # ID ARGS...
  local id=$1
  shift
  cfg ".process.args = $(for a in "$@"; do jq -n --arg a "$a" '$a'; done | jq -s -c .) | .linux.cgroupsPath = \"$(ctpath "$id")\""
  sk create -b "$B" "$id" </dev/null >"$W/$id.out" 2>"$W/$id.err" || {
    log "create $id failed: $(cat "$W/$id.err")"
    return 1
  }
  sk start "$id" || return 1
}
finish_ct() { # ID
  sk delete --force "$1" >/dev/null 2>&1
  [ ! -d "$(cgpath "$1")" ] || { log "cgroup $(cgpath "$1") left after delete"; return 1; }
}
wait_for() { # SECS CMD... : poll until CMD succeeds
  local end=$(($(date +%s) + $1))
  shift
  until "$@"; do
    [ "$(date +%s)" -lt "$end" ] || return 1
    sleep 0.2
  done
}

run_test() { # NAME FUNCTION
  local name=$1 t0 t1 rc
  # CGTESTS="t_pids t_freeze" runs only those.
  [ -z "${CGTESTS:-}" ] || [[ " $CGTESTS " == *" $2 "* ]] || return 0
  B=$W/$2
  rm -rf "$B"
  make_bundle "$B" || { echo "FAIL $name (bundle)"; failed=$((failed + 1)); return; }
  t0=$(now)
  "$2"
  rc=$?
  t1=$(now)
  for id in $(sk list -q 2>/dev/null); do sk delete --force "$id" >/dev/null 2>&1; done
  if [ $rc = 0 ]; then
    echo "PASS $name ($(awk "BEGIN{printf \"%.2f\", $t1-$t0}") s)"
    passed=$((passed + 1))
  elif [ $rc = 77 ]; then
    echo "SKIP $name"
  else
    echo "FAIL $name ($(awk "BEGIN{printf \"%.2f\", $t1-$t0}") s)"
    failed=$((failed + 1))
    failures+=("$name")
  fi
}

summary() {
  echo "== all tests $(awk "BEGIN{printf \"%.1f\", $(now)-$t_start}") s"
  for f in "${failures[@]}"; do echo "failed: $f"; done
  rm -rf "$W"
  echo "$passed passed, $failed failed"
  [ "$failed" = 0 ]
}
