#!/usr/bin/env bats
# The OCI lifecycle: create/start/state/list/kill/delete/run, wrong-state
# and bad-input errors, crash safety of the state directory.

load helpers
bats_require_minimum_version 1.5.0

# Container ids are unique per run: the default cgroup is named after the
# id, and test runs in parallel must not share one.
setup() {
  setup_bundle
  C1=lc1-$$-$BATS_TEST_NUMBER
  C2=lc2-$$-$BATS_TEST_NUMBER
}
teardown() {
  # A blocking hook outlives a killed create (hooks run in their own
  # process group): end the one a test started.
  if [ -s "${BUNDLE:-}/hook.pid" ]; then
    kill -KILL "$(cat "$BUNDLE/hook.pid")" 2>/dev/null || true
  fi
  teardown_bundle
}

# set_args hands its words to jq, which would eat "-c": build the array here.
set_cmd() {
  update_config '.process.args = $a' --argjson a "$(printf '%s\n' "$@" | jq -R . | jq -cs .)"
}

# create / run -d leave a process holding our stdout: never give it a pipe.
skiff_detached() {
  skiff "$@" </dev/null >"$BUNDLE/detached.out" 2>&1 || { cat "$BUNDLE/detached.out"; return 1; }
}

@test "lifecycle: create -> created, start -> running, kill -> stopped, delete -> gone" {
  set_args /bin/skiff-test-helper sleep 100
  skiff_detached create -b "$BUNDLE" --pid-file "$BUNDLE/pid" $C1
  [ "$(container_status $C1)" = created ]
  pid=$(container_pid $C1)
  [ "$pid" -gt 1 ]
  [ "$(cat "$BUNDLE/pid")" = "$pid" ]
  # Created: the process exists but has not exec'd the payload yet.
  [ "$(readlink /proc/$pid/exe)" != "$(readlink "$BUNDLE/rootfs/bin/skiff-test-helper")" ] || true

  run skiff state $C1
  [ "$status" -eq 0 ]
  [ "$(jq -r .id <<<"$output")" = $C1 ]
  [ "$(jq -r .bundle <<<"$output")" = "$BUNDLE" ]
  [ "$(jq -r .ociVersion <<<"$output")" != null ]

  run skiff start $C1
  [ "$status" -eq 0 ]
  [ "$(container_status $C1)" = running ]
  [ "$(container_pid $C1)" = "$pid" ]
  grep -q sleep "/proc/$pid/cmdline"

  run skiff list
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == ID*PID*STATUS*BUNDLE*CREATED*OWNER ]]
  [[ "${lines[1]}" == $C1*"$pid"*running*"$BUNDLE"* ]]

  run skiff kill $C1 KILL
  [ "$status" -eq 0 ]
  wait_for_status $C1 stopped
  [ "$(container_pid $C1)" = 0 ]

  run skiff delete $C1
  [ "$status" -eq 0 ]
  [ ! -e "$ROOT/$C1" ]
  run skiff state $C1
  [ "$status" -ne 0 ]
  [[ "$output" == *"does not exist"* ]]
}

@test "lifecycle: run returns the exit status" {
  set_args /bin/skiff-test-helper exit 3
  run skiff run -b "$BUNDLE" $C1
  [ "$status" -eq 3 ]
  # run deletes the container when it exits
  [ ! -e "$ROOT/$C1" ]
  run skiff run -b "$BUNDLE" $C1
  [ "$status" -eq 3 ]
}

@test "lifecycle: run --keep leaves the stopped container until delete" {
  update_config '.hooks.poststop = [{path: "/bin/sh", args: ["sh", "-c", "echo ran >>\($b)/poststop"]}]' \
    --arg b "$BUNDLE"
  set_args /bin/skiff-test-helper exit 3
  run skiff run --keep -b "$BUNDLE" $C1
  [ "$status" -eq 3 ]
  [ "$(container_status $C1)" = stopped ]
  [ "$(skiff state $C1 | jq .pid)" = 0 ]
  [ "$(skiff list -q)" = "$C1" ]
  [ ! -e "$BUNDLE/poststop" ]
  run skiff start $C1
  [ "$status" -eq 1 ]
  [[ "$output" == *"container is stopped"* ]]
  run skiff delete $C1
  [ "$status" -eq 0 ]
  [ ! -e "$ROOT/$C1" ]
  [ "$(cat "$BUNDLE/poststop")" = ran ]
  # create has no --keep
  run skiff create --keep -b "$BUNDLE" $C1
  [ "$status" -eq 2 ]
  [[ "$output" == *"--keep"* ]]
  [ ! -e "$ROOT/$C1" ]
}

@test "lifecycle: run --keep without a pid namespace: delete ends what pid 1 left behind" {
  update_config '.linux.namespaces |= map(select(.type != "pid"))'
  # (the leftover must not hold our stdout: `run` would wait for it)
  set_cmd /bin/sh -c '/bin/skiff-test-helper sleep 100 >/dev/null 2>&1 & exit 5'
  run skiff run --keep -b "$BUNDLE" $C1
  [ "$status" -eq 5 ]
  [ "$(container_status $C1)" = stopped ]
  cg=$(jq -r .skiff.cgroupPath "$ROOT/$C1/state.json")
  [ -n "$cg" ] && [ "$cg" != null ] || skip "no cgroup for the container here"
  left=$(cat "$cg/cgroup.procs")
  [ -n "$left" ]
  grep -q sleep "/proc/$left/cmdline"
  run skiff delete $C1
  [ "$status" -eq 0 ]
  [ ! -e "$ROOT/$C1" ]
  [ ! -e "$cg" ]
  for _ in $(seq 100); do [ -d "/proc/$left" ] || break; sleep 0.05; done
  [ ! -d "/proc/$left" ]
}

@test "lifecycle: run of a container killed by SIGKILL returns 137" {
  set_args /bin/skiff-test-helper sleep 100
  "$SKIFF" --root "$ROOT" run -b "$BUNDLE" $C1 </dev/null >/dev/null 2>&1 &
  bg=$!
  SKIFF_BG_PIDS+=("$bg")
  wait_for_status $C1 running
  skiff kill $C1 KILL
  rc=0
  wait "$bg" || rc=$?
  [ "$rc" -eq 137 ]
  [ ! -e "$ROOT/$C1" ]
}

@test "lifecycle: run forwards SIGTERM to the container" {
  set_cmd /bin/sh -c 'trap "exit 42" TERM; while :; do sleep 0.1; done'
  "$SKIFF" --root "$ROOT" run -b "$BUNDLE" $C1 </dev/null >/dev/null 2>&1 &
  bg=$!
  SKIFF_BG_PIDS+=("$bg")
  wait_for_status $C1 running
  sleep 0.3 # let the shell install its trap
  kill -TERM "$bg"
  rc=0
  wait "$bg" || rc=$?
  [ "$rc" -eq 42 ]
}

@test "lifecycle: run --detach leaves a running container" {
  set_args /bin/skiff-test-helper sleep 100
  skiff_detached run -d -b "$BUNDLE" --pid-file "$BUNDLE/pid" $C1
  [ "$(container_status $C1)" = running ]
  [ "$(cat "$BUNDLE/pid")" = "$(container_pid $C1)" ]
  run skiff delete -f $C1
  [ "$status" -eq 0 ]
  [ ! -e "$ROOT/$C1" ]
}

@test "lifecycle: wrong-state errors" {
  set_args /bin/skiff-test-helper sleep 100
  skiff_detached run -d -b "$BUNDLE" $C1
  run skiff start $C1
  [ "$status" -ne 0 ]
  [[ "$output" == *"running"* ]]
  run skiff delete $C1
  [ "$status" -ne 0 ]
  [[ "$output" == *"--force"* ]]
  [ "$(container_status $C1)" = running ]
  run skiff create -b "$BUNDLE" $C1
  [ "$status" -ne 0 ]
  [[ "$output" == *"already exists"* ]]
  run skiff resume $C1
  [ "$status" -ne 0 ]
  skiff kill $C1 9
  wait_for_status $C1 stopped
  run skiff kill $C1
  [ "$status" -ne 0 ]
  [[ "$output" == *"container not running"* ]]
  run skiff start $C1
  [ "$status" -ne 0 ]
  [[ "$output" == *"stopped"* ]]
  run skiff exec $C1 /bin/true
  [ "$status" -ne 0 ]
  run skiff delete $C1
  [ "$status" -eq 0 ]
}

@test "lifecycle: plain delete of a created container kills its process" {
  set_args /bin/skiff-test-helper sleep 100
  skiff_detached create -b "$BUNDLE" $C1
  pid=$(container_pid $C1)
  run skiff delete $C1
  [ "$status" -eq 0 ]
  [ ! -e "$ROOT/$C1" ]
  ! kill -0 "$pid" 2>/dev/null || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]
}

@test "lifecycle: unknown id" {
  for cmd in state start "kill" delete pause resume ps; do
    run skiff $cmd nothere
    [ "$status" -ne 0 ]
    [[ "$output" == *"nothere"*"does not exist"* ]]
  done
  run skiff exec nothere /bin/true
  [ "$status" -ne 0 ]
  # callers delete --force blindly
  run skiff delete --force nothere
  [ "$status" -eq 0 ]
}

@test "lifecycle: invalid ids are refused" {
  long=$(printf 'a%.0s' {1..1100})
  for id in ../x a/b .. . .hidden "" "$long" 'a b'; do
    run skiff create -b "$BUNDLE" "$id"
    [ "$status" -ne 0 ]
    [[ "$output" == *"container id"* ]] || [[ "$output" == *"missing"* ]]
  done
  [ -z "$(ls -A "$ROOT")" ]
  [ ! -e "$BUNDLE/x" ]
}

@test "lifecycle: missing rootfs" {
  update_config '.root.path = "nothere"'
  run skiff run -b "$BUNDLE" $C1
  [ "$status" -ne 0 ]
  [[ "$output" == *"rootfs"*"nothere"*"No such file or directory"* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "lifecycle: malformed config.json" {
  echo '{"ociVersion": "1.2.0", "process": ' >"$BUNDLE/config.json"
  run skiff run -b "$BUNDLE" $C1
  [ "$status" -ne 0 ]
  [[ "$output" == *"config.json"* ]]
  setup_bundle
  update_config '.process.args = 3'
  run skiff run -b "$BUNDLE" $C1
  [ "$status" -ne 0 ]
  [[ "$output" == *"config.json"*"args"* ]]
  rm "$BUNDLE/config.json"
  run skiff run -b "$BUNDLE" $C1
  [ "$status" -ne 0 ]
  [[ "$output" == *"config.json"*"No such file"* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "lifecycle: missing executable" {
  set_args nothere
  run -127 skiff run -b "$BUNDLE" $C1
  [[ "$output" == *'exec: "nothere": executable file not found in $PATH'* ]]
  [ -z "$(ls -A "$ROOT")" ]
  set_args /bin/nothere
  run skiff create -b "$BUNDLE" $C1
  [ "$status" -ne 0 ]
  [[ "$output" == *"no such file or directory"* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "lifecycle: skiff killed in the middle of create: delete --force cleans up" {
  # A prestart hook that blocks keeps create between clone and ready.
  set_args /bin/skiff-test-helper sleep 100
  update_config '.hooks.prestart = [{path: "/bin/sh", args: ["sh", "-c", "echo $$ >\($b)/hook.pid; exec sleep 100"]}]' \
    --arg b "$BUNDLE"
  "$SKIFF" --root "$ROOT" create -b "$BUNDLE" $C1 </dev/null >/dev/null 2>&1 &
  bg=$!
  SKIFF_BG_PIDS+=("$bg")
  for i in $(seq 100); do
    pid=$(jq -r '.pid // 0' "$ROOT/$C1/state.json" 2>/dev/null || echo 0)
    [ "$pid" -gt 0 ] && break
    sleep 0.05
  done
  [ "$pid" -gt 0 ]
  sleep 0.2
  kill -KILL "$bg"
  wait "$bg" || true
  run skiff delete --force $C1
  [ "$status" -eq 0 ]
  [ ! -e "$ROOT/$C1" ]
  # the container's process is gone too
  for i in $(seq 50); do
    [ -d "/proc/$pid" ] || break
    [ "$(awk '{print $3}' /proc/$pid/stat 2>/dev/null)" = Z ] && break
    sleep 0.05
  done
  [ ! -d "/proc/$pid" ] || [ "$(awk '{print $3}' /proc/$pid/stat)" = Z ]
}

@test "lifecycle: a state dir without state.json is removed by delete --force" {
  mkdir -p "$ROOT/$C1"
  run skiff state $C1
  [ "$status" -ne 0 ]
  run skiff delete --force $C1
  [ "$status" -eq 0 ]
  [ ! -e "$ROOT/$C1" ]
}

@test "lifecycle: stale state: a dead process is stopped, a recycled pid is not mistaken" {
  set_args /bin/skiff-test-helper sleep 100
  skiff_detached run -d -b "$BUNDLE" $C1
  pid=$(container_pid $C1)
  kill -KILL "$pid"
  wait_for_status $C1 stopped
  [ "$(container_pid $C1)" = 0 ]
  skiff delete $C1

  skiff_detached run -d -b "$BUNDLE" $C2
  # Point the state at a live process that is not the container (ours),
  # keeping the container's start time: it must not be seen as running.
  jq --argjson p $$ '.pid = $p' "$ROOT/$C2/state.json" >"$ROOT/$C2/x" && mv "$ROOT/$C2/x" "$ROOT/$C2/state.json"
  [ "$(container_status $C2)" = stopped ]
  run skiff kill $C2 KILL
  [ "$status" -ne 0 ]
  kill -0 $$
}

@test "lifecycle: kill accepts signal names and numbers" {
  set_cmd /bin/sh -c 'trap "echo usr1 >>/dev/shm/got" USR1; trap "echo hup >>/dev/shm/got" HUP; while :; do sleep 0.05; done'
  skiff_detached run -d -b "$BUNDLE" $C1
  # got_lines N: until the traps wrote N lines (10 s at most: a loaded
  # machine may take long to run the shell's trap).
  got_lines() {
    for i in $(seq 200); do
      [ "$(skiff exec $C1 cat /dev/shm/got 2>/dev/null | wc -l)" -ge "$1" ] && return 0
      sleep 0.05
    done
    return 1
  }
  # The traps are set once the shell has run its first sleep.
  for i in $(seq 100); do
    skiff ps $C1 2>/dev/null | grep -q sleep && break
    sleep 0.05
  done
  skiff kill $C1 USR1
  got_lines 1
  skiff kill $C1 SIGHUP
  got_lines 2
  run skiff exec $C1 cat /dev/shm/got
  [ "${lines[0]}" = usr1 ]
  [ "${lines[1]}" = hup ]
  run skiff kill $C1 NOTASIGNAL
  [ "$status" -ne 0 ]
  [[ "$output" == *"unknown signal"* ]]
  skiff kill --all $C1 9
  wait_for_status $C1 stopped
}

@test "lifecycle: kill ID 0 succeeds while the process exists, fails once stopped" {
  set_args /bin/skiff-test-helper sleep 100
  skiff_detached create -b "$BUNDLE" $C1
  run skiff kill $C1 0
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ "$(container_status $C1)" = created ]
  skiff start $C1
  run skiff kill $C1 0
  [ "$status" -eq 0 ]
  run skiff kill --all $C1 0
  [ "$status" -eq 0 ]
  # nothing was delivered
  [ "$(container_status $C1)" = running ]
  skiff kill $C1 KILL
  wait_for_status $C1 stopped
  for a in "" --all; do
    run skiff kill $a $C1 0
    [ "$status" -eq 1 ]
    [ "${#lines[@]}" -eq 1 ]
    [[ "$output" == *"container not running"* ]]
  done
  run skiff kill $C1 -1
  [ "$status" -eq 2 ]
  [[ "$output" == *"unknown signal"* ]]
}

@test "lifecycle: kill of a paused container: KILL ends it, other signals wait for resume" {
  set_cmd /bin/sh -c 'trap "exit 42" TERM; while :; do sleep 0.05; done'
  skiff_detached run -d -b "$BUNDLE" $C1
  sleep 0.3 # let the shell install its trap
  run skiff pause $C1
  if [ "$status" -ne 0 ] && [[ "$output" == *"no cgroup"* ]]; then
    skip "no cgroup for the container here"
  fi
  [ "$status" -eq 0 ]
  run skiff kill $C1 TERM
  [ "$status" -eq 0 ]
  sleep 0.5
  [ "$(container_status $C1)" = paused ]
  skiff resume $C1
  wait_for_status $C1 stopped

  skiff delete $C1
  skiff_detached run -d -b "$BUNDLE" $C1
  skiff pause $C1
  run skiff kill $C1 KILL
  [ "$status" -eq 0 ]
  wait_for_status $C1 stopped
  run skiff delete $C1
  [ "$status" -eq 0 ]
}

@test "lifecycle: list --format json and -q" {
  set_args /bin/skiff-test-helper sleep 100
  skiff_detached create -b "$BUNDLE" $C1
  skiff_detached run -d -b "$BUNDLE" $C2
  run skiff list -q
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = $C1 ]
  [ "${lines[1]}" = $C2 ]
  run skiff list --format json
  [ "$status" -eq 0 ]
  [ "$(jq -r '.[0].status' <<<"$output")" = created ]
  [ "$(jq -r '.[1].status' <<<"$output")" = running ]
  [ "$(jq -r '.[1].id' <<<"$output")" = $C2 ]
  [ "$(jq -r '.[1].pid' <<<"$output")" = "$(container_pid $C2)" ]
}

@test "lifecycle: --pid-file is written atomically with the pid" {
  set_args /bin/skiff-test-helper sleep 100
  skiff_detached create -b "$BUNDLE" --pid-file "$BUNDLE/sub.pid" $C1
  [ "$(cat "$BUNDLE/sub.pid")" = "$(container_pid $C1)" ]
  # no newline, no temporary file left behind
  [ "$(wc -l <"$BUNDLE/sub.pid")" -eq 0 ]
  [ -z "$(ls -A "$BUNDLE" | grep -F .tmp)" ]
}

@test "lifecycle: --preserve-fds passes fds 3.. through" {
  set_args /bin/skiff-test-helper fds
  echo hello >"$BUNDLE/f3"
  run skiff run --preserve-fds 2 -b "$BUNDLE" $C1 3<"$BUNDLE/f3" 4<"$BUNDLE/f3" 5<"$BUNDLE/f3"
  [ "$status" -eq 0 ]
  [[ "$output" == *3* ]]
  [[ "$output" == *4* ]]
  ! grep -qw 5 <<<"$output"
  set_cmd /bin/sh -c 'echo $LISTEN_FDS; cat <&3'
  run skiff run --preserve-fds 1 -b "$BUNDLE" $C1 3<"$BUNDLE/f3"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1 ]
  [ "${lines[1]}" = hello ]
}

@test "lifecycle: stdio is passed through untouched" {
  set_cmd /bin/sh -c 'read x; echo "got $x"; echo err >&2'
  run bash -c "echo hi | '$SKIFF' --root '$ROOT' run -b '$BUNDLE' $C1 2>/dev/null"
  [ "$status" -eq 0 ]
  [ "$output" = "got hi" ]
}

@test "lifecycle: ps lists the container's processes" {
  set_args /bin/skiff-test-helper sleep 100
  skiff_detached run -d -b "$BUNDLE" $C1
  run skiff ps --format json $C1
  [ "$status" -eq 0 ]
  [ "$(jq -r '.[0]' <<<"$output")" = "$(container_pid $C1)" ]
  run skiff ps $C1
  [ "$status" -eq 0 ]
  [[ "$output" == *sleep* ]]
}

@test "lifecycle: pause and resume" {
  set_args /bin/skiff-test-helper sleep 100
  skiff_detached run -d -b "$BUNDLE" $C1
  run skiff pause $C1
  if [ "$status" -ne 0 ] && [[ "$output" == *"no cgroup"* ]]; then
    skip "no cgroup for the container here"
  fi
  [ "$status" -eq 0 ]
  [ "$(container_status $C1)" = paused ]
  run skiff delete $C1
  [ "$status" -ne 0 ]
  skiff resume $C1
  [ "$(container_status $C1)" = running ]
}
