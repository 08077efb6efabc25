#!/usr/bin/env bats
# skiff-image push to Debian's docker-registry: digests survive a round
# trip, existing blobs are skipped (HEAD), blobs are mounted across
# repositories, and skopeo and podman read what was pushed.

load helpers
load registry

setup() {
  registry_setup
  registry_start
  LAYOUT=$WORK/layout
  make_test_layout "$LAYOUT" t1 >/dev/null
  push_image "$LAYOUT:t1" src:1
  run simg pull -q "$REGISTRY/src:1"
  [ "$status" -eq 0 ]
  ID=$output
  SRC_DIGEST=sha256:$(skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/src:1" | sha256sum | cut -d' ' -f1)
}

teardown() {
  registry_cleanup
}

@test "push: to another repository of the same registry mounts the blobs and keeps the digest" {
  before=$(wc -l <"$REGISTRY_DIR/registry.log")
  run simg push "$REGISTRY/src:1" "$REGISTRY/copy:2"
  [ "$status" -eq 0 ]
  [ "$output" = "$SRC_DIGEST" ]
  log=$(tail -n +"$((before + 1))" "$REGISTRY_DIR/registry.log")
  # Config and three layers: each mounted from src, none uploaded.
  [ "$(grep -c 'POST /v2/copy/blobs/uploads/?mount=sha256%3A[0-9a-f]*&from=src' <<<"$log")" -eq 4 ]
  [ "$(grep -c 'PUT /v2/copy/blobs/uploads/' <<<"$log" || true)" -eq 0 ]
  raw=$(skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/copy:2")
  [ "sha256:$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)" = "$SRC_DIGEST" ]
}

@test "push: blobs the registry has are not sent again (HEAD)" {
  before=$(wc -l <"$REGISTRY_DIR/registry.log")
  run simg push "$REGISTRY/src:1" "$REGISTRY/src:again"
  [ "$status" -eq 0 ]
  log=$(tail -n +"$((before + 1))" "$REGISTRY_DIR/registry.log")
  [ "$(grep -c 'HEAD /v2/src/blobs/sha256:' <<<"$log")" -eq 4 ]
  [ "$(grep -c 'blobs/uploads' <<<"$log" || true)" -eq 0 ]
  [ "$(skopeo inspect --tls-verify=false "docker://$REGISTRY/src:again" | jq -r .Digest)" = "$SRC_DIGEST" ]
}

@test "push: to a new registry uploads everything; skopeo and podman read it" {
  first=$REGISTRY
  first_dir=$REGISTRY_DIR
  # A second registry: no mount is possible there.
  REGISTRY_DIR=
  registry_start
  run simg push "$first/src:1" "$REGISTRY/other/img:1"
  [ "$status" -eq 0 ]
  [ "$output" = "$SRC_DIGEST" ]
  [ "$(grep -c 'PUT /v2/other/img/blobs/uploads/' "$REGISTRY_DIR/registry.log")" -eq 4 ]
  [ "$(grep -c 'PUT /v2/other/img/manifests/1' "$REGISTRY_DIR/registry.log")" -eq 1 ]
  rm -rf --one-file-system "$first_dir"

  skopeo copy -q --src-tls-verify=false "docker://$REGISTRY/other/img:1" "oci:$WORK/back:img"
  cfg=$(jq -r '.manifests[0].digest' "$WORK/back/index.json")
  [ "$(jq -r .config.digest "$WORK/back/blobs/sha256/${cfg#sha256:}")" = "sha256:$ID" ]

  require_registry_tools podman
  pr=$WORK/podman
  run env -u REGISTRY_AUTH_FILE podman --root "$pr/root" --runroot "$pr/run" --storage-driver vfs pull -q --tls-verify=false \
    "$REGISTRY/other/img:1"
  [ "$status" -eq 0 ]
  [ "$output" = "$ID" ]
  env -u REGISTRY_AUTH_FILE podman --root "$pr/root" --runroot "$pr/run" --storage-driver vfs rmi -a -f >/dev/null 2>&1 || true
}

@test "push: the image's own name when no destination is given; Docker schema 2 stays schema 2" {
  push_image "$LAYOUT:t1" v2s2:1 --format v2s2
  run simg pull -q "$REGISTRY/v2s2:1"
  [ "$status" -eq 0 ]
  want=sha256:$(skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/v2s2:1" | sha256sum | cut -d' ' -f1)
  run simg tag "$REGISTRY/v2s2:1" "$REGISTRY/v2s2:retag"
  [ "$status" -eq 0 ]
  run simg push "$REGISTRY/v2s2:retag"
  [ "$status" -eq 0 ]
  [ "$output" = "$want" ]
  raw=$(skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/v2s2:retag")
  [ "$(jq -r .mediaType <<<"$raw")" = application/vnd.docker.distribution.manifest.v2+json ]
}

@test "push: an image that is not in the store, a destination without a tag" {
  run simg push "$REGISTRY/nothere:1"
  [ "$status" -ne 0 ]
  [[ "$output" == *"push $REGISTRY/nothere:1"* ]]
  run simg push "$REGISTRY/src:1" "$REGISTRY/x@sha256:bad"
  [ "$status" -ne 0 ]
}

@test "push: progress lines on a terminal: uploaded, mounted, already there" {
  command -v script >/dev/null || skip "script (bsdutils) is not installed"
  first=$REGISTRY first_dir=$REGISTRY_DIR
  REGISTRY_DIR=
  registry_start
  run script -qec "$SKIFF_IMAGE --root $STORE push $first/src:1 $REGISTRY/up:1" /dev/null
  [ "$status" -eq 0 ]
  # Redrawn in place: each line appears at least once in its final state.
  [ "$(grep -o 'Copying blob [0-9a-f]\{12\} .*/s  done' <<<"$output" | sort -u | wc -l)" -eq 4 ]
  rm -rf --one-file-system "$REGISTRY_DIR"
  REGISTRY_DIR=$first_dir
  run script -qec "$SKIFF_IMAGE --root $STORE push $first/src:1 $first/mounted:1" /dev/null
  [ "$status" -eq 0 ]
  [ "$(grep -o 'Copying blob [0-9a-f]\{12\} .*  mounted' <<<"$output" | sort -u | wc -l)" -eq 4 ]
  run script -qec "$SKIFF_IMAGE --root $STORE push $first/src:1 $first/src:1" /dev/null
  [ "$status" -eq 0 ]
  [ "$(grep -o 'Copying blob [0-9a-f]\{12\} .*  exists' <<<"$output" | sort -u | wc -l)" -eq 4 ]
}
