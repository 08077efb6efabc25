#!/usr/bin/env bats
# skiff-image: the store and the commands that read and change it:
# references, images, inspect, tag, rmi, prune, fsck, locking.

load helpers

setup() { setup_store; }
teardown() { teardown_store; }

@test "--help lists the commands; a bad command or option is a usage error" {
  run "$SKIFF_IMAGE" --help
  [ "$status" -eq 0 ]
  for c in pull push login logout images inspect tag rmi prune save load fsck; do
    [[ "$output" == *"  $c "* ]]
  done
  run "$SKIFF_IMAGE" frobnicate
  [ "$status" -eq 2 ]
  [[ "$output" == *"unknown command \`frobnicate\`"* ]]
  run simg images --bogus
  [ "$status" -eq 2 ]
  [[ "$output" == *"unknown option \`--bogus\`"* ]]
  run "$SKIFF_IMAGE" --root "" images
  [ "$status" -eq 1 ]
  [ "$output" = "skiff-image: images: store: the root directory is an empty path" ]
}

@test "a new store is an empty OCI image layout" {
  run simg images -q
  [ "$status" -eq 0 ]
  [ -z "$output" ]
  [ "$(jq -r .imageLayoutVersion "$STORE/oci/oci-layout")" = 1.0.0 ]
  [ "$(jq -c .manifests "$STORE/oci/index.json")" = "[]" ]
  [ -d "$STORE/oci/blobs/sha256" ]
}

@test "references: short names are docker.io/library, tags default to latest" {
  load_test_image example.com:5000/team/app:1.0
  simg tag example.com:5000/team/app:1.0 busybox
  simg tag busybox user/tool:v2
  simg tag busybox localhost/x
  run jq -r '.manifests[].annotations["org.opencontainers.image.ref.name"]' "$STORE/oci/index.json"
  [ "$status" -eq 0 ]
  [[ "$output" == *"example.com:5000/team/app:1.0"* ]]
  [[ "$output" == *"docker.io/library/busybox:latest"* ]]
  [[ "$output" == *"docker.io/user/tool:v2"* ]]
  [[ "$output" == *"localhost/x:latest"* ]]
  # The same image under any of its spellings.
  for n in busybox docker.io/library/busybox library/busybox:latest index.docker.io/library/busybox; do
    run simg inspect "$n"
    [ "$status" -eq 0 ]
    [ "$(echo "$output" | jq -r '.[0].Id')" = "${IMAGE_ID#sha256:}" ]
  done
}

@test "references that do not parse are errors naming the reference" {
  load_test_image app:1
  for bad in 'Upper/Case' 'a b' 'app:' 'app:-x' 'reg.io/' 'app@sha256:123' '/app' 'a//b' 'host:port/x'; do
    run simg tag app:1 "$bad"
    [ "$status" -eq 1 ]
    [[ "$output" == *"invalid reference \`$bad\`"* ]]
  done
  run simg tag app:1 Upper/Case
  [[ "$output" == *"must be lowercase"* ]]
  # A digest cannot be a tag; the index did not change.
  before=$(cat "$STORE/oci/index.json")
  run simg tag app:1 "app@sha256:$(printf '%064d' 0)"
  [ "$status" -eq 1 ]
  [[ "$output" == *"a tag cannot name a digest"* ]]
  [ "$(cat "$STORE/oci/index.json")" = "$before" ]
}

@test "images: podman's columns, id = config digest, size = uncompressed layers" {
  load_test_image docker.io/library/bb:v1
  # The uncompressed size of the layers, from the source layout.
  size=0
  for d in $(layout_manifest "$LAYOUT" docker.io/library/bb:v1 | jq -r '.layers[].digest'); do
    n=$(gzip -dcf <"$LAYOUT/blobs/sha256/${d#sha256:}" | wc -c)
    size=$((size + n))
  done
  run simg images
  [ "$status" -eq 0 ]
  [ "${lines[0]}" = "$(echo "${lines[0]}" | grep -E '^REPOSITORY +TAG +IMAGE ID +CREATED +SIZE$')" ]
  read -r repo tag id rest <<<"${lines[1]}"
  [ "$repo" = docker.io/library/bb ]
  [ "$tag" = v1 ]
  [ "$id" = "${IMAGE_ID:7:12}" ]
  [[ "$rest" == *"years ago"* ]]
  expected=$(awk -v s="$size" 'BEGIN { printf "%.3g MB", s / 1e6 }')
  [[ "${lines[1]}" == *" $expected" ]]

  run simg images --format json
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r '.[0].Id')" = "${IMAGE_ID#sha256:}" ]
  [ "$(echo "$output" | jq -r '.[0].Size')" = "$size" ]
  [ "$(echo "$output" | jq -r '.[0].Names[0]')" = docker.io/library/bb:v1 ]
  [ "$(echo "$output" | jq -r '.[0].Created')" = "$(date -d 2024-01-02T03:04:05Z +%s)" ]

  run simg images --digests
  digest=$(jq -r '.manifests[0].digest' "$STORE/oci/index.json")
  [[ "${lines[1]}" == *" $digest "* ]]
  run simg images -q
  [ "$output" = "${IMAGE_ID:7:12}" ]
}

@test "zstd, gzip and plain layers: diff ids and sizes from their content" {
  require_cmd zstd
  LAYOUT=$WORK/zstd
  MKIMAGE_ZSTD=1 make_layout "$LAYOUT" app:z zword
  tar_layout "$LAYOUT" "$LAYOUT.tar"
  simg load -i "$LAYOUT.tar"
  run simg inspect app:z
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r '.[0].Layers[1].MediaType')" = application/vnd.oci.image.layer.v1.tar+zstd ]
  [ "$(echo "$output" | jq -c '[.[0].Layers[].DiffID]')" = "$(echo "$output" | jq -c '.[0].Config.rootfs.diff_ids')" ]
  l=$(echo "$output" | jq -r '.[0].Layers[1].Digest')
  [ "$(echo "$output" | jq '.[0].Layers[1].UncompressedSize')" = \
    "$(zstd -dc "$LAYOUT/blobs/sha256/${l#sha256:}" | wc -c)" ]
  simg fsck
}

@test "tag moves a name: the old manifest stays as <none>, ids stay apart" {
  load_test_image app:1 one
  first=$IMAGE_ID
  load_test_image app:1 two
  second=$IMAGE_ID
  [ "$first" != "$second" ]
  run simg images
  [ "${#lines[@]}" -eq 3 ]
  [[ "$output" == *"app "*"1 "*"${second:7:12}"* ]]
  echo "$output" | grep -E "^<none> +<none> +${first:7:12}"
  # Tagging an image by id adds a name (its <none> entry takes it).
  simg tag "${first:7:8}" app:old
  run simg images --format json
  [ "$(echo "$output" | jq -r --arg i "${first#sha256:}" '.[] | select(.Id == $i) | .Names[0]')" = docker.io/library/app:old ]
  [ "$(echo "$output" | jq '[.[] | select(.Dangling)] | length')" = 0 ]
  [ "$(jq '.manifests | length' "$STORE/oci/index.json")" = 2 ]
}

@test "inspect: config, manifest digest, layers with diff ids and sizes" {
  load_test_image app:1 word1
  run simg inspect app:1
  [ "$status" -eq 0 ]
  m=$(layout_manifest "$LAYOUT" app:1)
  [ "$(echo "$output" | jq -r '.[0].Id')" = "${IMAGE_ID#sha256:}" ]
  [ "$(echo "$output" | jq -r '.[0].Digest')" = "$(jq -r .manifests[0].digest "$STORE/oci/index.json")" ]
  [ "$(echo "$output" | jq -r '.[0].RepoTags[0]')" = docker.io/library/app:1 ]
  [ "$(echo "$output" | jq -r '.[0].Config.config.Labels.word')" = word1 ]
  [ "$(echo "$output" | jq -c '[.[0].Layers[].Digest]')" = "$(echo "$m" | jq -c '[.layers[].digest]')" ]
  [ "$(echo "$output" | jq -c '[.[0].Layers[].DiffID]')" = "$(echo "$output" | jq -c '.[0].Config.rootfs.diff_ids')" ]
  [ "$(echo "$output" | jq '.[0].CompressedSize')" = "$(echo "$m" | jq '[.layers[].size] | add')" ]
  [ "$(echo "$output" | jq '.[0].Size')" = "$(echo "$output" | jq '[.[0].Layers[].UncompressedSize] | add')" ]
  run simg inspect nothere:1
  [ "$status" -eq 1 ]
  [[ "$output" == *"image \`nothere:1\`: not in the store"* ]]
}

@test "rmi: a name, then the last name with the image's own blobs" {
  load_test_image app:1 one
  one=$IMAGE_ID
  load_test_image app:2 two
  simg tag app:1 app:alias
  blobs=$(count_blobs)
  run simg rmi app:alias
  [ "$status" -eq 0 ]
  [ "$output" = "Untagged: docker.io/library/app:alias" ]
  [ "$(count_blobs)" -eq "$blobs" ]
  # By id with two names: refused without -f.
  simg tag app:1 app:alias
  run simg rmi "${one:7:12}"
  [ "$status" -eq 1 ]
  [[ "$output" == *"has 2 names"* ]]
  run simg rmi -f "${one:7:12}"
  [ "$status" -eq 0 ]
  [[ "$output" == *"Untagged: docker.io/library/app:1"* ]]
  [[ "$output" == *"Untagged: docker.io/library/app:alias"* ]]
  [[ "$output" == *"Deleted: ${one#sha256:}"* ]]
  # Its manifest, config and second layer went; the shared busybox layer
  # and the uncompressed whiteout layer (the same in both) stayed.
  [ "$(count_blobs)" -eq $((blobs - 3)) ]
  simg fsck
  run simg rmi app:2
  [ "$(count_blobs)" -eq 0 ]
  run simg rmi app:2
  [ "$status" -eq 1 ]
  [[ "$output" == *"not in the store"* ]]
}

@test "prune: dangling images, then old unreferenced blobs and temp files; -a the rest" {
  load_test_image app:1 one
  one=$IMAGE_ID
  load_test_image app:1 two
  two=$IMAGE_ID
  # A blob nobody references, written long ago, and one written now (a
  # pull that has not tagged yet); temp files likewise.
  echo stale >"$WORK/stale"
  echo fresh >"$WORK/fresh"
  stale=$(sha256sum "$WORK/stale" | cut -d' ' -f1)
  fresh=$(sha256sum "$WORK/fresh" | cut -d' ' -f1)
  cp "$WORK/stale" "$STORE/oci/blobs/sha256/$stale"
  cp "$WORK/fresh" "$STORE/oci/blobs/sha256/$fresh"
  touch -d '1 hour ago' "$STORE/oci/blobs/sha256/$stale"
  echo x >"$STORE/tmp/blob-old"
  echo x >"$STORE/tmp/blob-new"
  touch -d '1 hour ago' "$STORE/tmp/blob-old"

  run simg prune
  [ "$status" -eq 0 ]
  [[ "$output" == *"Deleted: ${one#sha256:}"* ]]
  [ ! -e "$STORE/oci/blobs/sha256/$stale" ]
  [ -e "$STORE/oci/blobs/sha256/$fresh" ]
  [ ! -e "$STORE/tmp/blob-old" ]
  [ -e "$STORE/tmp/blob-new" ]
  run simg images -q
  [ "$output" = "${two:7:12}" ]
  run simg inspect app:1
  [ "$status" -eq 0 ]

  run simg prune -a
  [ "$status" -eq 0 ]
  [[ "$output" == *"Untagged: docker.io/library/app:1"* ]]
  [[ "$output" == *"Deleted: ${two#sha256:}"* ]]
  [ "$(jq '.manifests | length' "$STORE/oci/index.json")" = 0 ]
  [ "$(count_blobs)" -eq 1 ] # the fresh one
}

@test "fsck names corrupt, missing and mismatched blobs by digest" {
  load_test_image app:1
  simg fsck
  m=$(layout_manifest "$LAYOUT" app:1)
  l1=$(echo "$m" | jq -r '.layers[1].digest')
  l2=$(echo "$m" | jq -r '.layers[2].digest')
  config=$(echo "$m" | jq -r '.config.digest')
  echo garbage >>"$STORE/oci/blobs/sha256/${l1#sha256:}"
  rm "$STORE/oci/blobs/sha256/${l2#sha256:}"
  echo junk >"$STORE/oci/blobs/sha256/not-a-digest"
  run simg fsck
  [ "$status" -eq 1 ]
  [[ "$output" == *"corrupt blob $l1: content has digest sha256:"* ]]
  [[ "$output" == *"missing blob $l2 (layer of docker.io/library/app:1)"* ]]
  [[ "$output" == *"stray file blobs/sha256/not-a-digest"* ]]
  [[ "$output" == *"fsck: 4 problems"* ]] # the corrupt layer's size too
  # images still lists it, and says what is wrong.
  run simg images
  [ "$status" -eq 0 ]
  [[ "$output" == *"see \`skiff-image fsck\`"* ]]
  [[ "$output" == *"app "* ]]
  [ -n "$config" ]
}

@test "fsck checks the layers' diff ids against the config" {
  load_test_image app:1
  m=$(layout_manifest "$LAYOUT" app:1)
  config=$(echo "$m" | jq -r '.config.digest')
  # A config whose second diff id is wrong, under its own (valid) digest.
  jq -c '.rootfs.diff_ids[1] = "sha256:'"$(printf '%064d' 7)"'"' \
    "$STORE/oci/blobs/sha256/${config#sha256:}" >"$WORK/config"
  newc=sha256:$(sha256sum "$WORK/config" | cut -d' ' -f1)
  cp "$WORK/config" "$STORE/oci/blobs/sha256/${newc#sha256:}"
  echo "$m" | jq -c --arg c "$newc" --argjson s "$(stat -c %s "$WORK/config")" \
    '.config.digest = $c | .config.size = $s' >"$WORK/manifest"
  newm=sha256:$(sha256sum "$WORK/manifest" | cut -d' ' -f1)
  cp "$WORK/manifest" "$STORE/oci/blobs/sha256/${newm#sha256:}"
  jq -c --arg d "$newm" --argjson s "$(stat -c %s "$WORK/manifest")" \
    '.manifests[0].digest = $d | .manifests[0].size = $s' "$STORE/oci/index.json" >"$WORK/index"
  cp "$WORK/index" "$STORE/oci/index.json"
  run simg fsck
  [ "$status" -eq 1 ]
  [[ "$output" == *"$(echo "$m" | jq -r '.layers[1].digest') of docker.io/library/app:1: diff id sha256:"*", its config says sha256:0000"* ]]
}

@test "concurrent tags: every change lands in index.json (the store's lock)" {
  load_test_image app:1
  pids=()
  for i in $(seq 1 12); do
    simg tag app:1 "app:t$i" &
    pids+=("$!")
  done
  for p in "${pids[@]}"; do wait "$p"; done
  [ "$(jq '[.manifests[] | select(.annotations)] | length' "$STORE/oci/index.json")" = 13 ]
  [ "$(jq '.manifests | length' "$STORE/oci/index.json")" = 13 ]
  simg fsck
}

@test "the store is readable by skopeo and umoci" {
  require_cmd skopeo umoci
  load_test_image quay.io/team/app:1.0
  run skopeo inspect --raw "oci:$STORE/oci:quay.io/team/app:1.0"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -r .config.digest)" = "$IMAGE_ID" ]
  skopeo copy -q "oci:$STORE/oci:quay.io/team/app:1.0" "oci:$WORK/copy:x"
  [ "$(layout_config_digest "$WORK/copy" x)" = "$IMAGE_ID" ]
  run umoci ls --layout "$STORE/oci"
  [ "$status" -eq 0 ]
  [ "$output" = quay.io/team/app:1.0 ]
  umoci unpack --rootless --image "$STORE/oci:quay.io/team/app:1.0" "$WORK/bundle" >/dev/null
  # The whiteout layer removed /data/a; the others are there.
  [ "$(cat "$WORK/bundle/rootfs/data/b")" = "b hello" ]
  [ ! -e "$WORK/bundle/rootfs/data/a" ]
  [ -x "$WORK/bundle/rootfs/bin/busybox" ]
}

@test "without root: the user's own store (XDG_DATA_HOME) serves load, images, save and unpack; containers are refused, saying why" {
  require_cmd setpriv
  local uid=1000 rl=$WORK/rootless
  chmod 711 "$WORK"
  mkdir -p "$rl/layout"
  "${PYTHON:-python3}" "$(dirname "$BATS_TEST_FILENAME")/make-test-image.py" "$rl/layout" t1 --busybox "$BUSYBOX" >/dev/null
  tar -C "$rl/layout" -cf "$rl/t.tar" .
  chown -R "$uid:$uid" "$rl"
  as_user() {
    setpriv --reuid "$uid" --regid "$uid" --clear-groups --inh-caps=-all \
      env HOME="$rl" XDG_DATA_HOME="$rl/data" "$SKIFF_IMAGE" "$@"
  }
  run as_user load -i "$rl/t.tar"
  echo "$output"
  [ "$status" -eq 0 ]
  [ -f "$rl/data/skiff/oci/index.json" ]
  run as_user images
  [[ "$output" == *"docker.io/library/t1"* ]]
  run as_user unpack t1 "$rl/bundle"
  [ "$status" -eq 0 ]
  [ -x "$rl/bundle/rootfs/bin/busybox" ]
  run as_user save -o "$rl/out.tar" t1
  [ "$status" -eq 0 ]
  run as_user run --rm t1 true
  [ "$status" -eq 1 ]
  [ "$output" = "skiff-image: containers need root: rootless containers are not supported (images, pull, push, save, load and unpack work without root)" ]
  [ -z "$(ls -A "$rl/data/skiff/containers" 2>/dev/null)" ]
}
