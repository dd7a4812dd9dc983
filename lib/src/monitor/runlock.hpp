// The supervisor's hold on its run lock (/run/xc/<key>/<name>.lock) for the
// container's whole life. "Is it running?" must not hang on a path alone:
// if the lock file (or the whole run directory) is removed while the
// container runs, the supervisor makes a new one and locks it again, so
// start, create and destroy keep seeing "running"; it unlinks a lock file
// only if it is the very inode it holds.
#pragma once

#include <string>

#include "cgroup/cgroup.hpp"
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
    bool held() const { return fd_.valid(); }
    // Watches the run directory (inotify) for the lock file's removal.
    Status watch();
    int watchFd() const { return inotify_.get(); }
    // After a watch event, or before an answer that relies on it: if the
    // lock file at its path is not ours any more, make and lock a new one.
    void restore(const Log& log);
    // Unlinks the lock file if it is ours and lets go of the lock; the
    // watch is closed with this object.
    void release();

private:
    void rewatch();

    std::string dir_, path_;
    UniqueFd fd_, inotify_;
    bool warned_ = false;
};

// A live supervisor other than us with a child in the container's cgroup:
// the container runs under it, whatever /run/xc says, and is never killed
// to start over. Its pid, or -1.
pid_t otherSupervisor(const Cgroup& cg);

}  // namespace xc
