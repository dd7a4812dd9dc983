// The supervisor gives back its start-up memory only once the starter has
// hung up the ready socket, and a moment after that (StartupRelease).
#include <gtest/gtest.h>

#include <sys/epoll.h>
#include <sys/socket.h>

#include <chrono>

#include "monitor/startup_release.hpp"

using namespace xc;

namespace {

// One epoll_wait; the fd that became ready, -1 on a timeout.
int readyFd(int epollFd, int timeoutMs) {
    struct epoll_event ev = {};
    int n = ::epoll_wait(epollFd, &ev, 1, timeoutMs);
    return n == 1 ? ev.data.fd : -1;
}

}  // namespace

TEST(StartupRelease, WaitsForTheStarterToHangUpThenAMoment) {
    UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
    ASSERT_TRUE(ep);
    int sv[2];
    ASSERT_EQ(::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
    UniqueFd ours(sv[0]), starter(sv[1]);
    ASSERT_EQ(::shutdown(ours.get(), SHUT_WR), 0);  // as after "ok"

    StartupRelease release;
    release.begin(std::move(ours), ep.get());
    EXPECT_FALSE(release.released());
    EXPECT_EQ(readyFd(ep.get(), 50), -1) << "ready while the starter still holds its end";

    starter.reset();  // the starter read its answer and exits
    int fd = readyFd(ep.get(), 1000);
    ASSERT_GE(fd, 0);
    ASSERT_TRUE(release.owns(fd));
    release.onEvent(fd);
    EXPECT_FALSE(release.released()) << "released at the hang-up, while the starter still exits";

    auto before = std::chrono::steady_clock::now();
    fd = readyFd(ep.get(), 1000);
    ASSERT_GE(fd, 0);
    EXPECT_GE(std::chrono::steady_clock::now() - before, std::chrono::milliseconds(5));
    ASSERT_TRUE(release.owns(fd));
    release.onEvent(fd);
    EXPECT_TRUE(release.released());
    EXPECT_EQ(readyFd(ep.get(), 20), -1) << "nothing left watched";
}

TEST(StartupRelease, WithoutAStarterReleasesAtOnce) {
    UniqueFd ep(::epoll_create1(EPOLL_CLOEXEC));
    ASSERT_TRUE(ep);
    StartupRelease release;
    release.begin(UniqueFd(), ep.get());
    EXPECT_TRUE(release.released());
}
