#!/usr/bin/env bats
# process.terminal: the pty is created in the container and its master is
# either sent over --console-socket (as podman/containerd expect) or proxied
# by `skiff run`.

load helpers

setup() {
  setup_bundle
  unique_ids
  update_config '.process.terminal = true'
}
teardown() { teardown_bundle; }

# Container ids unique to this run: cgroups are named after the id, and
# other test runs may share this host.
unique_ids() {
  CT1=ct1-$$-$BATS_TEST_NUMBER
  CT2=ct2-$$-$BATS_TEST_NUMBER
}

set_cmd() {
  update_config '.process.args = $a' --argjson a "$(printf '%s\n' "$@" | jq -R . | jq -cs .)"
}

# A console socket server like conmon's: accepts one connection, receives
# the pty master with SCM_RIGHTS, writes "payload=<msg>" and then everything
# read from the master into OUT until the slave side is gone (EIO).
# Writes INPUT (if any) into the master first.
write_receiver() {
  cat >"$BUNDLE/recv.py" <<'EOF'
import array, os, socket, sys
path, out = sys.argv[1], sys.argv[2]
data = sys.argv[3].encode() if len(sys.argv) > 3 else b""
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
s.listen(1)
open(out + ".ready", "w").close()
c, _ = s.accept()
fds = array.array("i")
msg, anc, _, _ = c.recvmsg(1024, socket.CMSG_SPACE(fds.itemsize))
for level, typ, raw in anc:
    if level == socket.SOL_SOCKET and typ == socket.SCM_RIGHTS:
        fds.frombytes(raw[:fds.itemsize])
with open(out, "wb") as f:
    f.write(b"payload=" + msg.rstrip(b"\0") + b"\n")
    f.write(b"fds=%d\n" % len(fds))
    f.flush()
    if not fds:
        sys.exit(1)
    master = fds[0]
    if data:
        os.write(master, data)
    while True:
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        f.write(chunk)
        f.flush()
EOF
}

# start_receiver [INPUT]: socket at $BUNDLE/console.sock, output in
# $BUNDLE/console.out; waits until it listens.
start_receiver() {
  require_cmd python3
  write_receiver
  python3 "$BUNDLE/recv.py" "$BUNDLE/console.sock" "$BUNDLE/console.out" "$@" &
  RECV_PID=$!
  SKIFF_BG_PIDS+=("$RECV_PID")
  for _ in $(seq 100); do
    [ -e "$BUNDLE/console.out.ready" ] && return 0
    sleep 0.05
  done
  echo "console socket receiver did not start" >&2
  return 1
}

# wait for the receiver to see EIO (the container is gone).
wait_receiver() {
  local i
  for ((i = 0; i < 100; i++)); do
    kill -0 "$RECV_PID" 2>/dev/null || { wait "$RECV_PID" 2>/dev/null; return 0; }
    sleep 0.05
  done
  echo "receiver still running" >&2
  return 1
}

@test "terminal: run under a pty proxies the container's own pty" {
  require_cmd script
  update_config '.process.consoleSize = {"height": 30, "width": 90}'
  set_args /bin/skiff-test-helper pty
  run timeout 20 script -qec "$SKIFF --root $ROOT run -b $BUNDLE $CT1" /dev/null </dev/null
  [ "$status" -eq 0 ]
  [[ "$output" == *"isatty=1"* ]]
  [[ "$output" == *"ttyname=/dev/pts/0"* ]]
  [[ "$output" == *"rows=30 cols=90"* ]]
  # Our terminal's modes were restored.
  [ -z "$(ls -A "$ROOT")" ]
}

@test "terminal: run passes our window size and restores our tty modes" {
  require_cmd script
  set_args /bin/skiff-test-helper pty
  run timeout 20 script -qec "stty rows 41 cols 123; stty -g; $SKIFF --root $ROOT run -b $BUNDLE $CT1; stty -g" /dev/null </dev/null
  [ "$status" -eq 0 ]
  [[ "$output" == *"rows=41 cols=123"* ]]
  # stty -g before and after are the same.
  local before after
  before=$(tr -d '\r' <<<"$output" | grep -E '^[0-9a-f]+(:[0-9a-f]+)+$' | head -1)
  after=$(tr -d '\r' <<<"$output" | grep -E '^[0-9a-f]+(:[0-9a-f]+)+$' | tail -1)
  [ -n "$before" ]
  [ "$before" = "$after" ]
}

@test "terminal: run forwards stdin, its EOF, and the exit status" {
  set_cmd /bin/sh -c 'read x; echo "got=$x"; cat; echo "after-eof"; exit 3'
  run timeout 20 sh -c "printf 'hello\nmore\n' | $SKIFF --root $ROOT run -b $BUNDLE $CT1"
  [ "$status" -eq 3 ]
  [[ "$output" == *"got=hello"* ]]
  [[ "$output" == *"more"* ]]
  [[ "$output" == *"after-eof"* ]]
}

@test "terminal: /dev/console is the container's pty" {
  set_cmd /bin/sh -c 'tty; stat -c "%t:%T" /dev/console "$(tty)"'
  run timeout 20 sh -c "$SKIFF --root $ROOT run -b $BUNDLE $CT1 </dev/null"
  [ "$status" -eq 0 ]
  lines=($(tr -d '\r' <<<"$output"))
  [ "${lines[0]}" = /dev/pts/0 ]
  [ "${lines[1]}" = "${lines[2]}" ]
}

@test "terminal: --console-socket receives the master; output arrives through it" {
  start_receiver
  set_cmd /bin/sh -c 'tty; echo through-the-console; [ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-tty'
  run skiff create --console-socket "$BUNDLE/console.sock" -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  # skiff closed its copy of the master: nothing of it is left open.
  [ "$(container_status $CT1)" = created ]
  run skiff start $CT1
  [ "$status" -eq 0 ]
  wait_receiver
  run cat "$BUNDLE/console.out"
  [[ "${lines[0]}" == "payload=/dev/pts/0"* ]]
  [ "${lines[1]}" = "fds=1" ]
  [[ "$output" == *"/dev/pts/0"* ]]
  [[ "$output" == *"through-the-console"* ]]
  [[ "$output" == *"all-tty"* ]]
  skiff delete $CT1
}

@test "terminal: input written to the console socket's master reaches the process" {
  start_receiver $'ping\n'
  set_cmd /bin/sh -c 'read x; echo "got=$x"'
  run skiff run -d --console-socket "$BUNDLE/console.sock" -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  wait_receiver
  run cat "$BUNDLE/console.out"
  [[ "$output" == *"got=ping"* ]]
  skiff delete --force $CT1
}

@test "terminal: consoleSize applies with --console-socket" {
  start_receiver
  update_config '.process.consoleSize = {"height": 25, "width": 132}'
  set_args /bin/skiff-test-helper pty
  run skiff run -d --console-socket "$BUNDLE/console.sock" -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  wait_receiver
  run cat "$BUNDLE/console.out"
  [[ "$output" == *"rows=25 cols=132"* ]]
  skiff delete --force $CT1
}

@test "terminal: a console socket that does not exist is an error naming it" {
  run skiff create --console-socket "$BUNDLE/nope.sock" -b "$BUNDLE" $CT1
  [ "$status" -ne 0 ]
  [[ "$output" == *"$BUNDLE/nope.sock"* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "terminal: a long console socket path works" {
  require_cmd python3
  local dir
  dir=$BUNDLE/$(printf 'd%.0s' $(seq 110))
  mkdir -p "$dir"
  write_receiver
  # Python cannot bind a path that long either: bind it relatively.
  (cd "$dir" && exec python3 "$BUNDLE/recv.py" console.sock "$BUNDLE/console.out") &
  RECV_PID=$!
  SKIFF_BG_PIDS+=("$RECV_PID")
  for _ in $(seq 100); do [ -e "$BUNDLE/console.out.ready" ] && break; sleep 0.05; done
  set_args /bin/skiff-test-helper echo long-path-ok
  run skiff run -d --console-socket "$dir/console.sock" -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  wait_receiver
  grep -q long-path-ok "$BUNDLE/console.out"
  skiff delete --force $CT1
}
