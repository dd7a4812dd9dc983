"""Where an xc start spends its time, from `strace -f -ttt -T`.

Under strace every system call costs some 10-30 µs more than without, so the
times here are inflated; what carries over is the number of system calls in
each phase and which ones an unprivileged start adds.  The phases of a start:

  1. xc-start until the supervisor clones the init (config, locks, cgroups);
  2. the supervisor from that clone to its "go" (unprivileged: the maps, the
     cgroup given to the container's root, the idmapped tree of the rootfs;
     both: the init moved into its cgroup, the network);
  3. the init's first process from "go" to the exec of the init (rootfs,
     /dev, /proc, /sys, the ptys, pivot_root, capabilities, seccomp), with
     its /dev part on its own line;
  4. from the exec of the init until xc-start returns.
"""

import os
import re
import signal
import subprocess
import time

LINE = re.compile(r"^(\d+)\s+(\d+\.\d+)\s+(.*)$")
RESUMED = re.compile(r"^<\.\.\. (\w+) resumed>(.*)$")
CALL = re.compile(r"^(\w+)\(")
DURATION = re.compile(r"<(\d+\.\d+)>\s*$")
RETVAL = re.compile(r"\)\s*=\s*(-?\d+)")
MAP_FILE = re.compile(r'"/proc/\d+/[ug]id_map"')


def trace_daemonizing(cmd, env, out, tmp, timeout=60):
    """strace -f a tool that leaves a daemon behind (xc-start and its
    supervisor): wait for the tool itself to exit, then detach strace from
    the rest (SIGINT makes strace detach and exit)."""
    log = open(os.path.join(tmp, "strace.stderr"), "w")
    p = subprocess.Popen(["strace", "-f", "-ttt", "-T", "-s", "64", "-o", out, *cmd], env=env,
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + timeout
        while True:
            first, done = _first_pid_done(out)
            if done:
                break
            if p.poll() is not None:
                break
            if time.monotonic() > deadline:
                raise OSError(0, f"strace of {' '.join(cmd)}: the tool did not exit in {timeout} s")
            time.sleep(0.02)
    finally:
        if p.poll() is None:
            p.send_signal(signal.SIGINT)
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
        log.close()
    if not first:
        raise OSError(0, f"strace of {' '.join(cmd)} wrote nothing")


def _first_pid_done(path):
    try:
        with open(path) as f:
            text = f.read()
    except OSError:
        return None, False
    m = LINE.match(text.split("\n", 1)[0])
    if not m:
        return None, False
    pid = m.group(1)
    return pid, re.search(rf"^{pid}\s+\S+\s+\+\+\+ exited", text, re.M) is not None


def parse(path):
    """[(pid, start, name, text, seconds)] of the system calls, in the order they
    started; an exit is ("+++", text)."""
    calls = []
    pending = {}
    with open(path) as f:
        for line in f:
            m = LINE.match(line.rstrip("\n"))
            if not m:
                continue
            pid, ts, rest = int(m.group(1)), float(m.group(2)), m.group(3)
            if rest.startswith("+++") or rest.startswith("---"):
                calls.append((pid, ts, rest[:3], rest, 0.0))
                continue
            r = RESUMED.match(rest)
            if r:
                i = pending.pop(pid, None)
                if i is not None:
                    p, t0, name, text, _ = calls[i]
                    text += r.group(2)
                    d = DURATION.search(text)
                    calls[i] = (p, t0, name, text, float(d.group(1)) if d else 0.0)
                continue
            c = CALL.match(rest)
            if not c:
                continue
            if rest.endswith("<unfinished ...>"):
                pending[pid] = len(calls)
                calls.append((pid, ts, c.group(1), rest[:-len("<unfinished ...>")], 0.0))
            else:
                d = DURATION.search(rest)
                calls.append((pid, ts, c.group(1), rest, float(d.group(1)) if d else 0.0))
    return calls


def totals(path):
    calls = parse(path)
    syscalls = [c for c in calls if c[2] not in ("+++", "---")]
    if not calls:
        return {"wall_s": 0.0, "syscalls": 0}
    end = max(c[1] + c[4] for c in calls)
    return {"wall_s": end - calls[0][1], "syscalls": len(syscalls)}


def first_arg(text):
    return re.split(r"[,)]", text[text.index("(") + 1:], 1)[0].strip()


def _find(calls, pred, start=0):
    for i in range(start, len(calls)):
        if pred(calls[i]):
            return i
    return None


def start_phases(path):
    """The phases of one traced xc-start, and the -T sums of what an
    unprivileged start adds."""
    calls = parse(path)
    if not calls:
        raise ValueError(f"{path}: empty trace")
    tool = calls[0][0]
    t0 = calls[0][1]
    i_end = _find(calls, lambda c: c[0] == tool and c[2] == "+++")
    i_clone = _find(calls, lambda c: c[2] in ("clone3", "clone") and "CLONE_NEWPID" in c[3])
    if i_end is None or i_clone is None:
        raise ValueError(f"{path}: no exit of xc-start or no clone of the init in the trace")
    monitor = calls[i_clone][0]
    rv = RETVAL.search(calls[i_clone][3])
    init = int(rv.group(1)) if rv else None
    i_go = _find(calls, lambda c: c[0] == monitor and c[2] in ("sendmsg", "sendto") and '"go"' in c[3],
                 i_clone)
    i_exec = _find(calls, lambda c: c[0] == init and c[2] == "execve", i_clone)
    i_dev = _find(calls, lambda c: c[0] == init and c[2] == "openat2" and '"dev"' in c[3], i_clone)
    i_dev_end = _find(calls, lambda c: c[0] == init and c[2] == "symlinkat" and '"/proc/self/fd"' in c[3],
                      i_dev or i_clone)
    if None in (i_go, i_exec):
        raise ValueError(f"{path}: no 'go' from the supervisor or no exec of the init")
    t = lambda i: calls[i][1]  # noqa: E731
    t_end = t(i_end)

    def window(a, b):
        return {"wall_s": t(b) - t(a), "syscalls": sum(1 for c in calls[a:b] if c[2] not in ("+++", "---"))}
    phases = {
        "tool_to_clone": window(0, i_clone),
        "supervisor_clone_to_go": window(i_clone, i_go),
        "child_go_to_exec": window(i_go, i_exec),
        "child_dev": window(i_dev, i_dev_end) if i_dev is not None and i_dev_end is not None else None,
        "exec_to_return": {"wall_s": t_end - t(i_exec),
                           "syscalls": sum(1 for c in calls[i_exec:] if c[1] <= t_end and c[2] not in ("+++", "---"))},
        "total": {"wall_s": t_end - t0,
                  "syscalls": sum(1 for c in calls if c[1] <= t_end and c[2] not in ("+++", "---"))},
    }
    # What an unprivileged start adds, by kind: the -T of each call summed.
    cats = {"maps": [0, 0.0], "cgroup_chown": [0, 0.0], "idmap": [0, 0.0], "ns_root": [0, 0.0],
            "mknod": [0, 0.0], "clone_init": [1, calls[i_clone][4]]}
    map_fds = set()
    for pid, _ts, name, text, d in calls:
        cat = None
        if name == "openat" and MAP_FILE.search(text):
            rv = RETVAL.search(text)
            if rv:
                map_fds.add((pid, rv.group(1)))
            cat = "maps"
        elif name in ("write", "close") and (pid, first_arg(text)) in map_fds:
            if name == "close":
                map_fds.discard((pid, first_arg(text)))
            cat = "maps"
        elif name in ("fchown", "fchownat") and pid == monitor:
            cat = "cgroup_chown"
        elif (name == "mount_setattr" and "MOUNT_ATTR_IDMAP" in text) or (
                name == "openat" and "/ns/user" in text and pid == monitor):
            cat = "idmap"
        elif name in ("setresuid", "setresgid", "setgroups") and pid == init:
            cat = "ns_root"
        elif name == "mknodat" and pid == init:
            cat = "mknod"
        if cat:
            cats[cat][0] += 1
            cats[cat][1] += d
    return {"phases": phases, "categories": {k: {"calls": v[0], "strace_T_s": v[1]} for k, v in cats.items()}}


PHASES = (("tool_to_clone", "1. xc-start until the init's clone"),
          ("supervisor_clone_to_go", "2. supervisor: clone → go"),
          ("child_go_to_exec", "3. init's process: go → exec"),
          ("child_dev", "   of which /dev"),
          ("exec_to_return", "4. exec of the init → xc-start returns"),
          ("total", "xc-start, all"))

CATEGORIES = (("clone_init", "clone3 of the init (user ns made here when unpriv)"),
              ("maps", "uid_map + gid_map (open, write, close)"),
              ("cgroup_chown", "cgroup given to the container's root (fchown*)"),
              ("idmap", "idmapped rootfs (open ns/user, mount_setattr)"),
              ("ns_root", "become root of the user ns (setres*id, setgroups)"),
              ("mknod", "mknodat of the device nodes"))


def _median(values):
    values = sorted(v for v in values if v is not None)
    if not values:
        return None
    n = len(values)
    return values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2


def print_report(trace, labels):
    """trace: kind -> {"start": [start_phases()], "attach": [totals()]}; medians."""
    keys = [k for k in trace if trace[k]["start"]]
    if not keys:
        return
    n = min(len(trace[k]["start"]) for k in keys)
    head = [f"strace of {n} starts: phase, medians"] + [f"{labels[k]}: ms (syscalls)" for k in keys]
    rows = []
    for p, label in PHASES:
        row = [label]
        for k in keys:
            ph = [s["phases"].get(p) for s in trace[k]["start"]]
            ph = [x for x in ph if x]
            row.append("-" if not ph else f"{1000 * _median([x['wall_s'] for x in ph]):.1f} "
                                          f"({_median([x['syscalls'] for x in ph]):.0f})")
        rows.append(row)
    for c, label in CATEGORIES:
        row = ["  " + label]
        for k in keys:
            cts = [s["categories"][c] for s in trace[k]["start"]]
            calls = _median([x["calls"] for x in cts])
            row.append(f"{calls:.0f} calls, -T {1000 * _median([x['strace_T_s'] for x in cts]):.2f} ms"
                       if calls else "-")
        rows.append(row)
    row = ["xc-attach -- true, all"]
    for k in keys:
        a = trace[k]["attach"]
        row.append("-" if not a else f"{1000 * _median([x['wall_s'] for x in a]):.1f} "
                                     f"({_median([x['syscalls'] for x in a]):.0f})")
    rows.append(row)
    widths = [max(len(r[i]) for r in rows + [head]) for i in range(len(head))]
    print(" | ".join(h.ljust(w) for h, w in zip(head, widths)).rstrip())
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
    print("(times under strace: each system call costs some 10-30 µs more than without)")
