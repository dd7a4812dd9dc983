// Probes of the mount syscalls, each called in a way that changes nothing
// (an fsopen context that is never mounted, a mount_setattr that sets
// nothing), and of the filesystems the kernel offers.
#include "mount/probe.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <sstream>

#include "base/fsutil.hpp"
#include "mount/lxcfs.hpp"
#include "xc/fd.hpp"

// Syscall numbers from Linux 5.2+ are the same on every architecture but
// alpha; older libc headers may lack them.
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif

namespace xc {

using S = ProbeItem::Status;

namespace {

struct MountAttr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};

// openat2 of "/" with RESOLVE_IN_ROOT: the errno, 0 if it worked.
int tryOpenat2() {
    UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    struct open_how how {};
    how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
    how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
    UniqueFd fd(static_cast<int>(::syscall(SYS_openat2, root.valid() ? root.get() : AT_FDCWD, ".", &how, sizeof how)));
    return fd ? 0 : errno;
}

}  // namespace

void probeMountSyscalls(ProbeList& out) {
    // openat2 with RESOLVE_IN_ROOT (unknown resolve flags are EINVAL).
    if (int err = tryOpenat2(); err == EINVAL)
        out.add("openat2", S::Missing, "openat2 exists but refuses RESOLVE_IN_ROOT (" + errnoText(err) + ")",
                "Linux 5.6 or newer", true);
    else
        syscallItem(out, "openat2", err, "RESOLVE_IN_ROOT", "5.6", true);

    // The new mount API: a tmpfs context that is never mounted.
    UniqueFd ctx(static_cast<int>(::syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */)));
    syscallItem(out, "fsopen", ctx ? 0 : errno, "new mount API: fsopen(\"tmpfs\")", "5.2", true);

    // mount_setattr that sets nothing: the kernel returns 0 before touching any mount.
    MountAttr attr{};
    long r = ::syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &attr, sizeof attr);
    syscallItem(out, "mount_setattr", r < 0 ? errno : 0, "", "5.12", true);
}

std::set<std::string> parseProcFilesystems(const std::string& text) {
    std::set<std::string> have;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream l(line);
        std::string w, last;
        while (l >> w) last = w;
        if (!last.empty()) have.insert(last);
    }
    return have;
}

void probeFilesystems(ProbeList& out, const std::string& kernelRelease) {
    out.section("Filesystems");
    auto text = readFile("/proc/filesystems");
    const std::set<std::string> have = text ? parseProcFilesystems(*text) : std::set<std::string>();
    std::string modulesDep;
    if (!kernelRelease.empty()) {
        if (auto dep = readFile("/lib/modules/" + kernelRelease + "/modules.dep")) modulesDep = *dep;
    }
    struct Fs {
        const char* name;
        const char* module;  // "" = built in only
        const char* config;
        bool required;
        const char* use;
    };
    static const Fs kFs[] = {
        {"proc", "", "CONFIG_PROC_FS", true, "/proc"},
        {"sysfs", "", "CONFIG_SYSFS", true, "/sys"},
        {"tmpfs", "", "CONFIG_TMPFS", true, "/dev, /dev/shm"},
        {"devpts", "", "CONFIG_UNIX98_PTYS", true, "a private /dev/pts per container"},
        {"overlay", "overlay", "CONFIG_OVERLAY_FS", false,
         "for rootfs.backend \"overlay\" and snapshot clones (xc-create -B overlay, xc-clone -s)"},
        {"btrfs", "btrfs", "CONFIG_BTRFS_FS", false,
         "for rootfs.backend \"btrfs\": subvolumes and btrfs snapshots (xc-create -B btrfs on a base on btrfs)"},
        {"cgroup", "", "CONFIG_CGROUPS", false, "v1 controllers"},
        {"cgroup2", "", "CONFIG_CGROUPS", false, "the unified hierarchy"},
        {"mqueue", "", "CONFIG_POSIX_MQUEUE", false, "/dev/mqueue"},
    };
    for (const auto& fs : kFs) {
        const std::string module = fs.module;
        if (!text) {
            out.add(fs.name, S::Warn, "cannot read /proc/filesystems", "", fs.required);
        } else if (have.count(fs.name)) {
            out.add(fs.name, S::Ok, fs.use, "", fs.required);
        } else if (!module.empty() && modulesDep.find("/" + module + ".ko") != std::string::npos) {
            out.add(fs.name, S::Missing, "available as a module that is not loaded",
                    "modprobe " + module + " (and list it in /etc/modules to load it at boot)", fs.required);
        } else {
            out.add(fs.name, S::Missing, "not in /proc/filesystems",
                    std::string("rebuild the kernel with ") + fs.config + "=y" +
                        (module.empty() ? "" : " (or =m and modprobe " + module + ")"),
                    fs.required);
        }
    }
}

void probeLxcfs(ProbeList& out, const std::string& dir) {
    Status st = lxcfsAvailable(dir);
    if (st) {
        out.add("lxcfs", S::Ok,
                "mounted at " + dir + ": /proc/meminfo, cpuinfo, stat, uptime, ... inside show each container's "
                "limits (config key lxcfs)");
        return;
    }
    const bool gone = st.error().code() == ENOTCONN;
    const std::string bin = findExecutable("lxcfs");
    std::string fix = bin.empty() ? "apt-get install lxcfs (its service mounts it at /var/lib/lxcfs)"
                      : gone      ? "restart lxcfs (systemctl restart lxcfs), then restart the containers"
                                  : "start lxcfs: systemctl start lxcfs (or " + bin + " " + dir + ")";
    out.add("lxcfs", gone ? S::Warn : S::Missing,
            st.error().message() +
                "; free, top, nproc and uptime in containers show the host's memory and CPUs, and a container "
                "with lxcfs = true does not start",
            fix);
}

}  // namespace xc
