// Watching: xc-monitor (state changes pushed by the supervisors), xc-top
// (resource use, batch and interactive in a real terminal), the --json
// forms of xc-info and xc-ls, and the disk use of a container's own layer.
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <regex>
#include <thread>

#include "harness.hpp"

using namespace xcit;

namespace {

class Monitor : public XcTest {
protected:
    // Starts xc-monitor with `args` and returns once its socket is bound
    // (it then sees every change of the base).
    void startMonitor(const std::vector<std::string>& args) {
        std::vector<std::string> argv = {toolPath("xc-monitor"), "-P", base_};
        argv.insert(argv.end(), args.begin(), args.end());
        RunOptions o;
        o.timeoutSeconds = 120;
        mons_.push_back(spawn(argv, o));
        ASSERT_GT(mons_.back().pid, 0);
        std::string sock = runDir_ + "/.monitors/" + std::to_string(mons_.back().pid);
        ASSERT_TRUE(waitUntil([&] { return exists(sock); }, 10.0)) << "xc-monitor did not bind " << sock;
    }
    // Interrupts monitor i and returns all it printed.
    RunResult stopMonitor(size_t i) {
        ::kill(mons_[i].pid, SIGTERM);
        RunResult r = wait(mons_[i]);
        mons_[i].pid = -1;
        return r;
    }
    void TearDown() override {
        for (auto& m : mons_)
            if (m.pid > 0) {
                ::kill(m.pid, SIGKILL);
                (void)wait(m);
            }
        XcTest::TearDown();
    }
    std::vector<Running> mons_;
};

}  // namespace

// Every change of a container created and started after the monitors, in
// order, in both forms; -n filters by the whole name; nothing is polled
// (each line comes from a supervisor's datagram).
TEST_F(Monitor, PrintsEachChangeOfAContainerStartedAfterIt) {
    ASSERT_NO_FATAL_FAILURE(startMonitor({}));
    ASSERT_NO_FATAL_FAILURE(startMonitor({"--json", "-n", "w[0-9]"}));
    ASSERT_NO_FATAL_FAILURE(startMonitor({"-n", "w"}));  // whole names only: not w1
    XC_ASSERT_OK(create("w1"));
    XC_ASSERT_OK(start("w1"));
    pid_t pid = initPid("w1");
    ASSERT_GT(pid, 0);
    XC_ASSERT_OK(xc("xc-freeze", {"-n", "w1"}));
    XC_ASSERT_OK(xc("xc-unfreeze", {"-n", "w1"}));
    XC_ASSERT_OK(xc("xc-unfreeze", {"-n", "w1"}));  // no change: no line
    XC_ASSERT_OK(stop("w1"));
    std::vector<std::string> want = {"STARTING", "RUNNING", "FREEZING", "FROZEN", "RUNNING", "STOPPING", "STOPPED"};
    std::vector<std::string> text;
    for (const auto& s : want) text.push_back("'w1' changed state to [" + s + "]");
    // STOPPED is the supervisor's last word: wait for it before interrupting.
    ASSERT_TRUE(waitUntil([&] { return monitors("w1").empty(); }, 10.0));
    RunResult plain = stopMonitor(0), json = stopMonitor(1), none = stopMonitor(2);
    EXPECT_EQ(lines(plain.out), text) << plain.describe();
    EXPECT_EQ(plain.status, 0) << plain.describe();
    EXPECT_EQ(none.out, "") << none.describe();
    auto objs = lines(json.out);
    ASSERT_EQ(objs.size(), want.size()) << json.describe();
    std::regex time("\"time\": \"20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{6}Z\"\\}$");
    for (size_t i = 0; i < want.size(); ++i) {
        bool hasInit = want[i] != "STARTING" && want[i] != "STOPPED";
        std::string head = "{\"name\": \"w1\", \"state\": \"" + want[i] + "\", \"pid\": " +
                           (hasInit ? std::to_string(pid) : std::string("null")) + ", \"time\": ";
        EXPECT_EQ(objs[i].rfind(head, 0), 0u) << objs[i];
        EXPECT_TRUE(std::regex_search(objs[i], time)) << objs[i];
    }
    // Each monitor removed its socket on the way out.
    EXPECT_TRUE(listNames(runDir_ + "/.monitors").empty());
}

// A monitor killed outright leaves its socket; the next supervisor to
// announce a change removes it, and the monitors alive still hear it.
TEST_F(Monitor, SocketOfAKilledMonitorIsRemovedByTheNextChange) {
    ASSERT_NO_FATAL_FAILURE(startMonitor({}));
    ASSERT_NO_FATAL_FAILURE(startMonitor({}));
    std::string dead = runDir_ + "/.monitors/" + std::to_string(mons_[0].pid);
    ::kill(mons_[0].pid, SIGKILL);
    (void)wait(mons_[0]);
    mons_[0].pid = -1;
    EXPECT_TRUE(exists(dead));
    XC_ASSERT_OK(create("k1"));
    XC_ASSERT_OK(start("k1"));
    EXPECT_FALSE(exists(dead)) << "the socket of a killed xc-monitor was not removed";
    XC_ASSERT_OK(kill("k1"));
    ASSERT_TRUE(waitUntil([&] { return monitors("k1").empty(); }, 10.0));
    RunResult r = stopMonitor(1);
    EXPECT_EQ(lines(r.out), (std::vector<std::string>{"'k1' changed state to [STARTING]",
                                                     "'k1' changed state to [RUNNING]",
                                                     "'k1' changed state to [STOPPING]",
                                                     "'k1' changed state to [STOPPED]"}))
        << r.describe();
}

namespace {

class Top : public XcTest {
protected:
    void TearDown() override {
        if (!server_.empty()) {
            (void)run({"/usr/bin/tmux", "-S", server_, "kill-server"});
            ::unlink(server_.c_str());
        }
        XcTest::TearDown();
    }
    // Two running containers: "busy" with a CPU-bound loop inside, "idle".
    void startBusyAndIdle() {
        XC_ASSERT_OK(create("busy"));
        XC_ASSERT_OK(create("idle"));
        XC_ASSERT_OK(start("busy"));
        XC_ASSERT_OK(start("idle"));
        XC_ASSERT_OK(attach("busy", {"/bin/sh", "-c", "(while :; do :; done) </dev/null >/dev/null 2>&1 &"}));
    }
    // The rows of a table (the heading skipped), split on runs of 2+ spaces.
    static std::map<std::string, std::vector<std::string>> rows(const std::string& out) {
        std::map<std::string, std::vector<std::string>> m;
        bool head = false;
        for (const auto& l : lines(out)) {
            if (l.rfind("NAME", 0) == 0) {
                head = true;
                continue;
            }
            if (!head) continue;
            std::vector<std::string> cells;
            std::regex sep("\\s{2,}");
            for (std::sregex_token_iterator it(l.begin(), l.end(), sep, -1), end; it != end; ++it)
                if (!it->str().empty()) cells.push_back(*it);
            if (!cells.empty()) m[cells[0]] = cells;
        }
        return m;
    }
    RunResult tmux(std::vector<std::string> args) {
        args.insert(args.begin(), {"/usr/bin/tmux", "-S", server_, "-f", "/dev/null"});
        return run(args);
    }
    std::string screen() { return tmux({"capture-pane", "-p", "-t", "t:0"}).out; }
    std::string server_;
};

double number(const std::string& s) { return std::strtod(s.c_str(), nullptr); }

}  // namespace

// One plain snapshot: a row per running container and TOTAL; the busy one
// shows CPU, every column a value on this host (raw numbers with -H), the
// totals are the sums; a stopped container has no row.
TEST_F(Top, BatchShowsEachRunningContainerWithTotals) {
    ASSERT_NO_FATAL_FAILURE(startBusyAndIdle());
    XC_ASSERT_OK(create("off"));
    RunResult r = xc("xc-top", {"--batch", "-H", "-d", "2", "-s", "cpu"});
    XC_ASSERT_OK(r);
    auto l = lines(r.out);
    ASSERT_EQ(l.size(), 4u) << r.describe();
    EXPECT_TRUE(std::regex_match(l[0], std::regex("NAME +CPU% +MEMORY +MEM\\+SWAP +BLOCK I/O +PIDS +NET RX\\+TX")))
        << l[0];
    EXPECT_EQ(l[1].rfind("busy ", 0), 0u) << "-s cpu puts the busy one first\n" << r.out;
    EXPECT_EQ(l[3].rfind("TOTAL ", 0), 0u) << r.out;
    auto m = rows(r.out);
    ASSERT_EQ(m.count("busy") + m.count("idle") + m.count("TOTAL"), 3u) << r.out;
    EXPECT_EQ(m.count("off"), 0u) << r.out;
    for (const auto& [name, cells] : m) ASSERT_EQ(cells.size(), 7u) << name << ": " << r.out;
    EXPECT_GT(number(m["busy"][1]), 5.0) << r.out;
    EXPECT_GT(number(m["busy"][1]), number(m["idle"][1])) << r.out;
    for (int c = 2; c <= 6; ++c) {
        if (c == 4 && m["busy"][c] == "-") continue;  // no blkio controller
        if (c == 3 && m["busy"][c] == "-") continue;  // no swap accounting
        EXPECT_NE(m["busy"][c], "-") << "column " << c << "\n" << r.out;
        if (m["busy"][c] == "-") continue;
        EXPECT_DOUBLE_EQ(number(m["TOTAL"][c]), number(m["busy"][c]) + number(m["idle"][c])) << c << "\n" << r.out;
    }
    EXPECT_GT(number(m["busy"][2]), 0) << r.out;   // memory
    EXPECT_GE(number(m["busy"][5]), 2) << r.out;   // the init and the loop at least
    EXPECT_GE(number(m["TOTAL"][1]), number(m["busy"][1]) - 0.05) << r.out;
    // Humanized, the same columns with units.
    RunResult h = xc("xc-top", {"--batch", "-d", "0.2"});
    XC_EXPECT_OK(h);
    EXPECT_TRUE(std::regex_search(h.out, std::regex("\nbusy +[0-9.]+ +[0-9.]+ (bytes|KiB|MiB|GiB)"))) << h.out;
    RunResult bad = xc("xc-top", {"--batch", "-s", "bogus"});
    EXPECT_EQ(bad.status, 2) << bad.describe();
}

// In a real terminal (a tmux pane): redrawn every refresh, the keys sort
// by a column at once and reverse, q quits and gives the terminal back.
TEST_F(Top, InteractiveSortsByKeysInATerminal) {
    ASSERT_EQ(::access("/usr/bin/tmux", X_OK), 0) << "tmux is needed (apt-get install tmux)";
    ASSERT_NO_FATAL_FAILURE(startBusyAndIdle());
    server_ = scratch_ + "/tmux.sock";
    std::string env;
    for (const auto& l : lines(run({"/usr/bin/env"}).out))
        if (l.rfind("XC_", 0) == 0) env += " '" + l + "'";
    std::string cmd = "env" + env + " " + toolPath("xc-top") + " -P " + base_ + " -d 0.5; echo TOP-EXITED $?; sleep 60";
    XC_ASSERT_OK(tmux({"new-session", "-d", "-s", "t", "-x", "150", "-y", "30", "/bin/sh", "-c", cmd}));
    (void)tmux({"set-option", "-t", "t", "window-size", "manual"});
    (void)tmux({"resize-window", "-t", "t:0", "-x", "150", "-y", "30"});
    // Row order on the screen: which of the two comes first.
    auto busyFirst = [&](const std::string& s) { return s.find("\nbusy ") < s.find("\nidle "); };
    auto shows = [&](const std::string& what, bool wantBusyFirst) {
        return waitUntil(
            [&] {
                std::string s = screen();
                return contains(s, what) && contains(s, "\nbusy ") && contains(s, "\nidle ") &&
                       contains(s, "\nTOTAL ") && busyFirst(s) == wantBusyFirst;
            },
            10.0, 0.1);
    };
    ASSERT_TRUE(shows("sorted by name", true)) << screen();
    EXPECT_TRUE(contains(screen(), "xc-top - " + base_ + " - 2 running")) << screen();
    // CPU% comes from two refreshes: wait for the busy one's share to show.
    ASSERT_TRUE(waitUntil([&] { return std::regex_search(screen(), std::regex("\nbusy +[1-9][0-9.]* ")); }, 10.0))
        << screen();
    XC_EXPECT_OK(tmux({"send-keys", "-t", "t:0", "r"}));
    EXPECT_TRUE(shows("sorted by name (reversed)", false)) << screen();
    XC_EXPECT_OK(tmux({"send-keys", "-t", "t:0", "c"}));
    EXPECT_TRUE(shows("sorted by cpu\n", true)) << screen();
    XC_EXPECT_OK(tmux({"send-keys", "-t", "t:0", "r"}));
    EXPECT_TRUE(shows("sorted by cpu (reversed)", false)) << screen();
    XC_EXPECT_OK(tmux({"send-keys", "-t", "t:0", "q"}));
    EXPECT_TRUE(waitUntil([&] { return contains(screen(), "TOP-EXITED 0"); }, 10.0)) << screen();
}

namespace {

class Disk : public XcTest {
protected:
    // du's figure for the same rule (blocks, hard links once, one file system).
    uint64_t du(const std::string& dir) {
        RunResult r = run({"/usr/bin/du", "-s", "-x", "-B1", dir});
        EXPECT_TRUE(r.ok()) << r.describe();
        return std::strtoull(r.out.c_str(), nullptr, 10);
    }
    uint64_t infoDisk(const std::string& name) {
        RunResult r = info(name, {"-S", "-H"});
        EXPECT_TRUE(r.ok()) << r.describe();
        std::smatch m;
        if (!std::regex_search(r.out, m, std::regex("(^|\n)Disk use: +([0-9]+)\n"))) {
            ADD_FAILURE() << "no Disk use line: " << r.describe();
            return 0;
        }
        return std::strtoull(m[2].str().c_str(), nullptr, 10);
    }
};

class Json : public XcTest {};

}  // namespace

// The dir backend: the rootfs, as du counts it; a file added shows, its
// hard links count once, symlinks out of the tree (to a big host
// directory, to /) are never followed.
TEST_F(Disk, OwnLayerCountsHardLinksOnceAndFollowsNoSymlink) {
    XC_ASSERT_OK(create("d1"));
    uint64_t before = infoDisk("d1");
    EXPECT_EQ(before, du(rootfs("d1")));
    ASSERT_TRUE(writeText(rootfs("d1") + "/big", std::string(4 << 20, 'x')));
    ASSERT_EQ(::link((rootfs("d1") + "/big").c_str(), (rootfs("d1") + "/big.1").c_str()), 0);
    ASSERT_EQ(::link((rootfs("d1") + "/big").c_str(), (rootfs("d1") + "/etc/big.2").c_str()), 0);
    ASSERT_EQ(::symlink("/usr", (rootfs("d1") + "/hostusr").c_str()), 0);
    ASSERT_EQ(::symlink("/", (rootfs("d1") + "/tmp/hostroot").c_str()), 0);
    uint64_t after = infoDisk("d1");
    EXPECT_EQ(after, du(rootfs("d1")));
    EXPECT_GE(after - before, uint64_t(4) << 20);
    EXPECT_LT(after - before, (uint64_t(4) << 20) + (64 << 10)) << "hard links counted twice or a symlink followed";
    RunResult human = info("d1");
    XC_EXPECT_OK(human);
    EXPECT_TRUE(std::regex_search(human.out, std::regex("\nDisk use: +[0-9.]+ MiB\n$"))) << human.describe();
    RunResult ls = xc("xc-ls", {"-F", "name,STATE,DISK"});
    XC_EXPECT_OK(ls);
    EXPECT_TRUE(std::regex_match(ls.out, std::regex("NAME +STATE +DISK\nd1 +STOPPED +[0-9.]+ MiB\n"))) << ls.describe();
    RunResult js = xc("xc-ls", {"--json", "-F", "NAME,DISK"});
    XC_EXPECT_OK(js);
    EXPECT_TRUE(contains(js.out, "\"disk_bytes\": " + std::to_string(after) + "}")) << js.describe();
    RunResult bad = xc("xc-ls", {"-F", "NAME,SIZE"});
    EXPECT_EQ(bad.status, 2) << bad.describe();
    EXPECT_TRUE(contains(bad.err, "unknown column 'SIZE'")) << bad.describe();
}

// The overlay backend: only the container's upper layer, not the base it shares.
TEST_F(Disk, OverlayCountsTheUpperLayerOnly) {
    XC_ASSERT_OK(create("o1", {"-B", "overlay"}));
    std::smatch m;
    std::string cfg = readText(configFile("o1"));
    ASSERT_TRUE(std::regex_search(cfg, m, std::regex("upper *= *\"([^\"]+)\""))) << cfg;
    std::string upper = m[1];
    ASSERT_TRUE(isDir(upper)) << upper << "\n" << cfg;
    ASSERT_TRUE(writeText(upper + "/mine", std::string(1 << 20, 'y')));
    uint64_t use = infoDisk("o1");
    EXPECT_EQ(use, du(upper));
    EXPECT_GE(use, uint64_t(1) << 20);
    EXPECT_LT(use, uint64_t(2) << 20) << "the shared lower layer was counted";
}

// --json of xc-info (running and stopped) and xc-ls: the documented members.
TEST_F(Json, InfoAndLsObjects) {
    XC_ASSERT_OK(create("j1"));
    XC_ASSERT_OK(create("j2"));
    XC_ASSERT_OK(start("j1"));
    pid_t pid = initPid("j1");
    RunResult r = info("j1", {"--json"});
    XC_ASSERT_OK(r);
    EXPECT_TRUE(std::regex_match(
        r.out, std::regex("\\{\"name\": \"j1\", \"state\": \"RUNNING\", \"pid\": " + std::to_string(pid) +
                          ", \"ips\": \\[\\], \"cpu_ns\": [0-9]+, \"memory_bytes\": [1-9][0-9]*, "
                          "\"memory_swap_bytes\": ([0-9]+|null), \"blkio_read_bytes\": ([0-9]+|null), "
                          "\"blkio_write_bytes\": ([0-9]+|null), \"pids\": [1-9][0-9]*, \"links\": \\[\\], "
                          "\"disk_bytes\": [1-9][0-9]*, \"privileged\": false, \"root_host_uid\": [1-9][0-9]*, "
                          "\"rootfs_owners\": \"idmapped\"\\}\n")))
        << r.describe();
    RunResult s = info("j2", {"--json"});
    XC_EXPECT_OK(s);
    EXPECT_TRUE(std::regex_match(
        s.out, std::regex("\\{\"name\": \"j2\", \"state\": \"STOPPED\", \"pid\": null, \"disk_bytes\": [0-9]+, "
                          "\"privileged\": false, \"root_host_uid\": [1-9][0-9]*, \"rootfs_owners\": \"idmapped\"\\}\n")))
        << s.describe();
    RunResult only = info("j1", {"--json", "-s"});
    EXPECT_EQ(only.out, "{\"name\": \"j1\", \"state\": \"RUNNING\"}\n") << only.describe();
    RunResult ls = xc("xc-ls", {"--json"});
    XC_EXPECT_OK(ls);
    EXPECT_EQ(ls.out, "[\n  {\"name\": \"j1\", \"state\": \"RUNNING\", \"autostart\": false, \"groups\": [], \"ipv4\": [], "
                      "\"ipv6\": [], \"pid\": " + std::to_string(pid) + "},\n"
                      "  {\"name\": \"j2\", \"state\": \"STOPPED\", \"autostart\": false, \"groups\": [], \"ipv4\": [], "
                      "\"ipv6\": [], \"pid\": null}\n]\n")
        << ls.describe();
    RunResult none = xc("xc-ls", {"--json", "--frozen"});
    EXPECT_EQ(none.out, "[]\n") << none.describe();
}

// The network columns with real traffic: a veth on a bridge of the test's
// own, pings to the bridge's address; xc-top's NET RX+TX and xc-info's
// JSON links count them.
TEST_F(Top, NetworkBytesOfAVethShow) {
    ASSERT_NO_FATAL_FAILURE(startPrivateBridge());
    if (IsSkipped()) return;
    XC_ASSERT_OK(createWithConfig("n1", "network = ( { type = \"veth\"; link = \"" + privBridge_ +
                                            "\"; name = \"eth0\"; ipv4 = \"" + bridgeAddress(50) + "/24\"; } );\n"));
    XC_ASSERT_OK(start("n1"));
    RunResult ping = attach("n1", {"ping", "-c", "5", "-i", "0.2", "-s", "1000", bridgeAddress(1)});
    XC_ASSERT_OK(ping);
    RunResult r = xc("xc-top", {"--batch", "-H", "-d", "0.2"});
    XC_ASSERT_OK(r);
    std::smatch m;
    ASSERT_TRUE(std::regex_search(r.out, m, std::regex("\nn1 .* ([0-9]+)\n"))) << r.describe();
    EXPECT_GE(std::strtoull(m[1].str().c_str(), nullptr, 10), 2u * 5 * 1000) << r.out;  // 5 requests, 5 replies
    RunResult j = info("n1", {"--json", "-S"});
    XC_EXPECT_OK(j);
    EXPECT_TRUE(std::regex_search(j.out, std::regex("\"links\": \\[\\{\"link\": \"[^\"]+\", \"interface\": \"eth0\", "
                                                    "\"tx_bytes\": [0-9]{4,}, \"rx_bytes\": [0-9]{4,}\\}\\]")))
        << j.describe();
    RunResult ips = info("n1", {"--json", "-i"});
    EXPECT_EQ(ips.out, "{\"name\": \"n1\", \"ips\": [\"" + bridgeAddress(50) + "\"]}\n") << ips.describe();
}
