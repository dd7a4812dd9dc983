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
