#!/usr/bin/env bats
# The container's mount namespace and what may happen in it: a config
# without a mount namespace of its own only chroots and leaves the caller's
# root and mount table exactly as they were (every test of that runs skiff
# in a private mount namespace, or joins one, so a regression cannot reach
# the machine's); procfs and sysfs only on a real directory; no full procfs
# reachable with --no-pivot; createContainer hooks before pivot_root; mount
# points below a read-only mount.

load helpers

setup() {
  setup_bundle
  HOLDER_PID=
}

teardown() {
  [ -n "$HOLDER_PID" ] && kill -KILL "$HOLDER_PID" 2>/dev/null
  [ -n "$HOLDER_PID" ] && wait "$HOLDER_PID" 2>/dev/null
  teardown_bundle
}

# A config that needs nothing mounted: no mount namespace, no mounts,
# masks, read-only root or devices.
no_mount_ns_config() {
  update_config 'del(.linux.namespaces[] | select(.type == "mount"))
                 | .mounts = [] | del(.linux.maskedPaths) | del(.linux.readonlyPaths)
                 | del(.linux.rootfsPropagation) | del(.linux.devices)
                 | .root.readonly = false'
}

# in_private_ns 'SCRIPT': bash runs SCRIPT in a new mount namespace with
# private propagation (the skiff function and the test's variables are
# there).  Whatever skiff does to "its caller's" mounts stays in there.
in_private_ns() {
  unshare -m --propagation private bash -c "$(declare -f skiff snapshot); $1"
}

# What must not change: the mount table (ids, places, options), the root
# and /usr/bin (device and inode), and what / lists.
snapshot() {
  cat /proc/self/mountinfo
  stat -c '%d %i %n' / /usr/bin /usr/bin/env
  ls -A /
}

@test "mountns: without a mount namespace, run chroots and the caller's root and mounts stay" {
  no_mount_ns_config
  set_args /bin/sh -c 'cat /etc/hostname; [ -x /bin/skiff-test-helper ] && echo payload; [ -e /usr/bin/env ] || echo no-host-env'
  local mode
  for mode in "" --no-pivot; do
    run in_private_ns '
      snapshot >"$BUNDLE/before"
      skiff run '"$mode"' -b "$BUNDLE" ct1 || exit
      snapshot >"$BUNDLE/after"
      diff -u "$BUNDLE/before" "$BUNDLE/after" >&2'
    echo "${mode:-pivot}: $output"
    [ "$status" -eq 0 ]
    # The container saw its own rootfs as / ...
    [ "${lines[0]}" = skiff-test ]
    [ "${lines[1]}" = payload ]
    [ "${lines[2]}" = no-host-env ]
    [ "${#lines[@]}" -eq 3 ]
    # ... and the state was removed.
    [ -z "$(ls -A "$ROOT")" ]
  done
}

@test "mountns: without a mount namespace, the container shares it and create/start/delete change nothing" {
  no_mount_ns_config
  set_args /bin/skiff-test-helper true
  run in_private_ns '
    snapshot >"$BUNDLE/before"
    skiff create -b "$BUNDLE" ct1 </dev/null >"$BUNDLE/create.log" 2>&1 || { cat "$BUNDLE/create.log"; exit 1; }
    pid=$(skiff state ct1 | jq -r .pid)
    # the same mount namespace as ours, rooted at the rootfs
    [ "$(readlink /proc/$pid/ns/mnt)" = "$(readlink /proc/self/ns/mnt)" ] || { echo "other mount ns"; exit 1; }
    [ "$(readlink /proc/$pid/root)" = "$(realpath "$BUNDLE/rootfs")" ] || { echo "root $(readlink /proc/$pid/root)"; exit 1; }
    snapshot >"$BUNDLE/created"
    skiff start ct1 || exit
    for i in $(seq 100); do [ "$(skiff state ct1 | jq -r .status)" = stopped ] && break; sleep 0.05; done
    skiff delete ct1 || exit
    snapshot >"$BUNDLE/after"
    diff -u "$BUNDLE/before" "$BUNDLE/created" >&2 || exit
    diff -u "$BUNDLE/before" "$BUNDLE/after" >&2'
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "mountns: without a mount namespace, fields that need mounts are refused before anything is made" {
  local field expr
  no_mount_ns_config
  cp "$BUNDLE/config.json" "$BUNDLE/config.base"
  for field in mounts root.readonly linux.maskedPaths linux.readonlyPaths linux.rootfsPropagation linux.devices; do
    cp "$BUNDLE/config.base" "$BUNDLE/config.json"
    case $field in
      mounts) expr='.mounts = [{"destination": "/proc", "type": "proc", "source": "proc"}]' ;;
      root.readonly) expr='.root.readonly = true' ;;
      linux.maskedPaths) expr='.linux.maskedPaths = ["/proc/kcore"]' ;;
      linux.readonlyPaths) expr='.linux.readonlyPaths = ["/proc/sys"]' ;;
      linux.rootfsPropagation) expr='.linux.rootfsPropagation = "rslave"' ;;
      linux.devices) expr='.linux.devices = [{"path": "/dev/null2", "type": "c", "major": 1, "minor": 3}]' ;;
    esac
    update_config "$expr"
    run in_private_ns '
      snapshot >"$BUNDLE/before"
      if skiff create -b "$BUNDLE" ct1 </dev/null; then exit 99; fi
      snapshot >"$BUNDLE/after"
      diff -u "$BUNDLE/before" "$BUNDLE/after" >&2 || exit 98'
    echo "$field: $output"
    [ "$status" -eq 0 ]
    [[ "$output" == *"$field"*"needs a new mount namespace: linux.namespaces"* ]]
    # nothing was created: no state, no cgroup
    [ -z "$(ls -A "$ROOT")" ]
    [ ! -e /sys/fs/cgroup/unified/"$(awk -F: '$1 == 0 {print $3}' /proc/self/cgroup)"/skiff-ct1 ]
  done
}

@test "mountns: without a mount namespace, a create failing after the chroot changes nothing" {
  no_mount_ns_config
  set_args /no/such/program
  run in_private_ns '
    snapshot >"$BUNDLE/before"
    if skiff create -b "$BUNDLE" ct1 </dev/null; then exit 99; fi
    snapshot >"$BUNDLE/after"
    diff -u "$BUNDLE/before" "$BUNDLE/after" >&2 || exit 98'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"/no/such/program"* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "mountns: a mount namespace joined by path is not changed either" {
  no_mount_ns_config
  unshare -m --propagation private sleep 1000 &
  HOLDER_PID=$!
  # wait until the holder is in its own mount namespace
  for i in $(seq 100); do
    [ "$(readlink /proc/$HOLDER_PID/ns/mnt)" != "$(readlink /proc/self/ns/mnt)" ] && break
    sleep 0.05
  done
  update_config '.linux.namespaces += [{"type": "mount", "path": $p}]' --arg p "/proc/$HOLDER_PID/ns/mnt"
  set_args /bin/sh -c 'cat /etc/hostname'
  cat /proc/$HOLDER_PID/mountinfo >"$BUNDLE/before"
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = skiff-test ]
  cat /proc/$HOLDER_PID/mountinfo >"$BUNDLE/after"
  diff -u "$BUNDLE/before" "$BUNDLE/after"

  # exec joins that namespace and enters the container's root in it
  set_args /bin/sleep 100
  skiff run -d -b "$BUNDLE" ct2 </dev/null >/dev/null 2>&1
  [ "$(readlink /proc/$(container_pid ct2)/ns/mnt)" = "$(readlink /proc/$HOLDER_PID/ns/mnt)" ]
  run skiff exec ct2 /bin/cat /etc/hostname
  [ "$output" = skiff-test ]
  skiff delete -f ct2
  cat /proc/$HOLDER_PID/mountinfo >"$BUNDLE/after"
  diff -u "$BUNDLE/before" "$BUNDLE/after"

  update_config '.linux.maskedPaths = ["/proc/kcore"]'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"linux.maskedPaths needs a new mount namespace"* ]]
  cat /proc/$HOLDER_PID/mountinfo >"$BUNDLE/after"
  diff -u "$BUNDLE/before" "$BUNDLE/after"
}

@test "mountns: createContainer hooks run in the container's namespaces before pivot_root, in the rootfs" {
  update_config '.mounts += [{"destination": "/mnt/t", "type": "tmpfs", "source": "tmpfs"}]
    | .hooks.createContainer = [{"path": "/bin/sh", "args": ["sh", "-c",
        "b=$0; pwd -P >$b/cc.cwd; for n in mnt net; do readlink /proc/self/ns/$n; done >$b/cc.ns; cat $b/config.json >/dev/null && echo bundle >$b/cc.bundle; awk -v m=$b/rootfs/mnt/t \"\\$5 == m\" /proc/self/mountinfo >$b/cc.mnt",
        $b]}]' --arg b "$BUNDLE"
  set_args /bin/sh -c 'readlink /proc/self/ns/mnt; readlink /proc/self/ns/net'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  # the bundle (a host path) was reachable, the cwd was the rootfs
  [ "$(cat "$BUNDLE/cc.bundle")" = bundle ]
  [ "$(cat "$BUNDLE/cc.cwd")" = "$(realpath "$BUNDLE/rootfs")" ]
  # the container's mount and network namespaces, not ours
  [ "$(cat "$BUNDLE/cc.ns")" = "$output" ]
  [ "${lines[0]}" != "$(readlink /proc/self/ns/mnt)" ]
  # the container's mounts were already there, at their place before pivot_root
  [ -n "$(cat "$BUNDLE/cc.mnt")" ]
}

@test "mountns: procfs and sysfs are not mounted on a symlink" {
  local d
  for d in proc sys; do
    rm -rf "$BUNDLE/rootfs/$d" "$BUNDLE/rootfs/elsewhere"
    mkdir -p "$BUNDLE/rootfs/elsewhere"
    ln -s elsewhere "$BUNDLE/rootfs/$d"
    run skiff run -b "$BUNDLE" ct1
    echo "$output"
    [ "$status" -ne 0 ]
    [[ "$output" == *"to /$d: procfs and sysfs are mounted only on a directory: \`/$d\` is a symlink"* ]]
    # nothing was mounted through it, and nothing is left
    [ -z "$(ls -A "$BUNDLE/rootfs/elsewhere")" ]
    [ -z "$(ls -A "$ROOT")" ]
    rm "$BUNDLE/rootfs/$d"
    mkdir "$BUNDLE/rootfs/$d"
  done
  # a symlink further up the path counts too
  mkdir -p "$BUNDLE/rootfs/real/p"
  ln -s real "$BUNDLE/rootfs/link"
  update_config '.mounts += [{"destination": "/link/p", "type": "proc", "source": "proc"}]'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"mount proc to /link/p: procfs and sysfs are mounted only on a directory"* ]]
  # and on an ordinary directory they are mounted
  update_config '.mounts[-1].destination = "/real/p"'
  set_args /bin/sh -c 'cat /real/p/self/comm; ls /sys/kernel >/dev/null && echo sys'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = cat ]
  [ "${lines[1]}" = sys ]
}

# A process with CAP_SYS_ADMIN makes a user and mount namespace of its own
# (where the mounts it inherits are locked) and tries a fresh procfs: the
# kernel allows it only when a fully visible procfs is in its mount
# namespace.  With pivot_root the host's is detached; with --no-pivot it
# must be too.
fresh_proc_script='unshare -m -r -p -f sh -c "mount -t tmpfs none /mnt && echo tmpfs-ok; mount -t proc none /mnt && echo proc-mounted"'

@test "mountns: --no-pivot leaves no full procfs to mount a fresh one from" {
  update_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"]) | del(.linux.seccomp)'
  set_args /bin/sh -c "$fresh_proc_script"
  local mode
  for mode in --no-pivot ""; do
    run skiff run $mode -b "$BUNDLE" ct1
    echo "${mode:-pivot_root}: $output"
    # mounting as such works in there (a tmpfs)...
    [[ "$output" == *tmpfs-ok* ]]
    # ...a procfs does not
    [[ "$output" == *"mount: permission denied"* ]]
    [[ "$output" != *proc-mounted* ]]
  done
}

@test "mountns: mount points below a read-only tmpfs on /dev are made before it becomes read-only" {
  # /dev/pts, /dev/shm and /dev/mqueue come after /dev in the config
  update_config '.mounts |= map(if .destination == "/dev" then .options += ["ro"] else . end)'
  set_args /bin/sh -c 'touch /dev/x 2>&1; [ -c /dev/null ] && echo >/dev/null && echo null-ok; [ -c /dev/pts/ptmx ] && echo pts-ok; cat /proc/self/mountinfo'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *"Read-only file system"* ]]
  [ "${lines[1]}" = null-ok ]
  [ "${lines[2]}" = pts-ok ]
  # /dev read-only, the mounts below it as they were asked for
  [[ "$(echo "$output" | awk '$5 == "/dev"')" == *" ro,"* ]]
  [[ "$(echo "$output" | awk '$5 == "/dev/pts"')" == *" rw,"* ]]
  [[ "$(echo "$output" | awk '$5 == "/dev/shm"')" == *" rw,"* ]]
  [ -n "$(echo "$output" | awk '$5 == "/dev/mqueue"')" ]
}

@test "mountns: exec into a container without a mount namespace of its own enters its root" {
  no_mount_ns_config
  set_args /bin/sleep 100
  run in_private_ns '
    snapshot >"$BUNDLE/before"
    skiff run -d -b "$BUNDLE" ct1 </dev/null >/dev/null 2>&1 || exit
    skiff exec ct1 /bin/sh -c "cat /etc/hostname; [ -e /usr/bin/env ] || echo no-host-env" || exit
    skiff delete -f ct1 || exit
    snapshot >"$BUNDLE/after"
    diff -u "$BUNDLE/before" "$BUNDLE/after" >&2'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = skiff-test ]
  [ "${lines[1]}" = no-host-env ]
}
