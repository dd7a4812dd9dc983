# xc.containers.xc (inventory): this host's xc containers as hosts, with
# their state and addresses, grouped by start.groups, by state and all in
# the group "xc". GPL-2.0-or-later.
from __future__ import annotations

DOCUMENTATION = r"""
name: xc
short_description: This host's xc containers as an inventory
description:
  - One host per container under the base directory, with the variables C(xc_state)
    (C(running), C(stopped), C(frozen), ...), C(xc_ips), C(xc_init_pid),
    C(ansible_connection=xc.containers.xc) and C(ansible_xc_path). Groups are C(xc),
    C(xc_STATE) and each name of the container's C(start.groups).
  - The inventory file is YAML whose C(plugin) is C(xc.containers.xc); it must end in
    C(xc.yml) or C(xc.yaml).
options:
  plugin:
    description: The name of this plugin.
    required: true
    choices: [xc.containers.xc]
  xc_path:
    description: "The base directory (default C($XC_PATH), else xc.conf's path, else C(/var/lib/xc))."
    type: path
    aliases: [lxc_path]
"""

EXAMPLES = r"""
# inventory.xc.yml
plugin: xc.containers.xc
xc_path: /var/lib/xc
"""

import re

from ansible.errors import AnsibleParserError
from ansible.plugins.inventory import BaseInventoryPlugin

try:
    import xc
except ImportError:
    xc = None


class InventoryModule(BaseInventoryPlugin):
    NAME = "xc.containers.xc"

    def verify_file(self, path):
        return super().verify_file(path) and path.endswith(("xc.yml", "xc.yaml"))

    def parse(self, inventory, loader, path, cache=True):
        super().parse(inventory, loader, path, cache)
        if xc is None:
            raise AnsibleParserError("the xc inventory needs xc's Python module (python3 -c 'import xc')")
        self._read_config_data(path)
        base = self.get_option("xc_path")
        xc.raise_errors(False)
        try:
            containers = xc.list_containers(config_path=base, as_object=True)
        except xc.Error as e:
            raise AnsibleParserError("list xc containers: %s" % e)
        self.inventory.add_group("xc")
        for c in containers:
            self._add(c)

    def _add(self, c):
        state = c.state.lower()
        host = self.inventory.add_host(c.name, group="xc")
        for k, v in (("xc_state", state), ("xc_init_pid", c.init_pid), ("xc_config_path", c.config_path),
                     ("xc_ips", list(c.get_ips()) if c.running else []),
                     ("ansible_connection", "xc.containers.xc"), ("ansible_xc_path", c.config_path)):
            self.inventory.set_variable(host, k, v)
        groups = ["xc_" + state]
        try:
            groups += c.get_config_item("start.groups") or []
        except KeyError:
            pass
        for g in groups:
            g = re.sub(r"[^A-Za-z0-9_]", "_", g)
            self.inventory.add_group(g)
            self.inventory.add_child(g, host)
