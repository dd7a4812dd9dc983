#!/usr/bin/env python3
"""Unprivileged versus privileged containers: what the user namespace costs.

Measures in one run, for busybox containers with a loopback only:

  * start-to-usable (`xc-start`, then `xc-attach -- true` works) and
    `xc-attach -- true`, for an unprivileged container (the default: an
    idmap, the rootfs through an idmapped mount) and a privileged one
    (`security = { privileged = true; };`), and the same with LXC
    (`lxc.idmap` in its config against none) when LXC is installed; the
    kinds run in lockstep, so that each unprivileged sample has a privileged
    one taken next to it; also the CPU time of a start and of an attach
    (perf stat task-clock), which a loaded machine moves less than the wall
    time;
  * create and start with a rootfs of 2 MB (busybox as created) and with
    200 MiB more added after create, before the first start: in one file,
    and in 10,000 files (what a manager that shifts ownership would have to
    walk; `chown -R` of that rootfs is timed as the least such a shift costs);
  * the kernel's floor of the steps an unprivileged start adds
    (usernsfloor.py), and with --strace where an unprivileged start spends
    its extra system calls (stracephases.py).

Prints medians (min-max), the differences within the run, the targets of
issue 13 (unprivileged costs at most 3 ms more; start does not grow with the
rootfs) and whether the machine was quiet.  Not a test: it measures.  See
bench/README.md.

Everything lives in one temporary directory: a -P base per kind of
container, root's subordinate ids for xc (XC_SUBID_DIR), the logs.  On exit,
Ctrl-C, SIGTERM or an error every container made there is killed and
destroyed, and the directory and the runtime state and cgroups the tools
keyed to it are removed.  Nothing outside it is touched.
"""

import argparse
import json
import os
import platform
import shutil
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import REPO, LoadWatch, describe_load, find_xc  # noqa: E402
from lifecycle import (Interrupted, Lxc, ToolError, Xc, _on_signal, mounts_under,  # noqa: E402
                       quiet, read_cmdline, run, summary)
import usernsfloor  # noqa: E402

MAP_OUTSIDE = 100000
MAP_COUNT = 65536
NET_EMPTY_XC = 'network = ( { type = "empty"; } );\n'
PAIR_STEPS = ("create", "first_start_usable", "start", "start_usable", "attach", "cpu_start",
              "cpu_attach", "stop_kill", "destroy")
PAIRED = ("start_usable", "attach", "cpu_start", "cpu_attach")
SIZE_STEPS = ("create", "first_start_usable", "restart_usable", "create_start_usable")


# ---------------------------------------------------------------- kinds of container

class XcKind(Xc):
    """xc containers of one kind (unprivileged or privileged), in their own base."""

    def __init__(self, key, label, base, env, bindir, conf, unprivileged):
        super().__init__(base, env, bindir, conf)
        self.key, self.label, self.unprivileged = key, label, unprivileged
        self.names = set()  # every name ever made here

    def track(self, name):
        self.names.add(name)
        super().track(name)

    def rootfs(self, name):
        return os.path.join(self.base, name, "rootfs")

    def start_cmd_env(self, name):
        return self.cmd("start", name), self.env


class LxcKind(Lxc):
    """LXC containers of one kind.  An unprivileged one is started with a PATH
    that has no newuidmap: with newuidmap on PATH, LXC asks it to write the
    maps even when it runs as root, and newuidmap refuses any range that
    /etc/subuid does not give root; without it, LXC writes them itself."""

    def __init__(self, key, label, base, env, conf, unprivileged):
        super().__init__(base, env, conf)
        self.key, self.label, self.unprivileged = key, label, unprivileged
        self.names = set()
        self.lxcdir = os.path.dirname(shutil.which("lxc-start"))
        self.start_env = dict(env)
        self.path_removed = []
        if unprivileged:
            dirs = [d for d in env.get("PATH", "").split(":") if d]
            self.path_removed = [d for d in dirs if any(os.access(os.path.join(d, t), os.X_OK)
                                                        for t in ("newuidmap", "newgidmap"))]
            self.start_env["PATH"] = ":".join(d for d in dirs if d not in self.path_removed) or "/nonexistent"

    def track(self, name):
        self.names.add(name)
        super().track(name)

    def cmd(self, tool, name, *args):
        return [os.path.join(self.lxcdir, "lxc-" + tool), "-P", self.base, "-n", name, *args]

    def ls_cmd(self, *args):
        return [os.path.join(self.lxcdir, "lxc-ls"), "-P", self.base, "-1", *args]

    def start(self, name):
        return run(self.cmd("start", name), self.start_env)[0]

    def start_cmd_env(self, name):
        return self.cmd("start", name), self.start_env

    def rootfs(self, name):
        return os.path.join(self.base, name, "rootfs")


# ---------------------------------------------------------------- the bench

def rootfs_stats(path):
    """(inodes, bytes allocated) of a tree, symbolic links not followed."""
    inodes = 0
    allocated = 0
    for d, dirs, files in os.walk(path):
        for n in dirs + files:
            st = os.lstat(os.path.join(d, n))
            inodes += 1
            allocated += st.st_blocks * 512
    return inodes + 1, allocated


def add_filler(rootfs, total, files):
    """total bytes allocated (fallocate: real blocks, no data written) in
    one file /filler, or in `files` files under /filler/."""
    if files <= 1:
        fd = os.open(os.path.join(rootfs, "filler"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.posix_fallocate(fd, 0, total)
        finally:
            os.close(fd)
        return
    d = os.path.join(rootfs, "filler")
    os.mkdir(d, 0o755)
    each = max(4096, (total // files) // 4096 * 4096)
    for i in range(files):
        fd = os.open(os.path.join(d, f"f{i:05d}"), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        try:
            os.posix_fallocate(fd, 0, each)
        finally:
            os.close(fd)


class Bench:
    def __init__(self, args, kinds, tmp_root):
        self.args = args
        self.kinds = kinds            # XcKind / LxcKind, xc first
        self.tmp_root = tmp_root
        self.tag = f"u{os.getpid() % 100000}"
        self.results = {}             # kind key -> step -> [seconds]
        self.paired = {}              # step -> [unpriv - priv seconds, per run] (xc)
        self.sizes = {}               # (kind key, size key) -> step -> [seconds]
        self.size_info = {}           # size key -> {inodes, bytes}
        self.shift_ref = {}           # size key -> [seconds of chown -R]
        self.floor = None
        self.trace = None
        self.baseline = []
        self.errors = []
        self.notes = []
        self.checked = set()
        self.disabled = {}            # kind key -> reason
        self.perf = None
        perf = shutil.which("perf") if args.cpu_samples > 0 else None
        if perf:
            # perf puts the directory it was started from first on its
            # children's PATH: /usr/bin would bring newuidmap back for LXC's
            # unprivileged start.  Started through a link of our own, it puts
            # that link's directory there instead.
            os.makedirs(os.path.join(tmp_root, "bin"), exist_ok=True)
            self.perf = os.path.join(tmp_root, "bin", "perf")
            os.symlink(os.path.realpath(perf), self.perf)

    def log(self, msg):
        print(msg, file=sys.stderr, flush=True)

    def note(self, msg):
        self.notes.append(msg)
        self.log("note: " + msg)

    def usable(self, k, name, t0):
        """Attach until `true` runs; the time since t0 and the failed tries."""
        tries = 0
        while True:
            tries += 1
            _, p = k.attach(name, ["true"], check=False)
            if p.returncode == 0:
                return time.perf_counter() - t0, tries - 1, p
            if time.perf_counter() - t0 > 15:
                raise ToolError(k.cmd("attach", name, "--", "true"), p.returncode,
                                "not usable 15 s after start: " + p.stderr)
            time.sleep(0.005)

    def check_kind(self, k, name):
        """Once per kind: is it what it says (the map inside, the init's uid on
        the host, the owner of the rootfs on disk)?"""
        if k.key in self.checked:
            return
        self.checked.add(k.key)
        _, p = k.attach(name, ["cat", "/proc/self/uid_map"])
        first = " ".join(p.stdout.split()[:3])
        want = f"0 {MAP_OUTSIDE} {MAP_COUNT}" if k.unprivileged else "0 0 4294967295"
        init = k.init_pid(name)
        with open(f"/proc/{init}/status") as f:
            uid = next(line.split()[1] for line in f if line.startswith("Uid:"))
        owner = os.stat(os.path.join(k.rootfs(name), "bin")).st_uid
        k.attach(name, ["touch", "/root/xc-bench-made-inside"])
        made = os.stat(os.path.join(k.rootfs(name), "root", "xc-bench-made-inside")).st_uid
        text = (f"{k.label}: uid_map inside '{first}', init runs on the host as uid {uid}, "
                f"rootfs/bin owned by uid {owner} on disk, a file made inside by root "
                f"owned by uid {made} on disk")
        # On disk: xc's idmapped mount rewrites nothing; LXC's template
        # shifted its unprivileged rootfs to the map at create.
        on_disk = MAP_OUTSIDE if isinstance(k, LxcKind) and k.unprivileged else 0
        if first != want or uid != str(MAP_OUTSIDE if k.unprivileged else 0) or owner != on_disk \
                or made != on_disk:
            self.errors.append(text + f" (expected the map '{want}', files owned by {on_disk} on disk)")
        self.note(text)

    def task_clock(self, cmd, env):
        """CPU time of cmd and of everything it forks, while it runs (perf stat
        task-clock: counters inherited by the children, the ones still
        running included), in seconds."""
        out = os.path.join(self.tmp_root, "perf-stat.txt")
        run([self.perf, "stat", "-x,", "-o", out, "-e", "task-clock", "--", *cmd], env)
        with open(out) as f:
            for line in f:
                fields = line.split(",")
                if len(fields) > 2 and fields[2] == "task-clock":
                    return float(fields[0]) / 1000.0
        raise ToolError(["perf", "stat"], 0, "no task-clock in " + out)

    def restart(self, k, name):
        """stop -k, then start until usable: (start, start-to-usable) seconds."""
        k.stop(name, kill=True)
        t0 = time.perf_counter()
        t_start = k.start(name)
        dt, _, _ = self.usable(k, name, t0)
        return t_start, dt

    # -- unprivileged against privileged
    def lockstep(self, kinds, r, what, fn):
        """fn(k) for each kind still in this run; a kind that fails leaves it."""
        for k in list(kinds):
            try:
                fn(k)
            except ToolError as e:
                self.errors.append(f"{k.label} run {r} ({what}): {e}")
                self.log(f"{k.label}: error: {e}")
                kinds.remove(k)
                k.cleanup(self.log)
                if isinstance(k, LxcKind) and not self.results.get(k.key, {}).get("start_usable"):
                    self.disabled[k.key] = str(e)
                    self.note(f"{k.label} disabled for the rest of this run: {e}")

    def pair_run(self, r):
        """One run: every kind's container made, started, restarted and
        attached to in lockstep (A B C D, A B C D, ...; who goes first turns
        with r), so that a change in the machine's load hits all kinds alike."""
        ks = [k for k in self.kinds if k.key not in self.disabled]
        n = len(ks)
        ks = ks[r % n:] + ks[:r % n] if n else ks
        names = {k.key: f"{self.tag}-{k.key}-r{r}" for k in ks}
        res = {k.key: self.results.setdefault(k.key, {s: [] for s in PAIR_STEPS}) for k in ks}
        per_run = {k.key: {s: [] for s in PAIRED} for k in ks}

        def create(k):
            res[k.key]["create"].append(k.create(names[k.key]))

        def first(k):
            name = names[k.key]
            t0 = time.perf_counter()
            t_start = k.start(name)
            dt, failed, p = self.usable(k, name, t0)
            if failed:
                self.note(f"{k.label} run {r}: attach right after start failed {failed}x "
                          f"before it worked ({p.stderr.strip() or 'no message'})")
            res[k.key]["first_start_usable"].append(dt)
            res[k.key]["start"].append(t_start)
            res[k.key]["start_usable"].append(dt)
            per_run[k.key]["start_usable"].append(dt)
            self.check_kind(k, name)

        def again(k):
            t_start, dt = self.restart(k, names[k.key])
            res[k.key]["start"].append(t_start)
            res[k.key]["start_usable"].append(dt)
            per_run[k.key]["start_usable"].append(dt)

        def attach(k):
            dt = k.attach(names[k.key], ["true"])[0]
            res[k.key]["attach"].append(dt)
            per_run[k.key]["attach"].append(dt)

        def cpu_start(k):
            name = names[k.key]
            k.stop(name, kill=True)
            cmd, env = k.start_cmd_env(name)
            dt = self.task_clock(cmd, env)
            self.usable(k, name, time.perf_counter())
            res[k.key]["cpu_start"].append(dt)
            per_run[k.key]["cpu_start"].append(dt)

        def cpu_attach(k):
            dt = self.task_clock(k.cmd("attach", names[k.key], "--", "true"), k.env)
            res[k.key]["cpu_attach"].append(dt)
            per_run[k.key]["cpu_attach"].append(dt)

        def stop(k):
            res[k.key]["stop_kill"].append(k.stop(names[k.key], kill=True))

        def destroy(k):
            res[k.key]["destroy"].append(k.destroy(names[k.key]))

        self.log(f"run {r + 1}/{self.args.runs}: " + ", ".join(k.label for k in ks))
        self.lockstep(ks, r, "create", create)
        self.lockstep(ks, r, "start", first)
        for _ in range(self.args.restarts):
            self.lockstep(ks, r, "restart", again)
        for _ in range(self.args.attach_samples):
            self.lockstep(ks, r, "attach", attach)
        if self.perf:
            for _ in range(self.args.cpu_samples):
                self.lockstep(ks, r, "perf stat start", cpu_start)
                self.lockstep(ks, r, "perf stat attach", cpu_attach)
        self.lockstep(ks, r, "stop -k", stop)
        self.lockstep(ks, r, "destroy", destroy)
        self.pair_diffs(per_run, {k.key for k in ks})

    def pairs(self):
        for r in range(self.args.runs):
            for _ in range(self.args.attach_samples):
                self.baseline.append(run(["/bin/true"])[0])
            self.pair_run(r)

    def pair_diffs(self, per_run, done):
        """unprivileged - privileged, sample by sample in lockstep, for each manager."""
        for mgr, u, p in (("xc", "xc_u", "xc_p"), ("LXC", "lxc_u", "lxc_p")):
            if u not in done or p not in done:
                continue
            d = self.paired.setdefault(mgr, {s: [] for s in PAIRED})
            for step in PAIRED:
                d[step] += [a - b for a, b in zip(per_run[u][step], per_run[p][step])]

    # -- the size of the rootfs
    def size_cases(self):
        a = self.args
        mib = a.filler_mib
        cases = [("2mb", "busybox as created (~2 MB)", 0, 0)]
        if mib > 0:
            cases.append(("big1", f"+ {mib} MiB in 1 file", mib << 20, 1))
            if a.filler_files > 1:
                cases.append(("bigN", f"+ {mib} MiB in {a.filler_files} files", mib << 20, a.filler_files))
        return cases

    def size_run(self, r, cases, kinds):
        """One run of the size part.  Every container of the run is made and
        filled first, then the disk is synced and left to settle, then all
        are started in turn (each stopped before the next), then all are
        destroyed: no filling or removing of 10,000 files goes on in the
        background of a start, and every case sees the same machine."""
        jobs = [(case, k) for case in cases for k in kinds]
        names = {}
        for case, k in jobs:
            key, _label, total, files = case
            res = self.sizes.setdefault((k.key, key), {s: [] for s in SIZE_STEPS})
            name = f"{self.tag}-{k.key}-s{key}-{r}"
            res["create"].append(k.create(name))
            names[(k.key, key)] = name
            if total:
                add_filler(k.rootfs(name), total, files)
            if key not in self.size_info:
                inodes, allocated = rootfs_stats(k.rootfs(name))
                self.size_info[key] = {"inodes": inodes, "bytes": allocated}
        os.sync()
        time.sleep(self.args.settle)
        for i in range(1 + self.args.size_restarts):
            for case, k in jobs:
                key = case[0]
                name = names[(k.key, key)]
                res = self.sizes[(k.key, key)]
                t0 = time.perf_counter()
                k.start(name)
                dt, _, _ = self.usable(k, name, t0)
                k.stop(name, kill=True)
                if i == 0:
                    res["first_start_usable"].append(dt)
                    res["create_start_usable"].append(res["create"][-1] + dt)
                else:
                    res["restart_usable"].append(dt)
        for case, k in jobs:
            name = names[(k.key, case[0])]
            if k.unprivileged and self.args.shift_reference:
                # What a manager that shifts ownership instead would pay at
                # least once: lchown of every inode (no xattrs, ACLs or
                # file capabilities).
                t = run(["chown", "-R", "-h", f"{MAP_OUTSIDE}:{MAP_OUTSIDE}", k.rootfs(name)],
                        timeout=600)[0]
                self.shift_ref.setdefault(case[0], []).append(t)
            k.destroy(name)

    def size_part(self):
        cases = self.size_cases()
        xc_kinds = [k for k in self.kinds if isinstance(k, XcKind)]
        for r in range(self.args.size_runs):
            # Who goes first turns with r.
            order = cases[r % len(cases):] + cases[:r % len(cases)]
            kinds = xc_kinds if r % 2 == 0 else list(reversed(xc_kinds))
            self.log(f"size run {r + 1}/{self.args.size_runs}")
            try:
                self.size_run(r, order, kinds)
            except (ToolError, OSError) as e:
                self.errors.append(f"size run {r}: {e}")
                self.log(f"size: error: {e}")
                for k in xc_kinds:
                    k.cleanup(self.log)

    # -- the kernel's floor
    def floor_part(self):
        scratch = os.path.join(self.tmp_root, "floor-mnt")
        os.makedirs(scratch, exist_ok=True)
        rootfs = os.path.join(self.tmp_root, "floor-rootfs")
        os.makedirs(os.path.join(rootfs, "bin"), exist_ok=True)
        self.log(f"floor: {self.args.floor_samples} samples")
        try:
            self.floor = usernsfloor.measure(rootfs, scratch, self.args.floor_samples)
        except OSError as e:
            self.errors.append(f"floor: {e}")

    # -- where the extra time goes
    def trace_part(self):
        import stracephases
        xc_kinds = [k for k in self.kinds if isinstance(k, XcKind)]
        self.trace = {k.key: {"start": [], "attach": []} for k in xc_kinds}
        for r in range(self.args.strace_runs):
            for k in (xc_kinds if r % 2 == 0 else list(reversed(xc_kinds))):
                self.log(f"[{k.label}] strace {r + 1}/{self.args.strace_runs}")
                name = f"{self.tag}-{k.key}-trace{r}"
                try:
                    k.create(name)
                    out = os.path.join(self.tmp_root, f"strace-start-{k.key}-{r}.txt")
                    stracephases.trace_daemonizing(k.cmd("start", name), k.env, out, self.tmp_root)
                    self.usable(k, name, time.perf_counter())
                    self.trace[k.key]["start"].append(stracephases.start_phases(out))
                    out = os.path.join(self.tmp_root, f"strace-attach-{k.key}-{r}.txt")
                    run(["strace", "-f", "-ttt", "-T", "-o", out, *k.cmd("attach", name, "--", "true")], k.env)
                    self.trace[k.key]["attach"].append(stracephases.totals(out))
                    k.stop(name, kill=True)
                    k.destroy(name)
                except (ToolError, OSError, ValueError) as e:
                    self.errors.append(f"{k.label} strace: {e}")
                    k.cleanup(self.log)


# ---------------------------------------------------------------- output

def fms(s):
    if s is None:
        return "-"
    v = s * 1000.0
    return f"{v:.0f}" if abs(v) >= 100 else f"{v:.1f}"


def cell(samples, fmt=fms):
    sm = summary(samples) if samples else None
    if not sm:
        return "-"
    return f"{fmt(sm['median'])} ({fmt(sm['min'])}–{fmt(sm['max'])})"


def med(samples):
    return statistics.median(samples) if samples else None


def median_ci(samples):
    """A distribution-free 95% confidence interval of the median (order
    statistics of the sign test), or None for fewer than 6 samples."""
    n = len(samples)
    if n < 6:
        return None
    v = sorted(samples)
    k = max(0, int((n - 1.96 * n ** 0.5) / 2))
    return v[k], v[n - 1 - k]


def paired_cell(samples):
    if not samples:
        return "-"
    ci = median_ci(samples)
    text = signed(med(samples))
    if ci:
        text += f" [95% CI {signed(ci[0])}…{signed(ci[1])}]"
    return text + f" ({signed(min(samples))}–{signed(max(samples))}, n={len(samples)})"


def signed(s):
    return "-" if s is None else ("+" if s >= 0 else "") + fms(s)


def print_table(head, rows):
    widths = [max(len(str(r[i])) for r in rows + [head]) for i in range(len(head))]
    print(" | ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())


def verdict(ok, text):
    if ok is None:
        return f"n/a ({text})"
    return ("PASS" if ok else "MISS") + f" ({text})"


def pair_table(b):
    R = b.results
    have_lxc = any(k in R for k in ("lxc_u", "lxc_p"))
    targets = {}
    head = ["step", "xc unpriv", "xc priv", "xc unpriv−priv"]
    if have_lxc:
        head += ["LXC unpriv", "LXC priv", "LXC unpriv−priv", "xc/LXC unpriv"]
    head.append("target")
    blank = [""] * (4 if have_lxc else 0)
    rows = []
    if b.baseline:
        rows.append(["floor: spawn /bin/true", cell(b.baseline), "", ""] + blank + [""])
    for step, label in (("create", "create"),
                        ("start_usable", "start-to-usable (start + attach true), every start"),
                        ("first_start_usable", "  first start after create"),
                        ("start", "  of which xc-start / lxc-start alone"),
                        ("attach", "attach true"),
                        ("cpu_start", "CPU time of a start (perf stat task-clock)"),
                        ("cpu_attach", "CPU time of attach true (perf stat task-clock)"),
                        ("stop_kill", "stop -k"), ("destroy", "destroy")):
        xu, xp = R.get("xc_u", {}).get(step), R.get("xc_p", {}).get(step)
        lu, lp = R.get("lxc_u", {}).get(step), R.get("lxc_p", {}).get(step)
        dx = med(xu) - med(xp) if xu and xp else None
        row = [label, cell(xu), cell(xp), signed(dx)]
        if have_lxc:
            dl = med(lu) - med(lp) if lu and lp else None
            rt = med(xu) / med(lu) if xu and lu and med(lu) else None
            row += [cell(lu), cell(lp), signed(dl), f"{rt:.2f}" if rt is not None else "-"]
        t = ""
        if step in ("start_usable", "attach"):
            # Judged on the differences sample by sample (the kinds run in
            # lockstep), which a drifting load moves less than the medians.
            px = b.paired.get("xc", {}).get(step)
            d = med(px) if px else dx
            ci = median_ci(px) if px else None
            t = verdict(d <= 0.003 if d is not None else None,
                        f"unpriv ≤ priv + 3 ms: {signed(d)} ms" + (", paired" if px else "")
                        + (f", 95% CI {signed(ci[0])}…{signed(ci[1])}" if ci else ""))
            targets[step] = t
        row.append(t)
        rows.append(row)
    for step, label in (("start_usable", "start-to-usable"), ("attach", "attach true"),
                        ("cpu_start", "CPU time of a start"), ("cpu_attach", "CPU time of attach")):
        px = b.paired.get("xc", {}).get(step)
        pl = b.paired.get("LXC", {}).get(step)
        if not px and not pl:
            continue
        row = [f"  unpriv−priv, sample by sample: {label}", "", "", paired_cell(px)]
        if have_lxc:
            row += ["", "", paired_cell(pl), ""]
        row.append("")
        rows.append(row)
    return head, rows, targets


def size_table(b):
    cases = b.size_cases()
    kinds = [k for k in b.kinds if isinstance(k, XcKind)]
    head = ["rootfs", "inodes", "MiB", "kind", "create", "first start-to-usable",
            "restart start-to-usable", "create + first start"]
    if b.shift_ref:
        head.append("chown -R (a shift: lower bound)")
    rows = []
    for key, label, _total, _files in cases:
        info = b.size_info.get(key, {})
        for i, k in enumerate(kinds):
            res = b.sizes.get((k.key, key), {})
            row = [label if i == 0 else "", str(info.get("inodes", "-")) if i == 0 else "",
                   (f"{info['bytes'] / (1 << 20):.1f}" if info else "-") if i == 0 else "",
                   k.label, cell(res.get("create")), cell(res.get("first_start_usable")),
                   cell(res.get("restart_usable")), cell(res.get("create_start_usable"))]
            if b.shift_ref:
                row.append(cell(b.shift_ref.get(key)) if k.unprivileged else "")
            rows.append(row)
    targets = {}
    xu = next((k for k in kinds if k.unprivileged), None)
    xp = next((k for k in kinds if not k.unprivileged), None)
    if xu:
        base = cases[0]

        def growth(k, key):
            small = b.sizes.get((k.key, base[0]), {}).get("first_start_usable")
            big = b.sizes.get((k.key, key), {}).get("first_start_usable")
            return med(big) - med(small) if small and big else None
        for key, label, _total, _files in cases[1:]:
            d = growth(xu, key)
            if d is None:
                continue
            c = growth(xp, key) if xp else None
            control = f"; {xp.label}, which nothing could shift: {signed(c)} ms" if c is not None else ""
            targets[key] = verdict(d <= 0.003, f"{xu.label} first start-to-usable, {label.lstrip('+ ')} "
                                   f"against 2 MB: {signed(d)} ms, ≤ +3 ms{control}")
    return head, rows, targets


def floor_table(f):
    def m(k):
        return statistics.median(f[k]) if f.get(k) else None

    def c(k):
        v = f.get(k)
        if not v:
            return "-"
        return f"{statistics.median(v):.0f} ({min(v):.0f}–{max(v):.0f})"
    rows = [
        ["user namespace: unshare(CLONE_NEWUSER)", c("userns"), c("userns")],
        ["uid_map + gid_map written", c("maps"), c("maps")],
        ["rootfs: open ns + open_tree + mount_setattr(IDMAP)", c("idmapped_tree"), ""],
        ["rootfs: open_tree alone (privileged)", c("plain_tree"), ""],
        ["6 device nodes bound from the host", c("dev_bind"), ""],
        ["6 device nodes made with mknod (privileged)", c("dev_mknod"), ""],
    ]
    parts = [m("userns"), m("maps"), m("idmapped_tree"), m("plain_tree"), m("dev_bind"), m("dev_mknod")]
    total = None
    if all(p is not None for p in parts):
        total = parts[0] + parts[1] + (parts[2] - parts[3]) + (parts[4] - parts[5])
    return ["kernel step (µs, median (min–max))", "µs", ""], [[r[0], r[1]] for r in rows], total


def report(b, bindir, lxc_version, watch, elapsed, interrupted, leftovers):
    a = b.args
    print()
    print(f"xc user-namespace bench: {a.runs} runs of each kind, each with {1 + a.restarts} starts and "
          f"{a.attach_samples} attaches; size part {a.size_runs} runs of {1 + a.size_restarts} starts; "
          f"kernel floor {a.floor_samples} samples")
    print(f"host: {platform.release()}, {os.cpu_count()} CPUs; xc: {bindir or 'installed tools'}; "
          f"LXC: {lxc_version or 'not run'}; took {elapsed:.0f} s")
    print(describe_load(watch))
    print("times in ms; median (min–max) over all samples\n")
    head, rows, t1 = pair_table(b)
    print_table(head, rows)
    t2 = {}
    if b.sizes:
        head, rows, t2 = size_table(b)
        print()
        print_table(head, rows)
    total = None
    if b.floor:
        print()
        head, rows, total = floor_table(b.floor)
        print_table(head[:2], rows)
        if total is not None:
            print(f"kernel floor of what an unprivileged start adds: {total:.0f} µs "
                  "(user namespace + maps + the idmap of the tree + binds instead of mknod; "
                  "Python adds ~1 µs per call)")
    if b.trace:
        import stracephases
        print()
        stracephases.print_report(b.trace, {k.key: k.label for k in b.kinds})
    targets = {**t1, **t2}
    if targets:
        print()
        for k, v in targets.items():
            print(f"target {k}: {v}")
    for e in b.errors:
        print(f"\nerror: {e}")
    for n in b.notes:
        print(f"note: {n}")
    for l in leftovers:
        print(f"leftover (removed by the bench): {l}")
    if interrupted:
        print(f"\nINTERRUPTED ({interrupted}): results are partial")
    return targets, total


# ---------------------------------------------------------------- main

def make_kinds(args, tmp_root, bindir, build_tree, bench_note):
    env = dict(os.environ)
    subid = os.path.join(tmp_root, "subid")
    os.makedirs(subid)
    for f in ("subuid", "subgid"):
        with open(os.path.join(subid, f), "w") as fh:
            fh.write(f"root:{MAP_OUTSIDE}:{MAP_COUNT}\n")
    xenv = dict(env)
    xenv["XC_SUBID_DIR"] = subid
    xenv["XC_LOG_DIR"] = os.path.join(tmp_root, "log")
    if build_tree:
        defaults = {"XC_TEMPLATE_DIR": REPO / "templates",
                    "XC_SYSCONF_DIR": REPO / "tests/integration/data",  # no network in default.conf
                    "XC_LIBEXEC_DIR": bindir, "XC_DATA_DIR": REPO / "share"}
        for k, v in defaults.items():
            xenv.setdefault(k, str(v))
    confs = {}
    for key, text in (("xc_u", NET_EMPTY_XC),
                      ("xc_p", NET_EMPTY_XC + "security = { privileged = true; };\n"),
                      ("lxc_p", "lxc.net.0.type = empty\n"),
                      ("lxc_u", "lxc.net.0.type = empty\n"
                                f"lxc.idmap = u 0 {MAP_OUTSIDE} {MAP_COUNT}\n"
                                f"lxc.idmap = g 0 {MAP_OUTSIDE} {MAP_COUNT}\n")):
        confs[key] = os.path.join(tmp_root, f"{key}.conf")
        with open(confs[key], "w") as f:
            f.write(text)

    def base(key):
        d = os.path.join(tmp_root, key)
        os.makedirs(d)
        return d
    kinds = [XcKind("xc_u", "xc unpriv", base("xc_u"), xenv, bindir, confs["xc_u"], True),
             XcKind("xc_p", "xc priv", base("xc_p"), xenv, bindir, confs["xc_p"], False)]
    lxc_version = None
    if not args.no_lxc:
        if shutil.which("lxc-start") and shutil.which("lxc-create"):
            p = quiet(["lxc-create", "--version"])
            lxc_version = p.stdout.strip() if p else "?"
            kinds.append(LxcKind("lxc_u", "LXC unpriv", base("lxc_u"), env, confs["lxc_u"], True))
            kinds.append(LxcKind("lxc_p", "LXC priv", base("lxc_p"), env, confs["lxc_p"], False))
        else:
            bench_note("lxc-start not on PATH: xc only (apt-get install -y lxc)")
    return kinds, lxc_version


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xc-bin", metavar="DIR",
                    help="directory of the xc tools (default: ./build if it has xc-start, "
                         "else the installed tools on PATH)")
    ap.add_argument("--runs", type=int, default=10, help="runs of the unpriv/priv part (default 10)")
    ap.add_argument("--attach-samples", type=int, default=20, help="attach samples per run and kind (20)")
    ap.add_argument("--restarts", type=int, default=4,
                    help="starts per run and kind after the first (stop -k, start; default 4)")
    ap.add_argument("--cpu-samples", type=int, default=2,
                    help="starts and attaches per run and kind under perf stat, for their CPU time "
                         "(default 2; 0 or no perf on PATH skips)")
    ap.add_argument("--size-runs", type=int, default=10, help="runs of the size part (default 10; 0 skips)")
    ap.add_argument("--size-restarts", type=int, default=2,
                    help="starts after the first in the size part (default 2)")
    ap.add_argument("--settle", type=float, default=1.0,
                    help="seconds to wait after filling and syncing, before the starts (default 1)")
    ap.add_argument("--filler-mib", type=int, default=200, help="MiB added to the rootfs (default 200)")
    ap.add_argument("--filler-files", type=int, default=10000,
                    help="the same MiB also in this many files (default 10000; 1 skips that case)")
    ap.add_argument("--no-shift-reference", dest="shift_reference", action="store_false",
                    help="do not time chown -R of the unprivileged rootfs after its stop")
    ap.add_argument("--floor-samples", type=int, default=200,
                    help="samples of the kernel floor (default 200; 0 skips)")
    ap.add_argument("--strace", action="store_true",
                    help="also strace starts and attaches of each xc kind and print where "
                         "the unprivileged one spends its extra system calls")
    ap.add_argument("--strace-runs", type=int, default=5,
                    help="with --strace: traced starts and attaches of each kind (default 5; medians)")
    ap.add_argument("--no-lxc", action="store_true", help="do not run LXC even if installed")
    ap.add_argument("--out", metavar="FILE", help="also write the results as JSON")
    args = ap.parse_args()

    if os.geteuid() != 0:
        sys.exit("userns.py: must run as root")
    if args.strace and not shutil.which("strace"):
        sys.exit("userns.py: --strace: no strace on PATH (apt-get install -y strace)")
    bindir, build_tree = find_xc(args.xc_bin, "userns.py", "xc-start")
    tmp_root = tempfile.mkdtemp(prefix="xc-bench-userns.")
    # LXC's unprivileged root must search its way to its rootfs.
    os.chmod(tmp_root, 0o711)
    early_notes = []
    kinds = []
    bench = None
    interrupted = None
    leftovers = []
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    t_begin = time.perf_counter()
    watch = LoadWatch()
    lxc_version = None
    try:
        try:
            kinds, lxc_version = make_kinds(args, tmp_root, bindir, build_tree, early_notes.append)
            bench = Bench(args, kinds, tmp_root)
            for n in early_notes:
                bench.note(n)
            print(f"xc tools: {bindir or 'PATH'}; LXC: {lxc_version or 'not used'}; base {tmp_root}",
                  file=sys.stderr)
            for k in kinds:
                if isinstance(k, LxcKind) and k.unprivileged:
                    bench.note(f"{k.label}: lxc-start runs without {', '.join(k.path_removed) or '-'} on "
                               "PATH (no newuidmap: LXC writes the maps itself, as root); its "
                               "template shifts the rootfs at create (chown to the map)")
            if args.runs > 0:
                bench.pairs()
            if args.size_runs > 0:
                bench.size_part()
            if args.floor_samples > 0:
                bench.floor_part()
            if args.strace:
                bench.trace_part()
        except (KeyboardInterrupt, Interrupted) as e:
            interrupted = str(e) or "Ctrl-C"
            print(f"\ninterrupted ({interrupted}): cleaning up", file=sys.stderr)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        leftovers = cleanup(kinds, tmp_root, print)
    load = watch.finish()
    if bench is None:
        return 1
    targets, floor_total = report(bench, bindir, lxc_version, load, time.perf_counter() - t_begin,
                                  interrupted, leftovers)
    if args.out:
        data = {
            "args": vars(args), "host": {"kernel": platform.release(), "cpus": os.cpu_count()},
            "load": load, "xc_bin": bindir, "lxc_version": lxc_version,
            "samples_s": bench.results, "paired_s": bench.paired,
            "sizes_s": {f"{k}/{s}": v for (k, s), v in bench.sizes.items()},
            "size_info": bench.size_info, "shift_reference_s": bench.shift_ref,
            "floor_us": bench.floor, "floor_total_us": floor_total, "strace": bench.trace,
            "baseline_true_s": bench.baseline, "targets": targets, "errors": bench.errors,
            "notes": bench.notes, "leftovers": leftovers, "interrupted": bool(interrupted),
        }
        with open(args.out, "w") as f:
            json.dump(data, f, indent=2, default=str)
    return 130 if interrupted else (1 if bench.errors else 0)


def cleanup(kinds, tmp_root, log):
    """Kill and destroy all we made, remove our directory.  Returns leftovers seen."""
    leftovers = []
    for k in kinds:
        k.cleanup(log)
        for pid in k.leftover_monitors():
            leftovers.append(f"{k.label} monitor pid {pid} still running: {read_cmdline(pid)}")
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
    time.sleep(0.2)
    for k in kinds:
        if isinstance(k, LxcKind):
            leftovers += [f"{k.label}: {x}" for x in k.runtime_leftovers(True, log, sorted(k.names))]
        else:
            leftovers += [f"{k.label}: {x}" for x in k.runtime_leftovers(True, log)]
    busy = mounts_under(tmp_root)
    if busy:
        leftovers.append(f"mounts under {tmp_root} (not removed): {busy}")
    else:
        shutil.rmtree(tmp_root, ignore_errors=True)
    return leftovers


if __name__ == "__main__":
    sys.exit(main())
