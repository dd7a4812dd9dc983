# The connection plugin's put_file and fetch_file round-trip a binary file
# through a running container (busybox has no Python, so Ansible's fetch
# and copy modules cannot run there: the plugin is driven directly, as the
# fetch and copy actions drive it). Collections from ANSIBLE_COLLECTIONS_PATH.
# Usage: fetch.py CONTAINER BASE
import os
import sys

from ansible.playbook.play_context import PlayContext
from ansible.plugins.loader import connection_loader

name, base = sys.argv[1], sys.argv[2]
conn = connection_loader.get("xc.containers.xc", PlayContext(), None)
conn.set_options(direct={"remote_addr": name, "xc_path": base})
data = bytes(range(256)) * 4096 + b"\0tail"
src, out = os.path.join(base, ".payload"), os.path.join(base, ".fetched")
with open(src, "wb") as f:
    f.write(data)
try:
    conn.put_file(src, "/tmp/payload")
    conn.fetch_file("/tmp/payload", out)
    with open(out, "rb") as f:
        got = f.read()
    assert got == data, "fetched %d bytes, put %d" % (len(got), len(data))
    rc, stdout, _ = conn.exec_command("wc -c < /tmp/payload")
    assert rc == 0 and int(stdout) == len(data), (rc, stdout)
finally:
    for p in (src, out):
        if os.path.exists(p):
            os.unlink(p)
    conn.close()
print("put_file/fetch_file: ok (%d bytes)" % len(data))
