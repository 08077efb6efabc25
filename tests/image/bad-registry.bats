#!/usr/bin/env bats
# skiff-image pull against a registry that misbehaves (fake-registry.py):
# each bad answer is one clear error, a non-zero exit, and a store with no
# new image and no partial file; transient failures are retried, 4xx not.

load helpers
load registry

setup() {
  registry_setup
  LAYOUT=$WORK/layout
  make_test_layout "$LAYOUT" t1 >/dev/null
  # An earlier image, so "unchanged" means something.
  fake_registry_start "$LAYOUT"
  run simg pull -q "$FAKE/img:t1"
  [ "$status" -eq 0 ]
  registry_stop
  cp "$STORE/oci/index.json" "$WORK/index.before"
  ls "$STORE/oci/blobs/sha256" >"$WORK/blobs.before"
  # Pull a second image whose layers differ, under another name.
  make_test_layout "$LAYOUT" t2 --small-files 10 >/dev/null
  export SKIFF_IMAGE_RETRIES=2
}

teardown() {
  registry_cleanup
}

# The store has the same images as before, its blobs, and no partial file.
# Blobs of the failed pull that completed and verified may stay: the next
# pull reuses them (fsck verifies every blob's digest).
store_unchanged() {
  cmp "$STORE/oci/index.json" "$WORK/index.before"
  ls "$STORE/oci/blobs/sha256" | comm -13 - "$WORK/blobs.before" | diff - /dev/null
  [ -z "$(ls -A "$STORE/tmp")" ]
  [ -z "$(find "$STORE/oci" -name '*.tmp' | head -1)" ]
  run simg fsck
  [ "$status" -eq 0 ]
}

count() { # LOG JQ-FILTER
  jq -s "[.[] | select($2)] | length" "$1"
}

@test "bad registry: 500 then 200 is retried and succeeds" {
  fake_registry_start "$LAYOUT" --fail-first 2 --fail-status 500
  run simg --debug pull "$FAKE/img:t2"
  [ "$status" -eq 0 ]
  [ "$(count "$FAKE_LOG" '.status == 500')" -eq 2 ]
  # --debug shows each attempt and its answer.
  [[ "$output" == *"skiff-image: debug: GET http://$FAKE/v2/img/manifests/t2: HTTP 500 (attempt 1)"* ]]
  [[ "$output" == *"skiff-image: debug: GET http://$FAKE/v2/img/manifests/t2: HTTP 200 (attempt 3)"* ]]
  run simg fsck
  [ "$status" -eq 0 ]
}

@test "bad registry: 429 is retried too; 5xx forever gives up after the retries" {
  fake_registry_start "$LAYOUT" --fail-first 1 --fail-status 429
  run simg pull "$FAKE/img:t2"
  [ "$status" -eq 0 ]
  registry_stop
  rm -rf "$STORE"
  fake_registry_start "$LAYOUT" --fail-first 1000 --fail-status 503
  run simg pull "$FAKE/img:t2"
  [ "$status" -ne 0 ]
  [[ "$output" == *"/manifests/t2: HTTP 503"*"(3 tries)"* ]]
  # The first try and SKIFF_IMAGE_RETRIES=2 more.
  [ "$(count "$FAKE_LOG" '.status == 503')" -eq 3 ]
}

@test "bad registry: a 4xx is not retried" {
  fake_registry_start "$LAYOUT" --blob-status 403
  run simg pull "$FAKE/img:t2"
  [ "$status" -ne 0 ]
  [[ "$output" == *"pull $FAKE/img:t2: GET http://$FAKE/v2/img/blobs/sha256:"*"HTTP 403"* ]]
  # One request per missing blob, none repeated.
  n=$(count "$FAKE_LOG" '.path | contains("/blobs/")')
  [ "$n" -eq "$(jq -s '[.[] | select(.path | contains("/blobs/")) | .path] | unique | length' "$FAKE_LOG")" ]
  store_unchanged
}

@test "bad registry: a registry that hangs times out (SKIFF_IMAGE_TIMEOUT)" {
  fake_registry_start "$LAYOUT" --hang-blobs
  start=$SECONDS
  SKIFF_IMAGE_TIMEOUT=1 SKIFF_IMAGE_RETRIES=1 run simg pull "$FAKE/img:t2"
  [ "$status" -ne 0 ]
  [[ "$output" == *"/blobs/sha256:"*"(2 tries)"* ]]
  [[ "$output" == *"Operation too slow"* || "$output" == *"timed out"* || "$output" == *"Timeout"* ]]
  [ $((SECONDS - start)) -lt 20 ]
  store_unchanged
}

@test "slow registry: layers an rmi removes while a pull reuses them are fetched again" {
  # t2 shares t1's first three layers: the pull finds them in the store and
  # fetches only the rest, slowly; meanwhile rmi of t1 removes them.
  fake_registry_start "$LAYOUT" --delay-blobs 3
  bg_start sh -c '"$0" --root "$1" pull -q "$2" >"$3" 2>&1; echo $? >"$4"' \
    "$SKIFF_IMAGE" "$STORE" "$FAKE/img:t2" "$WORK/pull.out" "$WORK/pull.status"
  for _ in $(seq 100); do
    [ "$(count "$FAKE_LOG" '.status == 0')" -gt 0 ] && break
    sleep 0.1
  done
  [ "$(count "$FAKE_LOG" '.status == 0')" -gt 0 ]
  shared=$(jq -r '.layers[0].digest' "$STORE/oci/blobs/sha256/$(jq -r '.manifests[0].digest' \
    "$WORK/index.before" | cut -d: -f2)")
  run simg rmi "$(jq -r '.manifests[0].annotations["org.opencontainers.image.ref.name"]' "$WORK/index.before")"
  [ "$status" -eq 0 ]
  [ ! -e "$STORE/oci/blobs/sha256/${shared#sha256:}" ]
  for _ in $(seq 300); do
    [ -s "$WORK/pull.status" ] && break
    sleep 0.1
  done
  cat "$WORK/pull.out"
  [ "$(cat "$WORK/pull.status")" = 0 ]
  # The shared layer was fetched again, and the image is whole.
  [ "$(count "$FAKE_LOG" ".path | endswith(\"$shared\")")" -ge 1 ]
  [ -f "$STORE/oci/blobs/sha256/${shared#sha256:}" ]
  run simg fsck
  [ "$status" -eq 0 ]
}

@test "bad registry: a blob whose digest does not match" {
  fake_registry_start "$LAYOUT" --corrupt-blobs
  run simg pull "$FAKE/img:t2"
  [ "$status" -ne 0 ]
  [[ "$output" == *"sha256:"*"digest"* ]]
  store_unchanged
}

@test "bad registry: a truncated layer" {
  fake_registry_start "$LAYOUT" --truncate-blobs
  run simg pull "$FAKE/img:t2"
  [ "$status" -ne 0 ]
  [[ "$output" == *"/blobs/sha256:"* ]]
  [[ "$output" == *"(3 tries)"* ]]
  store_unchanged
}

@test "bad registry: a manifest that is not JSON" {
  fake_registry_start "$LAYOUT" --manifest-body 'this is not JSON'
  run simg pull "$FAKE/img:t2"
  [ "$status" -ne 0 ]
  [[ "$output" == "skiff-image: pull $FAKE/img:t2: manifest: "* ]]
  [ "${#lines[@]}" -eq 1 ]
  store_unchanged
}

@test "bad registry: a manifest naming an unknown media type" {
  fake_registry_start "$LAYOUT" --layer-media-type application/vnd.example.unknown
  run simg pull "$FAKE/img:t2"
  [ "$status" -ne 0 ]
  [[ "$output" == *"layer 0: unknown media type \`application/vnd.example.unknown\`"* ]]
  [ "$(count "$FAKE_LOG" '.path | contains("/blobs/")')" -eq 0 ]
  store_unchanged
}

@test "bad registry: nothing listening, and a reference that does not parse" {
  port=$(free_port)
  SKIFF_IMAGE_RETRIES=0 run simg pull "127.0.0.1:$port/img:t2"
  [ "$status" -ne 0 ]
  [[ "$output" == *"registry 127.0.0.1:$port"*"127.0.0.1"* ]]
  run simg pull "UPPER/Case:tag"
  [ "$status" -ne 0 ]
  run simg pull ""
  [ "$status" -ne 0 ]
  store_unchanged
}
