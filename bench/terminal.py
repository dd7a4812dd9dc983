#!/usr/bin/env python3
"""Terminal benchmark: xc-attach with a pty and with pipes, next to lxc-attach.

Measures, for xc and (when lxc-attach is on PATH) LXC in the same run:

  * attach with a pty to the first output byte: `xc-attach -n C -- echo ready`
    started on a fresh pty (python's pty module, the pty made the controlling
    terminal by `setsid -c`), timed from spawn to the first byte on the
    master, also to the tool's exit; and the same less the floor of this
    measurement (`setsid -c echo ready` on a pty: spawn, exec, one pty hop),
    which is what the attach itself costs;
  * throughput of 100 MiB through `xc-attach -- cat` with pipes (stdin a host
    file, stdout a pipe read by this script);
  * throughput of 100 MiB through the pty: `xc-attach -- cat FILE` on a pty,
    FILE a 100 MiB file without newlines inside the container, read off the
    master by this script.

Prints medians (min-max) and the ratios xc/LXC with the targets of issue 3
(throughput >= LXC, latency <= 0.5x LXC).  Not a test: it measures.

Everything lives in a temporary directory (one -P base for xc, one for
LXC, whose container has `lxc.net.0.type = empty`); on exit, Ctrl-C or an
error it kills and destroys both containers and removes the directory and
the runtime state and cgroups the tools made for them.

    python3 bench/terminal.py [--xc-bin DIR] [--samples 20] [--runs 3] [--mib 100] [--no-lxc]
"""

import argparse
import fcntl
import os
import platform
import pty
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import REPO, cgroup_dirs, find_xc, remove_cgroup_tree, remove_lxc_lock  # noqa: E402


class Interrupted(BaseException):
    pass


def _on_signal(signum, _frame):
    raise Interrupted(f"signal {signum}")


def fnv1a64(text):
    h = 0xcbf29ce484222325
    for b in text.encode():
        h ^= b
        h = (h * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def run(cmd, env=None, timeout=120, check=True, stdin=subprocess.DEVNULL):
    p = subprocess.run(cmd, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=timeout)
    if check and p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} -> exit {p.returncode}: "
                           f"{(p.stderr or p.stdout).decode(errors='replace').strip()}")
    return p


def quiet(cmd, env=None, timeout=60):
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=env, timeout=timeout)
    except (OSError, subprocess.SubprocessError):
        return None


def summary(xs):
    if not xs:
        return None
    return {"median": statistics.median(xs), "min": min(xs), "max": max(xs), "n": len(xs)}


# ---------------------------------------------------------------- measurements

def spawn_on_pty(argv, env, cols=100, rows=30):
    """Starts argv with stdin/stdout/stderr on a new pty; returns (proc, master)."""
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    # The pty becomes the controlling terminal (lxc-attach needs one) through
    # util-linux setsid -c, one exec for either manager; python's
    # preexec_fn would fork the interpreter the slow way and add ~10 ms.
    p = subprocess.Popen(["setsid", "-c", *argv], stdin=slave, stdout=slave, stderr=slave, env=env,
                         close_fds=True)
    os.close(slave)
    return p, master


def read_pty_until_exit(p, master, deadline=120.0):
    """Reads the master until EOF/EIO; returns (t_first, t_last, nbytes)."""
    t_first = t_last = None
    n = 0
    end = time.perf_counter() + deadline
    while time.perf_counter() < end:
        r, _, _ = select.select([master], [], [], 0.5)
        if not r:
            if p.poll() is not None and t_first is not None:
                # The child is gone; anything left comes with the next read or EIO.
                r = [master]
            else:
                continue
        try:
            chunk = os.read(master, 1 << 20)
        except OSError:
            break
        if not chunk:
            break
        now = time.perf_counter()
        if t_first is None:
            t_first = now
        t_last = now
        n += len(chunk)
    return t_first, t_last, n


def attach_first_byte(argv, env):
    t0 = time.perf_counter()
    p, master = spawn_on_pty(argv, env)
    try:
        t_first, _, n = read_pty_until_exit(p, master, deadline=30)
        rc = p.wait(timeout=30)
        t_exit = time.perf_counter()
    finally:
        os.close(master)
    if rc != 0 or t_first is None:
        raise RuntimeError(f"{' '.join(argv)} on a pty: exit {rc}, {n} bytes")
    return t_first - t0, t_exit - t0


def pty_throughput(argv, env, expect):
    t0 = time.perf_counter()
    p, master = spawn_on_pty(argv, env)
    try:
        _, t_last, n = read_pty_until_exit(p, master)
        rc = p.wait(timeout=60)
    finally:
        os.close(master)
    if rc != 0:
        raise RuntimeError(f"{' '.join(argv)} on a pty: exit {rc}")
    # The pty adds nothing to newline-free text; a few bytes of echo at most.
    if n < expect:
        raise RuntimeError(f"{' '.join(argv)} on a pty: {n} bytes, expected {expect}")
    return expect / (t_last - t0) / (1 << 20)


def pipe_throughput(argv, env, infile, expect):
    with open(infile, "rb") as f:
        t0 = time.perf_counter()
        p = subprocess.Popen(argv, stdin=f, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
        n = 0
        fd = p.stdout.fileno()
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            n += len(chunk)
        rc = p.wait(timeout=60)
        dt = time.perf_counter() - t0
    if rc != 0 or n != expect:
        raise RuntimeError(f"{' '.join(argv)} with pipes: exit {rc}, {n} of {expect} bytes")
    return expect / dt / (1 << 20)


# ---------------------------------------------------------------- managers

class Manager:
    label = "?"

    def __init__(self, base, env):
        self.base, self.env, self.name, self.made = base, env, "tb", False

    def attach_cmd(self, *argv):
        raise NotImplementedError

    def rootfs(self):
        return os.path.join(self.base, self.name, "rootfs")


class Xc(Manager):
    label = "xc"

    def __init__(self, base, env, bindir):
        super().__init__(base, env)
        self.bindir = bindir

    def tool(self, t):
        return os.path.join(self.bindir, t) if self.bindir else t

    def setup(self):
        self.made = True
        run([self.tool("xc-create"), "-P", self.base, "-n", self.name, "-t", "busybox"], env=self.env)
        run([self.tool("xc-start"), "-P", self.base, "-n", self.name], env=self.env)

    def attach_cmd(self, *argv):
        return [self.tool("xc-attach"), "-P", self.base, "-n", self.name, "--", *argv]

    def cleanup(self):
        if not self.made:
            return []
        quiet([self.tool("xc-stop"), "-P", self.base, "-n", self.name, "-k"], env=self.env)
        quiet([self.tool("xc-destroy"), "-P", self.base, "-n", self.name, "-f"], env=self.env)
        left = []
        run_dir = "/run/xc/" + fnv1a64(self.base)
        if os.path.isdir(run_dir):
            shutil.rmtree(run_dir, ignore_errors=True)
        for d in cgroup_dirs("xc-" + fnv1a64(self.base)[:12]):
            left.append(d)
            remove_cgroup_tree(d)
        return left


class Lxc(Manager):
    label = "LXC"

    def __init__(self, base, env, conf):
        super().__init__(base, env)
        self.conf = conf

    def setup(self):
        self.made = True
        run(["lxc-create", "-P", self.base, "-n", self.name, "-t", "busybox", "-f", self.conf],
            env=self.env, timeout=300)
        run(["lxc-start", "-P", self.base, "-n", self.name], env=self.env)
        run(["lxc-wait", "-P", self.base, "-n", self.name, "-s", "RUNNING", "-t", "30"], env=self.env)

    def attach_cmd(self, *argv):
        return ["lxc-attach", "-P", self.base, "-n", self.name, "--", *argv]

    def cleanup(self):
        if not self.made:
            return []
        quiet(["lxc-stop", "-P", self.base, "-n", self.name, "-k"], env=self.env)
        quiet(["lxc-destroy", "-P", self.base, "-n", self.name, "-f"], env=self.env)
        remove_lxc_lock(self.base)
        left = [d for pfx in ("lxc.payload.", "lxc.monitor.") for d in cgroup_dirs(pfx + self.name)]
        for d in left:
            remove_cgroup_tree(d)
        return left


# ---------------------------------------------------------------- main

def make_payload(path, mib):
    """`mib` MiB of newline-free printable text: it crosses a pty unchanged."""
    line = (b"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_" * 1024)  # 64 KiB
    with open(path, "wb") as f:
        for _ in range(mib * 16):
            f.write(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xc-bin", metavar="DIR", help="directory of the xc tools (default ./build)")
    ap.add_argument("--samples", type=int, default=20, help="attach latency samples (20)")
    ap.add_argument("--runs", type=int, default=5, help="throughput runs per mode (5)")
    ap.add_argument("--mib", type=int, default=100, help="MiB per throughput run (100)")
    ap.add_argument("--no-lxc", action="store_true", help="xc only")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("terminal.py: must run as root")

    bindir, build_tree = find_xc(args.xc_bin, "terminal.py", "xc-attach")
    tmp = tempfile.mkdtemp(prefix="xc-bench-term.")
    os.chmod(tmp, 0o755)
    xbase, lbase = os.path.join(tmp, "xc"), os.path.join(tmp, "lxc")
    os.makedirs(xbase)
    os.makedirs(lbase)
    env = dict(os.environ)
    env.setdefault("TERM", "xterm")
    xenv = dict(env)
    xenv["XC_LOG_DIR"] = os.path.join(tmp, "log")
    # A host configuration whose default.conf gives no network: the bench is
    # about terminals and must not need the host's bridge.
    sysconf = os.path.join(tmp, "etc")
    os.makedirs(sysconf)
    if os.path.exists(REPO / "config" / "xc.conf"):
        shutil.copy(REPO / "config" / "xc.conf", sysconf)
    with open(os.path.join(sysconf, "default.conf"), "w") as f:
        f.write('security = { cap_drop = [ "sys_module", "sys_rawio", "sys_time", "mac_admin", '
                '"mac_override" ]; seccomp = "default"; };\n')
    xenv["XC_SYSCONF_DIR"] = sysconf
    if build_tree:
        xenv.setdefault("XC_TEMPLATE_DIR", str(REPO / "templates"))
        xenv.setdefault("XC_LIBEXEC_DIR", bindir)
        xenv.setdefault("XC_DATA_DIR", str(REPO / "share"))

    managers = [Xc(xbase, xenv, bindir)]
    lxc_version = None
    if not args.no_lxc and shutil.which("lxc-attach"):
        conf = os.path.join(tmp, "lxc-net-empty.conf")
        with open(conf, "w") as f:
            f.write("lxc.net.0.type = empty\n")
        managers.append(Lxc(lbase, dict(env), conf))
        p = quiet(["lxc-attach", "--version"])
        lxc_version = p.stdout.decode().strip() if p else "?"
    pivot_existed = any(os.path.isdir(os.path.join("/sys/fs/cgroup", h, "lxc.pivot"))
                        for h in (os.listdir("/sys/fs/cgroup") if os.path.isdir("/sys/fs/cgroup") else []))

    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)

    expect = args.mib << 20
    payload = os.path.join(tmp, "payload")
    results = {}
    errors = []
    interrupted = None
    leftovers = []
    t_begin = time.perf_counter()
    try:
        make_payload(payload, args.mib)
        live = []
        for m in managers:
            results[m.label] = {"first": [], "exit": [], "pipes": [], "pty": []}
            try:
                m.setup()
                shutil.copy(payload, os.path.join(m.rootfs(), "root", "payload"))
                # Warm up: page cache, binaries.
                run(m.attach_cmd("true"), env=m.env)
                attach_first_byte(m.attach_cmd("echo", "ready"), m.env)
                live.append(m)
            except RuntimeError as e:
                errors.append(f"{m.label}: {e}")
        # The floor of the measurement: the same spawn on a pty of a command
        # that needs no attach (setsid -c echo ready).
        results["floor"] = {"first": [], "exit": []}
        # Interleaved, so a busy moment of the machine hits both alike.
        def sample(key, fn):
            for m in list(live):
                try:
                    results[m.label][key].append(fn(m))
                except RuntimeError as e:
                    errors.append(f"{m.label}: {e}")
                    live.remove(m)
        for _ in range(args.samples):
            first, done = attach_first_byte(["echo", "ready"], env)
            results["floor"]["first"].append(first)
            results["floor"]["exit"].append(done)
            for m in list(live):
                try:
                    first, done = attach_first_byte(m.attach_cmd("echo", "ready"), m.env)
                    results[m.label]["first"].append(first)
                    results[m.label]["exit"].append(done)
                except RuntimeError as e:
                    errors.append(f"{m.label}: {e}")
                    live.remove(m)
        for _ in range(args.runs):
            sample("pipes", lambda m: pipe_throughput(m.attach_cmd("cat"), m.env, payload, expect))
            sample("pty", lambda m: pty_throughput(m.attach_cmd("cat", "/root/payload"), m.env, expect))
    except (KeyboardInterrupt, Interrupted) as e:
        interrupted = str(e) or "Ctrl-C"
        print(f"\ninterrupted ({interrupted}): cleaning up", file=sys.stderr)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, signal.SIG_IGN)
        for m in managers:
            leftovers += m.cleanup()
        if not pivot_existed:
            for h in (os.listdir("/sys/fs/cgroup") if os.path.isdir("/sys/fs/cgroup") else []):
                try:
                    os.rmdir(os.path.join("/sys/fs/cgroup", h, "lxc.pivot"))
                except OSError:
                    pass
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(f"xc terminal bench: {args.samples} pty attach samples, {args.runs} x {args.mib} MiB per mode; "
          f"host {platform.release()}, {os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}; "
          f"LXC {lxc_version or 'not used'}; took {time.perf_counter() - t_begin:.0f} s")
    floor = summary(results.get("floor", {}).get("first", []))
    floor_ms = floor["median"] if floor else 0.0
    for who in ("xc", "LXC"):
        r = results.get(who)
        if r and r["first"] and floor:
            r["first_net"] = [x - floor_ms for x in r["first"]]
    rows = [("pty attach, first output byte", "first", "ms", 1000.0, None, None),
            (f"  less the spawn floor ({floor_ms * 1000:.1f} ms)", "first_net", "ms", 1000.0, "<= 0.5x LXC",
             lambda x, l: x <= 0.5 * l),
            ("pty attach, until the tool exits", "exit", "ms", 1000.0, None, None),
            (f"{args.mib} MiB through cat, pipes", "pipes", "MiB/s", 1.0, ">= LXC", lambda x, l: x >= l),
            (f"{args.mib} MiB through cat, pty", "pty", "MiB/s", 1.0, ">= LXC", lambda x, l: x >= l)]
    print(f"{'':40} {'xc':>22} {'LXC':>22} {'xc/LXC':>8}  target")
    for label, key, unit, scale, target, ok in rows:
        cells = []
        meds = {}
        for who in ("xc", "LXC"):
            s = summary(results.get(who, {}).get(key, []))
            if s:
                meds[who] = s["median"]
                cells.append(f"{s['median'] * scale:8.1f} ({s['min'] * scale:.1f}-{s['max'] * scale:.1f})")
            else:
                cells.append("-")
        ratio = ""
        verdict = ""
        if "xc" in meds and "LXC" in meds and meds["LXC"] > 0:
            ratio = f"{meds['xc'] / meds['LXC']:.2f}"
            if ok:
                verdict = ("PASS " if ok(meds["xc"], meds["LXC"]) else "MISS ") + target
        print(f"{label + ' (' + unit + ')':40} {cells[0]:>22} {cells[1]:>22} {ratio:>8}  {verdict}")
    for e in errors:
        print(f"error: {e}")
    for l in leftovers:
        print(f"leftover (removed by the bench): {l}")
    if interrupted:
        print(f"INTERRUPTED ({interrupted}): results are partial")
    return 130 if interrupted else (1 if errors else 0)


if __name__ == "__main__":
    sys.exit(main())
