#!/usr/bin/env bats
# Hostile layers: no entry may write outside the directory it is extracted
# into.  Each image here is refused, the error names the entry, nothing
# appears outside, and no half-made bundle stays.

load helpers
load layers

setup() {
  setup_store
  mkdir "$WORK/outside"
}

teardown() {
  local id
  for id in $(simg ps -a --format json 2>/dev/null | jq -r '.[].Id'); do
    simg rm -f "$id" >/dev/null 2>&1 || true
  done
  teardown_store
}

# expect_refused ENTRY [IMAGE]: unpack (layers applied into one directory)
# and create (each layer extracted on its own for the overlay) both fail
# naming ENTRY, and leave nothing: no bundle, no layer directory, no
# container, no mount.
expect_refused() {
  run simg unpack "${2:-evil}" "$WORK/bundle"
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"entry \`$1\`"* ]]
  [ ! -e "$WORK/bundle" ]
  [ -z "$(ls -A "$WORK/outside")" ]

  run simg create "${2:-evil}" true
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"entry \`$1\`"* ]]
  [ -z "$(ls -A "$WORK/outside")" ]
  [ -z "$(ls -A "$STORE/layers" | grep '^tmp-')" ]
  [ -z "$(ls -A "$STORE/containers")" ]
  ! grep -q " $STORE/" /proc/self/mountinfo
}

@test "hostile: a name with .. is refused" {
  make_image evil '{"layers":[{"entries":[
    {"name":"ok","data":"fine"},
    {"name":"a/../../../outside/dotdot","data":"pwned"}]}]}'
  expect_refused "a/../../../outside/dotdot"
  [ ! -e "$WORK/outside/dotdot" ]
}

@test "hostile: an absolute name is refused" {
  make_image evil '{"layers":[{"entries":[{"name":"'"$WORK"'/outside/abs","data":"pwned"}]}]}'
  expect_refused "$WORK/outside/abs"
}

@test "hostile: a file through a symlink to outside is refused" {
  make_image evil '{"layers":[{"entries":[
    {"name":"link","type":"symlink","target":"'"$WORK"'/outside"},
    {"name":"link/through","data":"pwned"}]}]}'
  expect_refused "link/through"
}

@test "hostile: a file through a relative symlink climbing out is refused" {
  make_image evil '{"layers":[{"entries":[
    {"name":"d","type":"dir"},
    {"name":"d/up","type":"symlink","target":"../../../../../../../../../../'"$WORK"'/outside"},
    {"name":"d/up/through","data":"pwned"}]}]}'
  expect_refused "d/up/through"
}

@test "hostile: a symlink in a lower layer does not carry a file of an upper layer out" {
  make_image evil '{"layers":[
    {"entries":[{"name":"link","type":"symlink","target":"'"$WORK"'/outside"}]},
    {"entries":[{"name":"link/through","data":"pwned"}]}]}'
  run simg unpack evil "$WORK/bundle"
  echo "$output"
  [ "$status" -ne 0 ]
  [[ "$output" == *"entry \`link/through\`"* ]]
  [ ! -e "$WORK/bundle" ]
  # For the overlay each layer is extracted alone: the upper layer's link/
  # is a directory of its own, which hides the symlink, as overlayfs does.
  run simg create --name c evil true
  [ "$status" -eq 0 ]
  [ -z "$(ls -A "$WORK/outside")" ]
  [ "$(cat "$STORE"/layers/*/link/through)" = pwned ]
  simg rm c
}

@test "hostile: hardlinks to /etc/passwd are refused, absolute or climbing" {
  local links
  links=$(stat -c %h /etc/passwd)
  make_image evil '{"layers":[{"entries":[{"name":"passwd","type":"hardlink","target":"/etc/passwd"}]}]}'
  expect_refused passwd
  make_image evil2 '{"layers":[{"entries":[
    {"name":"x/y","type":"dir"},
    {"name":"x/y/passwd","type":"hardlink","target":"../../../../../../../../../../etc/passwd"}]}]}'
  expect_refused x/y/passwd evil2
  [ "$(stat -c %h /etc/passwd)" = "$links" ]
}

@test "hostile: a hardlink through a symlinked directory is refused" {
  make_image evil '{"layers":[{"entries":[
    {"name":"etc","type":"symlink","target":"/etc"},
    {"name":"passwd","type":"hardlink","target":"etc/passwd"}]}]}'
  expect_refused passwd
}

@test "hostile: a whiteout of .. is refused" {
  make_image evil '{"layers":[
    {"entries":[{"name":"d/f","data":"x"}]},
    {"entries":[{"name":"d/.wh...","data":""}]}]}'
  expect_refused "d/.wh..."
  [ -d "$STORE/oci" ]
}

@test "hostile: overlay xattrs in a layer are not applied" {
  make_image evil '{"layers":[{"entries":[
    {"name":"d","type":"dir","xattrs":{"trusted.overlay.opaque":"y","user.kept":"yes"}}]}]}'
  run simg unpack evil "$WORK/bundle"
  echo "$output"
  [ "$status" -eq 0 ]
  run simg create --name c evil true
  [ "$status" -eq 0 ]
  python3 - "$WORK/bundle/rootfs/d" "$STORE"/layers/*/d <<'PY'
import os, sys
for d in sys.argv[1:]:
    names = os.listxattr(d)
    assert "trusted.overlay.opaque" not in names, (d, names)
    assert os.getxattr(d, "user.kept") == b"yes", d
PY
  simg rm c
}

@test "hostile: an /etc/passwd that is a device or a FIFO is refused by name, not read without end or waited on" {
  for kind in '"type":"char","major":1,"minor":5' '"type":"fifo"'; do
    make_image evil '{"config":{"User":"app"},"layers":[{"busybox":true},{"entries":[
      {"name":"etc","type":"dir"},
      {"name":"etc/passwd",'"$kind"'}]}]}'
    run timeout 60 "$SKIFF_IMAGE" --root "$STORE" create evil true
    echo "$output"
    [ "$status" -eq 1 ]
    [[ "$output" == *"image's /etc/passwd: not a regular file"* ]]
    [ -z "$(ls -A "$STORE/containers")" ]
    ! grep -q " $STORE/" /proc/self/mountinfo
    simg rmi -f evil >/dev/null
  done
}
