// A loop-mounted file system of a test's own (loopfs.hpp).
#include "loopfs.hpp"

#include <fcntl.h>
#include <linux/loop.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace xcit {

namespace {

std::string why(const std::string& what) { return what + ": " + std::strerror(errno); }

// Runs argv quietly; true if it exited 0.
bool runQuiet(const std::vector<std::string>& argv) {
    pid_t pid = ::fork();
    if (pid < 0) return false;
    if (pid == 0) {
        int null = ::open("/dev/null", O_RDWR);
        ::dup2(null, 1);
        ::dup2(null, 2);
        std::vector<char*> a;
        for (const auto& s : argv) a.push_back(const_cast<char*>(s.c_str()));
        a.push_back(nullptr);
        ::execv(a[0], a.data());
        ::_exit(127);
    }
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

}  // namespace

std::string LoopFs::make(const std::string& type, const std::vector<std::string>& mkfs, long long bytes) {
    char dir[] = "/var/tmp/xc-it-loopfs-XXXXXX";
    if (!::mkdtemp(dir)) return why("mkdtemp");
    mnt_ = dir;
    image_ = mnt_ + ".img";
    int fd = ::open(image_.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) return why("create " + image_);
    int rc = ::ftruncate(fd, bytes);
    ::close(fd);
    if (rc < 0) return why("size " + image_);
    std::vector<std::string> argv = mkfs;
    argv.push_back(image_);
    if (!runQuiet(argv)) return mkfs[0] + " " + image_ + " failed";
    int ctl = ::open("/dev/loop-control", O_RDWR | O_CLOEXEC);
    if (ctl < 0) return why("open /dev/loop-control");
    int n = ::ioctl(ctl, LOOP_CTL_GET_FREE);
    ::close(ctl);
    if (n < 0) return why("LOOP_CTL_GET_FREE");
    std::string dev = "/dev/loop" + std::to_string(n);
    int lfd = ::open(dev.c_str(), O_RDWR | O_CLOEXEC);
    if (lfd < 0) return why("open " + dev);
    int ifd = ::open(image_.c_str(), O_RDWR | O_CLOEXEC);
    struct loop_config lc {};
    lc.fd = static_cast<uint32_t>(ifd);
    lc.info.lo_flags = LO_FLAGS_AUTOCLEAR;
    rc = ::ioctl(lfd, LOOP_CONFIGURE, &lc);
    std::string err = rc == 0 ? "" : why("LOOP_CONFIGURE " + dev);
    ::close(ifd);
    if (rc == 0 && ::mount(dev.c_str(), mnt_.c_str(), type.c_str(), 0, nullptr) != 0) {
        err = why("mount " + dev);
        ::ioctl(lfd, LOOP_CLR_FD, 0);
    }
    ::close(lfd);  // autoclear: the device goes with the mount
    mounted_ = err.empty();
    return err;
}

bool LoopFs::remove() {
    bool ok = true;
    if (mounted_) ok = ::umount2(mnt_.c_str(), 0) == 0;
    mounted_ = mounted_ && !ok;
    if (!mounted_ && !mnt_.empty()) ::rmdir(mnt_.c_str());
    if (!mounted_ && !image_.empty()) ::unlink(image_.c_str());
    if (!mounted_) mnt_.clear(), image_.clear();
    return ok;
}

}  // namespace xcit
