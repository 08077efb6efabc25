#!/usr/bin/env bats
# checkpoint and restore through CRIU.  They need a kernel CRIU accepts
# (`criu check`): on hosts whose kernel it refuses the tests skip, and
# tests/vm/check-criu.sh runs this file in the test VM (Debian's kernel).
#
# The container's stdio are anonymous pipes (bash process substitution),
# as conmon and containerd's shim give: CRIU cannot dump a file of the host
# that the container's mount table does not show (such as the host's
# /dev/null), and restore hands the pipes it is given to the process.

load helpers

# Asked once per file: why CRIU cannot run here (empty when it can).
setup_file() {
  CRIU_MISSING=
  if ! command -v criu >/dev/null 2>&1; then
    CRIU_MISSING="criu is not installed"
  elif ! criu check >/dev/null 2>&1; then
    CRIU_MISSING="criu refuses this kernel (criu check); tests/vm/check-criu.sh runs these tests in a VM"
  fi
  export CRIU_MISSING
}

need_criu() {
  [ -z "$CRIU_MISSING" ] || skip "$CRIU_MISSING"
}

setup() {
  setup_bundle
  CT1=ct1-$$-$BATS_TEST_NUMBER
  CT2=ct2-$$-$BATS_TEST_NUMBER
  IMG=$BUNDLE/image
  update_config ".root.readonly = false"
}
teardown() {
  # the podman test's containers (conmon, shm mounts) and image
  [ -z "${PM:-}" ] || pm rm --all --force --time 0 >/dev/null 2>&1 || true
  teardown_bundle
}

# A counter: appends 1, 2, 3... to /tmp/count (in the rootfs) and to its
# stdout, ten times a second.
counter() {
  set_args /bin/sh -c 'i=0; while :; do i=$((i + 1)); echo $i >>/tmp/count; echo out-$i; sleep 0.1; done'
}

last_count() {
  tail -n1 "$BUNDLE/rootfs/tmp/count" 2>/dev/null
}

# wait_count N [SECONDS=60]: until the counter reached N.
wait_count() {
  local i
  for ((i = 0; i < ${2:-60} * 10; i++)); do
    [ "$(last_count)" -ge "$1" ] 2>/dev/null && return 0
    sleep 0.1
  done
  echo "counter at '$(last_count)', not $1" >&2
  return 1
}

# The counter counted without a restart and without a gap: 1..N in order.
# (A snapshot: the counter goes on writing.)
counted_in_order() {
  local snap=$BUNDLE/count.snap n
  cp "$BUNDLE/rootfs/tmp/count" "$snap"
  n=$(wc -l <"$snap")
  seq 1 "$n" | cmp -s - "$snap" || {
    echo "count file is not 1..$n: $(tr '\n' ' ' <"$snap")" >&2
    return 1
  }
}

# run_detached ID OUT: `skiff run -d` with pipes for stdio; stdout lands in OUT.
run_detached() {
  skiff run -d -b "$BUNDLE" "$1" < <(:) 3>&- > >(exec cat 3>&- >>"$2") 2>&1
}

@test "checkpoint: a counter stops, and after restore goes on from where it stopped" {
  need_criu
  counter
  run_detached "$CT1" "$BUNDLE/out1"
  wait_count 5
  run skiff checkpoint --image-path "$IMG" "$CT1"
  [ "$status" -eq 0 ] || { echo "$output"; cat "$IMG/dump.log" | grep -i error | tail; false; }
  # As with runc, the checkpointed container is gone; its processes too.
  run skiff state "$CT1"
  [ "$status" -ne 0 ]
  local stopped_at
  stopped_at=$(last_count)
  sleep 1
  [ "$(last_count)" = "$stopped_at" ]
  ls "$IMG"/*.img >/dev/null

  skiff restore -d --image-path "$IMG" -b "$BUNDLE" --pid-file "$BUNDLE/pid" "$CT1" \
    < <(:) 3>&- > >(exec cat 3>&- >>"$BUNDLE/out2") 2>&1 || {
    grep -i error "$IMG/restore.log" | tail
    false
  }
  run skiff state "$CT1"
  [ "$status" -eq 0 ]
  [ "$(jq -r .status <<<"$output")" = running ]
  local pid
  pid=$(jq -r .pid <<<"$output")
  [ "$pid" = "$(cat "$BUNDLE/pid")" ]
  [ -d "/proc/$pid" ]
  wait_count $((stopped_at + 5))
  counted_in_order
  # stdout is the pipe restore was given.
  grep -qx "out-$((stopped_at + 2))" "$BUNDLE/out2"
  ! grep -qx "out-$((stopped_at + 2))" "$BUNDLE/out1"
  # the restored container is an ordinary skiff container
  run skiff kill "$CT1" KILL
  [ "$status" -eq 0 ]
  wait_for_status "$CT1" stopped 10
  run skiff delete "$CT1"
  [ "$status" -eq 0 ]
  [ ! -d "$ROOT/$CT1" ]
}

@test "checkpoint: restore into a new container id, in its own cgroup" {
  need_criu
  counter
  run_detached "$CT1" "$BUNDLE/out1"
  wait_count 3
  run skiff checkpoint --image-path "$IMG" --work-path "$BUNDLE/work" "$CT1"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ -s "$BUNDLE/work/dump.log" ]
  local stopped_at
  stopped_at=$(last_count)
  skiff restore -d --image-path "$IMG" --work-path "$BUNDLE/work" -b "$BUNDLE" "$CT2" \
    < <(:) 3>&- > >(exec cat 3>&- >>"$BUNDLE/out2") 2>&1
  [ -s "$BUNDLE/work/restore.log" ]
  run skiff list -q
  [ "$output" = "$CT2" ]
  wait_count $((stopped_at + 3))
  counted_in_order
  local pid cg cg2
  pid=$(container_pid "$CT2")
  # The restored process is in the new container's cgroup.
  cg=$(jq -r .skiff.cgroupPath "$ROOT/$CT2/state.json")
  cg2=$(findmnt -rn -t cgroup2 -o TARGET | head -n1)
  [[ "$cg" == */skiff-$CT2 ]]
  grep -qx "0::${cg#"$cg2"}" "/proc/$pid/cgroup"
  run skiff ps -f json "$CT2"
  [ "$status" -eq 0 ]
  [[ "$output" == *"$pid"* ]]
  run skiff delete -f "$CT2"
  [ "$status" -eq 0 ]
  ! kill -0 "$pid" 2>/dev/null
}

@test "checkpoint: --leave-running keeps the container running" {
  need_criu
  counter
  run_detached "$CT1" "$BUNDLE/out1"
  wait_count 3
  local pid
  pid=$(container_pid "$CT1")
  run skiff checkpoint --leave-running --image-path "$IMG" "$CT1"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ "$(container_status "$CT1")" = running ]
  [ "$(container_pid "$CT1")" = "$pid" ]
  local at
  at=$(last_count)
  wait_count $((at + 3))
  # The checkpoint restores as a second container next to the first one
  # (a copy of the rootfs: both count in their own file).
  skiff kill "$CT1" KILL
  wait_for_status "$CT1" stopped 10
  skiff delete "$CT1"
  skiff restore -d --image-path "$IMG" -b "$BUNDLE" "$CT2" < <(:) 3>&- > >(exec cat 3>&- >/dev/null) 2>&1
  [ "$(container_status "$CT2")" = running ]
}

@test "checkpoint: --pre-dump then a dump with --parent-path" {
  need_criu
  counter
  run_detached "$CT1" "$BUNDLE/out1"
  wait_count 3
  run skiff checkpoint --pre-dump --image-path "$BUNDLE/pre" "$CT1"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  # A pre-dump leaves it running.
  [ "$(container_status "$CT1")" = running ]
  ls "$BUNDLE"/pre/pages-*.img >/dev/null
  local at
  at=$(last_count)
  wait_count $((at + 2))
  run skiff checkpoint --parent-path ../pre --image-path "$IMG" "$CT1"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  # The dump refers to the pre-dump's pages (the parent link).
  [ "$(readlink "$IMG/parent")" = ../pre ]
  local stopped_at
  stopped_at=$(last_count)
  skiff restore -d --image-path "$IMG" -b "$BUNDLE" "$CT1" < <(:) 3>&- > >(exec cat 3>&- >/dev/null) 2>&1
  wait_count $((stopped_at + 3))
  counted_in_order
}

@test "checkpoint: a read-only rootfs stays read-only after restore; exec enters the restored container" {
  need_criu
  update_config '.root.readonly = true'
  set_args /bin/sleep 1000
  run_detached "$CT1" "$BUNDLE/out1"
  run skiff checkpoint --image-path "$IMG" "$CT1"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  skiff restore -d --image-path "$IMG" -b "$BUNDLE" "$CT1" < <(:) 3>&- > >(exec cat 3>&- >/dev/null) 2>&1
  run skiff exec "$CT1" /bin/sh -c 'touch /probe'
  [ "$status" -ne 0 ]
  [[ "$output" == *"Read-only file system"* ]]
  [ ! -e "$BUNDLE/rootfs/probe" ]
  run skiff exec "$CT1" /bin/cat /proc/1/cmdline
  [ "$status" -eq 0 ]
  [[ "$output" == *sleep*1000* ]]
}

# Hooks for the restore (config.json is read again by restore): the
# runtime-namespace hooks and createContainer (our mount table) append to
# $BUNDLE/rootfs/hooks.log, startContainer to /hooks.log in the
# container's root, the same file; each keeps the state it read in
# <stage>.json.  startContainer also notes the container's pid 1 and how
# far the counter got: the process must not have run yet.
add_restore_hooks() {
  update_config '
    def h(stage; dir; extra): {"path": "/bin/sh",
      "args": ["sh", "-c", "cat > \(dir)/\(stage).json; echo \(stage)\(extra) >> \(dir)/hooks.log"]};
    .hooks = {
      "prestart": [h("prestart"; $r; "")],
      "createRuntime": [h("createRuntime"; $r; "")],
      "createContainer": [h("createContainer"; $r; " $(pwd)")],
      "startContainer": [h("startContainer"; ""; " $(tr \"\\\\0\" \" \" </proc/1/cmdline) count=$(tail -n1 /tmp/count)")],
      "poststart": [h("poststart"; $r; "")]}' --arg r "$BUNDLE/rootfs"
}

@test "checkpoint: restore runs the hooks of each stage once, with the restored process's state" {
  need_criu
  counter
  run_detached "$CT1" "$BUNDLE/out1"
  wait_count 3
  run skiff checkpoint --image-path "$IMG" "$CT1"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  local stopped_at
  stopped_at=$(last_count)
  add_restore_hooks
  skiff restore -d --image-path "$IMG" -b "$BUNDLE" "$CT1" \
    < <(:) 3>&- > >(exec cat 3>&- >>"$BUNDLE/out2") 2>&1 || {
    grep -i error "$IMG/restore.log" | tail
    false
  }
  local pid
  pid=$(container_pid "$CT1")
  cat "$BUNDLE/rootfs/hooks.log"
  run cat "$BUNDLE/rootfs/hooks.log"
  [ "${#lines[@]}" -eq 5 ]
  [ "${lines[0]}" = prestart ]
  [ "${lines[1]}" = createRuntime ]
  # createContainer: the rootfs is its cwd; startContainer sees the
  # container's root and pid namespace, the counter not yet resumed.
  [ "${lines[2]}" = "createContainer $BUNDLE/rootfs" ]
  [[ "${lines[3]}" == "startContainer /bin/sh -c "*"count=$stopped_at" ]]
  [ "${lines[4]}" = poststart ]
  local want=(prestart:creating createRuntime:creating createContainer:creating
    startContainer:created poststart:running) s
  for s in "${want[@]}"; do
    run jq -r '[.id, .status, .pid, .bundle] | join(" ")' "$BUNDLE/rootfs/${s%%:*}.json"
    echo "${s%%:*}: $output"
    [ "$output" = "$CT1 ${s#*:} $pid $BUNDLE" ]
  done
  wait_count $((stopped_at + 3))
  counted_in_order
  skiff delete -f "$CT1"
}

@test "checkpoint: a failing createRuntime or startContainer hook fails the restore and leaves nothing" {
  need_criu
  counter
  run_detached "$CT1" "$BUNDLE/out1"
  wait_count 3
  run skiff checkpoint --image-path "$IMG" "$CT1"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  local stopped_at cg2 own
  stopped_at=$(last_count)
  update_config '.hooks = {
      "createRuntime": [{"path": "/bin/sh", "args": ["sh", "-c", "echo refused-by-hook >&2; exit 3"]}],
      "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "echo ran > /start-ran"]}]}'
  run skiff restore -d --image-path "$IMG" -b "$BUNDLE" "$CT1" < <(:) 3>&- > >(exec cat 3>&- >/dev/null)
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *'createRuntime hook #0 `/bin/sh`: exit status 3: refused-by-hook'* ]]
  # No container, no state, no cgroup, no process: the counter stays put
  # and the later stage never ran.
  run skiff state "$CT1"
  [ "$status" -ne 0 ]
  [ ! -e "$ROOT/$CT1" ]
  cg2=$(findmnt -rn -t cgroup2 -o TARGET | head -n1)
  own=$(sed -n 's/^0:://p' /proc/self/cgroup)
  [ ! -e "$cg2${own%/}/skiff-$CT1" ]
  [ -z "$(find "$cg2" -name "skiff-$CT1")" ]
  sleep 1
  [ "$(last_count)" = "$stopped_at" ]
  [ ! -e "$BUNDLE/rootfs/start-ran" ]
  # A failing startContainer hook: the process was restored, but is killed
  # before it resumed.
  update_config '.hooks = {
      "startContainer": [{"path": "/bin/sh", "args": ["sh", "-c", "echo ran > /start-ran; exit 4"]}]}'
  run skiff restore -d --image-path "$IMG" -b "$BUNDLE" "$CT1" < <(:) 3>&- > >(exec cat 3>&- >/dev/null)
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *'startContainer hook #0 `/bin/sh`: exit status 4'* ]]
  # It ran, in the container's root.
  [ "$(cat "$BUNDLE/rootfs/start-ran")" = ran ]
  [ ! -e "$ROOT/$CT1" ]
  [ -z "$(find "$cg2" -name "skiff-$CT1")" ]
  sleep 1
  [ "$(last_count)" = "$stopped_at" ]
  # The same checkpoint restores once the hook is gone.
  update_config 'del(.hooks)'
  skiff restore -d --image-path "$IMG" -b "$BUNDLE" "$CT1" < <(:) 3>&- > >(exec cat 3>&- >/dev/null) 2>&1
  wait_count $((stopped_at + 3))
  counted_in_order
  skiff delete -f "$CT1"
}

@test "checkpoint: a paused container: --leave-running keeps it paused, a dump ends it, restore runs it" {
  need_criu
  counter
  run_detached "$CT1" "$BUNDLE/out1"
  wait_count 3
  skiff pause "$CT1"
  [ "$(container_status "$CT1")" = paused ]
  local at pid
  at=$(last_count)
  pid=$(container_pid "$CT1")
  run skiff checkpoint --leave-running --image-path "$BUNDLE/img1" "$CT1"
  [ "$status" -eq 0 ] || { echo "$output"; grep -i error "$BUNDLE/img1/dump.log" | tail; false; }
  # Still paused, and still frozen: the counter does not move.
  [ "$(container_status "$CT1")" = paused ]
  [ "$(container_pid "$CT1")" = "$pid" ]
  sleep 1
  [ "$(last_count)" = "$at" ]
  skiff resume "$CT1"
  [ "$(container_status "$CT1")" = running ]
  wait_count $((at + 3))
  counted_in_order

  # Without --leave-running the paused container is checkpointed and gone.
  skiff pause "$CT1"
  run skiff checkpoint --image-path "$IMG" "$CT1"
  [ "$status" -eq 0 ] || { echo "$output"; grep -i error "$IMG/dump.log" | tail; false; }
  run skiff state "$CT1"
  [ "$status" -ne 0 ]
  ! kill -0 "$pid" 2>/dev/null
  local stopped_at
  stopped_at=$(last_count)
  skiff restore -d --image-path "$IMG" -b "$BUNDLE" "$CT1" < <(:) 3>&- > >(exec cat 3>&- >/dev/null) 2>&1 || {
    grep -i error "$IMG/restore.log" | tail
    false
  }
  [ "$(container_status "$CT1")" = running ]
  wait_count $((stopped_at + 3))
  counted_in_order
  skiff delete -f "$CT1"
}

# A console socket server: receives the pty master, writes what it reads
# from it into OUT.
console_receiver() {
  cat >"$BUNDLE/recv.py" <<'EOF'
import array, os, socket, sys
sock, out = sys.argv[1], sys.argv[2]
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(sock)
srv.listen(1)
open(out + ".ready", "w").close()
conn, _ = srv.accept()
fds = array.array("i")
_, anc, _, _ = conn.recvmsg(256, socket.CMSG_SPACE(fds.itemsize))
fds.frombytes(anc[0][2][:fds.itemsize])
with open(out, "ab", buffering=0) as f:
    while True:
        try:
            data = os.read(fds[0], 4096)
        except OSError:
            break
        if not data:
            break
        f.write(data)
EOF
  rm -f "$1.ready" "$BUNDLE/console.sock"
  python3 "$BUNDLE/recv.py" "$BUNDLE/console.sock" "$1" 3>&- &
  SKIFF_BG_PIDS+=("$!")
  local i
  # (python3 takes seconds to start in the test VM)
  for ((i = 0; i < 1200; i++)); do
    [ -e "$1.ready" ] && return 0
    sleep 0.05
  done
  echo "console receiver did not start" >&2
  return 1
}

@test "checkpoint: a container with a terminal is restored on a new pty from the console socket" {
  need_criu
  require_cmd python3
  update_config '.process.terminal = true'
  set_args /bin/sh -c 'i=0; while :; do i=$((i + 1)); echo $i >>/tmp/count; [ -t 1 ] && echo tty-$i; sleep 0.1; done'
  console_receiver "$BUNDLE/console1"
  run skiff run -d --console-socket "$BUNDLE/console.sock" -b "$BUNDLE" "$CT1"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  wait_count 3
  run skiff checkpoint --image-path "$IMG" "$CT1"
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  local stopped_at
  stopped_at=$(last_count)
  grep -q "tty-$stopped_at" "$BUNDLE/console1"

  console_receiver "$BUNDLE/console2"
  run skiff restore -d --console-socket "$BUNDLE/console.sock" --image-path "$IMG" -b "$BUNDLE" "$CT1"
  [ "$status" -eq 0 ] || { echo "$output"; grep -i error "$IMG/restore.log" | tail; false; }
  wait_count $((stopped_at + 3))
  counted_in_order
  # The process still has a terminal, and it is the new one.
  local i
  for ((i = 0; i < 100; i++)); do
    grep -q "tty-$((stopped_at + 2))" "$BUNDLE/console2" && break
    sleep 0.1
  done
  grep -q "tty-$((stopped_at + 2))" "$BUNDLE/console2"
  # without a console socket a terminal checkpoint is refused
  skiff delete -f "$CT1"
  run skiff restore -d --image-path "$IMG" -b "$BUNDLE" "$CT1"
  [ "$status" -ne 0 ]
  [[ "$output" == *"--console-socket"* ]]
}

@test "checkpoint: errors name the problem" {
  run skiff checkpoint --image-path "$IMG" nosuch
  [ "$status" -ne 0 ]
  [[ "$output" == *"nosuch"* ]]
  run skiff checkpoint --manage-cgroups-mode bogus "$CT1"
  [ "$status" -eq 2 ]
  [[ "$output" == *"--manage-cgroups-mode"* ]]
  run skiff restore --image-path "$BUNDLE/none" -b "$BUNDLE" "$CT1"
  [ "$status" -ne 0 ]
  [[ "$output" == *"image path"* ]]
  [ ! -d "$ROOT/$CT1" ]
}

# podman with skiff as its runtime, all of its state in $BUNDLE/podman (vfs
# storage, no network but loopback), the image imported from the test
# rootfs.
pm() {
  podman --root "$PM/root" --runroot "$PM/runroot" --storage-driver vfs --runtime skiff "$@"
}

@test "checkpoint: podman container checkpoint and restore drive skiff" {
  need_criu
  command -v podman >/dev/null && command -v conmon >/dev/null ||
    skip "podman and conmon are not installed"
  # On a hybrid host podman would make cgroups in the v1 hierarchies:
  # clients-podman.bats covers it there, this runs where CRIU works (the VM).
  [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || skip "needs a cgroup2-only host"
  PM=$BUNDLE/podman
  mkdir -p "$PM/tmp" "$PM/net"
  cat >"$PM/containers.conf" <<CONF
[containers]
log_driver = "k8s-file"
netns = "none"
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PM/events.log"
tmp_dir = "$PM/tmp"
[engine.runtimes]
skiff = ["$SKIFF"]
[network]
network_config_dir = "$PM/net"
CONF
  export CONTAINERS_CONF=$PM/containers.conf
  tar -C "$BUNDLE/rootfs" -c . | pm import - localhost/skiff-ckpt >/dev/null
  run pm run -d --name ckpt localhost/skiff-ckpt /bin/sh -c \
    'i=0; while :; do i=$((i + 1)); echo $i >>/tmp/count; echo out-$i; sleep 0.1; done'
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  local i
  for ((i = 0; i < 300; i++)); do
    [ "$(pm exec ckpt sh -c 'wc -l </tmp/count' 2>/dev/null)" -ge 3 ] 2>/dev/null && break
    sleep 0.2
  done
  run pm container checkpoint ckpt
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ "$(pm inspect -f '{{.State.Status}}' ckpt)" = exited ]
  run pm container restore ckpt
  [ "$status" -eq 0 ] || { echo "$output"; false; }
  [ "$(pm inspect -f '{{.State.Status}}' ckpt)" = running ]
  local before after
  before=$(pm exec ckpt sh -c 'wc -l </tmp/count')
  sleep 2
  after=$(pm exec ckpt sh -c 'wc -l </tmp/count')
  [ "$after" -gt "$before" ]
  # It went on counting from where it was: no second start from 1.
  [ "$(pm exec ckpt sh -c 'grep -cx 1 /tmp/count')" = 1 ]
  pm exec ckpt sh -c 'cp /tmp/count /tmp/snap; seq 1 $(wc -l </tmp/snap) | cmp -s - /tmp/snap'
  # Its output after the restore still reaches podman's log.
  for ((i = 0; i < 100; i++)); do
    pm logs ckpt 2>/dev/null | grep -qx "out-$after" && break
    sleep 0.2
  done
  pm logs ckpt | grep -qx "out-$after"
  pm rm -f -t 0 ckpt >/dev/null
  pm rmi -f localhost/skiff-ckpt >/dev/null 2>&1 || true
}
