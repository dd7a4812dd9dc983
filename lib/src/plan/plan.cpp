#include "plan/plan.hpp"

#include <sched.h>

#include "net/net.hpp"

namespace xc {

void completeStartConfig(ContainerConfig& cfg, const ContainerPaths& paths) {
    if (cfg.name.empty()) cfg.name = paths.name();
    if (cfg.rootfsPath.empty()) cfg.rootfsPath = paths.defaultRootfs();
}

Result<StartPlan> makeStartPlan(const ContainerConfig& cfg, const ContainerPaths& paths, const CgroupLayout& layout,
                                const std::vector<std::string>& cmd) {
    StartPlan p;
    p.name = cfg.name;
    p.layout = layout;
    p.cgroupPath = paths.cgroupPath();
    XC_ASSIGN(p.cgroupWrites, mapCgroupSettings(layout, cfg.cgroup).ctx("cgroup limits"));
    XC_ASSIGN(p.spawn, makeSpawnSpec(cfg, layout, cmd));
    p.interfaces = planInterfaces(cfg);
    if (p.spawn.ttyCount > 0) p.ttyLogin = cfg.ttyLogin;
    // With no interface to make, the supervisor has no other business in the
    // container's network namespace: the init brings lo up (two ioctls)
    // rather than the supervisor through a netlink socket opened there on a
    // thread of its own (~1 ms of a start).
    if (!p.spawn.hostNetwork && !makesInterfaces(p.interfaces)) p.spawn.loopbackInside = true;
    // A user cannot make a host interface: xc-user-nic makes its veths.
    if (p.spawn.byUser)
        for (auto& n : p.interfaces)
            if (n.type == "veth") {
                n.throughHelper = true;
                n.hostName.clear();
            }
    return p;
}

std::string namespaceNames(unsigned long long flags) {
    const std::pair<unsigned long long, const char*> names[] = {
        {CLONE_NEWPID, "pid"}, {CLONE_NEWNS, "mnt"},       {CLONE_NEWUTS, "uts"},     {CLONE_NEWIPC, "ipc"},
        {CLONE_NEWNET, "net"}, {CLONE_NEWUSER, "user"}, {CLONE_NEWCGROUP, "cgroup"}};
    std::string out;
    for (const auto& [bit, name] : names)
        if (flags & bit) out += (out.empty() ? "" : " ") + std::string(name);
    return out;
}

}  // namespace xc
