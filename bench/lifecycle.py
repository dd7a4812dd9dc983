#!/usr/bin/env python3
"""Lifecycle benchmark: what a user feels when driving xc, next to LXC.

Drives the command-line tools with subprocess and times each call with
time.perf_counter().  Prints medians with min/max over repeated runs, a
comparison table against LXC (when lxc-create is on PATH) and PASS/MISS for
the targets.  Not a test: it measures.  See bench/README.md.

Everything it creates lives in its own temporary base directories (one for
xc, one for LXC); on exit, Ctrl-C or an exception it kills and destroys every
container it made there and removes those directories and the runtime state
the tools keyed to them.  Nothing outside them is touched.
"""

import argparse
import json
import os
import platform
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
from benchlib import (REPO, LoadWatch, cgroup_dirs, describe_load, find_xc,  # noqa: E402
                      remove_cgroup_tree, remove_lxc_lock)

OUTLIER_MS = 20.0  # issue 8: no freeze sample over 20 ms
BUSY_CMD = "nohup sh -c 'while :; do :; done' >/dev/null 2>&1 &"
BUSY_CMD_FALLBACK = "sh -c 'while :; do :; done' >/dev/null 2>&1 </dev/null &"


class ToolError(Exception):
    """A tool returned non-zero where success was expected."""

    def __init__(self, cmd, rc, err):
        self.cmd, self.rc, self.err = cmd, rc, err.strip()
        super().__init__(f"{' '.join(cmd)} -> exit {rc}: {self.err}")


class Interrupted(BaseException):
    pass


def _on_signal(signum, _frame):
    raise Interrupted(f"signal {signum}")


# ---------------------------------------------------------------- helpers

def run(cmd, env=None, timeout=120, check=True):
    """Run cmd; return (seconds, CompletedProcess)."""
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, env=env, timeout=timeout, text=True)
    dt = time.perf_counter() - t0
    if check and p.returncode != 0:
        raise ToolError(cmd, p.returncode, p.stderr or p.stdout)
    return dt, p


def quiet(cmd, env=None, timeout=60):
    """Best-effort run for cleanup: never raises."""
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env, timeout=timeout, text=True)
    except (OSError, subprocess.SubprocessError):
        return None


def ms(seconds):
    return seconds * 1000.0


def summary(samples):
    if not samples:
        return None
    return {
        "n": len(samples),
        "median": statistics.median(samples),
        "mean": statistics.fmean(samples),
        "min": min(samples),
        "max": max(samples),
    }


def fnv1a64(text):
    """The key xc uses for /run/xc/<key> and its cgroup parent xc-<key[:12]>."""
    h = 0xcbf29ce484222325
    for b in text.encode():
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return "%016x" % h


def read_ppid(pid):
    with open(f"/proc/{pid}/stat") as f:
        data = f.read()
    # comm may contain spaces and parentheses: the fields after the last ')'
    return int(data[data.rindex(")") + 2:].split()[1])


def read_cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return ""


def smaps_rollup(pid):
    """(RSS, PSS, anonymous part of PSS) of pid, in KiB."""
    rss = pss = anon = None
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
            elif line.startswith("Pss_Anon:"):
                anon = int(line.split()[1])
    return rss, pss, anon


def cgroup_memory_kib(pid):
    """Memory charged to the cgroup of pid (v1 memory controller, else cgroup2)."""
    v2 = None
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            hid, ctrls, path = line.rstrip("\n").split(":", 2)
            if "memory" in ctrls.split(","):
                p = f"/sys/fs/cgroup/memory{path}/memory.usage_in_bytes"
                if os.path.exists(p):
                    with open(p) as g:
                        return int(g.read()) // 1024
            if hid == "0":
                v2 = path
    if v2 is not None:
        for root in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
            p = f"{root}{v2}/memory.current"
            if os.path.exists(p):
                with open(p) as g:
                    return int(g.read()) // 1024
    return None


def mem_available_kib():
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemAvailable:"):
                return int(line.split()[1])
    return 0


def mounts_under(path):
    path = str(path).rstrip("/") + "/"
    out = []
    try:
        with open("/proc/self/mountinfo") as f:
            for line in f:
                mp = line.split()[4].encode().decode("unicode_escape")
                if (mp + "/").startswith(path):
                    out.append(mp)
    except OSError:
        pass
    return out


def all_pids():
    for d in os.listdir("/proc"):
        if d.isdigit():
            yield int(d)


# ---------------------------------------------------------------- backends

class Backend:
    """One container manager, with its own base directory."""

    label = "?"

    def __init__(self, base, env):
        self.base = str(base)
        self.env = env
        self.made = []  # every name this run asked to create, in order

    def track(self, name):
        if name not in self.made:
            self.made.append(name)

    def untrack(self, name):
        if name in self.made:
            self.made.remove(name)

    def t(self, cmd, timeout=120):
        return run(cmd, self.env, timeout)[0]

    # Overridden:
    def cmd(self, tool, name, *args):
        raise NotImplementedError

    def create(self, name):
        self.track(name)
        return self.t(self.create_cmd(name), timeout=300)

    def start(self, name):
        # -d: return once RUNNING (the default of both managers, said explicitly)
        return self.t(self.cmd("start", name, "-d"))

    def attach(self, name, argv, check=True, timeout=60):
        return run(self.cmd("attach", name, "--", *argv), self.env, timeout, check)

    def freeze(self, name):
        return self.t(self.cmd("freeze", name))

    def unfreeze(self, name):
        return self.t(self.cmd("unfreeze", name))

    def stop(self, name, kill=False):
        return self.t(self.cmd("stop", name, *(["-k"] if kill else [])))

    def destroy(self, name):
        dt = self.t(self.cmd("destroy", name))
        self.untrack(name)
        return dt

    def state(self, name):
        _, p = run(self.cmd("info", name, "-s"), self.env, check=False)
        m = re.search(r"State:\s*(\S+)", p.stdout)
        return m.group(1) if m else f"? ({p.stderr.strip()})"

    def init_pid(self, name):
        _, p = run(self.cmd("info", name, "-p"), self.env)
        m = re.search(r"(\d+)\s*$", p.stdout.strip())
        if not m:
            raise ToolError(self.cmd("info", name, "-p"), 0, "no pid in: " + p.stdout)
        return int(m.group(1))

    def monitor_pid(self, name):
        """The supervisor: the parent of the container's init."""
        pid = read_ppid(self.init_pid(name))
        if not self.is_monitor(pid):
            raise ToolError(["monitor", name], 0,
                            f"parent {pid} of init is not the monitor: {read_cmdline(pid)!r}")
        return pid

    def running(self):
        _, p = run(self.ls_cmd("--running"), self.env)
        return [line.strip() for line in p.stdout.splitlines() if line.strip()]

    def leftover_monitors(self):
        return [pid for pid in all_pids() if self.is_monitor(pid)]

    def cleanup(self, log):
        """Kill and destroy every container this run made; never raises."""
        names = list(self.made)
        p = quiet(self.ls_cmd(), self.env)
        if p is not None and p.returncode == 0:
            for n in p.stdout.split():
                if n not in names:
                    names.append(n)
        for n in names:
            quiet(self.cmd("unfreeze", n), self.env)
            quiet(self.cmd("stop", n, "-k"), self.env)
            p = quiet(self.destroy_force_cmd(n), self.env)
            if p is None or p.returncode != 0:
                err = (p.stderr.strip() if p else "timeout")
                if os.path.exists(os.path.join(self.base, n)):
                    log(f"{self.label}: cleanup: destroy {n} failed: {err}")
            self.untrack(n)


class Xc(Backend):
    label = "xc"

    def __init__(self, base, env, bindir, conf, label="xc"):
        super().__init__(base, env)
        self.label = label
        self.bindir = bindir
        self.conf = conf

    def tool(self, t):
        return os.path.join(self.bindir, "xc-" + t) if self.bindir else "xc-" + t

    def cmd(self, tool, name, *args):
        return [self.tool(tool), "-P", self.base, "-n", name, *args]

    def create_cmd(self, name):
        return self.cmd("create", name, "-t", "busybox", "-f", self.conf)

    def destroy_force_cmd(self, name):
        return self.cmd("destroy", name, "-f")

    def ls_cmd(self, *args):
        return [self.tool("ls"), "-P", self.base, "-1", *args]

    def is_monitor(self, pid):
        cl = read_cmdline(pid)
        return "xc-supervisor" in cl and f"--path {self.base} " in cl + " "

    def runtime_leftovers(self, fix, log):
        """xc's runtime dir and cgroups keyed to our base (only ours)."""
        key = fnv1a64(self.base)
        found = []
        rd = f"/run/xc/{key}"
        if os.path.isdir(rd):
            entries = sorted(os.listdir(rd))
            found.append(f"{rd}/ ({', '.join(entries) if entries else 'empty'})")
            if fix:
                shutil.rmtree(rd, ignore_errors=True)
        cgs = cgroup_dirs("xc-" + key[:12])
        if cgs:
            found.append("cgroups " + ", ".join(cgs))
            if fix:
                for d in cgs:
                    remove_cgroup_tree(d, lambda m: log("xc: " + m))
        return found


class Lxc(Backend):
    label = "LXC"

    def __init__(self, base, env, conf):
        super().__init__(base, env)
        self.conf = conf

    def cmd(self, tool, name, *args):
        return ["lxc-" + tool, "-P", self.base, "-n", name, *args]

    def create_cmd(self, name):
        return self.cmd("create", name, "-t", "busybox", "-f", self.conf)

    def destroy_force_cmd(self, name):
        return self.cmd("destroy", name, "-f")

    def ls_cmd(self, *args):
        return ["lxc-ls", "-P", self.base, "-1", *args]

    def is_monitor(self, pid):
        return read_cmdline(pid).startswith(f"[lxc monitor] {self.base} ")

    def runtime_leftovers(self, fix, log, names=()):
        found = []
        lock = "/run/lxc/lock" + self.base
        if os.path.isdir(lock):
            # LXC keeps its lock files (one per container name) here after a
            # destroy: expected, removed without a report.
            if fix:
                remove_lxc_lock(self.base)
        cgs = [d for n in names for pfx in ("lxc.payload.", "lxc.monitor.") for d in cgroup_dirs(pfx + n)]
        if cgs:
            found.append("cgroups " + ", ".join(cgs))
        # (LXC's shared lxc.pivot cgroup is LXC's own housekeeping: left alone.)
        if fix:
            for d in cgs:
                if os.path.isdir(d):
                    remove_cgroup_tree(d)
        return found


# ---------------------------------------------------------------- the bench

# Issue 8's targets: the xc median at most this share of LXC's, same run.
RATIO_TARGETS = {"start": 0.6, "start_usable": 0.6, "stop_kill": 0.5, "freeze_idle": 0.5,
                 "freeze_busy": 0.5, "unfreeze_idle": 0.5, "unfreeze_busy": 0.5, "attach": 0.5}
PSS_TARGET = 0.4        # supervisor PSS, same number running
HOST_MEM_TARGET = 0.6   # host MemAvailable used per running container

STEPS = [
    # key, label, unit
    ("create", "create", "ms"),
    ("start_usable", "start-to-usable (start + attach true)", "ms"),
    ("start", "  of which start -d alone", "ms"),
    ("attach", "attach true", "ms"),
    ("freeze_idle", "freeze (idle)", "ms"),
    ("unfreeze_idle", "unfreeze (idle)", "ms"),
    ("freeze_busy", "freeze (busy loop inside)", "ms"),
    ("unfreeze_busy", "unfreeze (busy loop inside)", "ms"),
    ("stop_clean", "stop (clean halt)", "ms"),
    ("stop_kill", "stop -k", "ms"),
    ("destroy", "destroy", "ms"),
]


class Bench:
    def __init__(self, args):
        self.args = args
        self.notes = []      # printed at the end
        self.errors = {"xc": [], "LXC": [], "xc-ref": []}
        self.results = {}    # backend label -> step key -> [seconds]
        self.extra = {}      # backend label -> dict (memory, density)
        self.backends = []
        self.ref = None      # --xc-ref: a second build of xc, in the same run
        self.lxc_disabled_reason = None
        self.tag = f"b{os.getpid() % 100000}"
        self.busy_fallback_noted = {}
        self.baseline = []   # spawning /bin/true: the floor of every number

    def log(self, msg):
        print(msg, file=sys.stderr, flush=True)

    def note(self, msg):
        self.notes.append(msg)
        self.log("note: " + msg)

    # -- one run of the lifecycle on one backend
    def lifecycle_run(self, b, r):
        a = self.args
        res = self.results.setdefault(b.label, {k: [] for k, _, _ in STEPS})
        name = f"{self.tag}-r{r}"
        res["create"].append(b.create(name))

        # start-to-usable: start returns, then an attach must succeed.
        t0 = time.perf_counter()
        res["start"].append(b.start(name))
        tries = 0
        while True:
            tries += 1
            _, p = b.attach(name, ["true"], check=False)
            if p.returncode == 0:
                break
            if time.perf_counter() - t0 > 15:
                raise ToolError(b.cmd("attach", name, "--", "true"), p.returncode,
                                "not usable 15 s after start: " + p.stderr)
            time.sleep(0.005)
        res["start_usable"].append(time.perf_counter() - t0)
        if tries > 1:
            self.note(f"{b.label} run {r}: attach right after start failed {tries - 1}x "
                      f"before it worked ({p.stderr.strip() or 'no message'})")

        for _ in range(a.attach_samples):
            dt, _ = b.attach(name, ["true"])
            res["attach"].append(dt)

        for i in range(a.freeze_samples):
            res["freeze_idle"].append(b.freeze(name))
            if i == 0:
                st = b.state(name)
                if st != "FROZEN":
                    self.note(f"{b.label} run {r}: state after freeze is {st}, not FROZEN")
            res["unfreeze_idle"].append(b.unfreeze(name))

        # busy loop inside, then freeze/thaw it
        self.start_busy_loop(b, name, r)
        for _ in range(a.busy_samples):
            res["freeze_busy"].append(b.freeze(name))
            res["unfreeze_busy"].append(b.unfreeze(name))

        res["stop_kill"].append(b.stop(name, kill=True))

        if r < a.stop_runs:
            b.start(name)
            t0 = time.perf_counter()
            while b.attach(name, ["true"], check=False)[1].returncode != 0:
                if time.perf_counter() - t0 > 15:
                    raise ToolError(["attach", name], 1, "not usable after restart")
                time.sleep(0.005)
            res["stop_clean"].append(b.stop(name))

        res["destroy"].append(b.destroy(name))

    def busy_running(self, b, name):
        _, p = b.attach(name, ["ps"], check=False)
        return "while" in p.stdout

    def start_busy_loop(self, b, name, r):
        b.attach(name, ["sh", "-c", BUSY_CMD])
        time.sleep(0.05)
        if self.busy_running(b, name):
            return
        # busybox-static on Debian has no nohup applet, so the command above
        # fails inside (silently: its output goes to /dev/null).  A background
        # job of a non-interactive shell without a terminal needs no nohup.
        b.attach(name, ["sh", "-c", BUSY_CMD_FALLBACK])
        time.sleep(0.05)
        if not self.busy_running(b, name):
            self.note(f"{b.label} run {r}: could not start a busy loop inside")
        elif not self.busy_fallback_noted.get(b.label):
            self.busy_fallback_noted[b.label] = True
            _, p = b.attach(name, ["sh", "-c", "command -v nohup || echo none"], check=False)
            self.note(f"{b.label}: `{BUSY_CMD}` left no loop running (nohup in the container: "
                      f"{p.stdout.strip() or p.stderr.strip()}); used `{BUSY_CMD_FALLBACK}`")

    def lifecycle(self):
        a = self.args
        for r in range(a.runs):
            for _ in range(a.attach_samples):
                self.baseline.append(run(["/bin/true"])[0])
            order = self.backends if r % 2 == 0 else list(reversed(self.backends))
            for b in order:
                if b.label == "LXC" and self.lxc_disabled_reason:
                    continue
                self.log(f"[{b.label}] run {r + 1}/{a.runs}")
                try:
                    self.lifecycle_run(b, r)
                except ToolError as e:
                    self.errors[b.label].append(f"run {r}: {e}")
                    self.log(f"{b.label}: error: {e}")
                    b.cleanup(self.log)
                    if b.label == "LXC" and not any(self.results["LXC"]["start_usable"]):
                        self.lxc_disabled_reason = str(e)
                        self.note("LXC disabled for the rest of this run: " + str(e))

    # -- memory of the supervisors with N containers running at once
    def start_many(self, b, names):
        """Create all, then start all: (create time, start time, MemAvailable
        in KiB between the two, so the drop counts the running containers)."""
        t_create = t_start = 0.0
        for n in names:
            t_create += b.create(n)
        time.sleep(0.5)
        avail0 = mem_available_kib()
        for n in names:
            t_start += b.start(n)
        return t_create, t_start, avail0

    def stop_many(self, b, names):
        t_stop = t_destroy = 0.0
        for n in names:
            t_stop += b.stop(n, kill=True)
            t_destroy += b.destroy(n)
        return t_stop, t_destroy

    def monitors_memory(self, b, names):
        rows = []
        for n in names:
            init = b.init_pid(n)
            pid = b.monitor_pid(n)
            rss, pss, anon = smaps_rollup(pid)
            rows.append({"name": n, "pid": pid, "rss_kib": rss, "pss_kib": pss, "pss_anon_kib": anon,
                         "container_cgroup_kib": cgroup_memory_kib(init)})
        return rows

    def memory(self):
        """--memory-rounds rounds, the kinds alternating: a MemAvailable drop
        is one noisy sample (page cache, other work), so the host memory per
        container is the median of the rounds; PSS and RSS are the last
        round's."""
        drops = {}
        for r in range(self.args.memory_rounds):
            order = self.backends if r % 2 == 0 else list(reversed(self.backends))
            for label, drop in self.memory_round(order, r).items():
                drops.setdefault(label, []).append(drop)
        for label, values in drops.items():
            m = self.extra[label]["memory"]
            m["mem_available_rounds_kib"] = values
            m["mem_available_per_container_kib"] = statistics.median(values)

    def memory_round(self, backends, r):
        """One round; the MemAvailable drop per container of each kind that completed it."""
        n = self.args.containers
        drops = {}
        for b in backends:
            if b.label == "LXC" and self.lxc_disabled_reason:
                continue
            self.log(f"[{b.label}] memory round {r + 1}/{self.args.memory_rounds}: starting {n} containers")
            names = [f"{self.tag}-m{i}" for i in range(n)]
            try:
                t_create, t_start, avail0 = self.start_many(b, names)
                time.sleep(1.0)
                avail_drop = avail0 - mem_available_kib()
                rows = self.monitors_memory(b, names)
                rss = [x["rss_kib"] for x in rows]
                pss = [x["pss_kib"] for x in rows]
                t_stop, t_destroy = self.stop_many(b, names)
                self.extra.setdefault(b.label, {})["memory"] = {
                    "containers": n,
                    "create_all_s": t_create, "start_all_s": t_start,
                    "stop_k_all_s": t_stop, "destroy_all_s": t_destroy,
                    "rss_kib": summary(rss), "pss_kib": summary(pss),
                    "pss_anon_kib": summary([x["pss_anon_kib"] for x in rows
                                             if x["pss_anon_kib"] is not None]),
                    "container_cgroup_kib": summary([x["container_cgroup_kib"] for x in rows
                                                     if x["container_cgroup_kib"] is not None]),
                    "mem_available_per_container_kib": avail_drop / n,
                    "monitors": rows,
                }
                drops[b.label] = avail_drop / n
            except ToolError as e:
                self.errors[b.label].append(f"memory: {e}")
                self.log(f"{b.label}: error: {e}")
                b.cleanup(self.log)
        return drops

    # -- can N containers run at once?
    def density(self):
        n = self.args.density
        for b in self.backends:
            if b.label == "LXC" and (self.lxc_disabled_reason or self.args.density_no_lxc):
                continue
            self.log(f"[{b.label}] density: {n} containers")
            names = [f"{self.tag}-d{i}" for i in range(n)]
            d = {"containers": n}
            self.extra.setdefault(b.label, {})["density"] = d
            try:
                avail0 = mem_available_kib()
                t0 = time.perf_counter()
                for x in names:
                    b.create(x)
                d["create_all_s"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                failed = []
                for x in names:
                    try:
                        b.start(x)
                    except ToolError as e:
                        failed.append(f"{x}: {e.err}")
                d["start_all_s"] = time.perf_counter() - t0
                d["start_failures"] = failed
                if failed:
                    self.errors[b.label].append(
                        f"density: {len(failed)}/{n} starts failed, e.g. {failed[0]}")
                time.sleep(1.0)
                running = set(b.running())
                d["running"] = len(running & set(names))
                usable = 0
                for x in names:
                    if x in running and b.attach(x, ["true"], check=False)[1].returncode == 0:
                        usable += 1
                d["attach_ok"] = usable
                try:
                    rows = self.monitors_memory(b, [x for x in names if x in running])
                    d["monitors_rss_total_kib"] = sum(r["rss_kib"] for r in rows)
                    d["monitors_pss_total_kib"] = sum(r["pss_kib"] for r in rows)
                    d["containers_cgroup_total_kib"] = sum(r["container_cgroup_kib"] or 0
                                                           for r in rows)
                except (ToolError, OSError) as e:
                    d["monitor_error"] = str(e)
                d["mem_available_drop_kib"] = avail0 - mem_available_kib()
                t0 = time.perf_counter()
                for x in names:
                    quiet(b.cmd("stop", x, "-k"), b.env)
                d["stop_k_all_s"] = time.perf_counter() - t0
                t0 = time.perf_counter()
                for x in names:
                    b.destroy(x)
                d["destroy_all_s"] = time.perf_counter() - t0
            except ToolError as e:
                self.errors[b.label].append(f"density: {e}")
                self.log(f"{b.label}: error: {e}")
                b.cleanup(self.log)


# ---------------------------------------------------------------- output

def fmt_ms(s):
    if s is None:
        return "-"
    v = ms(s)
    return f"{v:.0f}" if v >= 100 else f"{v:.1f}"


def cell(sm, fmt=fmt_ms):
    if not sm:
        return "-"
    return f"{fmt(sm['median'])} ({fmt(sm['min'])}–{fmt(sm['max'])})"


def ratio(a, b):
    if not a or not b or not b["median"]:
        return None
    return a["median"] / b["median"]


def evaluate(bench):
    """Rows of the table and target verdicts."""
    xr = bench.results.get("xc", {})
    lr = bench.results.get("LXC", {})
    rr = bench.results.get("xc-ref", {})
    have_lxc = bool(lr) and any(lr.values())
    rows, verdicts = [], {}
    refs = {}  # row label -> (xc-ref cell, xc/xc-ref) for --xc-ref

    def verdict(key, ok, text):
        if ok is None:
            verdicts[key] = f"n/a ({text})"
        else:
            verdicts[key] = ("PASS" if ok else "MISS") + f" ({text})"
        return verdicts[key]

    if bench.baseline:
        bs = summary(bench.baseline)
        rows.append(("floor: spawn /bin/true", cell(bs), cell(bs), "", ""))
    for key, label, _unit in STEPS:
        xs, ls = summary(xr.get(key, [])), summary(lr.get(key, []))
        rt = ratio(xs, ls)
        target = ""
        goal = RATIO_TARGETS.get(key)
        if key == "create":
            target = verdict(key, xs["median"] <= 0.100 if xs else None, "≤ 100 ms")
        elif goal is not None:
            text = f"≤ {goal}× LXC"
            ok = (rt <= goal) if rt is not None else None
            if key in ("freeze_idle", "freeze_busy") and xs:
                out = sum(1 for s in xr[key] if ms(s) > OUTLIER_MS)
                text += f", {out} over {OUTLIER_MS:.0f} ms"
                ok = None if ok is None else ok and out == 0
            target = verdict(key, ok, text if have_lxc else text + "; no LXC")
        if not xs and not ls and not bench.results:
            continue  # lifecycle part not run (--density-only)
        rows.append((label, cell(xs), cell(ls), f"{rt:.2f}" if rt is not None else "-", target))
        rs = summary(rr.get(key, []))
        if rs:
            rref = ratio(xs, rs)
            refs[label] = (cell(rs), f"{rref:.2f}" if rref is not None else "-")

    # outlier rows for freeze/unfreeze
    for key in ("freeze_idle", "unfreeze_idle", "freeze_busy", "unfreeze_busy"):
        if not bench.results:
            break
        label = dict((k, l) for k, l, _ in STEPS)[key]
        xo = [s for s in xr.get(key, [])]
        lo = [s for s in lr.get(key, [])]
        ro = [s for s in rr.get(key, [])]
        row = f"  {label}: samples > {OUTLIER_MS:.0f} ms"
        rows.append((row, f"{sum(1 for s in xo if ms(s) > OUTLIER_MS)}/{len(xo)}" if xo else "-",
                     f"{sum(1 for s in lo if ms(s) > OUTLIER_MS)}/{len(lo)}" if lo else "-",
                     "", ""))
        if ro:
            refs[row] = (f"{sum(1 for s in ro if ms(s) > OUTLIER_MS)}/{len(ro)}", "")

    xm = bench.extra.get("xc", {}).get("memory")
    lm = bench.extra.get("LXC", {}).get("memory")
    rm = bench.extra.get("xc-ref", {}).get("memory")
    kib = lambda v: f"{v:.0f}"  # noqa: E731
    if rm and xm:
        for field, label in (("pss_kib", "supervisor PSS, KiB"),
                             ("pss_anon_kib", "supervisor anonymous (Pss_Anon), KiB")):
            rt = ratio(xm[field], rm[field])
            refs[f"{label} ({xm['containers']} running)"] = (
                cell(rm[field], kib), f"{rt:.2f}" if rt is not None else "-")
        xv, rv = xm["mem_available_per_container_kib"], rm["mem_available_per_container_kib"]
        refs["host MemAvailable used per running container, KiB"] = (
            kib(rv), f"{xv / rv:.2f}" if rv > 0 else "-")
    for field, label in (("pss_kib", "supervisor PSS, KiB"), ("rss_kib", "supervisor RSS, KiB"),
                         ("pss_anon_kib", "supervisor anonymous (Pss_Anon), KiB")):
        if not xm and not lm:
            break  # memory part not run (--containers 0)
        xs = xm[field] if xm else None
        ls = lm[field] if lm else None
        rt = ratio(xs, ls)
        target = ""
        if field == "pss_kib":
            target = verdict("pss", (rt <= PSS_TARGET) if rt is not None else None,
                             f"≤ {PSS_TARGET}× LXC monitor" + ("" if lm else "; no LXC"))
        n = xm["containers"] if xm else (lm["containers"] if lm else 0)
        rows.append((f"{label} ({n} running)", cell(xs, kib), cell(ls, kib),
                     f"{rt:.2f}" if rt is not None else "-", target))
        if field == "pss_anon_kib":
            continue
        rows.append((f"  {label}: mean",
                     kib(xs["mean"]) if xs else "-", kib(ls["mean"]) if ls else "-",
                     f"{xs['mean'] / ls['mean']:.2f}" if xs and ls else "-", ""))
    if xm or lm:
        xs = xm.get("container_cgroup_kib") if xm else None
        ls = lm.get("container_cgroup_kib") if lm else None
        rt = ratio(xs, ls)
        rows.append(("container's own cgroup memory, KiB", cell(xs, kib), cell(ls, kib),
                     f"{rt:.2f}" if rt is not None else "-", ""))
    if xm or lm:
        xv = xm.get("mem_available_per_container_kib") if xm else None
        lv = lm.get("mem_available_per_container_kib") if lm else None
        rt = xv / lv if xv is not None and lv and lv > 0 else None
        rounds = lambda m, v: (f"{v:.0f} ({min(m['mem_available_rounds_kib']):.0f}–"  # noqa: E731
                               f"{max(m['mem_available_rounds_kib']):.0f})"
                               if len(m.get("mem_available_rounds_kib", [])) > 1 else f"{v:.0f}")
        rows.append((f"host MemAvailable used per running container, KiB (median of {bench.args.memory_rounds})",
                     rounds(xm, xv) if xv is not None else "-", rounds(lm, lv) if lv is not None else "-",
                     f"{rt:.2f}" if rt is not None else "-",
                     verdict("host_mem", (rt <= HOST_MEM_TARGET) if rt is not None else None,
                             f"≤ {HOST_MEM_TARGET}× LXC" + ("" if lm else "; no LXC"))))
    if xm or lm:
        rows.append((f"start {xm['containers'] if xm else lm['containers']} one after another, s",
                     f"{xm['start_all_s']:.2f}" if xm else "-",
                     f"{lm['start_all_s']:.2f}" if lm else "-",
                     f"{xm['start_all_s'] / lm['start_all_s']:.2f}" if xm and lm else "-", ""))

    xd = bench.extra.get("xc", {}).get("density")
    ld = bench.extra.get("LXC", {}).get("density")
    if xd or ld:
        n = (xd or ld)["containers"]

        def dcell(d):
            if not d:
                return "-"
            if "running" not in d:
                return "error"
            return f"{d['running']}/{n} RUNNING, {d.get('attach_ok', 0)} attach ok"

        ok = None
        if xd and "running" in xd:
            ok = xd["running"] == n and xd.get("attach_ok") == n
        rows.append((f"{n} busybox containers at once", dcell(xd), dcell(ld), "",
                     verdict("density", ok, f"{n} RUNNING")))
        for k, label in (("create_all_s", "create all, s"), ("start_all_s", "start all, s"),
                         ("stop_k_all_s", "stop -k all, s"), ("destroy_all_s", "destroy all, s")):
            xv = xd.get(k) if xd else None
            lv = ld.get(k) if ld else None
            rows.append((f"  {n}: {label}", f"{xv:.2f}" if xv is not None else "-",
                         f"{lv:.2f}" if lv is not None else "-",
                         f"{xv / lv:.2f}" if xv is not None and lv else "-", ""))
        for k, label in (("monitors_pss_total_kib", "supervisors' PSS total, MiB"),
                         ("monitors_rss_total_kib", "supervisors' RSS total, MiB"),
                         ("containers_cgroup_total_kib", "containers' cgroup memory total, MiB"),
                         ("mem_available_drop_kib", "host MemAvailable drop (noisy), MiB")):
            xv = xd.get(k) if xd else None
            lv = ld.get(k) if ld else None
            rows.append((f"  {n}: {label}", f"{xv / 1024:.1f}" if xv is not None else "-",
                         f"{lv / 1024:.1f}" if lv is not None else "-",
                         f"{xv / lv:.2f}" if xv is not None and xv > 0 and lv and lv > 0 else "-",
                         ""))
    if rr:
        rows = [r + refs.get(r[0], ("", "")) for r in rows]
    return rows, verdicts


def print_table(rows):
    head = ("step", "xc median (min–max)", "LXC median (min–max)", "xc/LXC", "target",
            "xc-ref median (min–max)", "xc/xc-ref")
    n = max(len(r) for r in rows)
    head = head[:n]
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(n)]
    line = " | ".join(h.ljust(w) for h, w in zip(head, widths))
    print(line)
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


# ---------------------------------------------------------------- main

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xc-bin", metavar="DIR",
                    help="directory of the xc tools (default: ./build if it has xc-start, "
                         "else the installed tools on PATH)")
    ap.add_argument("--runs", type=int, default=10, help="lifecycle runs (default 10)")
    ap.add_argument("--containers", type=int, default=20,
                    help="containers running at once for the memory part (default 20; 0 skips)")
    ap.add_argument("--density", type=int, default=0, metavar="N",
                    help="also start N containers at once and check they all run (e.g. 100)")
    ap.add_argument("--density-only", action="store_true",
                    help="with --density: skip the lifecycle and memory parts")
    ap.add_argument("--density-no-lxc", action="store_true",
                    help="with --density: run the density part for xc only")
    ap.add_argument("--no-lxc", action="store_true", help="do not run LXC even if installed")
    ap.add_argument("--memory-rounds", type=int, default=3,
                    help="rounds of the memory part, the kinds alternating; host memory is their median (3)")
    ap.add_argument("--attach-samples", type=int, default=20, help="attach samples per run (20)")
    ap.add_argument("--freeze-samples", type=int, default=20,
                    help="idle freeze/unfreeze samples per run (20)")
    ap.add_argument("--busy-samples", type=int, default=10,
                    help="busy freeze/unfreeze samples per run (10)")
    ap.add_argument("--stop-runs", type=int, default=3,
                    help="runs that also time a clean stop (~2 s each; default 3)")
    ap.add_argument("--xc-ref", metavar="DIR",
                    help="also run the xc tools in DIR (e.g. a copy of an earlier build), "
                         "in the same runs: before/after figures of a change")
    ap.add_argument("--out", metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args()

    if os.geteuid() != 0:
        sys.exit("lifecycle.py: must run as root (privileged containers)")

    bindir, build_tree = find_xc(args.xc_bin, "lifecycle.py", "xc-start")
    env = dict(os.environ)
    tmp_root = tempfile.mkdtemp(prefix="xc-bench.")
    xc_base = os.path.join(tmp_root, "xc")
    lxc_base = os.path.join(tmp_root, "lxc")
    os.makedirs(xc_base)
    os.makedirs(lxc_base)
    xenv = dict(env)
    xenv["XC_LOG_DIR"] = os.path.join(tmp_root, "log")  # keep logs inside our tree
    if build_tree:
        defaults = {"XC_TEMPLATE_DIR": REPO / "templates", "XC_SYSCONF_DIR": REPO / "tests/integration/data",  # no network, as the LXC side
                    "XC_LIBEXEC_DIR": bindir, "XC_DATA_DIR": REPO / "share"}
        for k, v in defaults.items():
            xenv.setdefault(k, str(v))

    bench = Bench(args)
    xconf = os.path.join(tmp_root, "xc-net-empty.conf")
    with open(xconf, "w") as f:
        f.write("# loopback only, as the LXC containers: no host bridge needed\n"
                "network = ( { type = \"empty\"; } );\n"
                "# privileged, as the LXC containers (userns.py compares the kinds)\n"
                "security = { privileged = true; };\n")
    xc = Xc(xc_base, xenv, bindir, xconf)
    bench.backends.append(xc)
    if args.xc_ref:
        refdir, ref_tree = find_xc(args.xc_ref, "lifecycle.py", "xc-start")
        renv = dict(xenv)
        if ref_tree:
            renv["XC_LIBEXEC_DIR"] = refdir
        os.makedirs(os.path.join(tmp_root, "xc-ref"))
        bench.ref = Xc(os.path.join(tmp_root, "xc-ref"), renv, refdir, xconf, label="xc-ref")
        bench.backends.append(bench.ref)
    lxc = None
    lxc_version = None
    if not args.no_lxc:
        if shutil.which("lxc-create"):
            conf = os.path.join(tmp_root, "lxc-net-empty.conf")
            with open(conf, "w") as f:
                f.write("# no network: the host has no lxcbr0 for these containers\n"
                        "lxc.net.0.type = empty\n")
            lxc = Lxc(lxc_base, dict(env), conf)
            bench.backends.append(lxc)
            p = quiet(["lxc-create", "--version"])
            lxc_version = p.stdout.strip() if p else None
        else:
            bench.note("lxc-create not on PATH: xc only (apt-get install -y lxc)")

    # Ctrl-C even when started in the background with SIGINT ignored.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    interrupted = None
    t_begin = time.perf_counter()
    print(f"xc tools: {bindir or 'PATH'}; LXC: {lxc_version or 'not used'}; base {tmp_root}",
          file=sys.stderr)
    load0 = os.getloadavg()
    watch = LoadWatch()
    try:
        if not (args.density and args.density_only):
            bench.lifecycle()
            if args.containers > 0:
                bench.memory()
        if args.density:
            bench.density()
    except (KeyboardInterrupt, Interrupted) as e:
        interrupted = str(e) or "Ctrl-C"
        print(f"\ninterrupted ({interrupted}): cleaning up", file=sys.stderr)
    finally:
        # Never stop half-way through the cleanup.
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        leftovers = cleanup(bench, xc, lxc, tmp_root)

    elapsed = time.perf_counter() - t_begin
    rows, verdicts = evaluate(bench)
    print()
    if args.density and args.density_only:
        print(f"xc lifecycle bench: density {args.density} only")
    else:
        print(f"xc lifecycle bench: {args.runs} runs, {args.attach_samples} attach / "
              f"{args.freeze_samples} idle / {args.busy_samples} busy freeze samples per run, "
              f"{args.stop_runs} clean stops; memory with {args.containers} running"
              + (f"; density {args.density}" if args.density else ""))
    print(f"host: {platform.release()}, {os.cpu_count()} CPUs, load {load0[0]:.2f} at start; "
          f"xc: {bindir or 'installed tools'}; LXC: "
          + (lxc_version if lxc and not bench.lxc_disabled_reason else
             f"not run ({bench.lxc_disabled_reason or ('--no-lxc' if args.no_lxc else 'lxc-create not on PATH')})")
          + f"; took {elapsed:.0f} s")
    load = watch.finish()
    print(describe_load(load))
    print("times in ms unless marked; median (min–max) over all samples\n")
    print_table(rows)
    print()
    for key, v in verdicts.items():
        print(f"target {key}: {v}")
    for label in ("xc", "LXC", "xc-ref"):
        for e in bench.errors[label]:
            print(f"\n{label} error: {e}")
    for n in bench.notes:
        print(f"note: {n}")
    for l in leftovers:
        print(f"leftover (removed by the bench): {l}")
    if interrupted:
        print(f"\nINTERRUPTED ({interrupted}): results are partial")

    if args.out:
        data = {
            "args": vars(args), "host": {"kernel": platform.release(), "cpus": os.cpu_count(),
                                          "loadavg_start": load0, "load": load},
            "xc_bin": bindir, "lxc_version": lxc_version,
            "lxc_disabled": bench.lxc_disabled_reason,
            "samples_s": bench.results, "baseline_true_s": bench.baseline,
            "summary_ms": {b: {k: ({kk: (ms(vv) if kk != "n" else vv) for kk, vv in summary(v).items()}
                                   if v else None) for k, v in steps.items()}
                           for b, steps in bench.results.items()},
            "extra": bench.extra, "targets": verdicts, "errors": bench.errors,
            "notes": bench.notes, "leftovers": leftovers, "interrupted": bool(interrupted),
        }
        with open(args.out, "w") as f:
            json.dump(data, f, indent=2, default=str)
    return 130 if interrupted else (1 if any(bench.errors.values()) else 0)


def cleanup(bench, xc, lxc, tmp_root):
    """Kill and destroy all we made; remove our base dirs. Returns leftovers seen."""
    leftovers = []
    log = bench.log
    for b in (xc, lxc, bench.ref):
        if b is None:
            continue
        b.cleanup(log)
        for pid in b.leftover_monitors():
            leftovers.append(f"{b.label} monitor pid {pid} still running: {read_cmdline(pid)}")
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    time.sleep(0.2)
    names = []
    if lxc is not None:
        names = [f"{bench.tag}-{k}{i}" for k in ("r", "m", "d")
                 for i in range(max(bench.args.runs, bench.args.containers, bench.args.density))]
        leftovers += [f"LXC: {x}" for x in
                      lxc.runtime_leftovers(True, log, names)]
    # xc's runtime state keyed to our base: report it (it should be gone) and remove it.
    leftovers += [f"xc: {x}" for x in xc.runtime_leftovers(True, log)]
    if bench.ref is not None:
        leftovers += [f"xc-ref: {x}" for x in bench.ref.runtime_leftovers(True, log)]
    busy = mounts_under(tmp_root)
    if busy:
        leftovers.append(f"mounts under {tmp_root} (not removed): {busy}")
    else:
        shutil.rmtree(tmp_root, ignore_errors=True)
    return leftovers


if __name__ == "__main__":
    sys.exit(main())
