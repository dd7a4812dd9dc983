#include "process/process.hpp"
#include "process/clone_into.hpp"

#include "base/fdpass.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sched.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

extern char** environ;

namespace xc {

Result<std::pair<Channel, Channel>> Channel::pair() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return Error::sys("create socket pair");
    return std::make_pair(Channel(UniqueFd(sv[0])), Channel(UniqueFd(sv[1])));
}

Status Channel::send(const std::string& msg, const std::vector<int>& fds) const {
    return sendPacket(fd_.get(), msg, fds, "sync channel");
}

Result<Channel::Message> Channel::recv(size_t maxFds) const {
    XC_ASSIGN(Packet p, recvPacket(fd_.get(), 1 << 20, maxFds, "sync channel"));
    Message m;
    m.data = std::move(p.data);
    m.fds = std::move(p.fds);
    m.eof = p.eof;
    return m;
}

void Channel::sendError(const Error& e) const { (void)send("err " + e.serialize()); }

Result<Channel::Message> Channel::expect(const std::string& what, size_t maxFds) const {
    XC_ASSIGN(Message m, recv(maxFds));
    if (m.eof) return Error::msg(what + ": the other side exited without a word", EPIPE);
    if (m.data.rfind("err ", 0) == 0) return Error::deserialize(m.data.substr(4));
    return m;
}

Process& Process::operator=(Process&& o) noexcept {
    if (this != &o) {
        (void)kill();
        pid_ = std::exchange(o.pid_, -1);
        pidfd_ = std::move(o.pidfd_);
    }
    return *this;
}

namespace {

// waitid on the pidfd; WNOHANG gives nullopt while it runs.
Result<std::optional<int>> reap(pid_t pid, int pidfd, int flags) {
    siginfo_t info = {};
    int rc;
    do rc = ::waitid(P_PIDFD, static_cast<id_t>(pidfd), &info, WEXITED | flags);
    while (rc < 0 && errno == EINTR);
    if (rc < 0) return Error::sys("reap process " + std::to_string(pid));
    if (info.si_pid == 0) return std::optional<int>();
    int status = info.si_code == CLD_EXITED ? W_EXITCODE(info.si_status, 0) : info.si_status & 0x7f;
    if (info.si_code == CLD_DUMPED) status |= 0x80;
    return std::optional<int>(status);
}

}  // namespace

Result<int> Process::wait(std::chrono::milliseconds timeout) {
    if (!running()) return Error::msg("wait for a process: none is owned", ECHILD);
    if (timeout.count() >= 0) {
        struct pollfd p = {pidfd_.get(), POLLIN, 0};
        auto deadline = std::chrono::steady_clock::now() + timeout;
        for (;;) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            int rc = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
            if (rc < 0 && errno == EINTR) continue;
            if (rc < 0) return Error::sys("wait for process " + std::to_string(pid_));
            if (rc == 0) return Error::sys(ETIMEDOUT, "wait for process " + std::to_string(pid_));
            break;
        }
    }
    XC_ASSIGN(std::optional<int> st, reap(pid_, pidfd_.get(), 0));
    markReaped();
    return st.value_or(0);
}

Result<std::optional<int>> Process::tryWait() {
    if (!running()) return Error::msg("wait for a process: none is owned", ECHILD);
    XC_ASSIGN(std::optional<int> st, reap(pid_, pidfd_.get(), WNOHANG));
    if (st) markReaped();
    return st;
}

Status Process::signal(int sig) const {
    if (!running()) return Error::msg("signal a process: none is owned", ESRCH);
    if (::syscall(SYS_pidfd_send_signal, pidfd_.get(), sig, nullptr, 0) < 0)
        return Error::sys("send " + signalName(sig) + " to process " + std::to_string(pid_));
    return {};
}

int Process::kill() {
    if (!running()) return -1;
    (void)::syscall(SYS_pidfd_send_signal, pidfd_.get(), SIGKILL, nullptr, 0);
    auto st = reap(pid_, pidfd_.get(), 0);
    markReaped();
    return st && *st ? **st : -1;
}

void Process::markReaped() {
    pid_ = -1;
    pidfd_.reset();
}

pid_t Process::release() {
    pid_t pid = pid_;
    markReaped();
    return pid;
}

Result<pid_t> cloneSharingMemory(int (*fn)(void*), void* arg, int* pidfd) {
    alignas(16) char stack[64 * 1024];  // ours, idle while the child runs
    sigset_t all, old;
    sigfillset(&all);
    ::pthread_sigmask(SIG_SETMASK, &all, &old);
    int flags = CLONE_VM | CLONE_VFORK | SIGCHLD | (pidfd ? CLONE_PIDFD : 0);
    pid_t pid = ::clone(fn, stack + sizeof stack, flags, arg, pidfd);
    int err = errno;
    ::pthread_sigmask(SIG_SETMASK, &old, nullptr);
    if (pid < 0) return Error::sys(err, "start a child");
    return pid;
}

Result<Process> cloneChild(unsigned long long flags) { return cloneChildInto(flags, -1); }

Result<Process> cloneChildInto(unsigned long long flags, int cgroupFd) {
    if (flags == 0 && cgroupFd < 0) {
        // A plain child through glibc's fork: its at-fork handlers reset
        // malloc's and stdio's locks in the child, so the child may
        // allocate even if another thread of the caller (a Python
        // binding, a daemon) held one of those locks at the fork. The
        // pidfd is opened before the parent could reap the child, so it
        // names exactly this child.
        pid_t pid = ::fork();
        if (pid < 0) return Error::sys("fork a child");
        if (pid == 0) return Process(0, UniqueFd());
        UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
        if (!fd) {
            Error e = Error::sys("open a pidfd for child " + std::to_string(pid));
            ::kill(pid, SIGKILL);
            int st;
            while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
            }
            return e;
        }
        return Process(pid, std::move(fd));
    }
    int pidfd = -1;
    struct clone_args args = {};
    args.flags = flags | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    if (cgroupFd >= 0) {
        args.flags |= CLONE_INTO_CGROUP;
        args.cgroup = static_cast<uint64_t>(cgroupFd);
    }
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0) return Error::sys("clone a child with new namespaces");
    if (pid == 0) return Process(0, UniqueFd());
    return Process(static_cast<pid_t>(pid), UniqueFd(pidfd));
}

Result<Process> cloneChildIn(int userns, unsigned long long flags, int cgroupFd) {
    int report[2];
    if (::pipe2(report, O_CLOEXEC) < 0) return Error::sys("make a pipe");
    UniqueFd readEnd(report[0]), writeEnd(report[1]);
    pid_t mid = ::fork();
    if (mid < 0) return Error::sys("fork a child");
    if (mid == 0) {
        // The intermediate: a result is the child's pid, or minus an errno.
        long r = ::setns(userns, CLONE_NEWUSER) < 0 ? -errno : 0;
        if (r == 0) {
            struct clone_args args = {};
            // With CLONE_PARENT the child's exit signal is ours (SIGCHLD, from
            // the fork); clone3 refuses one given.
            args.flags = flags | CLONE_PARENT;
            if (cgroupFd >= 0) {
                args.flags |= CLONE_INTO_CGROUP;
                args.cgroup = static_cast<uint64_t>(cgroupFd);
            }
            r = ::syscall(SYS_clone3, &args, sizeof args);
            if (r == 0) return Process(0, UniqueFd());
            if (r < 0) r = -errno;
        }
        if (::write(writeEnd.get(), &r, sizeof r) != static_cast<ssize_t>(sizeof r)) ::_exit(1);
        ::_exit(0);
    }
    writeEnd.reset();
    long r = 0;
    ssize_t n;
    while ((n = ::read(readEnd.get(), &r, sizeof r)) < 0 && errno == EINTR) {
    }
    int st;
    while (::waitpid(mid, &st, 0) < 0 && errno == EINTR) {
    }
    if (n != static_cast<ssize_t>(sizeof r)) return Error::msg("clone a child in a user namespace: the intermediate died", ECHILD);
    if (r < 0) {
        errno = static_cast<int>(-r);
        return Error::sys("clone a child with new namespaces in its user namespace");
    }
    // The caller's child (CLONE_PARENT), not reaped before this: the pid
    // names it, even if it has exited meanwhile.
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, static_cast<pid_t>(r), 0)));
    if (!fd) {
        Error e = Error::sys("open a pidfd for child " + std::to_string(r));
        ::kill(static_cast<pid_t>(r), SIGKILL);
        while (::waitpid(static_cast<pid_t>(r), &st, 0) < 0 && errno == EINTR) {
        }
        return e;
    }
    return Process(static_cast<pid_t>(r), std::move(fd));
}

namespace {

// What the child of startProgram needs, made before the clone: the child
// only makes system calls, so it cannot deadlock on a lock (malloc's)
// that another thread of a multi-threaded caller held at the clone.
struct PreparedExec {
    std::vector<std::string> envStore;
    std::vector<char*> argv, envp;
    bool ownEnv = false;
    std::vector<int> keepSorted;  // Program::keepFds plus the report channel
};

// Where the child failed, as it reports it: a stage and an errno.
enum class ExecStage : int { DevNull, Stdio, KeepFd, Chdir, Exec };
struct ExecFailure {
    ExecStage stage;
    int err;
};

PreparedExec prepareExec(const Program& cmd, int reportFd) {
    PreparedExec px;
    for (const auto& a : cmd.argv) px.argv.push_back(const_cast<char*>(a.c_str()));
    px.argv.push_back(nullptr);
    px.ownEnv = !(cmd.inheritEnv && cmd.env.empty());
    if (px.ownEnv) {
        if (cmd.inheritEnv)
            for (char** e = environ; *e; ++e) px.envStore.emplace_back(*e);
        px.envStore.insert(px.envStore.end(), cmd.env.begin(), cmd.env.end());
        for (auto& e : px.envStore) px.envp.push_back(e.data());
        px.envp.push_back(nullptr);
    }
    px.keepSorted = cmd.keepFds;
    px.keepSorted.push_back(reportFd);
    std::sort(px.keepSorted.begin(), px.keepSorted.end());
    return px;
}

// In the child of startProgram: system calls only, never returns. It
// shares the caller's memory (spawnExec): the handlers go before any
// signal is let in, so that none of the caller's runs here.
[[noreturn]] void execProgram(const Program& cmd, const PreparedExec& px, int reportFd) {
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (cmd.parentDeathSignal) ::prctl(PR_SET_PDEATHSIG, cmd.parentDeathSignal);
    if (cmd.newSession) ::setsid();
    auto fail = [&](ExecStage stage) {
        ExecFailure f{stage, errno};
        (void)!::send(reportFd, &f, sizeof f, MSG_NOSIGNAL);
        ::_exit(127);
    };
    int null = ::open("/dev/null", O_RDWR | O_CLOEXEC);
    if (null < 0) fail(ExecStage::DevNull);
    // Move the wanted fds above 2 first, so that dup2 cannot clobber one
    // stdio source with another.
    int src[3] = {cmd.stdinFd, cmd.stdoutFd, cmd.stderrFd};
    for (int i = 0; i < 3; ++i) {
        int from = src[i] < 0 ? null : src[i];
        src[i] = ::fcntl(from, F_DUPFD_CLOEXEC, 3);
        if (src[i] < 0) fail(ExecStage::Stdio);
    }
    for (int i = 0; i < 3; ++i)
        if (::dup2(src[i], i) < 0) fail(ExecStage::Stdio);
    closeFdsExcept(3, px.keepSorted.data(), px.keepSorted.size());
    for (int fd : cmd.keepFds) {
        int fl = ::fcntl(fd, F_GETFD);
        if (fl < 0 || ::fcntl(fd, F_SETFD, fl & ~FD_CLOEXEC) < 0) fail(ExecStage::KeepFd);
    }
    if (!cmd.cwd.empty() && ::chdir(cmd.cwd.c_str()) < 0) fail(ExecStage::Chdir);
    if (px.ownEnv)
        ::execve(px.argv[0], px.argv.data(), px.envp.data());
    else
        ::execv(px.argv[0], px.argv.data());
    fail(ExecStage::Exec);
    ::_exit(127);
}

// The child of startProgram shares our memory (cloneSharingMemory): the
// tool's spawn of the supervisor copies no page tables, ~1.5 ms of a start.
struct SpawnArgs {
    const Program* cmd;
    const PreparedExec* px;
    int reportFd;
};

Result<Process> spawnExec(const Program& cmd, const PreparedExec& px, int reportFd) {
    SpawnArgs args{&cmd, &px, reportFd};
    auto child = [](void* a) -> int {
        auto* s = static_cast<SpawnArgs*>(a);
        execProgram(*s->cmd, *s->px, s->reportFd);
    };
    int pidfd = -1;
    XC_ASSIGN(pid_t pid, cloneSharingMemory(child, &args, &pidfd).ctx("run " + cmd.argv[0]));
    return Process(pid, UniqueFd(pidfd));
}

Error execError(const Program& cmd, const ExecFailure& f) {
    switch (f.stage) {
        case ExecStage::DevNull: return Error::sys(f.err, "run " + cmd.argv[0] + ": open /dev/null");
        case ExecStage::Stdio: return Error::sys(f.err, "run " + cmd.argv[0] + ": set up the standard fds");
        case ExecStage::KeepFd: return Error::sys(f.err, "run " + cmd.argv[0] + ": keep the inherited fds open");
        case ExecStage::Chdir: return Error::sys(f.err, "run " + cmd.argv[0] + ": change to " + cmd.cwd);
        case ExecStage::Exec: break;
    }
    return Error::sys(f.err, "run " + cmd.argv[0]);
}

}  // namespace

Result<Process> startProgram(const Program& cmd) {
    if (cmd.argv.empty()) return Error::msg("run a command: no program given", EINVAL);
    XC_ASSIGN(auto chans, Channel::pair());
    PreparedExec px = prepareExec(cmd, chans.second.fd());
    XC_ASSIGN(Process child, spawnExec(cmd, px, chans.second.fd()));
    chans.second.close();
    // EOF: the exec happened (the channel is close-on-exec); else its failure.
    ExecFailure f{};
    ssize_t n;
    do n = ::recv(chans.first.fd(), &f, sizeof f, 0);
    while (n < 0 && errno == EINTR);
    if (n == 0) return child;
    if (n == sizeof f) return execError(cmd, f);
    if (n < 0) return Error::sys("run " + cmd.argv[0] + ": read the child's report");
    return Error::msg("run " + cmd.argv[0] + ": unexpected message from the child", EPROTO);
}

Result<ProgramOutput> runProgram(const Program& cmdIn, const std::string& input, std::chrono::milliseconds timeout) {
    constexpr size_t kCap = 1 << 20;
    if (cmdIn.argv.empty()) return Error::msg("run a command: no program given", EINVAL);
    int in[2], out[2], err[2];
    if (::pipe2(in, O_CLOEXEC) < 0) return Error::sys("make a pipe for " + cmdIn.argv[0]);
    UniqueFd inR(in[0]), inW(in[1]);
    if (::pipe2(out, O_CLOEXEC) < 0) return Error::sys("make a pipe for " + cmdIn.argv[0]);
    UniqueFd outR(out[0]), outW(out[1]);
    if (::pipe2(err, O_CLOEXEC) < 0) return Error::sys("make a pipe for " + cmdIn.argv[0]);
    UniqueFd errR(err[0]), errW(err[1]);
    Program cmd = cmdIn;
    cmd.stdinFd = inR.get();
    cmd.stdoutFd = outW.get();
    cmd.stderrFd = errW.get();
    XC_ASSIGN(Process child, startProgram(cmd));
    inR.reset();
    outW.reset();
    errW.reset();
    for (int fd : {inW.get(), outR.get(), errR.get()}) {
        int fl = ::fcntl(fd, F_GETFL);
        if (fl < 0 || ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
            return Error::sys("make the pipes of " + cmd.argv[0] + " non-blocking");  // `child` is killed and reaped
    }
    if (input.empty()) inW.reset();

    ProgramOutput res;
    size_t written = 0;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (outR || errR) {
        struct pollfd p[3];
        int n = 0;
        if (outR) p[n++] = {outR.get(), POLLIN, 0};
        if (errR) p[n++] = {errR.get(), POLLIN, 0};
        if (inW) p[n++] = {inW.get(), POLLOUT, 0};
        int wait = -1;
        if (timeout.count() >= 0) {
            auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) return Error::sys(ETIMEDOUT, "run " + cmd.argv[0]);
            wait = static_cast<int>(left.count());
        }
        int rc = ::poll(p, static_cast<nfds_t>(n), wait);
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) return Error::sys("run " + cmd.argv[0]);
        for (int i = 0; i < n; ++i) {
            if (!p[i].revents) continue;
            if (inW && p[i].fd == inW.get()) {
                ssize_t w = ::write(inW.get(), input.data() + written, input.size() - written);
                if (w > 0) written += static_cast<size_t>(w);
                if (w < 0 && errno != EAGAIN && errno != EINTR) inW.reset();
                if (written == input.size()) inW.reset();
                continue;
            }
            UniqueFd& src = outR && p[i].fd == outR.get() ? outR : errR;
            std::string& dst = &src == &outR ? res.out : res.err;
            char buf[8192];
            ssize_t r = ::read(src.get(), buf, sizeof buf);
            if (r > 0) {
                dst.append(buf, std::min(static_cast<size_t>(r), kCap - std::min(kCap, dst.size())));
            } else if (r == 0 || (errno != EAGAIN && errno != EINTR)) {
                src.reset();
            }
        }
    }
    inW.reset();
    auto left = timeout.count() < 0 ? kForever
                                     : std::max(std::chrono::milliseconds(0),
                                                std::chrono::duration_cast<std::chrono::milliseconds>(
                                                    deadline - std::chrono::steady_clock::now()));
    XC_ASSIGN(res.status, child.wait(left).ctx("run " + cmd.argv[0]));
    return res;
}

int exitCodeOf(int st) {
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return 255;
}

std::string describeWaitStatus(int st) {
    if (WIFEXITED(st)) return "exited with status " + std::to_string(WEXITSTATUS(st));
    if (WIFSIGNALED(st)) return std::string("killed by signal ") + std::to_string(WTERMSIG(st)) + " (" + ::strsignal(WTERMSIG(st)) + ")";
    return "status " + std::to_string(st);
}

std::string signalName(int sig) {
    if (sig >= SIGRTMIN && sig <= SIGRTMAX) return "SIGRTMIN+" + std::to_string(sig - SIGRTMIN);
    const char* abbrev = ::sigabbrev_np(sig);
    return abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(sig);
}

Result<UniqueFd> openPidfd(pid_t pid) {
    UniqueFd fd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!fd) return Error::sys("open pidfd of process " + std::to_string(pid));
    return fd;
}

Status sendSignal(int pidfd, int sig) {
    if (::syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0) < 0)
        return Error::sys("send " + signalName(sig) + " to the container's init");
    return {};
}

void closeFdsExcept(int from, const int* sortedKeep, size_t count) {
    int next = from;
    for (size_t i = 0; i < count; ++i) {
        int fd = sortedKeep[i];
        if (fd < next) continue;
        if (fd > next) ::syscall(SYS_close_range, next, fd - 1, 0);
        next = fd + 1;
    }
    ::syscall(SYS_close_range, next, ~0U, 0);
}

void closeFdsFrom(int from, const std::vector<int>& keep) {
    std::vector<int> k = keep;
    std::sort(k.begin(), k.end());
    closeFdsExcept(from, k.data(), k.size());
}

}  // namespace xc
