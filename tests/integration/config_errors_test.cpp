// Bad input is refused before anything is made or started: config errors
// name the file, the line and the key; bad names touch no file; a failed
// template or init leaves nothing behind.
#include <unistd.h>

#include <string>
#include <vector>

#include "harness.hpp"

using namespace xcit;

namespace {

class ConfigErrors : public XcTest {};
class Names : public XcTest {};
class StartFailure : public XcTest {};

}  // namespace

// ------------------------------------------------------------ ConfigErrors

TEST_F(ConfigErrors, SyntaxErrorNamesFileAndLineAndCreatesNothing) {
    std::string conf = scratchFile("syntax.conf",
                                   "# a comment\n"
                                   "uts = { hostname = \"x\"; };\n"
                                   "this is @ not libconfig\n");
    auto tree = listTree(base_);
    RunResult r = create("e1", {"-f", conf});
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, conf + ":3")) << "the message must name the file and line 3\n" << r.describe();
    EXPECT_EQ(lines(r.err).size(), 1u) << "one clear line\n" << r.describe();
    EXPECT_FALSE(exists(containerDir("e1")));
    EXPECT_EQ(listTree(base_), tree);
    EXPECT_FALSE(exists(lockPath("e1")));
}

TEST_F(ConfigErrors, UnknownKeySuggestsTheRightOne) {
    std::string conf = scratchFile("typo.conf", "cgroup = { memroy = { max = \"1G\"; }; };\n");
    RunResult r = create("e2", {"-f", conf});
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, conf + ":1")) << r.describe();
    EXPECT_TRUE(contains(r.err, "memroy")) << r.describe();
    EXPECT_TRUE(contains(r.err, "did you mean")) << r.describe();
    EXPECT_TRUE(contains(r.err, "memory")) << r.describe();
    EXPECT_FALSE(exists(containerDir("e2")));
}

TEST_F(ConfigErrors, BadValuesNameTheKeyAndLeaveNothing) {
    struct Case {
        std::string text, key;
        int line;
    };
    const std::vector<Case> cases = {
        {"\ncgroup = { memory = { max = \"lots\"; }; };\n", "cgroup.memory.max", 2},
        {"cgroup = { cpu = { weight = 0; }; };\n", "cgroup.cpu.weight", 1},
        {"tty = { count = -1; };\n", "tty.count", 1},
        {"cgroup = {\n  pids = { max = \"many\"; };\n};\n", "cgroup.pids.max", 2},
        {"init = { halt_signal = \"SIGNOPE\"; };\n", "init.halt_signal", 1},
    };
    int i = 0;
    for (const auto& c : cases) {
        SCOPED_TRACE(c.text);
        std::string conf = scratchFile("bad" + std::to_string(++i) + ".conf", c.text);
        auto tree = listTree(base_);
        RunResult r = create("e3", {"-f", conf});
        EXPECT_NE(r.status, 0) << r.describe();
        EXPECT_TRUE(contains(r.err, c.key)) << r.describe();
        EXPECT_TRUE(contains(r.err, conf + ":" + std::to_string(c.line))) << r.describe();
        EXPECT_FALSE(exists(containerDir("e3")));
        EXPECT_EQ(listTree(base_), tree) << "a refused create left files behind";
        EXPECT_FALSE(exists(lockPath("e3"))) << "a refused create left runtime state";
    }
}

TEST_F(ConfigErrors, EditedConfigWithBadValueFailsStartCleanly) {
    XC_ASSERT_OK(create("e4"));
    std::string good = readText(configFile("e4"));
    ASSERT_FALSE(good.empty());
    size_t nLines = lines(good).size();
    ASSERT_TRUE(writeText(configFile("e4"), good + "cgroup = { memory = { max = \"lots\"; }; };\n", 0640));
    RunResult s = start("e4");
    EXPECT_NE(s.status, 0) << s.describe();
    EXPECT_TRUE(contains(s.err, configFile("e4") + ":" + std::to_string(nLines + 1))) << s.describe();
    EXPECT_TRUE(contains(s.err, "cgroup.memory.max")) << s.describe();
    expectNothingRunning("e4", "after the refused start");
    EXPECT_TRUE(monitors().empty());

    // Fixed again, it starts.
    ASSERT_TRUE(writeText(configFile("e4"), good, 0640));
    XC_ASSERT_OK(start("e4"));
    XC_EXPECT_OK(kill("e4"));
}

TEST_F(ConfigErrors, MissingTemplateIsAClearError) {
    auto tree = listTree(base_);
    RunResult r = create("e5", {}, "no-such-template");
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, "no template")) << r.describe();
    EXPECT_TRUE(contains(r.err, "no-such-template")) << r.describe();
    EXPECT_FALSE(exists(containerDir("e5")));
    EXPECT_EQ(listTree(base_), tree);
}

// A template that exists but cannot be run: the exec's errno, not "exit 127".
TEST_F(ConfigErrors, UnrunnableTemplateGivesTheErrnoAndLeavesNothing) {
    struct Case {
        std::string file, content, why;
        mode_t mode;
    };
    const std::vector<Case> cases = {
        {"not-executable", "#!/bin/sh\nexit 0\n", "Permission denied", 0644},
        {"bad-interpreter", "#!/nonexistent/interpreter\nexit 0\n", "No such file or directory", 0755},
    };
    for (const auto& c : cases) {
        std::string tmpl = scratchFile(c.file, c.content, c.mode);
        auto tree = listTree(base_);
        RunResult r = create("e9", {}, tmpl);
        EXPECT_EQ(r.status, 1) << r.describe();
        EXPECT_TRUE(contains(r.err, "run template " + tmpl)) << r.describe();
        EXPECT_TRUE(contains(r.err, c.why)) << r.describe();
        EXPECT_FALSE(contains(r.err, "127")) << r.describe();
        EXPECT_EQ(lines(r.err).size(), 1u) << "one clear line\n" << r.describe();
        EXPECT_FALSE(exists(containerDir("e9")));
        EXPECT_EQ(listTree(base_), tree) << c.file;
        EXPECT_FALSE(exists(lockPath("e9")));
    }
}

TEST_F(ConfigErrors, FailingTemplateLeavesNothingBehind) {
    // Makes some of the rootfs, then fails.
    std::string tmpl = scratchFile("failing-template",
                                   "#!/bin/sh\n"
                                   "while [ $# -gt 0 ]; do\n"
                                   "  case $1 in --rootfs) rootfs=$2; shift ;; esac\n"
                                   "  shift\n"
                                   "done\n"
                                   "mkdir -p \"$rootfs/etc\" && echo half > \"$rootfs/etc/half-made\"\n"
                                   "echo 'failing template: disk on fire' >&2\n"
                                   "exit 3\n",
                                   0755);
    auto tree = listTree(base_);
    RunResult r = create("e6", {}, tmpl);
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, "disk on fire") || contains(r.err, "status 3")) << r.describe();
    EXPECT_FALSE(exists(containerDir("e6")));
    EXPECT_EQ(listTree(base_), tree) << "the failed create left files in the base dir";
    EXPECT_FALSE(exists(lockPath("e6"))) << "the failed create left " << lockPath("e6");
    // The name is free again.
    XC_EXPECT_OK(create("e6"));
}

TEST_F(ConfigErrors, TemplateWritingABadConfigLeavesNothingBehind) {
    std::string tmpl = scratchFile("bad-config-template",
                                   "#!/bin/sh\n"
                                   "while [ $# -gt 0 ]; do\n"
                                   "  case $1 in --config) config=$2; shift ;; esac\n"
                                   "  shift\n"
                                   "done\n"
                                   "echo 'tty = { count = 1000; };' > \"$config\"\n",
                                   0755);
    auto tree = listTree(base_);
    RunResult r = create("e7", {}, tmpl);
    EXPECT_NE(r.status, 0) << r.describe();
    EXPECT_TRUE(contains(r.err, "tty.count")) << r.describe();
    EXPECT_FALSE(exists(containerDir("e7")));
    EXPECT_EQ(listTree(base_), tree);
}

// `xc-create -t download -- --help`: the template prints its help and
// exits 0 having made nothing; that is no container (it used to leave one
// with an empty root behind).
TEST_F(ConfigErrors, TemplateThatWritesNothingCreatesNothing) {
    std::string tmpl = scratchFile("help-only-template", "#!/bin/sh\necho 'Usage: help-only-template'\nexit 0\n", 0755);
    for (const char* backend : {"dir", "overlay"}) {
        SCOPED_TRACE(backend);
        auto tree = listTree(base_);
        RunResult r = create("e10", {"-B", backend}, tmpl);
        EXPECT_EQ(r.status, 1) << r.describe();
        EXPECT_TRUE(contains(r.out, "Usage: help-only-template")) << r.describe();
        EXPECT_TRUE(contains(r.err, "wrote no root file system")) << r.describe();
        EXPECT_EQ(lines(r.err).size(), 1u) << "one clear line\n" << r.describe();
        EXPECT_FALSE(exists(containerDir("e10")));
        EXPECT_EQ(listTree(base_), tree);
        EXPECT_FALSE(exists(lockPath("e10")));
    }
}

TEST_F(ConfigErrors, ExistingContainerIsNotOverwritten) {
    XC_ASSERT_OK(create("e8"));
    std::string cfg = readText(configFile("e8"));
    RunResult again = create("e8");
    EXPECT_NE(again.status, 0) << again.describe();
    EXPECT_TRUE(contains(again.err, "already exists")) << again.describe();
    EXPECT_EQ(readText(configFile("e8")), cfg);
    EXPECT_TRUE(isDir(rootfs("e8") + "/bin"));
}

// ------------------------------------------------------------ Names

TEST_F(Names, InvalidNamesAreRefusedBeforeAnyFileIsTouched) {
    const std::string longName(65, 'a');
    const std::vector<std::string> bad = {"../x", "a/b", "", ".hidden", "-dash", "..", "a b", longName};
    const bool tmpXBefore = exists("/tmp/x");
    for (const auto& name : bad) {
        SCOPED_TRACE("name '" + name + "'");
        auto tree = listTree(base_);
        RunResult r = xc("xc-create", {"-n", name, "-t", "busybox"});
        EXPECT_EQ(r.status, 2) << r.describe();
        std::string shown = name.size() > 64 ? name.substr(0, 64) : name;
        EXPECT_TRUE(contains(r.err, "'" + shown)) << "the error must show the name\n" << r.describe();
        EXPECT_EQ(listTree(base_), tree) << "the base dir changed";
        if (!tmpXBefore) {
            EXPECT_FALSE(exists("/tmp/x")) << "/tmp/x appeared";
        }
        // The other tools refuse it too, before touching anything.
        for (const char* tool : {"xc-start", "xc-destroy", "xc-stop", "xc-info", "xc-attach"}) {
            RunResult t = xc(tool, {"-n", name});
            EXPECT_EQ(t.status, 2) << t.describe();
        }
        RunResult d = xc("xc-destroy", {"-n", name, "-f"});
        EXPECT_EQ(d.status, 2) << d.describe();
        EXPECT_TRUE(isDir(base_)) << "destroy of '" << name << "' removed the base dir";
        EXPECT_EQ(listTree(base_), tree) << "the base dir changed";
    }
}

TEST_F(Names, BoundaryNamesAreAccepted) {
    const std::string name64(64, 'z');
    XC_EXPECT_OK(create(name64));
    EXPECT_TRUE(exists(configFile(name64)));
    XC_EXPECT_OK(create("a.b-C9"));
    XC_EXPECT_OK(create("9"));
    RunResult ls = xc("xc-ls", {"-1"});
    EXPECT_EQ(lines(ls.out), (std::vector<std::string>{"9", "a.b-C9", name64})) << ls.describe();
}

// '_' is allowed in a container name (xc(7), NAMES), though not in a host name.
TEST_F(Names, NameWithUnderscoreCanBeCreatedAndStarted) {
    RunResult c = create("web_1");
    XC_ASSERT_OK(c);
    XC_ASSERT_OK(start("web_1"));
    EXPECT_EQ(state("web_1"), "RUNNING");
    XC_EXPECT_OK(kill("web_1"));
}

// ------------------------------------------------------------ StartFailure

TEST_F(StartFailure, MissingInitBinaryFailsAndCleansUp) {
    XC_ASSERT_OK(createWithConfig("n1", "init = { cmd = [ \"/sbin/no-such-init\" ]; };\n"));
    RunResult s = start("n1");
    EXPECT_NE(s.status, 0) << s.describe();
    EXPECT_FALSE(s.timedOut) << s.describe();
    EXPECT_TRUE(contains(s.err, "exec")) << s.describe();
    EXPECT_TRUE(contains(s.err, "/sbin/no-such-init")) << s.describe();
    EXPECT_TRUE(contains(s.err, "No such file or directory")) << s.describe();
    EXPECT_EQ(state("n1"), "STOPPED");
    expectNothingRunning("n1", "after the failed start");

    // A working init given on the command line starts the same container.
    XC_ASSERT_OK(start("n1", {"--", "/sbin/init"}));
    EXPECT_EQ(state("n1"), "RUNNING");
    XC_EXPECT_OK(kill("n1"));
    expectNothingRunning("n1", "after stop -k");
}

TEST_F(StartFailure, MissingCommandOverrideFailsAndCleansUp) {
    XC_ASSERT_OK(create("n2"));
    RunResult s = start("n2", {"--", "/bin/not-here", "arg"});
    EXPECT_NE(s.status, 0) << s.describe();
    EXPECT_TRUE(contains(s.err, "/bin/not-here")) << s.describe();
    EXPECT_TRUE(contains(s.err, "No such file or directory")) << s.describe();
    expectNothingRunning("n2", "after the failed start");
}

TEST_F(StartFailure, MissingRootfsFailsAndCleansUp) {
    XC_ASSERT_OK(create("n3"));
    ASSERT_TRUE(removeTree(rootfs("n3")));
    RunResult s = start("n3");
    EXPECT_NE(s.status, 0) << s.describe();
    EXPECT_TRUE(contains(s.err, rootfs("n3"))) << s.describe();
    expectNothingRunning("n3", "after the failed start");
}

// The hint after a failed start names only logs that exist, and a log file
// that cannot be opened is the error itself, not a file named later.
TEST_F(StartFailure, HintsNameOnlyLogsThatExist) {
    XC_ASSERT_OK(create("n4"));
    // -o FILE that cannot be created: refused before anything starts.
    RunResult bad = start("n4", {"-o", "/proc/xc-no-such-dir/n4.log"});
    EXPECT_EQ(bad.status, 1) << bad.describe();
    EXPECT_TRUE(contains(bad.err, "open log file /proc/xc-no-such-dir/n4.log")) << bad.describe();
    EXPECT_FALSE(contains(bad.err, "; see ")) << bad.describe();
    expectNothingRunning("n4", "after the refused -o");

    // A failing start with a log that exists points at it.
    std::string log = scratch_ + "/n4-start.log";
    RunResult s = start("n4", {"-o", log, "--", "/bin/not-here"});
    EXPECT_EQ(s.status, 1) << s.describe();
    EXPECT_TRUE(contains(s.err, "; see log " + log)) << s.describe();
    EXPECT_TRUE(exists(log));
    EXPECT_EQ(lines(s.err).size(), 1u) << s.describe();
    expectNothingRunning("n4", "after the failed start");
}
