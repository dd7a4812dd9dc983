#include "monitor/startup_release.hpp"

#include <malloc.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>

#include <utility>

#include "base/program_text.hpp"

namespace xc {

namespace {
// The starter's exit after its close: unmapping the tool, the wake of its
// parent. A few ms covers it on a busy host; later costs nothing.
constexpr long kAfterHangUpNs = 10 * 1000 * 1000;
}  // namespace

void StartupRelease::begin(UniqueFd answered, int epollFd) {
    epoll_ = epollFd;
    starter_ = std::move(answered);
    if (!starter_ || !watch(starter_.get())) release();
}

bool StartupRelease::watch(int fd) {
    struct epoll_event ev = {};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = fd;
    return ::epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &ev) == 0;
}

void StartupRelease::unwatch(UniqueFd& fd) {
    if (fd) (void)::epoll_ctl(epoll_, EPOLL_CTL_DEL, fd.get(), nullptr);
    fd.reset();
}

void StartupRelease::onEvent(int fd) {
    if (fd == timer_.get()) return release();
    unwatch(starter_);
    timer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    struct itimerspec at = {};
    at.it_value.tv_nsec = kAfterHangUpNs;
    if (!timer_ || ::timerfd_settime(timer_.get(), 0, &at, nullptr) < 0 || !watch(timer_.get())) release();
}

void StartupRelease::release() {
    unwatch(starter_);
    unwatch(timer_);
    released_ = true;
    ::malloc_trim(0);
    (void)releaseStartupPages();
}

}  // namespace xc
