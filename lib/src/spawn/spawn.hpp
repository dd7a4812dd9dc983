// Starting a container's init: the plan (SpawnSpec, made from the config)
// and its execution in a child cloned into new namespaces.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "xc/config.hpp"
#include "process/process.hpp"
#include "security/security.hpp"
#include "spawn/hooks.hpp"
#include "storage/overlay.hpp"

namespace xc {

// Everything the child needs, resolved before clone so that the child only
// executes (and every bad input fails before any namespace exists).
struct SpawnSpec {
    std::string name;
    std::string rootfs;  // host path of the root filesystem
    storage::Layout storage;  // its backend (overlay: the layers mounted on rootfs)
    std::string hostname;
    std::vector<std::string> argv;  // init command
    std::vector<std::string> env;
    std::string cwd = "/";          // init's working directory
    int64_t uid = -1, gid = -1;     // init's user and group inside; -1: root
    int ttyCount = 0;
    uint64_t shmBytes = 0;  // size of /dev/shm (see makeSpawnSpec)
    std::vector<MountEntry> mounts;
    SecuritySettings security;
    std::vector<SeccompRule> seccomp;
    CgroupLayout cgroupLayout;  // for the cgroup view mounted inside
    bool hostNetwork = false;   // network type "none": no network namespace of its own
    // Unprivileged container: its user namespace's maps (empty: privileged,
    // in the host's user namespace).
    std::vector<IdMap> idmap;
    bool userNamespace() const { return !idmap.empty(); }
    std::string lxcfsDir;       // lxcfs's mount point, its files bound over /proc's; "" = none
    std::string lxcfsNote;      // with lxcfs = "auto" and none bound: why (for the log)
    HookSettings hooks;         // the child runs the mount and start hooks
    HookEnv hookEnv;
};

Result<SpawnSpec> makeSpawnSpec(const ContainerConfig& cfg, const CgroupLayout& layout,
                                const std::vector<std::string>& cmdOverride);

// Sets s.lxcfsDir (and s.lxcfsNote) for this boot: lxcfs = true needs lxcfs
// mounted and answering at `path` (xc.conf's lxcfs.path) and fails without
// it; "auto" takes it when it is there. Checked at every boot, so that a
// reboot follows an lxcfs that stopped or started meanwhile.
Status chooseLxcfs(LxcfsMode mode, const std::string& path, SpawnSpec& s);

// The running init as the supervisor holds it.
struct SpawnedInit {
    Process child;
    UniqueFd console;             // master side of /dev/console
    std::vector<UniqueFd> ttys;   // master sides of /dev/tty1..N
};

// Clones the init into new pid, mount, uts, ipc, net and cgroup
// namespaces (and a user namespace with spec.idmap, whose maps, idmapped
// rootfs and delegated payload cgroup are ready before the child runs), places it in the payload of `cgroup` before it runs anything
// (so its cgroup namespace is rooted there, below the limits), lets it set
// up its root and execs the init. A failure in the child comes back as
// the child's own error (stage and errno); the child is reaped.
// `beforeRelease` runs in the parent once the child is in its cgroup and
// namespaces exist (network setup goes there); `beforeExec` once the
// child has built its root (and run the mount hooks), before it goes on to
// pivot_root and the init (the start_host hooks go there).
Result<SpawnedInit> spawnInit(const SpawnSpec& spec, Cgroup& cgroup,
                              const std::function<Status(pid_t)>& beforeRelease = {},
                              const std::function<Status(pid_t)>& beforeExec = {});

}  // namespace xc
