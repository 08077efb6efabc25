#!/usr/bin/env python3
"""Write an OCI image layout of test images built from busybox-static.

  make-test-image.py DIR TAG [--busybox PATH] [--compression gzip|zstd|none]
                     [--index] [--big-mib N] [--small-files N] [--from-dirs D...]

The image has several layers: busybox and its applet links; /etc files, one
of which the next layer deletes with a whiteout; a marker naming the
platform.  --index writes an image index with linux/amd64 and linux/arm64
manifests (the arm64 one differs in its marker).  --big-mib adds a layer of
random bytes (the crash test, benchmarks), --small-files a layer of many
small files, --from-dirs one layer per host directory (the benchmark).
Layers are deterministic (fixed mtimes, sorted names) except --big-mib.
"""
import argparse
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tarfile

APPLETS = ["sh", "ls", "cat", "echo", "test", "true", "false", "sleep", "id", "env", "stat", "wc"]


def sha256(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()


class Layout:
    def __init__(self, root):
        self.root = root
        os.makedirs(os.path.join(root, "blobs", "sha256"), exist_ok=True)
        with open(os.path.join(root, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)

    def put(self, data, media_type):
        d = sha256(data)
        path = os.path.join(self.root, "blobs", "sha256", d[7:])
        if not os.path.exists(path):
            with open(path, "wb") as f:
                f.write(data)
        return {"mediaType": media_type, "digest": d, "size": len(data)}


def tar_bytes(entries):
    """entries: list of (name, kind, payload, mode); kind is file/dir/symlink."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, payload, mode in sorted(entries, key=lambda e: e[0]):
            ti = tarfile.TarInfo(name)
            ti.mtime = 1700000000
            ti.mode = mode
            if kind == "dir":
                ti.type = tarfile.DIRTYPE
                t.addfile(ti)
            elif kind == "symlink":
                ti.type = tarfile.SYMTYPE
                ti.linkname = payload
                t.addfile(ti)
            else:
                ti.size = len(payload)
                t.addfile(ti, io.BytesIO(payload))
    return buf.getvalue()


def tar_of_dir(src, prefix):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        t.add(src, arcname=prefix, recursive=True, filter=lambda ti: ti if ti.isfile() or ti.isdir() or ti.issym() else None)
    return buf.getvalue()


def compress(raw, how):
    if how == "gzip":
        # mtime 0 and no file name: the same layer compresses to the same bytes.
        return gzip.compress(raw, compresslevel=6, mtime=0), "application/vnd.oci.image.layer.v1.tar+gzip"
    if how == "zstd":
        out = subprocess.run(["zstd", "-q", "-c", "-3"], input=raw, stdout=subprocess.PIPE, check=True).stdout
        return out, "application/vnd.oci.image.layer.v1.tar+zstd"
    return raw, "application/vnd.oci.image.layer.v1.tar"


def build_image(lay, args, arch):
    with open(args.busybox, "rb") as f:
        bb = f.read()
    layers_raw = [
        tar_bytes([("bin", "dir", None, 0o755), ("bin/busybox", "file", bb, 0o755)]
                  + [("bin/" + a, "symlink", "busybox", 0o777) for a in APPLETS]),
        tar_bytes([("etc", "dir", None, 0o755),
                   ("etc/hello", "file", b"hello from layer 2\n", 0o644),
                   ("etc/gone", "file", b"deleted by layer 3\n", 0o644)]),
        tar_bytes([("etc", "dir", None, 0o755),
                   ("etc/.wh.gone", "file", b"", 0o644),
                   ("etc/platform", "file", ("linux/%s\n" % arch).encode(), 0o644)]),
    ]
    if args.small_files:
        layers_raw.append(tar_bytes([("small", "dir", None, 0o755)]
                                    + [("small/f%05d" % i, "file", (b"%d\n" % i) * (1 + i % 50), 0o644)
                                       for i in range(args.small_files)]))
    for d in args.from_dirs or []:
        layers_raw.append(tar_of_dir(d, "data" + d))
    if args.big_mib:
        layers_raw.append(tar_bytes([("big", "file", os.urandom(args.big_mib << 20), 0o644)]))

    layers, diff_ids = [], []
    for raw in layers_raw:
        data, mt = compress(raw, args.compression)
        layers.append(lay.put(data, mt))
        diff_ids.append(sha256(raw))
    config = {
        "created": "2024-01-01T00:00:00Z",
        "architecture": arch,
        "os": "linux",
        "config": {"Env": ["PATH=/bin"], "Cmd": ["/bin/sh"], "WorkingDir": "/"},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
        "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "make-test-image.py layer %d" % i}
                    for i in range(len(layers))],
    }
    cfg = lay.put(json.dumps(config, sort_keys=True).encode(), "application/vnd.oci.image.config.v1+json")
    manifest = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": cfg, "layers": layers}
    desc = lay.put(json.dumps(manifest).encode(), "application/vnd.oci.image.manifest.v1+json")
    desc["platform"] = {"architecture": arch, "os": "linux"}
    return desc


def main():
    p = argparse.ArgumentParser()
    p.add_argument("dir")
    p.add_argument("tag")
    p.add_argument("--busybox", default="/bin/busybox")
    p.add_argument("--compression", default="gzip", choices=["gzip", "zstd", "none"])
    p.add_argument("--index", action="store_true")
    p.add_argument("--big-mib", type=int, default=0)
    p.add_argument("--small-files", type=int, default=0)
    p.add_argument("--from-dirs", nargs="*")
    args = p.parse_args()

    lay = Layout(args.dir)
    if args.index:
        manifests = [build_image(lay, args, "amd64"), build_image(lay, args, "arm64")]
        index = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                 "manifests": manifests}
        top = lay.put(json.dumps(index).encode(), "application/vnd.oci.image.index.v1+json")
    else:
        top = build_image(lay, args, "amd64")
        top.pop("platform")
    top["annotations"] = {"org.opencontainers.image.ref.name": args.tag}
    path = os.path.join(args.dir, "index.json")
    old = []
    if os.path.exists(path):
        with open(path) as f:
            old = [m for m in json.load(f)["manifests"]
                   if m.get("annotations", {}).get("org.opencontainers.image.ref.name") != args.tag]
    with open(path, "w") as f:
        json.dump({"schemaVersion": 2, "manifests": old + [top]}, f)
    print(top["digest"])


if __name__ == "__main__":
    sys.exit(main())
