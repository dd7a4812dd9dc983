#include <gtest/gtest.h>

#include "xc/paths.hpp"
#include "xc/result.hpp"
#include "base/number.hpp"

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

TEST(Errors, HintIsAFieldThatCrossesTheWire) {
    Error e = Error::msg("the supervisor exited", EIO).withHint("see log /var/log/xc/c1.log").wrap("start");
    EXPECT_EQ(e.message(), "start: the supervisor exited");
    EXPECT_EQ(e.hint(), "see log /var/log/xc/c1.log");
    EXPECT_EQ(e.messageWithHint(), "start: the supervisor exited; see log /var/log/xc/c1.log");
    // A hint and a text holding spaces, digits and "; see " survive the trip.
    Error odd = Error::sys(EACCES, "open 1 2; see 3").withHint("see 4 5 ");
    Error back = Error::deserialize(odd.serialize());
    EXPECT_EQ(back.code(), EACCES);
    EXPECT_EQ(back.hint(), "see 4 5 ");
    EXPECT_EQ(back.message(), odd.message());
    EXPECT_EQ(Error::deserialize(Error::msg("x").serialize()).hint(), "");
    // Malformed wire text is an error value, never an exception.
    for (const char* w : {"", "1", "1 1", "1 1 99 short", "x 1 0 t", "99999999999999999999 1 0 t", "1 2 0 t", "-1 1 0 t"})
        EXPECT_EQ(Error::deserialize(w).code(), EPROTO) << w;
}

TEST(Numbers, ParseWholeStringsWithoutThrowing) {
    EXPECT_EQ(parseU64("18446744073709551615"), UINT64_MAX);
    EXPECT_FALSE(parseU64("18446744073709551616"));  // std::stoull would throw out_of_range
    EXPECT_FALSE(parseU64(""));
    EXPECT_FALSE(parseU64("12abc"));
    EXPECT_FALSE(parseU64("-1"));
    EXPECT_EQ(parseI64("-1"), -1);
    EXPECT_EQ(parseInt("+42"), 42);
    EXPECT_FALSE(parseInt(" 42"));
    EXPECT_EQ(parseNumber<int>("777", 8), 511);
}
