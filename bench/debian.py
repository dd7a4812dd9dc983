#!/usr/bin/env python3
"""Full-OS containers: create, boot to running, stop and memory of a Debian container.

Measures in one run, xc's `debian` template against LXC's `debian` template
(when LXC is installed), both for the host's Debian release, both from a warm
cache of their own (each is built once, untimed, before the timed runs), both
with no network (`network = ( { type = "empty"; } );` and
`lxc.net.0.type = empty`, so that no DHCP wait enters the boot time):

  * create from the warm cache, with `-B dir` and, where xc has it, with
    `-B overlay` (the cached image as the shared lower layer);
  * the start command (`xc-start -d` / `lxc-start -d`): the manager's own part
    of the boot, until the init runs;
  * boot to running: from the start command until `systemctl
    is-system-running` inside says `running` (or `degraded`, reported as
    such), polled through attach every 20 ms; and systemd's own figure
    (`systemd-analyze`: "Startup finished in ... (userspace)");
  * memory of the idle container (its cgroup's charge, 3 s after running);
  * clean stop (`xc-stop` / `lxc-stop`: the halt signal, systemd shuts down).

The xc container is unprivileged (xc's default); LXC's is privileged (its
default as root, with no idmap): a difference of the comparison that is
printed with it.  Prints medians (min-max), xc/LXC and the targets of issue 9
(create <= 2 s with -B dir, <= 150 ms with -B overlay; boot to running no
slower than LXC's; xc's own part of the boot < 30 ms), and whether the
machine was quiet.  Not a test: it measures.  See bench/README.md.

Everything lives in one temporary directory (a -P base for each manager,
root's subordinate ids for xc, the logs) and is removed at the end, also on
Ctrl-C, SIGTERM or an error, with every container made there.  The two
image caches are kept, since they are what makes the next run warm: xc's
under --xc-cache (default: the test suite's /var/tmp/xc-it-debian-cache/v1
when the tools are a build tree, else xc's /var/cache/xc) and LXC's under
/var/cache/lxc/debian (LXC's own; `--lxc-clean-cache` removes it after the
run).
"""

import argparse
import os
import re
import shutil
import signal
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from benchlib import REPO, find_xc  # noqa: E402
from lifecycle import (Interrupted, Lxc, ToolError, Xc, _on_signal, quiet, run,  # noqa: E402
                       summary)
from userns import LoadWatch, describe_load  # noqa: E402

POLL_S = 0.02
BOOT_TIMEOUT_S = 120
SETTLE_S = 3.0
STEPS = [
    # key, label, unit
    ("create", "create from the warm cache (-B dir)", "ms"),
    ("create_overlay", "create from the warm cache (-B overlay)", "ms"),
    ("start", "start command (the manager's part)", "ms"),
    ("boot", "boot to running (start + systemd)", "ms"),
    ("systemd_userspace", "  of which systemd's userspace (systemd-analyze)", "ms"),
    ("memory", "memory of the idle container", "KiB"),
    ("stop", "clean stop", "ms"),
]


def host_release():
    """The host's Debian codename, else None."""
    try:
        text = Path("/etc/os-release").read_text()
    except OSError:
        return None
    if not re.search(r"^ID=debian$", text, re.M):
        return None
    m = re.search(r"^VERSION_CODENAME=(\S+)$", text, re.M)
    return m.group(1) if m else None


def host_mirror():
    """The Debian mirror the host's apt sources name (deb822 or one-line)."""
    files = [Path("/etc/apt/sources.list")] + sorted(Path("/etc/apt/sources.list.d").glob("*"))
    for f in files:
        try:
            text = f.read_text()
        except OSError:
            continue
        for m in re.finditer(r"^(?:URIs:\s*|deb\s+(?:\[[^]]*\]\s+)?)(\S+/debian)/?\s", text, re.M):
            return m.group(1)
    return "http://deb.debian.org/debian"


def container_memory_kib(pid):
    """Memory charged to the container's own cgroup: the init's, less the
    init.scope that systemd moves itself into where it may (a privileged
    systemd does on a v1 memory hierarchy, an unprivileged one cannot), so
    that both managers' containers are measured whole."""
    v2 = None
    with open(f"/proc/{pid}/cgroup") as f:
        for line in f:
            hid, ctrls, path = line.rstrip("\n").split(":", 2)
            path = re.sub(r"/init\.scope$", "", path)
            if "memory" in ctrls.split(","):
                p = f"/sys/fs/cgroup/memory{path}/memory.usage_in_bytes"
                if os.path.exists(p):
                    return int(Path(p).read_text()) // 1024
            if hid == "0":
                v2 = path
    for root in ("/sys/fs/cgroup/unified", "/sys/fs/cgroup"):
        p = f"{root}{v2}/memory.current"
        if v2 is not None and os.path.exists(p):
            return int(Path(p).read_text()) // 1024
    return None


def systemd_userspace_ms(text):
    m = re.search(r"Startup finished in .*?([\d.]+)(ms|s) \(userspace\)", text)
    if not m:
        return None
    return float(m.group(1)) * (1.0 if m.group(2) == "ms" else 1000.0)


class XcDebian(Xc):
    label = "xc"

    def __init__(self, base, env, bindir, conf, release, mirror):
        super().__init__(base, env, bindir, conf)
        self.release, self.mirror = release, mirror

    def create_cmd(self, name, backend="dir"):
        return self.cmd("create", name, "-t", "debian", "-B", backend, "-f", self.conf,
                        "--", "-r", self.release, "--mirror", self.mirror)


class LxcDebian(Lxc):
    label = "LXC"

    def __init__(self, base, env, conf, release, mirror):
        super().__init__(base, env, conf)
        self.release, self.mirror = release, mirror

    def create_cmd(self, name, backend="dir"):
        return self.cmd("create", name, "-t", "debian", "-B", backend, "-f", self.conf,
                        "--", "-r", self.release, f"--mirror={self.mirror}")


class Bench:
    def __init__(self, args, backends):
        self.args = args
        self.backends = backends
        self.results = {b.label: {k: [] for k, _l, _u in STEPS} for b in backends}
        self.final_states = {b.label: [] for b in backends}
        self.notes = []
        self.overlay_ok = {b.label: True for b in backends}

    def note(self, msg):
        self.notes.append(msg)
        print("note: " + msg, file=sys.stderr, flush=True)

    def create(self, b, name, backend="dir"):
        b.track(name)
        return run(b.create_cmd(name, backend), b.env, timeout=1800)[0]

    def warm(self, b):
        """Build the manager's cache once (untimed) and check the image boots."""
        print(f"{b.label}: warming the {self.args.release} cache (may debootstrap once) ...",
              file=sys.stderr, flush=True)
        self.create(b, "warm")
        b.destroy("warm")

    def boot(self, b, name):
        """(start command seconds, boot-to-running seconds, final state)."""
        t0 = time.perf_counter()
        t_start = b.start(name)
        deadline = t0 + BOOT_TIMEOUT_S
        state = "?"
        while time.perf_counter() < deadline:
            _, p = b.attach(name, ["systemctl", "is-system-running"], check=False, timeout=30)
            state = p.stdout.strip() or state
            if state in ("running", "degraded"):
                return t_start, time.perf_counter() - t0, state
            time.sleep(POLL_S)
        raise ToolError(["boot", name], 1, f"not running after {BOOT_TIMEOUT_S} s (state {state})")

    def one_run(self, b, i):
        r = self.results[b.label]
        name = f"d{i}"
        r["create"].append(self.create(b, name) * 1000)
        t_start, t_boot, state = self.boot(b, name)
        r["start"].append(t_start * 1000)
        r["boot"].append(t_boot * 1000)
        self.final_states[b.label].append(state)
        _, p = b.attach(name, ["systemd-analyze"], check=False)
        us = systemd_userspace_ms(p.stdout)
        if us is not None:
            r["systemd_userspace"].append(us)
        time.sleep(SETTLE_S)
        kib = container_memory_kib(b.init_pid(name))
        if kib is not None:
            r["memory"].append(kib)
        r["stop"].append(b.stop(name) * 1000)
        b.destroy(name)
        if self.overlay_ok[b.label]:
            oname = f"o{i}"
            try:
                r["create_overlay"].append(self.create(b, oname, "overlay") * 1000)
            except ToolError as e:
                self.overlay_ok[b.label] = False
                self.note(f"{b.label}: -B overlay: {e.err.splitlines()[-1] if e.err else e}")
            quiet(b.destroy_force_cmd(oname), b.env)
            b.untrack(oname)

    def run(self):
        for b in self.backends:
            self.warm(b)
        for i in range(self.args.runs):
            order = self.backends if i % 2 == 0 else list(reversed(self.backends))
            for b in order:
                self.one_run(b, i)
                print(f"run {i + 1}/{self.args.runs} {b.label} done", file=sys.stderr, flush=True)

    def report(self, load):
        labels = [b.label for b in self.backends]
        print(f"\nDebian {self.args.release} containers, no network, {self.args.runs} runs; "
              "medians (min-max)")
        head = f"{'step':<48}" + "".join(f"{lab:>26}" for lab in labels)
        if len(labels) == 2:
            head += f"{'xc/LXC':>9}"
        print(head)
        med = {}
        for key, label, unit in STEPS:
            line = f"{label:<48}"
            for lab in labels:
                s = summary(self.results[lab][key])
                med[(lab, key)] = s["median"] if s else None
                cell = (f"{s['median']:.0f} ({s['min']:.0f}-{s['max']:.0f}) {unit}" if s else "-")
                line += f"{cell:>26}"
            if len(labels) == 2 and med[(labels[0], key)] and med[(labels[1], key)]:
                line += f"{med[(labels[0], key)] / med[(labels[1], key)]:>9.2f}"
            print(line)
        for lab in labels:
            states = sorted(set(self.final_states[lab]))
            print(f"{lab}: final state(s) inside: {', '.join(states)}")
        print("\ntargets (issue 9):")
        self.verdict("create -B dir <= 2000 ms", med.get(("xc", "create")), lambda v: v <= 2000)
        self.verdict("create -B overlay <= 150 ms", med.get(("xc", "create_overlay")), lambda v: v <= 150)
        self.verdict("xc's part of the boot (start command) < 30 ms", med.get(("xc", "start")),
                     lambda v: v < 30)
        lxc_boot = med.get(("LXC", "boot"))
        if lxc_boot:
            self.verdict(f"boot to running <= LXC's ({lxc_boot:.0f} ms)", med.get(("xc", "boot")),
                         lambda v: v <= lxc_boot)
        if len(labels) == 2:
            print("note: xc's container is unprivileged (its default), LXC's privileged (its default as root)")
        for n in self.notes:
            print("note: " + n)
        print(describe_load(load))

    @staticmethod
    def verdict(text, value, ok):
        if value is None:
            print(f"  n/a   {text}: not measured")
        else:
            print(f"  {'PASS' if ok(value) else 'MISS'}  {text}: {value:.0f}")


def make_backends(args, tmp, bindir, build_tree):
    env = dict(os.environ)
    if build_tree:
        env.setdefault("XC_LIBEXEC_DIR", bindir)
        env.setdefault("XC_TEMPLATE_DIR", str(REPO / "templates"))
        env.setdefault("XC_SYSCONF_DIR", str(REPO / "config"))
        env.setdefault("XC_DATA_DIR", str(REPO / "share"))
    if args.xc_cache:
        env["XC_CACHE"] = args.xc_cache
    # Root's subordinate ids for the unprivileged container, in the bench's
    # own directory (the host's /etc/subuid is left alone).
    subid = Path(tmp) / "subid"
    subid.mkdir()
    for f in ("subuid", "subgid"):
        (subid / f).write_text("root:100000:4259840\n")
    env["XC_SUBID_DIR"] = str(subid)
    xconf = Path(tmp) / "xc.conf"
    xconf.write_text('network = ( { type = "empty"; } );\n')
    xbase = Path(tmp) / "xc"
    xbase.mkdir()
    backends = [XcDebian(xbase, env, bindir, str(xconf), args.release, args.mirror)]
    if not args.no_lxc and shutil.which("lxc-create") and os.path.exists("/usr/share/lxc/templates/lxc-debian"):
        lconf = Path(tmp) / "lxc.conf"
        lconf.write_text("lxc.net.0.type = empty\nlxc.apparmor.profile = unconfined\n")
        lbase = Path(tmp) / "lxc"
        lbase.mkdir()
        backends.append(LxcDebian(lbase, dict(os.environ), str(lconf), args.release, args.mirror))
    return backends


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xc-bin", metavar="DIR", help="directory of the xc tools (default: ./build, else PATH)")
    ap.add_argument("--runs", type=int, default=3, help="timed runs per manager (default 3)")
    ap.add_argument("--release", default=host_release() or "bookworm",
                    help="Debian release (default: the host's, else bookworm)")
    ap.add_argument("--mirror", default=host_mirror(), help="Debian mirror (default: the host's apt mirror)")
    ap.add_argument("--xc-cache", metavar="DIR",
                    help="xc's template cache (XC_CACHE; default: the test suite's cache for a build "
                         "tree, else xc's /var/cache/xc)")
    ap.add_argument("--no-lxc", action="store_true", help="do not run LXC even if installed")
    ap.add_argument("--lxc-clean-cache", action="store_true",
                    help="remove LXC's debian cache (/var/cache/lxc/debian) after the run")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("debian.py: must run as root")
    bindir, build_tree = find_xc(args.xc_bin, "debian.py")
    if build_tree and not args.xc_cache:
        args.xc_cache = "/var/tmp/xc-it-debian-cache/v1"
    tmp = tempfile.mkdtemp(prefix="xc-bench-debian.")
    os.chmod(tmp, 0o711)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _on_signal)
    backends = []
    watch = LoadWatch()
    failed = None
    try:
        backends = make_backends(args, tmp, bindir, build_tree)
        bench = Bench(args, backends)
        bench.run()
        bench.report(watch.finish())
    except (ToolError, Interrupted, KeyboardInterrupt) as e:
        failed = e
    finally:
        for b in backends:
            b.cleanup(lambda m: print(m, file=sys.stderr))
        shutil.rmtree(tmp, ignore_errors=True)
        if args.lxc_clean_cache:
            shutil.rmtree("/var/cache/lxc/debian", ignore_errors=True)
    if failed is not None:
        sys.exit(f"debian.py: {failed}")


if __name__ == "__main__":
    main()
