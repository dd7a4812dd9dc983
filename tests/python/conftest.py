# Fixtures of the Python API tests: every test gets its own base directory
# (config_path) under /tmp and, if it asks, its own bridge; whatever a test
# leaves (containers running or not, the bridge) is removed afterwards,
# also when it fails.
import os
import shutil
import subprocess
import tempfile

import pytest

import xc


def _destroy_all(base):
    for c in xc.list_containers(config_path=base, as_object=True):
        if c.running:
            c.stop()
        c.destroy()


@pytest.fixture
def base():
    was = xc.raise_errors(False)
    path = tempfile.mkdtemp(prefix="xc-py-")
    try:
        yield path
    finally:
        xc.raise_errors(False)
        _destroy_all(path)
        shutil.rmtree(path, ignore_errors=True)
        xc.raise_errors(was)


@pytest.fixture
def bridge():
    """A bridge of this test alone (no address, no DHCP): containers get static addresses."""
    name = "xcpy%d" % (os.getpid() % 100000)
    subprocess.run(["ip", "link", "add", name, "type", "bridge"], check=True)
    try:
        subprocess.run(["ip", "link", "set", name, "up"], check=True)
        yield name
    finally:
        subprocess.run(["ip", "link", "del", name], check=False)


@pytest.fixture
def busybox(base):
    """A created (stopped) busybox container."""
    c = xc.Container("bb", base)
    assert c.create("busybox"), c.error
    return c


@pytest.fixture
def running(busybox):
    assert busybox.start(), busybox.error
    yield busybox
    if busybox.running:
        busybox.stop()
