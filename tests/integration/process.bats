#!/usr/bin/env bats
# The container process's own settings: env, cwd, executable lookup,
# rlimits, oomScoreAdj, umask, personality, scheduler, ioPriority, session
# keyring, sysctl, preserved fds, user.  Each test asserts what the
# container itself saw.

load helpers

setup() {
  setup_bundle
  unique_ids
}
teardown() { teardown_bundle; }

# Container ids unique to this run: cgroups are named after the id, and
# other test runs may share this host.
unique_ids() {
  CT1=ct1-$$-$BATS_TEST_NUMBER
  CT2=ct2-$$-$BATS_TEST_NUMBER
}

# set_args passes its words to jq, which takes "-c" or "-m" as its own
# options: build the JSON array separately.
set_cmd() {
  update_config '.process.args = $a' --argjson a "$(printf '%s\n' "$@" | jq -R . | jq -cs .)"
}

# True when we hold CAP_SYS_RESOURCE (then rlimits above the hard limit and
# negative oom_score_adj are allowed, and the EPERM tests do not apply).
have_cap_sys_resource() {
  local eff
  eff=$(awk '/^CapEff:/ {print $2}' /proc/self/status)
  (((0x$eff >> 24) & 1))
}

@test "process: env is process.env, HOME comes from the container's /etc/passwd" {
  update_config '.process.env = ["PATH=/bin:/usr/bin", "FOO=bar baz", "EMPTY="]'
  set_args /bin/skiff-test-helper env
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [[ "$output" == *"FOO=bar baz"* ]]
  [[ "$output" == *"EMPTY="* ]]
  [[ "$output" == *"PATH=/bin:/usr/bin"* ]]
  [[ "$output" == *"HOME=/root"* ]]
  # Nothing of the runtime's own environment leaks in.
  [[ "$output" != *"SKIFF_BUILDDIR="* ]]
  [[ "$output" != *"LISTEN_FDS="* ]]
}

@test "process: an explicit HOME wins; no PATH is invented when env lacks it" {
  update_config '.process.env = ["HOME=/tmp"]'
  set_args skiff-test-helper env
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [ "$(grep -c '^HOME=' <<<"$output")" -eq 1 ]
  [[ "$output" == *"HOME=/tmp"* ]]
  [[ "$output" != *"PATH="* ]]
}

@test "process: HOME is / for a uid missing from /etc/passwd" {
  update_config '.process.env = ["PATH=/bin"] | .process.user = {"uid": 4242, "gid": 4242}'
  set_args /bin/skiff-test-helper env
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [[ "$output" == *"HOME=/"* ]]
  [[ "$output" != *"HOME=/root"* ]]
}

@test "process: cwd is process.cwd, created when missing" {
  update_config '.process.cwd = "/tmp"'
  set_args /bin/skiff-test-helper cwd
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [ "$output" = /tmp ]

  # Created inside the container's root (a writable one).
  update_config '.process.cwd = "/var/new/dir" | .root.readonly = false'
  run skiff run -b "$BUNDLE" $CT2
  [ "$status" -eq 0 ]
  [ "$output" = /var/new/dir ]
  [ -d "$BUNDLE/rootfs/var/new/dir" ]
}

@test "process: a missing cwd on a read-only root is created before the remount" {
  update_config '.process.cwd = "/var/missing" | .root.readonly = true'
  set_args /bin/sh -c 'pwd; touch /var/x 2>/dev/null && echo writable || echo read-only'
  run skiff run -b "$BUNDLE" $CT1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = /var/missing ]
  [ "${lines[1]}" = read-only ]
  [ -d "$BUNDLE/rootfs/var/missing" ]
  # A cwd that cannot be created is still an error naming it.
  touch "$BUNDLE/rootfs/var/file"
  update_config '.process.cwd = "/var/file/sub"'
  run skiff run -b "$BUNDLE" $CT2
  [ "$status" -ne 0 ]
  [[ "$output" == *"/var/file/sub"* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "process: a relative cwd is an error naming it" {
  update_config '.process.cwd = "tmp"'
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -ne 0 ]
  [[ "$output" == *"cwd"*"tmp"* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "process: args[0] is looked up in process.env's PATH inside the container" {
  update_config '.process.env = ["PATH=/nonexistent:/bin"]'
  set_args skiff-test-helper echo found
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [ "$output" = found ]
}

@test "process: without PATH in env the default PATH is searched" {
  update_config '.process.env = []'
  set_args skiff-test-helper echo found
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [ "$output" = found ]
}

@test "process: a command missing from PATH exits 127 with Go's wording" {
  update_config '.process.env = ["PATH=/bin"]'
  set_args no-such-command
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 127 ]
  [[ "$output" == *'exec: "no-such-command": executable file not found in $PATH'* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "process: a missing absolute path exits 127: no such file or directory" {
  set_args /no/such/file
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 127 ]
  [[ "$output" == *'"/no/such/file": no such file or directory'* ]]
}

@test "process: a directory or non-executable file exits 126: permission denied" {
  set_args /etc
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 126 ]
  [[ "$output" == *'"/etc": permission denied'* ]]

  set_args /etc/passwd
  run skiff run -b "$BUNDLE" $CT2
  [ "$status" -eq 126 ]
  [[ "$output" == *'"/etc/passwd": permission denied'* ]]
}

@test "process: a missing executable fails create, not start" {
  set_args /no/such/file
  run skiff create -b "$BUNDLE" $CT1
  [ "$status" -ne 0 ]
  [[ "$output" == *"no such file or directory"* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "process: rlimits are set (soft and hard)" {
  update_config '.process.rlimits = [
    {"type": "RLIMIT_NOFILE", "soft": 100, "hard": 200},
    {"type": "RLIMIT_CORE", "soft": 0, "hard": 0},
    {"type": "RLIMIT_NPROC", "soft": 500, "hard": 600}]'
  set_args /bin/skiff-test-helper limits
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [[ "$output" == *"RLIMIT_NOFILE soft=100 hard=200"* ]]
  [[ "$output" == *"RLIMIT_CORE soft=0 hard=0"* ]]
  [[ "$output" == *"RLIMIT_NPROC soft=500 hard=600"* ]]
}

@test "process: an rlimit above the current hard limit fails naming it" {
  have_cap_sys_resource && skip "we hold CAP_SYS_RESOURCE"
  local hard
  hard=$(ulimit -Hn)
  [ "$hard" != unlimited ] || skip "RLIMIT_NOFILE hard limit is unlimited"
  update_config '.process.rlimits = [{"type": "RLIMIT_NOFILE", "soft": 100, "hard": ($h + 1)}]' \
    --argjson h "$hard"
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -ne 0 ]
  [[ "$output" == *"setrlimit RLIMIT_NOFILE: Operation not permitted"* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "process: soft above hard, or an unknown rlimit, is an error naming it" {
  update_config '.process.rlimits = [{"type": "RLIMIT_CORE", "soft": 300, "hard": 200}]'
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -ne 0 ]
  [[ "$output" == *"RLIMIT_CORE"*"soft"* ]]

  update_config '.process.rlimits = [{"type": "RLIMIT_BOGUS", "soft": 1, "hard": 1}]'
  run skiff run -b "$BUNDLE" $CT2
  [ "$status" -ne 0 ]
  [[ "$output" == *"RLIMIT_BOGUS"* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "process: oomScoreAdj is written to /proc/self/oom_score_adj" {
  update_config '.process.oomScoreAdj = 500'
  set_args /bin/skiff-test-helper cat /proc/self/oom_score_adj
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [ "$output" = 500 ]
}

@test "process: umask is process.user.umask, 0022 by default" {
  set_args /bin/skiff-test-helper umask
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [ "$output" = 0022 ]

  update_config '.process.user.umask = 63'
  run skiff run -b "$BUNDLE" $CT2
  [ "$status" -eq 0 ]
  [ "$output" = 0077 ]
}

@test "process: personality LINUX32 makes uname -m say i686" {
  update_config '.linux.personality = {"domain": "LINUX32"}'
  set_cmd /bin/uname -m
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [ "$output" = i686 ]

  update_config '.linux.personality = {"domain": "LINUX"}'
  run skiff run -b "$BUNDLE" $CT2
  [ "$status" -eq 0 ]
  [ "$output" = "$(uname -m)" ]
}

@test "process: an unknown personality domain is an error" {
  update_config '.linux.personality = {"domain": "WINDOWS"}'
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -ne 0 ]
  [[ "$output" == *"WINDOWS"* ]]
}

@test "process: scheduler policy and nice" {
  update_config '.process.scheduler = {"policy": "SCHED_BATCH", "nice": 5}'
  set_args /bin/skiff-test-helper sched
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [[ "$output" == *"policy=SCHED_BATCH"* ]]
  [[ "$output" == *"nice=5"* ]]

  update_config '.process.scheduler = {"policy": "SCHED_IDLE"}'
  run skiff run -b "$BUNDLE" $CT2
  [ "$status" -eq 0 ]
  [[ "$output" == *"policy=SCHED_IDLE"* ]]
}

@test "process: an unknown scheduler policy is an error naming it" {
  update_config '.process.scheduler = {"policy": "SCHED_TURBO"}'
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -ne 0 ]
  [[ "$output" == *"SCHED_TURBO"* ]]
}

@test "process: ioPriority class and priority" {
  update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_BE", "priority": 3}'
  set_args /bin/skiff-test-helper ioprio
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [ "$output" = "class=IOPRIO_CLASS_BE priority=3" ]

  update_config '.process.ioPriority = {"class": "IOPRIO_CLASS_IDLE", "priority": 0}'
  run skiff run -b "$BUNDLE" $CT2
  [ "$status" -eq 0 ]
  [[ "$output" == "class=IOPRIO_CLASS_IDLE"* ]]
}

@test "process: a new session keyring unless --no-new-keyring" {
  local host
  set_args /bin/skiff-test-helper keyring
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [[ "$output" == *";_ses."* ]]

  host=$("$SKIFF_TEST_HELPER" keyring)
  run skiff run --no-new-keyring -b "$BUNDLE" $CT2
  [ "$status" -eq 0 ]
  [[ "$output" != *";_ses."* ]]
  [ "$output" = "$host" ]
}

@test "process: net sysctl in a new network namespace, host untouched" {
  local before
  before=$(cat /proc/sys/net/ipv4/ip_forward)
  update_config '.linux.namespaces |= (map(select(.type != "network")) + [{"type": "network"}])
                 | .linux.sysctl = {"net.ipv4.ip_forward": "1", "net.ipv4.ping_group_range": "0 100"}'
  set_cmd /bin/sh -c 'cat /proc/sys/net/ipv4/ip_forward /proc/sys/net/ipv4/ping_group_range'
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 1 ]
  [[ "${lines[1]}" == "0"*"100" ]]
  [ "$(cat /proc/sys/net/ipv4/ip_forward)" = "$before" ]
}

@test "process: a sysctl outside the container's namespaces is refused" {
  update_config '.linux.namespaces |= map(select(.type != "network"))
                 | .linux.sysctl = {"net.ipv4.ip_forward": "1"}'
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -ne 0 ]
  [[ "$output" == *"net.ipv4.ip_forward"* ]]

  update_config '.linux.sysctl = {"kernel.pid_max": "4096"}'
  run skiff run -b "$BUNDLE" $CT2
  [ "$status" -ne 0 ]
  [[ "$output" == *"kernel.pid_max"* ]]
  [ -z "$(ls -A "$ROOT")" ]
}

@test "process: sysctl keys cannot climb out of /proc/sys" {
  update_config '.linux.namespaces |= (map(select(.type != "network")) + [{"type": "network"}])'
  update_config '.linux.sysctl = {"net...kernel.pid_max": "1"}'
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -ne 0 ]
  [[ "$output" == *"invalid sysctl key"* ]]

  update_config '.linux.sysctl = {"net.ipv4/../../kernel.pid_max": "1"}'
  run skiff run -b "$BUNDLE" $CT2
  [ "$status" -ne 0 ]
  [[ "$output" == *"invalid sysctl key"* ]]
}

@test "process: only 0-2 reach the container without --preserve-fds" {
  set_args /bin/skiff-test-helper fds
  run skiff run -b "$BUNDLE" $CT1 3</dev/null 4</dev/null
  [ "$status" -eq 0 ]
  # Exactly the three stdio fds (plus the one the payload lists with).
  [[ "$output" == *"0 -> "* ]]
  ! grep -Eq '^(3|4) -> /dev/null' <<<"$output"
  [ "$(grep -c ' -> ' <<<"$output")" -le 4 ]
}

@test "process: --preserve-fds passes fds 3.. and sets LISTEN_FDS/LISTEN_PID" {
  echo data3 >"$BUNDLE/f3"
  echo data4 >"$BUNDLE/f4"
  set_cmd /bin/sh -c 'echo "fds=$LISTEN_FDS pid=$LISTEN_PID self=$$"; cat <&3; cat <&4; ls /proc/self/fd'
  run skiff run --preserve-fds 2 -b "$BUNDLE" $CT1 3<"$BUNDLE/f3" 4<"$BUNDLE/f4" 5</dev/null
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "fds=2 pid=1 self=1" ]
  [ "${lines[1]}" = data3 ]
  [ "${lines[2]}" = data4 ]
  # fd 5 was not preserved: ls shows 0-4 and its own directory fd only.
  [[ "$(echo ${lines[@]:3})" =~ ^"0 1 2 3 4"( [0-9]+)?$ ]]
}

@test "process: execCPUAffinity applies to exec (initial, then final), not to pid 1" {
  [ "$(nproc)" -ge 2 ] || skip "needs 2 CPUs"
  local all
  all=$(grep Cpus_allowed_list /proc/self/status | cut -f2)
  update_config '.process.execCPUAffinity = {"initial": "1"}'
  set_args /bin/sh -c 'grep Cpus_allowed_list /proc/self/status; sleep 30'
  skiff run -d -b "$BUNDLE" $CT1
  # pid 1 keeps the runtime's affinity (the spec: not for the init process).
  run skiff exec $CT1 grep Cpus_allowed_list /proc/1/status
  [ "$status" -eq 0 ]
  [[ "$output" == *"	$all" ]]
  # initial only: the host's cgroup2 has no cpuset to reset it.
  run skiff exec $CT1 grep Cpus_allowed_list /proc/self/status
  echo "initial: $output"
  [[ "$output" == *"	1" ]]
  # final replaces it once the process is in the container's cgroup.
  jq -n '{args: ["grep", "Cpus_allowed_list", "/proc/self/status"], cwd: "/", user: {uid: 0, gid: 0},
          env: ["PATH=/bin"], execCPUAffinity: {initial: "1", final: "0"}}' >"$BUNDLE/p.json"
  run skiff exec --process "$BUNDLE/p.json" $CT1
  echo "final: $output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"	0" ]]
  # A bad list is an error naming the field.
  jq '.execCPUAffinity.final = "x-1"' "$BUNDLE/p.json" >"$BUNDLE/p2.json"
  run skiff exec --process "$BUNDLE/p2.json" $CT1
  echo "bad: $output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"execCPUAffinity.final"* ]]
}

@test "process: user uid, gid and additionalGids, HOME of that user" {
  update_config '.process.user = {"uid": 1000, "gid": 1000, "additionalGids": [100, 1000]}
                 | .process.env = ["PATH=/bin"]'
  set_cmd /bin/sh -c '/bin/skiff-test-helper ids; echo HOME=$HOME'
  run skiff run -b "$BUNDLE" $CT1
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == "uid=1000 gid=1000 euid=1000 egid=1000 groups="* ]]
  [[ "${lines[0]}" == *100* ]]
  [ "${lines[1]}" = HOME=/home/user ]
}
