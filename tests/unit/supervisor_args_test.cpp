// The supervisor's command line: one builder (Container::start) and one
// parser (runSupervisor) that agree.
#include <gtest/gtest.h>

#include "monitor/monitor.hpp"

using namespace xc;

TEST(SupervisorArgs, RoundTrip) {
    MonitorOptions o;
    o.name = "c1";
    o.base = "/var/lib/xc";
    o.configFile = "/tmp/other.conf";
    o.cmd = {"/bin/sh", "-c", "exec /sbin/init --name x"};
    o.logFile = "/tmp/c1.log";
    o.logLevel = LogLevel::Debug;
    auto args = supervisorArgs(o, 7, 9);
    auto back = parseSupervisorArgs(args);
    ASSERT_TRUE(back) << back.error().message();
    EXPECT_EQ(back->name, "c1");
    EXPECT_EQ(back->base, "/var/lib/xc");
    EXPECT_EQ(back->configFile, "/tmp/other.conf");
    EXPECT_EQ(back->cmd, o.cmd);
    EXPECT_EQ(back->logFile, "/tmp/c1.log");
    EXPECT_EQ(back->logLevel, LogLevel::Debug);
    // The inherited fds are owned by the parsed options: release, not close, them here.
    EXPECT_EQ(back->ready.release(), 7);
    EXPECT_EQ(back->lock.release(), 9);
}

TEST(SupervisorArgs, BadCommandLinesAreErrors) {
    for (std::vector<std::string> bad : std::vector<std::vector<std::string>>{
             {},
             {"--name", "c1"},
             {"--name", "c1", "--path"},
             {"--name", "c1", "--path", "/x", "--ready-fd", "two"},
             {"--name", "c1", "--path", "/x", "--lock-fd", "1"},
             {"--name", "c1", "--path", "/x", "--logpriority", "LOUD"},
             {"--name", "c1", "--path", "/x", "--bogus", "1"}}) {
        auto r = parseSupervisorArgs(bad);
        EXPECT_FALSE(r) << bad.size();
        if (r) {
            (void)r->ready.release();
            (void)r->lock.release();
        }
    }
}
