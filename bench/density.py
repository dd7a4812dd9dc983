#!/usr/bin/env python3
"""N busybox containers at once, each with the default config (console and
4 ttys) plus a veth on a bridge of the bench's own with a static address:
all RUNNING, each answering `xc-attach -- true`, then stopped and destroyed.
With --lxc, the same steps follow with LXC's busybox containers (a veth on
the same bridge, lxc.tty.max = 5 as its template writes, privileged as LXC
makes root's containers), up to where LXC fails.

  python3 bench/density.py -n 100
  python3 bench/density.py -n 1000 --parallel 2 --out /tmp/density.json
  python3 bench/density.py -n 1000 --lxc

Reports the time to start all, the time until all answer an attach, the
host's MemAvailable and Slab delta per container, the supervisors' PSS, the
cost of a start, an attach and a freeze/unfreeze at container 1, 100, 500,
1000 (and N), and the time to stop and destroy all. It stops at the first
failure and says where and why. Its own -P base (under /var/tmp), cache and
bridge (xcdens0, 10.201.0.0/16) are removed at the end, also on ^C or
SIGTERM. Root. Not a test."""

import argparse
import concurrent.futures
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402

BRIDGE = "xcdens0"
CHECKPOINTS = (1, 100, 500, 1000)


def meminfo():
    out = {}
    with open("/proc/meminfo") as f:
        for line in f:
            k, v = line.split(":", 1)
            out[k] = int(v.split()[0])  # KiB
    return out


def pss_kib(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def address_of(i):
    return f"10.201.{(i + 2) // 256}.{(i + 2) % 256}"


class XcKind:
    label = "xc"

    def __init__(self, bindir):
        self.bindir = bindir

    def tool(self, op):
        name = "xc-" + op
        return os.path.join(self.bindir, name) if self.bindir else name

    def config(self, i):
        return (f'network = ( {{ type = "veth"; link = "{BRIDGE}"; name = "eth0"; '
                f'ipv4 = "{address_of(i)}/16"; gateway = "10.201.0.1"; }} );\n')

    def forget_base(self, base):
        pass


class LxcKind:
    label = "LXC"
    # (its container's init is a child of "[lxc monitor]", as xc's of its supervisor)

    def tool(self, op):
        return "lxc-" + op

    def config(self, i):
        return ("lxc.net.0.type = veth\n"
                f"lxc.net.0.link = {BRIDGE}\n"
                "lxc.net.0.flags = up\n"
                "lxc.net.0.name = eth0\n"
                f"lxc.net.0.ipv4.address = {address_of(i)}/16\n"
                "lxc.net.0.ipv4.gateway = 10.201.0.1\n")

    def forget_base(self, base):
        benchlib.remove_lxc_lock(base)


def bridge_up():
    subprocess.run(["ip", "link", "del", BRIDGE], capture_output=True)
    for cmd in (["ip", "link", "add", BRIDGE, "type", "bridge"],
                ["ip", "addr", "add", "10.201.0.1/16", "dev", BRIDGE],
                ["ip", "link", "set", BRIDGE, "up"]):
        subprocess.run(cmd, check=True)


def parent_of(pid):
    with open(f"/proc/{pid}/stat") as f:
        return int(f.read().rsplit(")", 1)[1].split()[1])


class Density:
    def __init__(self, a, kind, bindir, tree):
        self.a = a
        self.kind = kind
        self.tmp = tempfile.mkdtemp(prefix="xc-density-", dir="/var/tmp")
        self.base = os.path.join(self.tmp, "base")
        os.mkdir(self.base)
        self.env = benchlib.xc_env(self.tmp, bindir, tree)
        self.env["XC_LOG_DIR"] = os.path.join(self.tmp, "log")
        self.names = []      # created
        self.started = []    # started
        self.result = {"kind": kind.label, "n": a.n, "checkpoints": {}, "errors": []}

    def xc(self, op, name, *args, check=True, timeout=120):
        """One tool of this kind (xc-OP or lxc-OP) on one container, timed."""
        return benchlib.run_timed([self.kind.tool(op), "-P", self.base, "-n", name, *args],
                                  env=self.env, check=check, timeout=timeout)

    def config_for(self, i):
        path = os.path.join(self.tmp, f"c{i}.conf")
        with open(path, "w") as f:
            f.write(self.kind.config(i))
        return path

    def create_all(self):
        t0 = time.monotonic()
        for i in range(self.a.n):
            name = f"d{i}"
            self.xc("create", name, "-t", "busybox", "-f", self.config_for(i))
            self.names.append(name)
        self.result["create_all_s"] = time.monotonic() - t0

    def sample(self, k, name, start_s):
        """The costs at container k: its start, an attach, a freeze and thaw."""
        att, _ = self.xc("attach", name, "--", "true")
        fr, _ = self.xc("freeze", name)
        th, _ = self.xc("unfreeze", name)
        cp = {"start_ms": start_s * 1000, "attach_ms": att * 1000, "freeze_ms": fr * 1000, "unfreeze_ms": th * 1000}
        self.result["checkpoints"][k] = cp
        print(f"  container {k:5}: start {cp['start_ms']:7.1f} ms  attach {cp['attach_ms']:6.1f} ms  "
              f"freeze {cp['freeze_ms']:6.1f} ms  unfreeze {cp['unfreeze_ms']:6.1f} ms", flush=True)

    def start_all(self):
        m0 = meminfo()
        self.result["mem_before_kib"] = m0
        marks = set(c for c in CHECKPOINTS if c <= self.a.n) | {self.a.n}
        t0 = time.monotonic()
        if self.a.parallel > 1:
            with concurrent.futures.ThreadPoolExecutor(self.a.parallel) as pool:
                for name, (dt, _) in zip(self.names, pool.map(lambda nm: self.xc("start", nm), self.names)):
                    self.started.append(name)
        else:
            for k, name in enumerate(self.names, 1):
                dt, _ = self.xc("start", name)
                self.started.append(name)
                if k in marks:
                    self.sample(k, name, dt)
                elif k % 50 == 0:
                    print(f"  {k} running", flush=True)
        self.result["start_all_s"] = time.monotonic() - t0
        t1 = time.monotonic()
        for name in self.names:
            self.xc("attach", name, "--", "true")
        self.result["all_answer_s"] = time.monotonic() - t0
        self.result["attach_all_s"] = time.monotonic() - t1
        _, ls = benchlib.run_timed([self.kind.tool("ls"), "-P", self.base, "--running", "-1"], env=self.env)
        running = len(ls.stdout.split())
        self.result["running"] = running
        if running != self.a.n:
            raise RuntimeError(f"{self.kind.tool('ls')} --running lists {running} of {self.a.n}")
        time.sleep(1)
        m1 = meminfo()
        self.result["mem_after_kib"] = m1
        self.result["memavail_per_container_kib"] = (m0["MemAvailable"] - m1["MemAvailable"]) / self.a.n
        self.result["slab_per_container_kib"] = (m1["Slab"] - m0["Slab"]) / self.a.n
        self.supervisors()

    def supervisors(self):
        pss = []
        for name in self.names[:: max(1, self.a.n // 50)]:
            _, p = self.xc("info", name, "-p", "-H")
            pid = int(p.stdout.split()[-1])
            v = pss_kib(parent_of(pid))
            if v is not None:
                pss.append(v)
        pss.sort()
        self.result["supervisor_pss_kib"] = {"median": pss[len(pss) // 2], "min": pss[0], "max": pss[-1],
                                             "samples": len(pss)} if pss else None

    def stop_destroy_all(self):
        t0 = time.monotonic()
        for name in list(self.started):
            self.xc("stop", name, "-k")
            self.started.remove(name)
        self.result["stop_all_s"] = time.monotonic() - t0
        t0 = time.monotonic()
        for name in list(self.names):
            self.xc("destroy", name)
            self.names.remove(name)
        self.result["destroy_all_s"] = time.monotonic() - t0

    def cleanup(self):
        for name in list(self.names):
            self.xc("destroy", name, "-f", check=False)
        self.kind.forget_base(self.base)
        shutil.rmtree(self.tmp, ignore_errors=True)

    def report(self):
        r = self.result
        print(f"\n{self.kind.label}: {r.get('running', len(self.started))} of {r['n']} containers")
        for key, what in (("create_all_s", "create all"), ("start_all_s", "start all"),
                          ("all_answer_s", "start until all answer attach"), ("attach_all_s", "attach to each"),
                          ("stop_all_s", "stop -k all"), ("destroy_all_s", "destroy all")):
            if key in r:
                print(f"  {what:32} {r[key]:8.1f} s")
        if "memavail_per_container_kib" in r:
            print(f"  MemAvailable per container       {r['memavail_per_container_kib'] / 1024:8.2f} MiB"
                  f" (slab {r['slab_per_container_kib'] / 1024:.2f} MiB)")
        if r.get("supervisor_pss_kib"):
            s = r["supervisor_pss_kib"]
            print(f"  supervisor PSS                   {s['median']:8} KiB ({s['min']}-{s['max']}, "
                  f"{s['samples']} sampled)")
        for e in r["errors"]:
            print("  STOPPED: " + e)


def run_kind(a, kind, bindir, tree, results):
    """The whole density run for one kind; its figures go into results, also
    when it stopped or was interrupted."""
    d = Density(a, kind, bindir, tree)
    results[kind.label] = d.result
    watch = benchlib.LoadWatch()
    try:
        print(f"density: {a.n} {kind.label} containers in {d.base}, bridge {BRIDGE}", flush=True)
        d.create_all()
        d.start_all()
        d.stop_destroy_all()
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        d.result["errors"].append(f"at container {len(d.started) + 1} (created {len(d.names)}): {e}")
    except KeyboardInterrupt:
        d.result["errors"].append(f"interrupted with {len(d.started)} running")
        raise
    finally:
        d.report()
        print(benchlib.describe_load(watch.finish(), alternating=False))
        d.cleanup()


def compare(results):
    """xc/LXC for the figures both runs reached."""
    xc, lxc = results.get("xc"), results.get("LXC")
    if not xc or not lxc:
        return
    print("\nxc / LXC, same run:")
    for key, what in (("start_all_s", "start all"), ("all_answer_s", "until all answer attach"),
                      ("stop_all_s", "stop -k all"), ("destroy_all_s", "destroy all"),
                      ("memavail_per_container_kib", "MemAvailable per container")):
        if key in xc and key in lxc and lxc[key]:
            print(f"  {what:32} {xc[key] / lxc[key]:6.2f}")
    if xc.get("supervisor_pss_kib") and lxc.get("supervisor_pss_kib"):
        print(f"  {'supervisor PSS':32} {xc['supervisor_pss_kib']['median'] / lxc['supervisor_pss_kib']['median']:6.2f}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("-n", type=int, default=100, help="containers (default 100)")
    ap.add_argument("--parallel", type=int, default=1, help="starts at once (default 1: one after another)")
    ap.add_argument("--xc-bin", help="the xc tools (default: build/ of this repository)")
    ap.add_argument("--lxc", action="store_true", help="then the same with LXC (lxc-create -t busybox)")
    ap.add_argument("--out", help="also write the figures as JSON")
    a = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("density.py: run it as root")
    if a.lxc and not shutil.which("lxc-create"):
        sys.exit("density.py: --lxc needs LXC (apt-get install -y lxc)")
    bindir, tree = benchlib.find_xc(a.xc_bin, "density.py")
    kinds = [XcKind(bindir)] + ([LxcKind()] if a.lxc else [])
    # ^C and SIGTERM end the run through the same cleanup.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    results = {}
    try:
        bridge_up()
        for kind in kinds:
            run_kind(a, kind, bindir, tree, results)
    except KeyboardInterrupt:
        pass
    finally:
        subprocess.run(["ip", "link", "del", BRIDGE], capture_output=True)
        compare(results)
        if a.out:
            with open(a.out, "w") as f:
                json.dump(results, f, indent=1, default=str)
    return 1 if not results or any(r["errors"] for r in results.values()) or len(results) < len(kinds) else 0


if __name__ == "__main__":
    sys.exit(main())
