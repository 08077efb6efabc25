#!/usr/bin/env bats
# skiff-image pull from Debian's docker-registry: OCI and Docker schema 2
# manifests, an index with two platforms, gzip/zstd/uncompressed layers,
# TLS with a private CA, blobs reused, concurrent pulls, progress on a tty.

load helpers
load registry

setup() {
  registry_setup
  registry_start
  LAYOUT=$WORK/layout
}

teardown() {
  registry_cleanup
}

# The config digest (image id) of manifest DIGEST in the store.
store_config_of() {
  jq -r .config.digest "$STORE/oci/blobs/sha256/${1#sha256:}"
}

# The ref.name -> manifest digest entry of the store's index.json.
store_manifest_of() {
  jq -r --arg n "$1" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n) | .digest' \
    "$STORE/oci/index.json"
}

@test "pull: an OCI image with several layers and a whiteout, stored byte-exact and tagged" {
  make_test_layout "$LAYOUT" t1 >/dev/null
  push_image "$LAYOUT:t1" busybox:1
  remote=$(skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/busybox:1" | sha256sum | cut -d' ' -f1)

  run simg pull "$REGISTRY/busybox:1"
  [ "$status" -eq 0 ]
  # Not a terminal: only the image id on stdout, nothing on stderr.
  [ "${#lines[@]}" -eq 1 ]
  manifest=$(store_manifest_of "$REGISTRY/busybox:1")
  [ "$manifest" = "sha256:$remote" ]
  [ "sha256:$output" = "$(store_config_of "$manifest")" ]
  # Every layer is in the store, the whiteout layer among them.
  n=0
  for d in $(jq -r '.layers[].digest' "$STORE/oci/blobs/sha256/$remote"); do
    [ -f "$STORE/oci/blobs/sha256/${d#sha256:}" ]
    n=$((n + 1))
  done
  [ "$n" -eq 3 ]
  d3=$(jq -r '.layers[2].digest' "$STORE/oci/blobs/sha256/$remote")
  gzip -dc "$STORE/oci/blobs/sha256/${d3#sha256:}" | tar -t | grep -qx 'etc/.wh.gone'

  run simg images
  [ "$status" -eq 0 ]
  [[ "$output" == *"$REGISTRY/busybox"*"1"*"${manifest:7:12}"* || "$output" == *"$REGISTRY/busybox"*"1"* ]]
  run simg fsck
  [ "$status" -eq 0 ]
  # Other tools read the store: skopeo sees the same manifest.
  run skopeo inspect --raw "oci:$STORE/oci:$REGISTRY/busybox:1"
  [ "$status" -eq 0 ]
  [ "$(printf '%s' "$output" | sha256sum | cut -d' ' -f1)" = "$remote" ]
}

@test "pull: a second pull reuses every blob (no blob GET reaches the registry)" {
  make_test_layout "$LAYOUT" t1 >/dev/null
  push_image "$LAYOUT:t1" busybox:1
  run simg pull "$REGISTRY/busybox:1"
  [ "$status" -eq 0 ]
  first=$output
  gets=$(grep -c 'GET /v2/busybox/blobs/' "$REGISTRY_DIR/registry.log")
  [ "$gets" -eq 4 ]
  run simg pull "$REGISTRY/busybox:1"
  [ "$status" -eq 0 ]
  [ "$output" = "$first" ]
  [ "$(grep -c 'GET /v2/busybox/blobs/' "$REGISTRY_DIR/registry.log")" -eq 4 ]
}

@test "pull: a Docker schema 2 image keeps its media type and digest" {
  make_test_layout "$LAYOUT" t1 >/dev/null
  push_image "$LAYOUT:t1" v2s2:1 --format v2s2
  raw=$(skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/v2s2:1")
  [ "$(jq -r .mediaType <<<"$raw")" = application/vnd.docker.distribution.manifest.v2+json ]
  remote=$(printf '%s' "$raw" | sha256sum | cut -d' ' -f1)

  run simg pull "$REGISTRY/v2s2:1"
  [ "$status" -eq 0 ]
  [ "$(store_manifest_of "$REGISTRY/v2s2:1")" = "sha256:$remote" ]
  mt=$(jq -r --arg n "$REGISTRY/v2s2:1" \
    '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $n) | .mediaType' \
    "$STORE/oci/index.json")
  [ "$mt" = application/vnd.docker.distribution.manifest.v2+json ]
  run simg fsck
  [ "$status" -eq 0 ]
}

@test "pull: an index selects linux/amd64 by default, --platform another, a missing platform is an error" {
  make_test_layout "$LAYOUT" multi --index >/dev/null
  push_image "$LAYOUT:multi" multi:1 --all

  run simg pull "$REGISTRY/multi:1"
  [ "$status" -eq 0 ]
  [ "$(jq -r .architecture "$STORE/oci/blobs/sha256/$output")" = amd64 ]

  run simg pull --platform linux/arm64 "$REGISTRY/multi:1"
  [ "$status" -eq 0 ]
  [ "$(jq -r .architecture "$STORE/oci/blobs/sha256/$output")" = arm64 ]
  # The tag moved to the arm64 manifest, the index itself is not an image.
  m=$(store_manifest_of "$REGISTRY/multi:1")
  [ "$(jq -r .config.digest "$STORE/oci/blobs/sha256/${m#sha256:}")" = "sha256:$output" ]

  cp "$STORE/oci/index.json" "$WORK/index.before"
  run simg pull --platform linux/s390x "$REGISTRY/multi:1"
  [ "$status" -ne 0 ]
  [[ "$output" == *"no image for linux/s390x"*"linux/amd64"*"linux/arm64"* ]]
  cmp "$STORE/oci/index.json" "$WORK/index.before"

  run simg pull --platform s390x "$REGISTRY/multi:1"
  [ "$status" -ne 0 ]
  [[ "$output" == *"--platform"*"OS/ARCH"* ]]
}

@test "pull: zstd and uncompressed layers" {
  require_registry_tools zstd
  make_test_layout "$LAYOUT" z --compression zstd >/dev/null
  push_image "$LAYOUT:z" zstd:1
  run simg pull "$REGISTRY/zstd:1"
  [ "$status" -eq 0 ]
  m=$(store_manifest_of "$REGISTRY/zstd:1")
  [ "$(jq -r '.layers[0].mediaType' "$STORE/oci/blobs/sha256/${m#sha256:}")" = application/vnd.oci.image.layer.v1.tar+zstd ]
  # skopeo compresses what it pushes to a registry: uncompressed layers
  # come from a registry serving the layout as it is.
  make_test_layout "$WORK/plain" plain --compression none >/dev/null
  fake_registry_start "$WORK/plain"
  run simg pull "$FAKE/plain:plain"
  [ "$status" -eq 0 ]
  m=$(store_manifest_of "$FAKE/plain:plain")
  [ "$(jq -r '.layers[0].mediaType' "$STORE/oci/blobs/sha256/${m#sha256:}")" = application/vnd.oci.image.layer.v1.tar ]
  run simg fsck
  [ "$status" -eq 0 ]
}

@test "pull: by digest, and a reference that does not parse" {
  make_test_layout "$LAYOUT" t1 >/dev/null
  push_image "$LAYOUT:t1" busybox:1
  digest=sha256:$(skopeo inspect --tls-verify=false --raw "docker://$REGISTRY/busybox:1" | sha256sum | cut -d' ' -f1)
  run simg pull "$REGISTRY/busybox@$digest"
  [ "$status" -eq 0 ]
  [ -f "$STORE/oci/blobs/sha256/${digest#sha256:}" ]

  run simg pull "$REGISTRY/busybox@sha256:$(printf '0%.0s' $(seq 64))"
  [ "$status" -ne 0 ]
  [[ "$output" == *"HTTP 404"* ]]

  run simg pull "$REGISTRY/Bad Name:1"
  [ "$status" -ne 0 ]
  [[ "$output" == *"Bad Name"* ]]
  run simg pull "$REGISTRY/busybox:1:2"
  [ "$status" -ne 0 ]
}

@test "pull: TLS with a private CA needs --cert-dir, or --tls-verify=false" {
  registry_stop
  registry_start --tls
  make_test_layout "$LAYOUT" t1 >/dev/null
  push_image "$LAYOUT:t1" busybox:1

  run simg pull "$REGISTRY/busybox:1"
  [ "$status" -ne 0 ]
  [[ "$output" == *"https://$REGISTRY/v2/"*"certificate"*"--cert-dir"* ]]
  [ ! -e "$STORE/oci/index.json" ] || [ "$(jq '.manifests | length' "$STORE/oci/index.json")" -eq 0 ]

  run simg pull --cert-dir "$REGISTRY_CERT_DIR" "$REGISTRY/busybox:1"
  [ "$status" -eq 0 ]
  run simg pull --tls-verify=false "$REGISTRY/busybox:1"
  [ "$status" -eq 0 ]
}

@test "pull: two pulls at once both succeed and leave the store consistent" {
  make_test_layout "$LAYOUT" t1 --small-files 2000 >/dev/null
  push_image "$LAYOUT:t1" busybox:1
  simg pull -q "$REGISTRY/busybox:1" >"$WORK/a" 2>&1 &
  a=$!
  simg pull -q "$REGISTRY/busybox:1" >"$WORK/b" 2>&1 &
  b=$!
  wait "$a"
  wait "$b"
  cmp "$WORK/a" "$WORK/b"
  run simg fsck
  [ "$status" -eq 0 ]
  [ "$(jq '.manifests | length' "$STORE/oci/index.json")" -eq 1 ]
}

@test "pull: progress lines on a terminal, one per blob" {
  command -v script >/dev/null || skip "script (bsdutils) is not installed"
  make_test_layout "$LAYOUT" t1 >/dev/null
  push_image "$LAYOUT:t1" busybox:1
  run script -qec "$SKIFF_IMAGE --root $STORE pull $REGISTRY/busybox:1" /dev/null
  [ "$status" -eq 0 ]
  [ "$(grep -c 'Copying blob [0-9a-f]\{12\} .*/s  done' <<<"$output")" -ge 4 ]
  # -q: quiet even on a terminal.
  run script -qec "$SKIFF_IMAGE --root $STORE pull -q $REGISTRY/busybox:1" /dev/null
  [ "$status" -eq 0 ]
  [[ "$output" != *"Copying blob"* ]]
}

@test "pull: umoci unpacks what was pulled (the whiteout hides the deleted file)" {
  require_cmd umoci
  make_test_layout "$LAYOUT" t1 >/dev/null
  push_image "$LAYOUT:t1" busybox:1
  run simg pull -q "$REGISTRY/busybox:1"
  [ "$status" -eq 0 ]
  [ "$(umoci ls --layout "$STORE/oci")" = "$REGISTRY/busybox:1" ]
  umoci unpack --image "$STORE/oci:$REGISTRY/busybox:1" "$WORK/bundle" >/dev/null
  [ "$(cat "$WORK/bundle/rootfs/etc/hello")" = "hello from layer 2" ]
  [ "$(cat "$WORK/bundle/rootfs/etc/platform")" = linux/amd64 ]
  [ ! -e "$WORK/bundle/rootfs/etc/gone" ]
  [ -x "$WORK/bundle/rootfs/bin/busybox" ]
}
