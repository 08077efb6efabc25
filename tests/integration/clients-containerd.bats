#!/usr/bin/env bats
# containerd 1.6's runc shim (io.containerd.runc.v2) driving skiff as its
# runc binary: run, run -d, task exec/ps/pause/resume/kill/rm, container rm.
#
# A private containerd (its own config, root, state and socket under a temp
# dir, no CRI plugin) runs in a private mount namespace whose
# /sys/fs/cgroup is the cgroup2 hierarchy alone, so neither containerd nor
# its shims touch this hybrid host's cgroup v1 hierarchies (a cgroup2-only
# host, such as the VM of tests/vm/check-criu.sh, has it there already).  The image is
# an OCI archive built here from the test rootfs (no registry); containers
# get a network namespace with loopback only.

load helpers

IMAGE=localhost/skiff-test:latest

_ensure_containerd() {
  command -v containerd >/dev/null && command -v ctr >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends \
      containerd >/dev/null 2>&1 || true
  fi
  command -v containerd >/dev/null && command -v ctr >/dev/null
}

# make_oci_archive ROOTFS OUT NAME: a one-layer OCI image archive that
# `ctr images import` accepts, named NAME.
make_oci_archive() {
  local rootfs=$1 out=$2 name=$3 d ldig lsize cdig csize mdig msize
  d=$(mktemp -d "$CD/oci.XXXXXX")
  mkdir -p "$d/blobs/sha256"
  tar -C "$rootfs" --numeric-owner -cf "$d/layer.tar" .
  ldig=$(sha256sum "$d/layer.tar" | cut -d' ' -f1)
  lsize=$(stat -c %s "$d/layer.tar")
  mv "$d/layer.tar" "$d/blobs/sha256/$ldig"
  jq -cn --arg diff "sha256:$ldig" '{architecture: "amd64", os: "linux",
      config: {Cmd: ["/bin/sh"], Env: ["PATH=/usr/sbin:/usr/bin:/sbin:/bin"]},
      rootfs: {type: "layers", diff_ids: [$diff]}}' >"$d/config"
  cdig=$(sha256sum "$d/config" | cut -d' ' -f1)
  csize=$(stat -c %s "$d/config")
  mv "$d/config" "$d/blobs/sha256/$cdig"
  jq -cn --arg c "sha256:$cdig" --argjson cs "$csize" --arg l "sha256:$ldig" --argjson ls "$lsize" \
    '{schemaVersion: 2, mediaType: "application/vnd.oci.image.manifest.v1+json",
      config: {mediaType: "application/vnd.oci.image.config.v1+json", digest: $c, size: $cs},
      layers: [{mediaType: "application/vnd.oci.image.layer.v1.tar", digest: $l, size: $ls}]}' \
    >"$d/manifest"
  mdig=$(sha256sum "$d/manifest" | cut -d' ' -f1)
  msize=$(stat -c %s "$d/manifest")
  mv "$d/manifest" "$d/blobs/sha256/$mdig"
  jq -cn --arg m "sha256:$mdig" --argjson ms "$msize" --arg n "$name" \
    '{schemaVersion: 2, manifests: [{mediaType: "application/vnd.oci.image.manifest.v1+json",
      digest: $m, size: $ms, platform: {architecture: "amd64", os: "linux"},
      annotations: {"io.containerd.image.name": $n}}]}' >"$d/index.json"
  echo '{"imageLayoutVersion": "1.0.0"}' >"$d/oci-layout"
  tar -C "$d" -cf "$out" oci-layout index.json blobs
  rm -rf "$d"
}

setup_file() {
  client_cgroups_snapshot default
  [ "$(uname -m)" = x86_64 ] || skip "the test image is built for amd64"
  _ensure_containerd || skip "containerd is not installed (apt-get install -y containerd)"

  CD=$(mktemp -d /tmp/skiff-containerd.XXXXXX)
  export CD
  cat >"$CD/config.toml" <<EOF
version = 2
root = "$CD/root"
state = "$CD/state"
disabled_plugins = ["io.containerd.grpc.v1.cri", "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.snapshotter.v1.aufs"]
[grpc]
  address = "$CD/containerd.sock"
[ttrpc]
  address = "$CD/containerd.sock.ttrpc"
[debug]
  address = "$CD/debug.sock"
[metrics]
  address = ""
EOF
  unshare -m --propagation private sh -c \
    '{ [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || mount -t cgroup2 none /sys/fs/cgroup; } &&
     exec containerd --config "$0"' "$CD/config.toml" \
    </dev/null >"$CD/containerd.log" 2>&1 3>&- &
  CD_PID=$!
  export CD_PID
  local i
  for ((i = 0; i < 100; i++)); do
    ctrc version >/dev/null 2>&1 && break
    kill -0 "$CD_PID" 2>/dev/null || break
    sleep 0.1
  done
  ctrc version >/dev/null 2>&1 || {
    cat "$CD/containerd.log" >&2
    false
  }

  _skiff_build_template "$CD/template"
  make_oci_archive "$CD/template/rootfs" "$CD/image.tar" "$IMAGE"
  ctrc images import "$CD/image.tar" >/dev/null
}

teardown_file() {
  [ -n "${CD:-}" ] || return 0
  _ctr_cleanup
  if [ -n "${CD_PID:-}" ]; then
    kill -TERM "$CD_PID" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
      kill -0 "$CD_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$CD_PID" 2>/dev/null || true
  fi
  # Shims of our containerd (they outlive it): found by our socket path.
  local f p
  for f in /proc/[0-9]*/cmdline; do
    p=${f#/proc/}
    p=${p%/cmdline}
    [[ "$(tr '\0' ' ' <"$f" 2>/dev/null)" == *"containerd-shim-runc-v2 "*"-address $CD/containerd.sock"* ]] &&
      kill -KILL "$p" 2>/dev/null
  done
  rm -rf --one-file-system "$CD"
  remove_client_cgroups default
}

setup() {
  [ -n "${CD:-}" ] || skip "containerd setup failed"
}

teardown() {
  _ctr_cleanup
}

# Remove every task and container of our containerd.
_ctr_cleanup() {
  local c
  for c in $(ctrc containers ls -q 2>/dev/null); do
    ctrc tasks kill -s SIGKILL "$c" >/dev/null 2>&1 || true
    ctrc tasks rm -f "$c" >/dev/null 2>&1 || true
    ctrc containers rm "$c" >/dev/null 2>&1 || true
  done
}

ctrc() {
  ctr -a "$CD/containerd.sock" "$@"
}

# ctr run with skiff as the runc binary (state under $CD).
ctr_run() {
  ctrc run --runc-binary "$SKIFF" --runc-root "$CD/runc" "$@"
}

# wait_task ID STATUS: wait (5s) for `ctr task ls` to show STATUS.
wait_task() {
  local i s
  for ((i = 0; i < 50; i++)); do
    s=$(ctrc tasks ls 2>/dev/null | awk -v id="$1" '$1 == id { print $3 }')
    [ "$s" = "$2" ] && return 0
    sleep 0.1
  done
  echo "task $1: status '$s', expected '$2'" >&2
  return 1
}

@test "containerd: run --rm prints the container's output" {
  run ctr_run --rm "$IMAGE" skiff-cd1 /bin/skiff-test-helper echo hello from containerd
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "hello from containerd" ]
}

@test "containerd: the container's exit status is ctr's" {
  run ctr_run --rm "$IMAGE" skiff-cd2 /bin/skiff-test-helper exit 5
  [ "$status" -eq 5 ]
}

@test "containerd: the shim passes skiff's error through" {
  run ctr_run --rm "$IMAGE" skiff-cd3 /no/such/binary
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"/no/such/binary"* ]]
}

@test "containerd: the process sees the image's environment and only loopback" {
  run ctr_run --rm --env FOO=bar "$IMAGE" skiff-cd4 \
    /bin/sh -c '/bin/skiff-test-helper env; cat /proc/net/dev'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"FOO=bar"* ]]
  [[ "$output" == *"PATH=/usr/sbin:/usr/bin:/sbin:/bin"* ]]
  [[ "$output" == *"lo:"* ]]
  [[ "$output" != *"eth0"* ]]
}

@test "containerd: run -d, task exec, ps, pause, resume, kill, rm" {
  run ctr_run -d "$IMAGE" skiff-cd5 /bin/skiff-test-helper sleep 1000
  echo "$output"
  [ "$status" -eq 0 ]
  wait_task skiff-cd5 RUNNING

  # The pid containerd reports is the container's process on the host.
  pid=$(ctrc tasks ls | awk '$1 == "skiff-cd5" { print $2 }')
  [ "$pid" -gt 0 ]
  [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == *"skiff-test-helper sleep 1000"* ]]

  run ctrc tasks exec --exec-id e1 skiff-cd5 /bin/skiff-test-helper echo from exec
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "from exec" ]

  run ctrc tasks exec --exec-id e2 skiff-cd5 /bin/skiff-test-helper exit 9
  [ "$status" -eq 9 ]

  # `task ps` is skiff's `ps --format json`.
  run ctrc tasks ps skiff-cd5
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"$pid"* ]]

  run ctrc tasks pause skiff-cd5
  echo "$output"
  [ "$status" -eq 0 ]
  wait_task skiff-cd5 PAUSED
  run ctrc tasks resume skiff-cd5
  [ "$status" -eq 0 ]
  wait_task skiff-cd5 RUNNING

  # SIGKILL: the payload is pid 1 of its pid namespace without handlers,
  # the kernel would drop SIGTERM.
  run ctrc tasks kill -s SIGKILL skiff-cd5
  [ "$status" -eq 0 ]
  wait_task skiff-cd5 STOPPED
  run ctrc tasks rm skiff-cd5
  [ "$status" -eq 0 ]
  run ctrc containers rm skiff-cd5
  [ "$status" -eq 0 ]
  run ctrc containers ls -q
  [[ "$output" != *skiff-cd5* ]]
  # skiff's own state for it is gone too.
  [ ! -e "$CD/runc/skiff-cd5" ]
}

@test "containerd: kill --all reaches every process of the container" {
  run ctr_run -d "$IMAGE" skiff-cd6 /bin/sh -c '/bin/skiff-test-helper sleep 1000 & exec /bin/skiff-test-helper sleep 1000'
  [ "$status" -eq 0 ]
  wait_task skiff-cd6 RUNNING
  run ctrc tasks kill --all -s SIGKILL skiff-cd6
  echo "$output"
  [ "$status" -eq 0 ]
  wait_task skiff-cd6 STOPPED
}

@test "containerd: -t gives the process a terminal" {
  require_cmd script
  # ctr wants a terminal on its own stdin for -t: script(1) provides one.
  run script -qec "ctr -a $CD/containerd.sock run --runc-binary $SKIFF --runc-root $CD/runc -t --rm $IMAGE skiff-cd7 /bin/skiff-test-helper pty" /dev/null </dev/null
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"isatty=1"* ]]
  [[ "$output" == *"ttyname=/dev/pts/"* ]]
}

# `ctr containers checkpoint --task` then `ctr containers restore --live`:
# containerd's checkpoint image (task, rw layer) into a new container.
# CRIU needs a kernel it accepts: tests/vm/check-criu.sh runs this test in
# its VM.  What containerd 1.6's shim ran there (the wrapper's log; R is
# $CD/runc/default, S $CD/state/io.containerd.runtime.v2.task/default):
#   --root R --log S/skiff-ck1/log.json --log-format json pause skiff-ck1
#   --root R --log S/skiff-ck1/log.json --log-format json checkpoint
#     --image-path /tmp/ctd-checkpoint2171141867
#     --work-path S/skiff-ck1/work/criu-work --file-locks --leave-running skiff-ck1
#   --root R --log S/skiff-ck1/log.json --log-format json resume skiff-ck1
#   --root R --log S/skiff-ck2/log.json --log-format json restore
#     --image-path /tmp/ctrd-checkpoint3251910976 --work-path S/skiff-ck2/work
#     --detach --pid-file S/skiff-ck2/init.pid -no-subreaper --bundle S/skiff-ck2 skiff-ck2
# (-no-subreaper with one dash: go-runc's spelling.)
@test "containerd: checkpoint a task into an image, restore it live as a new container" {
  command -v criu >/dev/null && criu check >/dev/null 2>&1 ||
    skip "criu cannot run on this kernel: tests/vm/check-criu.sh runs this test in its VM"
  # What the shim runs, logged: a wrapper as its runc binary.
  cat >"$CD/skiff-logged" <<EOF
#!/bin/sh
printf '%s\n' "\$*" >>"$CD/skiff-argv.log"
exec "$SKIFF" "\$@"
EOF
  chmod +x "$CD/skiff-logged"
  : >"$CD/skiff-argv.log"
  run ctrc run -d --runc-binary "$CD/skiff-logged" --runc-root "$CD/runc" "$IMAGE" skiff-ck1 \
    /bin/sh -c 'i=0; while :; do i=$((i + 1)); echo $i >>/tmp/count; sleep 0.1; done'
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  wait_task skiff-ck1 RUNNING
  local i n
  for ((i = 0; i < 300; i++)); do
    n=$(ctrc tasks exec --exec-id c$i skiff-ck1 /bin/sh -c 'wc -l </tmp/count' 2>/dev/null) || n=0
    [ "$n" -ge 3 ] && break
    sleep 0.2
  done
  run ctrc containers checkpoint --task --rw skiff-ck1 localhost/skiff-ck1:ckpt
  echo "$output"
  cat "$CD/skiff-argv.log"
  [ "$status" -eq 0 ]
  # ctr paused the task for the checkpoint (CRIU left it running) and
  # resumed it.
  wait_task skiff-ck1 RUNNING
  grep -q -- "checkpoint .*--leave-running skiff-ck1" "$CD/skiff-argv.log"
  ctrc tasks kill -s SIGKILL skiff-ck1
  wait_task skiff-ck1 STOPPED
  ctrc tasks rm skiff-ck1
  ctrc containers rm skiff-ck1

  # ctr waits for the restored task: in the background, its output to a file.
  ctrc containers restore --rw --live skiff-ck2 localhost/skiff-ck1:ckpt \
    </dev/null >"$CD/restore.out" 2>&1 3>&- &
  SKIFF_BG_PIDS+=("$!")
  for ((i = 0; i < 300; i++)); do
    ctrc tasks ls 2>/dev/null | awk '$1 == "skiff-ck2" { print $3 }' | grep -qx RUNNING && break
    sleep 0.2
  done
  cat "$CD/restore.out" "$CD/skiff-argv.log"
  wait_task skiff-ck2 RUNNING
  grep -q -- "restore .*--image-path .* skiff-ck2" "$CD/skiff-argv.log"
  local before after
  before=$(ctrc tasks exec --exec-id r1 skiff-ck2 /bin/sh -c 'wc -l </tmp/count')
  sleep 2
  after=$(ctrc tasks exec --exec-id r2 skiff-ck2 /bin/sh -c 'wc -l </tmp/count')
  echo "restored: $before -> $after lines"
  [ "$after" -gt "$before" ]
  # It went on from where it was checkpointed: 1..N, no second start.
  ctrc tasks exec --exec-id r3 skiff-ck2 /bin/sh -c \
    'cp /tmp/count /tmp/snap; seq 1 $(wc -l </tmp/snap) | cmp -s - /tmp/snap'
  ctrc tasks kill -s SIGKILL skiff-ck2
  wait_task skiff-ck2 STOPPED
  ctrc images rm localhost/skiff-ck1:ckpt >/dev/null
}
