#!/usr/bin/python3
# A provisioning script written the way python3-lxc scripts are, run
# unchanged but for its first import (was: `import lxc`). The base directory
# comes from $XC_PATH (as an LXC script's from the default lxcpath); the
# config keys are xc's (DESIGN.md: the dotted libconfig paths).
# Usage: lxc_style_script.py NAME BRIDGE ADDRESS/PREFIX
import os
import sys
import time

import xc as lxc

name, bridge, address = sys.argv[1:4]

c = lxc.Container(name)
if c.defined:
    print("Container already exists", file=sys.stderr)
    sys.exit(1)

# Create the container rootfs
if not c.create("busybox", lxc.LXC_CREATE_QUIET):
    print("Failed to create the container rootfs: %s" % c.error, file=sys.stderr)
    sys.exit(1)

# Limits and network
for key, value in (("cgroup.memory.max", "128M"), ("cgroup.pids.max", "64"),
                   ("network.0.type", "veth"), ("network.0.link", bridge),
                   ("network.0.ipv4", address)):
    if not c.set_config_item(key, value):
        print("Failed to set %s: %s" % (key, c.error), file=sys.stderr)
        sys.exit(1)
c.save_config()

# Start the container
if not c.start():
    print("Failed to start the container", file=sys.stderr)
    sys.exit(1)
print("Container state: %s" % c.state)
print("Container PID: %s" % c.init_pid)

# Query some information
if not c.wait("RUNNING", 10):
    sys.exit("not running")
ips = ()
for _ in range(50):
    ips = c.get_ips()
    if ips:
        break
    time.sleep(0.1)
print("Container IPs: %s" % ", ".join(ips))
print("Memory limit: %s" % c.get_cgroup_item("memory.max"))

# Run a command inside
with open(os.path.join(os.environ["XC_PATH"], "out.txt"), "w") as out:
    rc = c.attach_wait(lxc.attach_run_command, ["sh", "-c", "hostname; echo ok"], stdout=out)
if rc != 0:
    print("attach failed: %d" % (rc >> 8), file=sys.stderr)
    sys.exit(1)

# Stop the container
if not c.shutdown(30):
    print("Failed to cleanly shutdown the container, forcing.")
    if not c.stop():
        print("Failed to kill the container", file=sys.stderr)
        sys.exit(1)

# Clone it, list, destroy both
clone = c.clone(name + "-copy")
if not clone:
    print("Failed to clone: %s" % c.error, file=sys.stderr)
    sys.exit(1)
print("Containers: %s" % " ".join(lxc.list_containers()))
for ct in (clone, c):
    if not ct.destroy():
        print("Failed to destroy %s" % ct.name, file=sys.stderr)
        sys.exit(1)
print("Containers left: %d" % len(lxc.list_containers()))
