#!/usr/bin/env bats
# cgroups on the development/CI host: HYBRID (v1 controllers belong to the
# machine; cgroup2 at /sys/fs/cgroup/unified without controllers).  skiff
# groups each container in the unified hierarchy so pause/resume, kill
# --all and events work; limits need the VM (tests/vm, `make check-vm`).

load helpers

setup() {
  setup_bundle
  update_config '.root.readonly = false'
  # Ids unique per run: the default cgroup path is <own cgroup>/skiff-<id>
  # and other test runs may use the same hierarchy at the same time.
  ID=cgt-$$-$BATS_TEST_NUMBER
  V2=/sys/fs/cgroup
  [ "$(stat -f -c %T /sys/fs/cgroup)" = cgroup2fs ] || V2=/sys/fs/cgroup/unified
  [ "$(stat -f -c %T $V2 2>/dev/null)" = cgroup2fs ] || skip "no cgroup v2 hierarchy"
  OWN=$(sed -n 's/^0:://p' /proc/self/cgroup)
  [ "$OWN" = / ] && OWN=
  PARENT=
}

teardown() {
  teardown_bundle
  # A container created where another cgroup2 mount was on top has a
  # recorded path that does not resolve here.
  [ -d "$V2$OWN/skiff-$ID" ] && rmdir "$V2$OWN/skiff-$ID" 2>/dev/null
  # Parents this test made for an explicit cgroupsPath (only ours).
  if [ -n "$PARENT" ]; then
    find "$V2$PARENT" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  fi
}

# Detached run: the container must not hold bats' output pipe open.
run_detached() { # [GLOBAL-OPTS...]
  "$SKIFF" --root "$ROOT" "$@" run -d -b "$BUNDLE" "$ID" </dev/null >"$BUNDLE/ct.log" 2>&1 || {
    cat "$BUNDLE/ct.log"
    return 1
  }
}

hybrid() {
  [ "$V2" = /sys/fs/cgroup/unified ]
}

@test "cgroup: the container is grouped in the v2 hierarchy, rooted at its cgroup" {
  set_args /bin/sh -c 'cat /proc/self/cgroup >/tmp/cg; sleep 100'
  run_detached
  local pid cg
  pid=$(container_pid "$ID")
  cg=$(sed -n 's/^0:://p' /proc/$pid/cgroup)
  echo "host view: $cg"
  [ "$cg" = "$OWN/skiff-$ID" ]
  [ -d "$V2$OWN/skiff-$ID" ]
  grep -qx "$pid" "$V2$OWN/skiff-$ID/cgroup.procs"
  # Born in its cgroup, the container's cgroup namespace is rooted there.
  if jq -e '.linux.namespaces[] | select(.type == "cgroup")' "$BUNDLE/config.json" >/dev/null; then
    for _ in $(seq 100); do [ -s "$BUNDLE/rootfs/tmp/cg" ] && break; sleep 0.05; done
    grep -qx '0::/' "$BUNDLE/rootfs/tmp/cg"
  fi
}

@test "cgroup: an absolute cgroupsPath is used as is, parents created" {
  PARENT=/skiff-bats-$$
  update_config '.linux.cgroupsPath = $p' --arg p "$PARENT/sub/$ID"
  set_args /bin/skiff-test-helper sleep 100
  run_detached
  grep -qx "$(container_pid "$ID")" "$V2$PARENT/sub/$ID/cgroup.procs"
  run skiff delete --force "$ID"
  [ "$status" -eq 0 ]
  [ ! -d "$V2$PARENT/sub/$ID" ]
}

@test "cgroup: cgroup2 mounted over a hybrid /sys/fs/cgroup: the container's own cgroup, from the visible mount" {
  hybrid || skip "needs the hybrid layout underneath (/sys/fs/cgroup/unified)"
  require_cmd unshare
  # No cgroup namespace: /sys/fs/cgroup is the container's cgroup bound
  # from the host's hierarchy, which skiff must take from the mount on top.
  update_config '.linux.namespaces |= map(select(.type != "cgroup"))'
  # (cgroup.procs read by the shell itself: a cat would be listed too)
  set_args /bin/sh -c 'sed -n "s/^0:://p" /proc/self/cgroup
    while read -r p; do echo "$p"; done </sys/fs/cgroup/cgroup.procs
    grep " /sys/fs/cgroup " /proc/self/mountinfo'
  # The over-mount exists in a private mount namespace of this test only.
  run unshare -m --propagation private sh -c '
    mount -t cgroup2 none /sys/fs/cgroup || exit 99
    "$SKIFF" --root "$ROOT" run -b "$BUNDLE" "$0"' "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  # Its cgroup as the host sees it, with only its own pid 1 in it, is what
  # it has as /sys/fs/cgroup.
  [ "${lines[0]}" = "$OWN/skiff-$ID" ]
  [ "${lines[1]}" = 1 ]
  [ "${#lines[@]}" -eq 3 ]
  [[ "${lines[2]}" == *" $OWN/skiff-$ID /sys/fs/cgroup "*" - cgroup2 "* ]]
  # run deleted it: the cgroup is gone (the same hierarchy, seen here).
  [ ! -d "$V2$OWN/skiff-$ID" ]
}

@test "cgroup: exec --cgroup runs the process in an existing sub-cgroup; a bad one is an error" {
  set_args /bin/skiff-test-helper sleep 100
  run_detached
  local cg=$V2$OWN/skiff-$ID
  mkdir "$cg/sub" "$cg/sub/deeper"
  # The exec'd process sees its cgroup from inside the container's cgroup
  # namespace (/sub), and the host finds it there.
  run skiff exec --cgroup sub "$ID" /bin/sh -c 'sed -n "s/^0:://p" /proc/self/cgroup; echo $$'
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = /sub ]
  run skiff exec --cgroup /sub//deeper/ "$ID" /bin/sh -c 'sed -n "s/^0:://p" /proc/self/cgroup'
  [ "$output" = /sub/deeper ]
  # Controller names: one hierarchy on v2, the same place for all.
  run skiff exec --cgroup pids,memory:sub --cgroup cpu:sub "$ID" /bin/sh -c 'sed -n "s/^0:://p" /proc/self/cgroup'
  echo "$output"
  [ "$output" = /sub ]
  # Without --cgroup: the container's cgroup itself.
  run skiff exec "$ID" /bin/sh -c 'sed -n "s/^0:://p" /proc/self/cgroup'
  [ "$output" = / ]

  run skiff exec --cgroup nosuch "$ID" /bin/true
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"--cgroup \`nosuch\`: sub-cgroup \`$cg/nosuch\`: No such file or directory"* ]]
  run skiff exec --cgroup ../.. "$ID" /bin/true
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"not a sub-cgroup of the container's cgroup"* ]]
  run skiff exec --cgroup a:sub --cgroup b:sub/deeper "$ID" /bin/true
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"only one sub-cgroup"* ]]
  # Nothing was started in a wrong place.
  [ -z "$(cat "$cg/sub/deeper/cgroup.procs")" ]
  [ -z "$(cat "$cg/sub/cgroup.procs")" ]
  [ "$(cat "$cg/cgroup.procs")" = "$(container_pid "$ID")" ]
}

@test "cgroup: levels of a nested cgroupsPath that skiff makes get the controllers offered; existing ones are left alone" {
  # Needs a controller enabled at the hierarchy's root (a hybrid host may
  # offer one, hugetlb say, that no v1 hierarchy took).
  local c
  c=$(awk '{print $1}' "$V2/cgroup.subtree_control" 2>/dev/null)
  [ -n "$c" ] || skip "no controller enabled at the root of $V2"
  PARENT=/skiff-bats-nest-$$
  update_config '.linux.cgroupsPath = $p' --arg p "$PARENT/a/b/$ID"
  set_args /bin/skiff-test-helper sleep 100
  run_detached
  local d
  for d in "$PARENT" "$PARENT/a" "$PARENT/a/b"; do
    echo "$d: $(cat "$V2$d/cgroup.subtree_control")"
    grep -qw "$c" "$V2$d/cgroup.subtree_control"
  done
  grep -qw "$c" "$V2$PARENT/a/b/$ID/cgroup.controllers"
  skiff delete --force "$ID"
  rmdir "$V2$PARENT/a/b" "$V2$PARENT/a" "$V2$PARENT"

  # A level that exists already is someone else's: no controller a limit
  # does not need is enabled there, nor, so, below it.
  mkdir "$V2$PARENT"
  run_detached
  echo "$PARENT: '$(cat "$V2$PARENT/cgroup.subtree_control")'"
  [ -z "$(cat "$V2$PARENT/cgroup.subtree_control")" ]
  ! grep -qw "$c" "$V2$PARENT/a/b/$ID/cgroup.controllers"
}

@test "cgroup: a cgroupsPath cannot escape the hierarchy" {
  update_config '.linux.cgroupsPath = "/../../memory/escape"'
  run skiff run -b "$BUNDLE" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"cgroupsPath"* ]]
  [ ! -e /sys/fs/cgroup/memory/escape ]
}

@test "cgroup: --systemd-cgroup without systemd is an error naming the flag" {
  # The driver itself is tested with systemd as PID 1 in the VM
  # (tests/vm/check-systemd.sh); this host runs no systemd.
  [ ! -d /run/systemd/system ] || skip "systemd runs here"
  update_config '.linux.cgroupsPath = $p' --arg p "skiffbats-$$.slice:skiff:$ID"
  set_args /bin/skiff-test-helper sleep 100
  run "$SKIFF" --root "$ROOT" --systemd-cgroup run -d -b "$BUNDLE" "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"--systemd-cgroup"*"systemd is not running"* ]]
  [ ! -d "$V2/skiffbats.slice" ]
  run "$SKIFF" --root "$ROOT" state "$ID"
  [ "$status" -ne 0 ]
}

@test "cgroup: pause freezes the container, resume thaws it" {
  # Replaced by rename: a read never sees the file truncated.
  set_args /bin/sh -c 'i=0; while :; do i=$((i+1)); echo $i >/tmp/c.new; mv /tmp/c.new /tmp/counter; sleep 0.05; done'
  run_detached
  local c=$BUNDLE/rootfs/tmp/counter a b
  for _ in $(seq 100); do [ -s "$c" ] && break; sleep 0.05; done
  run skiff pause "$ID"
  [ "$status" -eq 0 ]
  [ "$(container_status "$ID")" = paused ]
  [ "$(cat "$V2$OWN/skiff-$ID/cgroup.freeze")" = 1 ]
  grep -qx 'frozen 1' "$V2$OWN/skiff-$ID/cgroup.events"
  a=$(cat "$c")
  sleep 0.5
  b=$(cat "$c")
  [ "$a" = "$b" ]
  # An exec would only freeze with it: refused.
  run timeout 10 "$SKIFF" --root "$ROOT" exec "$ID" /bin/true
  [ "$status" -ne 0 ]
  [[ "$output" == *"container is paused"* ]]
  run skiff resume "$ID"
  [ "$status" -eq 0 ]
  [ "$(container_status "$ID")" = running ]
  sleep 0.5
  [ "$(cat "$c")" -gt "$b" ]
}

@test "cgroup: kill --all reaches every process of the container" {
  set_args /bin/sh -c 'sleep 100 & sleep 100 & sh -c "sleep 100 & sleep 100" & sleep 100'
  run_detached
  local procs=$V2$OWN/skiff-$ID/cgroup.procs
  for _ in $(seq 100); do [ "$(wc -l <"$procs")" -ge 5 ] && break; sleep 0.05; done
  [ "$(wc -l <"$procs")" -ge 5 ]
  run skiff kill --all "$ID" KILL
  [ "$status" -eq 0 ]
  for _ in $(seq 100); do [ "$(wc -l <"$procs")" = 0 ] && break; sleep 0.05; done
  [ "$(wc -l <"$procs")" = 0 ]
}

@test "cgroup: delete removes the cgroup" {
  set_args /bin/skiff-test-helper sleep 100
  run_detached
  [ -d "$V2$OWN/skiff-$ID" ]
  run skiff delete --force "$ID"
  [ "$status" -eq 0 ]
  [ ! -d "$V2$OWN/skiff-$ID" ]
}

@test "cgroup: another container's cgroup, or a frozen one, is not taken over" {
  # Same id, another state root: the default cgroup path is the same.
  set_args /bin/skiff-test-helper sleep 100
  run_detached
  local root2 cg
  root2=$(mktemp -d /tmp/skiff-root.XXXXXX)
  run "$SKIFF" --root "$root2" run -d -b "$BUNDLE" "$ID"
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"already has processes in it"* ]]
  [ -z "$(ls -A "$root2")" ]
  # The first container is untouched.
  [ "$(container_status "$ID")" = running ]
  skiff delete --force "$ID"
  # An empty but frozen cgroup left at that path.
  cg=$V2$OWN/skiff-$ID
  mkdir -p "$cg" && echo 1 >"$cg/cgroup.freeze"
  run "$SKIFF" --root "$root2" run -d -b "$BUNDLE" "$ID"
  echo "$output"
  rmdir "$cg"
  rm -rf "$root2"
  [ "$status" -ne 0 ]
  [[ "$output" == *"frozen"* ]]
}

@test "cgroup: a memory limit without the memory controller is a clear error" {
  hybrid || skip "the memory controller is available here"
  update_config '.linux.resources.memory = {"limit": 33554432}'
  run skiff run -b "$BUNDLE" "$ID"
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"linux.resources.memory: the memory controller is not available in $V2"* ]]
  [[ "$output" == *"--cgroup-manager disabled"* ]]
  [ ! -d "$V2$OWN/skiff-$ID" ]
}

@test "cgroup: callers' default pids limit and cpu shares only warn" {
  hybrid || skip "the pids and cpu controllers are available here"
  update_config '.linux.resources.pids = {"limit": 2048} | .linux.resources.cpu = {"shares": 1024}'
  set_args /bin/skiff-test-helper true
  run skiff run -b "$BUNDLE" "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [[ "$output" == *"pids controller is not available"* ]]
  [[ "$output" == *"cpu controller is not available"* ]]
}

@test "cgroup: --cgroup-manager disabled runs without a cgroup" {
  update_config '.linux.resources.memory = {"limit": 33554432}'
  set_args /bin/skiff-test-helper sleep 100
  run_detached --cgroup-manager disabled
  local pid
  pid=$(container_pid "$ID")
  [ "$(sed -n 's/^0:://p' /proc/$pid/cgroup)" = "${OWN:-/}" ]
  [ ! -d "$V2$OWN/skiff-$ID" ]
  run skiff pause "$ID"
  [ "$status" -ne 0 ]
  [[ "$output" == *"no cgroup"* ]]
  run "$SKIFF" --root "$ROOT" --cgroup-manager disabled delete --force "$ID"
  [ "$status" -eq 0 ]
}

@test "cgroup: events --stats prints runc-style JSON" {
  set_args /bin/skiff-test-helper sleep 100
  run_detached
  run skiff events --stats "$ID"
  echo "$output"
  [ "$status" -eq 0 ]
  [ "$(jq -r .type <<<"$output")" = stats ]
  [ "$(jq -r .id <<<"$output")" = "$ID" ]
  [ "$(jq -r .data.pids.current <<<"$output")" -ge 1 ]
  jq -e '.data.cpu.usage.total >= 0 and (.data.memory | type == "object")' <<<"$output"
}

@test "cgroup: update on a hybrid host: limits error, pids only warns" {
  hybrid || skip "not a hybrid host"
  set_args /bin/skiff-test-helper sleep 100
  run_detached
  run skiff update --memory 64m "$ID"
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"memory controller is not available"* ]]
  run skiff update --pids-limit 100 "$ID"
  [ "$status" -eq 0 ]
  run skiff update --memory nonsense "$ID"
  [ "$status" -ne 0 ]
}

@test "cgroup: device rules are enforced by the eBPF program" {
  update_config '.process.capabilities.bounding += ["CAP_MKNOD"] | .process.capabilities.effective += ["CAP_MKNOD"] | .process.capabilities.permitted += ["CAP_MKNOD"]'
  update_config '.linux.resources.devices = [{"allow": false, "access": "rwm"}]'
  set_args /bin/sh -c 'mknod /tmp/ttyS1 c 4 65 && head -c 0 </tmp/ttyS1; echo "rc=$?"; head -c 1 </dev/zero >/dev/null && echo zero-ok'
  run skiff run -b "$BUNDLE" "$ID"
  echo "$output"
  [[ "$output" == *"Operation not permitted"* ]]
  [[ "$output" == *"rc=1"* ]]
  [[ "$output" == *"zero-ok"* ]]
}
