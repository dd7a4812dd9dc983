#!/usr/bin/env python3
"""Creates from a warm download cache: xc's `download` template against LXC's.

One loopback image server (tests/integration/imageserver/imageserver.py:
Python's http.server over TLS with a CA made here by openssl, on 127.0.0.1)
serves two images through both index formats:

  * busybox: the busybox template's rootfs (about 1 MB of xz);
  * debian: the test suite's debootstrapped bookworm minbase
    (/var/tmp/xc-it-debian-cache/v1/debian/bookworm/amd64/minbase, made by
    the debian template's tests; skipped when it is not there), as a
    rootfs.tar.xz of about 40 MB (150 MB unpacked).

For each image: the first create (download + unpack, once, reported), then
--runs creates from the warm cache (the server still asked for its index,
as both managers do) timed and destroyed, with `-B dir`; the same with
`lxc-create -t download -- --server 127.0.0.1:PORT` when LXC is installed
(its wget trusts the test CA through a WGETRC of the bench's own; LXC 5's
lxc-download checks no signatures and has no --no-validate). LXC's cache
goes to a directory of the bench's own (LXC_CACHE_PATH). Prints medians
(min-max) and xc/LXC. Everything lives in one temporary directory, removed
at the end with every container made there. Not a test: it measures.
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import REPO, find_xc, remove_lxc_lock, run_timed, xc_env  # noqa: E402

SERVER = REPO / "tests/integration/imageserver/imageserver.py"
DEBIAN = Path("/var/tmp/xc-it-debian-cache/v1/debian/bookworm/amd64/minbase")


run = run_timed


def make_tls(d):
    curve = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    run(["openssl", "req", "-x509", *curve, "-keyout", d / "ca.key", "-out", d / "ca.pem", "-days", "1",
         "-subj", "/CN=xc bench CA"])
    run(["openssl", "req", *curve, "-keyout", d / "srv.key", "-out", d / "srv.csr", "-subj", "/CN=127.0.0.1"])
    (d / "ext").write_text("subjectAltName=IP:127.0.0.1\n")
    run(["openssl", "x509", "-req", "-in", d / "srv.csr", "-CA", d / "ca.pem", "-CAkey", d / "ca.key",
         "-CAcreateserial", "-out", d / "srv.pem", "-days", "1", "-extfile", d / "ext"])


def make_image(tmp, name, tree, made=None):
    img = tmp / ("img-" + name)
    img.mkdir()
    rootfs = img / "rootfs.tar.xz"
    if made:
        t = 0.0
        shutil.copyfile(made, rootfs)
    else:
        t, _ = run(["tar", "--numeric-owner", "--xattrs", "-C", tree, "-I", "xz -T2 -3", "-cf", rootfs, "."])
    meta = img / "meta"
    meta.mkdir()
    halt = "SIGUSR1" if name == "busybox" else "SIGRTMIN+3"
    (meta / "config").write_text(f"lxc.arch = x86_64\nlxc.signal.halt = {halt}\n")
    (meta / "templates").write_text("/etc/hostname\n")
    run(["tar", "-C", meta, "-cJf", img / "meta.tar.xz", "config", "templates"])
    return rootfs, img / "meta.tar.xz", t


def med(xs):
    return f"{statistics.median(xs) * 1000:7.0f} ms ({min(xs) * 1000:.0f}-{max(xs) * 1000:.0f})"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--xc-bin")
    ap.add_argument("--no-lxc", action="store_true")
    ap.add_argument("--no-debian", action="store_true")
    ap.add_argument("--debian-tarball", help="a rootfs.tar.xz of the debian tree made before (skips the minutes "
                    "of xz compression)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("download.py: run as root (it creates containers)")
    bindir, build_tree = find_xc(args.xc_bin, "download.py", "xc-create")
    tmp = Path(tempfile.mkdtemp(prefix="xc-bench-download-"))
    os.chmod(tmp, 0o755)
    server = None
    made = []  # (manager, base, name)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    try:
        tls = tmp / "tls"
        tls.mkdir()
        make_tls(tls)
        srv = tmp / "srv"
        srv.mkdir()
        images = []
        bb = tmp / "busybox-tree"
        bb.mkdir()
        run([REPO / "templates/busybox", "--name", "img", "--path", tmp, "--rootfs", bb, "--config", tmp / "bb.conf"])
        images.append(("busybox", "1.36", bb))
        if not args.no_debian and DEBIAN.is_dir():
            images.append(("debian", "bookworm", DEBIAN))
        elif not args.no_debian:
            print(f"debian: {DEBIAN} is not there (the debian template's tests make it): skipped")
        for dist, release, tree in images:
            rootfs, meta, t = make_image(tmp, dist, tree, args.debian_tarball if dist == "debian" else None)
            print(f"{dist}: rootfs.tar.xz {rootfs.stat().st_size / 1e6:.1f} MB (made in {t:.1f} s)")
            run([sys.executable, SERVER, "publish", srv, "--dist", dist, "--release", release, "--arch", "amd64",
                 "--variant", "default", "--build", "20250101_0000", "--rootfs", rootfs, "--meta", meta])
        port_file = tmp / "port"
        server = subprocess.Popen([sys.executable, SERVER, "serve", srv, "--port-file", port_file,
                                   "--cert", tls / "srv.pem", "--key", tls / "srv.key"])
        for _ in range(100):
            if port_file.exists():
                break
            time.sleep(0.05)
        port = port_file.read_text()

        xenv = xc_env(tmp, bindir, build_tree)
        xbase = tmp / "xc"
        xbase.mkdir()
        xc = lambda tool: os.path.join(bindir, tool) if bindir else tool  # noqa: E731

        lxc = not args.no_lxc and shutil.which("lxc-create")
        lenv = dict(os.environ)
        (tmp / "wgetrc").write_text(f"ca_certificate = {tls / 'ca.pem'}\n")
        lenv["WGETRC"] = str(tmp / "wgetrc")
        lenv["LXC_CACHE_PATH"] = str(tmp / "lxc-cache")
        lbase = tmp / "lxc"
        lbase.mkdir()

        results = {}
        for dist, release, _ in images:
            sel = ["-d", dist, "-r", release, "-a", "amd64"]
            xcmd = lambda n: [xc("xc-create"), "-P", xbase, "-n", n, "-t", "download", "--", *sel,  # noqa: E731
                              "--server", f"https://127.0.0.1:{port}", "--ca-file", tls / "ca.pem"]
            t, _ = run(xcmd(f"{dist}-cold"), xenv)
            made.append(("xc", xbase, f"{dist}-cold"))
            print(f"xc  {dist}: first create (download + unpack) {t * 1000:.0f} ms")
            xs, unpack = [], []
            for i in range(args.runs):
                t, p = run(xcmd(f"{dist}-{i}"), xenv)
                xs.append(t)
                m = re.search(r"MB in ([0-9.]+) s", p.stdout)
                if m:
                    unpack.append(float(m.group(1)))
                run([xc("xc-destroy"), "-P", xbase, "-n", f"{dist}-{i}"], xenv)
            results[("xc", dist)] = xs
            if unpack:
                print(f"xc  {dist}: of which the unpack (the template's own figure): median {statistics.median(unpack) * 1000:.0f} ms")
            if not lxc:
                continue
            lcmd = lambda n: ["lxc-create", "-P", lbase, "-n", n, "-t", "download", "--", *sel,  # noqa: E731
                              "--server", f"127.0.0.1:{port}"]
            t, p = run(lcmd(f"{dist}-cold"), lenv, check=False)
            if p.returncode != 0:
                print(f"lxc {dist}: lxc-create -t download failed: {(p.stderr or p.stdout).strip().splitlines()[-1:]}")
                continue
            made.append(("lxc", lbase, f"{dist}-cold"))
            print(f"lxc {dist}: first create (download + unpack) {t * 1000:.0f} ms")
            ls = []
            for i in range(args.runs):
                t, _ = run(lcmd(f"{dist}-{i}"), lenv)
                ls.append(t)
                run(["lxc-destroy", "-P", lbase, "-n", f"{dist}-{i}"], lenv)
            results[("lxc", dist)] = ls

        print(f"\ncreate from the warm download cache, -B dir, median of {args.runs} (min-max):")
        for dist, _, _ in images:
            x = results.get(("xc", dist))
            line = f"  {dist:8s} xc  {med(x)}"
            lx = results.get(("lxc", dist))
            if lx:
                line += f"   lxc {med(lx)}   xc/lxc {statistics.median(x) / statistics.median(lx):.2f}"
            print(line)
    finally:
        for mgr, base, name in made:
            if mgr == "xc":
                subprocess.run([xc("xc-destroy"), "-P", str(base), "-n", name, "-f"], env=xenv, capture_output=True)
            else:
                subprocess.run(["lxc-destroy", "-P", str(base), "-n", name, "-f"], capture_output=True)
        if server:
            server.kill()
            server.wait()
        remove_lxc_lock(str(tmp / "lxc"))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
