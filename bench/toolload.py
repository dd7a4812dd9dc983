#!/usr/bin/env python3
"""What a tool pays before it does anything: shared libraries loaded, the
dynamic loader's relocations and time, and the wall time of many runs of
`xc-ls --version` and of `xc-info` on a missing container, against
/bin/true. With --ref DIR (repeatable), the same for a copy of an earlier build in the
same run, interleaved (before/after from one run).

  python3 bench/toolload.py                       # build/ of this repository
  python3 bench/toolload.py --runs 200 --ref /var/tmp/xc-before [--ref ...]

A directory is a build tree (its libxc in lib/) or a copy of one: DIR/xc-ls,
DIR/xc-info and DIR/lib/libxc.so.0. Needs no root. Not a test."""

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchlib  # noqa: E402


def env_for(d):
    env = dict(os.environ)
    # A copy's RUNPATH still names the tree it was built in: LD_LIBRARY_PATH wins.
    env["LD_LIBRARY_PATH"] = os.path.join(d, "lib")
    return env


def loaded_libraries(d, tool):
    """The shared objects the loader maps for tool (what ldd lists), vdso excluded."""
    env = env_for(d)
    env["LD_TRACE_LOADED_OBJECTS"] = "1"
    out = subprocess.run([os.path.join(d, tool)], env=env, capture_output=True, text=True).stdout
    return [ln.split()[0] for ln in out.splitlines() if ln.strip() and "vdso" not in ln]


def loader_statistics(d, cmd):
    """The loader's own figures for one run (LD_DEBUG=statistics)."""
    env = env_for(d)
    env["LD_DEBUG"] = "statistics"
    err = subprocess.run(cmd, env=env, capture_output=True, text=True).stderr
    stats = {}
    for key, pat in (("relocations", r"final number of relocations: (\d+)"),
                     ("relative", r"number of relative relocations: (\d+)"),
                     ("startup_cycles", r"total startup time in dynamic loader: (\d+)")):
        m = re.search(pat, err)
        stats[key] = int(m.group(1)) if m else None
    return stats


def commands(d, base):
    return {
        "xc-ls --version": [os.path.join(d, "xc-ls"), "--version"],
        "xc-info (missing)": [os.path.join(d, "xc-info"), "-P", base, "-n", "missing", "-s"],
    }


def time_once(cmd, env):
    t = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--xc-bin", help="the build to measure (default: build/ of this repository)")
    ap.add_argument("--ref", action="append", default=[],
                    help="an earlier build (or a copy of one) to measure in the same run; repeatable")
    ap.add_argument("--runs", type=int, default=200)
    a = ap.parse_args()
    cur, _ = benchlib.find_xc(a.xc_bin, "toolload.py", probe="xc-ls")
    builds = {"xc": cur}
    for i, r in enumerate(a.ref):
        builds["xc-ref" + (str(i + 1) if len(a.ref) > 1 else "")] = os.path.abspath(r)
    watch = benchlib.LoadWatch()
    with tempfile.TemporaryDirectory(prefix="xc-toolload-") as base:
        for label, d in builds.items():
            st = loader_statistics(d, commands(d, base)["xc-ls --version"])
            if st["relocations"] is None:  # no loader ran: a static program
                print(f"{label:7} {d}: xc-ls is static (no shared objects, no loader)")
                continue
            libs = loaded_libraries(d, "xc-ls")
            print(f"{label:7} {d}: xc-ls loads {len(libs)} shared objects; loader: "
                  f"{st['relocations']} symbol relocations, {st['relative']} relative, "
                  f"{st['startup_cycles']} cycles")
        samples = {(label, name): [] for label in builds for name in commands(cur, base)}
        samples.update({("/bin/true", "/bin/true"): []})
        envs = {label: env_for(d) for label, d in builds.items()}
        for i in range(a.runs):
            # Interleaved, so that a change of load hits every build alike.
            for label, d in builds.items():
                for name, cmd in commands(d, base).items():
                    samples[(label, name)].append(time_once(cmd, envs[label]))
            samples[("/bin/true", "/bin/true")].append(time_once(["/bin/true"], None))
    print(f"\n{a.runs} runs each, wall time per run in ms: median (min-max), total")
    for (label, name), v in samples.items():
        ms = [x * 1000 for x in v]
        print(f"  {label:9} {name:20} {statistics.median(ms):6.2f} ({min(ms):.2f}-{max(ms):.2f})"
              f"  total {sum(v):.2f} s")
    print(benchlib.describe_load(watch.finish()))


if __name__ == "__main__":
    main()
