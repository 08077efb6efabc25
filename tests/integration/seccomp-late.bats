#!/usr/bin/env bats
# The container's seccomp filter is for the program, not for skiff: it is
# loaded last, so an old allow-list profile does not break skiff's own
# steps; syscalls newer than the profile get ENOSYS; startContainer hooks
# run before the filter; a process that fails before its execve says why,
# for `run` and for `create` + `start`.

load helpers
bats_require_minimum_version 1.5.0

SECCOMP_CACHE=/var/cache/skiff/seccomp
UNISTD=/usr/include/x86_64-linux-gnu/asm/unistd_64.h

setup() {
  setup_bundle
  CT1=sl1-$$-$BATS_TEST_NUMBER
  CT2=sl2-$$-$BATS_TEST_NUMBER
  CACHE_BEFORE=$(ls -A "$SECCOMP_CACHE" 2>/dev/null || true)
}

teardown() {
  local e
  teardown_bundle
  for e in $(ls -A "$SECCOMP_CACHE" 2>/dev/null); do
    grep -qxF "$e" <<<"$CACHE_BEFORE" || rm -f "$SECCOMP_CACHE/$e"
  done
}

need_x86_64_names() {
  [ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
  [ -f "$UNISTD" ] || skip "no $UNISTD (linux-libc-dev) to list the syscalls"
}

# allow_list BELOW NAME...: an allow-list profile (defaultAction
# SCMP_ACT_ERRNO, i.e. EPERM) of every x86_64 syscall numbered below
# BELOW, except the NAMEs: a profile written for an older kernel.
allow_list() {
  local below=$1 names
  shift
  names=$(awk -v below="$below" '$1 == "#define" && $2 ~ /^__NR_/ && $3 + 0 < below + 0 {
            sub(/^__NR_/, "", $2); print $2 }' "$UNISTD" |
          grep -vxF -f <(printf '%s\n' "$@") | jq -R . | jq -s -c .)
  update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO",
                   architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                   syscalls: [{names: $n, action: "SCMP_ACT_ALLOW"}]}' --argjson n "$names"
}

# What the old profiles lack (5.x syscalls, and statx).
NEWER=(close_range openat2 clone3 faccessat2 pidfd_open pidfd_getfd pidfd_send_signal statx)

# create + start, the process's stdout and stderr in $BUNDLE/out; the
# status and output of `start` in $status / $output.
create_start() {
  skiff create -b "$BUNDLE" "$1" </dev/null >"$BUNDLE/out" 2>&1 || { cat "$BUNDLE/out"; return 1; }
  run skiff start "$1"
  echo "start: $status $output"
}

@test "seccomp-late: an allow-list without close_range and the other 5.x syscalls runs busybox" {
  need_x86_64_names
  # It names syscalls newer than close_range: those it lacks get EPERM.
  allow_list 100000 "${NEWER[@]}"
  update_config '.process.args = ["/bin/busybox", "sh", "-c",
                   "echo shell-ok; ls /bin/busybox; /bin/skiff-test-helper syscall nr 436 3 3"]'
  run skiff run -b "$BUNDLE" "$CT1"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = shell-ok ]
  [ "${lines[1]}" = /bin/busybox ]
  [ "${lines[2]}" = "errno=1" ]    # close_range: denied by the profile

  # The same through create + start, and without noNewPrivileges (the
  # filter is then loaded before the capability drop).
  update_config '.process.noNewPrivileges = false'
  create_start "$CT2"
  [ "$status" -eq 0 ]
  wait_for_status "$CT2" stopped
  cat "$BUNDLE/out"
  [ "$(sed -n 1p "$BUNDLE/out")" = shell-ok ]
  [ "$(sed -n 3p "$BUNDLE/out")" = "errno=1" ]
}

@test "seccomp-late: exec under an allow-list without close_range still closes skiff's fds" {
  need_x86_64_names
  allow_list 100000 "${NEWER[@]}"
  set_args "$PAYLOAD" sleep 30
  skiff run -d -b "$BUNDLE" "$CT1" </dev/null >/dev/null 2>&1
  # exec loads the filter before it marks the fds close-on-exec: the
  # refused close_range falls back to one fcntl per fd.
  run skiff exec --preserve-fds 1 "$CT1" "$PAYLOAD" fds 3</etc/hostname 7</etc/hostname
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(grep -E '^[0-9]+ -> ' <<<"$output" | cut -d' ' -f1 | tr '\n' ' ')" = "0 1 2 3 " ]
  [[ "$output" == *"3 -> /etc/hostname"* ]]
}

@test "seccomp-late: a profile older than the syscalls gets ENOSYS for them, so libc falls back" {
  need_x86_64_names
  # Linux 5.0's syscalls (below pidfd_send_signal, 424) without statx.
  allow_list 424 statx
  update_config '.process.args = ["/bin/busybox", "sh", "-c",
                   "echo shell-ok; for nr in 435 436 437 439 1000; do /bin/skiff-test-helper syscall nr $nr; done; /bin/skiff-test-helper syscall getcwd"]'
  run skiff run -b "$BUNDLE" "$CT1"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = shell-ok ]
  [ "${lines[1]}" = "errno=38" ]   # clone3
  [ "${lines[2]}" = "errno=38" ]   # close_range
  [ "${lines[3]}" = "errno=38" ]   # openat2
  [ "${lines[4]}" = "errno=38" ]   # faccessat2
  [ "${lines[5]}" = "errno=38" ]   # no syscall yet
  # getcwd is not newer than the profile: known and allowed.
  [ "${lines[6]}" = "ok" ]
}

@test "seccomp-late: only numbers above the profile's get ENOSYS, not what it knows and denies" {
  [ "$(uname -m)" = x86_64 ] || skip "syscall numbers below are x86_64's"
  # An allow list with a default errno keeps it for everything up to its
  # highest number.
  update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 99,
                   architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                   syscalls: [{names: ["read", "write", "close", "fstat", "mmap", "mprotect", "munmap",
                     "brk", "rt_sigaction", "rt_sigprocmask", "execve", "execveat", "exit_group", "exit",
                     "arch_prctl", "set_tid_address", "uname", "readlink", "getcwd", "prlimit64",
                     "getrandom", "rseq", "set_robust_list", "ioctl", "newfstatat", "openat",
                     "mkdirat"], action: "SCMP_ACT_ALLOW"},
                    {names: ["mkdir"], action: "SCMP_ACT_ERRNO", errnoRet: 42}]}'
  update_config '.process.noNewPrivileges = true'
  # 83 mkdir: denied by a rule; 165 mount: below rseq (334), the default;
  # 440: above everything named, ENOSYS.
  set_args "$PAYLOAD" syscall nr 83
  run skiff run -b "$BUNDLE" "$CT1"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "errno=42" ]
  set_args "$PAYLOAD" syscall nr 165
  run skiff run -b "$BUNDLE" "$CT1"
  echo "$output"
  [ "$output" = "errno=99" ]
  set_args "$PAYLOAD" syscall nr 440
  run skiff run -b "$BUNDLE" "$CT1"
  echo "$output"
  [ "$output" = "errno=38" ]
}

@test "seccomp-late: a profile that denies execve fails with a clear error, for run and start" {
  # Without send(2) either: the error still reaches the parent.
  update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
                   syscalls: [{names: ["execve", "execveat", "sendto", "sendmsg"],
                               action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
  set_args "$PAYLOAD" echo never
  run -126 skiff run -b "$BUNDLE" "$CT1"
  echo "$output"
  [[ "$output" == *"exec \`/bin/skiff-test-helper\`: Operation not permitted"* ]]
  [[ "$output" != *never* ]]

  create_start "$CT2"
  cat "$BUNDLE/out"
  [ "$status" -ne 0 ]
  [[ "$output" == *"start $CT2: the container process failed before running the program:"* ]]
  [[ "$output" == *"exec \`/bin/skiff-test-helper\`: Operation not permitted"* ]]
  [[ "$(cat "$BUNDLE/out")" != *never* ]]
}

@test "seccomp-late: execve denied after the exec stub ran: the stub's error reaches run and start" {
  # execveat (skiff's exec of its stub) allowed, the stub's execve denied.
  update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
                   syscalls: [{names: ["execve"], action: "SCMP_ACT_ERRNO", errnoRet: 1}]}'
  set_args "$PAYLOAD" echo never
  run -126 skiff run -b "$BUNDLE" "$CT1"
  echo "$output"
  [[ "$output" == *'exec "/bin/skiff-test-helper": operation not permitted'* ]]

  create_start "$CT2"
  cat "$BUNDLE/out"
  [ "$status" -ne 0 ]
  [[ "$output" == *"start $CT2: the container process failed before running the program:"* ]]
  [[ "$output" == *'exec "/bin/skiff-test-helper": operation not permitted'* ]]
}

@test "seccomp-late: startContainer hooks run before the filter, the program under it" {
  update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
                   syscalls: [{names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 42}]}'
  update_config '.hooks.startContainer = [{path: "/bin/busybox", args: ["mkdir", "/dev/shm/by-hook"]}]'
  update_config '.process.args = ["/bin/busybox", "sh", "-c",
                   "test -d /dev/shm/by-hook && echo hook-ok; /bin/skiff-test-helper syscall mkdir /dev/shm/x"]'
  run skiff run -b "$BUNDLE" "$CT1"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = hook-ok ]
  [ "${lines[1]}" = "errno=42" ]

  create_start "$CT2"
  [ "$status" -eq 0 ]
  wait_for_status "$CT2" stopped
  cat "$BUNDLE/out"
  [ "$(cat "$BUNDLE/out")" = "hook-ok"$'\n'"errno=42" ]
}

@test "seccomp-late: start fails, saying so, when the process dies before it takes the start" {
  local pid spid rc=0 i
  set_args "$PAYLOAD" echo never
  skiff create -b "$BUNDLE" "$CT1" </dev/null >"$BUNDLE/out" 2>&1 || { cat "$BUNDLE/out"; false; }
  pid=$(container_pid "$CT1")
  # Stopped, it cannot read start's byte; killed, it never will.
  kill -STOP "$pid"
  "$SKIFF" --root "$ROOT" start "$CT1" >"$BUNDLE/start.log" 2>&1 &
  spid=$!
  # start unlinks exec.fifo once its byte is written.
  for ((i = 0; i < 100; i++)); do [ -e "$ROOT/$CT1/exec.fifo" ] || break; sleep 0.05; done
  [ ! -e "$ROOT/$CT1/exec.fifo" ]
  kill -KILL "$pid"
  wait "$spid" || rc=$?
  cat "$BUNDLE/start.log"
  [ "$rc" -ne 0 ]
  grep -q "start $CT1: the container process exited before it was started" "$BUNDLE/start.log"
  [[ "$(cat "$BUNDLE/out")" != *never* ]]
}
