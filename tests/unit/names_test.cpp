#include <gtest/gtest.h>

#include "xc/paths.hpp"
#include "xc/result.hpp"

using namespace xc;

TEST(Names, AcceptsValid) {
    for (const char* n : {"c1", "web", "a.b-c_d", "A9", "x"}) EXPECT_TRUE(validateName(n).ok()) << n;
    EXPECT_TRUE(validateName(std::string(64, 'a')).ok());
}

TEST(Names, RefusesInvalid) {
    for (const char* n : {"", "../x", "a/b", ".hidden", "-opt", "a b", "é", "a\nb", "..", "."})
        EXPECT_FALSE(validateName(n).ok()) << n;
    EXPECT_FALSE(validateName(std::string(65, 'a')).ok());
    EXPECT_EQ(validateName("a/b").error().code(), EINVAL);
    EXPECT_NE(validateName("a/b").error().message().find("a/b"), std::string::npos);
}

TEST(Paths, KeyedByBase) {
    HostPaths host = HostPaths::fromEnvironment();
    ContainerPaths def(host, kDefaultBase, "c1");
    ContainerPaths other(host, "/tmp/xc-test", "c1");
    EXPECT_EQ(def.configFile(), "/var/lib/xc/c1/config");
    EXPECT_EQ(def.cgroupPath(), "xc/c1");
    EXPECT_NE(def.runDir(), other.runDir());
    EXPECT_NE(def.cgroupPath(), other.cgroupPath());
    EXPECT_EQ(other.logFile(), "/tmp/xc-test/c1/c1.log");
}

TEST(Errors, ChainAndWire) {
    Error e = Error::sys(ENOENT, "open /x").wrap("start");
    EXPECT_EQ(e.message(), "start: open /x: No such file or directory");
    Error back = Error::deserialize(e.serialize());
    EXPECT_EQ(back.message(), e.message());
    EXPECT_EQ(back.code(), ENOENT);
    Error m = Error::msg("already running", EBUSY);
    EXPECT_EQ(Error::deserialize(m.serialize()).message(), "already running");
    EXPECT_EQ(Error::deserialize("garbage").code(), EPROTO);
}
