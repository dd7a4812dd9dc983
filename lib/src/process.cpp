#include "xc/process.hpp"

#include "xc/fdpass.hpp"

#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace xc {

Result<std::pair<Channel, Channel>> Channel::pair() {
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) return Error::sys("create socket pair");
    return std::make_pair(Channel(UniqueFd(sv[0])), Channel(UniqueFd(sv[1])));
}

Status Channel::send(const std::string& msg, const std::vector<int>& fds) const {
    return sendPacket(fd_.get(), msg, fds, "sync channel");
}

Result<Channel::Message> Channel::recv() const {
    XC_ASSIGN(Packet p, recvPacket(fd_.get(), 1 << 20, "sync channel"));
    Message m;
    m.data = std::move(p.data);
    m.fds = std::move(p.fds);
    m.eof = p.eof;
    return m;
}

void Channel::sendError(const Error& e) const { (void)send("err " + e.serialize()); }

Result<Channel::Message> Channel::expect(const std::string& what) const {
    XC_ASSIGN(Message m, recv());
    if (m.eof) return Error::msg(what + ": the other side exited without a word", EPIPE);
    if (m.data.rfind("err ", 0) == 0) return Error::deserialize(m.data.substr(4));
    return m;
}

Result<Child> cloneChild(unsigned long long flags) {
    int pidfd = -1;
    struct clone_args args = {};
    args.flags = flags | CLONE_PIDFD;
    args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    long pid = ::syscall(SYS_clone3, &args, sizeof args);
    if (pid < 0) return Error::sys("clone a child with new namespaces");
    Child c;
    c.pid = static_cast<pid_t>(pid);
    if (pid > 0) c.pidfd.reset(pidfd);
    return c;
}

Result<int> waitChild(const Child& c, std::chrono::milliseconds timeout) {
    struct pollfd p = {c.pidfd.get(), POLLIN, 0};
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        int rc = ::poll(&p, 1, static_cast<int>(std::max<long long>(0, left.count())));
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) return Error::sys("wait for process " + std::to_string(c.pid));
        if (rc == 0) return Error::sys(ETIMEDOUT, "wait for process " + std::to_string(c.pid));
        break;
    }
    int status = 0;
    pid_t r;
    do r = ::waitpid(c.pid, &status, 0);
    while (r < 0 && errno == EINTR);
    if (r < 0) return Error::sys("reap process " + std::to_string(c.pid));
    return status;
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

void closeFdsFrom(int from, const std::vector<int>& keep) {
    std::vector<int> k = keep;
    std::sort(k.begin(), k.end());
    int next = from;
    for (int fd : k) {
        if (fd < next) continue;
        if (fd > next) ::syscall(SYS_close_range, next, fd - 1, 0);
        next = fd + 1;
    }
    ::syscall(SYS_close_range, next, ~0U, 0);
}

}  // namespace xc
