// Child processes: clone3 into new namespaces with a pidfd, a typed sync
// channel across the fork boundary (messages carry errors and fds), and
// waiting with timeouts.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
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
    struct Message {
        std::string data;
        std::vector<UniqueFd> fds;
        bool eof = false;
    };
    Result<Message> recv() const;

    // The child's side of reporting a failure before exec.
    void sendError(const Error& e) const;
    // Receives "ok..." or an error sent with sendError.
    Result<Message> expect(const std::string& what) const;

private:
    UniqueFd fd_;
};

// A child made by clone3 with CLONE_PIDFD.
struct Child {
    pid_t pid = -1;
    UniqueFd pidfd;
};

// clone3(flags | CLONE_PIDFD). Returns pid 0 in the child (like fork).
Result<Child> cloneChild(unsigned long long flags);

// Waits for a child through its pidfd for at most `timeout`; ETIMEDOUT if
// it is still running. Returns the wait status.
Result<int> waitChild(const Child& c, std::chrono::milliseconds timeout);
// The exit status as a shell shows it: code, or 128 + signal.
int exitCodeOf(int waitStatus);
std::string describeWaitStatus(int waitStatus);

// Opens a pidfd for an existing pid.
Result<UniqueFd> openPidfd(pid_t pid);
Status sendSignal(int pidfd, int sig);
std::string signalName(int sig);  // "SIGUSR1", "SIGRTMIN+3"

// Closes every fd from `from` up, except those listed.
void closeFdsFrom(int from, const std::vector<int>& keep = {});

}  // namespace xc
