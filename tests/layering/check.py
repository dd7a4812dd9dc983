#!/usr/bin/env python3
"""Checks libxc's architecture rules on the source tree.

  - every folder under lib/src is a module declared in lib/CMakeLists.txt;
  - a module includes only its own headers, the public headers of modules it
    depends on (transitively) and the private headers of those modules;
  - public headers (lib/include/xc) include only public headers;
  - tools include only public headers and their own (the library's helper
    programs in tools/monitor excepted), and so does the Python binding;
  - no library file over 800 lines, no function over 80.

Usage: check.py SOURCE_DIR MODULE_GRAPH (the build's xc-modules.txt).
Exits 1 listing every violation.
"""
import os
import re
import sys

MAX_FILE_LINES = 800
MAX_FUNCTION_LINES = 80

# Which module implements each public header.
PUBLIC_OWNER = {
    "result.hpp": "base", "fd.hpp": "base", "log.hpp": "base", "paths.hpp": "base",
    "state.hpp": "base", "config.hpp": "config", "settings.hpp": "config",
    "container.hpp": "api", "hostcheck.hpp": "base", "hostprobe.hpp": "api",
    "context.hpp": "api", "supervisor.hpp": "monitor", "terminal.hpp": "pty",
    "bridge.hpp": "net", "autostart.hpp": "api", "config_editor.hpp": "config",
    "events.hpp": "monitor", "layers.hpp": "image", "import_lxc.hpp": "lxcimport", "attach.hpp": "enter",
}

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"')


def read_graph(path):
    graph = {}
    with open(path) as f:
        for line in f:
            if ":" not in line:
                continue
            name, deps = line.split(":", 1)
            graph[name.strip()] = deps.split()
    return graph


def closure(graph, name):
    seen, todo = set(), list(graph.get(name, []))
    while todo:
        d = todo.pop()
        if d not in seen:
            seen.add(d)
            todo.extend(graph.get(d, []))
    return seen


def includes(path):
    with open(path, errors="replace") as f:
        for n, line in enumerate(f, 1):
            m = INCLUDE.match(line)
            if m:
                yield n, m.group(1)


def owner_of(inc):
    """The module an include belongs to, or None for a tool-local header."""
    head, _, tail = inc.partition("/")
    if not tail:
        return None
    if head == "xc":
        return PUBLIC_OWNER.get(tail, "?public:" + tail)
    return head


def long_functions(path):
    """(line, length) of each namespace-level function body over the limit."""
    out = []
    with open(path, errors="replace") as f:
        lines = f.read().split("\n")
    start = None
    for i, line in enumerate(lines):
        if start is None:
            if (line and not line[0].isspace() and line.rstrip().endswith("{") and "(" in line
                    and not re.match(r"(namespace|struct|class|enum|union|extern)\b", line)):
                start = i
        elif line.rstrip() == "}" or line.startswith("};"):
            length = i - start + 1
            if length > MAX_FUNCTION_LINES:
                out.append((start + 1, length))
            start = None
    return out


def main():
    src, graph_file = sys.argv[1], sys.argv[2]
    graph = read_graph(graph_file)
    problems = []
    lib_src = os.path.join(src, "lib", "src")
    for module in sorted(os.listdir(lib_src)):
        mdir = os.path.join(lib_src, module)
        if not os.path.isdir(mdir):
            problems.append(f"lib/src/{module}: a file outside any module folder")
            continue
        if module not in graph:
            problems.append(f"lib/src/{module}: not declared with xc_module() in lib/CMakeLists.txt")
            continue
        allowed = closure(graph, module) | {module}
        for fname in sorted(os.listdir(mdir)):
            rel = f"lib/src/{module}/{fname}"
            path = os.path.join(mdir, fname)
            for n, inc in includes(path):
                owner = owner_of(inc)
                if owner is None:
                    problems.append(f"{rel}:{n}: include \"{inc}\" by a path without its module")
                elif owner not in allowed:
                    problems.append(f"{rel}:{n}: module '{module}' includes \"{inc}\" of module '{owner}', "
                                    f"which it does not depend on (deps: {' '.join(sorted(allowed - {module})) or 'none'})")
            nlines = sum(1 for _ in open(path, errors="replace"))
            if nlines > MAX_FILE_LINES:
                problems.append(f"{rel}: {nlines} lines (limit {MAX_FILE_LINES})")
            for line, length in long_functions(path):
                problems.append(f"{rel}:{line}: function of {length} lines (limit {MAX_FUNCTION_LINES})")

    inc_dir = os.path.join(src, "lib", "include", "xc")
    for fname in sorted(os.listdir(inc_dir)):
        if fname not in PUBLIC_OWNER:
            problems.append(f"lib/include/xc/{fname}: a public header this check does not know "
                            "(add it to PUBLIC_OWNER with the module that implements it)")
        for n, inc in includes(os.path.join(inc_dir, fname)):
            if not inc.startswith("xc/"):
                problems.append(f"lib/include/xc/{fname}:{n}: public header includes private \"{inc}\"")

    # The Python binding is a client of the public API, as the tools are.
    for fname in sorted(os.listdir(os.path.join(src, "python"))):
        if not fname.endswith((".cpp", ".hpp")):
            continue
        path = os.path.join(src, "python", fname)
        for n, inc in includes(path):
            if "/" in inc and not inc.startswith(("xc/", "pybind11/")):
                problems.append(f"python/{fname}:{n}: the binding includes private library header \"{inc}\"")
        for line, length in long_functions(path):
            problems.append(f"python/{fname}:{line}: function of {length} lines (limit {MAX_FUNCTION_LINES})")

    tools = os.path.join(src, "tools")
    for root, _, files in os.walk(tools):
        for fname in sorted(files):
            path = os.path.join(root, fname)
            rel = os.path.relpath(path, src)
            # tools/monitor holds the library's own helper programs (the
            # supervisor, the attach helper): one-line mains over library
            # internals that libxc runs itself, not clients of its API.
            helper = os.path.relpath(root, tools) == "monitor"
            for n, inc in includes(path):
                if "/" in inc and not inc.startswith("xc/") and not helper:
                    problems.append(f"{rel}:{n}: tool includes private library header \"{inc}\"")
            for line, length in long_functions(path):
                problems.append(f"{rel}:{line}: function of {length} lines (limit {MAX_FUNCTION_LINES})")

    for p in problems:
        print(p)
    print(f"{len(problems)} layering problem(s)" if problems else "layering: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
