"""What the xc benchmarks share: finding the tools to measure, the machine's load."""

import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def find_xc(arg, script, probe="xc-start"):
    """Where the xc tools are: (bindir, or None for $PATH; is it a build tree).

    --xc-bin DIR wins; else ./build of the repository (or of the current
    directory); else the installed tools."""
    if arg:
        d = os.path.abspath(arg)
        if not os.access(os.path.join(d, probe), os.X_OK):
            sys.exit(f"{script}: --xc-bin {arg}: no {probe} there")
        return d, os.path.exists(os.path.join(d, "xc-supervisor"))
    for d in (REPO / "build", Path.cwd() / "build"):
        if os.access(d / probe, os.X_OK):
            return str(d), True
    if shutil.which(probe):
        return None, False
    sys.exit(f"{script}: no xc tools: build them (cmake -B build && cmake --build build) "
             "or install them, or pass --xc-bin DIR")


def run_timed(cmd, env=None, check=True, timeout=900):
    """(seconds, CompletedProcess) of one command, its output captured;
    a failure raises with all it printed unless check is false."""
    t = time.monotonic()
    p = subprocess.run([str(c) for c in cmd], env=env, capture_output=True, text=True, timeout=timeout)
    dt = time.monotonic() - t
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return dt, p


def xc_env(tmp, bindir, build_tree):
    """The environment for the xc tools of a bench that works in tmp: the
    build tree's templates, config and helpers when it measures a build
    tree, a cache and subordinate ids of its own (root:100000, 65 ranges)."""
    env = dict(os.environ)
    if build_tree:
        env.update(XC_LIBEXEC_DIR=bindir, XC_TEMPLATE_DIR=str(REPO / "templates"),
                   XC_SYSCONF_DIR=str(REPO / "tests/integration/data"), XC_DATA_DIR=str(REPO / "share"))
    env["XC_CACHE"] = str(Path(tmp) / "xc-cache")
    subid = Path(tmp) / "subid"
    subid.mkdir()
    for f in ("subuid", "subgid"):
        (subid / f).write_text("root:100000:4259840\n")
    env["XC_SUBID_DIR"] = str(subid)
    return env


def remove_cgroup_tree(d, log=None):
    """rmdir a cgroup directory and its sub-groups, deepest first."""
    for sub, _dirs, _files in sorted(os.walk(d), key=lambda x: -len(x[0])):
        try:
            os.rmdir(sub)
        except OSError as e:
            if log:
                log(f"cannot remove cgroup {sub}: {e}")


def remove_lxc_lock(base):
    """LXC keeps lock files per base under /run/lxc/lock<base>, even after a
    destroy: remove them and the parent directories they leave empty."""
    lock = "/run/lxc/lock" + base
    shutil.rmtree(lock, ignore_errors=True)
    d = os.path.dirname(lock)
    while d != "/run/lxc/lock" and d.startswith("/run/lxc/lock/"):
        try:
            os.rmdir(d)
        except OSError:
            break
        d = os.path.dirname(d)


def cgroup_dirs(relpath):
    """The existing /sys/fs/cgroup/<hierarchy>/<relpath> directories."""
    root = "/sys/fs/cgroup"
    if not os.path.isdir(root):
        return []
    return [d for d in (os.path.join(root, h, relpath) for h in sorted(os.listdir(root))) if os.path.isdir(d)]


# ---------------------------------------------------------------- machine load

def cpu_jiffies():
    """(busy, total) jiffies of all CPUs, from /proc/stat."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    idle = v[3] + (v[4] if len(v) > 4 else 0)
    total = sum(v[:8])
    return total - idle, total


def own_cpu_seconds():
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class LoadWatch:
    """How busy the machine was while the bench ran, apart from the bench."""

    def __init__(self):
        self.load0 = os.getloadavg()
        self.j0 = cpu_jiffies()
        self.own0 = own_cpu_seconds()
        self.t0 = time.monotonic()

    def finish(self):
        load1 = os.getloadavg()
        j1 = cpu_jiffies()
        hz = os.sysconf("SC_CLK_TCK")
        cpus = os.cpu_count() or 1
        wall = time.monotonic() - self.t0
        busy = (j1[0] - self.j0[0]) / hz
        own = own_cpu_seconds() - self.own0
        others = max(0.0, busy - own)
        share = others / (wall * cpus) if wall > 0 else 0.0
        quiet_ = self.load0[0] <= 0.5 and share <= 0.10
        return {"load_start": self.load0[0], "load_end": load1[0], "cpus": cpus,
                "wall_s": wall, "busy_cpu_s": busy, "own_cpu_s": own,
                "others_share": share, "quiet": quiet_}


def describe_load(w, alternating=True):
    verdict = "quiet" if w["quiet"] else "NOT quiet"
    text = (f"machine {verdict}: load {w['load_start']:.2f} at start, {w['load_end']:.2f} at end "
            f"({w['cpus']} CPUs); other work used {100 * w['others_share']:.0f}% of the CPUs "
            f"while the bench ran (the bench's own tools {w['own_cpu_s']:.1f} CPU-s of "
            f"{w['busy_cpu_s']:.1f} busy CPU-s in {w['wall_s']:.0f} s)")
    if not w["quiet"]:
        text += ("; compare the kinds within this run (they alternate in every run), not with other runs"
                 if alternating else "; compare within this run, not with other runs")
    return text
