#!/usr/bin/env bats
# The container's mounts: options and flags as the container sees them in
# /proc/self/mountinfo, mount points created inside the rootfs (never
# through a symlink out of it), masked and readonly paths, the readonly
# root, rootfsPropagation and --no-pivot.

load helpers

setup() {
  setup_bundle
  HOSTSRC=$BUNDLE/hostsrc
  mkdir -p "$HOSTSRC/sub"
  echo hello >"$HOSTSRC/file"
}

teardown() {
  teardown_bundle
}

# add_mount DEST TYPE SOURCE OPTIONS-JSON
add_mount() {
  update_config '.mounts += [{destination: $d, type: $t, source: $s, options: $o}]' \
    --arg d "$1" --arg t "$2" --arg s "$3" --argjson o "$4"
}

# sh 'SCRIPT': the container runs busybox sh -c SCRIPT
sh_args() {
  update_config '.process.args = ["/bin/sh", "-c", $s]' --arg s "$1"
}

# mnt_line DEST: the mountinfo line of DEST in $output
mnt_line() {
  echo "$output" | awk -v d="$1" '$5 == d'
}

@test "mounts: bind ro is read-only inside, the host source stays writable" {
  add_mount /mnt/data bind "$HOSTSRC" '["bind","ro"]'
  sh_args 'cat /mnt/data/file; touch /mnt/data/new 2>&1; cat /proc/self/mountinfo'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [[ "$output" == *hello* ]]
  [[ "$output" == *"Read-only file system"* ]]
  [[ "$(mnt_line /mnt/data)" == *" ro,"* ]]
  touch "$HOSTSRC/still-writable"
}

@test "mounts: relative bind source is relative to the bundle" {
  add_mount /mnt/rel bind hostsrc '["rbind"]'
  sh_args 'cat /mnt/rel/file'
  cd /
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [ "$output" = hello ]
}

@test "mounts: tmpfs size and mode are applied" {
  add_mount /mnt/t tmpfs tmpfs '["size=2m","mode=700","nosuid","nodev","noexec"]'
  sh_args 'stat -c %a /mnt/t; cat /proc/self/mountinfo'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = 700 ]
  line=$(mnt_line /mnt/t)
  [[ "$line" == *size=2048k* ]]
  [[ "$line" == *mode=700* ]]
  [[ "$line" == *nosuid* && "$line" == *nodev* && "$line" == *noexec* ]]
}

@test "mounts: nosuid nodev noexec on a bind mount" {
  add_mount /mnt/b bind "$HOSTSRC" '["bind","nosuid","nodev","noexec"]'
  sh_args 'cat /proc/self/mountinfo'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  line=$(mnt_line /mnt/b)
  [[ "$line" == *nosuid* && "$line" == *nodev* && "$line" == *noexec* ]]
}

@test "mounts: rro makes submounts read-only, ro only the top" {
  mount -t tmpfs -o size=1m tmpfs "$HOSTSRC/sub"
  add_mount /mnt/ro bind "$HOSTSRC" '["rbind","ro"]'
  add_mount /mnt/rro bind "$HOSTSRC" '["rbind","rro"]'
  sh_args 'touch /mnt/ro/sub/a && echo ro-sub-writable; touch /mnt/rro/sub/a 2>&1; cat /proc/self/mountinfo'
  run skiff run -b "$BUNDLE" ct1
  umount "$HOSTSRC/sub"
  [ "$status" -eq 0 ]
  [[ "$output" == *ro-sub-writable* ]]
  [[ "$output" == *"Read-only file system"* ]]
  [[ "$(mnt_line /mnt/rro/sub)" == *" ro,"* ]]
  [[ "$(mnt_line /mnt/ro/sub)" == *" rw,"* ]]
}

@test "mounts: missing mount points are created (directories and files)" {
  add_mount /a/b/c tmpfs tmpfs '[]'
  add_mount /etc/injected bind "$HOSTSRC/file" '["bind","ro"]'
  sh_args 'test -d /a/b/c && cat /etc/injected'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [ "$output" = hello ]
}

@test "mounts: a symlinked destination cannot leave the rootfs" {
  ln -s /etc "$BUNDLE/rootfs/evil"
  ln -s ../../../../../../../tmp "$BUNDLE/rootfs/evil2"
  add_mount /evil/skiff-escape tmpfs tmpfs '["size=1m"]'
  add_mount /evil2/skiff-escape tmpfs tmpfs '["size=1m"]'
  sh_args 'cat /proc/self/mountinfo'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  # landed inside the rootfs...
  [ -n "$(mnt_line /etc/skiff-escape)" ]
  [ -n "$(mnt_line /tmp/skiff-escape)" ]
  [ -d "$BUNDLE/rootfs/etc/skiff-escape" ]
  [ -d "$BUNDLE/rootfs/tmp/skiff-escape" ]
  # ...and not on the host
  [ ! -e /etc/skiff-escape ]
  [ ! -e /tmp/skiff-escape ]
}

@test "mounts: masked paths are empty, missing ones are skipped" {
  echo secret >"$BUNDLE/rootfs/etc/secret"
  mkdir -p "$BUNDLE/rootfs/secretdir"
  echo secret >"$BUNDLE/rootfs/secretdir/f"
  update_config '.linux.maskedPaths += ["/etc/secret", "/secretdir", "/does/not/exist"]'
  sh_args 'echo "[$(cat /etc/secret)]"; ls -A /secretdir | wc -l; touch /secretdir/x 2>&1; echo "[$(cat /proc/timer_list)]"'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "[]" ]
  [ "${lines[1]}" = 0 ]
  [[ "${lines[2]}" == *"Read-only file system"* ]]
  [ "${lines[3]}" = "[]" ]
}

@test "mounts: readonly paths are read-only" {
  mkdir -p "$BUNDLE/rootfs/rodir"
  update_config '.linux.readonlyPaths += ["/rodir"] | .root.readonly = false'
  sh_args 'touch /rodir/x 2>&1; echo 1 > /proc/sys/kernel/domainname 2>&1; touch /rw && echo root-rw'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *"Read-only file system"* ]]
  [[ "${lines[1]}" == *"Read-only file system"* ]]
  [ "${lines[2]}" = root-rw ]
}

@test "mounts: root.readonly makes / read-only" {
  update_config '.root.readonly = true'
  sh_args 'touch /x 2>&1; cat /proc/self/mountinfo'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [[ "${lines[0]}" == *"Read-only file system"* ]]
  [[ "$(mnt_line /)" == *" ro,"* ]]
}

@test "mounts: rootfsPropagation shared and a private bind" {
  update_config '.linux.rootfsPropagation = "shared"'
  add_mount /mnt/p bind "$HOSTSRC" '["bind","private"]'
  sh_args 'cat /proc/self/mountinfo'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [[ "$(mnt_line /)" == *shared:* ]]
  line=$(mnt_line /mnt/p)
  [[ "$line" != *shared:* && "$line" != *master:* ]]
}

@test "mounts: rslave bind of a shared host mount receives host mounts" {
  mount --bind "$HOSTSRC" "$HOSTSRC"
  mount --make-shared "$HOSTSRC"
  add_mount /mnt/s bind "$HOSTSRC" '["rbind","rslave"]'
  sh_args 'cat /proc/self/mountinfo'
  run skiff run -b "$BUNDLE" ct1
  umount -l "$HOSTSRC"
  [ "$status" -eq 0 ]
  [[ "$(mnt_line /mnt/s)" == *master:* ]]
}

@test "mounts: --no-pivot moves the rootfs onto /" {
  sh_args 'cat /etc/hostname; cat /proc/self/mountinfo'
  run skiff run --no-pivot -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = skiff-test ]
  [ -n "$(mnt_line /)" ]
  [ -n "$(mnt_line /proc)" ]
}

@test "mounts: nothing stays mounted on the host" {
  add_mount /mnt/data bind "$HOSTSRC" '["rbind","ro"]'
  sh_args 'true'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  run findmnt -rn -o TARGET
  [[ "$output" != *"$BUNDLE"* ]]
}

@test "mounts: errors name the mount and the syscall" {
  add_mount /mnt/x nosuchfs none '[]'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -ne 0 ]
  [[ "$output" == *"mount nosuchfs to /mnt/x: No such device"* ]]
}

@test "mounts: missing rootfs is reported with its path" {
  update_config '.root.path = "nonexistent"'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -ne 0 ]
  [[ "$output" == *"rootfs \`$BUNDLE/nonexistent\`: No such file or directory"* ]]
}

@test "mounts: tmpcopyup keeps the directory's content" {
  mkdir -p "$BUNDLE/rootfs/seed"
  echo seeded >"$BUNDLE/rootfs/seed/f"
  ln -s f "$BUNDLE/rootfs/seed/l"
  add_mount /seed tmpfs tmpfs '["tmpcopyup"]'
  sh_args 'cat /seed/l; grep " /seed " /proc/self/mountinfo'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = seeded ]
  [[ "${lines[1]}" == *tmpfs* ]]
}

@test "mounts: idmap bind mount shows the mapped owner" {
  chown 0:0 "$HOSTSRC/file"
  update_config '.mounts += [{destination: "/mnt/id", type: "bind", source: $s,
      options: ["bind", "idmap"],
      uidMappings: [{containerID: 0, hostID: 1000, size: 10}],
      gidMappings: [{containerID: 0, hostID: 1000, size: 10}]}]' --arg s "$HOSTSRC"
  sh_args 'stat -c "%u:%g" /mnt/id/file; grep " /mnt/id " /proc/self/mountinfo'
  run skiff run -b "$BUNDLE" ct1
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "1000:1000" ]
  [[ "${lines[1]}" == *idmapped* ]]
  [ "$(stat -c %u:%g "$HOSTSRC/file")" = "0:0" ]
}

@test "mounts: idmap in a container with a user namespace (its mappings, or the mount's)" {
  # The id-mapped trees are made outside the user namespace and attached
  # inside it.  Without mappings of its own, a mount takes the container's:
  # host root's files are the container root's, and its writes are host
  # root's; with its own, host 1000 shows as container 5:7 here.
  chown 0:0 "$HOSTSRC/file"
  echo two >"$HOSTSRC/sub/two"
  chown 1000:1000 "$HOSTSRC/sub/two"
  # The rootfs belongs to host root: the container's root cannot make them.
  mkdir -p "$BUNDLE/rootfs/mnt/id" "$BUNDLE/rootfs/mnt/own"
  update_config '.linux.namespaces += [{type: "user"}]
    | .linux.uidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .linux.gidMappings = [{containerID: 0, hostID: 100000, size: 65536}]
    | .mounts += [{destination: "/mnt/id", type: "bind", source: $s, options: ["rbind", "idmap"]},
                  {destination: "/mnt/own", type: "bind", source: ($s + "/sub"), options: ["bind", "ro", "idmap"],
                   uidMappings: [{containerID: 1000, hostID: 100005, size: 1}],
                   gidMappings: [{containerID: 1000, hostID: 100007, size: 1}]}]' --arg s "$HOSTSRC"
  sh_args 'stat -c "%u:%g" /mnt/id/file /mnt/own/two; touch /mnt/id/new && echo wrote; touch /mnt/own/x 2>/dev/null || echo read-only'
  run skiff run -b "$BUNDLE" ct1
  echo "$output"
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "0:0" ]
  [ "${lines[1]}" = "5:7" ]
  [ "${lines[2]}" = wrote ]
  [ "${lines[3]}" = read-only ]
  [ "$(stat -c %u:%g "$HOSTSRC/new")" = "0:0" ]
  [ "$(stat -c %u:%g "$HOSTSRC/sub/two")" = "1000:1000" ]
  [ -z "$(ls -A "$ROOT")" ]
}
