// Starting a container's init: the plan (SpawnSpec, made from the config)
// and its execution in a child cloned into new namespaces.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "mount/mount.hpp"
#include "xc/config.hpp"
#include "process/process.hpp"
#include "security/seccomp_program.hpp"
#include "security/security.hpp"
#include "spawn/hooks.hpp"
#include "storage/overlay.hpp"

namespace xc {

// Which step of the child's root assembly a planned mount belongs to: the
// code of each step takes its mounts (targets, types, parameters, flags)
// from the plan, so what xc-start --dry-run prints is what is mounted.
enum class MountStep {
    Rootfs,      // the root filesystem over its own path: a bind of it (idmapped in a user namespace) or the overlay of its layers
    Dev,         // tmpfs on /dev
    DevNode,     // unprivileged: the host's device node bound onto /dev/NAME
    DevPts,      // a new devpts instance
    DevShm,
    DevMqueue,
    Tty,         // a pty slave of the container's devpts bound on /dev/console, /dev/ttyN
    Proc,
    ProcSys,     // /proc/sys bound over itself, read-only
    ProcSysNet,  // /proc/sys/net bound writable again (own network namespace)
    BootId,      // a boot id of its own over /proc/sys/kernel/random/boot_id
    ProcMask,    // /dev/null over a /proc file that reaches the host's kernel (where it exists)
    ProcHide,    // an empty read-only tmpfs over a /proc directory (where it exists)
    Nesting,     // security.nesting: an unmasked proc
    Sys,
    SysCgroup,   // cgroup2 (v2 host) or a tmpfs holding one mount per hierarchy
    SysCgroupHierarchy,
    Config,      // an entry of the config's mounts list
};
const char* mountStepName(MountStep s);

struct PlannedMount {
    MountStep step;
    std::string target;  // inside the container: "/dev/pts"
    std::string source;  // a bind's host path (or what is bound), a new filesystem's source
    std::string fstype;  // a new filesystem's type; "" = a bind
    std::vector<std::pair<std::string, std::string>> params;  // fsconfig parameters ("" value = flag)
    MountAttrs attrs;    // mount flags once made (MOUNT_ATTR_*)
    bool recursive = false;
    std::string condition;  // "" = always; else when it is made
    // Config entries: which one, and its optional / create keys.
    size_t configIndex = 0;
    bool optional = false;
    std::string create;
    bool bind() const { return fstype.empty(); }
    std::string paramsText() const;  // "mode=755,size=4096k"
};

// A device node every container's /dev has (made, or bound from the host's
// in a user namespace).
struct DeviceNode {
    const char* name;
    unsigned major, minor;
};
const std::vector<DeviceNode>& containerDeviceNodes();

// ptys one container may hold at once (its devpts's max=): without it a
// new devpts instance draws on the host-wide kernel.pty.max pool, so one
// container could take every pty of the host.
constexpr long kContainerPtyMax = 256;

struct SpawnSpec;
// The ordered list of mounts the child makes for `s` (its layout, idmap,
// network, ttys, nesting and the config's mounts; not lxcfs, chosen at each
// boot). Fails on a config mount whose options do not parse.
Result<std::vector<PlannedMount>> planMounts(const SpawnSpec& s, const std::vector<MountEntry>& configMounts);

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
    // tty.login is set: tty1..N are made by the supervisor on first use
    // (enter/container_tty), so the start makes the console only.
    bool ttysOnDemand = false;
    uint64_t shmBytes = 0;  // size of /dev/shm (see makeSpawnSpec)
    std::vector<PlannedMount> mounts;  // in the order they are made (planMounts)
    SecuritySettings security;
    std::vector<int> capDrop;  // dropped from the bounding set (capabilitiesToDrop)
    std::vector<SeccompRule> seccomp;
    SeccompProgram seccompProgram;  // `seccomp` compiled (cachedSeccomp), before spawnInit
    unsigned long long cloneFlags = 0;  // CLONE_NEW* of the clone; a user namespace is added at clone
    CgroupLayout cgroupLayout;  // for the cgroup view mounted inside
    bool hostNetwork = false;   // network type "none": no network namespace of its own
    bool byUser = false;  // a non-root user's container (a delegated cgroup): no idmapped root
    bool rootfsShifted = false;  // its owners on disk are already the host ids of its map: no idmapped root
    // The child brings up lo itself: a supervisor that is not root cannot
    // enter a network namespace (setns needs CAP_SYS_ADMIN where it is),
    // and one with no interface to make need not (the plan sets it then).
    bool loopbackInside = false;
    // Unprivileged container: its user namespace's maps (empty: privileged,
    // in the host's user namespace).
    std::vector<IdMap> idmap;
    bool userNamespace() const { return !idmap.empty(); }
    std::string lxcfsDir;       // lxcfs's mount point, its files bound over /proc's; "" = none
    std::string lxcfsNote;      // with lxcfs = "auto" and none bound: why (for the log)
    HookSettings hooks;         // the child runs the mount and start hooks
    HookEnv hookEnv;
    // The one planned mount of a step (Dev, Proc, Sys, ...), and all of a
    // step's in order; a step the plan lacks is an internal error.
    Result<const PlannedMount*> mountOf(MountStep step) const;
    std::vector<const PlannedMount*> mountsOf(MountStep step) const;
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
// namespaces (and a user namespace with spec.idmap, whose maps and
// idmapped rootfs are ready before the child mounts, its payload cgroup
// delegated before it makes its cgroup namespace),
// places it in the payload of the groups that account its set-up's memory
// (CgroupPart::First) before it mounts anything: it builds its root, /dev,
// /proc and /sys while `beforeRelease` runs in the parent (the cgroup's
// last part and the network go there), then is placed in the others too
// and makes its cgroup namespace (rooted at the payload, below the
// limits). A failure in the child comes
// back as the child's own error (stage and errno); the child is reaped.
// `beforeExec` runs once the child has built its root (and run the mount
// hooks), before it goes on to pivot_root and the init (the start_host
// hooks go there).
Result<SpawnedInit> spawnInit(const SpawnSpec& spec, Cgroup& cgroup,
                              const std::function<Status(pid_t)>& beforeRelease = {},
                              const std::function<Status(pid_t)>& beforeExec = {});

}  // namespace xc
