// The default of each container-config key as the manual states it
// (xc.container.conf(5), generated from the schema by share/man/gen). A key
// without an entry has no default: it is unset and nothing is written for
// it. tests/unit/keydoc_test.cpp checks these against what the parser and
// the runtime really do, and the generator refuses an entry for a key that
// the schema does not have.
#include "config/config_internal.hpp"
#include "config/config_table.hpp"

#include <cstring>

namespace xc::config_detail {

namespace {

struct KeyDefault {
    const char* path;
    const char* text;
};

const KeyDefault kDefaults[] = {
    {"name", "none; the key is required (xc-create writes it)"},
    {"rootfs.path", "none; the key is required (xc-create writes BASE/NAME/rootfs)"},
    {"rootfs.backend", "\"dir\""},
    {"rootfs.lower", "none (xc-create -B overlay and xc-clone -s write it)"},
    {"rootfs.upper", "none (xc-create -B overlay and xc-clone -s write BASE/NAME/overlay/upper)"},
    {"rootfs.idmap", "\"auto\""},
    {"rootfs.shifted", "none (the owners on disk are as the container sees them)"},
    {"uts.hostname", "the container name"},
    {"init.cmd", "[ \"/sbin/init\" ]"},
    {"init.halt_signal", "SIGRTMIN+3 when the init's executable is systemd, else SIGPWR"},
    {"init.reboot_signal", "SIGTERM after a halt signal of SIGUSR1, SIGRTMIN+5 after SIGRTMIN+3, else SIGINT"},
    {"init.cwd", "/"},
    {"init.user", "0:0 (root)"},
    {"environment", "[ ] (init always gets container=xc, TERM=linux, PATH and HOME=/root)"},
    {"tty.count", "0"},
    {"tty.login", "[ ] (the guest's init runs whatever it runs on the ttys; the busybox template writes [ \"/sbin/getty\", \"-L\", \"0\", \"%t\", \"vt100\" ])"},
    {"console.log", "none (the console is kept in memory only)"},
    {"console.log_size", "1M"},
    {"console.log_count", "2"},
    {"console.buffer_size", "128K"},
    {"network", "( ) (a network namespace of its own with loopback only)"},
    {"network.[].type", "none; every entry needs one"},
    {"network.[].link", "none (a veth is then attached to no bridge)"},
    {"network.[].name", "the first free eth0, eth1, ..."},
    {"network.[].hwaddr", "xc-create writes a random 00:16:3e:xx:xx:xx; else one derived from the container"},
    {"network.[].macvlan_mode", "\"private\""},
    {"network.[].mtu", "the bridge's MTU (veth), else the kernel's default"},
    {"network.[].ipv4", "none (DHCP inside, by the guest)"},
    {"network.[].host_name", "xc<hash of the container>-<index>"},
    {"mounts", "( )"},
    {"mounts.[].optional", "false"},
    {"mounts.[].create", "a missing target is made: a file when the source is a file, else a directory"},
    {"start.auto", "false"},
    {"start.delay", "0"},
    {"start.order", "0"},
    {"start.groups", "[ ]"},
    {"hooks.pre_start", "[ ]"},
    {"hooks.start_host", "[ ]"},
    {"hooks.mount", "[ ]"},
    {"hooks.start", "[ ]"},
    {"hooks.stop", "[ ]"},
    {"hooks.post_stop", "[ ]"},
    {"hooks.clone", "[ ]"},
    {"hooks.destroy", "[ ]"},
    {"hooks.timeout", "30"},
    {"security.cap_drop", "[ ] (the installed default.conf drops sys_module, sys_rawio, sys_time, mac_admin, mac_override)"},
    {"security.seccomp", "\"default\""},
    {"security.allow_host_network", "false"},
    {"security.idmap_isolated", "false (the first 65536 of root's ids, shared)"},
    {"security.nesting", "false (no proc for nested containers)"},
    {"security.privileged", "false (with idmap: a user namespace; without: the host's root)"},
    {"idmap", "( ) (no user namespace)"},
    {"lxcfs", "\"auto\" (on when lxcfs is mounted at xc.conf's lxcfs.path, /var/lib/lxcfs)"},
};

}  // namespace

const char* keyDefault(const char* path) {
    for (const auto& d : kDefaults)
        if (std::strcmp(d.path, path) == 0) return d.text;
    return nullptr;
}

std::vector<std::string> keysWithDefaults() {
    std::vector<std::string> out;
    for (const auto& d : kDefaults) out.push_back(d.path);
    return out;
}

}  // namespace xc::config_detail
