// Probes of what confines a container: only reads and prctl/seccomp
// queries, nothing is changed.
#include "security/probe.hpp"

#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <sstream>

#include "base/fsutil.hpp"
#include "security/security.hpp"

#ifndef PR_GET_NO_NEW_PRIVS
#define PR_GET_NO_NEW_PRIVS 39
#endif

namespace xc {

using S = ProbeItem::Status;

bool capabilityBit(const std::string& status, const char* field, int cap, bool* found) {
    std::istringstream in(status);
    std::string line;
    const std::string key = std::string(field) + ":";
    while (std::getline(in, line)) {
        if (line.rfind(key, 0) != 0) continue;
        unsigned long long mask = std::strtoull(trim(line.substr(key.size())).c_str(), nullptr, 16);
        *found = true;
        return (mask >> cap) & 1ULL;
    }
    *found = false;
    return false;
}

namespace {

void reportPrivileges(ProbeList& out) {
    const uid_t euid = ::geteuid();
    if (euid == 0)
        out.add("root", S::Ok, "running as uid 0", "", true);
    else
        out.add("root", S::Missing, "running as uid " + std::to_string(euid) + "; xc runs privileged containers as root",
                "run xc-checkconfig (and the xc tools) as root, e.g. with sudo", true);

    const std::string status = readTrimmed("/proc/self/status");
    bool found = false;
    const bool sysAdmin = capabilityBit(status, "CapEff", 21, &found);
    if (!found)
        out.add("CAP_SYS_ADMIN", S::Warn, "cannot read CapEff from /proc/self/status");
    else if (sysAdmin)
        out.add("CAP_SYS_ADMIN", S::Ok, "in the effective set");
    else
        out.add("CAP_SYS_ADMIN", S::Missing, "not in the effective set: namespaces and mounts will fail",
                "run as root with full capabilities");

    const bool sysResource = capabilityBit(status, "CapBnd", 24, &found);
    if (found)
        out.add("CAP_SYS_RESOURCE", S::Info,
                sysResource ? "in the bounding set"
                            : "absent from the bounding set; xc does not rely on it, and containers cannot raise "
                              "rlimits past the host's");

    int nnp = ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    if (nnp == 0)
        out.add("no_new_privs", S::Info, "not set on this process (supported)");
    else if (nnp == 1)
        out.add("no_new_privs", S::Warn,
                "set on this process: set-uid helpers such as newuidmap cannot gain privileges from here",
                "run the xc tools from a shell without no_new_privs");
    else
        out.add("no_new_privs", S::Warn, "PR_GET_NO_NEW_PRIVS: " + errnoText(errno), "Linux 3.5 or newer");
}

// The filter mode (as xc loads it) and our own confinement.
void reportSeccomp(ProbeList& out) {
    int mode = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
    if (mode < 0 && errno == EINVAL) {
        out.add("seccomp", S::Missing, "the kernel has no seccomp", "rebuild the kernel with CONFIG_SECCOMP=y");
        return;
    }
    uint32_t action = SECCOMP_RET_ERRNO;
    long r = ::syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);
    const int err = errno;
    const std::string self = mode == 2   ? "this process already runs under a seccomp filter"
                             : mode == 1 ? "this process is in strict seccomp mode"
                                         : "this process is not filtered";
    if (r == 0)
        out.add("seccomp", S::Ok, "filter mode with SECCOMP_RET_ERRNO; " + self);
    else if (err == ENOSYS || err == EINVAL)
        out.add("seccomp", S::Missing, "no seccomp filter mode (" + errnoText(err) + ")",
                "rebuild the kernel with CONFIG_SECCOMP_FILTER=y (Linux 4.14+)");
    else
        out.add("seccomp", S::Warn, "SECCOMP_GET_ACTION_AVAIL: " + errnoText(err) + "; " + self);
}

// Names of the default seccomp profile's rules that are in `wanted`, in
// the profile's order: the report quotes the table the start loads.
std::string defaultSeccompNames(const std::vector<std::string>& wanted) {
    std::vector<std::string> names;
    auto rules = seccompRules("default");
    if (rules)
        for (const auto& r : *rules)
            if (std::find(wanted.begin(), wanted.end(), r.syscall) != wanted.end()) names.push_back(r.syscall);
    return joinWords(names, ", ");
}

}  // namespace

void probeContainment(ProbeList& out) {
    out.add("privileged containers", S::Warn,
            "not a security boundary: their root keeps CAP_SYS_ADMIN and can undo the read-only /proc/sys and /sys "
            "(umount -l /proc/sys, mount -o remount,bind,rw /proc/sys, a fresh proc or sysfs: kernel.core_pattern, "
            "run by the host as root, becomes writable), mount debugfs, tracefs, securityfs and bpf, and unmount the "
            "masks over /proc/kallsyms, keys, timer_list, kmsg and acpi (see xc.container.conf(5), SECURITY)",
            "unprivileged containers (the default: an idmap, a user namespace) close this class; make a privileged "
            "one (security.privileged = true) only for whom you would give the host's root");
    auto rules = seccompRules("default");
    out.add("every container", S::Info,
            "capabilities " + joinWords(capsNeverNeeded(), ", ") +
                " dropped unless cap_keep names them (sys_boot kept: reboot(2) in a pid namespace only ends the "
                "container's init); seccomp \"default\" refuses " + std::to_string(rules ? rules->size() : 0) +
                " system calls, " +
                defaultSeccompNames({"userfaultfd", "bpf", "perf_event_open", "open_by_handle_at", "kexec_load",
                                     "init_module", "keyctl"}) +
                " among them; /proc/sys and /sys read-only, /proc/kallsyms, kmsg, keys, timer_list... masked; "
                "at most 256 ptys; /dev/shm sized to the memory limit or a quarter of RAM; logs and bind sources "
                "never through a symbolic link");
}

void probeSecurity(ProbeList& out) {
    out.section("Security");
    reportPrivileges(out);
    reportSeccomp(out);
    bool haveLsm = false;
    const std::string lsm = readTrimmed("/sys/kernel/security/lsm", &haveLsm);
    if (haveLsm) out.add("LSMs", S::Info, lsm.empty() ? "(none)" : lsm);
    probeContainment(out);
}

void probeIdmapPrograms(ProbeList& out) {
    for (const char* prog : {"newuidmap", "newgidmap"}) {
        const std::string p = findExecutable(prog);
        if (p.empty()) {
            out.add(prog, S::Missing,
                    "not installed; needed for containers of users other than root (root writes its containers' maps itself)",
                    "apt-get install uidmap");
            continue;
        }
        struct stat st {};
        ::stat(p.c_str(), &st);
        const bool setuid = (st.st_mode & S_ISUID) && st.st_uid == 0;
        const bool fcaps = ::getxattr(p.c_str(), "security.capability", nullptr, 0) > 0;
        if (setuid || fcaps)
            out.add(prog, S::Ok, p + (setuid ? ", set-uid root" : ", file capabilities"));
        else
            out.add(prog, S::Warn, p + " is neither set-uid root nor has file capabilities",
                    "apt-get install --reinstall uidmap");
    }
}

}  // namespace xc
