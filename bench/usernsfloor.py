"""The kernel's floor of what an unprivileged start adds, without the tools.

Times, from Python through ctypes (about a microsecond per call of its own),
the system calls that an unprivileged xc start makes and a privileged one
does not:

  * a user namespace: unshare(CLONE_NEWUSER) in a child interpreter (the
    supervisor asks for it in the clone3 of the init: the same work);
  * its maps: open, write and close /proc/PID/uid_map and gid_map, as root
    from the parent;
  * the idmapped rootfs: open /proc/PID/ns/user, open_tree(OPEN_TREE_CLONE |
    AT_RECURSIVE) of the rootfs and mount_setattr(MOUNT_ATTR_IDMAP), against
    the plain open_tree of a privileged start;
  * the device nodes: binding the six host nodes (null zero full random
    urandom tty) onto files in a fresh tmpfs (open O_PATH, an empty file,
    open_tree, move_mount), against mknod of the same six.

The device part runs in a forked child with a mount namespace of its own, so
every mount it makes goes away with it (its first sample pays for the pages
the fork left shared: the median does not).  Nothing here needs a container.
"""

import ctypes
import json
import os
import subprocess
import sys
import time

CLONE_NEWUSER = 0x10000000
CLONE_NEWNS = 0x00020000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
MNT_DETACH = 2
AT_FDCWD = -100
AT_EMPTY_PATH = 0x1000
AT_RECURSIVE = 0x8000
OPEN_TREE_CLONE = 1
OPEN_TREE_CLOEXEC = os.O_CLOEXEC
MOUNT_ATTR_IDMAP = 0x00100000
MOVE_MOUNT_F_EMPTY_PATH = 0x4
MOVE_MOUNT_T_EMPTY_PATH = 0x40
# The mount API's numbers are the same on every architecture (asm-generic).
SYS_OPEN_TREE = 428
SYS_MOVE_MOUNT = 429
SYS_MOUNT_SETATTR = 442

DEVICES = (("null", 1, 3), ("zero", 1, 5), ("full", 1, 7), ("random", 1, 8),
           ("urandom", 1, 9), ("tty", 5, 0))

MAP = b"0 100000 65536\n"

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


class MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def _check(rc, what):
    if rc < 0:
        e = ctypes.get_errno()
        raise OSError(e, f"{what}: {os.strerror(e)}")
    return rc


def open_tree(dfd, path, flags):
    return _check(_libc.syscall(SYS_OPEN_TREE, dfd, path.encode(), flags), f"open_tree {path!r}")


def move_mount(from_fd, to_fd):
    _check(_libc.syscall(SYS_MOVE_MOUNT, from_fd, b"", to_fd, b"",
                         MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH), "move_mount")


def mount_setattr_idmap(tree, userns):
    a = MountAttr(MOUNT_ATTR_IDMAP, 0, 0, userns)
    _check(_libc.syscall(SYS_MOUNT_SETATTR, tree, b"", AT_EMPTY_PATH | AT_RECURSIVE,
                         ctypes.byref(a), ctypes.sizeof(a)), "mount_setattr MOUNT_ATTR_IDMAP")


def _us(t0):
    return (time.perf_counter_ns() - t0) / 1000.0


# The child that makes the user namespace: a fresh interpreter, started with
# subprocess (vfork and exec), so that this process shares no pages with it.
# A fork() would leave every page of this interpreter copy-on-write, and the
# faults of the first writes after it cost more than the steps timed here.
USERNS_CHILD = r"""
import ctypes, sys, time
f = ctypes.CDLL(None, use_errno=True).unshare
f(0)
time.perf_counter_ns()
t = time.perf_counter_ns()
rc = f(0x10000000)
dt = (time.perf_counter_ns() - t) / 1000.0
sys.stdout.write("%d %d %f\n" % (rc, ctypes.get_errno(), dt))
sys.stdout.flush()
sys.stdin.read(1)
"""


def userns_sample(rootfs):
    """One user namespace: {step: microseconds}."""
    p = subprocess.Popen([sys.executable, "-I", "-S", "-c", USERNS_CHILD], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, text=True)
    out = {}
    try:
        line = p.stdout.readline().split()
        if len(line) != 3:
            raise OSError(0, "the user namespace child said nothing")
        rc, err, dt = int(line[0]), int(line[1]), float(line[2])
        if rc != 0:
            raise OSError(err, "unshare(CLONE_NEWUSER): " + os.strerror(err))
        out["userns"] = dt
        t0 = time.perf_counter_ns()
        for f in ("uid_map", "gid_map"):
            fd = os.open(f"/proc/{p.pid}/{f}", os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.write(fd, MAP)
            finally:
                os.close(fd)
        out["maps"] = _us(t0)
        t0 = time.perf_counter_ns()
        ns = os.open(f"/proc/{p.pid}/ns/user", os.O_RDONLY | os.O_CLOEXEC)
        tree = open_tree(AT_FDCWD, rootfs, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)
        mount_setattr_idmap(tree, ns)
        out["idmapped_tree"] = _us(t0)
        os.close(ns)
        os.close(tree)  # (a detached tree: its release is not timed)
        t0 = time.perf_counter_ns()
        tree = open_tree(AT_FDCWD, rootfs, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE)
        out["plain_tree"] = _us(t0)
        os.close(tree)
    finally:
        try:
            p.stdin.write("x")
            p.stdin.close()
        except OSError:
            pass
        p.stdout.close()
        p.wait()
    return out


def _mount_tmpfs(path):
    _check(_libc.mount(b"tmpfs", path.encode(), b"tmpfs", 0, b"mode=755,size=64k"), "mount tmpfs " + path)


def _dev_samples(scratch, n):
    """In a mount namespace of our own: n samples of binding vs mknod."""
    _check(_libc.unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)")
    _check(_libc.mount(None, b"/", None, MS_REC | MS_PRIVATE, None), "make mounts private")
    binds, mknods = [], []
    for _ in range(n):
        _mount_tmpfs(scratch)
        d = os.open(scratch, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        t0 = time.perf_counter_ns()
        for name, _maj, _min in DEVICES:
            src = os.open("/dev/" + name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC)
            os.fstat(src)
            os.close(os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o666, dir_fd=d))
            tgt = os.open(name, os.O_PATH | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=d)
            tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH)
            move_mount(tree, tgt)
            for fd in (tree, tgt, src):
                os.close(fd)
        binds.append(_us(t0))
        os.close(d)
        _check(_libc.umount2(scratch.encode(), MNT_DETACH), "umount " + scratch)
        _mount_tmpfs(scratch)
        d = os.open(scratch, os.O_PATH | os.O_DIRECTORY | os.O_CLOEXEC)
        t0 = time.perf_counter_ns()
        for name, major, minor in DEVICES:
            os.mknod(name, 0o20666, os.makedev(major, minor), dir_fd=d)
        mknods.append(_us(t0))
        os.close(d)
        _check(_libc.umount2(scratch.encode(), MNT_DETACH), "umount " + scratch)
    return {"dev_bind": binds, "dev_mknod": mknods}


def dev_samples(scratch, n):
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            try:
                data = {"ok": _dev_samples(scratch, n)}
            except OSError as e:
                data = {"error": str(e)}
            os.write(w, json.dumps(data).encode())
        finally:
            os._exit(0)
    os.close(w)
    chunks = []
    while True:
        b = os.read(r, 65536)
        if not b:
            break
        chunks.append(b)
    os.close(r)
    os.waitpid(pid, 0)
    data = json.loads(b"".join(chunks) or b'{"error": "no answer"}')
    if "error" in data:
        raise OSError(0, data["error"])
    return data["ok"]


def measure(rootfs, scratch, n):
    """{step: [microseconds]}: n user namespaces and n device sets."""
    out = {"userns": [], "maps": [], "idmapped_tree": [], "plain_tree": []}
    for _ in range(n):
        for k, v in userns_sample(rootfs).items():
            out[k].append(v)
    out.update(dev_samples(scratch, n))
    return out
