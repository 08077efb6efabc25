#!/usr/bin/env bats
# skiff-image save and load: docker-archive and oci-archive, interop with
# skopeo and podman both ways, bad archives, a load killed midway.

load helpers

setup() { setup_store; }
teardown() { teardown_store; }

# podman with its own storage in $WORK (never the host's).
podman_private() {
  podman --root "$WORK/podman-root" --runroot "$WORK/podman-run" --storage-driver vfs "$@"
}

# The diff ids of image NAME in the store.
diff_ids() {
  simg inspect "$1" | jq -c '.[0].Config.rootfs.diff_ids'
}

@test "load a docker-archive written by skopeo" {
  make_archive docker-archive "$WORK/d.tar" docker.io/library/bb:v1 word1
  run simg load -i "$WORK/d.tar"
  [ "$status" -eq 0 ]
  [ "$output" = "Loaded image: docker.io/library/bb:v1" ]
  run simg inspect bb:v1
  [ "$(echo "$output" | jq -r '.[0].Config.config.Labels.word')" = word1 ]
  [ "$(echo "$output" | jq -r '.[0].Layers | length')" = 3 ]
  # Nothing but the image's blobs stayed (not the archive's VERSION and json
  # files): manifest, config, three layers.
  [ "$(count_blobs)" -eq 5 ]
  simg fsck
}

@test "load an oci-archive written by skopeo, from stdin and compressed" {
  make_archive oci-archive "$WORK/o.tar" quay.io/x/app:2 word2
  gzip -c "$WORK/o.tar" >"$WORK/o.tar.gz"
  run simg load <"$WORK/o.tar.gz"
  [ "$status" -eq 0 ]
  [ "$output" = "Loaded image: quay.io/x/app:2" ]
  # The manifest is stored as it was, byte for byte.
  m=$(tar -xOf "$WORK/o.tar" index.json | jq -r '.manifests[0].digest')
  [ "$(jq -r '.manifests[0].digest' "$STORE/oci/index.json")" = "$m" ]
  simg fsck
}

@test "save then load into another store: same id, names, layers" {
  load_test_image app:1 one
  simg tag app:1 localhost:5000/app:latest
  for f in docker-archive oci-archive; do
    simg save --format "$f" -o "$WORK/$f.tar" "$IMAGE_ID"
    STORE=$WORK/other-$f run simg load -i "$WORK/$f.tar"
    [ "$status" -eq 0 ]
    [[ "$output" == *"Loaded image: docker.io/library/app:1"* ]]
    [[ "$output" == *"Loaded image: localhost:5000/app:latest"* ]]
    [ "$(STORE=$WORK/other-$f simg images -q)" = "${IMAGE_ID:7:12}" ]
    [ "$(STORE=$WORK/other-$f diff_ids app:1)" = "$(diff_ids app:1)" ]
    STORE=$WORK/other-$f simg fsck
  done
  # oci-archive keeps the manifest and its compressed layers as they are.
  [ "$(jq -r .manifests[0].digest "$WORK/other-oci-archive/oci/index.json")" = \
    "$(jq -r .manifests[0].digest "$STORE/oci/index.json")" ]
}

@test "save by name keeps that name only; several images in one archive" {
  load_test_image app:1 one
  simg tag app:1 app:other
  load_test_image tool:2 two
  simg save -o "$WORK/two.tar" app:1 tool:2
  run tar -xOf "$WORK/two.tar" manifest.json
  [ "$(echo "$output" | jq -c '[.[].RepoTags[]]')" = '["docker.io/library/app:1","docker.io/library/tool:2"]' ]
  # docker save's layout: uncompressed layers named by their diff ids.
  for l in $(echo "$output" | jq -r '.[].Layers[]'); do
    [ "sha256:$(tar -xOf "$WORK/two.tar" "$l" | sha256sum | cut -d' ' -f1)" = "sha256:${l%.tar}" ]
  done
  tar -xOf "$WORK/two.tar" repositories | jq -e '.["docker.io/library/app"]["1"]'
  # The layers both images share (busybox, the whiteout) are there once.
  [ "$(tar -tf "$WORK/two.tar" | grep -c '\.tar$')" -eq 4 ]
}

@test "skopeo reads our docker-archive and oci-archive" {
  require_cmd skopeo
  load_test_image app:1
  simg save -o "$WORK/d.tar" app:1
  simg save --format oci-archive -o "$WORK/o.tar" app:1
  run skopeo inspect --config "docker-archive:$WORK/d.tar"
  [ "$status" -eq 0 ]
  [ "$(echo "$output" | jq -c .rootfs.diff_ids)" = "$(diff_ids app:1)" ]
  skopeo copy -q "oci-archive:$WORK/o.tar:docker.io/library/app:1" "oci:$WORK/copy:c"
  [ "$(layout_config_digest "$WORK/copy" c)" = "$IMAGE_ID" ]
}

@test "podman loads our save; we load podman's save (both formats)" {
  require_cmd podman
  [ "$(id -u)" = 0 ] || skip "podman with private vfs storage runs as root here"
  load_test_image docker.io/library/app:1 podman
  simg save -o "$WORK/ours.tar" app:1
  run podman_private load -q -i "$WORK/ours.tar"
  [ "$status" -eq 0 ]
  run podman_private images --no-trunc --format '{{.Repository}}:{{.Tag}} {{.ID}}'
  [ "$status" -eq 0 ]
  [ "$output" = "docker.io/library/app:1 $IMAGE_ID" ]
  podman_private image inspect app:1 --format '{{json .RootFS.Layers}}' >"$WORK/podman-layers"
  [ "$(jq -c . "$WORK/podman-layers")" = "$(diff_ids app:1)" ]

  for f in docker-archive oci-archive; do
    podman_private save --format "$f" -o "$WORK/podman-$f.tar" docker.io/library/app:1
    STORE=$WORK/from-podman-$f run simg load -i "$WORK/podman-$f.tar"
    [ "$status" -eq 0 ]
    [ "$output" = "Loaded image: docker.io/library/app:1" ]
    [ "$(STORE=$WORK/from-podman-$f diff_ids app:1)" = "$(diff_ids app:1)" ]
    STORE=$WORK/from-podman-$f simg fsck
  done
}

@test "bad archives: a clear error, exit 1, the store unchanged" {
  load_test_image keep:1
  snapshot() { (cd "$STORE" && find oci -type f | sort | xargs sha256sum); }
  before=$(snapshot)

  # Not a tar; an empty file; a tar with neither manifest.json nor index.json.
  echo "not a tar" >"$WORK/junk"
  : >"$WORK/empty"
  tar -C "$WORK" -cf "$WORK/other.tar" junk
  for f in junk empty other.tar; do
    run simg load -i "$WORK/$f"
    [ "$status" -eq 1 ]
    [[ "$output" == "skiff-image: load $WORK/$f: "* ]]
  done
  [[ "$output" == *"neither a docker-archive"* ]]

  # An oci-archive whose layer does not match its digest.
  L=$WORK/bad-digest
  make_layout "$L" bad:1 evil
  layer=$(layout_manifest "$L" bad:1 | jq -r '.layers[1].digest')
  printf 'tampered' >"$L/blobs/sha256/${layer#sha256:}"
  tar_layout "$L" "$L.tar"
  run simg load -i "$L.tar"
  [ "$status" -eq 1 ]
  [[ "$output" == *"blob $layer: content has digest sha256:"* ]]

  # The same content length but other bytes.
  L=$WORK/bad-content
  make_layout "$L" bad:1 evil2
  layer=$(layout_manifest "$L" bad:1 | jq -r '.layers[2].digest')
  f=$L/blobs/sha256/${layer#sha256:}
  size=$(stat -c %s "$f")
  head -c "$size" /dev/zero >"$f"
  tar_layout "$L" "$L.tar"
  run simg load -i "$L.tar"
  [ "$status" -eq 1 ]
  [[ "$output" == *"blob $layer: content has digest sha256:"* ]]

  # A truncated archive.
  make_archive docker-archive "$WORK/d.tar" trunc:1 trunc
  head -c 1500000 "$WORK/d.tar" >"$WORK/trunc.tar"
  run simg load -i "$WORK/trunc.tar"
  [ "$status" -eq 1 ]
  [[ "$output" == *"truncated"* || "$output" == *"premature"* || "$output" == *"Truncated"* ]]

  # A docker-archive whose config lists other diff ids than its layers.
  mkdir "$WORK/x" && tar -C "$WORK/x" -xf "$WORK/d.tar"
  cfg=$(jq -r '.[0].Config' "$WORK/x/manifest.json")
  jq -c '.rootfs.diff_ids |= reverse' "$WORK/x/$cfg" >"$WORK/x/$cfg.new" && mv "$WORK/x/$cfg.new" "$WORK/x/$cfg"
  tar -C "$WORK/x" -cf "$WORK/swapped.tar" .
  run simg load -i "$WORK/swapped.tar"
  [ "$status" -eq 1 ]
  [[ "$output" == *"has diff id sha256:"*", the config says sha256:"* ]]

  # A manifest.json that is not JSON, and one naming a file not there.
  echo '{nope' >"$WORK/x/manifest.json"
  tar -C "$WORK/x" -cf "$WORK/notjson.tar" .
  run simg load -i "$WORK/notjson.tar"
  [ "$status" -eq 1 ]
  [[ "$output" == *"manifest.json: "* ]]
  echo '[{"Config":"nothere.json","RepoTags":["a:1"],"Layers":[]}]' >"$WORK/x/manifest.json"
  tar -C "$WORK/x" -cf "$WORK/missing.tar" .
  run simg load -i "$WORK/missing.tar"
  [ "$status" -eq 1 ]
  [[ "$output" == *"\`nothere.json\` is not in the archive"* ]]

  # A member escaping the archive.
  run simg load -i "$SKIFF_SRCDIR/tests/image/nonexistent.tar"
  [ "$status" -eq 1 ]
  [[ "$output" == *"No such file or directory"* ]]

  [ "$(snapshot)" = "$before" ]
  [ -z "$(ls "$STORE/tmp")" ]
  simg fsck
}

@test "save: an unknown image, or a terminal as output, is an error and writes nothing" {
  load_test_image app:1
  run simg save -o "$WORK/out.tar" app:1 nothere:2
  [ "$status" -eq 1 ]
  [[ "$output" == *"image \`nothere:2\`: not in the store"* ]]
  [ -z "$(ls "$WORK" | grep out.tar)" ]
  run script -qec "$SKIFF_IMAGE --root $STORE save app:1" /dev/null
  [[ "$output" == *"refusing to write an archive to a terminal"* ]]
}

@test "a load killed with -9 leaves the store consistent; loading again works" {
  make_archive docker-archive "$WORK/d.tar" big:1 big
  load_test_image keep:1
  mkfifo "$WORK/fifo"
  # Feed half of the archive, then stall: the load is inside a blob.
  bg_start sh -c "exec >'$WORK/fifo'; head -c 1200000 '$WORK/d.tar'; exec sleep 60"
  "$SKIFF_IMAGE" --root "$STORE" load -i "$WORK/fifo" &
  pid=$!
  IMAGE_TEST_PIDS+=("$pid")
  for _ in $(seq 50); do
    [ -n "$(ls "$STORE/tmp")" ] && break
    sleep 0.1
  done
  [ -n "$(ls "$STORE/tmp")" ]
  kill -9 "$pid"
  wait "$pid" || true
  # The partial blob is a temp file, not a blob; the index is intact.
  simg fsck
  run simg images -q
  [ "$output" = "${IMAGE_ID:7:12}" ]
  run simg load -i "$WORK/d.tar"
  [ "$status" -eq 0 ]
  [ "$output" = "Loaded image: docker.io/library/big:1" ]
  simg fsck
  # prune drops the dead write once it is old.
  touch -d '1 hour ago' "$STORE"/tmp/*
  simg prune
  [ -z "$(ls "$STORE/tmp")" ]
}

@test "rmi: one image under two manifests (docker- and oci-archive); a manifest goes with its last name" {
  make_archive docker-archive "$WORK/d.tar" app:d same
  make_archive oci-archive "$WORK/o.tar" app:o same
  simg load -q -i "$WORK/d.tar"
  simg load -q -i "$WORK/o.tar"
  [ "$(simg images -q)" = "$(simg images -q | head -1)" ] # one image id
  [ "$(jq '.manifests | length' "$STORE/oci/index.json")" = 2 ]
  run simg rmi app:d
  [ "$status" -eq 0 ]
  [ "$output" = "Untagged: docker.io/library/app:d" ] # the image stays
  [ "$(jq '.manifests | length' "$STORE/oci/index.json")" = 1 ]
  simg inspect app:o >/dev/null
  simg fsck
  run simg rmi app:o
  [[ "$output" == *"Deleted: "* ]]
  [ "$(count_blobs)" -eq 0 ]
}

@test "load the OCI layout docker save writes since Docker 25 (name in containerd's annotation)" {
  L=$WORK/docker25
  make_layout "$L" src d25
  jq -c '.manifests[0].annotations = {"io.containerd.image.name": "docker.io/library/app:25",
                                       "org.opencontainers.image.ref.name": "25"}' \
    "$L/index.json" >"$WORK/index" && mv "$WORK/index" "$L/index.json"
  m=$(jq -r '.manifests[0].digest' "$L/index.json")
  config=$(jq -r .config.digest "$L/blobs/sha256/${m#sha256:}")
  jq -c -n --arg c "blobs/sha256/${config#sha256:}" \
    --argjson l "$(jq -c '[.layers[].digest | "blobs/sha256/" + ltrimstr("sha256:")]' "$L/blobs/sha256/${m#sha256:}")" \
    '[{"Config": $c, "RepoTags": ["app:25"], "Layers": $l}]' >"$L/manifest.json"
  tar_layout "$L" "$L.tar"
  run simg load -i "$L.tar"
  [ "$status" -eq 0 ]
  [ "$output" = "Loaded image: docker.io/library/app:25" ]
  # The manifest is kept as it was.
  [ "$(jq -r '.manifests[0].digest' "$STORE/oci/index.json")" = "$m" ]
  simg fsck
}
