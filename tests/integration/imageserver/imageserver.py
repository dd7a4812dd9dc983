#!/usr/bin/env python3
"""A loopback image server for the download template's tests and bench.

  imageserver.py publish ROOT --dist D --release R --arch A --variant V --build B
        --rootfs FILE [--meta FILE] [--ftypes lxc|lxd] [--gnupghome DIR]
      copies the image into ROOT/images/D/R/A/V/B/ (signing each file with
      gpg's default key of DIR when given) and rewrites both indexes from the
      tree: streams/v1/index.json + streams/v1/images.json (simplestreams,
      every item with sha256, size and ftype) and meta/1.0/index-system
      (LXC's "dist;release;arch;variant;build;path" lines).
  imageserver.py serve ROOT --port-file FILE [--cert PEM --key PEM] [--log FILE]
        [--drop SUFFIX:BYTES:COUNT] [--no-range]
      serves ROOT on 127.0.0.1 on an ephemeral port (written to FILE once
      listening), over TLS with --cert/--key, with Range requests (206). With
      --drop, the first COUNT (-1: every) GETs of a path ending in SUFFIX send
      a full Content-Length, BYTES bytes and then close the connection: a
      server that stops mid-download.
Nothing here reaches beyond 127.0.0.1.
"""
import argparse
import hashlib
import http.server
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def publish(a):
    rel = os.path.join("images", a.dist, a.release, a.arch, a.variant, a.build)
    out = os.path.join(a.root, rel)
    os.makedirs(out, exist_ok=True)
    names = [("rootfs.tar.xz", a.rootfs)] + ([("meta.tar.xz", a.meta)] if a.meta else [])
    for name, src in names:
        shutil.copyfile(src, os.path.join(out, name))
        if a.gnupghome:
            subprocess.run(["gpg", "--batch", "--yes", "--quiet", "--homedir", a.gnupghome, "--armor",
                            "--detach-sign", "-o", os.path.join(out, name + ".asc"), os.path.join(out, name)],
                           check=True)
    with open(os.path.join(out, "ftypes"), "w") as f:
        f.write(a.ftypes)
    write_indexes(a.root)


def write_indexes(root):
    products, lines = {}, []
    base = os.path.join(root, "images")
    for dirpath, dirs, files in sorted(os.walk(base)):
        dirs.sort()
        if "rootfs.tar.xz" not in files:
            continue
        parts = os.path.relpath(dirpath, base).split(os.sep)
        if len(parts) != 5:
            continue
        dist, release, arch, variant, build = parts
        rel = os.path.relpath(dirpath, root)
        lines.append(";".join([dist, release, arch, variant, build, "/" + rel + "/"]))
        ftypes = open(os.path.join(dirpath, "ftypes")).read() if "ftypes" in files else "lxc"
        root_t, meta_t = ("root.tar.xz", "lxd.tar.xz") if ftypes == "lxd" else ("rootfs.tar.xz", "meta.tar.xz")
        items = {}
        for name, ftype in (("rootfs.tar.xz", root_t), ("meta.tar.xz", meta_t)):
            p = os.path.join(dirpath, name)
            if os.path.exists(p):
                items[ftype] = {"ftype": ftype, "path": rel + "/" + name, "sha256": sha256(p),
                                "size": os.path.getsize(p)}
        key = ":".join([dist, release, arch, variant])
        prod = products.setdefault(key, {"os": dist.capitalize(), "release": release, "arch": arch,
                                         "variant": variant, "aliases": dist + "/" + release, "versions": {}})
        prod["versions"][build] = {"items": items}
    os.makedirs(os.path.join(root, "streams", "v1"), exist_ok=True)
    os.makedirs(os.path.join(root, "meta", "1.0"), exist_ok=True)
    with open(os.path.join(root, "streams", "v1", "images.json"), "w") as f:
        json.dump({"content_id": "images", "datatype": "image-downloads", "format": "products:1.0",
                   "products": products}, f, indent=1)
    with open(os.path.join(root, "streams", "v1", "index.json"), "w") as f:
        json.dump({"format": "index:1.0", "index": {"images": {
            "datatype": "image-downloads", "path": "streams/v1/images.json", "format": "products:1.0",
            "products": sorted(products)}}}, f, indent=1)
    with open(os.path.join(root, "meta", "1.0", "index-system"), "w") as f:
        f.write("".join(line + "\n" for line in lines))


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        if self.server.log:
            with self.server.lock:
                rng = self.headers.get("Range") if getattr(self, "headers", None) else None
                self.server.log.write("%s %s%s\n" % (self.command, fmt % args, " range=" + rng if rng else ""))
                self.server.log.flush()

    def do_GET(self):
        path = os.path.normpath(self.path.split("?", 1)[0]).lstrip("/")
        full = os.path.join(self.server.root, path)
        if path.startswith("..") or not os.path.isfile(full):
            self.send_error(404)
            return
        size = os.path.getsize(full)
        start = 0
        rng = self.headers.get("Range")
        if rng and self.server.ranges and rng.startswith("bytes=") and rng.endswith("-"):
            start = int(rng[6:-1])
        if start > size:
            self.send_error(416)
            return
        drop = None
        with self.server.lock:
            d = self.server.drop
            if d and path.endswith(d[0]) and d[2] != 0:
                drop = d[1]
                d[2] -= 1 if d[2] > 0 else 0
        self.send_response(206 if start else 200)
        if start:
            self.send_header("Content-Range", "bytes %d-%d/%d" % (start, size - 1, size))
        self.send_header("Content-Length", str(size - start))
        self.end_headers()
        with open(full, "rb") as f:
            f.seek(start)
            left = size - start if drop is None else min(drop, size - start)
            while left > 0:
                block = f.read(min(left, 1 << 16))
                if not block:
                    break
                self.wfile.write(block)
                left -= len(block)
        if drop is not None:
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(a):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    srv.root = a.root
    srv.lock = threading.Lock()
    srv.log = open(a.log, "a") if a.log else None
    if srv.log:
        sys.stderr = srv.log  # tracebacks of cut connections, not into a pipe nobody reads
    srv.ranges = not a.no_range
    srv.drop = None
    if a.drop:
        suffix, nbytes, count = a.drop.rsplit(":", 2)
        srv.drop = [suffix, int(nbytes), int(count)]
    if a.cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(a.cert, a.key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = a.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, a.port_file)
    srv.serve_forever()


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    pub = sub.add_parser("publish")
    pub.add_argument("root")
    for opt in ("--dist", "--release", "--arch", "--variant", "--build", "--rootfs"):
        pub.add_argument(opt, required=True)
    pub.add_argument("--meta")
    pub.add_argument("--ftypes", default="lxc", choices=["lxc", "lxd"])
    pub.add_argument("--gnupghome")
    sv = sub.add_parser("serve")
    sv.add_argument("root")
    sv.add_argument("--port-file", required=True)
    sv.add_argument("--cert")
    sv.add_argument("--key")
    sv.add_argument("--log")
    sv.add_argument("--drop")
    sv.add_argument("--no-range", action="store_true")
    a = p.parse_args()
    if a.cmd == "publish":
        publish(a)
    else:
        serve(a)


if __name__ == "__main__":
    sys.exit(main())
