# Helpers of the layer, hostile-layer and container tests (load after
# helpers): images built entry by entry, and bundles run with skiff.
#
#   make_image NAME SPEC-JSON   writes the image straight into the store's
#                               OCI layout (no load: its checks are not
#                               what these tests are about), sets $IMAGE_ID
#   run_bundle DIR              `skiff run` of an unpacked bundle

SKIFF=${SKIFF:-$SKIFF_BUILDDIR/skiff}

make_image() {
  local name=$1 spec=$2
  simg images -q >/dev/null
  printf '%s' "$spec" >"$WORK/spec.json"
  IMAGE_ID=$(python3 "$SKIFF_SRCDIR/tests/image/mklayers.py" "$STORE/oci" "docker.io/library/$name:latest" \
    "$WORK/spec.json")
}

# Containers get ids of this test file only, in a state root of this test.
run_bundle() {
  "$SKIFF" --root "$WORK/state" run -b "$1" "layers-$BATS_TEST_NUMBER"
}

teardown_bundles() {
  if [ -d "$WORK/state" ]; then
    "$SKIFF" --root "$WORK/state" delete -f "layers-$BATS_TEST_NUMBER" >/dev/null 2>&1 || true
  fi
}
