// The container's mounts as a list, planned before clone: what runChild
// mounts (each step takes its entries from here) and what xc-start
// --dry-run prints.
#include <linux/mount.h>

#include "spawn/spawn.hpp"
#include "spawn/userns.hpp"

namespace xc {

namespace {

constexpr uint64_t kNoSuidDevExec = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;

PlannedMount fs(MountStep step, std::string target, std::string fstype,
                std::vector<std::pair<std::string, std::string>> params, uint64_t attrs) {
    PlannedMount m{step, std::move(target), fstype, fstype, std::move(params), MountAttrs{attrs, 0}};
    return m;
}

PlannedMount bindOf(MountStep step, std::string target, std::string source, uint64_t attrs, bool recursive,
                  std::string condition = "") {
    PlannedMount m{step, std::move(target), std::move(source), "", {}, MountAttrs{attrs, 0}, recursive};
    m.condition = std::move(condition);
    return m;
}

// The v1 mount parameters of a hierarchy: its controllers, or none + name.
std::vector<std::pair<std::string, std::string>> v1Params(const CgroupHierarchy& h) {
    std::vector<std::pair<std::string, std::string>> p;
    bool named = false;
    for (const auto& c : h.controllers) {
        if (c.rfind("name=", 0) == 0) {
            p.emplace_back("name", c.substr(5));
            named = true;
        } else {
            p.emplace_back(c, "");
        }
    }
    if (named && p.size() == 1) p.emplace_back("none", "");
    return p;
}

PlannedMount rootfsMount(const SpawnSpec& s) {
    PlannedMount m = bindOf(MountStep::Rootfs, "/", s.rootfs, 0, true);
    if (s.storage.overlay()) {
        m.fstype = "overlay";
        m.source = "overlay";
        m.params = storage::overlayParams(s.storage);
    }
    if (s.userNamespace() && !s.byUser && !s.rootfsShifted) m.attrs.set |= MOUNT_ATTR_IDMAP;
    return m;
}

// /dev: tmpfs, the nodes (bound from the host's in a user namespace),
// devpts, shm, mqueue, and the console and ttys from the container's ptys.
void planDev(const SpawnSpec& s, std::vector<PlannedMount>& out) {
    out.push_back(fs(MountStep::Dev, "/dev", "tmpfs", {{"mode", "755"}, {"size", "4096k"}},
                     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
    if (s.userNamespace())
        for (const auto& d : containerDeviceNodes())
            out.push_back(bindOf(MountStep::DevNode, std::string("/dev/") + d.name, std::string("/dev/") + d.name, 0, false));
    std::vector<std::pair<std::string, std::string>> pts = {
        {"newinstance", ""}, {"ptmxmode", "0666"}, {"mode", "0620"}, {"max", std::to_string(kContainerPtyMax)}};
    // Group tty owns the ptys, where the container has a gid 5.
    if (!s.userNamespace() || hostIdOf(s.idmap, 'g', 5) >= 0) pts.emplace_back("gid", "5");
    out.push_back(fs(MountStep::DevPts, "/dev/pts", "devpts", pts, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC));
    out.push_back(fs(MountStep::DevShm, "/dev/shm", "tmpfs", {{"mode", "1777"}, {"size", std::to_string(s.shmBytes)}},
                     MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
    out.push_back(fs(MountStep::DevMqueue, "/dev/mqueue", "mqueue", {}, kNoSuidDevExec));
    for (int i = 0; i <= (s.ttysOnDemand ? 0 : s.ttyCount); ++i)
        out.push_back(bindOf(MountStep::Tty, i == 0 ? "/dev/console" : "/dev/tty" + std::to_string(i), "pty", 0, false));
}

void planProc(const SpawnSpec& s, std::vector<PlannedMount>& out) {
    out.push_back(fs(MountStep::Proc, "/proc", "proc", {}, kNoSuidDevExec));
    out.push_back(bindOf(MountStep::ProcSys, "/proc/sys", "/proc/sys", MOUNT_ATTR_RDONLY, true));
    // /proc/sys/net is the container's own, so writable; with the host's
    // network (type "none") it stays read-only like the rest.
    if (!s.hostNetwork) out.push_back(bindOf(MountStep::ProcSysNet, "/proc/sys/net", "/proc/sys/net", 0, true));
    out.push_back(bindOf(MountStep::BootId, "/proc/sys/kernel/random/boot_id", "a random boot id",
                       MOUNT_ATTR_RDONLY | kNoSuidDevExec, false, "where the kernel has it"));
    for (const char* f : {"sysrq-trigger", "kcore", "kmsg", "kallsyms", "timer_list", "sched_debug", "latency_stats",
                          "keys", "key-users"})
        out.push_back(bindOf(MountStep::ProcMask, std::string("/proc/") + f, "/dev/null", 0, false, "where the kernel has it"));
    for (const char* d : {"acpi", "scsi"}) {
        PlannedMount m = fs(MountStep::ProcHide, std::string("/proc/") + d, "tmpfs", {{"size", "4k"}},
                            kNoSuidDevExec | MOUNT_ATTR_RDONLY);
        m.condition = "where the kernel has it";
        out.push_back(m);
    }
    if (s.security.nesting) out.push_back(fs(MountStep::Nesting, "/dev/.xc-nesting/proc", "proc", {}, kNoSuidDevExec));
}

// /sys read-only and the cgroup view (see mountSysfs and mountCgroupView).
void planSys(const SpawnSpec& s, std::vector<PlannedMount>& out) {
    out.push_back(fs(MountStep::Sys, "/sys", "sysfs", {}, kNoSuidDevExec | MOUNT_ATTR_RDONLY));
    const CgroupLayout& layout = s.cgroupLayout;
    if (layout.hierarchies().empty()) return;
    if (layout.mode() == CgroupMode::V2) {
        out.push_back(fs(MountStep::SysCgroup, "/sys/fs/cgroup", "cgroup2", {}, kNoSuidDevExec));
        return;
    }
    out.push_back(fs(MountStep::SysCgroup, "/sys/fs/cgroup", "tmpfs", {{"mode", "755"}, {"size", "64k"}},
                     kNoSuidDevExec | MOUNT_ATTR_RDONLY));
    for (const auto& h : layout.hierarchies()) {
        std::string dir = h.mountPoint.substr(h.mountPoint.rfind('/') + 1);
        bool writable = h.unified || h.has("name=systemd");
        uint64_t attrs = kNoSuidDevExec | (writable ? 0 : MOUNT_ATTR_RDONLY);
        out.push_back(fs(MountStep::SysCgroupHierarchy, "/sys/fs/cgroup/" + dir, h.unified ? "cgroup2" : "cgroup",
                         h.unified ? std::vector<std::pair<std::string, std::string>>{} : v1Params(h), attrs));
    }
}

Result<PlannedMount> configMount(const MountEntry& e, size_t i) {
    XC_ASSIGN(MountOptions opts, parseMountOptions(e.options).ctx("mounts[" + std::to_string(i) + "] /" + e.target));
    PlannedMount m;
    m.step = MountStep::Config;
    m.target = "/" + e.target;
    m.source = e.source;
    bool isBind = opts.bind || e.fstype.empty() || e.fstype == "none";
    if (!isBind) {
        m.fstype = e.fstype;
        m.params = opts.fsParams;
    }
    m.attrs = opts.attrs;
    m.recursive = opts.recursive;
    m.configIndex = i;
    m.optional = e.optional;
    m.create = e.create;
    if (e.optional) m.condition = "where the source exists";
    return m;
}

}  // namespace

const char* mountStepName(MountStep s) {
    switch (s) {
    case MountStep::Rootfs: return "rootfs";
    case MountStep::Dev: case MountStep::DevNode: case MountStep::DevPts: case MountStep::DevShm:
    case MountStep::DevMqueue: case MountStep::Tty: return "dev";
    case MountStep::Proc: case MountStep::ProcSys: case MountStep::ProcSysNet: case MountStep::BootId:
    case MountStep::ProcMask: case MountStep::ProcHide: return "proc";
    case MountStep::Nesting: return "nesting";
    case MountStep::Sys: case MountStep::SysCgroup: case MountStep::SysCgroupHierarchy: return "sys";
    case MountStep::Config: return "config";
    }
    return "?";
}

std::string PlannedMount::paramsText() const {
    std::string out;
    for (const auto& [k, v] : params) out += (out.empty() ? "" : ",") + k + (v.empty() ? "" : "=" + v);
    return out;
}

const std::vector<DeviceNode>& containerDeviceNodes() {
    static const std::vector<DeviceNode> nodes = {{"null", 1, 3},    {"zero", 1, 5},    {"full", 1, 7},
                                                  {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
    return nodes;
}

Result<std::vector<PlannedMount>> planMounts(const SpawnSpec& s, const std::vector<MountEntry>& configMounts) {
    std::vector<PlannedMount> out;
    out.push_back(rootfsMount(s));
    planDev(s, out);
    planProc(s, out);
    planSys(s, out);
    for (size_t i = 0; i < configMounts.size(); ++i) {
        XC_ASSIGN(PlannedMount m, configMount(configMounts[i], i));
        out.push_back(std::move(m));
    }
    return out;
}

Result<const PlannedMount*> SpawnSpec::mountOf(MountStep step) const {
    for (const auto& m : mounts)
        if (m.step == step) return &m;
    return Error::msg(std::string("internal error: the start plan has no ") + mountStepName(step) + " mount step",
                      EPROTO);
}

std::vector<const PlannedMount*> SpawnSpec::mountsOf(MountStep step) const {
    std::vector<const PlannedMount*> out;
    for (const auto& m : mounts)
        if (m.step == step) out.push_back(&m);
    return out;
}

}  // namespace xc
