#include "monitor/requests.hpp"

#include <sys/epoll.h>

#include <algorithm>

namespace xc {

using Clock = std::chrono::steady_clock;

void PendingRequests::acceptAll(int listenFd, const Log& log) {
    for (;;) {
        auto conn = acceptClient(listenFd);
        if (!conn) {
            int e = conn.error().code();
            if (e == EAGAIN || e == EWOULDBLOCK) return;
            log.warn(conn.error().message());
            if (e == EPERM || e == ECONNABORTED || e == EINTR) continue;
            return;  // EMFILE and the like: the rest stay queued for the next round
        }
        if (pending_.size() >= kMaxPending) {
            auto oldest = std::min_element(pending_.begin(), pending_.end(), [](const auto& a, const auto& b) {
                return a.second.deadline < b.second.deadline;
            });
            drop(oldest->first, log, "too many clients waiting to send their request");
        }
        struct epoll_event ev = {};
        ev.events = EPOLLIN | EPOLLRDHUP;
        ev.data.fd = conn->get();
        if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, conn->get(), &ev) < 0) {
            (void)sendError(conn->get(), Error::sys("the supervisor could not watch the connection"));
            continue;
        }
        int fd = conn->get();
        pending_[fd] = Client{std::move(*conn), Clock::now() + kDeadline};
    }
}

std::optional<PendingRequests::Ready> PendingRequests::take(int fd, const Log& log) {
    auto it = pending_.find(fd);
    if (it == pending_.end()) return std::nullopt;
    auto req = readRequest(fd);
    if (!req && (req.error().code() == EAGAIN || req.error().code() == EWOULDBLOCK)) return std::nullopt;
    (void)::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);  // fails only if not watched
    Ready r{std::move(it->second.conn), {}};
    pending_.erase(it);
    if (!req) {
        // A client that hung up without asking needs no answer.
        if (req.error().code() != EPIPE) {
            log.warn("bad request: " + req.error().message());
            (void)sendError(r.conn.get(), req.error());
        }
        return std::nullopt;
    }
    r.request = std::move(*req);
    return r;
}

int PendingRequests::expire(const Log& log) {
    auto now = Clock::now();
    std::vector<int> late;
    auto next = Clock::time_point::max();
    for (const auto& [fd, c] : pending_) {
        if (c.deadline <= now) late.push_back(fd);
        else next = std::min(next, c.deadline);
    }
    for (int fd : late) drop(fd, log, "no request within " + std::to_string(kDeadline.count()) + " ms");
    if (next == Clock::time_point::max()) return -1;
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(next - now).count() + 1;
    return static_cast<int>(std::min<long long>(ms, 60000));
}

void PendingRequests::drop(int fd, const Log& log, const std::string& why) {
    auto it = pending_.find(fd);
    if (it == pending_.end()) return;
    log.info("dropped a client: " + why);
    (void)::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    (void)sendError(fd, Error::msg("dropped by the supervisor: " + why, ETIMEDOUT));
    pending_.erase(it);
}

}  // namespace xc
