#!/usr/bin/env bats
# The store's commands on images pulled from a real registry (Debian's
# docker-registry): images, inspect, save/load, rmi and prune on what pull
# stored, OCI and Docker schema 2 manifests.

load helpers
load registry

setup() {
  registry_setup
  registry_start
}

teardown() {
  registry_cleanup
}

# pull_test_image NAME WORD [skopeo options]: our three-layer image pushed
# to the registry and pulled into the store; sets $LAYOUT and $IMAGE_ID.
pull_test_image() {
  local name=$1 word=$2
  shift 2
  LAYOUT=$WORK/layout-$word
  make_layout "$LAYOUT" src "$word"
  push_image "$LAYOUT:src" "$name" "$@"
  simg pull -q "$REGISTRY/$name" >/dev/null
  IMAGE_ID=$(layout_config_digest "$LAYOUT" src)
}

@test "a pulled image: images, inspect, save to podman, rmi leaves no blob" {
  pull_test_image app:1 pulled
  run simg images --format json
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r '.[0].Id')" = "${IMAGE_ID#sha256:}" ]
  [ "$(echo "$output" | jq -r '.[0].Names[0]')" = "$REGISTRY/app:1" ]
  size=0
  for d in $(layout_manifest "$LAYOUT" src | jq -r '.layers[].digest'); do
    size=$((size + $(gzip -dcf <"$LAYOUT/blobs/sha256/${d#sha256:}" | wc -c)))
  done
  [ "$(echo "$output" | jq -r '.[0].Size')" = "$size" ]
  run simg inspect "$REGISTRY/app:1"
  [ "$(echo "$output" | jq -r '.[0].Config.config.Labels.word')" = pulled ]

  if command -v podman >/dev/null && [ "$(id -u)" = 0 ]; then
    simg save -o "$WORK/app.tar" "$REGISTRY/app:1"
    podman --root "$WORK/pr" --runroot "$WORK/prr" --storage-driver vfs load -q -i "$WORK/app.tar" >/dev/null
    [ "$(podman --root "$WORK/pr" --runroot "$WORK/prr" --storage-driver vfs images --no-trunc --format '{{.ID}}')" = "$IMAGE_ID" ]
  fi

  simg fsck
  run simg rmi "$REGISTRY/app:1"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Deleted: ${IMAGE_ID#sha256:}"* ]]
  [ "$(count_blobs)" -eq 0 ]
}

@test "a Docker schema 2 image keeps its manifest through oci-archive save and load" {
  pull_test_image app:v2s2 docker --format v2s2
  digest=$(jq -r '.manifests[0].digest' "$STORE/oci/index.json")
  [ "$(jq -r '.manifests[0].mediaType' "$STORE/oci/index.json")" = \
    application/vnd.docker.distribution.manifest.v2+json ]
  simg save --format oci-archive -o "$WORK/o.tar" "$REGISTRY/app:v2s2"
  STORE=$WORK/other run simg load -i "$WORK/o.tar"
  [ "$status" -eq 0 ]
  [ "$output" = "Loaded image: $REGISTRY/app:v2s2" ]
  [ "$(jq -r '.manifests[0].digest' "$WORK/other/oci/index.json")" = "$digest" ]
  STORE=$WORK/other simg fsck
  # The new store holds the bytes the registry serves.
  skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/app:v2s2" >"$WORK/remote"
  cmp "$WORK/remote" "$WORK/other/oci/blobs/sha256/${digest#sha256:}"
}

@test "pull over a tag leaves <none>; prune removes it and its blobs, -a the rest" {
  pull_test_image app:1 first
  first=$IMAGE_ID
  pull_test_image app:1 second
  run simg images
  echo "$output" | grep -E "^<none> +<none> +${first:7:12}"
  run simg prune
  [ "$status" -eq 0 ]
  [[ "$output" == *"Deleted: ${first#sha256:}"* ]]
  # The second image's manifest, config and three layers remain (the busybox
  # and whiteout layers it shared with the first among them).
  [ "$(count_blobs)" -eq 5 ]
  simg fsck
  simg prune -a
  [ "$(count_blobs)" -eq 0 ]
}
