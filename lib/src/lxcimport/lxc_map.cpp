// The LXC key table (lxc_map.hpp): one row per LXC key, its xc key or the
// reason it is not imported. Keys are the 3.x names (lxc_config.cpp turns
// the 2.x ones into them); a row ending in '*' covers a family of keys.
#include "lxcimport/lxc_map.hpp"

#include "lxcimport/lxc_state.hpp"

namespace xc::lxcimport {

namespace {

using Handler = void (*)(State& s, MapRow& row);

struct LxcKey {
    const char* key;      // exact, or a prefix ending in '*'
    Handler handle;       // null: not imported, for `reason`
    const char* reason;
};

#define H []([[maybe_unused]] State & s, MapRow & row)

const char* const kNoAppArmor =
    "xc does not confine with AppArmor; its seccomp profile, dropped capabilities, masked /proc files and read-only "
    "/sys confine the container instead";

const std::vector<LxcKey> kTable = {
    {"lxc.uts.name", H { s.scalar(row, "uts.hostname", unquote(row.lxc.value)); }, ""},
    {"lxc.arch", H { s.arch(row); }, ""},
    {"lxc.rootfs.path", H { row.xc = "(the root file system: " + s.rootfsNote() + ")"; }, ""},
    {"lxc.rootfs.mount", nullptr, "xc mounts the root on its own rootfs.path; no mount point is needed"},
    {"lxc.rootfs.options", nullptr, "xc has no mount options for the root file system"},
    {"lxc.rootfs.managed", nullptr, "xc always owns the root file system it copied"},
    {"lxc.rootfs.backend", nullptr, "an LXC 2.x hint; the backend is read from lxc.rootfs.path"},
    {"lxc.net", H { s.netReset(row); }, ""},
    {"lxc.net.*", H { s.net(row); }, ""},
    {"lxc.cgroup.devices.*", nullptr,
     "xc's device allow-list is its own (the standard devices of a system container, share/security)"},
    {"lxc.cgroup2.devices.*", nullptr,
     "xc's device allow-list is its own (the standard devices of a system container, share/security)"},
    {"lxc.cgroup.dir*", nullptr, "xc places the container's cgroup itself (under xc.conf's cgroup parent)"},
    {"lxc.cgroup.relative", nullptr, "xc places the container's cgroup itself (under xc.conf's cgroup parent)"},
    {"lxc.cgroup.pattern", nullptr, "xc places the container's cgroup itself (under xc.conf's cgroup parent)"},
    {"lxc.cgroup.*", H { s.cgroup(row, false); }, ""},
    {"lxc.cgroup2.*", H { s.cgroup(row, true); }, ""},
    {"lxc.mount.entry", H { s.mountEntry(row); }, ""},
    {"lxc.mount.fstab", H { s.mountFstab(row); }, ""},
    {"lxc.mount.auto", nullptr,
     "xc mounts /proc (masked), /sys (read-only) and the container's cgroup itself, as LXC's proc:mixed sys:ro "
     "cgroup:mixed"},
    {"lxc.autodev", nullptr, "xc always makes the container's /dev itself (a tmpfs with the standard devices)"},
    {"lxc.autodev.tmpfs.size", nullptr, "xc's /dev tmpfs has a fixed size"},
    {"lxc.start.auto", H { s.scalar(row, "start.auto", row.lxc.value == "1" ? "true" : "false"); }, ""},
    {"lxc.start.delay", H { s.scalar(row, "start.delay", row.lxc.value); }, ""},
    {"lxc.start.order", H { s.scalar(row, "start.order", row.lxc.value); }, ""},
    {"lxc.group", H { s.listItem(row, "start.groups", " \t,"); }, ""},
    {"lxc.hook.version", H { row.xc = "(hooks get LXC's arguments and LXC_* variables: version " + row.lxc.value + ")"; }, ""},
    {"lxc.hook.*", H { s.hook(row); }, ""},
    {"lxc.tty.max", H { s.scalar(row, "tty.count", row.lxc.value); }, ""},
    {"lxc.tty.dir", nullptr, "xc makes the ttys as /dev/ttyN"},
    {"lxc.pty.max", nullptr, "xc's devpts has the kernel's limit"},
    {"lxc.console.logfile", H { s.scalar(row, "console.log", row.lxc.value); }, ""},
    {"lxc.console.buffer.size", H { s.consoleBuffer(row); }, ""},
    {"lxc.console.path", nullptr, "xc's console is always its own pty (xc-console)"},
    {"lxc.console.*", nullptr, "xc has no such console setting"},
    {"lxc.idmap", H { s.idmap(row); }, ""},
    {"lxc.cap.drop", H { s.listItem(row, "security.cap_drop", " \t"); }, ""},
    {"lxc.cap.keep", H { s.capKeep(row); }, ""},
    {"lxc.apparmor.*", nullptr, kNoAppArmor},
    {"lxc.selinux.*", nullptr, "xc does not label the container for SELinux"},
    {"lxc.seccomp.profile", H { s.seccomp(row); }, ""},
    {"lxc.seccomp.*", nullptr, "xc's seccomp filter has no notifier and no nesting setting"},
    {"lxc.no_new_privs", nullptr, "xc has no such key"},
    {"lxc.init.cmd", H { s.list(row, "init.cmd", splitCommand(row.lxc.value)); }, ""},
    {"lxc.init.uid", nullptr, "xc runs the init as the container's root"},
    {"lxc.init.gid", nullptr, "xc runs the init as the container's root"},
    {"lxc.init.groups", nullptr, "xc runs the init as the container's root"},
    {"lxc.init.cwd", nullptr, "xc runs the init in /"},
    {"lxc.execute.cmd", nullptr, "xc runs system containers (lxc-execute's application containers are not imported)"},
    {"lxc.environment", H { s.environment(row); }, ""},
    {"lxc.signal.halt", H { s.scalar(row, "init.halt_signal", row.lxc.value); }, ""},
    {"lxc.signal.reboot", H { s.scalar(row, "init.reboot_signal", row.lxc.value); }, ""},
    {"lxc.signal.stop", nullptr, "xc stops with the halt signal, then SIGKILL after xc-stop's timeout"},
    {"lxc.log.*", nullptr, "xc's log is set per tool (-o FILE, -l LEVEL; default /var/log/xc/NAME.log)"},
    {"lxc.ephemeral", nullptr, "make ephemeral copies with xc-clone -e instead"},
    {"lxc.monitor.*", nullptr, "xc's supervisor has no such setting"},
    {"lxc.namespace.*", nullptr, "xc always makes all of the container's namespaces"},
    {"lxc.prlimit.*", nullptr, "xc has no resource limit (rlimit) keys"},
    {"lxc.sysctl.*", nullptr, "xc has no sysctl keys"},
    {"lxc.proc.*", nullptr, "xc has no /proc/PID settings"},
    {"lxc.keyring.session", nullptr, "xc gives the init no session keyring of its own"},
    {"lxc.time.*", nullptr, "xc makes no time namespace"},
    {"lxc.sched.*", nullptr, "xc has no scheduler keys"},
    {"lxc.hook", nullptr, "an empty hook list"},
};

#undef H

bool matches(const char* pattern, const std::string& key) {
    std::string p = pattern;
    if (!p.empty() && p.back() == '*') return key.compare(0, p.size() - 1, p, 0, p.size() - 1) == 0;
    return key == p;
}

}  // namespace

Result<Mapping> mapLxcConfig(const std::vector<LxcEntry>& entries, const MapInput& in) {
    Mapping m;
    State s(in, m);
    XC_TRY(s.prepare(entries));
    for (const auto& e : entries) {
        m.rows.push_back({e, "", ""});
        MapRow& row = m.rows.back();
        const LxcKey* k = nullptr;
        for (const auto& entry : kTable)
            if (matches(entry.key, e.key)) {
                k = &entry;
                break;
            }
        if (!k)
            row.reason = "unknown to xc-import-lxc";
        else if (!k->handle)
            row.reason = k->reason;
        else
            k->handle(s, row);
        for (auto& extra : s.takeExtraRows()) m.rows.push_back(std::move(extra));
    }
    s.finish();
    return m;
}

}  // namespace xc::lxcimport
