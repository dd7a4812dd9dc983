#!/usr/bin/env bash
# The same playbooks as run.sh, against a second host reached over ssh:
# an sshd (Debian's dropbear) in a network namespace of its own, with a
# mount namespace of its own (its own /etc/passwd, in which root's home is
# a directory of the test's: authorized_keys, Ansible's
# remote tmp), running the xc under test. Ansible connects to it from this
# host over a veth pair; the containers it makes must live on that host
# (their supervisors in its network namespace) and nothing of this
# host's /root is touched (as root; the source tree may be under /root, so
# that stays visible).
# Usage: ssh.sh SOURCE_DIR BUILD_DIR
set -euo pipefail
src=$1 build=$2
base=$(mktemp -d /tmp/xc-ansible-ssh-XXXXXX)
. "$src/tests/ansible/lib.sh"
ns=xc-ans-$$ hostif=xcans$$ nsif=xcansr$$
sub=$(( $$ % 250 + 1 ))
hostaddr=10.251.$sub.1 remoteaddr=10.251.$sub.2 port=2222
rbase=$base/remote-containers
mkdir -p "$rbase" "$base/remote-root/.ssh" "$base/control"
chmod 700 "$base/remote-root" "$base/remote-root/.ssh"

cleanup() {
    if ip netns list | grep -qw "$ns"; then
        destroy_all "$rbase" nsenter --net="/run/netns/$ns"
        # dropbear and its sessions (Ansible's persistent connections keep
        # some open), and any leftover of the remote host.
        ip netns pids "$ns" | xargs -r kill -9 2>/dev/null || true
        ip netns del "$ns"
    fi
    ip link del "$hostif" 2>/dev/null || true
    # The client side of those persistent connections (ssh masters).
    pkill -9 -f -- "$base/control" 2>/dev/null || true
    rm -rf "$base"
}
trap cleanup EXIT

ip netns add "$ns"
ip link add "$hostif" type veth peer name "$nsif" netns "$ns"
ip addr add "$hostaddr/30" dev "$hostif"
ip link set "$hostif" up
ip -n "$ns" addr add "$remoteaddr/30" dev "$nsif"
ip -n "$ns" link set "$nsif" up
ip -n "$ns" link set lo up

ssh-keygen -q -t ed25519 -N '' -f "$base/id"
cp "$base/id.pub" "$base/remote-root/.ssh/authorized_keys"
awk -F: -v OFS=: -v home="$base/remote-root" '$1 == "root" { $6 = home } 1' /etc/passwd >"$base/passwd"
dropbearkey -t ed25519 -f "$base/hostkey" >/dev/null
# The remote host's environment is the installed xc's (dropbear -e hands
# it to the sessions); root's home there is its own. nsenter, not ip netns exec:
# that one mounts a fresh /sys, which hides the cgroup hierarchies.
nsenter --net="/run/netns/$ns" unshare --mount --propagation private sh -c '
    mount --bind "$1" /etc/passwd && shift && exec "$@"' sh "$base/passwd" \
    dropbear -e -s -F -E -p "$remoteaddr:$port" -r "$base/hostkey" 2>"$base/dropbear.log" &
for _ in $(seq 100); do
    ip netns exec "$ns" ss -Htln "sport = :$port" | grep -q . && break
    sleep 0.1
done

cat >"$base/inventory.ini" <<INV
remote ansible_host=$remoteaddr ansible_port=$port ansible_user=root ansible_connection=ssh ansible_ssh_private_key_file=$base/id ansible_ssh_transfer_method=piped ansible_python_interpreter=/usr/bin/python3 ansible_ssh_common_args='-F /dev/null -o IdentitiesOnly=yes -o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=$base/known_hosts'
INV
export ANSIBLE_SSH_CONTROL_PATH_DIR=$base/control
remote_inv=(-i "$base/inventory.ini")

# Over ssh, the remote session's home is its own, not this host's /root.
out=$(ansible -i "$base/inventory.ini" remote -m raw -a 'echo "$HOME"; ls -A ~; ls ~/.ssh' 2>&1) ||
    { echo "$out"; cat "$base/dropbear.log"; exit 1; }
[ "$(grep -Ev '^(remote |Warning|Shared)' <<<"$out" | tr -d '\r' | xargs)" = "$base/remote-root .ssh authorized_keys" ] ||
    { echo "$out"; echo "the remote's home is not its own"; exit 1; }

site_sequence remote "$rbase" "${remote_inv[@]}"
# web runs on the remote host: its supervisor (the init's parent; the init
# has a network namespace of its own) is in the remote's.
pid=$(nsenter --net="/run/netns/$ns" /usr/bin/python3 -c 'import sys, xc
print(xc.Container("web", sys.argv[1]).init_pid)' "$rbase")
sup=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status")
[ "$(ip netns identify "$sup")" = "$ns" ] ||
    { echo "web's supervisor $sup is not on the remote host (netns '$(ip netns identify "$sup")')"; exit 1; }
echo "remote: web's supervisor $sup runs in netns $ns"
snapshot remote "$rbase" "${remote_inv[@]}"
absent remote "$rbase" "${remote_inv[@]}"
echo "ansible over ssh: ok"
