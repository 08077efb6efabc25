#!/usr/bin/env bats
# Layers on disk: what unpack writes (modes, owners, xattrs, links, devices,
# sparse files, long names, whiteouts, opaque directories), diff id checks,
# and unpacked bundles run with skiff.

load helpers
load layers

setup() {
  setup_store
}

teardown() {
  teardown_bundles
  teardown_store
}

@test "unpack keeps modes, owners, xattrs, hardlinks, symlinks, devices and fifos" {
  make_image files '{"layers":[{"busybox":true,"entries":[
    {"name":"etc","type":"dir"},
    {"name":"etc/suid","data":"s","mode":2541},
    {"name":"home/u","type":"dir","mode":448,"uid":1234,"gid":5678},
    {"name":"home/u/f","data":"owned","mode":416,"uid":1234,"gid":5678},
    {"name":"home/u/attr","data":"a","xattrs":{"user.skiff":"v1"}},
    {"name":"bin/hard","type":"hardlink","target":"bin/busybox"},
    {"name":"dev","type":"dir"},
    {"name":"dev/null2","type":"char","major":1,"minor":3,"mode":438},
    {"name":"dev/loop9","type":"block","major":7,"minor":9,"mode":432},
    {"name":"run/fifo","type":"fifo","mode":384}]}]}'
  run simg unpack files "$WORK/b"
  echo "$output"
  [ "$status" -eq 0 ]
  r=$WORK/b/rootfs
  [ "$(stat -c '%a %u %g' "$r/etc/suid")" = "4755 0 0" ]
  [ "$(stat -c '%a %u %g' "$r/home/u")" = "700 1234 5678" ]
  [ "$(stat -c '%a %u %g %s' "$r/home/u/f")" = "640 1234 5678 5" ]
  [ "$(python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], "user.skiff").decode())' "$r/home/u/attr")" = v1 ]
  [ "$(stat -c %i "$r/bin/hard")" = "$(stat -c %i "$r/bin/busybox")" ]
  [ "$(readlink "$r/bin/sh")" = busybox ]
  [ "$(stat -c '%F %t %T %a' "$r/dev/null2")" = "character special file 1 3 666" ]
  [ "$(stat -c '%F %t %T %a' "$r/dev/loop9")" = "block special file 7 9 660" ]
  [ "$(stat -c '%F %a' "$r/run/fifo")" = "fifo 600" ]
}

@test "unpack keeps long names (PAX and GNU), sparse files, zstd and uncompressed layers" {
  local long
  require_cmd zstd tar
  long=d/$(printf 'x%.0s' {1..120})/$(printf 'y%.0s' {1..200})
  mkdir -p "$WORK/sparse"
  truncate -s 64M "$WORK/sparse/holes"
  printf end >>"$WORK/sparse/holes"
  tar -C "$WORK/sparse" --sparse --format=gnu -cf "$WORK/sparse.tar" holes
  make_image long '{"layers":[
    {"entries":[{"name":"'"$long"'/pax","data":"pax"}],"format":"pax","compression":"zstd"},
    {"entries":[{"name":"'"$long"'/gnu","data":"gnu"}],"format":"gnu","compression":"none"},
    {"tar":"'"$WORK/sparse.tar"'"}]}'
  run simg unpack long "$WORK/b"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(cat "$WORK/b/rootfs/$long/pax")" = pax ]
  [ "$(cat "$WORK/b/rootfs/$long/gnu")" = gnu ]
  [ "$(stat -c %s "$WORK/b/rootfs/holes")" = $((64 * 1024 * 1024 + 3)) ]
  [ "$(tail -c 3 "$WORK/b/rootfs/holes")" = end ]
  # The holes stay holes: far less than 64 MiB allocated.
  [ "$(stat -c %b "$WORK/b/rootfs/holes")" -lt 1024 ]
}

@test "unpack applies whiteouts and opaque directories of later layers only to lower ones" {
  make_image wh '{"layers":[
    {"entries":[
      {"name":"a/x","data":"lower"},{"name":"a/sub/old","data":"lower"},
      {"name":"gone","data":"lower"},{"name":"tree/deep/f","data":"lower"},
      {"name":"keep/k","data":"lower"},{"name":"keep/stays","data":"lower"}]},
    {"entries":[
      {"name":"a/new","data":"upper"},{"name":"a/sub/w","data":"upper"},
      {"name":"a/.wh..wh..opq","data":""},{"name":"a/after","data":"upper"},
      {"name":".wh.gone","data":""},{"name":".wh.tree","data":""},
      {"name":"keep/.wh.k","data":""}]}]}'
  run simg unpack wh "$WORK/b"
  echo "$output"
  [ "$status" -eq 0 ]
  r=$WORK/b/rootfs
  tree=$(cd "$r/a" && find . | sort | xargs)
  echo "$tree"
  [ "$tree" = ". ./after ./new ./sub ./sub/w" ]
  [ ! -e "$r/gone" ]
  [ ! -e "$r/tree" ]
  [ "$(ls -A "$r/keep")" = stays ]
  # No whiteout file is left in the bundle.
  [ -z "$(find "$r" -name '.wh.*')" ]
}

@test "unpack refuses a layer whose content does not match its diff id, and leaves nothing" {
  make_image bad '{"layers":[{"entries":[{"name":"f","data":"x"}]}],
    "diff_id_override":{"0":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}}'
  run simg unpack bad "$WORK/b"
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"the config says sha256:0000000000000000000000000000000000000000000000000000000000000000"* ]]
  [ ! -e "$WORK/b" ]
}

@test "unpack refuses a directory that is not empty" {
  make_image one '{"layers":[{"entries":[{"name":"f","data":"x"}]}]}'
  mkdir "$WORK/b"
  echo mine >"$WORK/b/mine"
  run simg unpack one "$WORK/b"
  [ "$status" -ne 0 ]
  [[ "$output" == *"is not empty"* ]]
  [ "$(cat "$WORK/b/mine")" = mine ]
  [ ! -e "$WORK/b/rootfs" ]
}

@test "an unpacked bundle runs with skiff: Entrypoint, Cmd, Env, WorkingDir, User by name" {
  require_cmd zstd
  make_image app '{"config":{
      "Entrypoint":["/bin/sh","-c"],
      "Cmd":["echo args=$0; id; pwd; echo FOO=$FOO PATH=$PATH"],
      "Env":["PATH=/bin:/usr/bin","FOO=bar"],
      "WorkingDir":"/srv/app",
      "User":"app",
      "Labels":{"org.example.role":"test"},
      "StopSignal":"SIGINT",
      "ExposedPorts":{"8080/tcp":{}}},
    "layers":[{"busybox":true},
      {"entries":[
        {"name":"etc/passwd","data":"root:x:0:0:root:/root:/bin/sh\napp:x:1001:1002::/home/app:/bin/sh\n"},
        {"name":"etc/group","data":"root:x:0:\napp:x:1002:\nextra:x:3000:other,app\n"}],
       "compression":"zstd"}]}'
  run simg unpack app "$WORK/b"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -d "$WORK/b/rootfs/srv/app" ]
  jq -e '.annotations["org.example.role"] == "test"
         and .annotations["org.opencontainers.image.stopSignal"] == "SIGINT"
         and .annotations["org.opencontainers.image.exposedPorts"] == "8080/tcp"
         and .root.path == "rootfs" and .process.terminal == false' "$WORK/b/config.json"
  run run_bundle "$WORK/b"
  echo "$output"
  [ "$status" -eq 0 ]
  # sh -c SCRIPT: $0 is unset, so sh names itself.
  [ "${lines[0]}" = "args=/bin/sh" ]
  [ "${lines[1]}" = "uid=1001(app) gid=1002(app) groups=1002(app),3000(extra)" ]
  [ "${lines[2]}" = /srv/app ]
  [ "${lines[3]}" = "FOO=bar PATH=/bin:/usr/bin" ]
}

@test "--debug names every runtime command line skiff-image runs; without it, none" {
  make_image app '{"config":{"Cmd":["/bin/sh"]},"layers":[{"busybox":true}]}'
  run simg --debug unpack app "$WORK/b"
  [ "$status" -eq 0 ]
  [[ "$output" == *"skiff-image: debug: runtime: "*"skiff spec --bundle $WORK/b"* ]]
  run simg unpack app "$WORK/c"
  [ "$status" -eq 0 ]
  [[ "$output" != *"debug:"* ]]
}
