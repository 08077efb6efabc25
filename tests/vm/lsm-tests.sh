#!/bin/bash
# skiff's SELinux and AppArmor tests, run INSIDE the VM by
# tests/vm/check-lsm.sh.  Debian's kernel boots with AppArmor by default
# and with SELinux given `security=selinux`; this script tests whichever
# of the two is active.  SELinux runs Debian's reference policy
# (selinux-policy-default) with skiff-test.cil built in: permissive for
# most tests (labels are applied and every access is judged and logged
# against them; the reference policy has no rules for containers started
# from the guest's kernel_t), enforcing for the one that uses the module's
# container domain.  AppArmor runs in enforce mode with profiles written
# here.
#
# Env: SKIFF (binary), SKIFF_TEST_HELPER (static payload), BUSYBOX,
# SKIFF_SELINUX_POLICY (the policy check-lsm.sh built).
. "$(dirname "$0")/vm-lib.sh"

mountpoint -q /sys/kernel/security || mount -t securityfs securityfs /sys/kernel/security
lsms=$(cat /sys/kernel/security/lsm)
case ",$lsms," in
  *,selinux,*) mode=selinux ;;
  *,apparmor,*) mode=apparmor ;;
  *) echo "neither SELinux nor AppArmor is active (lsm: $lsms)"; exit 1 ;;
esac

# The container's pid 1 as seen from the VM.
ct_pid() { sk state "$1" | jq -r .pid; }
attr() { tr -d '\0' <"$1"; }

# ---------------------------------------------------------------- SELinux

PL=system_u:system_r:svirt_t:s0:c1,c2
PL2=system_u:system_r:svirt_t:s0:c3,c4
ML=system_u:object_r:svirt_image_t:s0:c1,c2

selinux_setup() {
  # check-lsm.sh's build of the reference policy with skiff-test.cil.
  local policy=${SKIFF_SELINUX_POLICY:-}
  [ -s "$policy" ] || { echo "no policy: SKIFF_SELINUX_POLICY (check-lsm.sh builds it)"; return 1; }
  mountpoint -q /sys/fs/selinux || mount -t selinuxfs selinuxfs /sys/fs/selinux || return 1
  # The kernel takes a policy in a single write.
  dd if="$policy" of=/sys/fs/selinux/load bs=64M status=none || return 1
  echo 0 >/sys/fs/selinux/enforce
  # AVC records reach dmesg through printk_ratelimit(): keep them all.
  echo 0 >/proc/sys/kernel/printk_ratelimit
  # libselinux calls SELinux enabled only when its config file exists.
  [ -f /etc/selinux/config ] || printf 'SELINUX=permissive\nSELINUXTYPE=default\n' >/etc/selinux/config
  echo "== SELinux: $policy loaded, $(getenforce 2>/dev/null || echo permissive)"
}

t_se_process_label() {
  cfg ".process.selinuxLabel = \"$PL\" | .linux.mountLabel = \"$ML\""
  start_ct se1 sh -c 'cat /proc/self/attr/current >/tmp/label; /bin/skiff-test-helper keyring >/tmp/key; sleep 100' || return 1
  wait_for 20 test -s "$B/rootfs/tmp/key" || return 1
  local pid
  pid=$(ct_pid se1)
  log "pid 1 label (from the VM): $(attr /proc/$pid/attr/current)"
  log "pid 1 label (its own view): $(attr "$B/rootfs/tmp/label")"
  log "session keyring: $(tr '\n' ' ' <"$B/rootfs/tmp/key")"
  [ "$(attr /proc/$pid/attr/current)" = "$PL" ] &&
    [ "$(attr "$B/rootfs/tmp/label")" = "$PL" ] &&
    grep -qx "label=$PL" "$B/rootfs/tmp/key" && finish_ct se1
}

t_se_mount_label() {
  cfg ".process.selinuxLabel = \"$PL\" | .linux.mountLabel = \"$ML\"
       | .mounts += [{\"destination\": \"/scratch\", \"type\": \"tmpfs\", \"source\": \"tmpfs\", \"options\": [\"nosuid\"]}]"
  start_ct se2 sleep 100 || return 1
  local pid m ok=0 bad=0
  pid=$(ct_pid se2)
  # Every labelled filesystem (tmpfs, devpts, and the tmpfs that masks a
  # directory) carries the mount label, shown as context=.
  for m in /dev /dev/pts /dev/shm /scratch /proc/acpi; do
    if awk -v m="$m" '$5 == m' /proc/$pid/mountinfo | grep -qF "context=\"$ML\""; then
      ok=$((ok + 1))
    else
      bad=$((bad + 1))
      log "$m: $(awk -v m="$m" '$5 == m' /proc/$pid/mountinfo)"
    fi
  done
  # Files on them have it too.
  touch /proc/$pid/root/scratch/f
  # mqueue's superblock comes with the IPC namespace: its root is relabelled.
  log "labelled mounts: $ok, unlabelled: $bad; /scratch/f: $(stat -c %C /proc/$pid/root/scratch/f)"
  log "/dev/mqueue: $(stat -c %C /proc/$pid/root/dev/mqueue)"
  [ "$bad" = 0 ] && [ "$(stat -c %C /proc/$pid/root/scratch/f)" = "$ML" ] &&
    [ "$(stat -c %C /proc/$pid/root/dev/mqueue)" = "$ML" ] &&
    [ "$(stat -c %C /proc/$pid/root/dev/null)" = "$ML" ] && finish_ct se2
}

t_se_exec() {
  cfg ".process.selinuxLabel = \"$PL\""
  start_ct se3 sleep 100 || return 1
  local a b c
  a=$(sk exec se3 cat /proc/self/attr/current | tr -d '\0')
  b=$(sk exec --process-label "$PL2" se3 cat /proc/self/attr/current | tr -d '\0')
  jq -n '{args: ["cat", "/proc/self/attr/current"], cwd: "/", user: {uid: 0, gid: 0}}' >"$W/p.json"
  c=$(sk exec --process "$W/p.json" se3 cat /proc/self/attr/current | tr -d '\0')
  log "exec: $a; --process-label: $b; --process without a label: $c"
  [ "$a" = "$PL" ] && [ "$b" = "$PL2" ] && [ "$c" = "$PL" ] &&
    ! sk exec --process-label system_u:system_r:no_such_t:s0 se3 true 2>/dev/null && finish_ct se3
}

t_se_avc() {
  # The kernel judges the container's accesses by its label: permissive
  # mode logs what enforcing mode would have refused, with that label.
  # A label no earlier test used: a permissive denial is logged once, then
  # cached as allowed.
  local l=system_u:system_r:svirt_t:s0:c7,c8 n
  cfg ".process.selinuxLabel = \"$l\""
  sk run -b "$B" se4 >/dev/null 2>&1 </dev/null
  n=$(dmesg | grep -c "scontext=$l ")
  log "AVC records with scontext=$l: $n"
  # The domain is entered through the program itself (what a policy
  # allows as an entry point), not through skiff's exec stub.
  local entry
  entry=$(dmesg | grep "{ entrypoint }" | grep "scontext=$l " | sed 's/.*avc: *//')
  log "entrypoint: $entry"
  [ "$n" -gt 0 ] && [[ $entry == *'path="/bin/busybox"'* ]] && [[ $entry != *'path=2F6D656D6664'* ]] ||
    { dmesg | tail -n 15; false; }
}

t_se_bad_labels() {
  local out
  cfg '.process.selinuxLabel = "system_u:system_r:no_such_t:s0"'
  out=$(sk run -b "$B" se5 2>&1 </dev/null)
  log "selinuxLabel: $out"
  [[ $out == *"process.selinuxLabel"*"no_such_t"* ]] || return 1
  cfg '.process.selinuxLabel = "" | .linux.mountLabel = "system_u:object_r:nope_t:s0"'
  out=$(sk run -b "$B" se5 2>&1 </dev/null)
  log "mountLabel: $out"
  [[ $out == *"linux.mountLabel"*"nope_t"* ]] || return 1
  [ -z "$(sk list -q)" ] && [ ! -d "$(cgpath se5)" ] && [ ! -d "$ROOT/se5" ]
}

t_se_enforcing() {
  # skiff-test.cil: skiff_ct_t may be entered only through skiff_ct_exec_t
  # (the program, busybox here) and may not read skiff_secret_t.
  local l=system_u:system_r:skiff_ct_t:s0 out
  echo topsecret >"$B/rootfs/etc/secret"
  chcon -t skiff_ct_exec_t "$B/rootfs/bin/busybox" && chcon -t skiff_secret_t "$B/rootfs/etc/secret" ||
    return 1
  cfg ".process.selinuxLabel = \"$l\" | .process.args = [\"sh\", \"-c\", \"cat /proc/self/attr/current; echo; cat /etc/secret || echo secret-denied\"]"
  dmesg -C
  # Enforcing only for these runs: the VM's own plumbing (9p) is not
  # labelled.  run, then exec into a second container.
  local ex
  echo 1 >/sys/fs/selinux/enforce
  out=$(sk --debug run -b "$B" se7 2>&1 </dev/null | tr -d '\0')
  cfg '.process.args = ["sleep", "100"]'
  if start_ct se8 sleep 100; then
    ex=$(sk --debug exec se8 sh -c 'cat /proc/self/attr/current; echo; cat /etc/secret || echo secret-denied' 2>&1 | tr -d '\0')
  fi
  echo 0 >/sys/fs/selinux/enforce
  log "run: $(grep -v '^skiff: debug' <<<"$out" | tr '\n' ' ')"
  log "exec: $(grep -v '^skiff: debug' <<<"${ex:-}" | tr '\n' ' ')"
  log "exec stub: $(grep -c 'exec stub refused' <<<"$out${ex:-}") refusal(s); memfd entry points refused: $(dmesg | grep -c 'entrypoint.*path=2F6D656D6664')"
  [[ $out == *"$l"* ]] && [[ $out == *"Permission denied"*secret-denied* ]] &&
    [[ ${ex:-} == *"$l"* ]] && [[ ${ex:-} == *"Permission denied"*secret-denied* ]] &&
    [[ "$out${ex:-}" != *topsecret* ]] && [[ "$out${ex:-}" != *"exec stub refused"* ]] &&
    ! dmesg | grep -q 'entrypoint.*path=2F6D656D6664' && finish_ct se8
}

t_se_apparmor_ignored() {
  cfg '.process.apparmorProfile = "skiff-absent" | .process.args = ["true"]'
  sk --debug run -b "$B" se6 >"$W/se6.out" 2>&1 </dev/null || { log "$(cat "$W/se6.out")"; return 1; }
  grep -q 'apparmorProfile ignored' "$W/se6.out"
}

# --------------------------------------------------------------- AppArmor

apparmor_setup() {
  command -v apparmor_parser >/dev/null || { echo "no apparmor_parser: install apparmor"; return 1; }
  # Self-contained profiles (no includes): everything allowed except what
  # the tests try; no mount and no change_profile rules, so both are
  # refused to a confined process whatever its capabilities.
  cat >"$W/profiles" <<'EOF'
profile skiff-test flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  network,
  signal,
  ptrace,
  unix,
  deny /etc/secret r,
}
profile skiff-test2 flags=(attach_disconnected,mediate_deleted) {
  file,
  capability,
  deny /etc/other r,
}
profile skiff-noexec flags=(attach_disconnected,mediate_deleted) {
  file,
  deny /bin/busybox x,
}
EOF
  apparmor_parser -K -r "$W/profiles" || return 1
  echo "== AppArmor: $(grep -c . /sys/kernel/security/apparmor/profiles) profile(s) loaded"
}

aa_bundle_files() {
  echo secret >"$B/rootfs/etc/secret"
  echo other >"$B/rootfs/etc/other"
}
# Reads both files, prints the label; "secret=ok other=denied ..." style.
aa_probe='for f in secret other; do if cat /etc/$f >/dev/null 2>&1; then echo -n "$f=ok "; else echo -n "$f=denied "; fi; done; cat /proc/self/attr/current'

t_aa_profile() {
  aa_bundle_files
  local out0 out1
  cfg ".process.args = [\"sh\", \"-c\", $(jq -n --arg a "$aa_probe" '$a')]"
  out0=$(sk run -b "$B" aa0 </dev/null 2>&1 | tr -d '\0')
  cfg '.process.apparmorProfile = "skiff-test"'
  out1=$(sk run -b "$B" aa1 </dev/null 2>&1 | tr -d '\0')
  log "no profile: $out0"
  log "skiff-test: $out1"
  [[ $out0 == "secret=ok other=ok unconfined" ]] &&
    [[ $out1 == "secret=denied other=ok skiff-test (enforce)" ]]
}

t_aa_attach() {
  # The profile attaches at the program's own execve: a profile that may
  # not execute the program still runs it (as with any exec transition),
  # but nothing it starts from there.
  cfg '.process.apparmorProfile = "skiff-noexec" | .process.args = ["/bin/busybox", "sh", "-c", "echo started; /bin/busybox true && echo exec=ok || echo exec=denied"]'
  local out
  out=$(sk run -b "$B" aa6 </dev/null 2>&1 | tr '\n' ' ')
  log "$out"
  [[ $out == "started "*"exec=denied " ]]
}

t_aa_exec() {
  aa_bundle_files
  cfg '.process.apparmorProfile = "skiff-test"'
  start_ct aa2 sleep 100 || return 1
  local a b c
  a=$(sk exec aa2 sh -c "$aa_probe" | tr -d '\0')
  b=$(sk exec --apparmor skiff-test2 aa2 sh -c "$aa_probe" | tr -d '\0')
  jq -n --arg p "$aa_probe" '{args: ["sh", "-c", $p], cwd: "/", user: {uid: 0, gid: 0}}' >"$W/p.json"
  c=$(sk exec --process "$W/p.json" aa2 | tr -d '\0')
  log "exec: $a"
  log "exec --apparmor skiff-test2: $b"
  log "exec --process without a profile: $c"
  [[ $a == "secret=denied other=ok skiff-test (enforce)" ]] &&
    [[ $b == "secret=ok other=denied skiff-test2 (enforce)" ]] &&
    [[ $c == "secret=denied other=ok skiff-test (enforce)" ]] && finish_ct aa2
}

t_aa_escape() {
  # A confined root process with every capability tries to leave its
  # profile: change it directly, ask for another at the next exec, or
  # mount securityfs to load a new policy.
  aa_bundle_files
  cfg '.process.apparmorProfile = "skiff-test"
       | .process.capabilities = {"bounding": $c, "effective": $c, "permitted": $c}' --argjson c \
    "$(jq -n '["CAP_SYS_ADMIN","CAP_MAC_ADMIN","CAP_MAC_OVERRIDE","CAP_DAC_OVERRIDE","CAP_SETPCAP"]')"
  cfg '.process.args = ["sh", "-c", "echo -n changeprofile unconfined >/proc/self/attr/current 2>/dev/null && echo change=ok || echo change=denied; echo -n exec unconfined >/proc/self/attr/exec 2>/dev/null; cat /etc/secret >/dev/null 2>&1 && echo read=ok || echo read=denied; mkdir -p /tmp/sec; mount -t securityfs none /tmp/sec 2>/dev/null && echo mount=ok || echo mount=denied; cat /proc/self/attr/current"]'
  local out
  out=$(sk run -b "$B" aa3 </dev/null 2>&1 | tr -d '\0' | tr '\n' ' ')
  log "$out"
  [[ $out == "change=denied read=denied mount=denied skiff-test (enforce) " ]]
}

t_aa_missing_profile() {
  cfg '.process.apparmorProfile = "skiff-not-loaded" | .process.args = ["true"]'
  local out
  out=$(sk run -b "$B" aa4 2>&1 </dev/null) && { log "ran: $out"; return 1; }
  log "$out"
  [[ $out == *"skiff-not-loaded"* ]] && [ -z "$(sk list -q)" ] && [ ! -d "$(cgpath aa4)" ] &&
    [ ! -d "$ROOT/aa4" ]
}

t_aa_selinux_ignored() {
  cfg '.process.selinuxLabel = "system_u:system_r:svirt_t:s0" | .linux.mountLabel = "system_u:object_r:svirt_image_t:s0" | .process.args = ["true"]'
  sk --debug run -b "$B" aa5 >"$W/aa5.out" 2>&1 </dev/null || { log "$(cat "$W/aa5.out")"; return 1; }
  grep -q 'selinuxLabel ignored' "$W/aa5.out"
}

echo "== kernel $(uname -r), LSMs: $lsms; $("$SKIFF" --version | head -n1)"
t_start=$(now)
if [ $mode = selinux ]; then
  selinux_setup || exit 1
  run_test "selinux: process label on pid 1 and its session keyring" t_se_process_label
  run_test "selinux: mountLabel on tmpfs, devpts, mqueue and masked dirs" t_se_mount_label
  run_test "selinux: exec keeps the container's label, --process-label sets another" t_se_exec
  run_test "selinux: the kernel judges the container by its label (AVC)" t_se_avc
  run_test "selinux: unknown labels are refused before anything is set up" t_se_bad_labels
  run_test "selinux: enforcing: the program is the entry point (skiff's exec stub stays), the policy holds, for run and exec" t_se_enforcing
  run_test "selinux: apparmorProfile is ignored without AppArmor" t_se_apparmor_ignored
else
  apparmor_setup || exit 1
  run_test "apparmor: the profile confines pid 1" t_aa_profile
  run_test "apparmor: the profile attaches at the program's execve, not skiff's stub" t_aa_attach
  run_test "apparmor: exec keeps the container's profile, --apparmor sets another" t_aa_exec
  run_test "apparmor: a confined root process cannot leave its profile" t_aa_escape
  run_test "apparmor: a profile that is not loaded is an error naming it" t_aa_missing_profile
  run_test "apparmor: selinuxLabel and mountLabel are ignored without SELinux" t_aa_selinux_ignored
fi
summary
