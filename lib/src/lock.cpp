#include "xc/lock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include "xc/fsutil.hpp"

namespace xc {

static Result<UniqueFd> openLockFile(const std::string& path) {
    XC_TRY(makeParentDirs(path, 0700));
    UniqueFd fd(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return Error::sys("open lock file " + path);
    return fd;
}

Result<RunLock> RunLock::tryAcquire(const std::string& path) {
    XC_ASSIGN(UniqueFd fd, openLockFile(path));
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    if (::fcntl(fd.get(), F_OFD_SETLK, &fl) < 0) {
        if (errno == EAGAIN || errno == EACCES) return Error::sys(EBUSY, "lock " + path);
        return Error::sys("lock " + path);
    }
    RunLock l;
    l.fd_ = std::move(fd);
    return l;
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
