// The start plan: what starting one container does on this host, computed
// once from its config and the host's cgroup layout before anything is
// made. The supervisor executes this object (spawnInit runs .spawn: its
// clone flags, mounts, capability drop, seccomp rules, idmap, init and
// hooks; the cgroup gets .cgroupWrites), and xc-start --dry-run prints the
// same object, so the two cannot drift.
#pragma once

#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "net/net.hpp"
#include "spawn/spawn.hpp"
#include "xc/config.hpp"
#include "xc/paths.hpp"
#include "xc/result.hpp"

namespace xc {

struct StartPlan {
    std::string name;
    CgroupLayout layout;
    std::string cgroupPath;                 // relative, the same in every hierarchy
    std::vector<CgroupWrite> cgroupWrites;  // the limits, in the order they are written
    SpawnSpec spawn;
    std::vector<PlannedInterface> interfaces;
    std::vector<std::string> ttyLogin;  // tty.login: the supervisor's, started on a tty's first use
};

// What a start fills in that the config may leave out: the name, rootfs.path.
void completeStartConfig(ContainerConfig& cfg, const ContainerPaths& paths);

// The plan for `cfg` (completed) on a host with `layout`; `cmd` overrides
// init.cmd. Reads nothing but the seccomp profile file a config may name:
// needs no privilege, makes nothing. The lxcfs choice (chooseLxcfs) is
// made per boot, on .spawn.
Result<StartPlan> makeStartPlan(const ContainerConfig& cfg, const ContainerPaths& paths, const CgroupLayout& layout,
                                const std::vector<std::string>& cmd);

// CLONE_NEWPID... as "pid mnt uts ipc net".
std::string namespaceNames(unsigned long long cloneFlags);

}  // namespace xc
