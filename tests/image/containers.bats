#!/usr/bin/env bats
# Containers from images: run/create/start/ps/stop/kill/rm/container prune
# through the skiff runtime, on an overlay of shared layer directories.
# Every test ends with nothing mounted, no runtime state and no cgroup
# left, even when it fails (teardown removes, then checks).

load helpers
load layers
load registry

setup() {
  setup_store
  SKIFF_IMAGE_RUNTIME=$SKIFF
}

# The containers' ids, for the checks after they are gone.
container_ids() {
  simg ps -a --format json 2>/dev/null | jq -r '.[].Id'
}

teardown() {
  local ids id cg leftovers=
  ids=$(container_ids)
  for id in $ids; do
    simg rm -f "$id" >/dev/null 2>&1 || true
  done
  # What the removal missed: report it, then clean it so that the next
  # test starts clean (rm -rf never crosses a mount).
  if grep -q " $WORK/" /proc/self/mountinfo; then
    leftovers="mounts:$(grep " $WORK/" /proc/self/mountinfo | cut -d' ' -f5 | xargs)"
    grep " $WORK/" /proc/self/mountinfo | cut -d' ' -f5 | sort -r | xargs -r -n1 umount -l
  fi
  cg=/sys/fs/cgroup/unified$(sed -n 's/^0:://p' /proc/self/cgroup)
  for id in $ids; do
    if [ -e "$STORE/runtime/$id" ]; then
      leftovers="$leftovers state:$id"
      "$SKIFF" --root "$STORE/runtime" delete -f "$id" >/dev/null 2>&1 || true
    fi
    [ ! -e "$cg/skiff-$id" ] || leftovers="$leftovers cgroup:$id"
  done
  registry_stop
  teardown_store
  [ -z "$leftovers" ] || { echo "left behind: $leftovers"; return 1; }
}

# A busybox image with a user, a group and an app directory.
make_app_image() {
  make_image "${1:-app}" '{"config":{
      "Entrypoint":["/bin/sh","-c"],
      "Cmd":["echo cmd; id; pwd; echo FOO=$FOO BAR=$BAR"],
      "Env":["PATH=/bin","FOO=image"],
      "WorkingDir":"/srv/app",
      "User":"app",
      "StopSignal":"SIGUSR1"},
    "layers":[{"busybox":true},
      {"entries":[
        {"name":"etc/passwd","data":"root:x:0:0:root:/root:/bin/sh\napp:x:1001:1002::/home/app:/bin/sh\n"},
        {"name":"etc/group","data":"root:x:0:\napp:x:1002:\n"},
        {"name":"etc/hello","data":"from the image\n"},
        {"name":"tmp","type":"dir","mode":1023}]}]}'
}

mounted_overlays() {
  grep -c " $STORE/containers/.* - overlay " /proc/self/mountinfo || true
}

@test "run: Entrypoint, Cmd, Env, WorkingDir and User by name from the image, and their overrides" {
  make_app_image
  run simg run --rm app
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = cmd ]
  [ "${lines[1]}" = "uid=1001(app) gid=1002(app) groups=1002(app)" ]
  [ "${lines[2]}" = /srv/app ]
  [ "${lines[3]}" = "FOO=image BAR=" ]

  run simg run --rm -e FOO=cli -e BAR=set -w /other -u root 'echo other; id -u; pwd; echo FOO=$FOO BAR=$BAR' app
  [ "$status" -ne 0 ] # options after IMAGE are not options: IMAGE first
  run simg run --rm -e FOO=cli -e BAR=set -w /other -u 0:1002 app 'id; pwd; echo FOO=$FOO BAR=$BAR'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "uid=0(root) gid=1002(app) groups=1002(app)" ]
  [ "${lines[1]}" = /other ]
  [ "${lines[2]}" = "FOO=cli BAR=set" ]

  run simg run --rm --entrypoint /bin/cat app /etc/hello
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "from the image" ]

  run simg run --rm app 'exit 7'
  [ "$status" -eq 7 ]
  [ -z "$(simg ps -a --format json | jq -r '.[].Name')" ]
}

@test "run: --read-only, -v, --network host and none" {
  make_app_image
  mkdir "$WORK/vol"
  echo shared >"$WORK/vol/f"
  run simg run --rm --read-only -u root app 'touch /x'
  [ "$status" -ne 0 ]
  run simg run --rm -u root -v "$WORK/vol:/vol" app 'cat /vol/f; echo back >/vol/g'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = shared ]
  [ "$(cat "$WORK/vol/g")" = back ]
  run simg run --rm -u root -v "$WORK/vol:/vol:ro" app 'echo no >/vol/h'
  [ "$status" -ne 0 ]
  [ ! -e "$WORK/vol/h" ]
  run simg run --rm --network host app 'readlink /proc/self/ns/net'
  [ "$output" = "$(readlink /proc/self/ns/net)" ]
  run simg run --rm --network none app 'readlink /proc/self/ns/net'
  [ "$status" -eq 0 ]
  [ "$output" != "$(readlink /proc/self/ns/net)" ]
  run simg run --rm --network bridge app true
  [ "$status" -eq 2 ]
}

@test "two containers of one image: writes stay apart, the layers exist once on disk" {
  make_app_image
  [ "$(simg create --name one -u root app 'echo one >/etc/hello; cat /etc/hello')" = one ]
  [ "$(simg create --name two -u root app 'cat /etc/hello')" = two ]
  [ "$(mounted_overlays)" -eq 2 ]
  run simg start -a one
  [ "$output" = one ]
  run simg start -a two
  [ "$output" = "from the image" ]
  # Two layers, extracted once, both containers stacked on the same dirs.
  [ "$(ls "$STORE/layers" | grep -vc '^tmp-')" -eq 2 ]
  [ "$(ls "$STORE/layers" | grep -c '^tmp-')" -eq 0 ]
  run simg run --rm -u root app 'cat /etc/hello'
  [ "$output" = "from the image" ]
  [ "$(ls "$STORE/layers" | wc -l)" -eq 2 ]
  # Foreground runs unmount when they end.
  [ "$(mounted_overlays)" -eq 0 ]
  run simg ps -a --format json
  [ "$(echo "$output" | jq -r '[.[].Status] | join(",")' | sed 's/ [^,]*//g')" = "Exited,Exited" ]
  run simg ps -a -s --format json
  echo "$output"
  # "one" wrote "one\n" over /etc/hello: 4 bytes; "two" wrote nothing.
  [ "$(echo "$output" | jq '.[] | select(.Name == "one") | .SizeRw')" -eq 4 ]
  [ "$(echo "$output" | jq '.[] | select(.Name == "two") | .SizeRw')" -eq 0 ]
  [ "$(echo "$output" | jq '.[] | select(.Name == "one") | .SizeRootFs - .SizeRw')" -gt 1000000 ]
}

@test "rmi refuses an image in use, rm -f stops a running container, stop uses StopSignal, container prune" {
  make_app_image
  run simg run -d --name busy app 'trap "echo got USR1; exit 0" USR1; while :; do sleep 0.1; done'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = busy ]
  simg create --name idle app true
  run simg run -d --name victim app 'while :; do sleep 1; done'
  [ "$status" -eq 0 ]
  run simg ps
  echo "$output"
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[1]}" == busy*Up* ]]
  run simg ps -a
  [ "${#lines[@]}" -eq 4 ]

  run simg rmi app
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"in use by containers busy, idle, victim"* ]]

  run simg rm victim
  [ "$status" -ne 0 ]
  [[ "$output" == *"victim is running"* ]]
  run simg rm -f victim
  [ "$status" -eq 0 ]
  [ "$(simg ps -a --format json | jq -r '[.[].Name] | join(",")')" = busy,idle ]

  run simg stop -t 5 busy
  [ "$status" -eq 0 ]
  grep -q "got USR1" "$STORE/containers/$(simg ps -a --format json | jq -r '.[0].Id')/ctr.log"
  # Its trap's exit status, recorded by its monitor.
  [ "$(simg ps -a --format json | jq '.[] | select(.Name == "busy") | .ExitCode')" -eq 0 ]
  [[ "$(simg ps -a | grep ^busy)" == *"Exited (0) "* ]]
  [ "$(mounted_overlays)" -eq 1 ] # idle: created, still mounted

  run simg run -d --name still app 'while :; do sleep 1; done'
  run simg container prune
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${#lines[@]}" -eq 2 ]
  [ "$(simg ps -a --format json | jq -r '[.[].Name] | join(",")')" = still ]
  [ "$(mounted_overlays)" -eq 1 ]
  run simg kill -s KILL still
  [ "$status" -eq 0 ]
  run simg rm still
  [ "$status" -eq 0 ]
  [ "$(mounted_overlays)" -eq 0 ]
  run simg rmi app
  [ "$status" -eq 0 ]
  # Its layer directories went with it.
  [ -z "$(ls -A "$STORE/layers")" ]
}

@test "rmi -f of an image in use keeps the layers its container stacks; they go with the container" {
  make_app_image
  make_app_image other
  simg create --name c app 'cat /etc/hello'
  run simg rmi -f app
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(ls "$STORE/layers" | wc -l)" -eq 2 ]
  run simg start -a c
  [ "$output" = "from the image" ]
  simg rm c
  # "other" has the same layers: they stay until it goes too.
  [ "$(ls "$STORE/layers" | wc -l)" -eq 2 ]
  run simg rmi other
  [ "$status" -eq 0 ]
  [ -z "$(ls -A "$STORE/layers")" ]

  # Alone, the container's layers go with it.
  make_app_image again
  simg create --name c2 again true
  simg rmi -f again
  [ "$(ls "$STORE/layers" | wc -l)" -eq 2 ]
  simg rm c2
  [ -z "$(ls -A "$STORE/layers")" ]
}

@test "whiteouts and opaque directories hide lower layers in the overlay" {
  make_image wh '{"config":{"Cmd":["/bin/sh","-c","cd /a; echo *; cd sub; echo *; cd /keep; echo *; test -e /gone || echo no-gone; test -e /tree || echo no-tree"]},"layers":[
    {"busybox":true,"entries":[
      {"name":"a/x","data":"lower"},{"name":"a/sub/old","data":"lower"},
      {"name":"gone","data":"lower"},{"name":"tree/deep/f","data":"lower"},
      {"name":"keep/k","data":"lower"},{"name":"keep/stays","data":"lower"}]},
    {"entries":[
      {"name":"a/new","data":"upper"},{"name":"a/sub/w","data":"upper"},
      {"name":"a/.wh..wh..opq","data":""},
      {"name":".wh.gone","data":""},{"name":".wh.tree","data":""},
      {"name":"keep/.wh.k","data":""}]}]}'
  run simg run --rm wh
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | xargs)" = "new sub w stays no-gone no-tree" ]
  # On disk: a whiteout is a 0/0 character device, the opaque marker an xattr.
  top=$(dirname "$(find "$STORE/layers" -maxdepth 2 -name gone -type c)")
  [ "$(stat -c '%t %T' "$top/gone")" = "0 0" ]
  python3 -c 'import os,sys; assert os.getxattr(sys.argv[1], "trusted.overlay.opaque") == b"y"' "$top/a"
}

@test "diff lists additions, changes and deletions, whole directories included" {
  make_image files '{"layers":[{"busybox":true,"entries":[
      {"name":"dev","type":"dir"},{"name":"proc","type":"dir"},{"name":"sys","type":"dir"},
      {"name":"etc/hello","data":"hello"},{"name":"etc/old","data":"old"},
      {"name":"data/a","data":"a"},{"name":"data/sub/b","data":"b"}]},
    {"entries":[{"name":"etc/upper","data":"from layer 2"},{"name":".wh.gone","data":""}]}]}'
  run simg run --name c files /bin/sh -c 'echo changed >/etc/hello; echo new >/new; rm -rf /data; mkdir /etc/newdir; rm /etc/old; echo gone-again >/gone'
  echo "$output"
  [ "$status" -eq 0 ]
  run simg diff c
  echo "$output"
  [ "$status" -eq 0 ]
  # /gone was whited out by the image's top layer: writing it adds it.
  [ "$(echo "$output" | xargs)" = "D /data C /etc C /etc/hello A /etc/newdir D /etc/old A /gone A /new" ]
  run simg diff nosuch
  [ "$status" -ne 0 ]
  [[ "$output" == *"no such container: \`nosuch\`"* ]]
}

@test "commit: the new image runs with the same files, its layer applies in umoci, untagged without a name" {
  require_cmd skopeo umoci
  make_image files '{"layers":[{"busybox":true,"entries":[
      {"name":"etc/hello","data":"hello"},{"name":"etc/old","data":"old"},
      {"name":"data/a","data":"a"},{"name":"data/sub/b","data":"b"},{"name":"opq/lower","data":"x"}]}]}'
  run simg run --name c files /bin/sh -c 'echo changed >/etc/hello; echo new >/new; rm -rf /data /opq; mkdir /opq; echo mine >/opq/upper; rm /etc/old; ln /new /new-link'
  [ "$status" -eq 0 ]
  run simg commit -m "my change" -c 'CMD ["/bin/sh","-c","cat /etc/hello /new /opq/*; ls /data /etc/old 2>&1; echo FOO=$FOO"]' \
    -c 'ENV FOO=committed' c committed:v1
  echo "$output"
  [ "$status" -eq 0 ]
  id=$output
  [ "$(simg inspect committed:v1 | jq -r '.[0].Id')" = "$id" ] || [ "$(simg inspect committed:v1 | jq -r '.[0].Id')" = "sha256:$id" ]
  simg inspect committed:v1 | jq -e '.[0].Config.history[-1].comment == "my change" and (.[0].Layers | length) == 2'

  run simg run --rm committed:v1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = changed ]
  [ "${lines[1]}" = new ]
  [ "${lines[2]}" = mine ]
  [[ "${lines[3]}" == *"/data"*"No such file"* ]]
  [[ "${lines[4]}" == *"/etc/old"*"No such file"* ]]
  [ "${lines[5]}" = FOO=committed ]

  # Another tool applies our layer: whiteouts and the opaque marker work.
  skopeo copy -q "oci:$STORE/oci:docker.io/library/committed:v1" "oci:$WORK/out:x"
  umoci unpack --image "$WORK/out:x" "$WORK/umoci"
  r=$WORK/umoci/rootfs
  [ "$(cat "$r/etc/hello")" = changed ]
  [ ! -e "$r/data" ]
  [ ! -e "$r/etc/old" ]
  [ "$(ls -A "$r/opq")" = upper ]
  [ "$(stat -c %i "$r/new")" = "$(stat -c %i "$r/new-link")" ]

  # Without a name: an untagged (<none>) image.
  run simg commit --compression zstd c
  [ "$status" -eq 0 ]
  simg images | grep -q "<none>"
}

@test "commit: the same changes make the same layer, byte for byte; a gzip layer of several chunks reads back whole" {
  make_app_image
  # More than one chunk of the parallel gzip writer (1 MiB), random and
  # compressible data, a hard link, a symlink and a deletion.
  run simg run --name c -u root -w / app \
    'head -c 3000000 /dev/urandom >/big; seq 1 400000 >/text; ln /text /text-link; ln -s big /big-link;
     rm /etc/hello; sha256sum /big /text'
  echo "$output"
  [ "$status" -eq 0 ]
  wrote=$output
  layer() { simg inspect "$1" | jq -r ".[0].Layers[-1].$2"; }
  simg commit c same:1 >/dev/null
  # The gzip header would hold the time if it kept one: it is another second.
  sleep 1.1
  simg commit c same:2 >/dev/null
  [ "$(layer same:1 Digest)" = "$(layer same:2 Digest)" ]
  simg commit --compression zstd c same:z1 >/dev/null
  simg commit --compression zstd c same:z2 >/dev/null
  [ "$(layer same:z1 Digest)" = "$(layer same:z2 Digest)" ]
  [ "$(layer same:1 DiffID)" = "$(layer same:z1 DiffID)" ]

  # One gzip member whose content is the tar of the diff id.
  blob=$STORE/oci/blobs/sha256/$(layer same:1 Digest | sed 's/^sha256://')
  [ "$(head -c 10 "$blob" | od -An -tx1 | xargs)" = "1f 8b 08 00 00 00 00 00 00 03" ]
  [ "sha256:$(gzip -dc "$blob" | sha256sum | cut -d' ' -f1)" = "$(layer same:1 DiffID)" ]
  [ "$(gzip -dc "$blob" | wc -c)" -gt $((5 * 1024 * 1024)) ]
  python3 -c 'import sys, zlib
d = zlib.decompressobj(31)
d.decompress(open(sys.argv[1], "rb").read())
sys.exit(0 if d.eof and d.unused_data == b"" else 1)' "$blob"

  # The new image's container sees what the first one wrote.
  run simg run --rm -u root -w / same:1 \
    'sha256sum /big /text; stat -c %i /text /text-link | uniq | wc -l; readlink /big-link; [ -e /etc/hello ] && echo present || echo gone'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(printf '%s\n' "${lines[@]:0:2}")" = "$wrote" ]
  [ "${lines[2]}" = 1 ]
  [ "${lines[3]}" = big ]
  [ "${lines[4]}" = gone ]
}

@test "from the local registry: pull, run, commit, push, and umoci unpacks the pushed image" {
  require_registry_tools umoci
  # Credentials only from this test's files, never the user's own.
  export REGISTRY_AUTH_FILE=$WORK/auth.json HOME=$WORK
  registry_start
  local layout=$WORK/src
  mkdir "$layout"
  printf '%s' '{"config":{"Entrypoint":["/bin/sh","-c"],"Cmd":["id -un; pwd; echo $GREETING"],
      "Env":["PATH=/bin","GREETING=pulled"],"WorkingDir":"/home/app","User":"app"},
    "layers":[{"busybox":true},{"entries":[
      {"name":"etc/passwd","data":"root:x:0:0::/root:/bin/sh\napp:x:1001:1001::/home/app:/bin/sh\n"},
      {"name":"etc/group","data":"root:x:0:\napp:x:1001:\n"},
      {"name":"data/old","data":"old"}]}]}' >"$WORK/src.json"
  python3 "$SKIFF_SRCDIR/tests/image/mklayers.py" "$layout" app "$WORK/src.json" >/dev/null
  push_image "$layout:app" test/app:1
  simg pull -q --tls-verify=false "$REGISTRY/test/app:1"

  run simg run --rm "$REGISTRY/test/app:1"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf 'app\n/home/app\npulled')" ]

  run simg run --name c -u root "$REGISTRY/test/app:1" 'rm -rf /data; echo added >/added'
  [ "$status" -eq 0 ]
  simg commit c "$REGISTRY/test/app:2" >/dev/null
  simg push --tls-verify=false "$REGISTRY/test/app:2"
  skopeo copy -q --src-tls-verify=false "docker://$REGISTRY/test/app:2" "oci:$WORK/pulled:x"
  umoci unpack --image "$WORK/pulled:x" "$WORK/umoci"
  [ "$(cat "$WORK/umoci/rootfs/added")" = added ]
  [ ! -e "$WORK/umoci/rootfs/data" ]
  [ "$(jq -r .process.cwd "$WORK/umoci/config.json")" = /home/app ]
}

@test "a failed create leaves nothing: no mount, no container, a clear error" {
  make_app_image
  run simg create -u nobody app true
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"user \`nobody\`: not found in the image's /etc/passwd"* ]]
  [ "$(mounted_overlays)" -eq 0 ]
  [ -z "$(ls -A "$STORE/containers")" ]
  simg create --name taken app true
  run simg create --name taken app true
  [ "$status" -ne 0 ]
  [[ "$output" == *"the name \`taken\` is in use"* ]]
  [ "$(ls "$STORE/containers" | wc -l)" -eq 1 ]
}

@test "a 120-layer image runs" {
  local spec='{"config":{"Cmd":["/bin/cat","/l1","/l60","/l120"]},"layers":[{"busybox":true,"entries":[{"name":"l1","data":"layer 1\n"}]}' i
  for i in $(seq 2 119); do
    spec="$spec,{\"entries\":[{\"name\":\"l$i\",\"data\":\"layer $i\\n\"}]}"
  done
  spec="$spec,{\"entries\":[{\"name\":\"l120\",\"data\":\"layer 120\\n\"},{\"name\":\".wh.l60\",\"data\":\"\"}],\"compression\":\"none\"}]}"
  make_image deep "$spec"
  run simg run --rm deep
  echo "$output"
  [ "$status" -ne 0 ] # /l60 was whited out by the top layer
  [ "${lines[0]}" = "layer 1" ]
  [[ "$output" == *"/l60"* ]]
  [ "${lines[-1]}" = "layer 120" ]
  [ "$(ls "$STORE/layers" | wc -l)" -eq 120 ]
}

# pty_run PROGRAM ARGS...: runs PROGRAM on a new pseudo-terminal, types
# one line into it, prints what it wrote (\r\n as \n), exits with its status.
pty_run() {
  python3 - "$@" <<'PY'
import os, pty, sys
pid, fd = pty.fork()
if pid == 0:
    os.execv(sys.argv[1], sys.argv[1:])
os.write(fd, b"typed\n")
out = b""
while True:
    try:
        d = os.read(fd, 4096)
    except OSError:  # EIO: the last writer closed the terminal
        break
    if not d:
        break
    out += d
_, st = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors="replace").replace("\r\n", "\n"))
sys.exit(os.waitstatus_to_exitcode(st))
PY
}

@test "run -t gives the process a terminal, -i passes stdin" {
  make_app_image
  # Without -i the process reads nothing; with it, what we pipe.
  out=$(echo piped | simg run --rm -u root app 'read l; echo "got:$l"; [ -t 0 ] || echo notty')
  [ "$out" = "got:
notty" ]
  out=$(echo piped | simg run --rm -i -u root app 'read l; echo "got:$l"; [ -t 0 ] || echo notty')
  [ "$out" = "got:piped
notty" ]
  # -t -i: stdin, stdout and stderr are the container's terminal, a pts
  # of its own devpts, and a line typed on ours reaches the process.
  run pty_run "$SKIFF_IMAGE" --root "$STORE" run --rm -t -i -u root app \
    '[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo tty:$(tty); grep " /dev/pts " /proc/self/mountinfo | wc -l; read l; echo "got:$l"'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"tty:/dev/pts/"* ]]
  [[ "$output" == *$'\n1\n'* ]]
  [[ "$output" == *"got:typed"* ]]
}

# wait_exited NAME: until ps -a says NAME exited (10 s at most).
wait_exited() {
  local i
  for ((i = 0; i < 100; i++)); do
    [ "$(simg ps -a --format json | jq -r --arg n "$1" '.[] | select(.Name == $n) | .State')" = exited ] && return 0
    sleep 0.1
  done
  return 1
}

@test "ps -a shows the exit code of a detached container, recorded by its monitor" {
  make_app_image
  # The command substitution returns at once: the monitor holds none of
  # our output.  Each run exits with a code of its own.
  name=$(timeout 10 "$SKIFF_IMAGE" --root "$STORE" run -d --name d -u root app \
    'n=$(cat /runs 2>/dev/null || echo 0); echo $((n + 1)) >/runs; sleep 0.5; [ $n -lt 2 ] || sleep 100; exit $((n + 3))')
  [ "$name" = d ]
  wait_exited d
  run simg ps -a
  echo "$output"
  [[ "${lines[1]}" == d\ *"Exited (3) "*" ago"* ]]
  [ "$(simg ps -a --format json | jq '.[0].ExitCode')" -eq 3 ]
  # The record keeps it; the monitor is gone (its lock is free), and
  # cleaned up after the container: no mount, no runtime state.
  id=$(simg ps -a --format json | jq -r '.[0].Id')
  dir=$STORE/containers/$id
  [ "$(jq .exitCode "$dir/container.json")" -eq 3 ]
  flock -n "$dir/monitor.lock" true
  [ "$(mounted_overlays)" -eq 0 ]
  [ ! -e "$STORE/runtime/$id" ]

  # Started again: this run's code, not the last one's.
  simg start d
  wait_exited d
  [ "$(simg ps -a --format json | jq '.[0].ExitCode')" -eq 4 ]

  # Killed by a signal (this run sleeps): 128 + its number, as a shell
  # reports it.
  simg start d
  simg kill -s KILL d
  wait_exited d
  [[ "$(simg ps -a --format json | jq -r '.[0].Status')" == "Exited (137) "* ]]
  run simg rm d
  [ "$status" -eq 0 ]
}

# wait_gone NAME: polls `ps -a` (10 s at most) until NAME is not listed.
wait_gone() {
  local i
  for ((i = 0; i < 100; i++)); do
    simg ps -a --format json | jq -e --arg n "$1" 'any(.[]; .Name == $n)' >/dev/null || return 0
    sleep 0.1
  done
  return 1
}

# nothing_left ID: no record, mount, runtime state or cgroup of ID.
nothing_left() {
  local cg
  cg=/sys/fs/cgroup/unified$(sed -n 's/^0:://p' /proc/self/cgroup)
  [ ! -e "$STORE/containers/$1" ]
  [ ! -e "$STORE/runtime/$1" ]
  [ ! -e "$cg/skiff-$1" ]
  ! grep -q " $STORE/" /proc/self/mountinfo
}

@test "run --rm -d: the monitor removes the container when it exits; stop, kill and rm -f leave nothing either" {
  make_app_image
  run simg run --rm -d --name brief -u root app 'echo out; sleep 4'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = brief ]
  id=$(simg ps --format json | jq -r '.[] | select(.Name == "brief") | .Id')
  [ -n "$id" ]
  [ "$(jq .autoremove "$STORE/containers/$id/container.json")" = true ]
  # Until it is gone, `ps -a` shows it running, never exited.
  for ((i = 0; i < 100; i++)); do
    run simg ps -a
    [ "$status" -eq 0 ]
    [[ "$output" != *Exited* ]]
    [[ "$output" == *brief*Up* ]] || break
    sleep 0.1
  done
  wait_gone brief
  nothing_left "$id"
  [ -z "$(ls -A "$STORE/containers")" ]

  # A long one: stop (sh as pid 1 ignores the image's SIGUSR1: SIGKILL
  # after 1 s), kill, rm -f.
  for how in stop kill rm; do
    run simg run --rm -d --name "long-$how" app 'sleep 100'
    [ "$status" -eq 0 ]
    id=$(simg ps --format json | jq -r --arg n "long-$how" '.[] | select(.Name == $n) | .Id')
    [ -n "$id" ]
    case $how in
      stop) run simg stop -t 1 long-stop ;;
      kill) run simg kill long-kill ;;
      rm) run simg rm -f long-rm ;;
    esac
    echo "$how: $output"
    [ "$status" -eq 0 ]
    [ "$output" = "long-$how" ]
    # stop and rm -f return once it is gone; kill only signals it.
    [ "$how" = kill ] || [ -z "$(simg ps -a --format json | jq -r '.[].Name')" ]
    wait_gone "long-$how"
    nothing_left "$id"
  done
  run simg rm long-rm
  [ "$status" -ne 0 ]
  [[ "$output" == *"no such container"* ]]
}

@test "create --rm: start -a removes the container after it ran, a detached start through its monitor" {
  make_app_image
  simg create --rm --name once app 'echo ran once'
  [[ "$(simg ps -a | grep ^once)" == *Created* ]]
  id=$(simg ps -a --format json | jq -r '.[0].Id')
  run simg start -a once
  [ "$status" -eq 0 ]
  [ "$output" = "ran once" ]
  [ -z "$(simg ps -a --format json | jq -r '.[].Name')" ]
  nothing_left "$id"

  simg create --rm --name later app 'exit 3'
  id=$(simg ps -a --format json | jq -r '.[0].Id')
  [ "$(simg start later)" = later ]
  wait_gone later
  nothing_left "$id"
}

@test "diff and commit leave out the mount points the runtime made where the image had none" {
  make_app_image
  mkdir "$WORK/vol"
  # -w /: the image's WorkingDir is missing, and made (and shown) at create.
  run simg run --name fresh -u root -w / -v "$WORK/vol:/mnt/deep/vol" app 'ls -d /proc/1 /mnt/deep/vol'
  echo "$output"
  [ "$status" -eq 0 ]
  # The runtime made them in the container's upper directory...
  dir=$STORE/containers/$(simg ps -a --format json | jq -r '.[0].Id')
  [ -d "$dir/upper/proc" ] && [ -d "$dir/upper/dev" ] && [ -d "$dir/upper/sys" ]
  [ -d "$dir/upper/mnt/deep/vol" ]
  # ...but the container changed nothing.
  run simg diff fresh
  echo "$output"
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  simg commit fresh fresh:1
  blob=$STORE/oci/blobs/sha256/$(simg inspect fresh:1 | jq -r '.[0].Layers[-1].Digest | ltrimstr("sha256:")')
  [ -z "$(tar -tzf "$blob")" ]
  run simg run --rm -u root -w / fresh:1 'ls -d /proc/1'
  [ "$status" -eq 0 ]

  # A file written in such a directory is a change, and so are the
  # directories that hold it; the empty mount point stays out.
  run simg run --name wrote -u root -w / -v "$WORK/vol:/mnt/deep/vol" app 'echo x >/mnt/deep/f'
  [ "$status" -eq 0 ]
  run simg diff wrote
  echo "$output"
  [ "$(echo "$output" | xargs)" = "A /mnt A /mnt/deep A /mnt/deep/f" ]
  simg commit wrote wrote:1
  blob=$STORE/oci/blobs/sha256/$(simg inspect wrote:1 | jq -r '.[0].Layers[-1].Digest | ltrimstr("sha256:")')
  [ "$(tar -tzf "$blob" | xargs)" = "mnt/ mnt/deep/ mnt/deep/f" ]
}

@test "commit pauses a running container while it reads its changes, unless --pause=false" {
  make_app_image
  mkdir "$WORK/vol"
  simg run -d --name busy -u root -w / -v "$WORK/vol:/vol" app \
    'i=0; while :; do i=$((i + 1)); echo $i >>/count; echo $i >>/vol/ticks; sleep 0.01; done'
  id=$(simg ps --format json | jq -r '.[0].Id')
  for ((i = 0; i < 100; i++)); do [ -s "$WORK/vol/ticks" ] && break; sleep 0.1; done
  # skiff, logging the commands it gets (after --root DIR) and, when told
  # to resume, whether the container wrote meanwhile.
  cat >"$WORK/rt" <<SH
#!/bin/sh
echo "\$3 \$4" >>"$WORK/rt.log"
if [ "\$3" = resume ]; then
  a=\$(stat -c %s "$WORK/vol/ticks"); sleep 0.3; b=\$(stat -c %s "$WORK/vol/ticks")
  echo "while paused: \$a \$b" >>"$WORK/rt.log"
fi
exec "$SKIFF" "\$@"
SH
  chmod +x "$WORK/rt"
  run "$SKIFF_IMAGE" --root "$STORE" --runtime "$WORK/rt" commit busy snap:1
  cat "$WORK/rt.log"
  [ "$status" -eq 0 ]
  [ "$(grep -v '^state ' "$WORK/rt.log" | cut -d' ' -f1 | xargs)" = "pause resume while" ]
  grep -qx "pause $id" "$WORK/rt.log"
  grep -qx "resume $id" "$WORK/rt.log"
  read -r _ _ a b < <(grep "^while paused: " "$WORK/rt.log")
  [ "$a" -eq "$b" ]
  # Thawed: it writes on.
  a=$(stat -c %s "$WORK/vol/ticks")
  for ((i = 0; i < 50; i++)); do [ "$(stat -c %s "$WORK/vol/ticks")" -gt "$a" ] && break; sleep 0.1; done
  [ "$(stat -c %s "$WORK/vol/ticks")" -gt "$a" ]
  [ "$(simg ps --format json | jq -r '.[0].State')" = running ]
  # What it wrote before the pause is in the image (the line being written
  # when it was frozen may be cut).
  run simg run --rm -u root -w / snap:1 'cat /count'
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1 ]

  : >"$WORK/rt.log"
  run "$SKIFF_IMAGE" --root "$STORE" --runtime "$WORK/rt" commit --pause=false busy snap:2
  [ "$status" -eq 0 ]
  ! grep -v '^state ' "$WORK/rt.log"
  run simg commit --pause=maybe busy snap:3
  [ "$status" -eq 2 ]
  simg rm -f busy
}

@test "a layer's diff id and size are recorded when it is first extracted, for images and ps -s" {
  make_app_image
  [ -z "$(ls -A "$STORE/layerinfo")" ]
  simg create --name c app true
  manifest=$(layout_manifest "$STORE/oci" docker.io/library/app:latest)
  config=$STORE/oci/blobs/sha256/$(echo "$manifest" | jq -r '.config.digest | ltrimstr("sha256:")')
  n=$(echo "$manifest" | jq '.layers | length')
  [ "$n" -eq 2 ]
  [ "$(ls "$STORE/layerinfo" | wc -l)" -eq "$n" ]
  for ((i = 0; i < n; i++)); do
    hex=$(echo "$manifest" | jq -r ".layers[$i].digest | ltrimstr(\"sha256:\")")
    expected="$(jq -r ".rootfs.diff_ids[$i]" "$config") $(gzip -dc "$STORE/oci/blobs/sha256/$hex" | wc -c)"
    [ "$(cat "$STORE/layerinfo/$hex")" = "$expected" ]
  done
}

@test "exec runs a command in a running container: its env, user and workdir, the overrides, the exit status" {
  make_app_image
  run simg run -d --name web app 'while :; do sleep 0.2; done'
  [ "$status" -eq 0 ]
  # The container's Env, User and WorkingDir, as podman exec keeps them.
  run simg exec web sh -c 'id -u; pwd; echo FOO=$FOO'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "1001
/srv/app
FOO=image" ]
  run simg exec -e FOO=exec -e BAR=2 -u root -w /tmp web sh -c 'id -u; pwd; echo FOO=$FOO BAR=$BAR'
  [ "$output" = "0
/tmp
FOO=exec BAR=2" ]
  # A user by name, from the container's /etc/passwd.
  run simg exec -u app:root web id
  [[ "$output" == "uid=1001(app) gid=0(root)"* ]]
  # The process's exit status is exec's; it runs in the container's
  # namespaces and sees its writes.
  simg exec -u root web sh -c 'echo mark > /tmp/from-exec'
  run simg exec web sh -c 'cat /tmp/from-exec; exit 7'
  [ "$status" -eq 7 ]
  [ "$output" = mark ]
  [ "$(simg exec web readlink /proc/1/ns/pid)" = "$(simg exec web readlink /proc/self/ns/pid)" ]
  # -i passes stdin; without it the process reads nothing.
  [ "$(echo piped | simg exec -i web sh -c 'read l; echo got:$l')" = got:piped ]
  [ "$(echo piped | simg exec web sh -c 'read l; echo got:$l')" = got: ]
  # -d returns at once; the process goes on in the container.
  run simg exec -d -u root web sh -c 'sleep 0.5; echo late > /tmp/detached'
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  for _ in $(seq 50); do
    [ "$(simg exec web cat /tmp/detached 2>/dev/null)" = late ] && break
    sleep 0.1
  done
  [ "$(simg exec web cat /tmp/detached)" = late ]
  # -t -i: a terminal of the container's devpts.
  run pty_run "$SKIFF_IMAGE" --root "$STORE" exec -t -i web sh -c '[ -t 0 ] && [ -t 1 ] && echo tty:$(tty); read l; echo "got:$l"'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"tty:/dev/pts/"* ]]
  [[ "$output" == *"got:typed"* ]]
}

@test "exec refuses a container that is not running, an unknown one and a missing command" {
  make_app_image
  simg create --name idle app >/dev/null
  run simg exec idle true
  [ "$status" -eq 1 ]
  [ "$output" = "skiff-image: exec: container idle is not running" ]
  run simg exec nosuch true
  [ "$status" -eq 1 ]
  [[ "$output" == *"nosuch"* ]]
  run simg exec idle
  [ "$status" -eq 2 ]
  [[ "$output" == *"want NAME and a command"* ]]
  run simg exec -u nobody-here idle true
  [ "$status" -eq 1 ]
}

@test "logs prints what a detached container wrote; -f follows it until it exits" {
  make_app_image
  simg create --name quiet app >/dev/null
  run simg logs quiet
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  run simg run -d --name talker app 'echo one; echo err >&2; sleep 1; echo two'
  [ "$status" -eq 0 ]
  # -f returns when the container exits, with everything it wrote.
  run timeout 20 "$SKIFF_IMAGE" --root "$STORE" logs -f talker
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "one
err
two" ]
  run simg logs talker
  [ "$output" = "one
err
two" ]
  run simg logs nosuch
  [ "$status" -eq 1 ]
  [[ "$output" == *"nosuch"* ]]
}
