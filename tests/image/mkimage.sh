#!/bin/sh
# Build a small test image from busybox-static as an OCI image layout:
#   mkimage.sh LAYOUT TAG [WORD]
# Three layers: busybox (gzip), a few files holding WORD (gzip; zstd when
# MKIMAGE_ZSTD is set), and a whiteout of one of them (uncompressed), so
# images made with different WORDs share their first and last layers.  Tars are reproducible (sorted, mtime 0).
set -eu
layout=$1 tag=$2 word=${3:-hello}
bb=${BUSYBOX:-/bin/busybox}
work=$(mktemp -d "${TMPDIR:-/tmp}/mkimage.XXXXXX")
trap 'rm -rf "$work"' EXIT

mkdir -p "$layout/blobs/sha256"
[ -e "$layout/oci-layout" ] || printf '{"imageLayoutVersion":"1.0.0"}' >"$layout/oci-layout"
[ -e "$layout/index.json" ] || printf '{"schemaVersion":2,"manifests":[]}' >"$layout/index.json"

sha() { sha256sum "$1" | cut -d' ' -f1; }
mktar() { # DIR OUT
  tar -C "$1" --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -cf "$2" .
}
# Adds FILE as a blob; prints "DIGEST SIZE".
blob() {
  d=$(sha "$1")
  cp "$1" "$layout/blobs/sha256/$d"
  echo "sha256:$d $(stat -c %s "$1")"
}

mkdir -p "$work/l1/bin" "$work/l2/etc" "$work/l2/data" "$work/l3/data"
cp "$bb" "$work/l1/bin/busybox"
for a in sh ls cat echo; do ln -s busybox "$work/l1/bin/$a"; done
echo "$word" >"$work/l2/etc/hello"
echo "a $word" >"$work/l2/data/a"
echo "b $word" >"$work/l2/data/b"
: >"$work/l3/data/.wh.a"

layers= diffs=
for i in 1 2 3; do
  mktar "$work/l$i" "$work/l$i.tar"
  diffs="$diffs${diffs:+,}\"sha256:$(sha "$work/l$i.tar")\""
  if [ $i = 3 ]; then
    f=$work/l$i.tar mt=application/vnd.oci.image.layer.v1.tar
  elif [ $i = 2 ] && [ -n "${MKIMAGE_ZSTD:-}" ]; then
    zstd -q -c "$work/l$i.tar" >"$work/l$i.tzst"
    f=$work/l$i.tzst mt=application/vnd.oci.image.layer.v1.tar+zstd
  else
    gzip -n -c "$work/l$i.tar" >"$work/l$i.tgz"
    f=$work/l$i.tgz mt=application/vnd.oci.image.layer.v1.tar+gzip
  fi
  set -- $(blob "$f")
  layers="$layers${layers:+,}{\"mediaType\":\"$mt\",\"digest\":\"$1\",\"size\":$2}"
done

cat >"$work/config.json" <<JSON
{"created":"2024-01-02T03:04:05Z","architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"],"Cmd":["/bin/sh"],"Labels":{"word":"$word"}},"rootfs":{"type":"layers","diff_ids":[$diffs]},"history":[{"created_by":"busybox"},{"created_by":"files"},{"created_by":"whiteout"}]}
JSON
set -- $(blob "$work/config.json")
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[%s]}' \
  "$1" "$2" "$layers" >"$work/manifest.json"
set -- $(blob "$work/manifest.json")
jq -c --arg d "$1" --argjson s "$2" --arg t "$tag" \
  '.manifests += [{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":$d,"size":$s,
                   "annotations":{"org.opencontainers.image.ref.name":$t}}]' \
  "$layout/index.json" >"$work/index.json"
mv "$work/index.json" "$layout/index.json"
