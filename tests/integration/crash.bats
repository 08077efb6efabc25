#!/usr/bin/env bats
# Crash safety of create: `kill -9` of `skiff create` at any instant, then
# `delete --force`, must leave no cgroup, mount, state dir or process.
# SKIFF_TEST_CRASH_AT=STEP makes skiff kill itself at a named step of create
# (skiff_crash_point); kills after random delays cover the instants between.

load helpers

setup() {
  setup_bundle
  V2=/sys/fs/cgroup
  [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || V2=/sys/fs/cgroup/unified
  [ "$(stat -f -c %T $V2 2>/dev/null)" = cgroup2fs ] || skip "no cgroup v2 hierarchy"
  OWN=$(sed -n 's/^0:://p' /proc/self/cgroup)
  [ "$OWN" = / ] && OWN=
  # Every id, and so every default cgroup (<own cgroup>/skiff-<id>), starts
  # with TAG; the container's process and the hook carry it in their
  # environment, skiff's own processes in their argv.
  TAG=crash-$$-$BATS_TEST_NUMBER
  update_config '.process.env += ["SKIFF_CRASH_TAG=" + $t]
                 | .hooks.prestart = [{"path": "/bin/sleep", "args": ["sleep", "0.2"],
                                       "env": ["SKIFF_CRASH_TAG=" + $t]}]' --arg t "$TAG"
  set_args /bin/skiff-test-helper sleep 100
}

teardown() {
  teardown_bundle
  [ -n "${ROOT2:-}" ] && rm -rf --one-file-system "$ROOT2"
  local d
  for d in "$V2$OWN"/skiff-"$TAG"-*; do
    [ -d "$d" ] && rmdir "$d" 2>/dev/null
  done
  return 0
}

# One line for each thing left behind by the containers of this test.
leftovers() {
  local d pid line a e
  for d in "$ROOT"/*; do
    [ -e "$d" ] && echo "state dir: $d"
  done
  for d in "$V2$OWN"/skiff-"$TAG"-*; do
    [ -d "$d" ] && echo "cgroup: $d"
  done
  while read -r line; do
    [[ "$line" == *"$BUNDLE"* || "$line" == *"$ROOT"* ]] && echo "mount: $line"
  done </proc/self/mountinfo
  # Builtins only: a grep we start would carry TAG in its own argv.
  for d in /proc/[0-9]*; do
    pid=${d#/proc/}
    a= e=
    mapfile -d '' a 2>/dev/null <"$d/cmdline" || continue
    mapfile -d '' e 2>/dev/null <"$d/environ"
    if [[ " ${a[*]} " == *" $TAG-"* || " ${e[*]} " == *" SKIFF_CRASH_TAG=$TAG "* ]]; then
      echo "process: $pid ${a[*]}"
    fi
  done
}

# Count what LABEL's kill left behind (in TOTAL), say what it was, and
# clear it so that the next kill is judged on its own.
count_leftovers() { # LABEL
  local left line
  left=$(leftovers)
  [ -n "$left" ] || return 0
  echo "after a kill $1:"
  echo "$left"
  while read -r line; do
    TOTAL=$((TOTAL + 1))
    case $line in
      "process: "*) line=${line#process: }; kill -KILL "${line%% *}" 2>/dev/null ;;
    esac
  done <<<"$left"
  while read -r line; do
    case $line in
      "cgroup: "*) for _ in $(seq 50); do rmdir "${line#cgroup: }" 2>/dev/null && break; sleep 0.1; done ;;
      "state dir: "*) rm -rf --one-file-system "${line#state dir: }" ;;
    esac
  done <<<"$left"
}

# kill -9 of create at each named step, then delete --force.
crash_at_each_step() {
  local steps=(state-dir state-written cgroup-intent cgroup-made cgroup-recorded fifo cloned
    pid-recorded config-saved prestart ready pid-file)
  local step id rc
  TOTAL=0
  for step in "${steps[@]}"; do
    id=$TAG-$step
    rc=0
    SKIFF_TEST_CRASH_AT=$step "$SKIFF" --root "$ROOT" create -b "$BUNDLE" \
      --pid-file "$BUNDLE/pid" "$id" </dev/null >"$BUNDLE/create.log" 2>&1 || rc=$?
    if [ "$rc" -ne 137 ]; then
      cat "$BUNDLE/create.log"
      echo "step $step: create exited with $rc, not killed there"
      false
    fi
    "$SKIFF" --root "$ROOT" delete --force "$id" || { echo "step $step: delete --force failed"; false; }
    count_leftovers "at $step"
  done
  echo "${#steps[@]} steps; leftovers: $TOTAL"
  [ "$TOTAL" -eq 0 ]
}

@test "crash: create killed at each step, then delete --force, leaves nothing" {
  crash_at_each_step
}

@test "crash: the same with a user namespace (id maps written by the parent)" {
  update_config '.linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .mounts |= map(if .destination == "/sys" then {destination: "/sys", type: "none",
        source: "/sys", options: ["rbind","nosuid","noexec","nodev","ro"]} else . end)
    | .mounts |= map(.options |= ((. // []) - ["gid=5"]))'
  crash_at_each_step
}

# kill -9 after a random delay: the instants between the named steps.
@test "crash: create killed at random instants, then delete --force, leaves nothing" {
  local i id pid rc killed=0 n=${SKIFF_CRASH_RUNS:-25} t0 t1 ms
  TOTAL=0
  # How long one create takes here: the delays spread over it.
  t0=$(date +%s%N)
  "$SKIFF" --root "$ROOT" create -b "$BUNDLE" "$TAG-probe" </dev/null >/dev/null 2>&1
  t1=$(date +%s%N)
  "$SKIFF" --root "$ROOT" delete --force "$TAG-probe"
  ms=$(((t1 - t0) / 1000000 + 1))
  echo "one create: $ms ms"
  for ((i = 0; i < n; i++)); do
    id=$TAG-r$i
    "$SKIFF" --root "$ROOT" create -b "$BUNDLE" "$id" </dev/null >/dev/null 2>&1 &
    pid=$!
    sleep "$(printf '0.%03d' $((RANDOM % ms % 1000)))"
    kill -KILL "$pid" 2>/dev/null || true
    rc=0
    wait "$pid" 2>/dev/null || rc=$?
    [ "$rc" -eq 137 ] && killed=$((killed + 1))
    "$SKIFF" --root "$ROOT" delete --force "$id" || { echo "run $i: delete --force failed"; false; }
    count_leftovers "in run $i"
  done
  echo "$killed of $n creates killed before they finished; leftovers: $TOTAL"
  [ "$TOTAL" -eq 0 ]
  # The kills must have hit create, not only its end.
  [ "$killed" -gt 0 ]
}

@test "crash: delete --force after a kill before the cgroup was made leaves another container's cgroup alone" {
  # Two state roots, one id: the same default cgroup path.
  local id=$TAG-shared cg pid
  update_config 'del(.hooks)'
  "$SKIFF" --root "$ROOT" run -d -b "$BUNDLE" "$id" </dev/null >"$BUNDLE/run.log" 2>&1 || { cat "$BUNDLE/run.log"; false; }
  pid=$(container_pid "$id")
  cg=$V2$OWN/skiff-$id
  grep -qx "$pid" "$cg/cgroup.procs"
  ROOT2=$(mktemp -d /tmp/skiff-root.XXXXXX)
  run env SKIFF_TEST_CRASH_AT=cgroup-intent "$SKIFF" --root "$ROOT2" create -b "$BUNDLE" "$id"
  [ "$status" -eq 137 ]
  # The killed create recorded the path, not yet as its own.
  jq -e '.skiff.cgroupPending == true' "$ROOT2/$id/state.json" >/dev/null
  run "$SKIFF" --root "$ROOT2" delete --force "$id"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$(ls -A "$ROOT2")" ]
  # The first container and its cgroup are untouched.
  [ "$(container_status "$id")" = running ]
  grep -qx "$pid" "$cg/cgroup.procs"
}
