#!/bin/bash
# The systemd cgroup driver's tests, run INSIDE the VM booted with systemd
# as PID 1 (tests/vm/check-systemd.sh): first the cgroup v2 resource tests
# of cgroup-tests.sh with every container in a transient scope, then what
# is particular to systemd: the scope's unit properties (systemctl show),
# Delegate and org.systemd.property.* annotations, update through
# SetUnitProperties, limits that survive a daemon-reload, device rules as
# DevicePolicy/DeviceAllow, delete stopping the scope, and podman with
# --cgroup-manager systemd.  Ends with "N passed, N failed".
#
# Env: SKIFF (binary), SKIFF_TEST_HELPER (static payload), BUSYBOX.
export SKIFF_VM_SYSTEMD=1
here=$(dirname "$0")
. "$here/vm-lib.sh"

# `systemctl show` of UNIT, one property: its value.
show() { systemctl show -P "$2" "$1" 2>/dev/null; }
unit_of() { echo "skiff-$1.scope"; }
# systemd unloads a stopped transient unit from its event loop: poll.
gone() { wait_for 10 test "$(show "$1" LoadState)" = not-found; }

t_sd_scope() {
  cfg '.linux.resources = {"memory": {"limit": 67108864, "swap": 100663296, "reservation": 8388608},
                           "pids": {"limit": 20}, "cpu": {"shares": 512, "quota": 25000, "period": 50000, "cpus": "0", "mems": "0"},
                           "unified": {"memory.high": "58720256"}}
       | .annotations = {"org.systemd.property.Delegate": "true",
                         "org.systemd.property.TimeoutStopUSec": "uint64 7000000",
                         "org.systemd.property.CollectMode": "'"'inactive-or-failed'"'"}'
  start_ct sdscope sh -c 'cat /proc/self/cgroup >/tmp/self; cat /sys/fs/cgroup/memory.max >/tmp/mem; sleep 100' || return 1
  local u p pid
  u=$(unit_of sdscope) p=$(cgpath sdscope)
  pid=$(sk state sdscope | jq .pid)
  wait_for 20 test -s "$B/rootfs/tmp/mem"
  log "$u: $(systemctl show -p ActiveState,Slice,ControlGroup,Delegate,MemoryMax,MemoryHigh,MemoryLow,MemorySwapMax,TasksMax,CPUWeight,CPUQuotaPerSecUSec,CPUQuotaPeriodUSec,AllowedCPUs,AllowedMemoryNodes,TimeoutStopUSec,CollectMode "$u" | tr '\n' ' ')"
  log "pid $pid in $(cut -d: -f3 "/proc/$pid/cgroup"); container sees $(cat "$B/rootfs/tmp/self") memory.max=$(cat "$B/rootfs/tmp/mem")"
  log "files: memory.max=$(cat "$p/memory.max") high=$(cat "$p/memory.high") low=$(cat "$p/memory.low") swap.max=$(cat "$p/memory.swap.max") pids.max=$(cat "$p/pids.max") cpu.max=$(cat "$p/cpu.max") cpu.weight=$(cat "$p/cpu.weight") cpuset.cpus=$(cat "$p/cpuset.cpus")"
  [ "$(show "$u" ActiveState)" = active ] && [ "$(show "$u" Slice)" = skiffvm.slice ] &&
    [ "$(show "$u" ControlGroup)" = /skiffvm.slice/$u ] && [ "$(show "$u" Delegate)" = yes ] &&
    [ "$(show "$u" MemoryMax)" = 67108864 ] && [ "$(show "$u" MemoryHigh)" = 58720256 ] &&
    [ "$(show "$u" MemoryLow)" = 8388608 ] && [ "$(show "$u" MemorySwapMax)" = 33554432 ] &&
    [ "$(show "$u" TasksMax)" = 20 ] && [ "$(show "$u" CPUWeight)" = 59 ] &&
    [ "$(show "$u" CPUQuotaPerSecUSec)" = 500ms ] && [ "$(show "$u" CPUQuotaPeriodUSec)" = 50ms ] &&
    [ "$(show "$u" AllowedCPUs)" = 0 ] && [ "$(show "$u" AllowedMemoryNodes)" = 0 ] &&
    [ "$(show "$u" TimeoutStopUSec)" = 7s ] && [ "$(show "$u" CollectMode)" = inactive-or-failed ] || return 1
  # The process is in the scope, and sees the limit through its cgroup namespace.
  [ "$(cut -d: -f3 "/proc/$pid/cgroup")" = "/skiffvm.slice/$u" ] && grep -qx '0::/' "$B/rootfs/tmp/self" &&
    [ "$(cat "$B/rootfs/tmp/mem")" = 67108864 ] || return 1
  [ "$(cat "$p/memory.max")" = 67108864 ] && [ "$(cat "$p/memory.high")" = 58720256 ] &&
    [ "$(cat "$p/memory.swap.max")" = 33554432 ] && [ "$(cat "$p/pids.max")" = 20 ] &&
    [ "$(cat "$p/cpu.max")" = "25000 50000" ] && [ "$(cat "$p/cpu.weight")" = 59 ] &&
    [ "$(cat "$p/cpuset.cpus")" = 0 ] || return 1
  # Delegated: the container's cgroup offers its controllers to sub-cgroups.
  log "subtree_control of the delegated scope's parent: $(cat "$CG/skiffvm.slice/cgroup.subtree_control"); scope owns cgroup.subtree_control: $(stat -c %U "$p/cgroup.subtree_control")"
  sk delete --force sdscope || return 1
  log "after delete: LoadState=$(show "$u" LoadState) ActiveState=$(show "$u" ActiveState) dir: $([ -d "$p" ] && echo present || echo gone)"
  gone "$u" && [ ! -d "$p" ]
}

t_sd_update() {
  cfg '.linux.resources = {"memory": {"limit": 67108864}, "pids": {"limit": 100}, "cpu": {"quota": 50000, "period": 100000}}'
  start_ct sdupd sleep 100 || return 1
  local u p
  u=$(unit_of sdupd) p=$(cgpath sdupd)
  sk update --memory 32m --memory-swap 48m --pids-limit 10 --cpu-quota 33333 --cpu-share 2048 --cpuset-cpus 0 sdupd || return 1
  log "after update: $(systemctl show -p MemoryMax,MemorySwapMax,TasksMax,CPUQuotaPerSecUSec,CPUWeight,AllowedCPUs "$u" | tr '\n' ' ')"
  log "files: memory.max=$(cat "$p/memory.max") swap.max=$(cat "$p/memory.swap.max") pids.max=$(cat "$p/pids.max") cpu.max=$(cat "$p/cpu.max") cpu.weight=$(cat "$p/cpu.weight")"
  # systemd keeps the quota at 10 ms granularity (340ms); the file has the exact value.
  [ "$(show "$u" MemoryMax)" = 33554432 ] && [ "$(show "$u" MemorySwapMax)" = 16777216 ] &&
    [ "$(show "$u" TasksMax)" = 10 ] && [ "$(show "$u" CPUQuotaPerSecUSec)" = 340ms ] &&
    [ "$(show "$u" CPUWeight)" = "$(cat "$p/cpu.weight")" ] && [ "$(show "$u" AllowedCPUs)" = 0 ] || return 1
  [ "$(cat "$p/memory.max")" = 33554432 ] && [ "$(cat "$p/memory.swap.max")" = 16777216 ] &&
    [ "$(cat "$p/pids.max")" = 10 ] && [ "$(cat "$p/cpu.max")" = "33333 100000" ] || return 1
  # A daemon-reload makes systemd write the unit's values again: the
  # limits hold because systemd has them too.
  systemctl daemon-reload || return 1
  log "after daemon-reload: memory.max=$(cat "$p/memory.max") pids.max=$(cat "$p/pids.max")"
  [ "$(cat "$p/memory.max")" = 33554432 ] && [ "$(cat "$p/pids.max")" = 10 ] || return 1
  # checkBeforeUpdate refuses before systemd changes anything.
  local out
  out=$(echo '{"memory": {"limit": 4096, "checkBeforeUpdate": true}}' | sk update -r - sdupd 2>&1) && return 1
  log "checkBeforeUpdate: $out; MemoryMax still $(show "$u" MemoryMax)"
  [ "$(show "$u" MemoryMax)" = 33554432 ] && finish_ct sdupd && gone "$u"
}

t_sd_devices() {
  # Deny all + allows: DevicePolicy=strict with the allows (the defaults
  # included); skiff's own program enforces the same rules next to it.
  cfg '.linux.resources.devices = [{"allow": false, "access": "rwm"}, {"allow": true, "type": "c", "major": 4, "minor": 64, "access": "r"}]
       | .process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]'
  start_ct sddev sh -c '
    mknod /tmp/ttyS0 c 4 64; mknod /tmp/ttyS1 c 4 65
    (head -c 0 </tmp/ttyS0 && echo read-allowed-ok || echo read-allowed-FAIL) >/tmp/res 2>&1
    (head -c 0 </tmp/ttyS1 && echo other-denied-FAIL || echo other-denied-ok) >>/tmp/res 2>&1
    (echo x >/dev/null && echo null-ok || echo null-FAIL) >>/tmp/res 2>&1
    echo end >>/tmp/res; sleep 100' || return 1
  local u allow
  u=$(unit_of sddev)
  wait_for 20 grep -qs end "$B/rootfs/tmp/res"
  allow=$(show "$u" DeviceAllow | tr '\n' ',')
  log "DevicePolicy=$(show "$u" DevicePolicy) DeviceAllow=$allow"
  log "container: $(tr '\n' ' ' <"$B/rootfs/tmp/res")"
  [ "$(show "$u" DevicePolicy)" = strict ] && [[ $allow == *"/dev/char/4:64 r"* ]] &&
    [[ $allow == *"/dev/char/1:3 rwm"* ]] && [[ $allow == *"char-pts rwm"* ]] &&
    ! grep -q FAIL "$B/rootfs/tmp/res" && [ "$(grep -c -- '-ok$' "$B/rootfs/tmp/res")" = 3 ] || return 1
  # A deny after an allow is beyond systemd's allow lists: policy auto,
  # skiff's program alone decides.
  cfg '.linux.resources.devices = [{"allow": true, "access": "rwm"}, {"allow": false, "type": "c", "major": 4, "minor": 65, "access": "rwm"}]'
  start_ct sddev2 sh -c 'mknod /tmp/ttyS1 c 4 65; (head -c 0 </tmp/ttyS1 && echo FAIL || echo denied-ok) >/tmp/res2 2>&1; sleep 100' || return 1
  wait_for 20 test -s "$B/rootfs/tmp/res2"
  log "deny after allow: DevicePolicy=$(show "$(unit_of sddev2)" DevicePolicy); container: $(cat "$B/rootfs/tmp/res2")"
  [ "$(show "$(unit_of sddev2)" DevicePolicy)" = auto ] && grep -q denied-ok "$B/rootfs/tmp/res2" &&
    finish_ct sddev && finish_ct sddev2
}

t_sd_run() {
  # run: the scope lives as long as the container; exec joins it.
  local out rc p
  cfg '.process.args = ["sh", "-c", "cat /sys/fs/cgroup/pids.max; exit 3"] | .linux.cgroupsPath = "skiffvm.slice:skiff:sdrun"
       | .linux.resources = {"pids": {"limit": 33}}'
  out=$(sk run -b "$B" sdrun </dev/null 2>&1)
  rc=$?
  log "run (exit $rc): $out; after it: $(systemctl show -p LoadState "$(unit_of sdrun)")"
  [ $rc = 3 ] && [ "$out" = 33 ] && gone "$(unit_of sdrun)" && [ ! -d "$(cgpath sdrun)" ] || return 1
  start_ct sdexec sleep 100 || return 1
  p=$(cgpath sdexec)
  sk exec -d sdexec sleep 50 || return 1
  log "after exec -d: $(wc -l <"$p/cgroup.procs") processes in $(systemctl show -P ControlGroup "$(unit_of sdexec)")"
  [ "$(wc -l <"$p/cgroup.procs")" = 2 ] && finish_ct sdexec && gone "$(unit_of sdexec)"
}

t_sd_io() {
  # IO properties name the disk as /dev/block/MAJ:MIN (the VM has no udev
  # to make such links: systemd parses them).
  [ -r /sys/block/vda/dev ] || { log "no /dev/vda: run vm-run.sh with -d"; return 77; }
  local mm maj min u p
  mm=$(cat /sys/block/vda/dev)
  maj=${mm%:*} min=${mm#*:}
  cfg ".linux.resources.blockIO = {\"weight\": 500,
         \"throttleReadBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 1048576}],
         \"throttleWriteIOPSDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 300}]}"
  start_ct sdio sleep 100 || return 1
  u=$(unit_of sdio) p=$(cgpath sdio)
  log "$(systemctl show -p IOWeight,IOReadBandwidthMax,IOWriteIOPSMax "$u" | tr '\n' ' ') io.max: $(grep "^$mm " "$p/io.max")"
  [ "$(show "$u" IOWeight)" = 4950 ] && [ "$(show "$u" IOReadBandwidthMax)" = "/dev/block/$mm 1048576" ] &&
    [ "$(show "$u" IOWriteIOPSMax)" = "/dev/block/$mm 300" ] &&
    [ "$(grep "^$mm " "$p/io.max")" = "$mm rbps=1048576 wbps=max riops=max wiops=300" ] || return 1
  # Lifted by update (rate 0): systemd drops the device from its list.
  echo "{\"blockIO\": {\"throttleReadBpsDevice\": [{\"major\": $maj, \"minor\": $min, \"rate\": 0}]}}" |
    sk update --resources - sdio || return 1
  log "after update: IOReadBandwidthMax=$(show "$u" IOReadBandwidthMax) io.max: $(grep "^$mm " "$p/io.max")"
  [[ "$(show "$u" IOReadBandwidthMax)" != *1048576* ]] &&
    [ "$(grep "^$mm " "$p/io.max")" = "$mm rbps=max wbps=max riops=max wiops=300" ] && finish_ct sdio
}

t_sd_errors() {
  local out
  # A malformed annotation value names the annotation; nothing is left.
  cfg '.process.args = ["sleep", "100"] | .linux.cgroupsPath = "skiffvm.slice:skiff:sdbad" | .annotations = {"org.systemd.property.TasksMax": "uint64 lots"}'
  out=$(sk create -b "$B" sdbad </dev/null 2>&1) && return 1
  log "bad annotation: $out"
  [[ $out == *"org.systemd.property.TasksMax"* ]] && gone "$(unit_of sdbad)" || return 1
  # A scope of that name in use: refused, and the failed create leaves
  # the other container's scope alone.
  cfg '.annotations = {} | .linux.cgroupsPath = "skiffvm.slice:skiff:sdtwin"'
  sk create -b "$B" sdtwin </dev/null >/dev/null 2>&1 || return 1
  out=$(sk create -b "$B" sdtwin2 </dev/null 2>&1) && return 1
  log "same scope twice: $out; first one: $(show "$(unit_of sdtwin)" ActiveState)"
  [[ $out == *"--systemd-cgroup"*"skiff-sdtwin.scope"*"exists already"* ]] &&
    [ "$(show "$(unit_of sdtwin)" ActiveState)" = active ] || return 1
  sk delete --force sdtwin2 >/dev/null 2>&1
  # A slice whose name does not say its parent is refused.
  cfg '.linux.cgroupsPath = "skiffvm.slice:skiff:other.slice"'
  out=$(sk create -b "$B" sdoth </dev/null 2>&1) && return 1
  log "misplaced slice: $out"
  [[ $out == *"would not put slice other.slice in skiffvm.slice"* ]] || return 1
  # A slice as the name: a transient slice, the process moved into it.
  cfg '.linux.cgroupsPath = "skiffvm.slice:skiff:skiffvm-sdsub.slice"'
  sk create -b "$B" sdsub </dev/null >/dev/null 2>&1 || return 1
  local pid
  pid=$(sk state sdsub | jq .pid)
  log "slice unit: $(systemctl show -p ActiveState skiffvm-sdsub.slice) pid $pid in $(cut -d: -f3 "/proc/$pid/cgroup")"
  [ "$(cut -d: -f3 "/proc/$pid/cgroup")" = /skiffvm.slice/skiffvm-sdsub.slice ] || return 1
  sk delete --force sdsub && sk delete --force sdtwin || return 1
  log "after delete: skiffvm-sdsub.slice $(systemctl show -p LoadState,ActiveState skiffvm-sdsub.slice | tr '\n' ' ')$(unit_of sdtwin) $(systemctl show -p LoadState,ActiveState "$(unit_of sdtwin)" | tr '\n' ' ')"
  # A stopped slice may stay loaded (inactive) a while; its cgroup is gone.
  [ "$(show skiffvm-sdsub.slice ActiveState)" = inactive ] && [ ! -d "$CG/skiffvm.slice/skiffvm-sdsub.slice" ] &&
    gone "$(unit_of sdtwin)"
}

t_sd_podman() {
  command -v podman >/dev/null || { log "no podman"; return 77; }
  local pm=(timeout 300 podman --runtime "$SKIFF" --cgroup-manager systemd) out rc id pid cg
  # No image (no network in the VM): the bundle's busybox root.
  out=$("${pm[@]}" run --rm --network none --memory 64m --rootfs "$B/rootfs" \
    /bin/sh -c 'cat /proc/self/cgroup; cat /sys/fs/cgroup/memory.max' 2>&1)
  rc=$?
  log "podman run (exit $rc): $(echo "$out" | tr '\n' ' ')"
  [ $rc = 0 ] && [[ $out == *"0::/"* ]] && [[ $out == *67108864* ]] || return 1
  # A detached one: podman's scope in machine.slice with the limit, and
  # delegated through the annotation (podman 4.3 sends it only for
  # containers running systemd).
  id=$("${pm[@]}" run -d --network none --memory 64m --annotation org.systemd.property.Delegate=true \
    --rootfs "$B/rootfs" sleep 100) || return 1
  pid=$("${pm[@]}" inspect -f '{{.State.Pid}}' "$id")
  cg=$(cut -d: -f3 "/proc/$pid/cgroup")
  log "podman container ${id:0:12}: pid $pid in $cg: $(systemctl show -p ActiveState,Delegate,MemoryMax "${cg##*/}" | tr '\n' ' ')"
  [ "$cg" = "/machine.slice/libpod-$id.scope" ] && [ "$(show "${cg##*/}" ActiveState)" = active ] &&
    [ "$(show "${cg##*/}" MemoryMax)" = 67108864 ] && [ "$(show "${cg##*/}" Delegate)" = yes ] || rc=1
  "${pm[@]}" rm -f -t 0 "$id" >/dev/null || rc=1
  gone "${cg##*/}" || rc=1
  return $rc
}

echo "== systemd $(systemctl --version | head -n1 | cut -d' ' -f2), state $(systemctl is-system-running 2>&1)"
echo "== cgroup-tests.sh through the systemd driver"
CGTESTS="${CGTESTS:-t_memory_oom t_pids t_cpu_max t_cpuset t_devices t_freeze t_update t_update_devices t_hugetlb_io t_io_max t_kill_all}" \
  "$here/cgroup-tests.sh"
cg_rc=$?
echo "== systemd driver"
t_start=$(now)
run_test "scope: properties, Delegate, annotations, files, delete stops it" t_sd_scope
run_test "update: SetUnitProperties and files, daemon-reload, checkBeforeUpdate" t_sd_update
run_test "devices: DevicePolicy/DeviceAllow next to skiff's program" t_sd_devices
run_test "run waits in its scope, which goes with it; exec joins the scope" t_sd_run
run_test "IO weight and throttles as properties, update" t_sd_io
run_test "bad annotation, a scope that exists, a slice as the unit" t_sd_errors
run_test "podman --cgroup-manager systemd" t_sd_podman
summary && [ $cg_rc = 0 ]
