// xc-attach-init: the last stage of an attach, run from a sealed memfd by
// the entering child once it holds the container's namespaces, root,
// confinement and user (attach_enter.cpp). It lives in the host's pid
// namespace, where the container cannot see it, forks the command into the
// container's pid namespace (pid_for_children), waits for it and exits as
// it did. Everything it maps is this sealed copy: nothing the visible
// command-to-be shows the container (/proc/N/exe, /proc/N/map_files) is a
// host file. Links only libxc's process and base code, statically.
//
// The fork is a vfork (CLONE_VFORK without CLONE_VM): we resume only once
// the command has exec'd or failed, so its error, if any, is already in
// the pipe, and we never wait on an fd the container could hold open.
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "api/attach.hpp"

namespace xc {

namespace {

// Signals the command gets from the terminal or its session; we only wait.
constexpr int kPassedOn[] = {SIGINT, SIGQUIT, SIGHUP, SIGTERM};
constexpr size_t kPassedCount = sizeof kPassedOn / sizeof kPassedOn[0];

struct InitArgs {
    int channel = -1, ctty = -1;
    pid_t caller = -1;
    char** cmd = nullptr;
};

bool parseArgs(int argc, char** argv, InitArgs& a) {
    if (argc < 6 || std::strcmp(argv[4], "--") != 0) return false;
    a.channel = std::atoi(argv[1]);
    a.ctty = std::atoi(argv[2]);
    a.caller = static_cast<pid_t>(std::atol(argv[3]));
    a.cmd = argv + 5;
    return a.channel > 2 && a.ctty >= -1 && a.ctty <= 2;
}

// In the command's process: never returns. A failure goes to `errFd` as a
// serialized Error (the pipe is close-on-exec: empty means it exec'd).
[[noreturn]] void runCommand(const InitArgs& a, char** envp, const struct sigaction* saved, int errFd) {
    auto fail = [&](const Error& e, int code) {
        std::string s = e.serialize();
        ssize_t n = ::write(errFd, s.data(), s.size());
        (void)n;
        ::_exit(code);
    };
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    for (size_t i = 0; i < kPassedCount; ++i) ::sigaction(kPassedOn[i], &saved[i], nullptr);
    if (a.ctty >= 0) {
        if (::setsid() < 0) fail(Error::sys("start a session"), 1);
        if (::ioctl(a.ctty, TIOCSCTTY, 0) < 0) fail(Error::sys("make the pty the controlling terminal"), 1);
    }
    ::execvpe(a.cmd[0], a.cmd, envp);
    int err = errno;
    fail(Error::sys(err, std::string("exec ") + a.cmd[0] + " in the container"), err == ENOENT ? 127 : 126);
    ::_exit(127);
}

std::string readAvailable(int fd) {
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || out.size() > (64 << 10)) return out;
        out.append(buf, static_cast<size_t>(n));
    }
}

// Exits as the command did: its code, or the same signal (no core dump).
int passOn(int status) {
    if (WIFEXITED(status)) return WEXITSTATUS(status);
    int sig = WTERMSIG(status);
    struct rlimit none = {0, 0};
    ::setrlimit(RLIMIT_CORE, &none);
    ::signal(sig, SIG_DFL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, sig);
    ::sigprocmask(SIG_UNBLOCK, &set, nullptr);
    ::raise(sig);
    return 128 + sig;
}

}  // namespace

int runAttachInit(int argc, char** argv, char** envp) {
    ::prctl(PR_SET_DUMPABLE, 0);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    InitArgs a;
    if (!parseArgs(argc, argv, a)) {
        std::fprintf(stderr, "%s is run by xc-attach; see xc-attach --help\n", kAttachInitName);
        return 2;
    }
    if (::getppid() != a.caller) return 1;
    Channel ch{UniqueFd(a.channel)};
    ::fcntl(ch.fd(), F_SETFD, FD_CLOEXEC);
    struct sigaction ign = {}, saved[kPassedCount];
    ign.sa_handler = SIG_IGN;
    for (size_t i = 0; i < kPassedCount; ++i) ::sigaction(kPassedOn[i], &ign, &saved[i]);
    int p[2];
    if (::pipe2(p, O_CLOEXEC | O_NONBLOCK) < 0) {
        ch.sendError(Error::sys("create a pipe"));
        return 1;
    }
    UniqueFd errRead(p[0]), errWrite(p[1]);
    auto child = cloneChild(CLONE_VFORK);
    if (!child) {
        ch.sendError(child.error().wrap("start the command"));
        return 1;
    }
    if (child->pid() == 0) {
        ch.close();
        errRead.reset();
        runCommand(a, envp, saved, errWrite.get());
    }
    errWrite.reset();
    std::string err = readAvailable(errRead.get());
    (void)ch.send(err.empty() ? std::string(kAttachExecMessage) : "err " + err);
    ch.close();
    auto st = child->wait();
    if (!st) return 1;
    return passOn(*st);
}

}  // namespace xc
