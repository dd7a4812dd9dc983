#include "monitor/runlock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <sstream>

#include "base/fsutil.hpp"
#include "base/lock.hpp"
#include "monitor/ipc.hpp"

namespace xc {

Status HeldRunLock::adopt(UniqueFd fd) {
    fd_ = std::move(fd);
    if (::fcntl(fd_.get(), F_SETFD, FD_CLOEXEC) < 0) return Error::sys("keep the run lock from the init");
    return {};
}

Status HeldRunLock::acquire() {
    XC_ASSIGN(RunLock l, RunLock::tryAcquire(path_));
    l.setHolder("start");
    fd_.reset(l.release());
    return {};
}

void HeldRunLock::restore(const Log& log) {
    if (!fd_ || released_ || lockFileIsOurs(fd_.get(), path_)) return;
    if (!warned_) log.warn("the run lock " + path_ + " was removed while the container runs: making it again");
    warned_ = true;
    auto made = makeDirs(dir_, 0700);
    auto lock = made ? RunLock::tryAcquire(path_) : Result<RunLock>(std::move(made).error());
    if (!lock) {
        // Someone took a lock on a new file first (a start, which sees our
        // socket and gives up; the removal of its file brings us back here).
        log.warn("re-take the run lock: " + lock.error().message());
        return;
    }
    fd_.reset(lock->release());  // the old lock, on an inode nobody can reach, goes
    RunLock::setLockHolder(fd_.get(), "start");
    log.notice("run lock " + path_ + " restored");
    warned_ = false;
}

void HeldRunLock::release() {
    if (fd_ && !released_) removeLockFile(fd_.get(), path_);
    released_ = true;
}

Result<RunLock> lockContainer(const ContainerPaths& paths) {
    XC_ASSIGN(RunLock lock, RunLock::tryAcquire(paths.lockFile()));
    XC_ASSIGN(bool supervised, monitorListening(paths.socket()));
    if (!supervised) return lock;
    // Let go first: the supervisor cannot lock a new file while we hold this one.
    lock.removeFile();
    { RunLock gone = std::move(lock); }
    (void)callMonitor(paths.socket(), Command::State, "", std::chrono::seconds(2));
    return Error::msg("is already running (its run lock " + paths.lockFile() + " was lost; its supervisor makes it again)",
                      EBUSY);
}

// The parent of each process of the cgroup (only the init's is outside it).
pid_t otherSupervisor(const Cgroup& cg) {
    auto pids = cg.pids();
    if (!pids) return -1;
    for (pid_t p : *pids) {
        auto stat = readFile("/proc/" + std::to_string(p) + "/stat");
        size_t close = stat ? stat->rfind(')') : std::string::npos;
        if (close == std::string::npos) continue;
        std::istringstream in(stat->substr(close + 1));
        std::string st;
        pid_t parent = -1;
        in >> st >> parent;
        if (parent <= 1 || parent == ::getpid()) continue;
        auto comm = readFile("/proc/" + std::to_string(parent) + "/comm");
        if (comm && trim(*comm) == "xc-supervisor") return parent;
    }
    return -1;
}

Status cleanupLeftCgroup(const CgroupLayout& layout, const ContainerPaths& paths, const Log& log) {
    Cgroup cg(layout, paths.cgroupPath());
    if (!cg.exists()) return {};
    if (pid_t other = otherSupervisor(cg); other > 0)
        return Error::msg("is already running (supervised by xc-supervisor pid " + std::to_string(other) +
                              "; its runtime state under " + paths.runDir() + " was lost)",
                          EBUSY);
    if (auto st = cg.killAll(); !st) log.warn("kill leftover processes: " + st.error().message());
    if (auto st = cg.waitEmpty(std::chrono::milliseconds(5000)); !st) log.warn(st.error().message());
    if (auto st = cg.destroy(); !st) log.warn("remove cgroup: " + st.error().message());
    return {};
}

}  // namespace xc
