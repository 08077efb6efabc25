#!/usr/bin/env bats
# The container's /dev: default devices, linux.devices, the standard
# symlinks, as the container itself sees them.

load helpers

setup() {
  setup_bundle
}

teardown() {
  teardown_bundle
}

sh_args() {
  update_config '.process.args = ["/bin/sh", "-c", $s]' --arg s "$1"
}

@test "devices: default devices with their major, minor and mode" {
  sh_args 'for d in null zero full random urandom tty; do stat -c "%n %F %t:%T %a" /dev/$d; done'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "/dev/null character special file 1:3 666" ]
  [ "${lines[1]}" = "/dev/zero character special file 1:5 666" ]
  [ "${lines[2]}" = "/dev/full character special file 1:7 666" ]
  [ "${lines[3]}" = "/dev/random character special file 1:8 666" ]
  [ "${lines[4]}" = "/dev/urandom character special file 1:9 666" ]
  [ "${lines[5]}" = "/dev/tty character special file 5:0 666" ]
}

@test "devices: the devices work" {
  sh_args 'echo x > /dev/null && head -c 4 /dev/zero | wc -c && head -c 8 /dev/urandom | wc -c'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 4 ]
  [ "${lines[1]}" = 8 ]
}

@test "devices: linux.devices adds devices with mode and owner" {
  update_config '.linux.devices = [
      {type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 384, uid: 1000, gid: 100},
      {type: "b", path: "/dev/myloop", major: 7, minor: 0, fileMode: 432},
      {type: "p", path: "/dev/myfifo", fileMode: 420},
      {type: "u", path: "/dev/sub/unbuf", major: 1, minor: 3}]'
  sh_args 'stat -c "%n %F %t:%T %a %u:%g" /dev/fuse /dev/myloop /dev/myfifo /dev/sub/unbuf'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "/dev/fuse character special file a:e5 600 1000:100" ]
  [ "${lines[1]}" = "/dev/myloop block special file 7:0 660 0:0" ]
  [ "${lines[2]}" = "/dev/myfifo fifo 0:0 644 0:0" ]
  [ "${lines[3]}" = "/dev/sub/unbuf character special file 1:3 666 0:0" ]
}

@test "devices: linux.devices overrides a default device" {
  update_config '.linux.devices = [{type: "c", path: "/dev/null", major: 1, minor: 3, fileMode: 384}]'
  sh_args 'stat -c "%t:%T %a" /dev/null'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [ "$output" = "1:3 600" ]
}

@test "devices: /dev/fd, stdin, stdout, stderr and ptmx links" {
  sh_args 'for l in fd stdin stdout stderr ptmx; do echo "$l $(readlink /dev/$l)"; done; ls /dev/fd/ | grep -qx 0 && echo fd-ok'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "fd /proc/self/fd" ]
  [ "${lines[1]}" = "stdin /proc/self/fd/0" ]
  [ "${lines[2]}" = "stdout /proc/self/fd/1" ]
  [ "${lines[3]}" = "stderr /proc/self/fd/2" ]
  [ "${lines[4]}" = "ptmx pts/ptmx" ]
  [ "${lines[5]}" = fd-ok ]
}

@test "devices: /dev is a tmpfs and devpts a new instance" {
  sh_args 'cat /proc/self/mountinfo'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [[ "$(echo "$output" | awk '$5 == "/dev"')" == *" - tmpfs "* ]]
  pts=$(echo "$output" | awk '$5 == "/dev/pts"')
  [[ "$pts" == *" - devpts "* && "$pts" == *ptmxmode=666* ]]
}

@test "devices: in a user namespace devices are bound from the host" {
  update_config '.linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .mounts |= map(if .destination == "/sys" then {destination: "/sys", type: "none",
        source: "/sys", options: ["rbind","nosuid","noexec","nodev","ro"]} else . end)
    | .mounts |= map(.options |= ((. // []) - ["gid=5"]))'
  sh_args 'stat -c "%t:%T" /dev/null /dev/zero; echo x > /dev/null && echo write-ok'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "1:3" ]
  [ "${lines[1]}" = "1:5" ]
  [ "${lines[2]}" = write-ok ]
}

# /dev/fuse (10:229): opening it needs no capability and does nothing by
# itself, so an EPERM can only come from the device program.
fuse_device() {
  update_config '.linux.devices = [{type: "c", path: "/dev/fuse", major: 10, minor: 229, fileMode: 438}]'
}

@test "devices: a listed device is created but a deny-all rule keeps it closed" {
  [ -c /dev/fuse ] || skip "no /dev/fuse on the host"
  fuse_device
  update_config '.linux.resources.devices = [{allow: false, access: "rwm"}]'
  sh_args 'stat -c "%F %t:%T" /dev/fuse; skiff-test-helper open /dev/fuse; skiff-test-helper open /dev/null'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "character special file a:e5" ]
  [ "${lines[1]}" = "errno=1" ]
  [ "${lines[2]}" = ok ]
}

@test "devices: without device rules a listed device is not allowed either" {
  [ -c /dev/fuse ] || skip "no /dev/fuse on the host"
  fuse_device
  update_config 'del(.linux.resources.devices)'
  set_args /bin/skiff-test-helper open /dev/fuse
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "errno=1" ]
}

@test "devices: an allow rule opens a listed device, with the access it grants" {
  [ -c /dev/fuse ] || skip "no /dev/fuse on the host"
  fuse_device
  update_config '.linux.resources.devices = [{allow: false, access: "rwm"},
      {allow: true, type: "c", major: 10, minor: 229, access: "rw"}]'
  set_args /bin/skiff-test-helper open /dev/fuse
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = ok ]

  update_config '.linux.resources.devices[1].access = "r"'
  sh_args '(: </dev/fuse) && echo read-ok; (: >/dev/fuse) 2>&1'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "${lines[0]}" = read-ok ]
  [[ "${lines[1]}" == *"/dev/fuse"*"Operation not permitted"* ]]
}

@test "devices: update replaces the rules of a listed device" {
  [ -c /dev/fuse ] || skip "no /dev/fuse on the host"
  fuse_device
  update_config '.linux.resources.devices = [{allow: false, access: "rwm"},
      {allow: true, type: "c", major: 10, minor: 229, access: "rw"}]'
  set_args /bin/skiff-test-helper sleep 100
  skiff run -d -b "$BUNDLE" ct1 </dev/null >"$BUNDLE/run.out" 2>&1 || { cat "$BUNDLE/run.out"; return 1; }
  run skiff exec ct1 /bin/skiff-test-helper open /dev/fuse
  [ "$output" = ok ]
  # The new rules alone count: the device being listed allows nothing.
  echo '{"devices": [{"allow": false, "access": "rwm"}]}' | skiff update -r - ct1
  run skiff exec ct1 /bin/skiff-test-helper open /dev/fuse
  echo "$output"
  [ "$output" = "errno=1" ]
}
