// Child processes: clone3 into new namespaces with a pidfd, a typed sync
// channel across the fork boundary (messages carry errors and fds), and
// waiting with timeouts.
#pragma once

#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "xc/fd.hpp"
#include "xc/result.hpp"

namespace xc {

// One end of a SOCK_SEQPACKET socketpair: whole messages, optional fds.
class Channel {
public:
    Channel() = default;
    explicit Channel(UniqueFd fd) : fd_(std::move(fd)) {}
    static Result<std::pair<Channel, Channel>> pair();

    int fd() const { return fd_.get(); }
    void close() { fd_.reset(); }

    Status send(const std::string& msg, const std::vector<int>& fds = {}) const;
    // Receives one message; EOF gives an empty message with eof = true.
    // `maxFds`: how many fds the protocol may pass in it; more is an error
    // (EPROTO), never a silent loss.
    struct Message {
        std::string data;
        std::vector<UniqueFd> fds;
        bool eof = false;
    };
    static constexpr size_t kDefaultMaxFds = 4;
    Result<Message> recv(size_t maxFds = kDefaultMaxFds) const;

    // The child's side of reporting a failure before exec.
    void sendError(const Error& e) const;
    // Receives "ok..." or an error sent with sendError.
    Result<Message> expect(const std::string& what, size_t maxFds = kDefaultMaxFds) const;

private:
    UniqueFd fd_;
};

constexpr std::chrono::milliseconds kForever{-1};

// Owner of a child process through its pidfd. Unless it was waited for or
// released, destruction kills it (SIGKILL) and reaps it, so no early
// return leaves a child running or a zombie behind. Waiting goes through
// waitid(P_PIDFD): exactly this child, never a recycled pid.
class Process {
public:
    Process() = default;
    Process(pid_t pid, UniqueFd pidfd) : pid_(pid), pidfd_(std::move(pidfd)) {}
    Process(Process&& o) noexcept : pid_(std::exchange(o.pid_, -1)), pidfd_(std::move(o.pidfd_)) {}
    Process& operator=(Process&& o) noexcept;
    Process(const Process&) = delete;
    Process& operator=(const Process&) = delete;
    ~Process() { (void)kill(); }

    pid_t pid() const { return pid_; }
    int pidfd() const { return pidfd_.get(); }
    // True while this object owns a child that has not been reaped.
    bool running() const { return pid_ > 0 && pidfd_.valid(); }

    // Waits at most `timeout` (kForever: no limit) and reaps; returns the
    // wait status. ETIMEDOUT leaves the child running and owned.
    Result<int> wait(std::chrono::milliseconds timeout = kForever);
    // The wait status if the child has exited (reaped then), else nullopt.
    Result<std::optional<int>> tryWait();
    Status signal(int sig) const;
    // SIGKILL and reap now; returns the wait status (-1 if none was owned).
    int kill();
    // The child was reaped elsewhere (a subreaper's waitpid(-1) loop):
    // forget it without signalling.
    void markReaped();
    // Gives up ownership: the child runs on and is not reaped here.
    pid_t release();

private:
    pid_t pid_ = -1;
    UniqueFd pidfd_;
};

// Runs fn(arg) in a child that shares our memory while this thread waits
// until it has exec'd or exited (CLONE_VM | CLONE_VFORK, as posix_spawn
// does): no copy of the caller's page tables, no copy-on-write faults. The
// child runs on a stack of its own with every signal blocked (no handler of
// ours may run in it; it unblocks what its program should get) and makes
// system calls only: no allocation, no lock. Returns the child's pid, to
// reap; with `pidfd` also its pidfd there.
Result<pid_t> cloneSharingMemory(int (*fn)(void*), void* arg, int* pidfd = nullptr);

// clone3(flags | CLONE_PIDFD), or with no flags glibc's fork (safe to
// allocate in the child of a threaded caller) plus pidfd_open. Like fork,
// the child sees an empty Process (pid() == 0 there); the parent owns it.
Result<Process> cloneChild(unsigned long long flags);

// The same, the child made in the user namespace `userns` (an fd of
// /proc/PID/ns/user; the new namespaces of `flags` are owned by it) by an
// intermediate process that joins it and clones with CLONE_PARENT: the
// child is the caller's own, as with cloneChild.
// With cgroupFd >= 0 the child is born in that cgroup2 directory
// (CLONE_INTO_CGROUP).
Result<Process> cloneChildIn(int userns, unsigned long long flags, int cgroupFd = -1);

// A program to run: argv[0] is the path executed (no PATH search).
struct Program {
    std::vector<std::string> argv;
    // Empty with inheritEnv: the caller's environment.
    std::vector<std::string> env;
    bool inheritEnv = true;
    // Fds for the child's stdin, stdout and stderr; -1: /dev/null.
    int stdinFd = -1, stdoutFd = -1, stderrFd = -1;
    // Fds the child keeps beyond 0-2 (at the same numbers); all else closes.
    std::vector<int> keepFds;
    bool newSession = false;          // setsid(): its own session and process group
    int parentDeathSignal = SIGKILL;  // 0: outlive the caller (daemons)
    std::string cwd;                  // "" : the caller's
};

// Starts a program. A failure to exec comes back as the error, with errno
// ("run /usr/sbin/dnsmasq: No such file or directory"), not as exit 127.
Result<Process> startProgram(const Program& cmd);

struct ProgramOutput {
    int status = 0;        // wait status
    std::string out, err;  // captured stdout and stderr (each capped at 1 MiB)
};
// Runs a program to completion with `input` on its stdin, capturing stdout
// and stderr (the Program's fds are ignored); ETIMEDOUT kills it.
Result<ProgramOutput> runProgram(const Program& cmd, const std::string& input = "",
                                 std::chrono::milliseconds timeout = kForever);

// The exit status as a shell shows it: code, or 128 + signal.
int exitCodeOf(int waitStatus);
std::string describeWaitStatus(int waitStatus);

// Opens a pidfd for an existing pid.
Result<UniqueFd> openPidfd(pid_t pid);
Status sendSignal(int pidfd, int sig);
std::string signalName(int sig);  // "SIGUSR1", "SIGRTMIN+3"

// Closes every fd from `from` up, except those listed.
void closeFdsFrom(int from, const std::vector<int>& keep = {});
// The same without allocating (safe in a child of a threaded process).
void closeFdsExcept(int from, const int* sortedKeep, size_t count);

}  // namespace xc
