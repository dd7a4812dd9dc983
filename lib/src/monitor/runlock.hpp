// The supervisor's hold on its run lock (/run/xc/<key>/<name>.lock) for the
// container's whole life. "Is it running?" must not hang on a path alone:
// if the lock file (or the whole run directory) is removed while the
// container runs, whoever takes the lock next finds the supervisor still
// answering its (abstract) command socket and backs off (lockContainer),
// and the supervisor makes a new lock file before it answers any request;
// it unlinks a lock file only if it is the very inode it holds. Nothing
// watches the run directory: an inotify instance per running container
// would stop the 129th start on a host that allows each user 128
// (fs.inotify.max_user_instances).
#pragma once

#include <string>

#include "base/lock.hpp"
#include "cgroup/cgroup.hpp"
#include "xc/paths.hpp"
#include "xc/fd.hpp"
#include "xc/log.hpp"
#include "xc/result.hpp"

namespace xc {

class HeldRunLock {
public:
    HeldRunLock() = default;
    HeldRunLock(std::string runDir, std::string lockFile) : dir_(std::move(runDir)), path_(std::move(lockFile)) {}

    // Takes over an inherited fd that holds the lock, or takes the lock.
    Status adopt(UniqueFd fd);
    Status acquire();
    // Before each answer (all rely on it): if the lock file at its path is
    // not ours any more, make and lock a new one.
    void restore(const Log& log);
    // Unlinks the lock file if it is ours: a new start may lock a new file
    // there at once. The fd stays open until we exit, after the stop's
    // answer: the close ends the unlinked inode, ~0.5 ms on ext4 (where
    // /run is on disk), and a lock on an inode nobody can reach guards
    // nothing.
    void release();

private:
    std::string dir_, path_;
    UniqueFd fd_;
    bool released_ = false;
    bool warned_ = false;
};

// The container's run lock for a command that must not run beside its
// supervisor (start, create, destroy, clone, snapshot, the leftover sweep):
// EBUSY if someone holds it, and also if a supervisor answers although the
// lock was free (its lock file was removed): then the file made here goes
// and the supervisor is asked for its state, which makes it lock a new one.
Result<RunLock> lockContainer(const ContainerPaths& paths);

// A live supervisor other than us with a child in the container's cgroup:
// the container runs under it, whatever /run/xc says, and is never killed
// to start over. Its pid, or -1.
pid_t otherSupervisor(const Cgroup& cg);

// Kills and removes what a crashed supervisor (or the boot before a
// reboot) left in the container's cgroup; EBUSY if another supervisor
// runs the container.
Status cleanupLeftCgroup(const CgroupLayout& layout, const ContainerPaths& paths, const Log& log);

}  // namespace xc
