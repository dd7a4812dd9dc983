#!/usr/bin/env python3
"""Clone and snapshot figures of xc (and LXC, when lxc-copy is on PATH), in one run.

  * snapshot clone time (xc-clone -s; lxc-copy -s -B overlayfs) of a 2 MB
    busybox rootfs and of the same with 200 MiB of files added;
  * full copy throughput (xc-clone; lxc-copy) against `cp -a` of the same
    tree on the same disk;
  * xc-snapshot time of the 2 MB and the 200 MiB container;
  * start of a snapshot clone against a start of a dir container (xc-start
    returns once the container runs).

Kinds alternate in every round, so a busy machine slows them alike; the
machine's load is reported. Must run as root (privileged containers, as
LXC's). Usage: bench/clone.py [--rounds N] [--xc-bin DIR] [--no-lxc]
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

from benchlib import REPO, LoadWatch, describe_load, find_xc, remove_lxc_lock


def run(cmd, env=None, check=True):
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=600)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr.strip()}")
    return p


def timed(cmd, env=None):
    t0 = time.perf_counter()
    run(cmd, env)
    return time.perf_counter() - t0


def tree_bytes(path):
    total = 0
    for d, _dirs, files in os.walk(path):
        for f in files:
            try:
                st = os.lstat(os.path.join(d, f))
            except OSError:
                continue
            total += st.st_size
    return total


def med(xs):
    return statistics.median(xs) if xs else float("nan")


def ms(x):
    return f"{1000 * x:8.1f} ms"


def add_payload(rootfs, mib):
    d = os.path.join(rootfs, "payload")
    os.makedirs(d, exist_ok=True)
    block = os.urandom(1 << 20)
    for i in range(mib):
        with open(os.path.join(d, f"f{i:04d}"), "wb") as f:
            f.write(block[i % 251:] + block[:i % 251])


class Runner:
    def __init__(self, args):
        self.bindir, build_tree = find_xc(args.xc_bin, "clone.py", "xc-clone")
        self.tmp = tempfile.mkdtemp(prefix="xc-bench-clone.")
        self.xbase = os.path.join(self.tmp, "xc")
        self.lbase = os.path.join(self.tmp, "lxc")
        os.makedirs(self.xbase)
        os.makedirs(self.lbase)
        self.env = dict(os.environ)
        self.env["XC_LOG_DIR"] = os.path.join(self.tmp, "log")
        if build_tree:
            for k, v in {"XC_TEMPLATE_DIR": REPO / "templates", "XC_SYSCONF_DIR": REPO / "tests/integration/data",
                         "XC_LIBEXEC_DIR": self.bindir, "XC_DATA_DIR": REPO / "share"}.items():
                self.env.setdefault(k, str(v))
        self.xconf = os.path.join(self.tmp, "xc.conf")
        with open(self.xconf, "w") as f:
            f.write('network = ( { type = "empty"; } );\nsecurity = { privileged = true; };\n')
        self.lconf = os.path.join(self.tmp, "lxc.conf")
        with open(self.lconf, "w") as f:
            f.write("lxc.net.0.type = empty\n")
        self.lxc = not args.no_lxc and shutil.which("lxc-copy") is not None

    def x(self, tool, *a):
        return [os.path.join(self.bindir, "xc-" + tool) if self.bindir else "xc-" + tool, "-P", self.xbase, *a]

    def l(self, tool, *a):
        return ["lxc-" + tool, "-P", self.lbase, *a]

    def cleanup(self):
        for n in sorted(os.listdir(self.xbase)) if os.path.isdir(self.xbase) else []:
            run(self.x("stop", "-n", n, "-k"), self.env, check=False)
            run(self.x("destroy", "-n", n, "-f", "-s"), self.env, check=False)
        if self.lxc:
            for n in run(self.l("ls", "-1"), check=False).stdout.split():
                run(self.l("stop", "-n", n, "-k"), check=False)
                run(self.l("destroy", "-n", n, "-s"), check=False)
                run(self.l("destroy", "-n", n), check=False)
            remove_lxc_lock(self.lbase)
        shutil.rmtree(self.tmp, ignore_errors=True)


def measure(r, rounds, payload_mib):
    res = {}
    run(r.x("create", "-n", "o", "-t", "busybox", "-f", r.xconf), r.env)
    if r.lxc:
        run(r.l("create", "-n", "o", "-t", "busybox", "-f", r.lconf))
    for size, mib in (("2MB", 0), (f"{payload_mib}MiB", payload_mib)):
        if mib:
            add_payload(os.path.join(r.xbase, "o", "rootfs"), mib)
            if r.lxc:
                add_payload(os.path.join(r.lbase, "o", "rootfs"), mib)
            os.sync()
        xsnap, lsnap, xfull, lfull, cp, xss = [], [], [], [], [], []
        for i in range(rounds):
            xsnap.append(timed(r.x("clone", "-s", "-o", "o", "-n", f"s{i}"), r.env))
            run(r.x("destroy", "-n", f"s{i}"), r.env)
            if r.lxc:
                lsnap.append(timed(r.l("copy", "-s", "-B", "overlayfs", "-n", "o", "-N", f"s{i}")))
                run(r.l("destroy", "-n", f"s{i}"))
            xss.append(timed(r.x("snapshot", "-n", "o"), r.env))
            run(r.x("snapshot", "-n", "o", "-d", "snap0"), r.env)
            if i < max(1, rounds // 2) or not mib:
                xfull.append(timed(r.x("clone", "-o", "o", "-n", f"f{i}"), r.env))
                run(r.x("destroy", "-n", f"f{i}"), r.env)
                dst = os.path.join(r.xbase, f"cp{i}")
                cp.append(timed(["cp", "-a", os.path.join(r.xbase, "o", "rootfs"), dst]))
                shutil.rmtree(dst)
                if r.lxc:
                    lfull.append(timed(r.l("copy", "-n", "o", "-N", f"f{i}")))
                    run(r.l("destroy", "-n", f"f{i}"))
        nbytes = tree_bytes(os.path.join(r.xbase, "o", "rootfs"))
        res[size] = dict(bytes=nbytes, xsnap=med(xsnap), lsnap=med(lsnap), xfull=med(xfull), lfull=med(lfull),
                         cp=med(cp), xss=med(xss))
    # Starts: a snapshot clone against a dir container (the 2 MB origin's copy).
    run(r.x("clone", "-s", "-o", "o", "-n", "snapc"), r.env)
    run(r.x("create", "-n", "dirc", "-t", "busybox", "-f", r.xconf), r.env)
    starts = {"snapc": [], "dirc": []}
    for i in range(rounds):
        for n in (("snapc", "dirc") if i % 2 == 0 else ("dirc", "snapc")):
            starts[n].append(timed(r.x("start", "-n", n), r.env))
            run(r.x("stop", "-n", n, "-k"), r.env)
    res["start"] = {k: med(v) for k, v in starts.items()}
    return res


def report(res, lxc):
    print("\nsnapshot clone (median):")
    for size in [k for k in res if k != "start"]:
        v = res[size]
        line = f"  {size:>7} rootfs ({v['bytes'] / 1e6:7.1f} MB): xc-clone -s {ms(v['xsnap'])}"
        if lxc:
            line += f"   lxc-copy -s -B overlayfs {ms(v['lsnap'])}   xc/LXC {v['xsnap'] / v['lsnap']:.2f}"
        print(line)
    print("full copy (median):")
    for size in [k for k in res if k != "start"]:
        v = res[size]
        mb = v["bytes"] / 1e6
        line = (f"  {size:>7}: xc-clone {ms(v['xfull'])} ({mb / v['xfull']:7.1f} MB/s)   cp -a {ms(v['cp'])} "
                f"({mb / v['cp']:7.1f} MB/s)   xc/cp throughput {v['cp'] / v['xfull']:.2f}")
        if lxc:
            line += f"   lxc-copy {ms(v['lfull'])} (xc/LXC throughput {v['lfull'] / v['xfull']:.2f})"
        print(line)
    print("xc-snapshot (median):")
    for size in [k for k in res if k != "start"]:
        print(f"  {size:>7}: {ms(res[size]['xss'])}")
    s = res["start"]
    print(f"start (median): snapshot clone {ms(s['snapc'])}   dir container {ms(s['dirc'])}   "
          f"ratio {s['snapc'] / s['dirc']:.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--payload-mib", type=int, default=200)
    ap.add_argument("--xc-bin")
    ap.add_argument("--no-lxc", action="store_true")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("clone.py: must run as root (privileged containers)")
    r = Runner(args)
    watch = LoadWatch()
    try:
        res = measure(r, args.rounds, args.payload_mib)
    finally:
        r.cleanup()
    report(res, r.lxc)
    print(describe_load(watch.finish()))


if __name__ == "__main__":
    main()
