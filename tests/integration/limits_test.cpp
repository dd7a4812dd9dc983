// Resource limits from the config reach the kernel, and the kernel enforces
// them on real processes while the container keeps running.
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>

#include "harness.hpp"

using namespace xcit;

namespace {

class MemoryLimit : public XcTest {};
class PidsLimit : public XcTest {};

long ptyFigure(const char* name) {
    std::ifstream f(std::string("/proc/sys/kernel/pty/") + name);
    long v = -1;
    f >> v;
    return v;
}

bool setPtyMax(long v) {
    std::ofstream f("/proc/sys/kernel/pty/max");
    f << v << "\n";
    f.close();
    return static_cast<bool>(f);
}

// kernel.pty.max lowered for one test, put back even when it fails.
class PtyPool : public XcTest {
protected:
    void TearDown() override {
        if (saved_ > 0) EXPECT_TRUE(setPtyMax(saved_)) << "could not restore kernel.pty.max = " << saved_;
        XcTest::TearDown();
    }
    long saved_ = -1;
};

std::string trimmed(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\n");
    size_t e = s.find_last_not_of(" \t\n");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

}  // namespace

TEST_F(MemoryLimit, ProcessOverTheLimitIsKilledContainerSurvives) {
    XC_ASSERT_OK(createWithConfig("m1", "cgroup = { memory = { max = \"64M\"; }; };\n"));
    XC_ASSERT_OK(start("m1"));
    RunResult max = cgroup("m1", {"memory.max"});
    XC_ASSERT_OK(max);
    EXPECT_EQ(trimmed(max.out), "67108864") << max.describe();

    // A shell string that doubles until it is far beyond 64 MiB.
    RunOptions o;
    o.timeoutSeconds = 60;
    RunResult hog = attach("m1", {"sh", "-c", "x=a; while :; do x=$x$x; done"}, o);
    EXPECT_FALSE(hog.timedOut) << hog.describe();
    EXPECT_EQ(hog.status, 137) << "expected the OOM killer's SIGKILL (128 + 9)\n" << hog.describe();

    EXPECT_EQ(state("m1"), "RUNNING");
    RunResult alive = attach("m1", {"true"});
    XC_EXPECT_OK(alive);
    RunResult init = attach("m1", {"cat", "/proc/1/comm"});
    EXPECT_EQ(trimmed(init.out), "init") << "the container's init died with the hog\n" << init.describe();
    XC_EXPECT_OK(kill("m1"));
}

// A start that finds the host's pty pool used up says so in one line that
// names kernel.pty.max and the sysctl, and leaves the container startable.
TEST_F(PtyPool, AStartWithNoPtyLeftOnTheHostNamesKernelPtyMax) {
    // A console and 4 ttys made on first use (tty.login): 1 pty at start.
    XC_ASSERT_OK(create("t1"));
    saved_ = ptyFigure("max");
    const long reserve = ptyFigure("reserve"), nr = ptyFigure("nr");
    ASSERT_GT(saved_, 0);
    ASSERT_GE(reserve, 0);
    // No room outside the host's own devpts (the kernel refuses the pty
    // that would bring the count to max - reserve).
    ASSERT_TRUE(setPtyMax(reserve + nr + 1));
    RunResult r = start("t1");
    EXPECT_FALSE(r.ok()) << r.describe();
    EXPECT_TRUE(contains(r.err, "no pty left on the host")) << r.describe();
    EXPECT_TRUE(contains(r.err, "kernel.pty.max = " + std::to_string(reserve + nr + 1))) << r.describe();
    EXPECT_TRUE(contains(r.err, "sysctl -w kernel.pty.max=")) << r.describe();
    EXPECT_EQ(state("t1"), "STOPPED");

    // Room for the console only: the start works, tty 1's first use says why not.
    ASSERT_TRUE(setPtyMax(reserve + nr + 2));
    XC_ASSERT_OK(start("t1"));
    RunResult tty = xc("xc-console", {"-n", "t1", "-t", "1"});
    EXPECT_EQ(tty.status, 1) << tty.describe();
    EXPECT_TRUE(contains(tty.err, "tty 1")) << tty.describe();
    EXPECT_TRUE(contains(tty.err, "no pty left on the host")) << tty.describe();
    EXPECT_EQ(state("t1"), "RUNNING");
    XC_EXPECT_OK(kill("t1"));

    ASSERT_TRUE(setPtyMax(saved_));
    saved_ = -1;
    XC_ASSERT_OK(start("t1"));
    XC_EXPECT_OK(attach("t1", {"true"}));
    XC_EXPECT_OK(kill("t1"));
}

TEST_F(PidsLimit, ForksBeyondTheLimitFailAndTheLimitCanBeChanged) {
    XC_ASSERT_OK(createWithConfig("p1", "cgroup = { pids = { max = 20; }; };\n"));
    XC_ASSERT_OK(start("p1"));
    RunResult max = cgroup("p1", {"pids.max"});
    XC_ASSERT_OK(max);
    EXPECT_EQ(trimmed(max.out), "20") << max.describe();

    // 50 background sleeps: the shell hits "can't fork" somewhere past 20.
    RunResult spawn = attach(
        "p1", {"sh", "-c",
               "i=0; while [ $i -lt 50 ]; do sleep 300 </dev/null >/dev/null 2>&1 & i=$((i+1)); done; echo spawned"});
    EXPECT_FALSE(spawn.timedOut) << spawn.describe();
    EXPECT_FALSE(spawn.ok() && contains(spawn.out, "spawned") && !contains(spawn.err, "fork"))
        << "all 50 forks succeeded under pids.max = 20\n" << spawn.describe();

    RunResult cur = cgroup("p1", {"pids.current"});
    XC_EXPECT_OK(cur);
    int current = std::atoi(trimmed(cur.out).c_str());
    EXPECT_GT(current, 0) << cur.describe();
    EXPECT_LE(current, 20) << cur.describe();
    EXPECT_EQ(state("p1"), "RUNNING");

    // Raise the limit at run time and read it back.
    XC_ASSERT_OK(cgroup("p1", {"pids.max", "30"}));
    RunResult max2 = cgroup("p1", {"pids.max"});
    XC_EXPECT_OK(max2);
    EXPECT_EQ(trimmed(max2.out), "30") << max2.describe();

    // With headroom again, count the sleeps from inside.
    RunResult count = attach("p1", {"sh", "-c", "ps | grep -c '[s]leep 300'"});
    XC_EXPECT_OK(count);
    int sleeps = std::atoi(trimmed(count.out).c_str());
    EXPECT_GT(sleeps, 0) << count.describe();
    EXPECT_LT(sleeps, 20) << "more sleeps than pids.max allows\n" << count.describe();
    XC_EXPECT_OK(attach("p1", {"true"}));
    XC_EXPECT_OK(kill("p1"));
    expectNothingRunning("p1", "after stop -k");
}

TEST_F(PidsLimit, BadRuntimeValueIsRefused) {
    XC_ASSERT_OK(createWithConfig("p2", "cgroup = { pids = { max = 20; }; };\n"));
    XC_ASSERT_OK(start("p2"));
    RunResult bad = cgroup("p2", {"pids.max", "lots"});
    EXPECT_NE(bad.status, 0) << bad.describe();
    RunResult max = cgroup("p2", {"pids.max"});
    EXPECT_EQ(trimmed(max.out), "20") << "a refused value changed the limit\n" << max.describe();
    XC_EXPECT_OK(kill("p2"));
}
