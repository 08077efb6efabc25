#!/usr/bin/env bats
# Container escapes attempted from inside real containers: the host skiff
# binary through /proc/self/exe (CVE-2019-5736), host fds and cwd leaking
# into the container (CVE-2024-21626), mount/device/mask targets
# redirected by symlinks (CVE-2021-30465), masked /proc and /sys, `exec`
# bypassing the container's confinement, signals and ptrace to the host.

load helpers

setup() {
  setup_bundle
  VICTIM=
}

teardown() {
  teardown_bundle
  [ -z "$VICTIM" ] || rm -f "$VICTIM"
}

# The /proc/self/exe attacks run against a copy of skiff: if the runtime
# were vulnerable, the test destroys the copy, not the build.
make_victim() {
  VICTIM=$(mktemp /tmp/skiff-victim.XXXXXX)
  cp "$SKIFF" "$VICTIM"
  chmod 755 "$VICTIM"
  "$VICTIM" --version >/dev/null
  VICTIM_SHA=$(sha256sum "$VICTIM" | cut -d' ' -f1)
}

victim() {
  "$VICTIM" --root "$ROOT" "$@"
}

victim_unchanged() {
  [ "$(sha256sum "$VICTIM" | cut -d' ' -f1)" = "$VICTIM_SHA" ] || {
    echo "the host skiff binary was modified from the container" >&2
    head -c 64 "$VICTIM" | od -c | head -3 >&2
    return 1
  }
}

# Give the rootfs what a glibc image has (the dynamic loader and skiff's
# libraries, so the host skiff binary can really run inside), plus the
# attacker's LD_PRELOAD library.
arm_rootfs() {
  require_cmd cc ldd
  local f r=$BUNDLE/rootfs
  for f in $(ldd "$VICTIM" | grep -o '/[^ ]*'); do
    mkdir -p "$r$(dirname "$f")"
    cp -L "$f" "$r$f"
  done
  cc -shared -fPIC -o "$r/evil.so" "$BATS_TEST_DIRNAME/escape-preload.c"
  update_config '.process.env += ["LD_PRELOAD=/evil.so"] | .root.readonly = false'
}

# Wait until the container wrote its attack report (or SECS pass).
wait_report() {
  local i
  for ((i = 0; i < ${1:-80}; i++)); do
    [ -s "$BUNDLE/rootfs/attack.out" ] && grep -q -E 'errno|written' "$BUNDLE/rootfs/attack.out" && break
    sleep 0.1
  done
  cat "$BUNDLE/rootfs/attack.out" 2>/dev/null || true
}

# ---- 1. the host binary through /proc/self/exe -------------------------

@test "escape: a #!/proc/self/exe entrypoint cannot reach the host skiff binary" {
  make_victim
  arm_rootfs
  printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil.sh"
  chmod 755 "$BUNDLE/rootfs/evil.sh"
  set_args /evil.sh
  run victim run -d -b "$BUNDLE" ct1
  echo "$output"
  # Detached: the runtime has exited, so the binary is no longer busy
  # (ETXTBSY) and an fd on it would be writable by now.
  run wait_report 30
  echo "report: $output"
  [[ "$output" != *written* ]]
  victim_unchanged
  # Foreground, to see what the script's interpreter really was: skiff's
  # sealed exec stub, which refuses to run as anything but skiff's.
  run victim run -b "$BUNDLE" ct2
  echo "$output"
  [ "$status" -eq 126 ]
  [[ "$output" == *"exec stub"* ]]
  [ ! -e "$BUNDLE/rootfs/attack.out" ]
  victim_unchanged
}

@test "escape: a symlink to /proc/self/exe as the entrypoint cannot reach the host skiff binary" {
  make_victim
  arm_rootfs
  ln -s /proc/self/exe "$BUNDLE/rootfs/evil"
  set_args /evil
  run victim run -d -b "$BUNDLE" ct1
  echo "$output"
  run wait_report 30
  echo "report: $output"
  [[ "$output" != *written* ]]
  [ ! -e "$BUNDLE/rootfs/attack.out" ]
  victim_unchanged
}

@test "escape: exec of a #!/proc/self/exe script cannot reach the host skiff binary" {
  make_victim
  arm_rootfs
  printf '#!/proc/self/exe\n' >"$BUNDLE/rootfs/evil.sh"
  chmod 755 "$BUNDLE/rootfs/evil.sh"
  update_config '.process.env -= ["LD_PRELOAD=/evil.so"]'
  set_args /bin/skiff-test-helper sleep 30
  victim run -d -b "$BUNDLE" ct1
  run victim exec -d --env LD_PRELOAD=/evil.so ct1 /evil.sh
  echo "$output"
  run wait_report 30
  echo "report: $output"
  [[ "$output" != *written* ]]
  [ ! -e "$BUNDLE/rootfs/attack.out" ]
  victim state ct1 | jq -c '{status, pid}'
  run victim exec --env LD_PRELOAD=/evil.so ct1 /evil.sh
  echo "$output"
  [ "$status" -eq 126 ]
  [[ "$output" == *"exec stub"* ]]
  victim_unchanged
}

@test "escape: a process in a created container cannot open the waiting runtime's /proc/1/exe" {
  make_victim
  set_args /bin/skiff-test-helper sleep 10
  update_config '.root.readonly = false'
  victim create -b "$BUNDLE" ct1
  # pid 1 is still the runtime (exe = host skiff) waiting for `start`.
  victim exec -d ct1 /bin/sh -c '/bin/skiff-test-helper exe-attack /proc/1/exe 5 >/attack.out'
  sleep 0.5
  victim state ct1 | jq -c '{status, pid}'
  victim start ct1
  run wait_report 70
  echo "report: $output"
  [[ "$output" == "open errno=13" ]]
  victim_unchanged
}

# ---- 2. host fds and cwd ------------------------------------------------

# The fd numbers the payload `fds` printed, space-separated.
fd_numbers() {
  echo "$1" | grep -E '^[0-9]+ -> ' | cut -d' ' -f1 | tr '\n' ' '
}

@test "escape: run and exec see only stdio, not the caller's inherited fds" {
  set_args /bin/skiff-test-helper fds
  # fd 3 is bats' own (not close-on-exec), 7 and 8 are ours.
  run skiff run -b "$BUNDLE" ct1 7</etc/hostname 8<"$BUNDLE"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(fd_numbers "$output")" = "0 1 2 " ]
  set_args /bin/skiff-test-helper sleep 30
  skiff run -d -b "$BUNDLE" ct2
  run skiff exec ct2 /bin/skiff-test-helper fds 7</etc/hostname 8<"$BUNDLE"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(fd_numbers "$output")" = "0 1 2 " ]
}

@test "escape: --preserve-fds passes exactly the fds it covers" {
  set_args /bin/skiff-test-helper fds
  run skiff run --preserve-fds 1 -b "$BUNDLE" ct1 3</etc/hostname 7</etc/hostname
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(fd_numbers "$output")" = "0 1 2 3 " ]
  [[ "$output" == *"3 -> /etc/hostname"* ]]
  set_args /bin/skiff-test-helper sleep 30
  skiff run -d -b "$BUNDLE" ct2
  run skiff exec --preserve-fds 1 ct2 /bin/skiff-test-helper fds 3</etc/hostname 7</etc/hostname
  echo "$output"
  [ "$(fd_numbers "$output")" = "0 1 2 3 " ]
}

@test "escape: the container's and exec's cwd is inside the container" {
  update_config '.process.cwd = "/tmp"'
  set_args /bin/sh -c 'readlink /proc/self/cwd; /bin/skiff-test-helper cwd'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "$(printf '/tmp\n/tmp')" ]
  set_args /bin/skiff-test-helper sleep 30
  skiff run -d -b "$BUNDLE" ct2
  run skiff exec --cwd /var ct2 /bin/sh -c 'readlink /proc/self/cwd; /bin/skiff-test-helper cwd'
  echo "$output"
  [ "$output" = "$(printf '/var\n/var')" ]
}

# process.cwd /proc/self/fd/N resolves through whatever the runtime has open
# when it changes directory: internal dir fds (cgroup, state dir) or a
# caller's fd (7 here, a host dir holding a marker).  Each must fail or
# stay inside the container.
@test "escape: process.cwd /proc/self/fd/N cannot reach a host directory (run and exec)" {
  local n hostdir
  hostdir=$(mktemp -d /tmp/skiff-hostdir.XXXXXX)
  touch "$hostdir/host-marker"
  set_args /bin/sh -c 'echo "cwd=$(readlink /proc/self/cwd)"; ls -a; ls ../../..'
  for n in 3 4 5 6 7 8 9 10 11 12; do
    update_config '.process.cwd = $c' --arg c "/proc/self/fd/$n"
    run skiff run -b "$BUNDLE" "ct$n" 7<"$hostdir"
    echo "run N=$n status=$status: $output"
    if [ "$status" -eq 0 ]; then
      [[ "$output" == *"cwd=/"* ]]
    fi
    [[ "$output" != *host-marker* && "$output" != *cgroup.procs* && "$output" != *unreachable* ]]
    [[ "$output" != *"$(basename "$ROOT")"* && "$output" != *state.json* ]]
  done
  update_config '.process.cwd = "/"'
  set_args /bin/skiff-test-helper sleep 30
  skiff run -d -b "$BUNDLE" ctx
  for n in 3 4 5 6 7 8 9 10 11 12; do
    run skiff exec --cwd "/proc/self/fd/$n" ctx /bin/sh -c 'echo "cwd=$(readlink /proc/self/cwd)"; ls -a; ls ../../..' 7<"$hostdir"
    echo "exec N=$n status=$status: $output"
    if [ "$status" -eq 0 ]; then
      [[ "$output" == *"cwd=/"* ]]
    fi
    [[ "$output" != *host-marker* && "$output" != *cgroup.procs* && "$output" != *unreachable* ]]
    [[ "$output" != *state.json* ]]
  done
  rm -rf "$hostdir"
}

@test "escape: the runtime waiting in a created container hides its fds and cwd" {
  set_args /bin/skiff-test-helper sleep 10
  skiff create -b "$BUNDLE" ct1
  # Non-dumpable until it execs: its fd numbers may be listed, but none can
  # be followed (one of them is the host cgroup directory).
  run skiff exec ct1 /bin/sh -c 'for f in /proc/1/fd/*; do
      if readlink "$f" >/dev/null 2>&1 || ls "$f/" >/dev/null 2>&1; then echo "followed $f"; else echo denied; fi
    done
    ls /proc/1/cwd/ >/dev/null 2>&1 && echo "followed cwd"
    readlink /proc/1/root >/dev/null 2>&1 && echo "followed root"; true'
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *denied* && "$output" != *followed* ]]
  skiff delete -f ct1
}

# ---- 3. symlinks at mount destinations, device and masked paths ---------

# A host directory that nothing in a container may touch.
make_host_target() {
  HOSTTARGET=$(mktemp -d /tmp/skiff-hosttarget.XXXXXX)
  echo host >"$HOSTTARGET/secret"
  mkdir "$HOSTTARGET/mnt"
  HOSTTARGET_LIST=$(cd "$HOSTTARGET" && find . | sort)
}

host_target_untouched() {
  local now
  now=$(cd "$HOSTTARGET" && find . | sort)
  [ "$now" = "$HOSTTARGET_LIST" ] || { echo "host target changed: $now" >&2; return 1; }
  [ "$(cat "$HOSTTARGET/secret")" = host ] || { echo "host secret changed" >&2; return 1; }
  ! findmnt -rn -o TARGET | grep -F "$HOSTTARGET" || { echo "something is mounted on the host target" >&2; return 1; }
}

@test "escape: mount destinations swapped with symlinks during setup stay in the rootfs (CVE-2021-30465)" {
  local vol b2 i ok=0 up
  make_host_target
  vol=$(mktemp -d /tmp/skiff-vol.XXXXXX)
  mkdir -p "$vol/d/mnt" "$vol/e/mnt"
  ln -s "$HOSTTARGET" "$vol/d.alt"
  ln -s "../../../../../../../../..$HOSTTARGET" "$vol/e.alt"
  echo file >"$BUNDLE/srcfile"
  # The attacker: a sibling container sharing the volume, swapping the
  # directories and the symlinks as fast as it can, for longer than the
  # victims can take on a slow machine (it is deleted once they are done).
  b2=$(mktemp -d /tmp/skiff-test.XXXXXX)
  jq --arg r "$BUNDLE/rootfs" --arg v "$vol" '.root.path = $r
      | .mounts += [{"destination": "/vol", "type": "bind", "source": $v, "options": ["rbind", "rw"]}]
      | .process.args = ["/bin/sh", "-c", "/bin/skiff-test-helper rename-loop /vol/d /vol/d.alt 300 & /bin/skiff-test-helper rename-loop /vol/e /vol/e.alt 300; wait"]' \
    "$BUNDLE/config.json" >"$b2/config.json"
  skiff run -d -b "$b2" attacker
  # The victims: the same volume, with mounts below the swapped names.
  update_config '.mounts += [
      {"destination": "/vol", "type": "bind", "source": $v, "options": ["rbind", "rw"]},
      {"destination": "/vol/d/mnt", "type": "tmpfs", "source": "tmpfs"},
      {"destination": "/vol/d/sub/deeper", "type": "tmpfs", "source": "tmpfs"},
      {"destination": "/vol/e/newfile", "type": "bind", "source": $f, "options": ["bind", "ro"]},
      {"destination": "/vol/e/mnt", "type": "tmpfs", "source": "tmpfs"}]' \
    --arg v "$vol" --arg f "$BUNDLE/srcfile"
  set_args /bin/sh -c 'echo x >/vol/d/mnt/written; echo x >/vol/e/mnt/written; true'
  for ((i = 0; i < 40; i++)); do
    if skiff run -b "$BUNDLE" "v$i" >/dev/null 2>&1; then ok=$((ok + 1)); fi
    skiff delete -f "v$i" >/dev/null 2>&1 || true
  done
  up=$(container_status attacker)
  skiff delete -f attacker >/dev/null 2>&1 || true
  echo "victims that ran: $ok/40, attacker: $up"
  # Evidence the race was hit: the symlinks resolved inside the rootfs.
  ls -d "$BUNDLE/rootfs$HOSTTARGET"* 2>/dev/null && echo "symlinked destinations were created inside the rootfs"
  [ "$up" = running ]
  [ "$ok" -gt 0 ]
  host_target_untouched
  rm -rf "$b2" "$vol" "$HOSTTARGET"
}

@test "escape: linux.devices paths through symlinks are created inside the rootfs" {
  make_host_target
  ln -s "$HOSTTARGET" "$BUNDLE/rootfs/devlink"
  ln -s "../../../../../../../..$HOSTTARGET" "$BUNDLE/rootfs/devlink2"
  update_config '.linux.devices += [
      {"path": "/devlink/null0", "type": "c", "major": 1, "minor": 3},
      {"path": "/devlink2/null1", "type": "c", "major": 1, "minor": 3}]'
  set_args /bin/sh -c 'ls -l /devlink/ /devlink2/'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  host_target_untouched
  rm -rf "$HOSTTARGET"
}

@test "escape: maskedPaths and readonlyPaths through symlinks act inside the rootfs" {
  make_host_target
  mkdir -p "$BUNDLE/rootfs$HOSTTARGET"
  echo inside >"$BUNDLE/rootfs$HOSTTARGET/secret"
  ln -s "$HOSTTARGET/secret" "$BUNDLE/rootfs/m"
  ln -s "../../../../../../../..$HOSTTARGET/secret" "$BUNDLE/rootfs/m2"
  ln -s "$HOSTTARGET" "$BUNDLE/rootfs/r"
  update_config '.root.readonly = false | .linux.maskedPaths += ["/m", "/m2"] | .linux.readonlyPaths += ["/r"]'
  set_args /bin/sh -c 'echo "m=$(cat /m)"; echo "m2=$(cat /m2)"; ls /r/'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [[ "$output" != *m=host* && "$output" != *m2=host* ]]
  host_target_untouched
  rm -rf "$HOSTTARGET"
}

# ---- 4. masked /proc and /sys, exec confinement, signals and ptrace -----

@test "escape: the configured masked and read-only /proc and /sys paths hold" {
  local p n checked=0
  update_config '.root.readonly = false'
  set_args /bin/sh -c '
    for p in "$@"; do
      if [ -d "$p" ]; then echo "$p=$(ls -A "$p" | wc -l)"
      elif [ -e "$p" ]; then echo "$p=$(cat "$p" 2>/dev/null | wc -c)"
      else echo "$p=absent"; fi
    done
    echo b >/proc/sysrq-trigger && echo "sysrq written"
    echo evil >/proc/sys/kernel/hostname && echo "proc/sys written"
    echo 1 >/proc/sys/vm/drop_caches && echo "drop_caches written"
    /bin/skiff-test-helper syscall umount /proc/keys
    /bin/skiff-test-helper syscall mount /proc/sys
    true' sh
  update_config '.process.args += .linux.maskedPaths'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  # Every masked path that has content on the host reads empty inside.
  for p in $(jq -r '.linux.maskedPaths[]' "$BUNDLE/config.json"); do
    if [ -d "$p" ] && [ -n "$(ls -A "$p" 2>/dev/null)" ]; then n=0
    elif [ -f "$p" ] && [ -n "$(head -c1 "$p" 2>/dev/null)" ]; then n=0
    else continue; fi
    checked=$((checked + 1))
    [[ "$output" == *"$p=0"* ]] || { echo "$p is not masked"; false; }
  done
  echo "masked paths with host content checked: $checked"
  [ "$checked" -ge 2 ]
  [[ "$output" != *written* ]]
  # Neither a mask nor the read-only /proc/sys can be unmounted or covered
  # (no CAP_SYS_ADMIN).
  [ "$(echo "$output" | grep -c '^errno=1$')" -eq 2 ]
  [ "$(hostname)" != evil ]
}

@test "escape: exec gets the container's capabilities, no_new_privs and seccomp filter" {
  update_config '.process.capabilities.bounding -= ["CAP_CHOWN", "CAP_KILL"]
    | .process.capabilities.effective -= ["CAP_CHOWN", "CAP_KILL"]
    | .process.capabilities.permitted -= ["CAP_CHOWN", "CAP_KILL"]
    | .process.noNewPrivileges = true
    | .linux.seccomp = {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
        "syscalls": [{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1}]}'
  local probe='/bin/skiff-test-helper status CapBnd CapEff CapPrm CapInh CapAmb NoNewPrivs Seccomp Seccomp_filters; /bin/skiff-test-helper syscall mkdir /tmp/x; cat /proc/self/attr/current 2>/dev/null; true'
  set_args /bin/sh -c "$probe; sleep 30"
  skiff run -d -b "$BUNDLE" ct1
  sleep 0.3
  local pid1
  pid1=$(container_pid ct1)
  run skiff exec ct1 /bin/sh -c "$probe"
  echo "exec: $output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"errno=1"* ]]
  [[ "$output" == *"NoNewPrivs:"*1* ]]
  # Same sets as the container's process (read from the host).
  local k
  for k in CapBnd CapEff CapPrm CapInh CapAmb NoNewPrivs Seccomp; do
    [[ "$output" == *"$(grep "^$k:" "/proc/$pid1/status" | tr -s '\t ' ' ')"* ]] ||
      [[ "$output" == *"$(grep "^$k:" "/proc/$pid1/status")"* ]] || {
      echo "exec differs on $k: $(grep "^$k:" "/proc/$pid1/status")"
      false
    }
  done
  [ "$(grep ^CapBnd: "/proc/$pid1/status" | cut -f2)" != 000001ffffffffff ]
}

@test "escape: exec --process without capabilities or noNewPrivileges keeps the container's" {
  # containerd always execs with --process; a document that leaves the
  # confinement out must not get the runtime's full capability sets.
  update_config '.process.capabilities.bounding -= ["CAP_SYS_ADMIN", "CAP_KILL"]
    | .process.capabilities.effective -= ["CAP_SYS_ADMIN", "CAP_KILL"]
    | .process.capabilities.permitted -= ["CAP_SYS_ADMIN", "CAP_KILL"]
    | .process.noNewPrivileges = true
    | .process.rlimits = [{"type": "RLIMIT_NOFILE", "hard": 123, "soft": 77}]'
  set_args /bin/sh -c "sleep 30"
  skiff run -d -b "$BUNDLE" ct1
  local pid1
  pid1=$(container_pid ct1)
  jq -n '{args: ["/bin/sh", "-c", "grep -E \"^(Cap|NoNewPrivs)\" /proc/self/status; ulimit -n"], cwd: "/", user: {uid: 0, gid: 0}}' \
    >"$BUNDLE/process.json"
  run skiff exec --process "$BUNDLE/process.json" ct1
  echo "exec: $output"
  [ "$status" -eq 0 ]
  local k
  for k in CapBnd CapEff CapPrm NoNewPrivs; do
    [[ "$output" == *"$(grep "^$k:" "/proc/$pid1/status")"* ]] || {
      echo "exec differs on $k: $(grep "^$k:" "/proc/$pid1/status")"
      false
    }
  done
  [[ "$output" == *"NoNewPrivs:"*1* ]]
  [[ "$output" == *$'\n77'* ]]
  # A document that does name them is used as given.
  jq -n '{args: ["/bin/grep", "^CapEff", "/proc/self/status"], cwd: "/", user: {uid: 0, gid: 0},
          capabilities: {bounding: ["CAP_CHOWN"], effective: ["CAP_CHOWN"], permitted: ["CAP_CHOWN"]}}' \
    >"$BUNDLE/process.json"
  run skiff exec --process "$BUNDLE/process.json" ct1
  echo "exec: $output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"CapEff:	0000000000000001"* ]]
}

@test "escape: the container cannot signal host processes or ptrace beyond its rights" {
  set_args /bin/skiff-test-helper sleep 30
  skiff run -d -b "$BUNDLE" ct1
  # A host process (this shell) is not in the container's pid namespace.
  run skiff exec ct1 /bin/skiff-test-helper syscall kill "$$" 0
  [ "$output" = "errno=3" ]
  run skiff exec ct1 /bin/skiff-test-helper syscall kill "$$" 9
  [ "$output" = "errno=3" ]
  run skiff exec ct1 /bin/skiff-test-helper syscall ptrace "$$"
  [ "$output" = "errno=3" ]
  # Inside: pid 1 cannot be ptraced by a process with fewer rights (another
  # uid, no CAP_SYS_PTRACE).
  run skiff exec -u 1000:1000 ct1 /bin/skiff-test-helper syscall ptrace 1
  [ "$output" = "errno=1" ]
  run skiff exec -u 1000:1000 ct1 /bin/skiff-test-helper syscall kill 1 9
  [ "$output" = "errno=1" ]
  [ "$(container_status ct1)" = running ]
}

@test "escape: a created container's waiting runtime cannot be ptraced" {
  set_args /bin/skiff-test-helper sleep 10
  skiff create -b "$BUNDLE" ct1
  run skiff exec ct1 /bin/skiff-test-helper syscall ptrace 1
  echo "$output"
  [ "$output" = "errno=1" ]
  skiff delete -f ct1
}
