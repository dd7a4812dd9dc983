# The xc Python API on real busybox containers: every Container method and
# module function, their error cases, and what they must not do to the
# calling interpreter (namespaces, cwd, umask, cgroup, the GIL).
import errno
import os
import signal
import tempfile
import threading
import time

import pytest

import xc


def run(c, *argv, **kw):
    """attach_wait of argv; returns (status, stdout text)."""
    with tempfile.TemporaryFile() as out:
        status = c.attach_wait(xc.attach_run_command, list(argv), stdout=out, **kw)
        out.seek(0)
        return status, out.read().decode()


def test_create_defines_and_destroy_removes(base):
    c = xc.Container("c1", base)
    assert not c.defined and c.state == "STOPPED" and not c.running and c.init_pid == -1
    assert c.name == "c1" and c.config_path == base
    assert c.config_file_name == os.path.join(base, "c1", "config")
    assert c.create("busybox"), c.error
    assert c.defined and os.path.isfile(c.config_file_name)
    assert xc.list_containers(config_path=base) == ("c1",)
    assert c.destroy(), c.error
    assert not c.defined and not os.path.exists(os.path.join(base, "c1"))


def test_start_state_wait_stop(busybox):
    c = busybox
    assert c.start(), c.error
    assert c.state == "RUNNING" and c.running and c.init_pid > 1
    assert c.wait("RUNNING", 1)
    os.kill(c.init_pid, 0)  # a host pid
    assert c.stop(), c.error
    assert c.wait("STOPPED", 5) and c.state == "STOPPED" and c.init_pid == -1


def test_shutdown_is_clean_and_reboot_restarts_the_init(running):
    c = running
    pid = c.init_pid
    assert c.reboot(), c.error
    deadline = time.time() + 20
    while time.time() < deadline and (c.init_pid in (-1, pid) or c.state != "RUNNING"):
        time.sleep(0.1)
    assert c.state == "RUNNING" and c.init_pid not in (-1, pid)
    assert c.shutdown(20), c.error
    assert c.state == "STOPPED"


def test_freeze_and_unfreeze(running):
    c = running
    assert c.freeze(), c.error
    assert c.state == "FROZEN"
    assert c.attach_wait(xc.attach_run_command, ["true"]) == -1
    assert "frozen" in c.error
    assert c.unfreeze(), c.error
    assert c.state == "RUNNING"


def test_wait_times_out(running):
    t = time.time()
    assert not running.wait("FROZEN", 0.5)
    assert 0.4 < time.time() - t < 5
    assert running.error


def test_start_in_the_foreground_returns_when_it_stops(busybox):
    assert busybox.start(daemonize=False, cmd=["/bin/sh", "-c", "exit 0"]), busybox.error
    assert busybox.state == "STOPPED"


def test_useinit_is_refused(busybox):
    assert not busybox.start(useinit=True, cmd=["/bin/true"])
    assert "useinit" in busybox.error


def test_attach_wait_status_stdio_env_and_user(running):
    c = running
    status, out = run(c, "sh", "-c", "echo hello; exit 3")
    assert os.WIFEXITED(status) and status >> 8 == 3 and out == "hello\n"
    status, out = run(c, "sh", "-c", "echo $FOO-$HOME", env_policy=xc.LXC_ATTACH_CLEAR_ENV,
                      extra_env_vars=["FOO=bar"])
    assert status == 0 and out == "bar-/root\n"
    os.environ["XC_PY_KEPT"] = "kept"
    status, out = run(c, "sh", "-c", "echo $XC_PY_KEPT")
    assert out == "kept\n"  # LXC_ATTACH_KEEP_ENV is the default, as in python3-lxc
    status, out = run(c, "sh", "-c", "id -u; id -g; pwd", uid=1000, gid=1001, initial_cwd="/tmp")
    assert status == 0 and out.split() == ["1000", "1001", "/tmp"]
    status, _ = run(c, "sh", "-c", "kill -9 $$")
    assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL


def test_attach_wait_stdin_and_shell(running):
    with tempfile.TemporaryFile() as inp, tempfile.TemporaryFile() as out:
        inp.write(b"echo from-shell\nexit 4\n")
        inp.seek(0)
        status = running.attach_wait(xc.attach_run_shell, None, stdin=inp, stdout=out.fileno())
        out.seek(0)
        assert status >> 8 == 4 and out.read() == b"from-shell\n"


def test_attach_wait_of_a_missing_command(running):
    status = running.attach_wait(xc.attach_run_command, ["/no/such/program"])
    assert status >> 8 == 127
    assert "/no/such/program" in running.error


def test_attach_returns_a_pid_to_reap(running):
    pid = running.attach(xc.attach_run_command, ["sh", "-c", "sleep 0.2; exit 5"])
    assert pid > 0
    _, status = os.waitpid(pid, 0)
    assert os.WEXITSTATUS(status) == 5


def test_attach_rejects_python_functions(running):
    with pytest.raises(TypeError):
        running.attach_wait(lambda: 0, None)
    with pytest.raises(TypeError):
        xc.attach_run_command(["true"])


def _process_state():
    ns = {n: os.readlink("/proc/self/ns/" + n) for n in os.listdir("/proc/self/ns")}
    umask = os.umask(0o22)
    os.umask(umask)
    with open("/proc/self/cgroup") as f:
        cg = f.read()
    return ns, os.getcwd(), umask, cg, os.getuid(), os.getgid(), signal.pthread_sigmask(signal.SIG_BLOCK, [])


def test_no_call_changes_the_interpreter(running):
    before = _process_state()
    run(running, "true")
    running.attach(xc.attach_run_command, ["true"])
    os.wait()
    running.get_ips()
    running.get_interfaces()
    running.get_cgroup_item("pids.max")
    assert running.freeze() and running.unfreeze()
    assert _process_state() == before


def test_the_gil_is_released_while_attached(running):
    ticks = []
    stop = threading.Event()

    def tick():
        while not stop.is_set():
            ticks.append(1)
            time.sleep(0.01)

    t = threading.Thread(target=tick)
    t.start()
    try:
        run(running, "sleep", "1")
    finally:
        stop.set()
        t.join()
    assert len(ticks) > 30


def test_cgroup_items(running):
    assert running.set_cgroup_item("pids.max", "77"), running.error
    assert running.get_cgroup_item("pids.max") == "77"
    assert not running.set_cgroup_item("pids.max", "lots")
    assert "pids.max" in running.error
    assert running.stop()
    assert running.get_cgroup_item("pids.max") is False
    assert "is not running" in running.error
    assert not running.set_cgroup_item("pids.max", "10")


def test_clone_copies_and_rename_moves(busybox, base):
    c = busybox
    copy = c.clone("bb2")
    assert isinstance(copy, xc.Container), c.error
    assert copy.defined and copy.name == "bb2" and copy.get_config_item("uts.hostname") == "bb2"
    other = tempfile.mkdtemp(prefix="xc-py-other-")
    try:
        far = c.clone("far", config_path=other)
        assert far and far.config_path == other and far.defined
        assert far.start(), far.error
        assert run(far, "cat", "/etc/hostname")[1].strip() == "far"
        assert far.stop() and far.destroy()
    finally:
        for n in xc.list_containers(config_path=other):
            xc.Container(n, other).destroy()
        os.rmdir(other)
    snap = c.clone("bb3", flags=xc.LXC_CLONE_SNAPSHOT)
    assert snap, c.error
    assert snap.get_config_item("rootfs.backend") == "overlay"
    assert snap.start(), snap.error
    assert run(snap, "sh", "-c", "echo mine > /snap-only; cat /etc/hostname")[1].strip() == "bb3"
    assert snap.stop()
    assert not os.path.exists(os.path.join(base, "bb", "rootfs", "snap-only"))
    assert not c.start() and "bb3" in c.error  # an origin with a snapshot clone stays stopped
    assert snap.destroy(), snap.error
    assert c.clone("bb7", flags=xc.LXC_CLONE_KEEPNAME) is False and "KEEPNAME" in c.error
    assert c.clone("bb2") is False and "already exists" in c.error
    assert copy.rename("bb4"), copy.error
    assert copy.name == "bb4" and copy.defined and not xc.Container("bb2", base).defined
    assert c.start()
    assert c.clone("bb5") is False and c.error
    assert not c.rename("bb6") and c.error


def test_list_containers(busybox, base):
    other = xc.Container("bb-other", base)
    assert other.create("busybox")
    assert busybox.start()
    assert xc.list_containers(config_path=base) == ("bb", "bb-other")
    assert xc.list_containers(defined=False, config_path=base) == ("bb",)
    objs = xc.list_containers(as_object=True, config_path=base)
    assert [o.name for o in objs] == ["bb", "bb-other"] and objs[0].running


def test_config_items_are_validated_and_saved(busybox):
    c = busybox
    assert c.get_config_item("uts.hostname") == "bb"
    assert c.get_config_item("cgroup.memory.max") == ""
    assert c.set_config_item("cgroup.memory.max", "64M"), c.error
    assert c.get_config_item("cgroup.memory.max") == "64M"
    assert c.set_config_item("cgroup.pids.max", 99) and c.get_config_item("cgroup.pids.max") == "99"
    assert c.set_config_item("start.auto", True) and c.get_config_item("start.auto") == "true"
    assert c.set_config_item("start.groups", ["web", "db"]) and c.get_config_item("start.groups") == ["web", "db"]
    assert c.append_config_item("start.groups", "late")
    assert c.get_config_item("start.groups") == ["web", "db", "late"]
    # Unsaved: the file and another object still have the old config.
    assert xc.Container("bb", c.config_path).get_config_item("cgroup.memory.max") == ""
    assert c.save_config(), c.error
    again = xc.Container("bb", c.config_path)
    assert again.get_config_item("cgroup.memory.max") == "64M"
    assert again.get_config_item("start.groups") == ["web", "db", "late"]
    assert c.clear_config_item("start.groups") and c.get_config_item("start.groups") == []
    assert "cgroup.memory.max" in c.get_keys() and "network.[].ipv4" in c.get_keys()
    assert "network.0.ipv4" in c.get_keys("network.0")
    assert "cgroup.memory.max" in c.get_keys("cgroup.memory")
    assert all(k.startswith("cgroup.memory.") for k in c.get_keys("cgroup.memory"))


def test_load_config_drops_unsaved_changes(busybox, base):
    c = busybox
    assert c.set_config_item("uts.hostname", "changed")
    assert c.load_config(), c.error
    assert c.get_config_item("uts.hostname") == "bb"
    other = os.path.join(base, "other.conf")
    assert c.set_config_item("uts.hostname", "elsewhere") and c.save_config(other)
    assert c.load_config() and c.get_config_item("uts.hostname") == "bb"
    assert c.load_config(other) and c.get_config_item("uts.hostname") == "elsewhere"
    assert not c.load_config(os.path.join(base, "missing.conf")) and "missing.conf" in c.error


def test_config_errors(busybox):
    c = busybox
    assert not c.set_config_item("cgroup.memory.max", "lots")
    assert "cgroup.memory.max" in c.error and "lots" in c.error
    assert c.get_config_item("cgroup.memory.max") == ""  # the bad value was not kept
    assert not c.set_config_item("cgroup.memory.maxx", "1G")
    assert "unknown config key" in c.error
    assert not c.set_config_item("cgroup", "1G") and "group" in c.error
    assert not c.set_config_item("network.3.type", "veth") and "elements" in c.error
    with pytest.raises(KeyError):
        c.get_config_item("no.such.key")
    with pytest.raises(KeyError):
        c.get_keys("no.such")
    with pytest.raises(TypeError):
        c.set_config_item("uts.hostname", 1.5)


def test_unsaved_config_is_used_by_start(busybox):
    c = busybox
    assert c.set_config_item("cgroup.memory.max", "96M")
    assert c.start(), c.error
    assert c.get_config_item("cgroup.memory.max") == "96M"
    assert c.get_cgroup_item("memory.max") == str(96 << 20)


def test_network_items_and_addresses(busybox, bridge):
    c = busybox
    assert c.set_config_item("network.0.type", "veth"), c.error
    assert c.set_config_item("network.0.link", bridge), c.error
    assert c.set_config_item("network.0.ipv4", "10.254.231.2/24"), c.error
    assert c.get_config_item("network.0.ipv4") == "10.254.231.2/24"
    assert c.save_config()
    assert c.start(), c.error
    assert set(c.get_interfaces()) >= {"lo", "eth0"}
    assert c.get_ips() == ("10.254.231.2",)
    assert c.get_ips(family="inet", interface="eth0") == ("10.254.231.2",)
    assert c.get_ips(family="inet6") == ()
    assert "127.0.0.1" in c.get_ips(interface="lo", scope=254)
    with pytest.raises(ValueError):
        c.get_ips(family="ipx")
    assert c.clear_config_item("network.0"), c.error
    assert c.get_config_item("network.0.ipv4") == ""


def test_errors_of_stopped_and_missing_containers(base):
    with pytest.raises(xc.Error):
        xc.Container("bad/name", base)
    with pytest.raises(RuntimeError):  # python3-lxc raises RuntimeError there
        xc.Container("-x", base)
    c = xc.Container("ghost", base)
    assert not c.start() and "no such container" in c.error
    assert not c.stop() and c.error
    assert c.get_ips() == () and c.error
    assert c.attach_wait(xc.attach_run_command, ["true"]) == -1 and c.error
    assert not c.destroy() and c.error
    assert c.get_config_item("uts.hostname") is False and "no such container" in c.error
    assert c.create("busybox")
    assert not c.create("busybox") and "exists" in c.error
    assert not c.stop() and "is not running" in c.error
    assert c.attach(xc.attach_run_command, ["true"]) == -1 and "is not running" in c.error
    assert c.start(), c.error
    assert not c.start() and "running" in c.error
    assert not c.destroy() and "running" in c.error
    assert c.stop()


def test_raise_errors(base):
    c = xc.Container("r1", base)
    assert xc.raise_errors(True) is False
    try:
        with pytest.raises(xc.Error) as e:
            c.stop()
        assert e.value.errno == errno.ENOENT
        assert isinstance(e.value.chain, list) and e.value.chain[0] == "r1"
        assert "no such container" in str(e.value) and str(e.value) == c.error
        assert c.create("busybox") is True
        with pytest.raises(xc.Error) as e:
            c.stop()
        assert e.value.errno == errno.ESRCH
    finally:
        assert xc.raise_errors(False) is True


def test_console_detaches_on_the_escape(running):
    rin, win = os.pipe()
    rout, wout = os.pipe()
    os.write(win, b"\x01q")
    try:
        assert running.console(ttynum=0, stdinfd=rin, stdoutfd=wout), running.error
    finally:
        for fd in (rin, win, rout, wout):
            os.close(fd)
    assert running.state == "RUNNING"


def test_snapshot_list_restore_and_destroy(busybox, base):
    c = busybox
    keep = os.path.join(base, "bb", "rootfs", "root", "keep")
    with open(keep, "w") as f:
        f.write("v1\n")
    assert c.snapshot("first") == "snap0", c.error
    assert c.snapshot() == "snap1", c.error
    snaps = c.snapshot_list()
    assert [s[0] for s in snaps] == ["snap0", "snap1"]
    name, comment, when, size = snaps[0]
    assert comment == "first" and when.endswith("Z") and size > 0
    os.unlink(keep)
    assert c.snapshot_restore("snap0"), c.error
    assert open(keep).read() == "v1\n"
    assert c.snapshot_restore("snap1", "bb5"), c.error
    new = xc.Container("bb5", base)
    assert new.defined and new.get_config_item("uts.hostname") == "bb5"
    assert c.snapshot_restore("snap9") is False and "snap9" in c.error
    assert not c.destroy() and "snap0, snap1" in c.error
    assert c.snapshot_destroy("snap1"), c.error
    assert [s[0] for s in c.snapshot_list()] == ["snap0"]
    assert c.destroy_with_snapshots(), c.error
    assert not c.defined
