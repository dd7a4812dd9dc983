// xc-autostart with real containers: which ones each -g/-a selects, the
// order -L prints and the order the containers really start and stop in
// (recorded by their hooks), start.delay, and the systemd unit's own
// ExecStart and ExecStop command lines run against the test's base.
#include <map>
#include <sstream>

#include "harness.hpp"

using namespace xcit;

namespace {

class Autostart : public XcTest {
protected:
    // Each container records its starts (pre_start) and stops (post_stop)
    // with the host's uptime in one shared file.
    void make(const std::string& name, const std::string& start) {
        std::string log = scratch_ + "/events.log";
        XC_ASSERT_OK(createWithConfig(name, "security = { privileged = true; };\nstart = { " + start +
                                                " };\nhooks = { pre_start = [ \"echo start $XC_NAME $(cut -d' ' -f1 "
                                                "/proc/uptime) >> " + log + "\" ]; post_stop = [ \"echo stop $XC_NAME "
                                                "$(cut -d' ' -f1 /proc/uptime) >> " + log + "\" ]; };\n"));
    }
    void makeAll() {
        make("a1", "auto = true; order = 20;");
        make("a2", "auto = true; order = 10; groups = [ \"web\" ];");
        make("a3", "auto = true; order = 10; delay = 1;");
        make("a4", "auto = false;");
        make("a5", "auto = true; order = 5; groups = [ \"db\", \"web2\" ];");
    }
    std::string list(std::vector<std::string> args) {
        args.push_back("-L");
        auto r = xc("xc-autostart", args);
        EXPECT_TRUE(r.ok()) << r.describe();
        return r.out;
    }
    // "start NAME" / "stop NAME" events in order, and when each happened.
    std::vector<std::string> events(std::vector<double>* times = nullptr) {
        std::vector<std::string> out;
        for (const auto& l : lines(readText(scratch_ + "/events.log"))) {
            std::istringstream in(l);
            std::string what, name;
            double t = 0;
            in >> what >> name >> t;
            out.push_back(what + " " + name);
            if (times) times->push_back(t);
        }
        return out;
    }
    void clearEvents() { ASSERT_TRUE(writeText(scratch_ + "/events.log", "")); }
    // The value of KEY= lines of a unit file, in order.
    static std::vector<std::string> unitValues(const std::string& text, const std::string& key) {
        std::vector<std::string> out;
        for (const auto& l : lines(text))
            if (l.rfind(key + "=", 0) == 0) out.push_back(l.substr(key.size() + 1));
        return out;
    }
    static std::vector<std::string> words(const std::string& s) {
        std::vector<std::string> out;
        std::istringstream in(s);
        for (std::string w; in >> w;) out.push_back(w);
        return out;
    }
};

}  // namespace

TEST_F(Autostart, ListSelectsByGroupsAndSortsByOrder) {
    makeAll();
    // Default: the empty group only; lower order first, ties by name.
    EXPECT_EQ(list({}), "a3 1\na1 0\n");
    EXPECT_EQ(list({"-g", "web"}), "a2 0\n");
    EXPECT_EQ(list({"-g", ",web"}), "a2 0\na3 1\na1 0\n");
    EXPECT_EQ(list({"-g", "web,"}), "a2 0\na3 1\na1 0\n");
    EXPECT_EQ(list({"-g", "web", "-g", ""}), "a2 0\na3 1\na1 0\n");
    EXPECT_EQ(list({"-g", "web2", "-g", "web"}), "a5 0\na2 0\n");
    EXPECT_EQ(list({"-g", "nosuch"}), "");
    EXPECT_EQ(list({"-a"}), "a5 0\na2 0\na3 1\na1 0\n");
    // Nothing runs: nothing to stop.
    EXPECT_EQ(list({"-a", "-s"}), "");
    // xc-ls -f shows what the plan used.
    auto ls = xc("xc-ls", {"-f"});
    XC_ASSERT_OK(ls);
    std::map<std::string, std::vector<std::string>> cols;
    for (const auto& l : lines(ls.out)) {
        auto w = words(l);
        if (!w.empty()) cols[w[0]] = w;
    }
    ASSERT_EQ(cols.count("a5"), 1u) << ls.out;
    EXPECT_EQ(cols["NAME"], (std::vector<std::string>{"NAME", "STATE", "AUTOSTART", "GROUPS", "IPV4", "IPV6"}));
    EXPECT_EQ(cols["a1"][2], "1");
    EXPECT_EQ(cols["a1"][3], "-");
    EXPECT_EQ(cols["a4"][2], "0");
    EXPECT_EQ(cols["a5"][3], "db,web2");
}

TEST_F(Autostart, StartsInOrderWithDelaysAndStopsInReverse) {
    makeAll();
    auto r = xc("xc-autostart", {"-a"}, RunOptions{.timeoutSeconds = 120});
    XC_ASSERT_OK(r);
    std::vector<double> t;
    EXPECT_EQ(events(&t), (std::vector<std::string>{"start a5", "start a2", "start a3", "start a1"}));
    ASSERT_EQ(t.size(), 4u);
    EXPECT_GE(t[3] - t[2], 1.0) << "a3's start.delay = 1 before a1";
    EXPECT_LT(t[2] - t[1], 1.0) << "a2 has no delay";
    for (const char* n : {"a1", "a2", "a3", "a5"}) EXPECT_EQ(state(n), "RUNNING") << n;
    EXPECT_EQ(state("a4"), "STOPPED");
    // Running ones are not started again; -L of a stop lists the reverse.
    EXPECT_EQ(list({"-a"}), "");
    EXPECT_EQ(list({"-a", "-s"}), "a1\na3\na2\na5\n");
    EXPECT_EQ(list({"-g", "db", "-k"}), "a5\n");
    clearEvents();
    XC_ASSERT_OK(xc("xc-autostart", {"-g", "db", "-k"}));
    EXPECT_EQ(events(), (std::vector<std::string>{"stop a5"}));
    EXPECT_EQ(state("a5"), "STOPPED");
    clearEvents();
    XC_ASSERT_OK(xc("xc-autostart", {"-a", "-s", "-t", "10"}, RunOptions{.timeoutSeconds = 120}));
    EXPECT_EQ(events(), (std::vector<std::string>{"stop a1", "stop a3", "stop a2"}));
    for (const char* n : {"a1", "a2", "a3", "a4", "a5"}) expectNothingRunning(n, "after xc-autostart -s");
}

TEST_F(Autostart, RebootRestartsTheRunningOnes) {
    make("r1", "auto = true; groups = [ \"g\" ];");
    XC_ASSERT_OK(xc("xc-autostart", {"-g", "g"}));
    pid_t before = initPid("r1");
    clearEvents();
    XC_ASSERT_OK(xc("xc-autostart", {"-g", "g", "-r", "-t", "10"}, RunOptions{.timeoutSeconds = 60}));
    EXPECT_TRUE(waitUntil([&] { return events().size() >= 2; }, 20));
    EXPECT_EQ(events(), (std::vector<std::string>{"stop r1", "start r1"}));
    EXPECT_TRUE(waitUntil([&] { return state("r1") == "RUNNING" && initPid("r1") != before; }, 20));
    XC_EXPECT_OK(stop("r1"));
}

TEST_F(Autostart, TheSystemdUnitsCommandsStartAndStopTheMarkedContainers) {
    std::string build = toolPath("xc-autostart");
    build = build.substr(0, build.rfind('/'));
    std::string unit = readText(build + "/xc-autostart.service");
    ASSERT_FALSE(unit.empty()) << build << "/xc-autostart.service";
    auto after = unitValues(unit, "After");
    ASSERT_EQ(after.size(), 1u);
    EXPECT_TRUE(contains(after[0], "xc-net.service")) << after[0];
    auto starts = unitValues(unit, "ExecStart"), stops = unitValues(unit, "ExecStop");
    ASSERT_EQ(starts.size(), 1u);
    ASSERT_EQ(stops.size(), 1u);
    EXPECT_EQ(unitValues(unit, "Type"), std::vector<std::string>{"oneshot"});
    EXPECT_EQ(unitValues(unit, "RemainAfterExit"), std::vector<std::string>{"yes"});
    // The unit's command lines, with the test's base and the built tool.
    auto command = [&](const std::string& line) {
        auto w = words(line);
        EXPECT_FALSE(w.empty());
        EXPECT_EQ(w[0].substr(w[0].rfind('/') + 1), "xc-autostart") << line;
        EXPECT_EQ(w[0][0], '/') << line;
        w.erase(w.begin());
        return w;
    };
    makeAll();
    auto r = xc("xc-autostart", command(starts[0]), RunOptions{.timeoutSeconds = 120});
    XC_ASSERT_OK(r);
    EXPECT_EQ(events(), (std::vector<std::string>{"start a5", "start a2", "start a3", "start a1"}));
    EXPECT_EQ(state("a4"), "STOPPED");
    XC_ASSERT_OK(start("a4"));  // started by hand: not the unit's to stop
    clearEvents();
    XC_ASSERT_OK(xc("xc-autostart", command(stops[0]), RunOptions{.timeoutSeconds = 120}));
    EXPECT_EQ(events(), (std::vector<std::string>{"stop a1", "stop a3", "stop a2", "stop a5"}));
    for (const char* n : {"a1", "a2", "a3", "a5"}) expectNothingRunning(n, "after the unit's ExecStop");
    EXPECT_EQ(state("a4"), "RUNNING");
    XC_EXPECT_OK(stop("a4"));
}

TEST_F(Autostart, AFailedStartIsReportedAndTheOthersGoOn) {
    // b1 cannot start: its pre_start hook fails.
    XC_ASSERT_OK(createWithConfig("b1", "security = { privileged = true; };\nstart = { auto = true; order = 1; };\n"
                                        "hooks = { pre_start = [ \"echo refused >&2; exit 7\" ]; };\n"));
    make("b2", "auto = true; order = 2;");
    auto r = xc("xc-autostart", {});
    EXPECT_EQ(r.status, 1) << r.describe();
    EXPECT_TRUE(contains(r.err, "xc-autostart: b1: ")) << r.err;
    EXPECT_TRUE(contains(r.err, "exited with status 7; its stderr ended: refused")) << r.err;
    EXPECT_EQ(state("b1"), "STOPPED");
    EXPECT_EQ(state("b2"), "RUNNING");
    XC_EXPECT_OK(stop("b2"));
}
