#!/usr/bin/env python3
"""Creates from OCI images: xc's oci template against LXC's, on the same layouts.

Two OCI image layouts are made here with umoci (Debian's package), one layer
each (gzip):

  * busybox: the busybox template's rootfs (about 2 MB);
  * debian: the test suite's debootstrapped bookworm minbase
    (/var/tmp/xc-it-debian-cache/v1/debian/bookworm/amd64/minbase, made by
    the debian template's tests; skipped when it is not there), about 150 MB
    unpacked.

For each: the first `xc-create -t oci -B overlay` (fills the layer store,
reported), then --runs creates with -B overlay from the warm store and
--runs with -B dir (the layers applied onto the container's own tree), each
timed and destroyed; the same with `lxc-create -t oci -- --url oci:DIR:TAG`
when LXC, skopeo, umoci and jq are there (lxc-oci unpacks the image with
umoci for every container: it has no store). Then the unpack throughput of
the image module against `tar -xpf` of the same layer blob, alternating,
best of --runs. Prints medians (min-max), xc/LXC, and a verdict per target:
overlay from the warm store <= 100 ms whatever the image's size, -B dir of
the Debian image <= 1 s, unpack >= 0.9x tar. Everything lives in one
temporary directory, removed at the end with every container made there
(also on Ctrl-C). Not a test: it measures.
"""

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import REPO, LoadWatch, describe_load, find_xc, remove_lxc_lock, run_timed, xc_env  # noqa: E402

DEBIAN = Path("/var/tmp/xc-it-debian-cache/v1/debian/bookworm/amd64/minbase")


run = run_timed


def make_layout(tmp, name, tree):
    lay = tmp / f"layout-{name}"
    bundle = tmp / f"bundle-{name}"
    run(["umoci", "init", "--layout", lay])
    run(["umoci", "new", "--image", f"{lay}:img"])
    run(["umoci", "unpack", "--image", f"{lay}:img", bundle])
    shutil.rmtree(bundle / "rootfs")
    run(["cp", "-a", tree, bundle / "rootfs"])
    t, _ = run(["umoci", "repack", "--image", f"{lay}:img", bundle])
    # A command, as application images have (minbase ships no init).
    run(["umoci", "config", "--image", f"{lay}:img", "--config.cmd", "/bin/sh"])
    shutil.rmtree(bundle)
    return lay, t


def layer_blob(lay):
    """The largest blob of the layout: its one layer."""
    blobs = sorted((lay / "blobs/sha256").iterdir(), key=lambda p: p.stat().st_size)
    return blobs[-1]


def med(xs):
    return f"{statistics.median(xs) * 1000:7.0f} ms ({min(xs) * 1000:.0f}-{max(xs) * 1000:.0f})"


def unpack_speed(tmp, bindir, blob, runs):
    """(xc seconds, tar seconds), best of runs, alternating, from the page cache."""
    blob.read_bytes()
    xs, ts = [], []
    for i in range(runs):
        for d in ("ux", "ut"):
            shutil.rmtree(tmp / d, ignore_errors=True)
        (tmp / "ux/rootfs").mkdir(parents=True)
        (tmp / "ut").mkdir()
        t, _ = run([os.path.join(bindir, "xc-template-local"), "--name", "u", "--path", tmp / "ux", "--rootfs",
                    tmp / "ux/rootfs", "--config", tmp / "ux/conf", "--rootfs", blob])
        xs.append(t)
        t, _ = run(["tar", "--numeric-owner", "-C", tmp / "ut", "-xpf", blob])
        ts.append(t)
        os.sync()
    for d in ("ux", "ut"):
        shutil.rmtree(tmp / d, ignore_errors=True)
    return min(xs), min(ts)


def verdict(ok, text):
    return f"  {'PASS' if ok else 'MISS'}  {text}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--xc-bin")
    ap.add_argument("--no-lxc", action="store_true")
    ap.add_argument("--no-debian", action="store_true")
    ap.add_argument("--debian-tree", type=Path, default=DEBIAN,
                    help=f"a Debian rootfs to make the big image of (default {DEBIAN}; "
                    "debootstrap --variant=minbase bookworm DIR makes one)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("oci.py: run as root (it creates containers)")
    if not shutil.which("umoci"):
        sys.exit("oci.py: needs umoci (apt-get install umoci)")
    bindir, build_tree = find_xc(args.xc_bin, "oci.py", "xc-create")
    watch = LoadWatch()
    tmp = Path(tempfile.mkdtemp(prefix="xc-bench-oci-"))
    os.chmod(tmp, 0o755)
    made = []  # (manager, base, name)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    xc = lambda tool: os.path.join(bindir, tool) if bindir else tool  # noqa: E731
    xenv = dict(os.environ)
    try:
        images = []
        bb = tmp / "busybox-tree"
        bb.mkdir()
        run([REPO / "templates/busybox", "--name", "img", "--path", tmp, "--rootfs", bb, "--config", tmp / "bb.conf"])
        images.append(("busybox", bb))
        if not args.no_debian and args.debian_tree.is_dir():
            images.append(("debian", args.debian_tree))
        elif not args.no_debian:
            print(f"debian: {args.debian_tree} is not there (the debian template's tests make it): skipped")
        layouts = {}
        for name, tree in images:
            lay, t = make_layout(tmp, name, tree)
            layouts[name] = lay
            print(f"{name}: layer blob {layer_blob(lay).stat().st_size / 1e6:.1f} MB (umoci repack {t:.1f} s)")

        xenv.update(xc_env(tmp, bindir, build_tree))
        xbase = tmp / "xc"
        xbase.mkdir()
        lxc = not args.no_lxc and all(shutil.which(p) for p in ("lxc-create", "skopeo", "jq"))
        if not args.no_lxc and not lxc:
            print("lxc: lxc-create -t oci needs lxc, skopeo, umoci and jq: LXC not measured")
        lbase = tmp / "lxc"
        lbase.mkdir()

        results = {}
        for name, lay in layouts.items():
            url = f"oci:{lay}:img"
            xcmd = lambda n, b: [xc("xc-create"), "-P", xbase, "-n", n, "-t", "oci", "-B", b,  # noqa: E731
                                 "--", "-u", url]
            t, _ = run(xcmd(f"{name}-cold", "overlay"), xenv)
            made.append(("xc", xbase, f"{name}-cold"))
            print(f"xc  {name}: first create -B overlay (fills the layer store) {t * 1000:.0f} ms")
            for backend in ("overlay", "dir"):
                xs = []
                for i in range(args.runs):
                    t, _ = run(xcmd(f"{name}-{backend}-{i}", backend), xenv)
                    xs.append(t)
                    run([xc("xc-destroy"), "-P", xbase, "-n", f"{name}-{backend}-{i}"], xenv)
                results[("xc", name, backend)] = xs
            if not lxc:
                continue
            ls = []
            for i in range(args.runs):
                t, p = run(["lxc-create", "-P", lbase, "-n", f"{name}-{i}", "-t", "oci", "--", "--url", url],
                           check=False)
                if p.returncode != 0:
                    print(f"lxc {name}: lxc-create -t oci failed: {(p.stderr or p.stdout).strip().splitlines()[-1:]}")
                    break
                made.append(("lxc", lbase, f"{name}-{i}"))
                ls.append(t)
                run(["lxc-destroy", "-P", lbase, "-n", f"{name}-{i}"], check=False)
                made.pop()
            if ls:
                results[("lxc", name)] = ls

        print(f"\ncreate from an OCI layout, median of {args.runs} (min-max):")
        for name in layouts:
            lx = results.get(("lxc", name))
            for backend in ("overlay", "dir"):
                x = results[("xc", name, backend)]
                line = f"  {name:8s} -B {backend:7s} xc  {med(x)}"
                if lx:
                    line += f"   lxc-create -t oci {med(lx)}   xc/lxc {statistics.median(x) / statistics.median(lx):.2f}"
                print(line)

        print(f"\nunpack of the layer blob, best of {args.runs}:")
        speeds = {}
        for name, lay in layouts.items():
            x, t = unpack_speed(tmp, bindir, layer_blob(lay), args.runs)
            speeds[name] = t / x
            print(f"  {name:8s} xc {x * 1000:.0f} ms, tar -xpf {t * 1000:.0f} ms, xc/tar speed {t / x:.2f}")

        print("\n" + describe_load(watch.finish()))
        print("targets:")
        biggest = list(layouts)[-1]
        ov = [statistics.median(results[("xc", n, "overlay")]) for n in layouts]
        print(verdict(max(ov) <= 0.100, f"-B overlay from the warm layer store <= 100 ms for every image "
                                        f"(max median {max(ov) * 1000:.0f} ms)"))
        if "debian" in layouts:
            d = statistics.median(results[("xc", "debian", "dir")])
            print(verdict(d <= 1.0, f"-B dir of the 150 MB Debian image <= 1 s ({d * 1000:.0f} ms)"))
        print(verdict(speeds[biggest] >= 0.9, f"unpack >= 0.9x tar -xpf ({biggest}: {speeds[biggest]:.2f}x)"))
    finally:
        for mgr, base, name in made:
            if mgr == "xc":
                subprocess.run([xc("xc-destroy"), "-P", str(base), "-n", name, "-f"], env=xenv, capture_output=True)
            else:
                subprocess.run(["lxc-destroy", "-P", str(base), "-n", name, "-f"], capture_output=True)
        remove_lxc_lock(str(tmp / "lxc"))
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
