#!/usr/bin/env bats
# podman 4.3 + conmon driving skiff as their OCI runtime, the way they drive
# runc: run, run -d, exec, logs, stop, kill, rm, terminals, exit codes.
#
# Everything podman owns lives under one temp dir (storage with the vfs
# driver, runroot, tmpdir, network config, containers.conf), the image is
# imported from our test rootfs (no registry), containers get no network
# but loopback.  podman runs inside a private mount namespace whose
# /sys/fs/cgroup is the cgroup2 hierarchy alone: on this hybrid host podman
# and conmon would otherwise create cgroups in the v1 hierarchies.

load helpers
bats_require_minimum_version 1.5.0

IMAGE=localhost/skiff-test:latest

# Install podman/conmon when missing (CI is a fresh Debian machine, as root);
# skip the file when that is impossible.
_ensure_podman() {
  command -v podman >/dev/null && command -v conmon >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    DEBIAN_FRONTEND=noninteractive timeout 600 apt-get install -y -qq --no-install-recommends \
      podman conmon >/dev/null 2>&1 || true
  fi
  command -v podman >/dev/null && command -v conmon >/dev/null
}

setup_file() {
  client_cgroups_snapshot libpod_parent
  _ensure_podman || skip "podman and conmon are not installed (apt-get install -y podman conmon)"
  command -v nsenter >/dev/null || skip "nsenter is not installed (util-linux)"

  PM=$(mktemp -d /tmp/skiff-podman.XXXXXX)
  export PM
  mkdir -p "$PM/tmp" "$PM/net"
  # Without CAP_SYS_RESOURCE (as on these machines) podman's default rlimits
  # (nofile 1048576, nproc max) are above the hard limits and fail the
  # create with any runtime: ask for ones we can grant.
  cat >"$PM/containers.conf" <<EOF
[containers]
log_driver = "k8s-file"
netns = "none"
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$PM/events.log"
tmp_dir = "$PM/tmp"
# podman passes --cgroup-manager disabled only to runtimes listed here
# (containers-common 0.50, podman 4.3, reads the key without the final s).
runtime_supports_nocgroup = ["crun", "krun", "skiff"]
[engine.runtimes]
skiff = ["$SKIFF"]
[network]
network_config_dir = "$PM/net"
EOF
  export CONTAINERS_CONF=$PM/containers.conf

  # The namespace holder: a sleeping process whose mount namespace has
  # cgroup2 on /sys/fs/cgroup; every podman command enters it.
  unshare -m --propagation private sh -c \
    'mount -t cgroup2 none /sys/fs/cgroup && exec sleep 100000' </dev/null >/dev/null 2>&1 3>&- &
  PM_HOLDER=$!
  export PM_HOLDER
  echo "$PM_HOLDER" >"$PM/holder.pid"
  local i
  for ((i = 0; i < 50; i++)); do
    [ "$(nsenter -t "$PM_HOLDER" -m stat -f -c %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ] && break
    sleep 0.1
  done

  # The image: our test rootfs (busybox + payload), imported from a tarball.
  local t=$PM/template
  _skiff_build_template "$t"
  tar -C "$t/rootfs" -c . | pm import - "$IMAGE" >/dev/null
}

teardown_file() {
  [ -n "${PM:-}" ] || return 0
  pm rm --all --force --time 0 >/dev/null 2>&1 || true
  if [ -n "${PM_HOLDER:-}" ]; then
    kill "$PM_HOLDER" 2>/dev/null || true
    wait "$PM_HOLDER" 2>/dev/null || true
  fi
  rm -rf --one-file-system "$PM"
  remove_client_cgroups libpod_parent
}

setup() {
  [ -n "${PM:-}" ] || skip "podman setup failed"
}

teardown() {
  pm rm --all --force --time 0 >/dev/null 2>&1 || true
}

# podman with skiff ($SKIFF, by its name in containers.conf) as the
# runtime, all state under $PM.
pm() {
  nsenter -t "$PM_HOLDER" -m -- podman --root "$PM/root" --runroot "$PM/runroot" \
    --storage-driver vfs --runtime skiff "$@"
}

@test "podman: run --rm prints the container's output" {
  run pm run --rm "$IMAGE" /bin/skiff-test-helper echo hello from podman
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "hello from podman" ]
}

@test "podman: the container's exit status is podman's" {
  run pm run --rm "$IMAGE" /bin/skiff-test-helper exit 42
  [ "$status" -eq 42 ]
}

@test "podman: a missing executable gives 127, a non-executable one 126" {
  run -127 pm run --rm "$IMAGE" /no/such/binary
  echo "$output"
  [ "$status" -eq 127 ]
  run -126 pm run --rm "$IMAGE" /etc/passwd
  echo "$output"
  [ "$status" -eq 126 ]
}

@test "podman: stdin is passed through with -i" {
  output=$(echo "piped in" | pm run --rm -i "$IMAGE" /bin/cat)
  [ "$output" = "piped in" ]
}

@test "podman: -t gives the process a terminal" {
  run pm run --rm -t "$IMAGE" /bin/skiff-test-helper pty
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"isatty=1"* ]]
  [[ "$output" == *"ttyname=/dev/pts/"* ]]
}

@test "podman: user, env, workdir and hostname reach the process" {
  run pm run --rm --user 1000:1000 -e FOO=bar -w /tmp --hostname podhost "$IMAGE" \
    /bin/sh -c '/bin/skiff-test-helper ids; /bin/skiff-test-helper env; /bin/skiff-test-helper cwd; /bin/skiff-test-helper hostname'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"uid=1000 gid=1000"* ]]
  [[ "$output" == *"FOO=bar"* ]]
  [[ "$output" == *$'\n/tmp\n'* ]]
  [ "${lines[-1]}" = "podhost" ]
}

@test "podman: --cap-drop all and --read-only are applied" {
  run pm run --rm --cap-drop all --read-only "$IMAGE" \
    /bin/sh -c '/bin/skiff-test-helper caps; /bin/skiff-test-helper write /etc/x y'
  echo "$output"
  [[ "$output" == *"CapEff:"*"0000000000000000"* ]]
  [[ "$output" == *"Read-only file system"* ]]
}

@test "podman: --cgroups=disabled runs without a cgroup of its own" {
  run pm run --rm --cgroups=disabled "$IMAGE" /bin/cat /proc/self/cgroup
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" != *libpod* ]]
}

@test "podman: the container gets its own cgroup by default" {
  run pm run --rm "$IMAGE" /bin/cat /proc/self/cgroup
  echo "$output"
  [ "$status" -eq 0 ]
  # A cgroup namespace: the container sees itself at the root.
  [[ "$output" == *"0::/"* ]]
}

@test "podman: only loopback in the container's network namespace" {
  run pm run --rm "$IMAGE" /bin/cat /proc/net/dev
  echo "$output"
  [ "$status" -eq 0 ]
  # Interface lines are `NAME: counters...`: lo only.
  [ "$(echo "$output" | grep -cE '^ *[^ |]+: +[0-9]')" -eq 1 ]
  [[ "$output" == *" lo: "* ]]
}

@test "podman: run -d, exec, logs, stop, rm" {
  run pm run -d --name skiff-pm1 "$IMAGE" \
    /bin/sh -c 'echo started; exec /bin/skiff-test-helper sleep 1000'
  echo "$output"
  [ "$status" -eq 0 ]

  run pm inspect --format '{{.State.Status}} {{.State.Pid}}' skiff-pm1
  echo "$output"
  [[ "$output" == "running "* ]]
  pid=${output#running }
  [ "$pid" -gt 0 ]
  # The pid podman reports is the container's process, on the host.
  [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == *"skiff-test-helper sleep 1000"* ]]

  run pm exec skiff-pm1 /bin/skiff-test-helper echo from exec
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "from exec" ]

  # exec joins the container: same pid namespace, not pid 1.
  run pm exec skiff-pm1 /bin/skiff-test-helper pid
  [ "$status" -eq 0 ]
  [[ "$output" == pid=* ]]
  [[ "$output" != "pid=1 "* ]]

  run pm exec skiff-pm1 /bin/skiff-test-helper exit 7
  [ "$status" -eq 7 ]

  run pm logs skiff-pm1
  [[ "$output" == *started* ]]

  run pm stop --time 1 skiff-pm1
  echo "$output"
  [ "$status" -eq 0 ]
  run pm inspect --format '{{.State.Status}}' skiff-pm1
  [ "$output" = "exited" ]
  # The payload is pid 1 of its pid namespace and has no SIGTERM handler,
  # so the kernel drops SIGTERM: podman falls back to SIGKILL (as with runc).
  run pm inspect --format '{{.State.ExitCode}}' skiff-pm1
  [ "$output" = "137" ]

  run pm rm skiff-pm1
  [ "$status" -eq 0 ]
  run pm ps -a --format '{{.Names}}'
  [[ "$output" != *skiff-pm1* ]]
}

@test "podman: kill sends the signal to the container's process" {
  run pm run -d --name skiff-pm2 "$IMAGE" /bin/skiff-test-helper sleep 1000
  [ "$status" -eq 0 ]
  run pm kill --signal KILL skiff-pm2
  echo "$output"
  [ "$status" -eq 0 ]
  run pm wait skiff-pm2
  [ "$output" = "137" ]
}

@test "podman: start a stopped container again" {
  run pm create --name skiff-pm3 "$IMAGE" /bin/skiff-test-helper echo again
  [ "$status" -eq 0 ]
  # (the runtime's warnings, if any, come first on podman's stderr)
  run pm start --attach skiff-pm3
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "again" ]
  run pm start --attach skiff-pm3
  [ "$status" -eq 0 ]
  [ "${lines[-1]}" = "again" ]
}

@test "podman: pause and unpause" {
  run pm run -d --name skiff-pm4 "$IMAGE" /bin/skiff-test-helper sleep 1000
  [ "$status" -eq 0 ]
  run pm pause skiff-pm4
  echo "$output"
  [ "$status" -eq 0 ]
  run pm inspect --format '{{.State.Status}}' skiff-pm4
  [ "$output" = "paused" ]
  run pm unpause skiff-pm4
  [ "$status" -eq 0 ]
  run pm inspect --format '{{.State.Status}}' skiff-pm4
  [ "$output" = "running" ]
}
