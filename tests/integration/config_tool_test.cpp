// xc-config: get/set/unset edit the config file in place with the schema's
// checks; apply changes a running container's cgroup limits live and lists
// what needs a restart.
#include <string>

#include "harness.hpp"

using namespace xcit;

namespace {

class ConfigTool : public XcTest {
protected:
    std::string trimmed(const std::string& s) {
        size_t b = s.find_first_not_of(" \t\n");
        size_t e = s.find_last_not_of(" \t\n");
        return b == std::string::npos ? "" : s.substr(b, e - b + 1);
    }
    // The memory limit file of the container's group ("" if none): v1
    // memory.limit_in_bytes or cgroup2 memory.max, whichever limits.
    std::string memoryLimit(const std::string& name) {
        for (const auto& dir : cgroupDirs(name))
            if (exists(dir + "/memory.limit_in_bytes")) return trimmed(readText(dir + "/memory.limit_in_bytes"));
        for (const auto& dir : cgroupDirs(name))
            if (exists(dir + "/memory.max")) return trimmed(readText(dir + "/memory.max"));
        return "";
    }
};

}  // namespace

TEST_F(ConfigTool, GetSetUnsetKeepTheAdminsCommentsAndRefuseBadValues) {
    XC_ASSERT_OK(createWithConfig("k1", "cgroup = { pids = { max = 100; }; };\n"));
    std::string path = configFile("k1");
    std::string text = readText(path) + "# the admin's note\nhooks = {\n    timeout = 20;   # asked by ops\n};\n";
    ASSERT_TRUE(writeText(path, text));

    XC_ASSERT_OK(xc("xc-config", {"-n", "k1", "set", "hooks.timeout", "25"}));
    std::string want = text;
    want.replace(want.find("20;   # asked"), 2, "25");
    EXPECT_EQ(readText(path), want);
    RunResult got = xc("xc-config", {"-n", "k1", "get", "hooks.timeout"});
    XC_EXPECT_OK(got);
    EXPECT_EQ(got.out, "25\n");

    XC_ASSERT_OK(xc("xc-config", {"-n", "k1", "set", "cgroup.memory.max", "256M"}));
    XC_ASSERT_OK(xc("xc-config", {"-n", "k1", "set", "start.groups", "web", "db"}));
    RunResult groups = xc("xc-config", {"-n", "k1", "get", "start.groups"});
    EXPECT_EQ(groups.out, "web\ndb\n") << groups.describe();
    EXPECT_EQ(xc("xc-config", {"-n", "k1", "get", "cgroup.memory.max"}).out, "256M\n");
    EXPECT_NE(readText(path).find("# the admin's note\n"), std::string::npos) << readText(path);

    // Refused before the file changes: a bad value, an unknown key (with
    // close matches), a list for a scalar.
    std::string before = readText(path);
    RunResult bad = xc("xc-config", {"-n", "k1", "set", "cgroup.memory.max", "lots"});
    EXPECT_EQ(bad.status, 1) << bad.describe();
    EXPECT_TRUE(contains(bad.err, "xc-config: k1: ") && contains(bad.err, "lots")) << bad.describe();
    RunResult unknown = xc("xc-config", {"-n", "k1", "get", "cgroup.memory.maxx"});
    EXPECT_EQ(unknown.status, 1) << unknown.describe();
    EXPECT_TRUE(contains(unknown.err, "close matches: cgroup.memory.max")) << unknown.describe();
    EXPECT_NE(xc("xc-config", {"-n", "k1", "set", "uts.hostname", "a", "b"}).status, 0);
    EXPECT_EQ(readText(path), before);

    XC_ASSERT_OK(xc("xc-config", {"-n", "k1", "unset", "cgroup.memory.max"}));
    EXPECT_EQ(xc("xc-config", {"-n", "k1", "get", "cgroup.memory.max"}).out, "");
    RunResult stopped = xc("xc-config", {"-n", "k1", "apply"});
    EXPECT_EQ(stopped.status, 1) << stopped.describe();
    EXPECT_TRUE(contains(stopped.err, "not running")) << stopped.describe();
}

TEST_F(ConfigTool, ApplyChangesTheMemoryLimitLiveAndListsWhatNeedsARestart) {
    XC_ASSERT_OK(createWithConfig("a1", "cgroup = { memory = { max = \"256M\"; }; };\n"));
    XC_ASSERT_OK(start("a1"));
    ASSERT_EQ(memoryLimit("a1"), "268435456");
    ASSERT_TRUE(exists(runDir_ + "/a1.started"));

    XC_ASSERT_OK(xc("xc-config", {"-n", "a1", "set", "cgroup.memory.max", "128M"}));
    XC_ASSERT_OK(xc("xc-config", {"-n", "a1", "set", "uts.hostname", "renamed"}));
    XC_ASSERT_OK(xc("xc-config", {"-n", "a1", "set", "start.auto", "true"}));
    RunResult ap = xc("xc-config", {"-n", "a1", "apply"});
    XC_ASSERT_OK(ap);
    EXPECT_TRUE(contains(ap.out, "applied: cgroup.memory.max: 256M -> 128M\n")) << ap.describe();
    EXPECT_TRUE(contains(ap.out, "needs a restart: uts.hostname: ") && contains(ap.out, " -> renamed\n")) << ap.describe();
    EXPECT_TRUE(contains(ap.out, "no restart needed: start.auto:")) << ap.describe();
    EXPECT_EQ(memoryLimit("a1"), "134217728");
    RunResult inside = attach("a1", {"hostname"});
    EXPECT_EQ(trimmed(inside.out), "a1") << "the hostname changed without a restart\n" << inside.describe();

    // Applied once: a second apply writes nothing and still lists the restart.
    RunResult again = xc("xc-config", {"-n", "a1", "apply"});
    XC_ASSERT_OK(again);
    EXPECT_FALSE(contains(again.out, "applied:")) << again.describe();
    EXPECT_TRUE(contains(again.out, "needs a restart: uts.hostname")) << again.describe();

    // A limit removed from the file is lifted.
    XC_ASSERT_OK(xc("xc-config", {"-n", "a1", "unset", "cgroup.memory.max"}));
    RunResult lifted = xc("xc-config", {"-n", "a1", "apply"});
    XC_ASSERT_OK(lifted);
    EXPECT_TRUE(contains(lifted.out, "applied: cgroup.memory.max: 128M -> (unset)\n")) << lifted.describe();
    std::string now = memoryLimit("a1");
    EXPECT_TRUE(now == "max" || now.size() >= 18) << "memory limit after unset: " << now;

    XC_EXPECT_OK(stop("a1", {"-k"}));
    EXPECT_FALSE(exists(runDir_ + "/a1.started"));
    // Restarted, the container runs with the file: nothing to apply.
    XC_ASSERT_OK(start("a1"));
    RunResult fresh = xc("xc-config", {"-n", "a1", "apply"});
    XC_EXPECT_OK(fresh);
    EXPECT_EQ(fresh.out, "nothing changed since the start\n") << fresh.describe();
    XC_EXPECT_OK(kill("a1"));
}
