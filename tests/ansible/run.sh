#!/usr/bin/env bash
# The xc.containers collection with Debian's ansible-core against
# localhost: site.yml creates, configures, starts, clones and freezes
# containers and must report nothing changed on its second run; --check
# creates nothing; command.yml runs a command inside and restarts on a
# config change; absent.yml removes everything (as root).
# Usage: run.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
base=$(mktemp -d /tmp/xc-ansible-XXXXXX)
export XC_TEST_BASE=$base
export ANSIBLE_COLLECTIONS_PATH=$src/share/ansible ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
export ANSIBLE_LOCAL_TEMP=$base/.ansible-tmp ANSIBLE_HOME=$base/.ansible ANSIBLE_NOCOLOR=1
export PYTHONPATH=$build/python XC_TEMPLATE_DIR=$src/templates XC_DATA_DIR=$src/share XC_LIBEXEC_DIR=$build
export XC_SYSCONF_DIR=$src/tests/integration/data XC_SUBID_DIR=$src/tests/integration/data
cleanup() {
    ansible-playbook -i localhost, "$src/tests/ansible/absent.yml" >/dev/null 2>&1 || true
    /usr/bin/python3 -c 'import sys, xc
for c in xc.list_containers(config_path=sys.argv[1], as_object=True):
    c.stop(); c.destroy()' "$base" || true
    rm -rf "$base"
}
trap cleanup EXIT
play() { ansible-playbook -i localhost, "$@" 2>&1; }
recap() { sed -n 's/.*localhost *: *\(ok=.*\)/\1/p' <<<"$1"; }

ansible-galaxy collection list xc.containers -p "$src/share/ansible" | grep -q 'xc.containers' ||
    { echo "ansible-galaxy does not find xc.containers"; exit 1; }

out=$(play --check "$src/tests/ansible/site.yml" -e check_mode=1) || true
[ ! -e "$base/web" ] || { echo "--check created web"; echo "$out"; exit 1; }

out=$(play "$src/tests/ansible/site.yml") || { echo "$out"; exit 1; }
echo "first run: $(recap "$out")"
grep -Eq 'changed=[1-9]' <<<"$(recap "$out")" || { echo "$out"; echo "the first run changed nothing"; exit 1; }
out=$(play --diff "$src/tests/ansible/site.yml") || { echo "$out"; exit 1; }
echo "second run: $(recap "$out")"
grep -q 'changed=0' <<<"$(recap "$out")" || { echo "$out"; echo "the second run was not idempotent"; exit 1; }

out=$(play "$src/tests/ansible/command.yml") || { echo "$out"; exit 1; }
echo "command: $(recap "$out")"
out=$(ansible-playbook -i web, "$src/tests/ansible/inside.yml" 2>&1) || { echo "$out"; exit 1; }
echo "inside: $(sed -n 's/.*web *: *\(ok=.*\)/\1/p' <<<"$out")"
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
out=$(play "$src/tests/ansible/absent.yml") || { echo "$out"; exit 1; }
echo "absent: $(recap "$out")"
[ -z "$(ls "$base")" ] || { ls -la "$base"; echo "containers left"; exit 1; }
echo "ansible: ok"
