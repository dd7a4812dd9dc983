// lxcfs end to end with busybox containers: an lxcfs of the test's own
// (startPrivateLxcfs: its own mount point, named by lxcfs.path in the
// tools' xc.conf); its files over the container's /proc and /sys show the
// container's memory limit, CPUs and uptime; lxcfs = false, "auto" without
// lxcfs, lxcfs = true without it; xc-checkconfig's lxcfs item.
#include <unistd.h>

#include <algorithm>
#include <iterator>
#include <regex>
#include <sstream>
#include <string>

#include "harness.hpp"

namespace xcit {
namespace {

const char* const kLxcfsTargets[] = {"/proc/meminfo", "/proc/cpuinfo",  "/proc/stat",  "/proc/uptime",
                                     "/proc/loadavg", "/proc/diskstats", "/proc/swaps", "/sys/devices/system/cpu/online"};

std::string hostMemTotal() {
    std::smatch m;
    std::string info = readText("/proc/meminfo");
    return std::regex_search(info, m, std::regex("MemTotal: +([0-9]+) kB")) ? m[1].str() : "?";
}

class Lxcfs : public XcTest {
protected:
    // MemTotal of the container's /proc/meminfo, in kB.
    std::string memTotal(const std::string& name) {
        std::smatch m;
        std::string out = attach(name, {"cat", "/proc/meminfo"}).out;
        return std::regex_search(out, m, std::regex("MemTotal: +([0-9]+) kB")) ? m[1].str() : "none in: " + out;
    }
    // Mount points of fuse.lxcfs mounts inside.
    std::vector<std::string> lxcfsMounts(const std::string& name) {
        std::vector<std::string> out;
        for (const auto& l : lines(attach(name, {"cat", "/proc/self/mountinfo"}).out)) {
            if (!contains(l, " - fuse.lxcfs ")) continue;
            std::istringstream f(l);
            std::string id, parent, dev, root, point;
            f >> id >> parent >> dev >> root >> point;
            out.push_back(point);
        }
        return out;
    }
    // lxcfs's item of xc-checkconfig --json.
    std::string checkconfigItem() {
        RunResult r = run({toolPath("xc-checkconfig"), "--json"});
        for (const auto& l : lines(r.out))
            if (contains(l, "\"name\": \"lxcfs\"")) return l;
        return "no lxcfs item in: " + r.out;
    }
};

TEST_F(Lxcfs, ProcAndSysShowTheContainersMemoryCpusAndUptime) {
    ASSERT_NO_FATAL_FAILURE(startPrivateLxcfs());
    if (IsSkipped()) return;
    const long cpus = ::sysconf(_SC_NPROCESSORS_ONLN);
    // The seed's exercise: 256M and CPUs 0-1 (or 0 on a host with one).
    const std::string set = cpus >= 2 ? "0-1" : "0";
    const std::string n = cpus >= 2 ? "2" : "1";
    XC_ASSERT_OK(createWithConfig(
        "a", "cgroup = { memory = { max = \"256M\"; }; cpuset = { cpus = \"" + set + "\"; }; };\n"));
    XC_ASSERT_OK(start("a"));
    EXPECT_EQ(memTotal("a"), "262144");
    EXPECT_EQ(attach("a", {"nproc"}).out, n + "\n");
    EXPECT_EQ(attach("a", {"cat", "/sys/devices/system/cpu/online"}).out, set + "\n");
    EXPECT_EQ(attach("a", {"sh", "-c", "grep -c ^processor /proc/cpuinfo"}).out, n + "\n");
    EXPECT_EQ(attach("a", {"sh", "-c", "grep -c '^cpu[0-9]' /proc/stat"}).out, n + "\n");
    RunResult up = attach("a", {"cat", "/proc/uptime"});
    EXPECT_LT(std::atof(up.out.c_str()), 60.0) << "the container's uptime, not the host's: " << up.out;
    std::vector<std::string> mounts = lxcfsMounts("a");
    for (const char* t : kLxcfsTargets)
        EXPECT_NE(std::find(mounts.begin(), mounts.end(), t), mounts.end()) << t << " is not lxcfs's";
    EXPECT_EQ(mounts.size(), std::size(kLxcfsTargets));

    // A CPU set smaller than the host's shows as such (one CPU of two).
    if (cpus >= 2) {
        XC_ASSERT_OK(createWithConfig("b", "cgroup = { cpuset = { cpus = \"1\"; }; };\n"));
        XC_ASSERT_OK(start("b"));
        EXPECT_EQ(attach("b", {"nproc"}).out, "1\n");
        EXPECT_EQ(attach("b", {"cat", "/sys/devices/system/cpu/online"}).out, "1\n");
        EXPECT_EQ(attach("b", {"sh", "-c", "grep -c ^processor /proc/cpuinfo"}).out, "1\n");
        // No memory limit: the host's memory.
        EXPECT_EQ(memTotal("b"), hostMemTotal());
    }
}

TEST_F(Lxcfs, TrueNeedsItAutoTakesItAtEachBootFalseNever) {
    if (::access("/usr/bin/lxcfs", X_OK) != 0) GTEST_SKIP() << "lxcfs is not installed (apt-get install lxcfs)";
    const std::string limit = "cgroup = { memory = { max = \"256M\"; }; };\n";
    // No lxcfs yet where xc.conf says it is.
    const std::string dir = makeSentinelDir();
    ASSERT_NO_FATAL_FAILURE(useXcConf("lxcfs = { path = \"" + dir + "\"; };\n"));
    XC_ASSERT_OK(createWithConfig("auto", limit));
    XC_ASSERT_OK(start("auto"));
    EXPECT_EQ(memTotal("auto"), hostMemTotal());
    EXPECT_TRUE(lxcfsMounts("auto").empty());

    XC_ASSERT_OK(createWithConfig("on", limit + "lxcfs = true;\n"));
    RunResult s = start("on");
    EXPECT_NE(s.status, 0) << s.describe();
    EXPECT_TRUE(contains(s.err, "lxcfs = true, but lxcfs at " + dir + ": nothing is mounted there")) << s.err;
    EXPECT_TRUE(contains(s.err, "apt-get install lxcfs")) << s.err;
    EXPECT_EQ(lines(s.err).size(), 1u) << s.err;
    expectNothingRunning("on", "after the refused start");

    // Now lxcfs runs there: "auto" takes it at its next boot, true starts,
    // false keeps the host's files.
    ASSERT_NO_FATAL_FAILURE(startPrivateLxcfs(dir));
    pid_t before = initPid("auto");
    XC_ASSERT_OK(stop("auto", {"-r"}));
    ASSERT_TRUE(waitUntil([&] { return state("auto") == "RUNNING" && initPid("auto") != before; }, 10)) << state("auto");
    EXPECT_EQ(memTotal("auto"), "262144");
    XC_ASSERT_OK(start("on"));
    EXPECT_EQ(memTotal("on"), "262144");
    XC_ASSERT_OK(createWithConfig("off", limit + "lxcfs = false;\n"));
    XC_ASSERT_OK(start("off"));
    EXPECT_EQ(memTotal("off"), hostMemTotal());
    EXPECT_TRUE(lxcfsMounts("off").empty());
}

TEST_F(Lxcfs, CheckconfigSaysWhetherLxcfsIsMounted) {
    const std::string none = makeSentinelDir();
    ASSERT_NO_FATAL_FAILURE(useXcConf("lxcfs = { path = \"" + none + "\"; };\n"));
    std::string item = checkconfigItem();
    EXPECT_TRUE(contains(item, "\"section\": \"Filesystems\", \"name\": \"lxcfs\", \"status\": \"missing\", "
                               "\"required\": false"))
        << item;
    EXPECT_TRUE(contains(item, none + ": nothing is mounted there")) << item;
    EXPECT_TRUE(contains(item, "\"fix\": \"")) << item;
    EXPECT_FALSE(contains(item, "\"fix\": \"\"")) << item;

    ASSERT_NO_FATAL_FAILURE(startPrivateLxcfs());
    if (IsSkipped()) return;
    item = checkconfigItem();
    EXPECT_TRUE(contains(item, "\"name\": \"lxcfs\", \"status\": \"ok\"")) << item;
    EXPECT_TRUE(contains(item, "mounted at " + lxcfsDir_)) << item;
}

}  // namespace
}  // namespace xcit
