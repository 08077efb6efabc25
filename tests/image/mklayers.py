#!/usr/bin/env python3
"""Build a test image, layer by layer, into an OCI image layout.

    mklayers.py LAYOUT TAG SPEC.json

SPEC is {"config": {...image config "config" member...},
         "layers": [LAYER, ...]}; a LAYER is
    {"busybox": true}                     bin/busybox and a few applets
    {"tar": "FILE"}                       a tar made elsewhere (e.g. GNU sparse)
    {"entries": [ENTRY, ...], "compression": "gzip"|"zstd"|"none",
     "format": "pax"|"gnu"}
and an ENTRY is {"name": N, "type": "file"|"dir"|"symlink"|"hardlink"|
"char"|"block"|"fifo", "data": TEXT, "src": HOST-FILE, "target": T,
"mode": M, "uid": U, "gid": G, "major": X, "minor": Y,
"xattrs": {NAME: VALUE}}.  Names are written as given, hostile ones
included: that is what the tests need.  Whiteouts are plain files named
.wh.NAME.  Prints the image's config digest.
"""
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

APPLETS = ["sh", "cat", "id", "ls", "echo", "pwd", "env", "sleep", "stat", "touch", "rm", "mkdir", "true", "readlink"]


def add(tar, e):
    kind = e.get("type", "file")
    ti = tarfile.TarInfo(e["name"])
    ti.mode = e.get("mode", 0o755 if kind == "dir" else 0o644)
    ti.uid, ti.gid = e.get("uid", 0), e.get("gid", 0)
    ti.mtime = e.get("mtime", 0)
    if e.get("xattrs"):
        ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in e["xattrs"].items()}
    data = None
    if kind == "file":
        ti.type = tarfile.REGTYPE
        if "src" in e:
            with open(e["src"], "rb") as f:
                data = f.read()
        else:
            data = e.get("data", "").encode()
        ti.size = len(data)
    elif kind == "dir":
        ti.type = tarfile.DIRTYPE
    elif kind == "symlink":
        ti.type, ti.linkname = tarfile.SYMTYPE, e["target"]
    elif kind == "hardlink":
        ti.type, ti.linkname = tarfile.LNKTYPE, e["target"]
    elif kind in ("char", "block"):
        ti.type = tarfile.CHRTYPE if kind == "char" else tarfile.BLKTYPE
        ti.devmajor, ti.devminor = e.get("major", 0), e.get("minor", 0)
    elif kind == "fifo":
        ti.type = tarfile.FIFOTYPE
    else:
        raise SystemExit("unknown entry type " + kind)
    tar.addfile(ti, io.BytesIO(data) if data is not None else None)


def layer_tar(layer):
    if "tar" in layer:
        with open(layer["tar"], "rb") as f:
            return f.read()
    entries = layer.get("entries", [])
    if layer.get("busybox"):
        bb = os.environ.get("BUSYBOX", "/bin/busybox")
        entries = [{"name": "bin", "type": "dir"},
                   {"name": "bin/busybox", "src": bb, "mode": 0o755}] + \
                  [{"name": "bin/" + a, "type": "symlink", "target": "busybox"} for a in APPLETS] + entries
    fmt = tarfile.GNU_FORMAT if layer.get("format") == "gnu" else tarfile.PAX_FORMAT
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tar:
        for e in entries:
            add(tar, e)
    return buf.getvalue()


def compress(raw, how):
    if how == "none":
        return raw, "application/vnd.oci.image.layer.v1.tar"
    if how == "zstd":
        out = subprocess.run(["zstd", "-q", "-c"], input=raw, stdout=subprocess.PIPE, check=True).stdout
        return out, "application/vnd.oci.image.layer.v1.tar+zstd"
    return gzip.compress(raw, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"


def main():
    layout, tag, spec_file = sys.argv[1:4]
    with open(spec_file) as f:
        spec = json.load(f)
    blobs = os.path.join(layout, "blobs", "sha256")
    os.makedirs(blobs, exist_ok=True)

    def blob(data):
        d = hashlib.sha256(data).hexdigest()
        with open(os.path.join(blobs, d), "wb") as f:
            f.write(data)
        return "sha256:" + d, len(data)

    layers, diff_ids = [], []
    for layer in spec["layers"]:
        raw = layer_tar(layer)
        diff_ids.append(spec.get("diff_id_override", {}).get(str(len(diff_ids)),
                                                            "sha256:" + hashlib.sha256(raw).hexdigest()))
        data, mt = compress(raw, layer.get("compression", "gzip"))
        d, n = blob(data)
        layers.append({"mediaType": mt, "digest": d, "size": n})
    config = {"created": "2024-01-02T03:04:05Z", "architecture": "amd64", "os": "linux",
              "config": spec.get("config", {}),
              "rootfs": {"type": "layers", "diff_ids": diff_ids}}
    cd, cn = blob(json.dumps(config).encode())
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
                "layers": layers}
    md, mn = blob(json.dumps(manifest).encode())
    index_path = os.path.join(layout, "index.json")
    index = {"schemaVersion": 2, "manifests": []}
    if os.path.exists(index_path):
        with open(index_path) as f:
            index = json.load(f)
    index["manifests"].append({"mediaType": manifest["mediaType"], "digest": md, "size": mn,
                               "annotations": {"org.opencontainers.image.ref.name": tag}})
    with open(index_path + ".tmp", "w") as f:
        json.dump(index, f)
    os.rename(index_path + ".tmp", index_path)
    if not os.path.exists(os.path.join(layout, "oci-layout")):
        with open(os.path.join(layout, "oci-layout"), "w") as f:
            f.write('{"imageLayoutVersion":"1.0.0"}')
    print(cd)


main()
