# Shared by run.sh (localhost) and ssh.sh (a second host over ssh): the
# environment that points Ansible at the collection and the xc under test,
# and the playbook sequence both hosts go through.
# Needs $src (source dir), $build (build dir) and $base (a private dir).
export ANSIBLE_COLLECTIONS_PATH=$src/share/ansible ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3
export ANSIBLE_LOCAL_TEMP=$base/.ansible-tmp ANSIBLE_HOME=$base/.ansible ANSIBLE_NOCOLOR=1
export PYTHONPATH=$build/python XC_TEMPLATE_DIR=$src/templates XC_DATA_DIR=$src/share XC_LIBEXEC_DIR=$build
export XC_SYSCONF_DIR=$src/tests/integration/data XC_SUBID_DIR=$src/tests/integration/data

# play INVENTORY-ARGS... -- PLAYBOOK-ARGS...: ansible-playbook, output captured.
play() {
    local inv=()
    while [ "$1" != -- ]; do inv+=("$1"); shift; done
    shift
    ansible-playbook "${inv[@]}" "$@" 2>&1
}
# recap HOST OUTPUT: the "ok=... changed=..." part of HOST's recap line.
recap() { sed -n "s/^$1 *: *\(ok=.*\)/\1/p" <<<"$2"; }

# site_sequence HOST CONTAINER-BASE INVENTORY-ARGS...: site.yml in check
# mode (creates nothing), for real (changes something), again (changes
# nothing, with --diff), then command.yml; the containers live in
# CONTAINER-BASE (the playbooks read it from $XC_TEST_BASE).
site_sequence() {
    local host=$1 cbase=$2 out
    shift 2
    export XC_TEST_BASE=$cbase
    out=$(play "$@" -- --check "$src/tests/ansible/site.yml" -e check_mode=1) || true
    [ ! -e "$cbase/web" ] || { echo "$out"; echo "$host: --check created web"; return 1; }
    out=$(play "$@" -- "$src/tests/ansible/site.yml") || { echo "$out"; return 1; }
    echo "$host first run: $(recap "$host" "$out")"
    grep -Eq 'changed=[1-9]' <<<"$(recap "$host" "$out")" ||
        { echo "$out"; echo "$host: the first run changed nothing"; return 1; }
    out=$(play "$@" -- --diff "$src/tests/ansible/site.yml") || { echo "$out"; return 1; }
    echo "$host second run: $(recap "$host" "$out")"
    grep -q 'changed=0' <<<"$(recap "$host" "$out")" ||
        { echo "$out"; echo "$host: the second run was not idempotent"; return 1; }
    out=$(play "$@" -- "$src/tests/ansible/command.yml") || { echo "$out"; return 1; }
    echo "$host command: $(recap "$host" "$out")"
}

# snapshot HOST CONTAINER-BASE INVENTORY-ARGS...: snapshot.yml (archive and
# snapshot clone; web is stopped after it).
snapshot() {
    local host=$1 cbase=$2 out
    shift 2
    export XC_TEST_BASE=$cbase
    out=$(play "$@" -- "$src/tests/ansible/snapshot.yml") || { echo "$out"; return 1; }
    echo "$host snapshot: $(recap "$host" "$out")"
    grep -q "web stays stopped: it is the origin of the snapshot clone web3" <<<"$out" ||
        { echo "$out"; echo "$host: no warning that web stays stopped"; return 1; }
}

# absent HOST CONTAINER-BASE INVENTORY-ARGS...: absent.yml removes everything.
absent() {
    local host=$1 cbase=$2 out
    shift 2
    export XC_TEST_BASE=$cbase
    out=$(play "$@" -- "$src/tests/ansible/absent.yml") || { echo "$out"; return 1; }
    echo "$host absent: $(recap "$host" "$out")"
    [ -z "$(ls "$cbase")" ] || { ls -la "$cbase"; echo "$host: containers left"; return 1; }
}

# destroy_all CONTAINER-BASE [COMMAND-PREFIX...]: the last-resort cleanup,
# through the Python API (run inside the host's namespaces by the prefix).
destroy_all() {
    local cbase=$1
    shift
    "$@" /usr/bin/python3 -c 'import sys, xc
for c in xc.list_containers(config_path=sys.argv[1], as_object=True):
    c.stop(); c.destroy()' "$cbase" || true
}
