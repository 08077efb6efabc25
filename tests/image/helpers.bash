# skiff-image tests: helpers every tests/image/*.bats file loads with
# `load helpers`.
#
#   setup()    { setup_store; }
#   teardown() { teardown_store; }
#
# After setup_store: $STORE (a fresh --root for this test, never
# /var/lib/skiff), $WORK (a scratch directory); both are removed by
# teardown_store, as is everything a test starts with bg_start.
# Environment: SKIFF_IMAGE (the binary under test), SKIFF_SRCDIR,
# SKIFF_BUILDDIR, BUSYBOX (a static busybox for test images).

SKIFF_SRCDIR=${SKIFF_SRCDIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
if [ -z "${SKIFF_BUILDDIR:-}" ]; then
  if [ -x "$PWD/skiff-image" ]; then SKIFF_BUILDDIR=$PWD; else SKIFF_BUILDDIR=$SKIFF_SRCDIR; fi
fi
SKIFF_IMAGE=${SKIFF_IMAGE:-$SKIFF_BUILDDIR/skiff-image}
BUSYBOX=${BUSYBOX:-/bin/busybox}
export BUSYBOX
IMAGE_TEST_PIDS=()

setup_store() {
  WORK=$(mktemp -d /tmp/skiff-image-test.XXXXXX)
  STORE=$WORK/store
}

teardown_store() {
  local p
  for p in "${IMAGE_TEST_PIDS[@]}"; do
    kill -9 "$p" 2>/dev/null || true
    wait "$p" 2>/dev/null || true
  done
  IMAGE_TEST_PIDS=()
  [ -n "${WORK:-}" ] && rm -rf --one-file-system "$WORK"
}

# Run skiff-image against this test's store.
simg() {
  "$SKIFF_IMAGE" --root "$STORE" "$@"
}

# Start a command in the background; teardown_store kills it (by pid).
bg_start() {
  "$@" </dev/null >/dev/null 2>&1 &
  IMAGE_TEST_PIDS+=("$!")
}

require_cmd() {
  local c
  for c in "$@"; do
    command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (contrib/install-deps.sh --tests)"
  done
}

# make_layout DIR TAG [WORD]: a three-layer busybox image in an OCI layout
# (see mkimage.sh); images with different WORDs share the first layer.
make_layout() {
  sh "$SKIFF_SRCDIR/tests/image/mkimage.sh" "$@"
}

# make_archive FORMAT FILE NAME [WORD]: the test image as a docker-archive
# or oci-archive named NAME, written by skopeo (not by us).
make_archive() {
  local format=$1 file=$2 name=$3 word=${4:-hello} layout
  require_cmd skopeo
  layout=$(mktemp -d "$WORK/layout.XXXXXX")
  make_layout "$layout" img "$word"
  skopeo copy -q "oci:$layout:img" "$format:$file:$name"
}

# The image id (config digest) and diff ids of a layout's image TAG.
layout_manifest() {
  local layout=$1 tag=$2 d
  d=$(jq -r --arg t "$tag" '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
    "$layout/index.json")
  cat "$layout/blobs/sha256/${d#sha256:}"
}
layout_config_digest() {
  layout_manifest "$@" | jq -r .config.digest
}

# The number of blobs in the store.
count_blobs() {
  find "$STORE/oci/blobs/sha256" -type f | wc -l
}

# An oci-archive is a tar of an OCI layout: tar it (no skopeo needed).
tar_layout() {
  tar -C "$1" -cf "$2" .
}

# load_test_image NAME [WORD]: a three-layer image loaded as NAME; sets
# $LAYOUT (its source layout) and $IMAGE_ID (its config digest).
load_test_image() {
  local name=$1 word=${2:-hello}
  LAYOUT=$(mktemp -d "$WORK/layout.XXXXXX")
  make_layout "$LAYOUT" "$name" "$word"
  tar_layout "$LAYOUT" "$LAYOUT.tar"
  simg load -q -i "$LAYOUT.tar"
  IMAGE_ID=$(layout_config_digest "$LAYOUT" "$name")
}
