#!/usr/bin/env bats
# The command frame: version, help, usage errors, option forms, spec,
# features, json logs.

load helpers

setup() {
  setup_bundle
}

teardown() {
  teardown_bundle
}

@test "--version prints name, commit and spec version, one per line" {
  run "$SKIFF" --version
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[0]}" =~ ^skiff\ version\ [0-9]+\.[0-9]+\.[0-9]+ ]]
  [[ "${lines[1]}" =~ ^commit:\ [0-9a-z]+ ]]
  [ "${lines[2]}" = "spec: 1.2.0" ]

  run "$SKIFF" -v
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "skiff version "* ]]
}

@test "help and --help list every command" {
  for h in help --help -h; do
    run "$SKIFF" $h
    [ "$status" -eq 0 ]
    [[ "${lines[0]}" == "Usage: skiff "* ]]
    for c in create start run state list kill delete ps exec pause resume update events spec features; do
      [[ "$output" == *"  $c "* ]] || { echo "help does not list $c"; false; }
    done
  done
}

@test "COMMAND --help prints the command's usage and succeeds" {
  for c in create start run state list kill delete ps exec pause resume update events spec features; do
    run "$SKIFF" $c --help
    [ "$status" -eq 0 ] || { echo "$c --help: status $status: $output"; false; }
    [[ "$output" == *"Usage: skiff $c"* ]] || { echo "$c --help: $output"; false; }
  done
}

@test "an unknown command is a usage error" {
  run "$SKIFF" frobnicate
  [ "$status" -eq 2 ]
  [[ "$output" == *"frobnicate"* ]]
}

@test "an unknown global option is a usage error" {
  run "$SKIFF" --frobnicate list
  [ "$status" -eq 2 ]
  [[ "$output" == *"--frobnicate"* ]]
}

@test "an unknown command option is a usage error naming the command" {
  run skiff state --frobnicate ct1
  [ "$status" -eq 2 ]
  [[ "$output" == *"--frobnicate"* ]]
  [[ "$output" == *"state"* ]]
}

@test "a missing or extra argument is a usage error" {
  run skiff state
  [ "$status" -eq 2 ]
  run skiff start a b
  [ "$status" -eq 2 ]
}

@test "no command prints the usage and fails" {
  run "$SKIFF"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Usage: skiff"* ]]
}

@test "options take --opt=value and --opt value forms" {
  mkdir "$BUNDLE/a" "$BUNDLE/b" "$BUNDLE/c"
  run "$SKIFF" spec --bundle="$BUNDLE/a"
  [ "$status" -eq 0 ]
  run "$SKIFF" spec --bundle "$BUNDLE/b"
  [ "$status" -eq 0 ]
  run "$SKIFF" spec -b "$BUNDLE/c"
  [ "$status" -eq 0 ]
  cmp "$BUNDLE/a/config.json" "$BUNDLE/b/config.json"
  cmp "$BUNDLE/a/config.json" "$BUNDLE/c/config.json"

  # Global options, both forms.
  run "$SKIFF" --root="$ROOT" list
  [ "$status" -eq 0 ]
  run "$SKIFF" --root "$ROOT" --log="$BUNDLE/l1" --log-format=json state nope
  [ "$status" -ne 0 ]
  [ -s "$BUNDLE/l1" ]
  run "$SKIFF" --root "$ROOT" --log "$BUNDLE/l2" --log-format json state nope
  [ "$status" -ne 0 ]
  [ -s "$BUNDLE/l2" ]
}

@test "an option missing its value is a usage error" {
  run "$SKIFF" --root
  [ "$status" -eq 2 ]
  run "$SKIFF" spec --bundle
  [ "$status" -eq 2 ]
}

@test "spec writes a valid config.json" {
  mkdir "$BUNDLE/new"
  run "$SKIFF" spec --bundle "$BUNDLE/new"
  [ "$status" -eq 0 ]
  run jq -r '.ociVersion' "$BUNDLE/new/config.json"
  [ "$status" -eq 0 ]
  [ "$output" = "1.2.0" ]
  run jq -r '.root.path, (.linux.namespaces | map(.type) | sort | join(","))' "$BUNDLE/new/config.json"
  [ "${lines[0]}" = "rootfs" ]
  [[ "${lines[1]}" == *mount* ]]
  [[ "${lines[1]}" == *pid* ]]
}

@test "spec in the current directory by default" {
  mkdir "$BUNDLE/cwd"
  cd "$BUNDLE/cwd"
  run "$SKIFF" spec
  [ "$status" -eq 0 ]
  [ -s "$BUNDLE/cwd/config.json" ]
}

@test "spec --rootless maps the current user" {
  mkdir "$BUNDLE/rl"
  run "$SKIFF" spec --rootless --bundle "$BUNDLE/rl"
  [ "$status" -eq 0 ]
  run jq -r '[.linux.namespaces[].type] | index("user") != null' "$BUNDLE/rl/config.json"
  [ "$output" = "true" ]
  run jq -r '.linux.uidMappings[0].hostID' "$BUNDLE/rl/config.json"
  [ "$output" = "$(id -u)" ]
}

@test "spec refuses to overwrite an existing config.json" {
  mkdir "$BUNDLE/ow"
  echo '{"keep": "me"}' >"$BUNDLE/ow/config.json"
  run "$SKIFF" spec --bundle "$BUNDLE/ow"
  [ "$status" -ne 0 ]
  [[ "$output" == *"config.json"* ]]
  [ "$(jq -r .keep "$BUNDLE/ow/config.json")" = "me" ]
}

@test "the config written by spec runs" {
  mkdir "$BUNDLE/sb"
  mv "$BUNDLE/rootfs" "$BUNDLE/sb/rootfs"
  run "$SKIFF" spec --bundle "$BUNDLE/sb"
  [ "$status" -eq 0 ]
  # Only what a non-interactive caller must change: the command and no tty.
  jq '.process.args = ["/bin/skiff-test-helper", "echo", "hello from spec"] | .process.terminal = false' \
    "$BUNDLE/sb/config.json" >"$BUNDLE/sb/c.json"
  mv "$BUNDLE/sb/c.json" "$BUNDLE/sb/config.json"
  run skiff run --bundle "$BUNDLE/sb" spec-ct
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "hello from spec" ]
}

@test "features prints valid JSON with the OCI version range" {
  run "$SKIFF" features
  [ "$status" -eq 0 ]
  echo "$output" | jq -e . >/dev/null
  [ "$(echo "$output" | jq -r .ociVersionMin)" = "1.0.0" ]
  [ "$(echo "$output" | jq -r .ociVersionMax)" = "1.2.0" ]
  # Callers look these up to decide what to pass.
  echo "$output" | jq -e '.hooks | length > 0' >/dev/null
  # mountOptions is optional in the features document; when listed, it is complete.
  echo "$output" | jq -e '.mountOptions == null or (.mountOptions | index("rbind") != null)' >/dev/null
  echo "$output" | jq -e '.linux.namespaces | index("user") != null' >/dev/null
}

@test "--log-format json writes one JSON object per line with level, msg, time" {
  run skiff --log "$BUNDLE/log.json" --log-format json state no-such-ct
  [ "$status" -ne 0 ]
  # The user still sees the error on stderr.
  [[ "$output" == *"no-such-ct"* ]]
  [ -s "$BUNDLE/log.json" ]
  while IFS= read -r line; do
    echo "$line" | jq -e 'type == "object" and has("level") and has("msg") and has("time")' >/dev/null ||
      { echo "bad log line: $line"; false; }
  done <"$BUNDLE/log.json"
  last=$(tail -n 1 "$BUNDLE/log.json")
  [ "$(echo "$last" | jq -r .level)" = "error" ]
  [[ "$(echo "$last" | jq -r .msg)" == *"no-such-ct"* ]]
  # RFC 3339 time.
  [[ "$(echo "$last" | jq -r .time)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2} ]]
}

@test "--log appends and keeps earlier lines" {
  skiff --log "$BUNDLE/log.json" --log-format json state first-ct || true
  skiff --log "$BUNDLE/log.json" --log-format json state second-ct || true
  grep -q first-ct "$BUNDLE/log.json"
  grep -q second-ct "$BUNDLE/log.json"
}

@test "--log-format rejects an unknown format" {
  run skiff --log-format yaml list
  [ "$status" -eq 2 ]
  [[ "$output" == *"yaml"* ]]
}

@test "state of an unknown container fails naming it" {
  run skiff state no-such-ct
  [ "$status" -ne 0 ]
  [[ "$output" == *"no-such-ct"* ]]
}

@test "list on an empty root succeeds" {
  run skiff list
  [ "$status" -eq 0 ]
  run skiff list --format json
  [ "$status" -eq 0 ]
  echo "$output" | jq -e 'type == "array" or . == null' >/dev/null
}

# refused WANT CMD [ARGS...]: the command fails with exit 1 and one line
# on stderr naming the command and containing WANT.  A timeout, so that a
# command blocking on the container's lock fails instead of hanging.
refused() {
  local want=$1 cmd=$2
  shift
  run --separate-stderr timeout 10 "$SKIFF" --root "$ROOT" "$@"
  echo "$cmd: status $status, stdout [$output], stderr [$stderr]"
  [ "$status" -eq 1 ]
  [ -z "$output" ]
  [ "${#stderr_lines[@]}" -eq 1 ]
  [[ "$stderr" == "skiff: $cmd"* ]]
  [[ "$stderr" == *"$want"* ]]
}

@test "wrong state transitions: one line naming the command and the state, exit 1" {
  bats_require_minimum_version 1.5.0
  set_args /bin/skiff-test-helper sleep 100
  skiff create -b "$BUNDLE" ct1 </dev/null >/dev/null 2>&1
  refused "created, not running" pause ct1
  refused "created, not paused" resume ct1
  refused "already exists" create -b "$BUNDLE" ct1
  refused "already exists" run -d -b "$BUNDLE" ct1
  [ "$(container_status ct1)" = created ]

  skiff start ct1
  refused "running, not created" start ct1
  refused "running, not paused" resume ct1
  refused "running: stop it first or use --force" delete ct1
  [ "$(container_status ct1)" = running ]

  skiff pause ct1
  refused "paused, not created" start ct1
  refused "paused, not running" pause ct1
  refused "paused: stop it first or use --force" delete ct1
  refused "container is paused" exec ct1 /bin/true
  [ "$(container_status ct1)" = paused ]
  skiff resume ct1

  skiff kill ct1 KILL
  wait_for_status ct1 stopped
  refused "stopped, not created" start ct1
  refused "stopped, not running" pause ct1
  refused "stopped, not paused" resume ct1
  refused "container not running" kill ct1
  refused "container not running" kill ct1 0
  refused "container is stopped" exec ct1 /bin/true
  refused "container is stopped" exec --ignore-paused ct1 /bin/true
  refused "is stopped" update --pids-limit 10 ct1
  refused "is stopped" events --stats ct1
  run skiff delete ct1
  [ "$status" -eq 0 ]
  for c in start pause resume kill delete state; do
    refused "does not exist" "$c" ct1
  done
}

@test "bad arguments of kill, run and exec are usage errors (exit 2, one line)" {
  bats_require_minimum_version 1.5.0
  local args
  for args in "kill ct1 FOO" "kill ct1 65" "kill ct1 0x1" "kill ct1 RTMIN+99" "kill ct1 0 extra" \
              "kill" "run --keep" "exec --ignore-paused" "exec --ignore-paused ct1" \
              "create --keep ct1" "exec --ignore-paused=yes ct1 /bin/true"; do
    # shellcheck disable=SC2086 # split the words on purpose
    run --separate-stderr skiff $args
    echo "skiff $args: status $status, stderr [$stderr]"
    [ "$status" -eq 2 ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "$stderr" == "skiff: ${args%% *}: "*"(see \`skiff ${args%% *} --help\`)" ]]
  done
  [ -z "$(ls -A "$ROOT")" ]
}
