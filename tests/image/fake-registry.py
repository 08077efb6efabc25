#!/usr/bin/env python3
"""Test-only registry that misbehaves on purpose (tests/image/bad-registry.bats).

  fake-registry.py --port P --layout DIR --log FILE [faults]

Serves the images of an OCI layout (tags from its index.json's ref.name
annotations) through the Distribution API's read side: /v2/, manifests and
blobs.  Every request is logged to FILE as one JSON line: method, path,
whether an Authorization header came, the status answered.  Faults:

  --fail-first N --fail-status S   the first N manifest/blob requests get S
  --hang-blobs                     blob requests get no answer at all
  --corrupt-blobs                  layer blobs have one byte changed
  --truncate-blobs                 layer blobs stop halfway (full Content-Length)
  --throttle-blobs BYTES_PER_S     blobs bigger than 1 MiB are sent slowly
  --manifest-body TEXT             every manifest is TEXT (as an OCI manifest)
  --layer-media-type T             manifests name their layers' type T
  --blob-status S                  blob requests get S
  --basic USER:PASS                Basic auth required everywhere
  --redirect-blobs URL             blob GETs get a 307 to URL + the path
  --delay-blobs SECONDS            blob GETs are logged (status 0) when they
                                   arrive, then answered SECONDS later
"""
import argparse
import base64
import hashlib
import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LAYER_PREFIXES = ("application/vnd.oci.image.layer.", "application/vnd.docker.image.rootfs.")


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--bind", default="127.0.0.1")
    p.add_argument("--layout", required=True)
    p.add_argument("--log", required=True)
    p.add_argument("--fail-first", type=int, default=0)
    p.add_argument("--fail-status", type=int, default=500)
    p.add_argument("--hang-blobs", action="store_true")
    p.add_argument("--corrupt-blobs", action="store_true")
    p.add_argument("--truncate-blobs", action="store_true")
    p.add_argument("--throttle-blobs", type=int, default=0)
    p.add_argument("--manifest-body")
    p.add_argument("--layer-media-type")
    p.add_argument("--blob-status", type=int, default=0)
    p.add_argument("--basic")
    p.add_argument("--redirect-blobs")
    p.add_argument("--delay-blobs", type=float, default=0)
    a = p.parse_args()

    lock = threading.Lock()
    state = {"failed": 0}
    blobdir = os.path.join(a.layout, "blobs", "sha256")
    with open(os.path.join(a.layout, "index.json")) as f:
        index = json.load(f)
    tags = {m.get("annotations", {}).get("org.opencontainers.image.ref.name"): m for m in index["manifests"]}
    layer_digests = set()
    for m in index["manifests"]:
        with open(os.path.join(blobdir, m["digest"][7:])) as f:
            doc = json.load(f)
        subs = [doc] if "layers" in doc else []
        for d in doc.get("manifests", []):
            with open(os.path.join(blobdir, d["digest"][7:])) as f:
                subs.append(json.load(f))
        for s in subs:
            layer_digests.update(l["digest"] for l in s["layers"])

    def read_blob(digest):
        path = os.path.join(blobdir, digest[7:]) if digest.startswith("sha256:") else ""
        if not os.path.isfile(path):
            return None
        with open(path, "rb") as f:
            return f.read()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def log(self, status):
            with lock, open(a.log, "a") as f:
                f.write(json.dumps({"method": self.command, "path": self.path,
                                    "auth": self.headers.get("Authorization") is not None,
                                    "status": status}) + "\n")

        def answer(self, status, body=b"", ctype="application/json", headers=None):
            self.log(status)
            self.send_response(status)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)

        def error(self, status, code="UNKNOWN"):
            body = json.dumps({"errors": [{"code": code, "message": "fake registry: %d" % status}]}).encode()
            self.answer(status, body)

        def do_HEAD(self):
            self.do_GET()

        def do_GET(self):
            path = self.path.split("?")[0]
            if a.basic:
                want = "Basic " + base64.b64encode(a.basic.encode()).decode()
                if self.headers.get("Authorization") != want:
                    self.answer(401, b'{"errors":[{"code":"UNAUTHORIZED","message":"auth"}]}',
                                headers={"WWW-Authenticate": 'Basic realm="fake"'})
                    return
            if path == "/v2/":
                self.answer(200, b"{}")
                return
            if not path.startswith("/v2/"):
                self.error(404)
                return
            kind = "manifests" if "/manifests/" in path else "blobs" if "/blobs/" in path else None
            if kind is None:
                self.error(404)
                return
            with lock:
                fail = state["failed"] < a.fail_first
                if fail:
                    state["failed"] += 1
            if fail:
                self.error(a.fail_status)
                return
            ref = path.rsplit("/", 1)[1]
            if kind == "manifests":
                self.manifest(path, ref)
            else:
                self.blob(path, ref)

        def manifest(self, path, ref):
            name = path[len("/v2/"):path.index("/manifests/")]
            if ref.startswith("sha256:"):
                data, mt = read_blob(ref), None
                if data is None:
                    self.error(404, "MANIFEST_UNKNOWN")
                    return
                mt = json.loads(data).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
            else:
                desc = tags.get(ref) or tags.get("%s:%s" % (name, ref))
                if desc is None:
                    self.error(404, "MANIFEST_UNKNOWN")
                    return
                data, mt = read_blob(desc["digest"]), desc["mediaType"]
            if a.manifest_body is not None:
                data, mt = a.manifest_body.encode(), "application/vnd.oci.image.manifest.v1+json"
            elif a.layer_media_type and "layers" in json.loads(data):
                doc = json.loads(data)
                for l in doc["layers"]:
                    l["mediaType"] = a.layer_media_type
                data = json.dumps(doc).encode()
            self.answer(200, data, mt, {"Docker-Content-Digest": "sha256:" + hashlib.sha256(data).hexdigest()})

        def blob(self, path, digest):
            if a.blob_status:
                self.error(a.blob_status, "BLOB_UNKNOWN")
                return
            if a.redirect_blobs:
                self.log(307)
                self.send_response(307)
                self.send_header("Location", a.redirect_blobs + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            data = read_blob(digest)
            if data is None:
                self.error(404, "BLOB_UNKNOWN")
                return
            layer = digest in layer_digests
            if a.delay_blobs and self.command == "GET":
                self.log(0)
                time.sleep(a.delay_blobs)
            if a.hang_blobs:
                self.log(0)
                time.sleep(3600)
                return
            if a.corrupt_blobs and layer:
                data = data[:-1] + bytes([data[-1] ^ 1])
            if a.truncate_blobs and layer:
                self.log(200)
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data[: len(data) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            if a.throttle_blobs and len(data) > (1 << 20) and self.command == "GET":
                self.log(200)
                self.send_response(200)
                self.send_header("Content-Type", "application/octet-stream")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                step = max(a.throttle_blobs // 20, 1)
                for off in range(0, len(data), step):
                    self.wfile.write(data[off:off + step])
                    time.sleep(0.05)
                return
            self.answer(200, data, "application/octet-stream", {"Docker-Content-Digest": digest})

    ThreadingHTTPServer.daemon_threads = True
    ThreadingHTTPServer((a.bind, a.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
