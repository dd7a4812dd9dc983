// End to end with real busybox containers: create, start, inspect, attach,
// freeze, stop and destroy, as a user runs the tools.
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "harness.hpp"

using namespace xcit;
using namespace std::chrono_literals;

namespace {

class Lifecycle : public XcTest {};
class Hostname : public XcTest {
protected:
    // Busybox init has run its sysinit script (rcS) once the gettys exist.
    bool booted(const std::string& name) {
        return waitUntil([&] { return attach(name, {"sh", "-c", "ps | grep -q '[g]etty'"}).ok(); }, 10.0, 0.1);
    }
};
class Attach : public XcTest {};
class Freeze : public XcTest {};
class Stop : public XcTest {};

std::string hostName() {
    char buf[256] = {};
    ::gethostname(buf, sizeof buf - 1);
    return buf;
}

std::string firstLine(const std::string& s) {
    auto l = lines(s);
    return l.empty() ? "" : l[0];
}

// The lines of busybox `ps` output after its header, as {pid, command}.
std::vector<std::pair<int, std::string>> psRows(const std::string& out) {
    std::vector<std::pair<int, std::string>> rows;
    auto ls = lines(out);
    for (size_t i = 1; i < ls.size(); ++i) {
        std::istringstream in(ls[i]);
        int pid = -1;
        std::string user, cmd;
        in >> pid >> user;
        std::getline(in, cmd);
        if (pid > 0) rows.emplace_back(pid, cmd);
    }
    return rows;
}

}  // namespace

// ------------------------------------------------------------ Lifecycle

TEST_F(Lifecycle, CreateStartInspectStopDestroy) {
    XC_ASSERT_OK(create("c1"));
    EXPECT_TRUE(exists(configFile("c1")));
    EXPECT_TRUE(isDir(rootfs("c1") + "/bin"));

    RunResult ls = xc("xc-ls", {});
    XC_EXPECT_OK(ls);
    EXPECT_EQ(lines(ls.out), std::vector<std::string>{"c1"}) << ls.describe();
    RunResult st = info("c1", {"-s"});
    XC_EXPECT_OK(st);
    EXPECT_TRUE(std::regex_search(st.out, std::regex("^State:\\s+STOPPED\\s*$"))) << st.describe();

    XC_ASSERT_OK(start("c1"));
    RunResult all = info("c1");
    XC_EXPECT_OK(all);
    EXPECT_TRUE(std::regex_search(all.out, std::regex("(^|\n)Name:\\s+c1\n"))) << all.describe();
    EXPECT_TRUE(std::regex_search(all.out, std::regex("(^|\n)State:\\s+RUNNING\n"))) << all.describe();
    EXPECT_TRUE(std::regex_search(all.out, std::regex("(^|\n)PID:\\s+[0-9]+\n"))) << all.describe();
    EXPECT_TRUE(std::regex_search(all.out, std::regex("(^|\n)CPU use:\\s+[0-9.]+ seconds\n"))) << all.describe();
    EXPECT_TRUE(std::regex_search(all.out, std::regex("(^|\n)Memory use:\\s+[0-9.]+ (bytes|KiB|MiB|GiB)\n")))
        << all.describe();
    pid_t init = initPid("c1");
    ASSERT_GT(init, 1);
    EXPECT_TRUE(processAlive(init));
    auto mons = monitors("c1");
    ASSERT_EQ(mons.size(), 1u) << "exactly one xc-supervisor for c1";
    EXPECT_EQ(parentOf(init), mons[0]) << "the init's parent is its supervisor";
    EXPECT_FALSE(cgroupDirs("c1").empty()) << "a running container has cgroups";
    // The init is in the payload group of every hierarchy: born in the
    // cgroup2 one (CLONE_INTO_CGROUP), moved into the v1 ones.
    auto groups = lines(readText("/proc/" + std::to_string(init) + "/cgroup"));
    EXPECT_FALSE(groups.empty());
    for (const auto& g : groups)
        EXPECT_TRUE(g.size() > 11 && g.compare(g.size() - 11, 11, "/c1/payload") == 0) << g;
    EXPECT_TRUE(socketBound("c1"));

    // PID 1 inside is busybox init.
    RunResult cmdline = attach("c1", {"cat", "/proc/1/cmdline"});
    XC_EXPECT_OK(cmdline);
    EXPECT_EQ(cmdline.out.substr(0, cmdline.out.find('\0')), "init") << cmdline.describe();

    // ps sees only the container's processes.
    RunResult ps = attach("c1", {"ps"});
    XC_EXPECT_OK(ps);
    auto rows = psRows(ps.out);
    ASSERT_FALSE(rows.empty()) << ps.describe();
    EXPECT_EQ(rows[0].first, 1) << ps.describe();
    EXPECT_TRUE(contains(rows[0].second, "init")) << ps.describe();
    EXPECT_LT(rows.size(), 15u) << "more processes than a busybox container has:\n" << ps.out;
    for (const auto& [pid, cmd] : rows) {
        EXPECT_NE(pid, ::getpid()) << "the host's test process is visible:\n" << ps.out;
        EXPECT_FALSE(contains(cmd, "xc-integration")) << ps.out;
        EXPECT_FALSE(contains(cmd, "xc-supervisor")) << ps.out;
    }

    RunResult lsf = xc("xc-ls", {"-f"});
    XC_EXPECT_OK(lsf);
    auto fl = lines(lsf.out);
    ASSERT_EQ(fl.size(), 2u) << lsf.describe();
    EXPECT_TRUE(std::regex_match(fl[0], std::regex("NAME\\s+STATE\\s+AUTOSTART\\s+GROUPS\\s+IPV4\\s+IPV6\\s*")))
        << lsf.describe();
    EXPECT_TRUE(std::regex_match(fl[1], std::regex("c1\\s+RUNNING\\s+0\\s+.*"))) << lsf.describe();

    RunResult w = xc("xc-wait", {"-n", "c1", "-s", "RUNNING", "-t", "5"});
    XC_EXPECT_OK(w);
    EXPECT_LT(w.seconds, 1.0) << "xc-wait for the current state must return at once";

    // Clean stop through busybox init's halt signal (its shutdown sleeps).
    RunResult s = stop("c1", {"-t", "10"});
    XC_EXPECT_OK(s);
    EXPECT_GT(s.seconds, 1.0) << "a clean busybox shutdown takes about 2 s; this looks like a kill";
    EXPECT_LT(s.seconds, 30.0);
    EXPECT_EQ(state("c1"), "STOPPED");
    EXPECT_TRUE(waitUntil([&] { return !processAlive(init); }, 3.0)) << "init " << init << " survived the stop";
    expectNothingRunning("c1", "after xc-stop");

    XC_ASSERT_OK(destroy("c1"));
    EXPECT_FALSE(exists(containerDir("c1")));
    EXPECT_FALSE(exists(lockPath("c1"))) << "xc-destroy leaves no runtime state";
    RunResult ls2 = xc("xc-ls", {});
    XC_EXPECT_OK(ls2);
    EXPECT_EQ(ls2.out, "");
    RunResult info2 = info("c1", {"-s"});
    EXPECT_NE(info2.status, 0) << "xc-info of a destroyed container must fail\n" << info2.describe();
}

TEST_F(Lifecycle, ListFiltersByState) {
    XC_ASSERT_OK(create("up"));
    XC_ASSERT_OK(create("down"));
    XC_ASSERT_OK(start("up"));
    RunResult all = xc("xc-ls", {"-1"});
    EXPECT_EQ(lines(all.out), (std::vector<std::string>{"down", "up"})) << all.describe();
    RunResult running = xc("xc-ls", {"-1", "--running"});
    EXPECT_EQ(lines(running.out), std::vector<std::string>{"up"}) << running.describe();
    RunResult stopped = xc("xc-ls", {"-1", "--stopped"});
    EXPECT_EQ(lines(stopped.out), std::vector<std::string>{"down"}) << stopped.describe();
    XC_EXPECT_OK(kill("up"));
}

// ------------------------------------------------------------ Hostname

namespace {

// How much of the supervisor's program text is mapped, in kB, and the size
// of that mapping (the r-xp one of its binary), from /proc/PID/smaps;
// {-1, -1} if not found.
std::pair<long, long> supervisorText(pid_t pid) {
    std::istringstream in(readText("/proc/" + std::to_string(pid) + "/smaps"));
    std::string line;
    bool text = false;
    long sizeKb = -1;
    while (std::getline(in, line)) {
        unsigned long from = 0, to = 0;
        char perms[5] = {};
        if (std::sscanf(line.c_str(), "%lx-%lx %4s", &from, &to, perms) == 3) {  // a mapping's first line
            text = std::string(perms) == "r-xp" && contains(line, "xc-supervisor");
            if (text) sizeKb = static_cast<long>((to - from) / 1024);
            continue;
        }
        long kb = 0;
        if (text && std::sscanf(line.c_str(), "Rss: %ld kB", &kb) == 1) return {kb, sizeKb};
    }
    return {-1, -1};
}

}  // namespace

// Its start-up runs ~2 MB of the static binary; once the container runs,
// the supervisor keeps only the code it serves with mapped (the link puts
// it first, base/program_text.hpp): about a tenth of its text, not 70%,
// and that stays so while it serves.
TEST_F(Lifecycle, ARunningContainersSupervisorKeepsOnlyItsServingCodeMapped) {
    XC_ASSERT_OK(create("c1"));
    XC_ASSERT_OK(start("c1"));
    auto mons = monitors("c1");
    ASSERT_EQ(mons.size(), 1u);
    pid_t sv = mons[0];
    std::pair<long, long> t;
    bool small = waitUntil([&] { t = supervisorText(sv); return t.first >= 0 && t.first * 3 < t.second; }, 5.0);
    EXPECT_TRUE(small) << t.first << " kB of the supervisor's " << t.second << " kB text mapping stay mapped";
    XC_EXPECT_OK(attach("c1", {"true"}));
    XC_EXPECT_OK(xc("xc-freeze", {"-n", "c1"}));
    XC_EXPECT_OK(xc("xc-unfreeze", {"-n", "c1"}));
    XC_EXPECT_OK(info("c1"));
    t = supervisorText(sv);
    EXPECT_LT(t.first * 3, t.second) << t.first << " kB of " << t.second << " kB mapped after serving requests";
    XC_EXPECT_OK(kill("c1"));
}

TEST_F(Hostname, DefaultsToTheContainerNameAndLeavesTheHostAlone) {
    std::string before = hostName();
    XC_ASSERT_OK(create("hn1"));
    XC_ASSERT_OK(start("hn1"));
    EXPECT_TRUE(booted("hn1"));
    RunResult h = attach("hn1", {"hostname"});
    XC_EXPECT_OK(h);
    EXPECT_EQ(firstLine(h.out), "hn1") << h.describe();
    EXPECT_EQ(hostName(), before) << "starting a container changed the host's hostname";
    XC_EXPECT_OK(kill("hn1"));
    EXPECT_EQ(hostName(), before);
}

TEST_F(Hostname, ConfigUtsHostnameIsUsed) {
    std::string before = hostName();
    XC_ASSERT_OK(createWithConfig("hn2", "uts = { hostname = \"other\"; };\n"));
    XC_ASSERT_OK(start("hn2"));
    // After the boot script ran, which might set a host name of its own.
    EXPECT_TRUE(booted("hn2"));
    RunResult h = attach("hn2", {"hostname"});
    XC_EXPECT_OK(h);
    EXPECT_EQ(firstLine(h.out), "other") << h.describe();
    RunResult u = attach("hn2", {"cat", "/proc/sys/kernel/hostname"});
    EXPECT_EQ(firstLine(u.out), "other") << u.describe();
    EXPECT_EQ(hostName(), before);
    XC_EXPECT_OK(kill("hn2"));
}

// ------------------------------------------------------------ Attach

TEST_F(Attach, ExitStatusPropagates) {
    XC_ASSERT_OK(create("a1"));
    XC_ASSERT_OK(start("a1"));
    for (int code : {0, 1, 3, 42}) {
        RunResult r = attach("a1", {"sh", "-c", "exit " + std::to_string(code)});
        EXPECT_EQ(r.status, code) << r.describe();
    }
    RunResult missing = attach("a1", {"/no/such/program"});
    EXPECT_EQ(missing.status, 127) << missing.describe();
    RunResult killed = attach("a1", {"sh", "-c", "kill -9 $$"});
    EXPECT_EQ(killed.status, 137) << "killed by SIGKILL: 128 + 9\n" << killed.describe();
    XC_EXPECT_OK(kill("a1"));
}

TEST_F(Attach, EnvironmentIsCleanUnlessKept) {
    XC_ASSERT_OK(create("a2"));
    XC_ASSERT_OK(start("a2"));
    const std::string marker = "XC_TEST_MARKER=it-" + std::to_string(::getpid());
    RunOptions withMarker;
    withMarker.env = {marker};

    RunResult clean = attach("a2", {"env"}, withMarker);
    XC_EXPECT_OK(clean);
    EXPECT_FALSE(contains(clean.out, "XC_TEST_MARKER")) << "the host's environment leaked in\n" << clean.describe();
    EXPECT_TRUE(contains("\n" + clean.out, "\ncontainer=xc\n")) << clean.describe();
    EXPECT_TRUE(contains("\n" + clean.out, "\nPATH=")) << clean.describe();

    RunResult kept = attach("a2", {"env"}, withMarker, {"--keep-env"});
    XC_EXPECT_OK(kept);
    EXPECT_TRUE(contains("\n" + kept.out, "\n" + marker + "\n")) << kept.describe();

    RunResult cleared = attach("a2", {"env"}, withMarker, {"--clear-env"});
    XC_EXPECT_OK(cleared);
    EXPECT_FALSE(contains(cleared.out, "XC_TEST_MARKER")) << cleared.describe();
    XC_EXPECT_OK(kill("a2"));
}

TEST_F(Attach, SetVarReachesTheCommand) {
    XC_ASSERT_OK(create("a3"));
    XC_ASSERT_OK(start("a3"));
    // The documented form: -v VAR=VAL right before "--" and a command with options.
    RunResult r = attach("a3", {"sh", "-c", "echo $FOO"}, {}, {"-v", "FOO=bar"});
    XC_EXPECT_OK(r);
    EXPECT_EQ(firstLine(r.out), "bar") << r.describe();
    // Overriding a default variable, two -v.
    RunResult two = attach("a3", {"sh", "-c", "echo $HOME:$A"}, {}, {"-v", "HOME=/tmp", "-v", "A=1"});
    XC_EXPECT_OK(two);
    EXPECT_EQ(firstLine(two.out), "/tmp:1") << two.describe();
    XC_EXPECT_OK(kill("a3"));
}

TEST_F(Attach, RunsAsAnotherUid) {
    XC_ASSERT_OK(create("a4"));
    XC_ASSERT_OK(start("a4"));
    RunResult r = attach("a4", {"id", "-u"}, {}, {"-u", "1000"});
    XC_EXPECT_OK(r);
    EXPECT_EQ(firstLine(r.out), "1000") << r.describe();
    RunResult g = attach("a4", {"id", "-g"}, {}, {"-u", "1000", "-g", "1001"});
    XC_EXPECT_OK(g);
    EXPECT_EQ(firstLine(g.out), "1001") << g.describe();
    XC_EXPECT_OK(kill("a4"));
}

TEST_F(Attach, StdinPassesThrough) {
    XC_ASSERT_OK(create("a5"));
    XC_ASSERT_OK(start("a5"));
    RunOptions in;
    in.feedStdin = true;
    in.input = "hello\n";
    RunResult r = attach("a5", {"cat"}, in);
    XC_EXPECT_OK(r);
    EXPECT_EQ(r.out, "hello\n") << r.describe();
    // More than a pipe buffer, through wc.
    in.input = std::string(200000, 'x');
    RunResult big = attach("a5", {"wc", "-c"}, in);
    XC_EXPECT_OK(big);
    std::string count = firstLine(big.out);
    count.erase(0, count.find_first_not_of(' '));
    EXPECT_EQ(count, "200000") << big.describe();
    XC_EXPECT_OK(kill("a5"));
}

TEST_F(Attach, RunsInsideTheContainersCgroup) {
    XC_ASSERT_OK(create("a6"));
    XC_ASSERT_OK(start("a6"));
    pid_t init = initPid("a6");
    ASSERT_GT(init, 0);
    RunResult mine = attach("a6", {"cat", "/proc/self/cgroup"});
    RunResult its = attach("a6", {"cat", "/proc/1/cgroup"});
    XC_EXPECT_OK(mine);
    EXPECT_EQ(mine.out, its.out) << "the attached command is in other cgroups than the init";
    XC_EXPECT_OK(kill("a6"));
}

// Without a terminal the tool forks nothing: its own process enters and
// waits for the command (as xc-attach-init, from the sealed copy), and
// what it prints and returns is what the forking tool did.
TEST_F(Attach, WithoutATerminalTheToolItselfWaitsForTheCommand) {
    XC_ASSERT_OK(create("a9"));
    XC_ASSERT_OK(start("a9"));
    Running r = spawn({toolPath("xc-attach"), "-P", base_, "-n", "a9", "--", "sleep", "30"});
    ASSERT_GT(r.pid, 0);
    std::string exe;
    waitUntil([&] {
        char buf[256] = {};
        ssize_t n = ::readlink(("/proc/" + std::to_string(r.pid) + "/exe").c_str(), buf, sizeof buf - 1);
        exe = n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
        return contains(exe, "xc-attach-init");
    }, 10);
    EXPECT_TRUE(contains(exe, "memfd:xc-attach-init")) << "the tool's process runs " << exe;
    std::string kids;
    std::ifstream(("/proc/" + std::to_string(r.pid) + "/task/" + std::to_string(r.pid) + "/children").c_str()) >> kids;
    EXPECT_EQ(commOf(static_cast<pid_t>(std::atol(kids.c_str()))), "sleep") << "the command is the tool's child";
    ::kill(r.pid, SIGKILL);  // the command dies with it (its parent-death signal)
    wait(r);
    RunResult missing = attach("a9", {"/no/such/program"});
    EXPECT_EQ(missing.status, 127) << missing.describe();
    EXPECT_EQ(missing.err, "xc-attach: a9: exec /no/such/program in the container: No such file or directory\n")
        << missing.describe();
    XC_EXPECT_OK(kill("a9"));
}

namespace {

// se.slice of /proc/<pid>/sched in ns; -1 if the kernel shows none.
long sliceOf(pid_t pid) {
    std::istringstream in(readText("/proc/" + std::to_string(pid) + "/sched"));
    for (std::string line; std::getline(in, line);)
        if (line.rfind("se.slice", 0) == 0) return std::atol(line.substr(line.find(':') + 1).c_str());
    return -1;
}

}  // namespace

// The tools that wait for the supervisor ask for the kernel's shortest
// slice, so that the wake-up on its answer preempts the container's busy
// new init; nothing they start keeps it (the supervisor, the init, the
// attached command get the default back).
TEST_F(Attach, WaitingToolsTakeAShortSliceThatNothingTheyStartKeeps) {
    XC_ASSERT_OK(create("a10"));
    XC_ASSERT_OK(start("a10"));
    const long defaultSlice = sliceOf(::getpid());
    if (defaultSlice <= 0) GTEST_SKIP() << "this kernel shows no se.slice";
    Running r = spawn({toolPath("xc-attach"), "-P", base_, "-n", "a10", "--", "sleep", "30"});
    ASSERT_GT(r.pid, 0);
    pid_t command = -1;
    waitUntil([&] {
        std::string kids;
        std::ifstream(("/proc/" + std::to_string(r.pid) + "/task/" + std::to_string(r.pid) + "/children").c_str()) >> kids;
        command = static_cast<pid_t>(std::atol(kids.c_str()));
        return command > 0 && commOf(command) == "sleep";
    }, 10);
    ASSERT_GT(command, 0);
    EXPECT_EQ(sliceOf(r.pid), 100000) << "the waiting tool's slice (default " << defaultSlice << ")";
    EXPECT_EQ(sliceOf(command), defaultSlice) << "the attached command kept the tool's slice";
    auto mons = monitors("a10");
    ASSERT_EQ(mons.size(), 1u);
    EXPECT_EQ(sliceOf(mons[0]), defaultSlice) << "the supervisor kept xc-start's slice";
    EXPECT_EQ(sliceOf(initPid("a10")), defaultSlice) << "the init kept xc-start's slice";
    ::kill(r.pid, SIGKILL);
    wait(r);
    XC_EXPECT_OK(kill("a10"));
}

TEST_F(Attach, StoppedContainerFailsClearly) {
    XC_ASSERT_OK(create("a7"));
    RunResult r = attach("a7", {"true"});
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, "a7")) << r.describe();
    EXPECT_TRUE(contains(r.err, "not running")) << r.describe();
    RunResult none = attach("nosuch", {"true"});
    EXPECT_NE(none.status, 0) << none.describe();
    EXPECT_TRUE(contains(none.err, "no such container")) << none.describe();
}

TEST_F(Attach, FrozenContainerFailsAtOnce) {
    XC_ASSERT_OK(create("a8"));
    XC_ASSERT_OK(start("a8"));
    XC_ASSERT_OK(xc("xc-freeze", {"-n", "a8"}));
    RunOptions quick;
    quick.timeoutSeconds = 10;
    RunResult r = attach("a8", {"true"}, quick);
    EXPECT_EQ(r.status, 1) << "the attach itself failed, not a command\n" << r.describe();
    EXPECT_FALSE(r.timedOut) << "attach to a frozen container hung";
    EXPECT_LT(r.seconds, 2.0) << r.describe();
    EXPECT_TRUE(contains(r.err, "frozen")) << r.describe();
    XC_EXPECT_OK(xc("xc-unfreeze", {"-n", "a8"}));
    XC_EXPECT_OK(attach("a8", {"true"}));
    XC_EXPECT_OK(kill("a8"));
}

// ------------------------------------------------------------ Freeze

TEST_F(Freeze, FrozenContainerUsesNoCpuAndThaws) {
    XC_ASSERT_OK(create("f1"));
    XC_ASSERT_OK(start("f1"));
    // A busy loop in the background, detached from the attach.
    XC_ASSERT_OK(attach("f1", {"sh", "-c", "sh -c 'while :; do :; done' </dev/null >/dev/null 2>&1 &"}));
    long long a0 = cpuNs("f1");
    std::this_thread::sleep_for(500ms);
    long long a1 = cpuNs("f1");
    ASSERT_GT(a1 - a0, 20'000'000) << "the busy loop does not run (CPU " << a0 << " -> " << a1 << ")";

    RunResult fr = xc("xc-freeze", {"-n", "f1"});
    XC_ASSERT_OK(fr);
    EXPECT_EQ(state("f1"), "FROZEN");
    long long b0 = cpuNs("f1");
    std::this_thread::sleep_for(500ms);
    long long b1 = cpuNs("f1");
    ASSERT_GE(b0, 0);
    EXPECT_LT(b1 - b0, 5'000'000) << "a frozen container used CPU: " << b0 << " -> " << b1 << " ns";
    RunResult lsFrozen = xc("xc-ls", {"-1", "--frozen"});
    EXPECT_EQ(lines(lsFrozen.out), std::vector<std::string>{"f1"}) << lsFrozen.describe();

    XC_ASSERT_OK(xc("xc-unfreeze", {"-n", "f1"}));
    EXPECT_EQ(state("f1"), "RUNNING");
    long long c0 = cpuNs("f1");
    std::this_thread::sleep_for(500ms);
    long long c1 = cpuNs("f1");
    EXPECT_GT(c1 - c0, 20'000'000) << "the thawed busy loop does not run: " << c0 << " -> " << c1;
    XC_EXPECT_OK(kill("f1"));
    expectNothingRunning("f1", "after stop -k");
}

TEST_F(Freeze, StopOfAFrozenContainerWorks) {
    XC_ASSERT_OK(create("f2"));
    XC_ASSERT_OK(start("f2"));
    XC_ASSERT_OK(xc("xc-freeze", {"-n", "f2"}));
    RunResult k = kill("f2");
    XC_EXPECT_OK(k);
    EXPECT_LT(k.seconds, 10.0);
    expectNothingRunning("f2", "after stop -k of a frozen container");
}

TEST_F(Freeze, StoppedContainerCannotBeFrozen) {
    XC_ASSERT_OK(create("f3"));
    RunResult r = xc("xc-freeze", {"-n", "f3"});
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, "not running")) << r.describe();
    RunResult u = xc("xc-unfreeze", {"-n", "f3"});
    EXPECT_NE(u.status, 0) << u.describe();
    EXPECT_EQ(state("f3"), "STOPPED");
}

// ------------------------------------------------------------ Stop

TEST_F(Stop, InitIgnoringTheHaltSignalIsKilledAfterTheTimeout) {
    XC_ASSERT_OK(create("s1"));
    XC_ASSERT_OK(start("s1", {"--", "/bin/sh", "-c", "trap '' USR1 PWR; while :; do sleep 1; done"}));
    EXPECT_EQ(state("s1"), "RUNNING");
    pid_t init = initPid("s1");
    RunResult s = stop("s1", {"-t", "1"});
    XC_EXPECT_OK(s);
    EXPECT_GE(s.seconds, 0.9) << "killed before the timeout\n" << s.describe();
    EXPECT_LT(s.seconds, 10.0) << s.describe();
    EXPECT_EQ(state("s1"), "STOPPED");
    EXPECT_TRUE(waitUntil([&] { return !processAlive(init); }, 3.0));
    expectNothingRunning("s1", "after the timeout kill");
}

TEST_F(Stop, KillIsQuick) {
    XC_ASSERT_OK(create("s2"));
    XC_ASSERT_OK(start("s2"));
    // Some more processes, to be killed with the init.
    XC_ASSERT_OK(attach("s2", {"sh", "-c", "sleep 300 </dev/null >/dev/null 2>&1 &"}));
    RunResult k = kill("s2");
    XC_EXPECT_OK(k);
    EXPECT_LT(k.seconds, 3.0) << "stop -k must not wait for a clean shutdown\n" << k.describe();
    EXPECT_EQ(state("s2"), "STOPPED");
    expectNothingRunning("s2", "after stop -k");
}

TEST_F(Stop, StoppedContainerFailsWithNotRunning) {
    XC_ASSERT_OK(create("s3"));
    RunResult r = stop("s3");
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, "not running")) << r.describe();
    RunResult k = kill("s3");
    EXPECT_NE(k.status, 0) << k.describe();
    EXPECT_TRUE(contains(k.err, "not running")) << k.describe();
}

TEST_F(Stop, RestartAfterStopGetsFreshState) {
    XC_ASSERT_OK(create("s4"));
    XC_ASSERT_OK(start("s4"));
    pid_t first = initPid("s4");
    XC_ASSERT_OK(kill("s4"));
    XC_ASSERT_OK(start("s4"));
    pid_t second = initPid("s4");
    EXPECT_GT(second, 0);
    EXPECT_NE(first, second);
    EXPECT_EQ(monitors("s4").size(), 1u);
    XC_EXPECT_OK(attach("s4", {"true"}));
    XC_EXPECT_OK(kill("s4"));
    expectNothingRunning("s4", "after the second stop");
}
