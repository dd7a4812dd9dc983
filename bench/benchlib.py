"""What the xc benchmarks share: finding the tools to measure."""

import os
import shutil
import sys
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
        return d, os.path.exists(os.path.join(d, "xc-monitor"))
    for d in (REPO / "build", Path.cwd() / "build"):
        if os.access(d / probe, os.X_OK):
            return str(d), True
    if shutil.which(probe):
        return None, False
    sys.exit(f"{script}: no xc tools: build them (cmake -B build && cmake --build build) "
             "or install them, or pass --xc-bin DIR")


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
