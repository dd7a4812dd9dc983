#!/usr/bin/env bash
# The xc.containers collection with Debian's ansible-core against
# localhost: site.yml creates, configures, starts, clones and freezes
# containers and must report nothing changed on its second run; --check
# creates nothing; command.yml runs a command inside and restarts on a
# config change; inside.yml runs tasks in a container through the
# connection plugin and fetch.py round-trips a file through it (put_file,
# fetch_file); snapshot.yml archives and snapshot-clones; the inventory
# plugin lists the containers; absent.yml
# removes everything (as root).
# Usage: run.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
base=$(mktemp -d /tmp/xc-ansible-XXXXXX)
. "$src/tests/ansible/lib.sh"
local_inv=(-i localhost, -c local)
cleanup() {
    XC_TEST_BASE=$base play "${local_inv[@]}" -- "$src/tests/ansible/absent.yml" >/dev/null || true
    destroy_all "$base"
    rm -rf "$base"
}
trap cleanup EXIT

ansible-galaxy collection list xc.containers -p "$src/share/ansible" | grep -q 'xc.containers' ||
    { echo "ansible-galaxy does not find xc.containers"; exit 1; }

site_sequence localhost "$base" "${local_inv[@]}"
out=$(ansible-playbook -i web, "$src/tests/ansible/inside.yml" 2>&1) || { echo "$out"; exit 1; }
echo "inside: $(recap web "$out")"
/usr/bin/python3 "$src/tests/ansible/fetch.py" web "$base"
# The inventory plugin (base from $XC_PATH): web running in its start.groups.
/usr/bin/python3 -c 'import sys, xc
c = xc.Container("web2", sys.argv[1]); c.unfreeze(); c.shutdown(10)
w = xc.Container("web", sys.argv[1]); w.set_config_item("start.groups", ["frontend", "edge"]); w.save_config()' "$base"
inv=$(XC_PATH=$base ansible-inventory -i "$src/tests/ansible/inventory.xc.yml" --list 2>&1) || { echo "$inv"; exit 1; }
/usr/bin/python3 -c 'import json, sys
inv = json.loads(sys.stdin.read())
web = inv["_meta"]["hostvars"]["web"]
assert web["xc_state"] == "running" and web["xc_init_pid"] > 1, web
assert web["ansible_connection"] == "xc.containers.xc", web
assert set(inv["xc"]["hosts"]) == {"web", "web2"}, inv["xc"]
assert inv["frontend"]["hosts"] == ["web"] and inv["edge"]["hosts"] == ["web"], inv
assert inv["xc_running"]["hosts"] == ["web"] and inv["xc_stopped"]["hosts"] == ["web2"], inv
print("inventory: ok")' <<<"$inv" || { echo "$inv"; exit 1; }
snapshot localhost "$base" "${local_inv[@]}"
absent localhost "$base" "${local_inv[@]}"
echo "ansible: ok"
