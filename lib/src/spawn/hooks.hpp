// A container's hooks (the config's hooks group): each a command line run
// as /bin/sh -c, at the points and in the namespaces LXC runs its
// lxc.hook.* (see xc.container.conf(5)):
//   pre_start   host, before the container's namespaces exist   (supervisor)
//   start_host  host, once they exist, before the init runs     (supervisor)
//   mount       the container's mount namespace, its root and
//               mounts set up, before pivot_root                (the init's child)
//   start       inside, confined as the init, just before exec  (the init's child)
//   stop        host, the container's processes gone, its
//               namespaces still held open                      (supervisor)
//   post_stop   host, after the container stopped               (supervisor)
//   clone       host, after xc-clone made the container         (api/clone.cpp)
//   destroy     host, before xc-destroy removes it              (api/container.cpp)
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <utility>
#include <vector>

#include "xc/config.hpp"
#include "xc/fd.hpp"
#include "xc/log.hpp"
#include "xc/result.hpp"

namespace xc {

// What a hook is told: its environment and positional parameters.
struct HookEnv {
    std::string name;         // XC_NAME
    std::string configFile;   // XC_CONFIG_FILE
    std::string rootfsPath;   // XC_ROOTFS_PATH: rootfs.path
    std::string rootfsMount;  // XC_ROOTFS_MOUNT: where the mounted root is (xc mounts it on rootfs.path)
    pid_t pid = -1;           // XC_PID: the init's host pid, where known
    std::vector<std::string> base;   // the environment to start from; empty: PATH only
    std::vector<std::string> extra;  // more VAR=VALUE (XC_TARGET, XC_SRC_NAME, XC_NET_NS, ...)
    std::vector<std::string> args;   // after "$1" name, "$2" xc, "$3" type ("net:/proc/PID/fd/N", ...)
    std::chrono::milliseconds timeout{30000};
};

HookEnv hookEnvFor(const ContainerConfig& cfg);

// Runs the commands in order, each as `/bin/sh -c CMD xc-hook NAME xc TYPE
// ARGS...` with stdin on /dev/null and its output captured (logged at
// info); stops at the first one that fails (exits non-zero, is killed, or
// outlives env.timeout, then killed). The error names the hook and its
// index, the command, how it ended and its last stderr lines.
Status runHooks(const char* type, const std::vector<std::string>& cmds, const HookEnv& env,
                const Log& log = Log());

// The container's namespaces, held open after its init is gone so that
// the stop hooks can enter them (as LXC passes them to lxc.hook.stop).
class HeldNamespaces {
public:
    // Those of `pid` that are not the caller's own.
    Status open(pid_t pid);
    // XC_<NS>_NS=/proc/<caller>/fd/N in extra, "ns:/proc/<caller>/fd/N" in args.
    void addTo(HookEnv& env) const;
    void close() { fds_.clear(); }

private:
    std::vector<std::pair<std::string, UniqueFd>> fds_;
};

// The supervisor's hooks over one boot: stop and post_stop run for every
// boot whose pre_start hooks succeeded, however it ends (a stop, a crash
// of the init, a failed start after pre_start), once each.
class BootHooks {
public:
    void configure(const ContainerConfig& cfg);
    // The hooks and environment of a start plan (SpawnSpec::hooks, hookEnv).
    void configure(const HookSettings& hooks, const HookEnv& env);
    const HookSettings& settings() const { return hooks_; }
    Status preStart(const Log& log);
    // The namespaces exist (`pid` is the init, not yet running its program).
    Status startHost(pid_t pid, const Log& log);
    // Failures of these are logged, never stop the teardown. `target`:
    // "stop" or "reboot" (XC_TARGET).
    void stop(const std::string& target, const Log& log);
    void postStop(const std::string& target, const Log& log);

private:
    HookSettings hooks_;
    HookEnv env_;
    HeldNamespaces ns_;
    bool begun_ = false, stopped_ = false;
};

}  // namespace xc
