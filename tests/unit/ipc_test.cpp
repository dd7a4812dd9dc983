// The supervisor's attach answer: what it encodes comes back whole.
#include <gtest/gtest.h>

#include "monitor/ipc.hpp"

using namespace xc;

TEST(AttachInfoWire, RoundTrips) {
    AttachInfo in;
    in.state = "RUNNING";
    in.initPid = 4242;
    in.capDrop = {"sys_module", "net_raw"};
    in.seccomp = {{"kexec_load", 1}, {"keyctl", 38}};
    auto out = decodeAttachInfo(encodeAttachInfo(in));
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_EQ(out->state, "RUNNING");
    EXPECT_EQ(out->initPid, 4242);
    EXPECT_EQ(out->capDrop, in.capDrop);
    EXPECT_TRUE(out->capKeep.empty());
    ASSERT_EQ(out->seccomp.size(), 2u);
    EXPECT_EQ(out->seccomp[1].syscall, "keyctl");
    EXPECT_EQ(out->seccomp[1].errnum, 38);
}

TEST(AttachInfoWire, IgnoresKeysOfANewerSupervisorAndRefusesAnIncompleteAnswer) {
    auto out = decodeAttachInfo("state FROZEN\npid 7\nlsm some-label\ncap_keep chown\n");
    ASSERT_TRUE(out) << out.error().message();
    EXPECT_EQ(out->state, "FROZEN");
    EXPECT_EQ(out->capKeep, std::vector<std::string>{"chown"});
    EXPECT_FALSE(decodeAttachInfo("cap_drop sys_module\n"));
    EXPECT_FALSE(decodeAttachInfo("state RUNNING\npid 1\nseccomp nocolon\n"));
}
