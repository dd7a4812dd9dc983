#include "base/lock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.hpp"

namespace xc {

static Result<UniqueFd> openLockFile(const std::string& path) {
    XC_TRY(makeParentDirs(path, 0700));
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return Error::sys("open lock file " + path);
    return fd;
}

Result<RunLock> RunLock::tryAcquire(const std::string& path) {
    // The holder may unlink the file when done (create, destroy, stop), so
    // a lock taken on an inode that is no longer at `path` is retried.
    for (int attempt = 0; attempt < 100; ++attempt) {
        XC_ASSIGN(UniqueFd fd, openLockFile(path));
        struct flock fl = {};
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        if (::fcntl(fd.get(), F_OFD_SETLK, &fl) < 0) {
            if (errno == EAGAIN || errno == EACCES) return Error::sys(EBUSY, "lock " + path);
            return Error::sys("lock " + path);
        }
        struct stat held, now;
        if (::fstat(fd.get(), &held) < 0) return Error::sys("stat lock file " + path);
        if (::stat(path.c_str(), &now) < 0 || held.st_ino != now.st_ino || held.st_dev != now.st_dev) continue;
        RunLock l;
        l.fd_ = std::move(fd);
        l.path_ = path;
        return l;
    }
    return Error::sys(EBUSY, "lock " + path);
}

Result<RunLock> RunLock::acquire(const std::string& path) {
    XC_ASSIGN(UniqueFd fd, openLockFile(path));
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    while (::fcntl(fd.get(), F_OFD_SETLKW, &fl) < 0)
        if (errno != EINTR) return Error::sys("lock " + path);
    RunLock l;
    l.fd_ = std::move(fd);
    l.path_ = path;
    return l;
}

void RunLock::removeFile() {
    if (fd_.valid() && !path_.empty()) removeLockFile(fd_.get(), path_);
}

bool lockFileIsOurs(int heldFd, const std::string& path) {
    struct stat held, now;
    if (heldFd < 0 || ::fstat(heldFd, &held) < 0 || ::lstat(path.c_str(), &now) < 0) return false;
    return held.st_ino == now.st_ino && held.st_dev == now.st_dev;
}

void removeLockFile(int heldFd, const std::string& path) {
    // Only the inode we hold: if ours was removed behind our back, the file
    // now at `path` is someone else's lock.
    if (!lockFileIsOurs(heldFd, path)) return;
    ::unlink(path.c_str());
    // The per-base runtime directory goes too once nothing else is in it.
    size_t slash = path.rfind('/');
    if (slash != std::string::npos && slash > 0) ::rmdir(path.substr(0, slash).c_str());
}

void RunLock::setLockHolder(int fd, const std::string& what) {
    if (fd < 0) return;
    // Written, then cut to its length, never truncated to empty first: on
    // ext4 a file truncated to 0 and written again is flushed to disk when
    // it is closed (auto_da_alloc), for a file that lives in /run.
    if (::pwrite(fd, what.data(), what.size(), 0) != static_cast<ssize_t>(what.size())) return;
    (void)!::ftruncate(fd, static_cast<off_t>(what.size()));
}

std::string RunLock::holderOf(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK));
    char buf[32];
    ssize_t n = fd ? ::pread(fd.get(), buf, sizeof buf, 0) : -1;
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

Result<bool> RunLock::isHeld(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) {
        if (errno == ENOENT) return false;
        return Error::sys("open lock file " + path);
    }
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd.get(), F_OFD_GETLK, &fl) < 0) return Error::sys("test lock " + path);
    return fl.l_type != F_UNLCK;
}

}  // namespace xc
