#!/usr/bin/python3
# The seed's walkthrough (create, start, look, attach, stop, destroy) with
# xc's Python API and the busybox template, as root:
#   python3 share/examples/seed-walkthrough.py [NAME]
# The base directory is $XC_PATH, else xc.conf's path, else /var/lib/xc.
import sys

import xc

name = sys.argv[1] if len(sys.argv) > 1 else "container-1"
xc.raise_errors(True)  # a failure stops the walk with its reason

c = xc.Container(name)
print("defined:", c.defined)
c.create("busybox")
print("created", c.name, "config", c.config_file_name)
c.start()
print("state:", c.state, "init pid:", c.init_pid)
status = c.attach_wait(xc.attach_run_command, ["ps"])
print("ps exited with", status >> 8)
status = c.attach_wait(xc.attach_run_command, ["cat", "/proc/self/uid_map"])
c.stop()
c.wait("STOPPED", 10)
print("state:", c.state)
c.destroy()
print("destroyed; defined:", c.defined)
