// Connections to the supervisor's command socket that have not sent their
// request yet. Each is served from the event loop as soon as its request
// arrives, never waited for: a client that says nothing within the deadline
// is dropped, so one silent (or slow) client cannot hold up the others.
#pragma once

#include <chrono>
#include <map>
#include <optional>

#include "monitor/ipc.hpp"
#include "xc/fd.hpp"
#include "xc/log.hpp"

namespace xc {

class PendingRequests {
public:
    // How long a client may take to send its request once connected (ours
    // send it at once), and how many may wait at a time (the oldest one is
    // dropped for a newer one).
    static constexpr std::chrono::milliseconds kDeadline{2000};
    static constexpr size_t kMaxPending = 64;

    explicit PendingRequests(int epollFd) : epoll_(epollFd) {}

    // Accepts every connection waiting on listenFd and watches each for its request.
    void acceptAll(int listenFd, const Log& log);
    bool owns(int fd) const { return pending_.count(fd) != 0; }
    struct Ready {
        UniqueFd conn;
        Request request;
    };
    // fd became readable: its request, once whole (nullopt while it has not
    // come, or if the client failed and was dropped).
    std::optional<Ready> take(int fd, const Log& log);
    // Drops clients past their deadline; returns the ms until the next
    // deadline, -1 if none waits (an epoll_wait timeout).
    int expire(const Log& log);

private:
    void drop(int fd, const Log& log, const std::string& why);

    struct Client {
        UniqueFd conn;
        std::chrono::steady_clock::time_point deadline;
    };
    int epoll_;
    std::map<int, Client> pending_;
};

}  // namespace xc
