#!/usr/bin/env bats
# Rootless: an unprivileged user (uid 1000 here, through setpriv) runs a
# bundle made by `skiff spec --rootless`: a user namespace mapping only
# that user, no cgroup (none is delegated to it on this host).

load helpers

RL_UID=1000

setup() {
  require_cmd setpriv
  setup_bundle
  C1=rl1-$$-$BATS_TEST_NUMBER
  chown -R "$RL_UID:$RL_UID" "$BUNDLE" "$ROOT"
  # The user's own default config, with the test payload.
  rm "$BUNDLE/config.json"
  as_user "$SKIFF" spec --rootless --bundle "$BUNDLE"
  update_config '.process.terminal = false'
  chown "$RL_UID:$RL_UID" "$BUNDLE/config.json"
}

teardown() {
  teardown_bundle
}

as_user() {
  setpriv --reuid "$RL_UID" --regid "$RL_UID" --clear-groups --inh-caps=-all \
    env XDG_RUNTIME_DIR="$ROOT" "$@"
}

rl_skiff() {
  as_user "$SKIFF" --root "$ROOT" "$@"
}

@test "rootless: a user runs a spec --rootless bundle as the root of its user namespace" {
  [ "$(jq -c '.linux.uidMappings' "$BUNDLE/config.json")" = "[{\"containerID\":0,\"hostID\":$RL_UID,\"size\":1}]" ]
  set_args /bin/sh -c 'id -u; cat /proc/self/uid_map; echo pid=$$; /bin/skiff-test-helper status CapEff; exit 3'
  run rl_skiff run -b "$BUNDLE" "$C1"
  echo "$output"
  [ "$status" -eq 3 ]
  [[ "$output" == *"warning: rootless: cannot create cgroup"* ]]
  [[ "$output" == *$'\n'0$'\n'* ]]      # id -u
  [[ "$output" == *"0       $RL_UID          1"* ]]
  [[ "$output" == *pid=1* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "rootless: create, start, exec, kill and delete by the user" {
  set_args /bin/skiff-test-helper sleep 100
  rl_skiff create -b "$BUNDLE" "$C1" 2>/dev/null
  [ "$(rl_skiff state "$C1" | jq -r .status)" = created ]
  rl_skiff start "$C1"
  [ "$(rl_skiff state "$C1" | jq -r .status)" = running ]
  local pid
  pid=$(rl_skiff state "$C1" | jq -r .pid)
  [ "$(stat -c %u /proc/$pid)" = "$RL_UID" ]
  run rl_skiff exec "$C1" /bin/sh -c 'id -u; readlink /proc/self/ns/user'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 0 ]
  [ "${lines[1]}" = "$(readlink /proc/$pid/ns/user)" ]
  rl_skiff kill "$C1" KILL
  for _ in $(seq 50); do [ "$(rl_skiff state "$C1" | jq -r .status)" = stopped ] && break; sleep 0.1; done
  [ "$(rl_skiff state "$C1" | jq -r .status)" = stopped ]
  rl_skiff delete "$C1"
  [ ! -d "$ROOT/$C1" ]
}

@test "rootless: the container's root has no more than the user's rights on the host" {
  # A host file only root may read, bound into the container: its root is
  # the user, and the bind mount keeps the host's owner and mode.
  local secret=$BUNDLE/secret
  echo s3cret >"$secret"
  chown 0:0 "$secret"
  chmod 600 "$secret"
  update_config '.mounts += [{destination: "/secret", type: "bind", source: $s, options: ["bind"]}]' \
    --arg s "$secret"
  set_args /bin/sh -c 'cat /secret; echo rc=$?; echo x >/secret; echo wrc=$?'
  run rl_skiff run -b "$BUNDLE" "$C1"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" != *s3cret* ]]
  [[ "$output" == *"rc=1"* ]]
  [[ "$output" == *"wrc=1"* ]]
  [ "$(cat "$secret")" = s3cret ]
}
