#!/usr/bin/env bats
# Security boundaries: capability sets, the user switch, no_new_privs,
# seccomp (errno, argument rules, notify listener, compiled-filter cache).
# Every assertion is about what the container process itself saw.

load helpers

# skiff's compiled-filter cache (root's default); entries a test adds are
# removed by its teardown.
SECCOMP_CACHE=/var/cache/skiff/seccomp

setup() {
  setup_bundle
  LISTENER_PID=
  CACHE_BEFORE=$(ls -A "$SECCOMP_CACHE" 2>/dev/null || true)
}

teardown() {
  local e
  if [ -n "$LISTENER_PID" ]; then
    kill "$LISTENER_PID" 2>/dev/null || true
    wait "$LISTENER_PID" 2>/dev/null || true
  fi
  teardown_bundle
  for e in $(ls -A "$SECCOMP_CACHE" 2>/dev/null); do
    grep -qxF "$e" <<<"$CACHE_BEFORE" || rm -f "$SECCOMP_CACHE/$e"
  done
}

# capmask N...: the /proc/self/status hex of a set holding capabilities N...
capmask() {
  local m=0 n
  for n in "$@"; do m=$((m | (1 << n))); done
  printf '%016x' "$m"
}

# CAP_CHOWN=0 CAP_KILL=5 CAP_NET_BIND_SERVICE=10 CAP_SYS_ADMIN=21
set_caps() { # bounding effective permitted inheritable ambient (JSON arrays)
  update_config '.process.capabilities = {bounding: $b, effective: $e, permitted: $p,
                   inheritable: $i, ambient: $a}' \
    --argjson b "$1" --argjson e "$2" --argjson p "$3" --argjson i "$4" --argjson a "$5"
}

# set_sh 'SCRIPT': run SCRIPT with the container's /bin/sh
set_sh() {
  update_config '.process.args = ["/bin/sh", "-c", $c]' --arg c "$1"
}

# seccomp_profile SYSCALLS-JSON [extra jq on .linux.seccomp]
seccomp_profile() {
  update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ALLOW",
                   architectures: ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
                   syscalls: $s}' --argjson s "$1"
}

@test "caps: a root process has exactly the configured sets" {
  set_caps '["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"]' \
           '["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"]' \
           '["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"]' '["CAP_KILL"]' '["CAP_KILL"]'
  set_args "$PAYLOAD" caps
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"CapBnd:	$(capmask 0 5 10)"* ]]
  [[ "$output" == *"CapEff:	$(capmask 0 5 10)"* ]]
  [[ "$output" == *"CapPrm:	$(capmask 0 5 10)"* ]]
  [[ "$output" == *"CapInh:	$(capmask 5)"* ]]
  [[ "$output" == *"CapAmb:	$(capmask 5)"* ]]
}

@test "caps: a non-root process keeps its ambient capabilities across exec" {
  update_config '.process.user = {uid: 1000, gid: 1000}'
  set_caps '["CAP_CHOWN","CAP_KILL","CAP_NET_BIND_SERVICE"]' \
           '["CAP_KILL","CAP_NET_BIND_SERVICE"]' '["CAP_KILL","CAP_NET_BIND_SERVICE"]' \
           '["CAP_KILL","CAP_NET_BIND_SERVICE"]' '["CAP_NET_BIND_SERVICE"]'
  set_args "$PAYLOAD" caps
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  # execve by a non-root user: permitted = effective = ambient
  [[ "$output" == *"CapBnd:	$(capmask 0 5 10)"* ]]
  [[ "$output" == *"CapInh:	$(capmask 5 10)"* ]]
  [[ "$output" == *"CapPrm:	$(capmask 10)"* ]]
  [[ "$output" == *"CapEff:	$(capmask 10)"* ]]
  [[ "$output" == *"CapAmb:	$(capmask 10)"* ]]
}

@test "caps: empty sets leave nothing" {
  set_caps '[]' '[]' '[]' '[]' '[]'
  set_args "$PAYLOAD" caps
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  local z=0000000000000000
  [[ "$output" == *"CapBnd:	$z"* && "$output" == *"CapEff:	$z"* && "$output" == *"CapPrm:	$z"* ]]
  [[ "$output" == *"CapInh:	$z"* && "$output" == *"CapAmb:	$z"* ]]
}

@test "caps: an unknown capability name is an error naming it" {
  update_config '.process.capabilities.bounding += ["CAP_FOO"]'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *'process.capabilities.bounding: unknown capability "CAP_FOO"'* ]]
}

@test "caps: effective outside permitted is an error, ambient outside inheritable a warning" {
  set_caps '["CAP_KILL","CAP_CHOWN"]' '["CAP_KILL","CAP_CHOWN"]' '["CAP_KILL"]' '[]' '[]'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"process.capabilities.effective: CAP_CHOWN is not in the permitted set"* ]]

  # runc raises what it can and warns about the rest; configs rely on it
  set_caps '["CAP_KILL"]' '["CAP_KILL"]' '["CAP_KILL"]' '[]' '["CAP_KILL"]'
  set_args "$PAYLOAD" caps
  run skiff run -b "$BUNDLE" ct2
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"CAP_KILL ignored"* ]]
  [[ "$output" == *"CapAmb:	0000000000000000"* ]]
  [[ "$output" == *"CapEff:	$(capmask 5)"* ]]
}

@test "caps: without CAP_SYS_ADMIN mount fails with EPERM, with it it works" {
  set_args "$PAYLOAD" syscall mount /tmp
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "errno=1" ]

  skiff delete --force ct1 >/dev/null 2>&1 || true
  update_config '.process.capabilities |= with_entries(.value += ["CAP_SYS_ADMIN"])'
  run skiff run -b "$BUNDLE" ct2
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "ok" ]
}

@test "user: uid, gid and additionalGids" {
  update_config '.process.user = {uid: 1000, gid: 1000, additionalGids: [100, 2000]}'
  set_args "$PAYLOAD" ids
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "uid=1000 gid=1000 euid=1000 egid=1000 groups=100,2000" ]
}

@test "user: a root process drops the runtime's supplementary groups" {
  update_config '.process.user = {uid: 0, gid: 0}'
  set_args "$PAYLOAD" ids
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "uid=0 gid=0 euid=0 egid=0 groups=" ]
}

# A setuid-root copy of the payload, run by uid 1000.
make_suid_payload() {
  cp "$BUNDLE/rootfs$PAYLOAD" "$BUNDLE/rootfs/bin/suid-helper"
  chown 0:0 "$BUNDLE/rootfs/bin/suid-helper"
  chmod 4755 "$BUNDLE/rootfs/bin/suid-helper"
  update_config '.process.user = {uid: 1000, gid: 1000}'
  set_args /bin/suid-helper setuid
}

@test "nnp: noNewPrivileges blocks a setuid gain" {
  make_suid_payload
  update_config '.process.noNewPrivileges = true'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == "ruid=1000 euid=1000 "* ]]
}

@test "nnp: without noNewPrivileges the setuid bit works" {
  make_suid_payload
  update_config '.process.noNewPrivileges = false'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == "ruid=1000 euid=0 "* ]]
}

@test "seccomp: a denied syscall returns the configured errnoRet" {
  seccomp_profile '[{"names": ["mkdir", "mkdirat", "no_such_syscall_xyz"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
                    {"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 99}]'
  set_args "$PAYLOAD" syscall mkdir /dev/shm/d
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "errno=1" ]

  set_args "$PAYLOAD" syscall getcwd
  run skiff run -b "$BUNDLE" ct2
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "errno=99" ]

  # control: the same calls without the filter
  update_config 'del(.linux.seccomp)'
  set_sh "$PAYLOAD syscall mkdir /dev/shm/d; $PAYLOAD syscall getcwd"
  run skiff run -b "$BUNDLE" ct3
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "ok"$'\n'"ok" ]
}

@test "seccomp: loaded before the cap drop without NNP, for a non-root user" {
  update_config '.process.user = {uid: 1000, gid: 1000} | .process.noNewPrivileges = false'
  seccomp_profile '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_ERRNO", "errnoRet": 42}]'
  set_sh "$PAYLOAD syscall mkdir /dev/shm/d; $PAYLOAD status NoNewPrivs Seccomp CapEff"
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" = "errno=42" ]]
  [[ "$output" == *"NoNewPrivs:	0"* ]]
  [[ "$output" == *"Seccomp:	2"* ]]
}

@test "seccomp: SCMP_CMP_MASKED_EQ argument rule" {
  # chmod with S_ISUID (04000) is denied, any other mode is allowed
  seccomp_profile '[{"names": ["chmod"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
                     "args": [{"index": 1, "value": 2048, "valueTwo": 2048, "op": "SCMP_CMP_MASKED_EQ"}]},
                    {"names": ["fchmodat", "fchmodat2"], "action": "SCMP_ACT_ERRNO", "errnoRet": 13,
                     "args": [{"index": 2, "value": 2048, "valueTwo": 2048, "op": "SCMP_CMP_MASKED_EQ"}]}]'
  set_sh "$PAYLOAD write /dev/shm/f x && $PAYLOAD syscall chmod /dev/shm/f 4755 && $PAYLOAD syscall chmod /dev/shm/f 0755"
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "errno=13"$'\n'"ok" ]
}

@test "seccomp: several rules on one argument are each a rule (ORed)" {
  # kill(pid, sig) denied for signal 0 or signal 10 only
  seccomp_profile '[{"names": ["kill"], "action": "SCMP_ACT_ERRNO", "errnoRet": 77,
                     "args": [{"index": 1, "value": 0, "op": "SCMP_CMP_EQ"},
                              {"index": 1, "value": 10, "op": "SCMP_CMP_EQ"}]}]'
  set_sh "$PAYLOAD syscall kill 1 0; $PAYLOAD syscall kill 1 10; $PAYLOAD syscall kill 1 28"
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "errno=77"$'\n'"errno=77"$'\n'"ok" ]
}

@test "seccomp: bad profiles are errors naming the field" {
  seccomp_profile '[{"names": ["mkdir"], "action": "SCMP_ACT_BOGUS"}]'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *'linux.seccomp.syscalls[0].action: "SCMP_ACT_BOGUS" is not one of'* ]]

  seccomp_profile '[{"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"}]'
  run skiff run -b "$BUNDLE" ct2
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"listenerPath"* ]]
}

@test "seccomp: SCMP_ACT_NOTIFY hands the fd to listenerPath, the listener answers" {
  require_cmd python3
  python3 -c 'import socket, sys; sys.exit(0 if hasattr(socket, "recv_fds") else 1)' ||
    skip "python3 >= 3.9 needed (socket.recv_fds)"
  cat >"$BUNDLE/listener.py" <<'EOF'
# For each connection (one per process with the filter: the container's,
# then each exec), save the Container Process State it carries (OUT, then
# OUT.2, ...), then answer every notification with errno ARGV[3] until no
# notification or connection came for 20 s.
import fcntl, json, select, socket, struct, sys
NOTIF_RECV = 0xC0502100  # _IOWR('!', 0, struct seccomp_notif), 80 bytes
NOTIF_SEND = 0xC0182101  # _IOWR('!', 1, struct seccomp_notif_resp), 24 bytes
path, out, answer = sys.argv[1], sys.argv[2], int(sys.argv[3])
srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
srv.bind(path)
srv.listen(4)
poller = select.poll()
poller.register(srv.fileno(), select.POLLIN)
n = 0
while True:
    events = poller.poll(20000)
    if not events:
        break
    for fd, ev in events:
        if fd == srv.fileno():
            conn, _ = srv.accept()
            msg, fds, _, _ = socket.recv_fds(conn, 1 << 20, 1)
            while True:
                more = conn.recv(1 << 20)
                if not more:
                    break
                msg += more
            doc = json.loads(msg)
            doc["received_fds"] = len(fds)
            n += 1
            with open(out if n == 1 else "%s.%d" % (out, n), "w") as f:
                json.dump(doc, f)
            poller.register(fds[0], select.POLLIN)
            continue
        if not ev & select.POLLIN:
            poller.unregister(fd)
            continue
        req = bytearray(80)
        try:
            fcntl.ioctl(fd, NOTIF_RECV, req, True)
        except OSError:
            continue
        nid, pid, _, nr = struct.unpack_from("=QIIi", req)
        with open(out + ".log", "a") as f:
            f.write("nr=%d\n" % nr)
        try:
            fcntl.ioctl(fd, NOTIF_SEND, bytearray(struct.pack("=QqiI", nid, 0, -answer, 0)), True)
        except OSError:
            pass
EOF
  python3 "$BUNDLE/listener.py" "$BUNDLE/listener.sock" "$BUNDLE/state.out" 123 &
  LISTENER_PID=$!
  for _ in $(seq 100); do [ -S "$BUNDLE/listener.sock" ] && break; sleep 0.05; done
  [ -S "$BUNDLE/listener.sock" ]

  seccomp_profile '[{"names": ["mkdir", "mkdirat"], "action": "SCMP_ACT_NOTIFY"}]'
  update_config '.linux.seccomp.listenerPath = $p | .linux.seccomp.listenerMetadata = "meta-1"' \
    --arg p "$BUNDLE/listener.sock"
  set_args "$PAYLOAD" syscall mkdir /dev/shm/d
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  # 123 = ENOMEDIUM, the answer of the listener
  [ "$output" = "errno=123" ]
  cat "$BUNDLE/state.out"
  [ "$(jq -r '.fds | join(",")' "$BUNDLE/state.out")" = "seccompFd" ]
  [ "$(jq -r .received_fds "$BUNDLE/state.out")" = 1 ]
  [ "$(jq -r .metadata "$BUNDLE/state.out")" = "meta-1" ]
  [ "$(jq -r .state.id "$BUNDLE/state.out")" = ct1 ]
  [ "$(jq -r .pid "$BUNDLE/state.out")" -gt 0 ]
  [ "$(jq -r .state.pid "$BUNDLE/state.out")" = "$(jq -r .pid "$BUNDLE/state.out")" ]
  grep -Eq '^nr=(83|258)$' "$BUNDLE/state.out.log"   # x86_64 mkdir, mkdirat

  # exec: the new process's filter has its own notify fd, sent the same way.
  set_args /bin/sleep 30
  skiff run -d -b "$BUNDLE" ct2
  run skiff exec ct2 "$PAYLOAD" syscall mkdir /dev/shm/e
  echo "exec: $output"
  [ "$status" -eq 0 ]
  [ "$output" = "errno=123" ]
  cat "$BUNDLE/state.out.3"
  [ "$(jq -r .state.id "$BUNDLE/state.out.3")" = ct2 ]
  [ "$(jq -r .state.status "$BUNDLE/state.out.3")" = running ]
  [ "$(jq -r .metadata "$BUNDLE/state.out.3")" = "meta-1" ]
  [ "$(jq -r .received_fds "$BUNDLE/state.out.3")" = 1 ]

  # create + start: the filter is loaded before `start` then, while create
  # can still hand its fd on.
  set_args "$PAYLOAD" syscall mkdir /dev/shm/f
  skiff create -b "$BUNDLE" ct3 </dev/null >"$BUNDLE/ct3.out" 2>&1 || { cat "$BUNDLE/ct3.out"; false; }
  run skiff start ct3
  echo "start: $output"
  [ "$status" -eq 0 ]
  wait_for_status ct3 stopped
  [ "$(cat "$BUNDLE/ct3.out")" = "errno=123" ]
  [ "$(jq -r .state.id "$BUNDLE/state.out.4")" = ct3 ]
  [ "$(jq -r .received_fds "$BUNDLE/state.out.4")" = 1 ]
}

@test "seccomp: a repeated profile comes from the cache, a corrupt entry is recompiled" {
  # A profile no other test uses: a fresh cache key.
  seccomp_profile "[{\"names\": [\"mkdir\", \"mkdirat\", \"skiff_cache_test_$$_$RANDOM\"],
                    \"action\": \"SCMP_ACT_ERRNO\", \"errnoRet\": 1}]"
  set_args "$PAYLOAD" syscall mkdir /dev/shm/d
  run skiff --debug run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"errno=1"* ]]
  [[ "$output" == *"seccomp: compiled"* ]]
  local cache
  cache=$(sed -n 's/.*seccomp: cached the compiled filter as \(\/.*\/[0-9a-f]\{64\}\)$/\1/p' <<<"$output" | head -n1)
  [ -n "$cache" ]
  [ -f "$cache" ]
  local mtime
  mtime=$(stat -c %Y.%y "$cache")

  run skiff --debug run -b "$BUNDLE" ct2
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"errno=1"* ]]
  [[ "$output" == *"seccomp: cache hit $cache "* ]]
  [[ "$output" != *"seccomp: compiled"* ]]
  [ "$(stat -c %Y.%y "$cache")" = "$mtime" ]

  # Corrupt the program bytes: detected, recompiled, still enforced.
  printf 'garbage' | dd of="$cache" bs=1 seek=200 conv=notrunc 2>/dev/null
  run skiff --debug run -b "$BUNDLE" ct3
  echo "$output"
  rm -f "$cache"
  [ "$status" -eq 0 ]
  [[ "$output" == *"errno=1"* ]]
  [[ "$output" == *"is corrupt, recompiling"* ]]
  [[ "$output" == *"seccomp: compiled"* ]]
}

@test "seccomp: defaultAction SCMP_ACT_ERRNO with defaultErrnoRet and a large allow list" {
  local hdr=/usr/include/x86_64-linux-gnu/asm/unistd_64.h
  [ -f "$hdr" ] || skip "no $hdr (linux-libc-dev) to list the syscalls"
  [ "$(uname -m)" = x86_64 ] || skip "x86_64 only"
  # Every syscall allowed except getcwd, which falls to the default action.
  local names
  names=$(sed -n 's/^#define __NR_\([a-z0-9_]*\) .*/\1/p' "$hdr" | grep -vx getcwd | jq -R . | jq -s -c .)
  update_config '.linux.seccomp = {defaultAction: "SCMP_ACT_ERRNO", defaultErrnoRet: 99,
                   syscalls: [{names: $n, action: "SCMP_ACT_ALLOW"}]}' --argjson n "$names"
  set_sh "$PAYLOAD syscall getcwd; $PAYLOAD syscall mkdir /dev/shm/d"
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "errno=99"$'\n'"ok" ]
}

@test "seccomp: podman's default profile (containers-common) compiles and is enforced" {
  local prof=/usr/share/containers/seccomp.json
  [ -f "$prof" ] || skip "no $prof"
  jq -f "$SKIFF_SRCDIR/contrib/seccomp-docker-to-oci.jq" "$prof" >"$BUNDLE/seccomp.json"
  update_config '.linux.seccomp = $s[0]' --slurpfile s "$BUNDLE/seccomp.json"
  set_sh "mkdir /dev/shm/d && ls / >/dev/null && echo shell-ok; $PAYLOAD syscall mount /tmp; $PAYLOAD syscall nr 333; $PAYLOAD status Seccomp"
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "shell-ok" ]
  [ "${lines[1]}" = "errno=1" ]     # mount: denied
  [ "${lines[2]}" = "errno=1" ]     # io_pgetevents (333): in the EPERM list (unfiltered: EINVAL)
  [[ "${lines[3]}" == "Seccomp:	2" ]]
}

@test "labels: selinuxLabel and apparmorProfile are ignored on a host without them" {
  if [ -e /sys/fs/selinux/enforce ] || grep -qs Y /sys/module/apparmor/parameters/enabled; then
    skip "the host has SELinux or AppArmor enabled"
  fi
  update_config '.process.selinuxLabel = "system_u:system_r:container_t:s0:c1,c2"
                 | .process.apparmorProfile = "skiff-test-profile"
                 | .linux.mountLabel = "system_u:object_r:container_file_t:s0:c1,c2"'
  set_args "$PAYLOAD" echo started
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "started" ]
}

@test "seccomp: SCMP_ACT_KILL_PROCESS ends the process with SIGSYS" {
  seccomp_profile '[{"names": ["getcwd"], "action": "SCMP_ACT_KILL_PROCESS"}]'
  set_args "$PAYLOAD" syscall getcwd
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq $((128 + 31)) ]   # SIGSYS
  [[ "$output" != *"errno="* && "$output" != *"ok"* ]]
}

@test "seccomp: filter flags are accepted and the filter still applies" {
  seccomp_profile '[{"names": ["getcwd"], "action": "SCMP_ACT_ERRNO", "errnoRet": 99}]'
  update_config '.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_LOG", "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
                                         "SECCOMP_FILTER_FLAG_TSYNC"]'
  set_args "$PAYLOAD" syscall getcwd
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$output" = "errno=99" ]

  update_config '.linux.seccomp.flags = ["SECCOMP_FILTER_FLAG_BOGUS"]'
  run skiff run -b "$BUNDLE" ct2
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *'linux.seccomp.flags[0]: "SECCOMP_FILTER_FLAG_BOGUS" is not one of'* ]]
}
