#!/usr/bin/env bats
# kill -9 in the middle of a pull: the store stays consistent (fsck), the
# image is not listed, and the next pull completes it, fetching again only
# what had not been completed.

load helpers
load registry

setup() {
  registry_setup
  LAYOUT=$WORK/layout
  # A 48 MiB random layer the fake registry sends at ~16 MiB/s, after the
  # small layers and the config, which complete at once.
  make_test_layout "$LAYOUT" big --big-mib 48 >/dev/null
  fake_registry_start "$LAYOUT" --throttle-blobs $((16 << 20))
}

teardown() {
  [ -n "${PULL_PID:-}" ] && kill -9 "$PULL_PID" 2>/dev/null || true
  registry_cleanup
}

# Size of the biggest file under the store's temp directory.
tmp_bytes() {
  find "$STORE/tmp" -type f -printf '%s\n' 2>/dev/null | sort -n | tail -1
}

@test "crash: kill -9 during a pull, then pull again; fsck is clean throughout" {
  # skiff-image itself in the background (not a shell around it), so that
  # the kill below hits it.
  "$SKIFF_IMAGE" --root "$STORE" pull -q "$FAKE/img:big" >"$WORK/pull.out" 2>&1 &
  PULL_PID=$!
  # Wait until the big layer is part-way down (several MiB in a temp file).
  for i in $(seq 200); do
    [ "$(tmp_bytes)" -gt $((4 << 20)) ] 2>/dev/null && break
    sleep 0.05
  done
  [ "$(tmp_bytes)" -gt $((4 << 20)) ]
  [ "$(readlink "/proc/$PULL_PID/exe")" = "$(readlink -f "$SKIFF_IMAGE")" ]
  kill -9 "$PULL_PID"
  wait "$PULL_PID" || true
  PULL_PID=
  ! pgrep -f "pull -q $FAKE/img:big" >/dev/null

  # No image; every blob present verifies; the partial download is no blob.
  [ ! -e "$STORE/oci/index.json" ] || [ "$(jq '.manifests | length' "$STORE/oci/index.json")" -eq 0 ]
  run simg fsck
  [ "$status" -eq 0 ]
  big=$(jq -r '.layers[-1].digest' "$LAYOUT/blobs/sha256/$(jq -r '.manifests[0].digest' "$LAYOUT/index.json" | cut -d: -f2)")
  [ ! -e "$STORE/oci/blobs/sha256/${big#sha256:}" ]
  done_before=$(ls "$STORE/oci/blobs/sha256" | wc -l)
  [ "$done_before" -ge 1 ]

  : >"$FAKE_LOG"
  run simg pull -q "$FAKE/img:big"
  [ "$status" -eq 0 ]
  run simg fsck
  [ "$status" -eq 0 ]
  [ -f "$STORE/oci/blobs/sha256/${big#sha256:}" ]
  # What the killed pull completed was not fetched again.
  fetched=$(jq -s '[.[] | select(.method == "GET" and (.path | contains("/blobs/")))] | length' "$FAKE_LOG")
  [ "$fetched" -eq $((5 - done_before)) ]
  run simg images
  [[ "$output" == *"$FAKE/img"*"big"* ]]
}
