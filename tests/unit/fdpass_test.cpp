// Fd passing: the receiver makes room for what its protocol may send and
// never loses descriptors silently.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vector>

#include "base/fdpass.hpp"

using namespace xc;

namespace {

struct Pair {
    UniqueFd a, b;
    Pair() {
        int sv[2];
        EXPECT_EQ(::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv), 0);
        a.reset(sv[0]);
        b.reset(sv[1]);
    }
};

std::vector<UniqueFd> openNull(int n) {
    std::vector<UniqueFd> out;
    for (int i = 0; i < n; ++i) out.emplace_back(::open("/dev/null", O_RDONLY | O_CLOEXEC));
    return out;
}

std::vector<int> raw(const std::vector<UniqueFd>& fds) {
    std::vector<int> out;
    for (const auto& f : fds) out.push_back(f.get());
    return out;
}

}  // namespace

TEST(FdPass, SixtyFiveFdsArriveWhenThatManyMayCome) {
    Pair p;
    auto fds = openNull(65);  // a console and 64 ttys
    ASSERT_TRUE(sendPacket(p.a.get(), "ptys", raw(fds), "test"));
    auto r = recvPacket(p.b.get(), 1024, 65, "test");
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->data, "ptys");
    ASSERT_EQ(r->fds.size(), 65u);
    for (const auto& f : r->fds) EXPECT_GE(::fcntl(f.get(), F_GETFD), 0);
}

TEST(FdPass, MoreFdsThanExpectedIsAnError) {
    Pair p;
    auto fds = openNull(20);
    ASSERT_TRUE(sendPacket(p.a.get(), "ptys", raw(fds), "test"));
    auto r = recvPacket(p.b.get(), 1024, 16, "test");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), EPROTO);
    EXPECT_NE(r.error().message().find("16 expected"), std::string::npos) << r.error().message();
}

TEST(FdPass, AnFdWhereNoneMayComeIsAnError) {
    Pair p;
    auto fds = openNull(1);
    ASSERT_TRUE(sendPacket(p.a.get(), "x", raw(fds), "test"));
    auto r = recvPacket(p.b.get(), 1024, 0, "test");
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code(), EPROTO);
}
