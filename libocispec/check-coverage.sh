#!/bin/sh
# make check: every key of defs/*.def is set in one of the full-coverage
# samples under tests/data/ocispec, so the round-trip tests see every field.
set -e
src="${srcdir:-$(dirname "$0")/..}"
data="$src/tests/data/ocispec"
py="${PYTHON:-python3}"
"$py" "$src/libocispec/generate.py" --check-coverage \
  "$src/libocispec/defs/runtime.def" \
  config="$data/runtime-full.json" \
  state="$data/state-full.json" \
  features="$data/features-full.json"
"$py" "$src/libocispec/generate.py" --check-coverage \
  "$src/libocispec/defs/image.def" \
  descriptor="$data/image-descriptor-full.json" \
  index="$data/image-index-full.json" \
  manifest="$data/image-manifest-full.json" \
  config="$data/image-config-full.json" \
  layout="$data/oci-layout-full.json"
