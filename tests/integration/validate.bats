#!/usr/bin/env bats
# config.json validation: every document of tests/data/validate/configs.txt
# that breaks a rule of the runtime-spec is refused by `skiff create` with
# an error naming its JSON path, before the state dir, the cgroup or any
# mount exists.  Valid configs near those rules still run: mount(8)'s flag
# options on any filesystem, oomScoreAdj with a user namespace.

load helpers

setup() {
  setup_bundle
  CASES=$SKIFF_SRCDIR/tests/data/validate/configs.txt
  V2=/sys/fs/cgroup
  [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || V2=/sys/fs/cgroup/unified
  OWN=$(sed -n 's/^0:://p' /proc/self/cgroup)
  [ "$OWN" = / ] && OWN=
  ID=val-$$-$BATS_TEST_NUMBER
}

teardown() {
  teardown_bundle
}

# The cases of configs.txt of KIND (refused or runtime), as lines
# "MESSAGE<TAB>DOCUMENT".
cases() {
  awk -v kind="$1" '
    /^#/ || /^$/ { next }
    want == "" { split($0, a, ": "); k = a[1]; want = substr($0, length(k) + 3); next }
    { if (k == kind) print want "\t" $0; want = "" }' "$CASES"
}

# Nothing of container $ID exists: no state, no cgroup, no mount under the
# bundle.
nothing_left() {
  [ -z "$(ls -A "$ROOT")" ] || { echo "state left: $(ls -A "$ROOT")"; return 1; }
  [ ! -e "$V2$OWN/skiff-$ID" ] || { echo "cgroup left: $V2$OWN/skiff-$ID"; return 1; }
  ! findmnt -rn -o TARGET | grep -qF "$BUNDLE/" || { echo "mount left under $BUNDLE"; return 1; }
}

# try_create GLOBAL-OPTIONS...: `skiff create` of $BUNDLE as $ID, setting
# $status and $output.  Not `run`: a container created by mistake would
# hold its output pipe open.
try_create() {
  status=0
  "$SKIFF" "$@" create -b "$BUNDLE" "$ID" </dev/null >"$BUNDLE/create.log" 2>&1 || status=$?
  output=$(cat "$BUNDLE/create.log")
}

check_refusals() { # KIND
  local n=0 want doc
  while IFS=$'\t' read -r want doc; do
    printf '%s\n' "$doc" >"$BUNDLE/config.json"
    try_create --root "$ROOT"
    if [ "$status" -eq 0 ] || [[ "$output" != *"$want"* ]]; then
      echo "expected a refusal with: $want"
      echo "got (status $status): $output"
      return 1
    fi
    nothing_left
    # Refused before skiff makes its state dir: a state root that cannot
    # exist does not change the error.
    try_create --root "$BUNDLE/config.json/state"
    [ "$status" -ne 0 ]
    [[ "$output" == *"$want"* ]] || { echo "with an impossible --root: $output"; return 1; }
    n=$((n + 1))
  done < <(cases "$1")
  echo "$n cases"
  [ "$n" -gt 0 ]
}

@test "validate: each rule's invalid document is refused naming the JSON path, nothing left behind" {
  check_refusals refused
}

@test "validate: root.path, process.args, namespace path types are checked before anything is made" {
  check_refusals runtime
}

@test "validate: a namespace path of another type names the field (pid given a net namespace)" {
  update_config '.linux.namespaces |= map(if .type == "pid" then .path = "/proc/self/ns/net" else . end)'
  try_create --root "$ROOT"
  [ "$status" -ne 0 ]
  [[ "$output" == *"config.json: linux.namespaces["*"].path: /proc/self/ns/net is not a pid namespace"* ]]
  nothing_left
}

@test "validate: every mount(8) flag option runs, on tmpfs, proc, mqueue and bind mounts" {
  local opts='["silent","loud","lazytime","nolazytime","iversion","noiversion","nosymfollow",
    "dirsync","sync","async","mand","nomand","strictatime","nodiratime","lazytime","sync",
    "defaults","auto","noauto","nofail","_netdev","nouser","x-systemd.automount","comment=x"]'
  mkdir -p "$BUNDLE/hostsrc"
  update_config '.mounts += [
      {destination: "/mnt/tmpfs", type: "tmpfs", source: "tmpfs", options: ($o + ["size=1m"])},
      {destination: "/mnt/proc", type: "proc", source: "proc", options: $o},
      {destination: "/mnt/mq", type: "mqueue", source: "mqueue", options: $o},
      {destination: "/mnt/bind", type: "bind", source: $s, options: (["bind"] + $o)}]
    | .process.args = ["/bin/cat", "/proc/self/mountinfo"]' \
    --argjson o "$opts" --arg s "$BUNDLE/hostsrc"
  run skiff run -b "$BUNDLE" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  local d line
  for d in /mnt/tmpfs /mnt/proc /mnt/mq /mnt/bind; do
    line=$(echo "$output" | awk -v d="$d" '$5 == d')
    [ -n "$line" ]
    # per-mount flags: on every mount, bind mounts too
    [[ "$line" == *nosymfollow* && "$line" == *nodiratime* ]]
  done
  # superblock flags of a new filesystem: the last of sync/async wins
  line=$(echo "$output" | awk '$5 == "/mnt/tmpfs"')
  [[ "${line#* - }" == *sync* && "${line#* - }" == *dirsync* && "${line#* - }" == *lazytime* ]]
  [[ "$line" == *size=1024k* ]]
}

# CAP_SYS_RESOURCE (in the initial user namespace) lets skiff lower a score.
have_cap_sys_resource() {
  local eff
  eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
  (((0x$eff >> 24) & 1))
}

# run_userns SCORE: run the container in a user namespace of its own with
# process.oomScoreAdj SCORE, printing its score and user namespace.
run_userns() {
  update_config '.linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .process.oomScoreAdj = ($score | tonumber)
    | .process.args = ["/bin/sh", "-c", "cat /proc/self/oom_score_adj; readlink /proc/self/ns/user"]' \
    --arg score "$1"
  chown -R 100000:100000 "$BUNDLE/rootfs"
  run skiff run -b "$BUNDLE" "$ID"
  echo "$output"
}

@test "validate: oomScoreAdj with a user namespace is written from outside it" {
  # Inside its user namespace the container's root may not even write
  # /proc/self/oom_score_adj (EACCES): skiff writes it from outside.
  run_userns 500
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 500 ]
  [ "${lines[1]}" != "$(readlink /proc/self/ns/user)" ]
  nothing_left
}

@test "validate: a negative oomScoreAdj with a user namespace" {
  # Lowering the score needs CAP_SYS_RESOURCE in the initial user
  # namespace, which skiff has there and the container's root never has.
  have_cap_sys_resource || skip "no CAP_SYS_RESOURCE here: a negative score cannot be set"
  run_userns -500
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = -500 ]
}

@test "validate: oomScoreAdj with a user namespace, for the container and for exec" {
  # exec's process sets its own score before it joins the namespaces.
  update_config '.linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .process.oomScoreAdj = 300
    | .process.args = ["/bin/sleep", "100"]'
  chown -R 100000:100000 "$BUNDLE/rootfs"
  # Detached: the container must not hold bats' output pipe open.
  skiff run -d -b "$BUNDLE" "$ID" </dev/null >"$BUNDLE/ct.log" 2>&1 || {
    cat "$BUNDLE/ct.log"
    return 1
  }
  [ "$(cat /proc/$(container_pid "$ID")/oom_score_adj)" = 300 ]
  jq '.process | .oomScoreAdj = 700 | .args = ["/bin/cat", "/proc/self/oom_score_adj"]' \
    "$BUNDLE/config.json" >"$BUNDLE/process.json"
  run skiff exec --process "$BUNDLE/process.json" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = 700 ]
}

@test "validate: oomScoreAdj of a rootless container (raised by its unprivileged user)" {
  require_cmd setpriv
  local uid=1000
  as_user() {
    setpriv --reuid "$uid" --regid "$uid" --clear-groups --inh-caps=-all \
      env XDG_RUNTIME_DIR="$ROOT" "$@"
  }
  chown -R "$uid:$uid" "$BUNDLE" "$ROOT"
  rm "$BUNDLE/config.json"
  as_user "$SKIFF" spec --rootless --bundle "$BUNDLE"
  update_config '.process.terminal = false | .process.oomScoreAdj = 600
    | .process.args = ["/bin/cat", "/proc/self/oom_score_adj"]'
  run as_user "$SKIFF" --root "$ROOT" run -b "$BUNDLE" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = 600 ]
  [ -z "$(ls -A "$ROOT")" ]
}
