#!/usr/bin/env bats
# linux.namespaces: each kind created fresh or joined by path, user
# namespace id mappings, time namespace offsets, hostname.

load helpers

setup() {
  setup_bundle
  C1=ns1-$$-$BATS_TEST_NUMBER
  C2=ns2-$$-$BATS_TEST_NUMBER
  NETNS=
}
teardown() {
  teardown_bundle
  [ -z "$NETNS" ] || ip netns delete "$NETNS" 2>/dev/null || true
}

set_cmd() {
  update_config '.process.args = $a' --argjson a "$(printf '%s\n' "$@" | jq -R . | jq -cs .)"
}

# The value the payload's `ns` printed for namespace $1.
ns_of() {
  grep "^$1:" <<<"$output" | cut -d: -f2-
}

@test "namespaces: every requested kind is new" {
  set_args /bin/skiff-test-helper ns
  run skiff run -b "$BUNDLE" "$C1"
  [ "$status" -eq 0 ]
  for n in cgroup ipc mnt net pid uts; do
    [ -n "$(ns_of $n)" ]
    [ "$(ns_of $n)" != "$(readlink /proc/self/ns/$n)" ]
  done
  # not requested: shared with us
  [ "$(ns_of user)" = "$(readlink /proc/self/ns/user)" ]
}

@test "namespaces: without a network namespace the host's is shared" {
  update_config '.linux.namespaces |= map(select(.type != "network"))'
  set_args /bin/skiff-test-helper ns
  run skiff run -b "$BUNDLE" "$C1"
  [ "$status" -eq 0 ]
  [ "$(ns_of net)" = "$(readlink /proc/self/ns/net)" ]
  [ "$(ns_of ipc)" != "$(readlink /proc/self/ns/ipc)" ]
}

@test "namespaces: the process is pid 1 of its pid namespace" {
  set_cmd /bin/sh -c 'echo $$'
  run skiff run -b "$BUNDLE" "$C1"
  [ "$status" -eq 0 ]
  [ "$output" = 1 ]
}

@test "namespaces: join a network namespace by path (ip netns)" {
  require_cmd ip
  NETNS=skiff-test-$$
  ip netns add "$NETNS"
  update_config '(.linux.namespaces[] | select(.type == "network")) .path = $p' --arg p "/var/run/netns/$NETNS"
  set_args /bin/skiff-test-helper ns
  run skiff run -b "$BUNDLE" "$C1"
  [ "$status" -eq 0 ]
  [ "$(ns_of net)" = "net:[$(stat -L -c %i /var/run/netns/$NETNS)]" ]
  # the others are still new
  [ "$(ns_of uts)" != "$(readlink /proc/self/ns/uts)" ]
}

@test "namespaces: join a sleeping container's net, ipc and uts namespaces" {
  set_args /bin/skiff-test-helper sleep 100
  skiff run -d -b "$BUNDLE" "$C1" </dev/null >/dev/null 2>&1
  pid=$(container_pid "$C1")
  update_config '.linux.namespaces |= map(if .type == "network" or .type == "ipc" or .type == "uts" then .path = ("/proc/" + $p + "/ns/" + (if .type == "network" then "net" else .type end)) else . end)' --arg p "$pid"
  update_config 'del(.hostname)'
  set_args /bin/skiff-test-helper ns
  run skiff run -b "$BUNDLE" "$C2"
  [ "$status" -eq 0 ]
  for n in net ipc uts; do
    [ "$(ns_of $n)" = "$(readlink /proc/$pid/ns/$n)" ]
  done
  [ "$(ns_of pid)" != "$(readlink /proc/$pid/ns/pid)" ]
  [ "$(ns_of mnt)" != "$(readlink /proc/$pid/ns/mnt)" ]
}

@test "namespaces: join a container's pid namespace by path" {
  set_args /bin/skiff-test-helper sleep 100
  skiff run -d -b "$BUNDLE" "$C1" </dev/null >/dev/null 2>&1
  pid=$(container_pid "$C1")
  update_config '(.linux.namespaces[] | select(.type == "pid")) .path = $p' --arg p "/proc/$pid/ns/pid"
  set_cmd /bin/sh -c 'readlink /proc/self/ns/pid; echo $$'
  run skiff run -b "$BUNDLE" "$C2"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$(readlink /proc/$pid/ns/pid)" ]
  [ "${lines[1]}" != 1 ]
}

@test "namespaces: an unknown namespace type or a bad path is an error" {
  update_config '.linux.namespaces += [{"type": "bogus"}]'
  run skiff run -b "$BUNDLE" "$C1"
  [ "$status" -ne 0 ]
  [[ "$output" == *"bogus"* ]]
  setup_bundle
  update_config '(.linux.namespaces[] | select(.type == "network")) .path = "/nonexistent/net"'
  run skiff run -b "$BUNDLE" "$C1"
  [ "$status" -ne 0 ]
  [[ "$output" == *"/nonexistent/net"* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "namespaces: user namespace with id mappings" {
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 200000, "size": 65536}]'
  set_cmd /bin/sh -c 'cat /proc/self/uid_map /proc/self/gid_map; id -u; id -g; readlink /proc/self/ns/user'
  run skiff run -b "$BUNDLE" "$C1"
  [ "$status" -eq 0 ]
  read -r a b c <<<"${lines[0]}"
  [ "$a $b $c" = "0 100000 65536" ]
  read -r a b c <<<"${lines[1]}"
  [ "$a $b $c" = "0 200000 65536" ]
  [ "${lines[2]}" = 0 ]
  [ "${lines[3]}" = 0 ]
  [ "${lines[4]}" != "$(readlink /proc/self/ns/user)" ]
}

@test "namespaces: user namespace: a process user is mapped to its host id" {
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .process.user = {"uid": 1000, "gid": 1000}'
  set_args /bin/skiff-test-helper sleep 100
  skiff run -d -b "$BUNDLE" "$C1" </dev/null >/dev/null 2>&1
  pid=$(container_pid "$C1")
  [ "$(awk '/^Uid:/ {print $2}' /proc/$pid/status)" = 101000 ]
  [ "$(awk '/^Gid:/ {print $2}' /proc/$pid/status)" = 101000 ]
}

@test "namespaces: a pod member joins the infra's user namespace, with a pid namespace of its own" {
  # As podman pods with a user namespace: the new pid namespace must belong
  # to the joined user namespace (or /proc cannot be mounted), so the
  # runtime's child makes it and forks the container's pid 1.
  update_config '.linux.namespaces += [{"type": "user"}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]'
  set_args /bin/skiff-test-helper sleep 100
  skiff run -d -b "$BUNDLE" "$C1" </dev/null >/dev/null 2>&1
  local infra
  infra=$(container_pid "$C1")
  update_config '.linux.namespaces = [.linux.namespaces[] | select(.type != "user")]
    + [{"type": "user", "path": $u}] | del(.linux.uidMappings) | del(.linux.gidMappings)' \
    --arg u "/proc/$infra/ns/user"
  set_cmd /bin/sh -c 'cat /proc/self/uid_map; echo pid=$$; readlink /proc/self/ns/user; exit 7'
  run skiff run -b "$BUNDLE" "$C2"
  echo "$output"
  [ "$status" -eq 7 ]
  read -r a b c <<<"${lines[0]}"
  [ "$a $b $c" = "0 100000 65536" ]
  [ "${lines[1]}" = pid=1 ]
  [ "${lines[2]}" = "$(readlink /proc/$infra/ns/user)" ]
  # Detached: state holds the pid 1, and kill/delete reach it.
  set_args /bin/skiff-test-helper sleep 100
  skiff create -b "$BUNDLE" "$C2"
  local pid
  pid=$(container_pid "$C2")
  [ "$(readlink /proc/$pid/ns/user)" = "$(readlink /proc/$infra/ns/user)" ]
  [ "$(readlink /proc/$pid/ns/pid)" != "$(readlink /proc/$infra/ns/pid)" ]
  grep -q '^NSpid:.*[[:space:]]1$' /proc/$pid/status
  skiff start "$C2"
  run skiff exec "$C2" /bin/sh -c 'readlink /proc/self/ns/pid; readlink /proc/self/ns/user; cat /proc/1/cmdline | tr "\\0" " "'
  echo "exec: $output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$(readlink /proc/$pid/ns/pid)" ]
  [ "${lines[1]}" = "$(readlink /proc/$infra/ns/user)" ]
  [[ "${lines[2]}" == "/bin/skiff-test-helper sleep 100"* ]]
  skiff kill "$C2" KILL
  for _ in $(seq 50); do [ "$(skiff state "$C2" | jq -r .status)" = stopped ] && break; sleep 0.1; done
  [ "$(skiff state "$C2" | jq -r .status)" = stopped ]
  skiff delete "$C2"
}

@test "namespaces: a new user namespace with a joined network namespace still gets its pid 1 a /proc" {
  set_args /bin/skiff-test-helper sleep 100
  skiff run -d -b "$BUNDLE" "$C1" </dev/null >/dev/null 2>&1
  local infra
  infra=$(container_pid "$C1")
  update_config '.linux.namespaces = [.linux.namespaces[] | select(.type != "network")]
      + [{"type": "user"}, {"type": "network", "path": $n}]
    | .linux.uidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]
    | .linux.gidMappings = [{"containerID": 0, "hostID": 100000, "size": 65536}]' \
    --arg n "/proc/$infra/ns/net"
  set_cmd /bin/sh -c 'echo pid=$$; readlink /proc/self/ns/net'
  run skiff run -b "$BUNDLE" "$C2"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = pid=1 ]
  [ "${lines[1]}" = "$(readlink /proc/$infra/ns/net)" ]
}

@test "namespaces: time namespace offsets" {
  update_config '.linux.namespaces += [{"type": "time"}]
    | .linux.timeOffsets = {"boottime": {"secs": 86400}, "monotonic": {"secs": 3600}}'
  set_args /bin/skiff-test-helper cat /proc/uptime
  host=$(cut -d. -f1 /proc/uptime)
  run skiff run -b "$BUNDLE" "$C1"
  [ "$status" -eq 0 ]
  inside=$(cut -d. -f1 <<<"$output")
  diff=$((inside - host))
  [ "$diff" -ge 86399 ] && [ "$diff" -le 86410 ]
}

@test "namespaces: time offsets without a time namespace are refused" {
  update_config '.linux.timeOffsets = {"boottime": {"secs": 10}}'
  run skiff run -b "$BUNDLE" "$C1"
  [ "$status" -ne 0 ]
  [[ "$output" == *"timeOffsets"* ]]
}

@test "namespaces: hostname and domainname in the uts namespace" {
  update_config '.hostname = "skiffbox" | .domainname = "example.org"'
  set_cmd /bin/sh -c 'hostname; cat /proc/sys/kernel/domainname'
  run skiff run -b "$BUNDLE" "$C1"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = skiffbox ]
  [ "${lines[1]}" = example.org ]
  [ "$(hostname)" != skiffbox ]
  update_config '.linux.namespaces |= map(select(.type != "uts"))'
  run skiff run -b "$BUNDLE" "$C1"
  [ "$status" -ne 0 ]
  [[ "$output" == *"uts"* ]]
}
