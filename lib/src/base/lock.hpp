// The per-container run lock: an open-file-description lock on
// /run/xc/<key>/<name>.lock. The supervisor holds it for the container's
// whole life, so "is anyone running this container?" has a kernel answer
// that a crash cannot leave stale.
#pragma once

#include <string>

#include "xc/fd.hpp"
#include "xc/result.hpp"

namespace xc {

class RunLock {
public:
    // Takes the lock without waiting; EBUSY if someone holds it.
    static Result<RunLock> tryAcquire(const std::string& path);
    // Takes the lock, waiting for its holder; for lock files nobody unlinks.
    static Result<RunLock> acquire(const std::string& path);
    // Whether some process holds the lock (does not take it).
    static Result<bool> isHeld(const std::string& path);
    // Wraps an inherited fd that already holds the lock (xc-supervisor).
    static RunLock adopt(int fd) {
        RunLock l;
        l.fd_.reset(fd);
        return l;
    }

    // What holds it, written into the lock file for whoever finds it busy
    // ("start": a start and then its supervisor); "" when nobody said.
    static std::string holderOf(const std::string& path);
    void setHolder(const std::string& what) { setLockHolder(fd_.get(), what); }
    static void setLockHolder(int fd, const std::string& what);

    int fd() const { return fd_.get(); }
    int release() { return fd_.release(); }
    // Unlinks the lock file while still holding the lock (no file is left
    // once nothing runs); later lockers make a new one.
    void removeFile();

private:
    UniqueFd fd_;
    std::string path_;
};

// Whether `path` is the very file (device and inode) that heldFd locks.
bool lockFileIsOurs(int heldFd, const std::string& path);
// Unlinks the lock file at `path` if it is the one heldFd locks, then its
// directory if empty; a file someone else made there since is left alone.
void removeLockFile(int heldFd, const std::string& path);

}  // namespace xc
