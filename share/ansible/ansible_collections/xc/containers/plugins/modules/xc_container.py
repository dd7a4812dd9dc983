#!/usr/bin/python3
# xc.containers.xc_container: one xc system container's life, over xc's
# Python API. GPL-2.0-or-later.
from __future__ import annotations

DOCUMENTATION = r"""
module: xc_container
short_description: Manage xc system containers
description:
  - Creates, configures, starts, stops, restarts, freezes, clones and destroys an xc
    container through xc's Python API (C(import xc)). The options are those of
    C(community.general.lxc_container) where they apply.
  - Idempotent; supports check mode and diff mode.
options:
  name: {description: The container's name., type: str, required: true}
  template: {description: "Template to create it with (C(busybox), C(debian), a path).", type: str, default: busybox}
  template_options: {description: "The template's arguments, one string (split as a shell would).", type: str}
  backing_store: {description: The rootfs backend., type: str, default: dir, choices: [dir, overlay]}
  xc_path:
    description: "The base directory (default C($XC_PATH), else xc.conf's path, else C(/var/lib/xc))."
    type: path
    aliases: [lxc_path]
  container_config:
    description: "Config settings, each C(KEY=VALUE) with xc's dotted keys (C(cgroup.memory.max=256M),
      C(network.0.ipv4=10.0.3.10/24)). A running container whose config changed is restarted
      when I(state) is C(started) or C(restarted)."
    type: list
    elements: str
  container_command:
    description: A command run inside (C(/bin/sh -c)) once the container is running; always a change.
    type: str
  state:
    description: What the container should be.
    type: str
    default: started
    choices: [started, stopped, restarted, absent, frozen, clone]
  clone_name: {description: "The clone's name (I(state=clone)).", type: str}
  clone_snapshot:
    description: "Clone as a copy-on-write snapshot (C(xc-clone -s)): instant, an overlay over the origin's
      rootfs. The origin is then read-only for its clone's sake: xc refuses to start it while the clone
      exists, so a running origin stays stopped after the clone (with a warning)."
    type: bool
    default: false
  archive:
    description: "After the task, write a tarball of the container's directory (its config and its own
      layer: the rootfs of a dir container, the upper layer of an overlay one) to I(archive_path); a
      running container is frozen while it is read, so that nothing inside can change it under the
      reader. Always a change, as in C(community.general.lxc_container)."
    type: bool
    default: false
  archive_path: {description: "The directory the archive is written to (I(archive=true)).", type: path}
  archive_compression:
    description: The archive's compression.
    type: str
    default: gzip
    choices: [gzip, bzip2, xz, none]
requirements: [xc's Python module (python3 -c 'import xc')]
"""

EXAMPLES = r"""
- name: A busybox container with limits, running
  xc.containers.xc_container:
    name: web
    container_config:
      - cgroup.memory.max=128M
      - cgroup.pids.max=64
    state: started
"""

RETURN = r"""
xc_container:
  description: The container after the task (name, state, init_pid, ips, interfaces).
  returned: success
  type: dict
"""

import os
import shlex
import tarfile
import tempfile

from ansible.module_utils.basic import AnsibleModule

try:
    import xc
except ImportError:  # reported by main()
    xc = None


def _value_text(v):
    return ",".join(v) if isinstance(v, list) else v


def _config_changes(c, settings, module):
    """[(key, wanted, current)] of the settings that differ."""
    out = []
    for line in settings or []:
        if "=" not in line:
            module.fail_json(msg="container_config: '%s' is not KEY=VALUE" % line)
        key, value = (p.strip() for p in line.split("=", 1))
        try:
            current = c.get_config_item(key) if c.defined else ""
        except KeyError as e:
            module.fail_json(msg="container_config: %s" % e.args[0])
        if _value_text(current) != value:
            out.append((key, value, _value_text(current)))
    return out


def _facts(c):
    facts = {"name": c.name, "state": c.state.lower(), "init_pid": c.init_pid, "config_path": c.config_path}
    if c.running:
        facts["ips"] = list(c.get_ips())
        facts["interfaces"] = list(c.get_interfaces())
    return facts


class Runner:
    def __init__(self, module):
        self.module = module
        self.changed = False
        self.stdout = self.stderr = ""
        self.rc = None

    def do(self, ok, c, what):
        self.changed = True
        if self.module.check_mode:
            return
        if not ok():
            self.module.fail_json(msg="%s: %s" % (what, c.error), changed=True)

    def ensure_defined(self, c, p):
        if c.defined:
            return
        args = shlex.split(p["template_options"] or "")
        self.do(lambda: c.create(p["template"], 0, args, p["backing_store"]), c, "create")

    def configure(self, c, changes):
        for key, value, _ in changes:
            self.do(lambda: c.set_config_item(key, value), c, "set %s" % key)
        if changes:
            self.do(c.save_config, c, "save the config")

    def run_command(self, c, command):
        self.changed = True
        if self.module.check_mode:
            return
        with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
            status = c.attach_wait(xc.attach_run_command, ["/bin/sh", "-c", command], stdout=out, stderr=err)
            out.seek(0)
            err.seek(0)
            self.stdout, self.stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        self.rc = status >> 8 if status >= 0 else status
        if status != 0:
            self.module.fail_json(msg="container_command failed (%s)" % (c.error or "status %d" % self.rc),
                                  rc=self.rc, stdout=self.stdout, stderr=self.stderr, changed=True)


def _apply_state(r, c, p, config_changed):
    state = p["state"]
    if state in ("started", "frozen"):
        if c.state == "FROZEN" and state == "started":
            r.do(c.unfreeze, c, "unfreeze")
        elif c.running and config_changed:
            r.do(c.shutdown, c, "stop (for the new config)")
            r.do(c.start, c, "start")
        elif not c.running:
            r.do(c.start, c, "start")
        if state == "frozen" and c.state != "FROZEN":
            r.do(c.freeze, c, "freeze")
    elif state == "stopped":
        if c.running:
            r.do(lambda: c.shutdown(30), c, "stop")
    elif state == "restarted":
        if c.running:
            r.do(lambda: c.shutdown(30), c, "stop")
        r.do(c.start, c, "start")
    elif state == "clone":
        if not p["clone_name"]:
            r.module.fail_json(msg="state=clone needs clone_name")
        if not xc.Container(p["clone_name"], p["xc_path"]).defined:
            was_running = c.running
            if was_running:
                r.do(lambda: c.shutdown(30), c, "stop (to clone)")
            flags = xc.LXC_CLONE_SNAPSHOT if p["clone_snapshot"] else 0
            r.do(lambda: c.clone(p["clone_name"], flags=flags) is not False, c, "clone")
            if was_running and p["clone_snapshot"]:
                r.module.warn("%s stays stopped: it is the origin of the snapshot clone %s" % (c.name, p["clone_name"]))
            elif was_running:
                r.do(c.start, c, "start again")


_ARCHIVE_SUFFIX = {"gzip": ("gz", ".tar.gz"), "bzip2": ("bz2", ".tar.bz2"), "xz": ("xz", ".tar.xz"), "none": ("", ".tar")}


def _archive(r, c, p):
    """The container's directory as a tarball in archive_path; the path written."""
    if not p["archive_path"]:
        r.module.fail_json(msg="archive needs archive_path")
    mode, suffix = _ARCHIVE_SUFFIX[p["archive_compression"]]
    target = os.path.join(p["archive_path"], c.name + suffix)
    r.changed = True
    if r.module.check_mode:
        return target
    thaw = c.state == "RUNNING"
    if thaw and not c.freeze():
        r.module.fail_json(msg="archive: freeze %s: %s" % (c.name, c.error), changed=True)
    partial = target + ".partial"
    try:
        os.makedirs(p["archive_path"], exist_ok=True)
        # tarfile never follows a symlink it meets (dereference=False); the
        # container is frozen, so nothing inside swaps a directory for one.
        with tarfile.open(partial, "w:" + mode if mode else "w") as tar:
            tar.add(os.path.dirname(c.config_file_name), arcname=c.name)
        os.replace(partial, target)
    except OSError as e:
        if os.path.exists(partial):
            os.unlink(partial)
        r.module.fail_json(msg="archive %s into %s: %s" % (c.name, target, e), changed=True)
    finally:
        if thaw:
            c.unfreeze()
    return target


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            template=dict(type="str", default="busybox"),
            template_options=dict(type="str"),
            backing_store=dict(type="str", default="dir", choices=["dir", "overlay"]),
            xc_path=dict(type="path", aliases=["lxc_path"]),
            container_config=dict(type="list", elements="str"),
            container_command=dict(type="str"),
            state=dict(type="str", default="started",
                       choices=["started", "stopped", "restarted", "absent", "frozen", "clone"]),
            clone_name=dict(type="str"),
            clone_snapshot=dict(type="bool", default=False),
            archive=dict(type="bool", default=False),
            archive_path=dict(type="path"),
            archive_compression=dict(type="str", default="gzip", choices=["gzip", "bzip2", "xz", "none"]),
        ),
        supports_check_mode=True,
    )
    if xc is None:
        module.fail_json(msg="xc's Python module is not installed (python3 -c 'import xc')")
    p = module.params
    xc.raise_errors(False)
    try:
        c = xc.Container(p["name"], p["xc_path"])
    except xc.Error as e:
        module.fail_json(msg=str(e))
    r = Runner(module)
    before = {"state": c.state.lower() if c.defined else "absent"}
    if p["state"] == "absent":
        if c.defined:
            if c.running:
                r.do(c.stop, c, "stop")
            r.do(c.destroy, c, "destroy")
        module.exit_json(changed=r.changed, diff={"before": before, "after": {"state": "absent"}})
    changes = _config_changes(c, p["container_config"], module)
    r.ensure_defined(c, p)
    if not module.check_mode:
        changes = _config_changes(c, p["container_config"], module)
    was_defined = before["state"] != "absent"
    r.configure(c, changes)
    _apply_state(r, c, p, bool(changes) and was_defined)
    if p["container_command"] and p["state"] in ("started", "restarted"):
        r.run_command(c, p["container_command"])
    archived = _archive(r, c, p) if p["archive"] else None
    after = {"state": p["state"] if module.check_mode else c.state.lower()}
    before["config"] = {k: cur for k, _, cur in changes}
    after["config"] = {k: v for k, v, _ in changes}
    result = dict(changed=r.changed, diff={"before": before, "after": after})
    if not module.check_mode:
        result["xc_container"] = _facts(c)
    if archived:
        result["xc_container"] = dict(result.get("xc_container", {}), archive=archived)
    if r.rc is not None:
        result.update(rc=r.rc, stdout=r.stdout, stderr=r.stderr)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
