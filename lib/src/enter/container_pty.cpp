#include "enter/container_pty.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "mount/mount.hpp"
#include "process/process.hpp"
#include "pty/probe.hpp"
#include "spawn/spawn.hpp"

#ifndef DEVPTS_SUPER_MAGIC
#define DEVPTS_SUPER_MAGIC 0x1cd1
#endif

namespace xc {

namespace {

// How long the child that makes a tty may take: it makes a few system
// calls, but in a container whose /dev the guest can change.
constexpr std::chrono::milliseconds kMakeTtyTimeout{5000};

// In the child: the init's mount namespace, as its root.
Status enterMountNamespace(int initPidfd, pid_t initPid) {
    XC_ASSIGN(bool ownUserNamespace, inOtherUserNamespace(initPid));
    int ns = CLONE_NEWNS | (ownUserNamespace ? CLONE_NEWUSER : 0);
    if (::setns(initPidfd, ns) < 0) return Error::sys("enter the container's mount namespace");
    // Files made now belong to the container's root, not to an id its
    // user namespace does not map.
    if (ownUserNamespace && (::setresgid(0, 0, 0) < 0 || ::setresuid(0, 0, 0) < 0))
        return Error::sys("become the container's root");
    return {};
}

Status bindTty(const RootDir& root, int n, const Channel& ch) {
    XC_ASSIGN(auto pair, newContainerPty(root));
    const std::string name = "dev/tty" + std::to_string(n);
    XC_ASSIGN(UniqueFd target, root.makeFile(name, 0600));
    XC_ASSIGN(UniqueFd tree, cloneTree(pair.second.get(), "", false).ctx("bind a pty on /" + name));
    XC_TRY(attachMount(tree.get(), target.get(), "/" + name));
    return ch.send("tty", {pair.first.get()});
}

}  // namespace

Result<bool> inOtherUserNamespace(pid_t initPid) {
    struct stat mine, its;
    const std::string file = "/proc/" + std::to_string(initPid) + "/ns/user";
    if (::stat("/proc/self/ns/user", &mine) < 0 || ::stat(file.c_str(), &its) < 0)
        return Error::sys("compare the container's user namespace " + file);
    return mine.st_ino != its.st_ino || mine.st_dev != its.st_dev;
}

Result<std::pair<UniqueFd, UniqueFd>> newContainerPty(const RootDir& root) {
    XC_ASSIGN(UniqueFd pts, root.openIn("dev/pts", O_PATH | O_DIRECTORY | O_NOFOLLOW));
    auto opened = root.openIn("dev/pts/ptmx", O_RDWR | O_NOCTTY | O_NOFOLLOW);
    if (!opened && opened.error().code() == ENOSPC)
        return ptyExhaustedError("open /dev/pts/ptmx in the container", readPtyLimits(), kContainerPtyMax);
    XC_ASSIGN(UniqueFd master, std::move(opened));
    struct statfs fs;
    struct stat ptsSt, ptmxSt;
    if (::fstatfs(pts.get(), &fs) < 0 || ::fstat(pts.get(), &ptsSt) < 0 || ::fstat(master.get(), &ptmxSt) < 0)
        return Error::sys("stat /dev/pts in the container");
    if (fs.f_type != DEVPTS_SUPER_MAGIC || !S_ISCHR(ptmxSt.st_mode) || ptmxSt.st_dev != ptsSt.st_dev)
        return Error::msg("/dev/pts/ptmx in the container is not its devpts multiplexer", ENOTTY);
    int unlock = 0;
    if (::ioctl(master.get(), TIOCSPTLCK, &unlock) < 0) return Error::sys("unlock the pty");
    UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) return Error::sys("open the pty's slave side");
    return std::make_pair(std::move(master), std::move(slave));
}

Result<UniqueFd> makeContainerTty(int initPidfd, pid_t initPid, int n) {
    XC_ASSIGN(auto chans, Channel::pair());
    const pid_t caller = ::getpid();
    XC_ASSIGN(Process child, cloneChild(0));
    if (child.pid() == 0) {
        chans.first.close();
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        ::prctl(PR_SET_DUMPABLE, 0);
        if (::getppid() != caller) ::_exit(1);
        Status st = enterMountNamespace(initPidfd, initPid);
        if (st) {
            UniqueFd rootFd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
            st = rootFd ? bindTty(RootDir::fromFd(std::move(rootFd), "the container"), n, chans.second)
                        : Status(Error::sys("open the container's root"));
        }
        if (!st) chans.second.sendError(st.error());
        ::_exit(st ? 0 : 1);
    }
    chans.second.close();
    const std::string what = "make /dev/tty" + std::to_string(n);
    // The child answers and exits; its answer waits in the socket.
    if (auto status = child.wait(kMakeTtyTimeout); !status) {
        (void)child.kill();
        return Error::msg(what + ": no answer within " + std::to_string(kMakeTtyTimeout.count()) + " ms", ETIMEDOUT);
    }
    auto got = chans.first.expect(what, 1);
    XC_ASSIGN(Channel::Message m, std::move(got));
    if (m.data != "tty" || m.fds.size() != 1)
        return Error::msg(what + ": unexpected message '" + m.data + "'", EPROTO);
    return std::move(m.fds[0]);
}

}  // namespace xc
