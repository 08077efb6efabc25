#!/bin/bash
# skiff's cgroup v2 tests, run INSIDE the VM by tests/vm/check-vm.sh (root,
# real cgroup v2 with every controller, 2 vCPUs).  Each test runs real
# skiff containers and checks what the kernel did.  Ends with
# "N passed, N failed"; exit status 1 if anything failed.
#
# Env: SKIFF (binary), SKIFF_TEST_HELPER (static payload), BUSYBOX.
. "$(dirname "$0")/vm-lib.sh"

t_memory_oom() {
  cfg '.linux.resources.memory = {"limit": 33554432, "swap": 33554432}'
  start_ct oom sh -c 'sleep 3; dd if=/dev/zero of=/dev/null bs=64M count=1; echo dd-exit=$? >/tmp/dd; sleep 100' || return 1
  "$SKIFF" --root "$ROOT" events --interval 1s oom >"$W/events.out" 2>&1 &
  local ev=$!
  wait_for 30 test -s "$B/rootfs/tmp/dd"
  wait_for 5 grep -q '"type":"oom"' "$W/events.out"
  kill $ev 2>/dev/null
  wait $ev 2>/dev/null
  log "memory.max=$(cat "$(cgpath oom)/memory.max") swap.max=$(cat "$(cgpath oom)/memory.swap.max")"
  log "$(cat "$B/rootfs/tmp/dd" 2>/dev/null); memory.events: $(grep oom "$(cgpath oom)/memory.events" | tr '\n' ' ')"
  log "events: $(grep -c '"type":"oom"' "$W/events.out") oom line(s), $(grep -c '"type":"stats"' "$W/events.out") stats line(s)"
  grep -q 'dd-exit=137' "$B/rootfs/tmp/dd" &&
    grep -q '^oom_kill [1-9]' "$(cgpath oom)/memory.events" &&
    [ "$(cat "$(cgpath oom)/memory.max")" = 33554432 ] &&
    [ "$(cat "$(cgpath oom)/memory.swap.max")" = 0 ] &&
    grep -q '{"type":"oom","id":"oom"}' "$W/events.out" &&
    finish_ct oom
}

t_pids() {
  cfg '.linux.resources.pids = {"limit": 8}'
  # busy box sh gives up at the first failed fork: the limit stops it.  In
  # a subshell, so that the container lives on (exec: no fork needed) and
  # its cgroup with it (a systemd scope goes when its processes do).
  start_ct pids sh -c '(i=0; while [ $i -lt 30 ]; do sleep 100 & i=$((i+1)); done) 2>/tmp/forkerr; exec sleep 100' || return 1
  local p=$(cgpath pids)
  wait_for 30 grep -q '^max [1-9]' "$p/pids.events"
  wait_for 10 test -s "$B/rootfs/tmp/forkerr"
  log "pids.max=$(cat "$p/pids.max") pids.current=$(cat "$p/pids.current") pids.events: $(cat "$p/pids.events")"
  log "container said: $(head -n1 "$B/rootfs/tmp/forkerr")"
  [ "$(cat "$p/pids.max")" = 8 ] && [ "$(cat "$p/pids.current")" -le 8 ] &&
    grep -q '^max [1-9]' "$p/pids.events" && finish_ct pids
}

t_cpu_max() {
  cfg '.linux.resources.cpu = {"quota": 20000, "period": 100000, "shares": 512}'
  start_ct cpu sh -c 'while :; do :; done' || return 1
  sleep 3
  local p=$(cgpath cpu)
  log "cpu.max=$(cat "$p/cpu.max") cpu.weight=$(cat "$p/cpu.weight")"
  log "$(grep -E 'usage_usec|nr_periods|nr_throttled' "$p/cpu.stat" | tr '\n' ' ')"
  # shares 512 -> weight 59 with the quadratic mapping (1024 -> 100).
  [ "$(cat "$p/cpu.max")" = "20000 100000" ] && [ "$(cat "$p/cpu.weight")" = 59 ] &&
    grep -q '^nr_throttled [1-9]' "$p/cpu.stat" &&
    [ "$(awk '/usage_usec/{print $2}' "$p/cpu.stat")" -lt 2000000 ] && finish_ct cpu
}

t_cpuset() {
  [ "$(nproc)" -ge 2 ] || return 77
  cfg '.linux.resources.cpu = {"cpus": "1", "mems": "0"}'
  start_ct cpuset sh -c 'grep Cpus_allowed_list /proc/self/status >/tmp/cpus; sleep 100' || return 1
  wait_for 20 test -s "$B/rootfs/tmp/cpus"
  log "cpuset.cpus.effective=$(cat "$(cgpath cpuset)/cpuset.cpus.effective") container: $(cat "$B/rootfs/tmp/cpus")"
  # exec: execCPUAffinity.initial holds only until the process is in the
  # cgroup, whose cpuset then decides; final is set after that.
  local p='{"args": ["grep", "Cpus_allowed_list", "/proc/self/status"], "cwd": "/", "user": {"uid": 0, "gid": 0}, "env": ["PATH=/bin"]}'
  jq -n "$p + {execCPUAffinity: {initial: \"0\"}}" >"$W/p1.json"
  jq -n "$p + {execCPUAffinity: {initial: \"0\", final: \"0\"}}" >"$W/p2.json"
  local e1 e2
  e1=$(sk exec --process "$W/p1.json" cpuset 2>&1)
  e2=$(sk exec --process "$W/p2.json" cpuset 2>&1)
  log "exec with initial 0: $e1; with final 0 (outside the cpuset): $e2"
  [ "$(cat "$(cgpath cpuset)/cpuset.cpus.effective")" = 1 ] &&
    grep -q 'Cpus_allowed_list:[[:space:]]*1$' "$B/rootfs/tmp/cpus" &&
    [[ $e1 == *"Cpus_allowed_list:"*1 ]] && [[ $e2 == *"execCPUAffinity.final"* ]] && finish_ct cpuset
}

t_devices() {
  # Deny everything, then allow only reading 4:64 (ttyS0: opening it needs
  # no capability, unlike kmsg or mem, so EPERM can only come from the
  # device program).  The container makes its own nodes (mknod is allowed
  # by the default rules, as in runc).
  cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 4, "minor": 64, "access": "r"}]
       | .process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]'
  start_ct dev sh -c '
    mknod /tmp/ttyS0 c 4 64; mknod /tmp/ttyS1 c 4 65
    (head -c 0 </tmp/ttyS0 && echo read-allowed-ok || echo read-allowed-FAIL) >/tmp/res 2>&1
    (echo -n >/tmp/ttyS0 && echo write-denied-FAIL || echo write-denied-ok) >>/tmp/res 2>&1
    (head -c 0 </tmp/ttyS1 && echo other-denied-FAIL || echo other-denied-ok) >>/tmp/res 2>&1
    (echo x >/dev/null && echo null-ok || echo null-FAIL) >>/tmp/res 2>&1
    echo end >>/tmp/res; sleep 100' || return 1
  wait_for 20 grep -qs end "$B/rootfs/tmp/res"
  [ -f "$B/rootfs/tmp/res" ] || log "container output: $(cat "$W/dev.out" "$W/dev.err")"
  log "$(tr '\n' ' ' <"$B/rootfs/tmp/res")"
  ! grep -q FAIL "$B/rootfs/tmp/res" && [ "$(grep -c -- '-ok$' "$B/rootfs/tmp/res")" = 4 ] &&
    [ "$(grep -c 'Operation not permitted' "$B/rootfs/tmp/res")" = 2 ] && finish_ct dev
}

t_update_devices() {
  # Replacing the device program of a running container (BPF_F_REPLACE):
  # ttyS0 is denied at first, then allowed by `update`.
  cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"}]
       | .process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]'
  start_ct upddev sh -c 'mknod /tmp/ttyS0 c 4 64; while :; do if head -c 0 </tmp/ttyS0 2>/dev/null; then echo ok; else echo denied; fi >/tmp/tty; sleep 0.2; done' || return 1
  local z=$B/rootfs/tmp/tty before after
  wait_for 20 grep -qs denied "$z"
  before=$(cat "$z")
  echo '{"devices": [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 4, "minor": 64, "access": "r"}]}' |
    sk update -r - upddev || return 1
  wait_for 20 grep -qs ok "$z"
  after=$(cat "$z")
  log "ttyS0 before update: $before; after allowing c 4:64 r: $after"
  [ "$before" = denied ] && [ "$after" = ok ] && finish_ct upddev
}

t_freeze() {
  # Replaced by rename: a container frozen mid-write never leaves it empty.
  start_ct frz sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/c.new; mv /tmp/c.new /tmp/counter; sleep 0.1; done' || return 1
  wait_for 20 test -s "$B/rootfs/tmp/counter"
  sk pause frz || return 1
  local st=$(sk state frz | jq -r .status) a b c
  a=$(cat "$B/rootfs/tmp/counter")
  sleep 1.5
  b=$(cat "$B/rootfs/tmp/counter")
  log "paused: state=$st cgroup.freeze=$(cat "$(cgpath frz)/cgroup.freeze") events: $(grep frozen "$(cgpath frz)/cgroup.events") counter $a -> $b"
  sk resume frz || return 1
  sleep 1.5
  c=$(cat "$B/rootfs/tmp/counter")
  log "resumed: state=$(sk state frz | jq -r .status) counter $b -> $c"
  [ "$st" = paused ] && [ "$a" = "$b" ] && [ "$c" -gt "$b" ] && finish_ct frz
}

t_update() {
  cfg '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 100}, "cpu": {"quota": 50000, "period": 100000}}'
  start_ct upd sleep 100 || return 1
  local p=$(cgpath upd)
  log "before: memory.max=$(cat "$p/memory.max") pids.max=$(cat "$p/pids.max") cpu.max=$(cat "$p/cpu.max")"
  sk update --memory 32m --memory-swap 48m --pids-limit 10 --cpu-quota 30000 --cpuset-cpus 0 upd || return 1
  log "flags: memory.max=$(cat "$p/memory.max") swap.max=$(cat "$p/memory.swap.max") pids.max=$(cat "$p/pids.max") cpu.max=$(cat "$p/cpu.max") cpuset.cpus=$(cat "$p/cpuset.cpus")"
  [ "$(cat "$p/memory.max")" = 33554432 ] && [ "$(cat "$p/memory.swap.max")" = 16777216 ] &&
    [ "$(cat "$p/pids.max")" = 10 ] && [ "$(cat "$p/cpu.max")" = "30000 100000" ] &&
    [ "$(cat "$p/cpuset.cpus")" = 0 ] || return 1
  echo '{"memory": {"limit": 50331648, "reservation": 16777216}, "pids": {"limit": -1}, "cpu": {"shares": 1024}, "unified": {"memory.high": "41943040"}}' |
    sk update --resources - upd || return 1
  log "resources: memory.max=$(cat "$p/memory.max") low=$(cat "$p/memory.low") high=$(cat "$p/memory.high") pids.max=$(cat "$p/pids.max") cpu.weight=$(cat "$p/cpu.weight")"
  [ "$(cat "$p/memory.max")" = 50331648 ] && [ "$(cat "$p/memory.low")" = 16777216 ] &&
    [ "$(cat "$p/memory.high")" = 41943040 ] && [ "$(cat "$p/pids.max")" = max ] &&
    [ "$(cat "$p/cpu.weight")" = 100 ] || return 1
  # checkBeforeUpdate refuses a limit below the current usage.
  local out
  out=$(echo '{"memory": {"limit": 4096, "checkBeforeUpdate": true}}' | sk update -r - upd 2>&1) && return 1
  log "checkBeforeUpdate: $out"
  # unified keys cannot leave the cgroup directory.
  out=$(echo '{"unified": {"../cgroup.procs": "1"}}' | sk update -r - upd 2>&1) && return 1
  log "unified escape: $out"
  local js
  js=$(sk events --stats upd) || return 1
  log "stats: memory limit $(jq .data.memory.usage.limit <<<"$js"), pids $(jq -c .data.pids <<<"$js")"
  [ "$(jq -r .type <<<"$js")" = stats ] && [ "$(jq .data.memory.usage.limit <<<"$js")" = 50331648 ] &&
    finish_ct upd
}

t_hugetlb_io() {
  # No huge pages are reserved and there is no block device in the VM: check
  # that the limits land in the right files with the right conversions.
  cfg '.linux.resources.hugepageLimits = [{"pageSize": "2MB", "limit": 4194304}] | .linux.resources.blockIO = {"weight": 500} | .linux.resources.cpu = {"burst": 1000, "idle": 0}'
  start_ct hio sleep 100 || return 1
  local p=$(cgpath hio)
  log "hugetlb.2MB.max=$(cat "$p/hugetlb.2MB.max") io.weight=$(head -n1 "$p/io.weight" 2>/dev/null) io.bfq.weight=$(head -n1 "$p/io.bfq.weight" 2>/dev/null) cpu.max.burst=$(cat "$p/cpu.max.burst")"
  [ "$(cat "$p/hugetlb.2MB.max")" = 4194304 ] && [ "$(cat "$p/cpu.max.burst")" = 1000 ] || return 1
  # blkio 500 -> io.weight 4950 (10..1000 onto 1..10000), or 500 with BFQ.
  if [ -f "$p/io.bfq.weight" ]; then
    [ "$(head -n1 "$p/io.bfq.weight")" = "default 500" ] || return 1
  else
    [ "$(head -n1 "$p/io.weight")" = "default 4950" ] || return 1
  fi
  # An unknown page size is an error naming it.
  local out
  cfg '.linux.resources.hugepageLimits = [{"pageSize": "3MB", "limit": 1}] | .linux.cgroupsPath = "'"$(ctpath hio2)"'"'
  out=$(sk create -b "$B" hio2 </dev/null 2>&1) && return 1
  log "3MB: $out"
  [[ $out == *"\"3MB\" is not a page size"* ]] && finish_ct hio
}

t_io_max() {
  # Needs the scratch disk (vm-run.sh -d).  Uses O_DIRECT: buffered reads
  # would hit the page cache and buffered writes are throttled only at
  # writeback; direct I/O is throttled synchronously in the container.
  [ -r /sys/block/vda/dev ] || { log "no /dev/vda: run vm-run.sh with -d"; return 77; }
  local mm maj min p io
  mm=$(cat /sys/block/vda/dev)
  maj=${mm%:*} min=${mm#*:}
  p=$(cgpath io)
  cfg ".linux.devices = [{\"path\": \"/dev/vda\", \"type\": \"b\", \"major\": $maj, \"minor\": $min, \"fileMode\": 432}]
       | .linux.resources.devices = [{\"allow\": true, \"type\": \"b\", \"major\": $maj, \"minor\": $min, \"access\": \"rw\"}]
       | .linux.resources.blockIO = {\"throttleReadBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 1048576}],
                                     \"throttleWriteBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 2097152}]}"
  start_ct io sleep 100 || return 1
  io=$(grep "^$mm " "$p/io.max")
  log "vda is $mm; io.max: $io"
  [ "$io" = "$mm rbps=1048576 wbps=2097152 riops=max wiops=max" ] || return 1
  # 2 MiB at 1 MiB/s: about 2 s, timed inside the container.
  local rd='read a _ </proc/uptime; dd if=/dev/vda of=/dev/null bs=64k count=32 iflag=direct 2>/dev/null || exit 1; read b _ </proc/uptime; echo "$a $b"'
  local slow fast
  slow=$(sk exec io sh -c "$rd" | awk '{printf "%.2f", $2 - $1}')
  log "2 MiB O_DIRECT read at rbps=1048576: ${slow:-failed} s"
  [ -n "$slow" ] && awk "BEGIN{exit !($slow >= 1.5)}" || return 1
  # 4 MiB of direct writes at 2 MiB/s: about 2 s as well.
  local wr='read a _ </proc/uptime; dd if=/dev/zero of=/dev/vda bs=64k count=64 oflag=direct 2>/dev/null || exit 1; read b _ </proc/uptime; echo "$a $b"'
  local wslow
  wslow=$(sk exec io sh -c "$wr" | awk '{printf "%.2f", $2 - $1}')
  log "4 MiB O_DIRECT write at wbps=2097152: ${wslow:-failed} s"
  [ -n "$wslow" ] && awk "BEGIN{exit !($wslow >= 1.5)}" || return 1
  # Lift the read limit (rate 0 = max); the write limit stays.
  echo "{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 0}]}}" |
    sk update --resources - io || return 1
  io=$(grep "^$mm " "$p/io.max")
  fast=$(sk exec io sh -c "$rd" | awk '{printf "%.2f", $2 - $1}')
  log "after update: io.max: $io; same read unthrottled: ${fast:-failed} s"
  [ "$io" = "$mm rbps=max wbps=2097152 riops=max wiops=max" ] && [ -n "$fast" ] &&
    awk "BEGIN{exit !($fast < 0.5 && $fast * 3 < $slow)}" && finish_ct io
}

t_kill_all() {
  start_ct kall sh -c 'sleep 100 & sleep 100 & sh -c "sleep 100 & sleep 100" & sleep 100' || return 1
  local p=$(cgpath kall) n
  # A systemd scope goes with its last process: no cgroup, no process.
  nprocs() { cat "$p/cgroup.procs" 2>/dev/null | wc -l; }
  wait_for 20 test "$(nprocs)" -ge 5
  n=$(nprocs)
  sk kill --all kall 9 || return 1
  wait_for 10 test "$(nprocs)" = 0
  log "kill --all: $n processes -> $(nprocs), ps: $(sk ps --format json kall 2>&1)"
  [ "$n" -ge 5 ] && [ "$(nprocs)" = 0 ] && finish_ct kall
}

t_default_path() {
  # No cgroupsPath: <skiff's own cgroup>/skiff-<id>, here /skiff-<id>.
  cfg '.process.args = ["sleep", "100"] | del(.linux.cgroupsPath) | .linux.resources = {"pids": {"limit": 50}}'
  sk create -b "$B" defpath </dev/null || return 1
  log "$CG/skiff-defpath: pids.max=$(cat "$CG/skiff-defpath/pids.max" 2>&1)"
  [ "$(cat "$CG/skiff-defpath/pids.max")" = 50 ] || return 1
  sk delete --force defpath && [ ! -d "$CG/skiff-defpath" ]
}

t_nested_path() {
  # A nested path skiff makes level by level: the controllers a limit needs
  # (pids) must be enabled at every level, and, as runc does, the others
  # too, so the container's cgroup accounts memory without a memory limit
  # and the container sees every controller in its cgroup namespace.
  local p=$CG/skiff-nest/a/b/nested d ok=0
  cfg '.linux.resources = {"pids": {"limit": 20}} | .linux.cgroupsPath = "/skiff-nest/a/b/nested"
       | .process.args = ["sh", "-c", "cat /sys/fs/cgroup/cgroup.controllers >/tmp/ctrls; sleep 100"]'
  sk create -b "$B" nested </dev/null >"$W/nested.out" 2>"$W/nested.err" || {
    log "create failed: $(cat "$W/nested.err")"
    rm -rf "$CG/skiff-nest" 2>/dev/null
    return 1
  }
  sk start nested || return 1
  wait_for 20 test -s "$B/rootfs/tmp/ctrls"
  for d in "$CG/skiff-nest" "$CG/skiff-nest/a" "$CG/skiff-nest/a/b"; do
    log "${d#$CG}: subtree_control: $(cat "$d/cgroup.subtree_control")"
    grep -qw pids "$d/cgroup.subtree_control" && grep -qw memory "$d/cgroup.subtree_control" || ok=1
  done
  log "pids.max=$(cat "$p/pids.max") memory.current=$(cat "$p/memory.current" 2>&1) container sees: $(cat "$B/rootfs/tmp/ctrls")"
  [ "$(cat "$p/pids.max")" = 20 ] && [ -e "$p/memory.current" ] || ok=1
  grep -qw memory "$B/rootfs/tmp/ctrls" && grep -qw pids "$B/rootfs/tmp/ctrls" || ok=1
  sk delete --force nested || ok=1
  [ ! -d "$p" ] || ok=1
  # The levels above the container's are not its to remove.
  rmdir "$CG/skiff-nest/a/b" "$CG/skiff-nest/a" "$CG/skiff-nest" || ok=1
  return $ok
}

t_clean_hierarchy() {
  rmdir "$CG/skiff-vm" 2>/dev/null
  local left
  left=$(find "$CG" -mindepth 1 -type d -name 'skiff*')
  log "left in $CG: ${left:-nothing}"
  [ -z "$left" ]
}

echo "== kernel $(uname -r), $(nproc) cpu(s), $(awk '/MemTotal/{print int($2/1024)}' /proc/meminfo) MiB, $("$SKIFF" --version | head -n1)"
echo "== $CG: controllers: $(cat $CG/cgroup.controllers)"
t_start=$(now)
run_test "memory.max: over-limit allocation OOM-killed, reported by events" t_memory_oom
run_test "pids.max: forks beyond the limit fail" t_pids
run_test "cpu.max + cpu.weight: busy loop throttled" t_cpu_max
run_test "cpuset: pinned to cpu 1; exec affinity initial/final against it" t_cpuset
run_test "devices: eBPF allow/deny" t_devices
run_test "pause/resume: cgroup.freeze" t_freeze
run_test "update: flags, --resources -, checkBeforeUpdate, events --stats" t_update
run_test "update: device rules replaced on a running container" t_update_devices
run_test "hugetlb, io.weight, cpu.max.burst/idle" t_hugetlb_io
run_test "io.max: direct reads/writes throttled, limit lifted by update" t_io_max
run_test "kill --all reaches every process" t_kill_all
run_test "default cgroup path" t_default_path
run_test "nested cgroupsPath: controllers enabled at every level" t_nested_path
run_test "nothing left in the hierarchy" t_clean_hierarchy
summary
