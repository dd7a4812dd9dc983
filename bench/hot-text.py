#!/usr/bin/env python3
"""Regenerate cmake/hot-text.ld: the code every tool and supervisor runs, placed together.

On this kind of VM, mapping a page of program text costs about 1-2 us and the
kernel maps 16 pages around each fault, so a static binary whose start-up code
is scattered over its 5 MB of text pays for windows it barely uses: an xc-ls
mapped 50 windows to run 0.5 M instructions. The linker script this writes
puts the input sections that a lifecycle workload runs into one output
section in front of .text (`INSERT BEFORE .text`, GNU ld and lld), so they
share a few windows; everything else keeps the default order. First comes
what a running container's supervisor serves with (attach, freeze, info,
stop), up to the symbol __xc_text_serving_end: once its start is over the
supervisor drops the page-table entries of all text past it
(lib/src/base/program_text.hpp), so its PSS keeps only that. Then the
IRELATIVE resolvers (glibc's string functions), which every process runs
before main, each too briefly to be sampled; then the rest, by how many
programs ran it.

What runs is found by sampling, not instrumentation: perf records each
start (tool, supervisor, the init child before its exec) and, system-wide,
the requests a running container's supervisor serves, at a high rate plus
every page fault; each user address is mapped back to its input section
through the link map the build writes (build/xc-tools.map, ...). A name the
script lists that a later build lacks matches nothing; a new function lands
in .text until the next run of this script.

    sudo python3 bench/hot-text.py [--build DIR] [--rounds N]

Needs root (it starts containers, as the lifecycle bench does) and perf.
Rebuild afterwards (cmake --build build) and compare with the bench.
"""

import argparse
import bisect
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile

from benchlib import REPO

BINARIES = ("xc-tools", "xc-supervisor")
OUT = REPO / "cmake" / "hot-text.ld"
SERVING_END = "__xc_text_serving_end"  # see lib/src/base/program_text.hpp
# What runs after the supervisor has dropped the rest (program_text.cpp).
ALSO_SERVING = ("*(.text._ZN2xc14StartupRelease7onEventEi)", "*(.text._ZN2xc14StartupRelease7releaseEv)",
                "*(.text._ZN2xc19releaseStartupPagesEv)", "*libc.a:madvise.o(.text)")

# One input section line of a GNU ld map: " NAME ADDR SIZE FILE", or the
# name alone when it is long, then "   ADDR SIZE FILE" on the next line.
SECTION = re.compile(r"^ (\.text\S*)(?:\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(.*))?$")
CONTINUED = re.compile(r"^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(.*)$")


def read_map(path):
    """Sorted [(start, size, section, input file)] of the text input sections."""
    out = []
    with open(path) as f:
        lines = f.read().split("\n")
    try:
        lines = lines[lines.index("Linker script and memory map"):]
    except ValueError:
        sys.exit(f"hot-text.py: {path} is not a GNU ld map")
    i = 0
    while i < len(lines):
        m = SECTION.match(lines[i])
        if m:
            if m.group(2) is None and i + 1 < len(lines) and CONTINUED.match(lines[i + 1]):
                c = CONTINUED.match(lines[i + 1])
                start, size, fil = c.group(1), c.group(2), c.group(3)
                i += 1
            else:
                start, size, fil = m.group(2), m.group(3), m.group(4)
            if start and int(start, 16) and int(size, 16):
                out.append((int(start, 16), int(size, 16), m.group(1), fil.strip()))
        i += 1
    out.sort()
    return out


def resolver_sections(binary, secs):
    """Indices into `secs` of the sections holding the binary's IRELATIVE
    resolvers: every process runs them all before main, each for a moment
    (so sampling rarely sees them), and scattered they cost a fault each."""
    out = subprocess.run(["readelf", "-rW", binary], capture_output=True, text=True, check=True).stdout
    found = set()
    for line in out.split("\n"):
        if "IRELATIV" not in line:
            continue
        ip = int(line.split()[-1], 16)
        k = bisect.bisect_right(secs, (ip, float("inf"))) - 1
        if k >= 0 and ip < secs[k][0] + secs[k][1]:
            found.add(k)
    return found


def rule(section, fil):
    """The linker-script pattern of one input section."""
    m = re.match(r"^(.*)\((.*)\)$", fil)  # ARCHIVE(MEMBER)
    ours = not m or m.group(1).endswith("libxc_static.a")
    if ours and section.startswith(".text.") and section not in (".text.unlikely", ".text.startup", ".text.hot"):
        return f"*({section})"  # a function of ours: its section's name is its own
    if m:  # a library's member, many of whose functions share one .text (glibc)
        return f"*{os.path.basename(m.group(1))}:{m.group(2)}({section})"
    return f"*{os.path.basename(fil)}({section})"


class Recorder:
    """Runs the workload's steps, each under perf, into numbered data files."""

    def __init__(self, build, tmp):
        self.build, self.tmp, self.files, self.n = build, tmp, [], 0
        self.base = os.path.join(tmp, "p")
        os.makedirs(self.base)
        self.env = dict(os.environ)
        self.env.update({"XC_TEMPLATE_DIR": str(REPO / "templates"),
                         "XC_SYSCONF_DIR": str(REPO / "tests/integration/data"), "XC_DATA_DIR": str(REPO / "share"),
                         "XC_LIBEXEC_DIR": build, "XC_SUBID_DIR": str(REPO / "tests/integration/data"),
                         "XC_LOG_DIR": os.path.join(tmp, "log")})

    def tool(self, t, *a):
        return [os.path.join(self.build, "xc-" + t), "-P", self.base, *a]

    def record(self, steps, kind, system_wide=False):
        """kind "serving": a system-wide recording, to catch the supervisors that
        were already running; else the steps' own process trees."""
        self.n += 1
        data = os.path.join(self.tmp, f"{kind}-{self.n}.data")
        sh = "\n".join(" ".join(f"'{a}'" for a in cmd) + " >/dev/null 2>&1" for cmd in steps)
        subprocess.run(["perf", "record", "-q", "-o", data, *(["-a"] if system_wide else []),
                        "-e", "cpu-clock/freq=50000/u", "-e", "page-faults/period=1/u", "--", "sh", "-ec", sh],
                       env=self.env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.files.append((kind, data))


def workload(rec, rounds):
    """The lifecycle steps users run, on a privileged and an unprivileged
    container: each start recorded alone, then what a running container's
    supervisor serves (attach, freeze, info, stop) system-wide."""
    priv = os.path.join(rec.tmp, "priv.conf")
    with open(priv, "w") as f:
        f.write('network = ( { type = "empty"; } );\nsecurity = { privileged = true; };\n')
    for name, extra in (("hot-priv", ["-f", priv]), ("hot-user", [])):
        rec.record([rec.tool("create", "-n", name, "-t", "busybox", *extra)], "tools")
        for r in range(rounds):
            rec.record([rec.tool("start", "-n", name, "-d")], "start")
            stop = rec.tool("stop", "-n", name, *([] if r % 4 == 3 else ["-k"]))  # a clean stop now and then
            rec.record([rec.tool("attach", "-n", name, "--", "true"), rec.tool("freeze", "-n", name),
                        rec.tool("unfreeze", "-n", name), rec.tool("info", "-n", name), rec.tool("ls"),
                        rec.tool("ls", "-f"), stop], "serving", system_wide=True)
        rec.record([rec.tool("destroy", "-n", name)], "tools")


def sections_run(rec, maps):
    """{binary: {section index: programs that ran it}}, and the supervisor's
    sections that ran while it served a running container."""
    users = collections.defaultdict(lambda: collections.defaultdict(set))
    serving = set()
    for kind, data in rec.files:
        out = subprocess.run(["perf", "script", "-i", data, "-F", "comm,ip,dso"], capture_output=True,
                             text=True, check=True).stdout
        for line in out.split("\n"):
            p = line.split()
            if len(p) < 3:
                continue
            b = os.path.basename(p[2].strip("()"))
            if b not in maps:
                continue
            ip, secs = int(p[1], 16), maps[b]
            k = bisect.bisect_right(secs, (ip, float("inf"))) - 1
            if k >= 0 and ip < secs[k][0] + secs[k][1]:
                users[b][k].add(p[0])
                if kind == "serving" and b == "xc-supervisor" and p[0] == "xc-supervisor":
                    serving.add(k)
    return users, serving


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default=str(REPO / "build"), help="the build tree (./build)")
    ap.add_argument("--rounds", type=int, default=40, help="lifecycle rounds per container (40)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        sys.exit("hot-text.py: must run as root (it starts containers)")
    if not shutil.which("perf"):
        sys.exit("hot-text.py: needs perf (apt-get install linux-perf)")
    build = os.path.abspath(args.build)
    maps = {}
    for b in BINARIES:
        m = os.path.join(build, b + ".map")
        if not os.path.exists(m):
            sys.exit(f"hot-text.py: no {m}: build first (the build writes the link maps)")
        maps[b] = read_map(m)
    tmp = tempfile.mkdtemp(prefix="xc-hot-text-")
    rec = Recorder(build, tmp)
    try:
        print(f"hot-text.py: recording {args.rounds} rounds of the lifecycle ...", file=sys.stderr)
        workload(rec, args.rounds)
        users, serving = sections_run(rec, maps)
    finally:
        for name in ("hot-priv", "hot-user"):
            subprocess.run(rec.tool("destroy", "-n", name, "-f"), env=rec.env, capture_output=True)
        shutil.rmtree(tmp, ignore_errors=True)
    # First what a running container's supervisor serves with (kept mapped
    # when it gives back the rest, see base/program_text.hpp), then what all
    # programs run (start-up, option parsing, malloc), then what fewer do,
    # grouped by who runs it; within a group in the old order, so that
    # callers stay near callees.
    rules, seen, total = [], set(), 0

    def place(b, k):
        nonlocal total
        start, size, section, fil = maps[b][k]
        r = rule(section, fil)
        if r not in seen:
            seen.add(r)
            rules.append(r)
            total += size

    for k in sorted(serving):
        place("xc-supervisor", k)
    for r in ALSO_SERVING:
        if r not in seen:
            seen.add(r)
            rules.append(r)
    rules.append(f"{SERVING_END} = .;")
    serving_bytes = total
    # Then what every process runs first: its start-up, together.
    for b in BINARIES:
        for k in sorted(resolver_sections(os.path.join(build, b), maps[b])):
            place(b, k)
    for b in BINARIES:
        for k in sorted(users[b], key=lambda k: (-len(users[b][k]), sorted(users[b][k]), k)):
            place(b, k)
        print(f"hot-text.py: {b}: {len(users[b])} of {len(maps[b])} sections ran", file=sys.stderr)
    with open(OUT, "w") as f:
        f.write("/* The text xc's tools and supervisors run, placed in front of .text so that it\n"
                "   shares a few pages, the supervisor's serving code first: written by\n"
                "   bench/hot-text.py from a sampled lifecycle run (regenerate it there; a\n"
                "   stale name matches nothing). */\n"
                "SECTIONS\n{\n  .text.xc_hot :\n  {\n")
        for r in rules:
            f.write(f"    {r}\n")
        f.write("  }\n}\nINSERT BEFORE .text;\n")
    print(f"hot-text.py: {len(rules) - 1} sections, {total // 1024} KiB (serving {serving_bytes // 1024} KiB) -> {OUT}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
