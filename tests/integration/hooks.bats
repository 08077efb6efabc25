#!/usr/bin/env bats
# OCI hooks: every stage, in order, with the state on stdin; args, env,
# timeout, failures.

load helpers

setup() {
  setup_bundle
  unique_ids
  # Container-side hooks write into the container's root.
  update_config '.root.readonly = false'
}
teardown() { teardown_bundle; }

# Container ids unique to this run: cgroups are named after the id, and
# other test runs may share this host.
unique_ids() {
  CT1=ct1-$$-$BATS_TEST_NUMBER
  CT2=ct2-$$-$BATS_TEST_NUMBER
}

# Hooks of the runtime namespace and createContainer (which runs before
# pivot_root) append to $BUNDLE/rootfs/hooks.log; startContainer appends
# to /hooks.log, the same file seen from inside the container: one log
# shows the order across all stages.  Each
# hook also keeps the state it read on stdin in <stage>.json.
add_logging_hooks() {
  local log=$BUNDLE/rootfs/hooks.log
  update_config '
    def h(stage; dir): {"path": "/bin/sh",
      "args": ["sh", "-c", "cat > \(dir)/\(stage).json; echo \(stage) $0 $FOO >> \(dir)/hooks.log", "argv1"],
      "env": ["FOO=foo-\(stage)"]};
    .hooks = {
      "prestart": [h("prestart"; $r)],
      "createRuntime": [h("createRuntime"; $r)],
      "createContainer": [h("createContainer"; $r)],
      "startContainer": [h("startContainer"; "")],
      "poststart": [h("poststart"; $r)],
      "poststop": [h("poststop"; $r)]}' --arg r "$BUNDLE/rootfs"
  : >"$log"
}

@test "hooks: every stage runs, in order, with args, env and the state on stdin" {
  add_logging_hooks
  set_args /bin/skiff-test-helper true
  # Not `run`: the created process keeps our stdout until it exits.
  skiff create -b "$BUNDLE" $CT1 >"$BUNDLE/create.log" 2>&1 </dev/null || { cat "$BUNDLE/create.log"; false; }
  skiff start $CT1
  wait_for_status $CT1 stopped
  run skiff delete $CT1
  [ "$status" -eq 0 ]

  run cat "$BUNDLE/rootfs/hooks.log"
  [ "${#lines[@]}" -eq 6 ]
  [ "${lines[0]}" = "prestart argv1 foo-prestart" ]
  [ "${lines[1]}" = "createRuntime argv1 foo-createRuntime" ]
  [ "${lines[2]}" = "createContainer argv1 foo-createContainer" ]
  [ "${lines[3]}" = "startContainer argv1 foo-startContainer" ]
  [ "${lines[4]}" = "poststart argv1 foo-poststart" ]
  [ "${lines[5]}" = "poststop argv1 foo-poststop" ]

  local s
  for s in prestart createRuntime createContainer startContainer poststart poststop; do
    run jq -r '[.ociVersion, .id, .bundle] | join(" ")' "$BUNDLE/rootfs/$s.json"
    [ "$status" -eq 0 ]
    [[ "$output" == ?*" $CT1 $BUNDLE" ]]
  done
  for s in prestart createRuntime createContainer startContainer poststart; do
    run jq -r '.pid' "$BUNDLE/rootfs/$s.json"
    [ "$output" -gt 0 ]
  done
  # The status each stage sees (skiff(1), HOOKS).
  local want=(prestart:creating createRuntime:creating createContainer:creating
    startContainer:created poststart:running poststop:stopped)
  for s in "${want[@]}"; do
    run jq -r .status "$BUNDLE/rootfs/${s%%:*}.json"
    echo "${s%%:*}: $output"
    [ "$output" = "${s#*:}" ]
  done
}

# Three hooks for STAGE, the middle one failing; each appends to $BUNDLE/STAGE.log.
three_hooks_middle_fails() { # STAGE
  update_config '.hooks[$s] = [
      {"path": "/bin/sh", "args": ["sh", "-c", "echo one >> \($b)/\($s).log"]},
      {"path": "/bin/sh", "args": ["sh", "-c", "echo two >> \($b)/\($s).log; echo why-\($s) >&2; exit 4"]},
      {"path": "/bin/sh", "args": ["sh", "-c", "echo three >> \($b)/\($s).log"]}]' \
    --arg s "$1" --arg b "$BUNDLE"
}

@test "hooks: a failing poststart hook warns, the next ones run and the container runs" {
  three_hooks_middle_fails poststart
  set_args /bin/skiff-test-helper sleep 100
  skiff create -b "$BUNDLE" $CT1 >"$BUNDLE/create.log" 2>&1 </dev/null || { cat "$BUNDLE/create.log"; false; }
  run skiff start $CT1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *'poststart hook #1 `/bin/sh`: exit status 4: why-poststart'* ]]
  [ "$(cat "$BUNDLE/poststart.log" | tr '\n' ' ')" = "one two three " ]
  [ "$(container_status $CT1)" = running ]

  # `run` too: the process runs to its end and its status is kept.
  rm "$BUNDLE/poststart.log"
  set_args /bin/sh -c 'exit 5'
  run skiff run -b "$BUNDLE" $CT2
  echo "$output"
  [ "$status" -eq 5 ]
  [[ "$output" == *"why-poststart"* ]]
  [ "$(cat "$BUNDLE/poststart.log" | tr '\n' ' ')" = "one two three " ]
}

@test "hooks: a failing poststop hook warns, the next ones run and delete succeeds" {
  three_hooks_middle_fails poststop
  set_args /bin/skiff-test-helper sleep 100
  skiff create -b "$BUNDLE" $CT1 >"$BUNDLE/create.log" 2>&1 </dev/null || { cat "$BUNDLE/create.log"; false; }
  skiff start $CT1
  run skiff delete --force $CT1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *'poststop hook #1 `/bin/sh`: exit status 4: why-poststop'* ]]
  [ "$(cat "$BUNDLE/poststop.log" | tr '\n' ' ')" = "one two three " ]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "hooks: a hook that does not read a large state still succeeds" {
  head -c 300000 /dev/zero | tr '\0' x >"$BUNDLE/big"
  update_config '.annotations.big = $b
                 | .hooks.prestart = [{"path": "/bin/true"}, {"path": "/bin/sh", "args": ["sh", "-c", "exit 0"]}]' \
    --rawfile b "$BUNDLE/big"
  run skiff run -b "$BUNDLE" $CT1
  echo "$output"
  [ "$status" -eq 0 ]
}

@test "hooks: a failing prestart hook fails create, quotes its stderr and leaves nothing behind" {
  update_config '.hooks.prestart = [
      {"path": "/bin/true"},
      {"path": "/bin/sh", "args": ["sh", "-c", "echo some-output; echo the-reason >&2; exit 3"]}]'
  run skiff create -b "$BUNDLE" $CT1
  [ "$status" -ne 0 ]
  [[ "$output" == *'prestart hook #1 `/bin/sh`: exit status 3'* ]]
  [[ "$output" == *"the-reason"* ]]
  [ -z "$(ls -A "$ROOT")" ]
  run skiff state $CT1
  [ "$status" -ne 0 ]
}

@test "hooks: a hook over its timeout is killed and fails create" {
  local t0 t1
  # sleep's odd argument lets us look for leftovers afterwards.
  update_config '.hooks.createRuntime = [{"path": "/bin/sh",
      "args": ["sh", "-c", "sleep 77.123 & sleep 77.123"], "timeout": 1}]'
  t0=$(date +%s)
  run skiff create -b "$BUNDLE" $CT1
  t1=$(date +%s)
  [ "$status" -ne 0 ]
  [[ "$output" == *'createRuntime hook #0 `/bin/sh`: timed out after 1 s'* ]]
  echo "took $((t1 - t0)) s: $output"
  [ $((t1 - t0)) -lt 10 ]
  [ -z "$(ls -A "$ROOT")" ]
  # The hook and what it started are gone.
  ! pgrep -f "sleep 77.123"
}

@test "hooks: a hook that cannot be executed is an error naming it" {
  update_config '.hooks.prestart = [{"path": "/no/such/hook"}]'
  run skiff create -b "$BUNDLE" $CT1
  [ "$status" -ne 0 ]
  [[ "$output" == *'prestart hook #0 `/no/such/hook`'* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "hooks: a hook killed by a signal is reported" {
  update_config '.hooks.prestart = [{"path": "/bin/sh", "args": ["sh", "-c", "kill -9 $$"]}]'
  run skiff create -b "$BUNDLE" $CT1
  [ "$status" -ne 0 ]
  [[ "$output" == *"prestart hook #0"*"signal 9"* ]]
}

@test "hooks: poststop runs on delete, also with --force" {
  update_config '.hooks.poststop = [{"path": "/bin/sh",
      "args": ["sh", "-c", "cat > \($r)/poststop.json"]}]' --arg r "$BUNDLE"
  set_args /bin/skiff-test-helper sleep 100
  skiff create -b "$BUNDLE" $CT1 >"$BUNDLE/create.log" 2>&1 </dev/null || { cat "$BUNDLE/create.log"; false; }
  skiff start $CT1
  [ ! -e "$BUNDLE/poststop.json" ]
  run skiff delete --force $CT1
  [ "$status" -eq 0 ]
  [ "$(jq -r .id "$BUNDLE/poststop.json")" = $CT1 ]
}

@test "hooks: a non-positive timeout is an error" {
  update_config '.hooks.prestart = [{"path": "/bin/true", "timeout": 0}]'
  run skiff create -b "$BUNDLE" $CT1
  [ "$status" -ne 0 ]
  [[ "$output" == *"timeout"* ]]
  [ -z "$(ls -A "$ROOT")" ]
}
