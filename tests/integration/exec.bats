#!/usr/bin/env bats
# skiff exec: the new process joins the container (namespaces, cgroup,
# root), gets the command line's overrides and reports its exit status.

load helpers
bats_require_minimum_version 1.5.0

setup() {
  setup_bundle
  C1=ex1-$$-$BATS_TEST_NUMBER
  set_args /bin/skiff-test-helper sleep 100
  skiff run -d -b "$BUNDLE" "$C1" </dev/null >"$BUNDLE/run.out" 2>&1 || { cat "$BUNDLE/run.out"; return 1; }
}
teardown() { teardown_bundle; }

# `ns` output of a host pid, as the payload prints its own.
host_ns() {
  local pid=$1 n
  for n in cgroup ipc mnt net pid uts; do
    echo "$n:$(readlink /proc/$pid/ns/$n)"
  done
}

@test "exec: joins every namespace of the container's pid 1" {
  pid=$(container_pid "$C1")
  run skiff exec "$C1" /bin/skiff-test-helper ns
  [ "$status" -eq 0 ]
  for n in cgroup ipc mnt net pid uts; do
    want=$(readlink /proc/$pid/ns/$n)
    got=$(grep "^$n:" <<<"$output" | cut -d: -f2-)
    [ "$got" = "$want" ]
    # and not ours
    [ "$got" != "$(readlink /proc/self/ns/$n)" ]
  done
}

@test "exec: sees the container's root and pid namespace" {
  run skiff exec "$C1" /bin/sh -c 'cat /proc/1/cmdline | tr "\0" " "; echo; test -x /bin/skiff-test-helper && echo root-ok'
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *"skiff-test-helper sleep 100"* ]]
  [ "${lines[1]}" = root-ok ]
}

@test "exec: joins the container's cgroup" {
  pid=$(container_pid "$C1")
  skiff exec -d --pid-file "$BUNDLE/exec.pid" "$C1" /bin/skiff-test-helper sleep 100 </dev/null >/dev/null 2>&1
  epid=$(cat "$BUNDLE/exec.pid")
  # seen from the host: the exec'd process sits in the container's cgroup
  [ "$(grep '^0::' /proc/$epid/cgroup)" = "$(grep '^0::' /proc/$pid/cgroup)" ]
  [ "$(readlink /proc/$epid/ns/cgroup)" = "$(readlink /proc/$pid/ns/cgroup)" ]
}

@test "exec: returns the process's exit status" {
  run skiff exec "$C1" /bin/skiff-test-helper exit 7
  [ "$status" -eq 7 ]
  run skiff exec "$C1" /bin/sh -c 'kill -9 $$'
  [ "$status" -eq 137 ]
}

@test "exec: --env, --cwd, --user" {
  run skiff exec --env FOO=bar -e BAZ=qux --cwd /dev "$C1" /bin/sh -c 'echo "$FOO $BAZ"; pwd'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "bar qux" ]
  [ "${lines[1]}" = /dev ]
  run skiff exec --user 1000:1001 "$C1" /bin/skiff-test-helper ids
  [ "$status" -eq 0 ]
  [[ "$output" == *"uid=1000"* ]] || [[ "$output" == *1000*1001* ]]
  run skiff exec -u 1000:1001 "$C1" /bin/sh -c 'id -u; id -g'
  [ "${lines[0]}" = 1000 ]
  [ "${lines[1]}" = 1001 ]
  run skiff exec -u 1000:1001 -g 20 --additional-gids 30 "$C1" /bin/sh -c 'id -G'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "1001 20 30" ]
  run skiff exec -g abc "$C1" /bin/true
  [ "$status" -ne 0 ]
  [[ "$output" == *"--additional-gids \`abc\`"* ]]
}

@test "exec: inherits process.env of the container" {
  update_config '.process.env += ["FROMCONFIG=yes"]'
  # the saved config is what counts: the bundle may change after create
  run skiff exec "$C1" /bin/sh -c 'echo ${FROMCONFIG:-no}; echo $PATH'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = no ]
  [ -n "${lines[1]}" ]
}

@test "exec: --process FILE" {
  jq -n '{args: ["/bin/sh", "-c", "echo from-file $X"], env: ["X=1", "PATH=/bin"], cwd: "/", user: {uid: 0, gid: 0}}' >"$BUNDLE/process.json"
  run skiff exec --process "$BUNDLE/process.json" "$C1"
  [ "$status" -eq 0 ]
  [ "$output" = "from-file 1" ]
}

@test "exec: --detach --pid-file" {
  skiff exec --detach --pid-file "$BUNDLE/exec.pid" "$C1" /bin/skiff-test-helper sleep 100 </dev/null >/dev/null 2>&1
  epid=$(cat "$BUNDLE/exec.pid")
  [ "$epid" -gt 1 ]
  grep -q sleep "/proc/$epid/cmdline"
  [ "$(readlink /proc/$epid/ns/pid)" = "$(readlink /proc/$(container_pid "$C1")/ns/pid)" ]
  run skiff ps --format json "$C1"
  [[ "$output" == *"$epid"* ]]
}

@test "exec: missing executable and stopped container" {
  run -127 skiff exec "$C1" nothere
  [[ "$output" == *"executable file not found"* ]]
  skiff kill "$C1" KILL
  wait_for_status "$C1" stopped
  run skiff exec "$C1" /bin/true
  [ "$status" -ne 0 ]
  [[ "$output" == *stopped* ]]
  run skiff exec nothere-$$ /bin/true
  [ "$status" -ne 0 ]
  [[ "$output" == *"does not exist"* ]]
}

@test "exec: --ignore-paused runs in a paused container once it is resumed" {
  run skiff pause "$C1"
  if [ "$status" -ne 0 ] && [[ "$output" == *"no cgroup"* ]]; then
    skip "no cgroup for the container here"
  fi
  [ "$status" -eq 0 ]
  run timeout 10 "$SKIFF" --root "$ROOT" exec "$C1" /bin/true
  [ "$status" -eq 1 ]
  [ "${#lines[@]}" -eq 1 ]
  [[ "$output" == *"container is paused"* ]]

  skiff_bg exec --ignore-paused "$C1" /bin/sh -c 'echo ran; exit 3'
  xpid=$!
  sleep 0.5
  # Born frozen with the container: it has not run, and exec waits for it.
  [ ! -s "$BUNDLE/bg.log" ]
  kill -0 "$xpid"
  # The waiting exec does not hold the container's lock (timeouts: a
  # regression must fail here, not hang).
  [ "$(timeout 10 "$SKIFF" --root "$ROOT" state "$C1" | jq -r .status)" = paused ]
  run timeout 10 "$SKIFF" --root "$ROOT" resume "$C1"
  [ "$status" -eq 0 ]
  for _ in $(seq 200); do kill -0 "$xpid" 2>/dev/null || break; sleep 0.05; done
  if kill -0 "$xpid" 2>/dev/null; then echo "exec still waiting after resume"; false; fi
  rc=0
  wait "$xpid" || rc=$?
  cat "$BUNDLE/bg.log"
  [ "$rc" -eq 3 ]
  [ "$(cat "$BUNDLE/bg.log")" = ran ]
}

@test "exec: --tty gives the process a pty of the container's devpts" {
  require_cmd script
  run script -qec "$SKIFF --root $ROOT exec -t $C1 /bin/skiff-test-helper pty" /dev/null
  [ "$status" -eq 0 ]
  [[ "$output" == *"isatty=1"* ]]
  [[ "$output" == *"ttyname=/dev/pts/"[0-9]* ]]
  # --tty --detach without a console socket has nowhere to send the master
  run skiff exec -t -d "$C1" /bin/true
  [ "$status" -ne 0 ]
  [[ "$output" == *"console-socket"* ]]
}
