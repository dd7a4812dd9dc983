# xc.containers.xc: runs tasks inside a running xc container through xc's
# attach (the Python API), as community.general.lxc does through
# python3-lxc. GPL-2.0-or-later.
from __future__ import annotations

DOCUMENTATION = r"""
name: xc
short_description: Run tasks in xc containers
description:
  - Runs commands inside a running xc container through xc's attach, and copies files
    in and out through it. Busybox has no Python, so in a busybox container only C(raw)
    and C(script) tasks run; a container with Python (Debian, Ubuntu) runs every module.
options:
  remote_addr:
    description: The container's name.
    default: inventory_hostname
    vars:
      - name: inventory_hostname
      - name: ansible_host
      - name: ansible_xc_host
  xc_path:
    description: "The base directory (default C($XC_PATH), else xc.conf's path, else C(/var/lib/xc))."
    default: null
    vars:
      - name: ansible_xc_path
      - name: ansible_lxc_path
"""

import os
import tempfile

from ansible.errors import AnsibleConnectionFailure, AnsibleError
from ansible.module_utils.common.text.converters import to_bytes
from ansible.plugins.connection import ConnectionBase

try:
    import xc
except ImportError:
    xc = None


def _status_code(status):
    if status < 0:
        return status
    return os.WEXITSTATUS(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


class Connection(ConnectionBase):
    transport = "xc.containers.xc"
    has_pipelining = True
    default_user = "root"

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.container = None

    def _connect(self):
        super()._connect()
        if xc is None:
            raise AnsibleError("the xc connection needs xc's Python module (python3 -c 'import xc')")
        if self.container is None:
            name = self.get_option("remote_addr")
            try:
                self.container = xc.Container(name, self.get_option("xc_path"))
            except xc.Error as e:
                raise AnsibleConnectionFailure(str(e))
            if not self.container.running:
                raise AnsibleConnectionFailure("container %s is not running" % name)
        self._connected = True
        return self

    def _run(self, argv, stdin=None, stdout=None):
        """(status code, stdout bytes, stderr bytes) of argv inside."""
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
                open(os.devnull, "rb") as null:
            status = self.container.attach_wait(
                xc.attach_run_command, argv, env_policy=xc.LXC_ATTACH_CLEAR_ENV,
                stdin=stdin if stdin is not None else null, stdout=stdout if stdout is not None else out,
                stderr=err)
            if status == -1:
                raise AnsibleConnectionFailure("attach to %s: %s" % (self.container.name, self.container.error))
            out.seek(0)
            err.seek(0)
            return _status_code(status), out.read(), err.read()

    def exec_command(self, cmd, in_data=None, sudoable=False):
        super().exec_command(cmd, in_data=in_data, sudoable=sudoable)
        self._connect()
        if in_data is None:
            return self._run(["/bin/sh", "-c", cmd])
        with tempfile.TemporaryFile() as data:
            data.write(to_bytes(in_data))
            data.seek(0)
            return self._run(["/bin/sh", "-c", cmd], stdin=data)

    def put_file(self, in_path, out_path):
        super().put_file(in_path, out_path)
        self._connect()
        with open(in_path, "rb") as src:
            rc, _, err = self._run(["/bin/sh", "-c", 'cat > "$1"', "sh", out_path], stdin=src)
        if rc != 0:
            raise AnsibleError("put %s to %s:%s: %s" % (in_path, self.container.name, out_path, err.decode()))

    def fetch_file(self, in_path, out_path):
        super().fetch_file(in_path, out_path)
        self._connect()
        with open(out_path, "wb") as dst:
            rc, _, err = self._run(["cat", in_path], stdout=dst)
        if rc != 0:
            raise AnsibleError("fetch %s:%s: %s" % (self.container.name, in_path, err.decode()))

    def close(self):
        super().close()
        self.container = None
        self._connected = False
