// Host-side paths that a container (or anyone who can write where they
// live) may have replaced by a symbolic link: the console log, the
// supervisor log and bind-mount sources are opened without following a
// link in any component, so a link to a host file or directory is refused
// and the file or directory behind it stays untouched and unmounted.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "harness.hpp"

using namespace xcit;

namespace {

class HostPaths : public XcTest {
protected:
    // A file outside every container, with known content.
    std::string makeSentinelFile() {
        std::string f = makeSentinelDir() + "/sentinel";
        EXPECT_TRUE(writeText(f, "sentinel\n", 0600));
        return f;
    }
    std::string consoleConf(const std::string& file) { return "console = { log = \"" + file + "\"; };\n"; }
    std::string bindConf(const std::string& source, const std::string& options = "bind") {
        return "mounts = ( { source = \"" + source + "\"; target = \"mnt/shared\"; options = \"" + options +
               "\"; } );\n";
    }
    void expectNotMounted(const std::string& dir) {
        EXPECT_FALSE(contains(readText("/proc/self/mountinfo"), dir)) << dir << " is mounted somewhere";
    }
};

}  // namespace

// console.log was opened with O_CREAT|O_APPEND through links: a container
// that can write where its log lives made the host append to any file.
TEST_F(HostPaths, ConsoleLogThatIsASymlinkIsRefused) {
    std::string sentinel = makeSentinelFile();
    std::string logDir = scratch_ + "/logs";
    XC_ASSERT_OK(createWithConfig("p1", consoleConf(logDir + "/p1.console")));
    ASSERT_EQ(::mkdir(logDir.c_str(), 0755), 0);
    ASSERT_EQ(::symlink(sentinel.c_str(), (logDir + "/p1.console").c_str()), 0);

    RunResult s = start("p1");
    EXPECT_NE(s.status, 0) << s.describe();
    EXPECT_TRUE(contains(s.err, "console log " + logDir + "/p1.console: a symbolic link")) << s.describe();
    expectNothingRunning("p1", s.describe());
    EXPECT_EQ(readText(sentinel), "sentinel\n") << "the host file behind the link was written";
}

// A directory on the way to the console log replaced by a link: the log
// (and the directories the host makes for it) would land behind it.
TEST_F(HostPaths, ConsoleLogBehindASymlinkedDirectoryIsRefused) {
    std::string hostDir = makeSentinelDir();
    std::string link = scratch_ + "/logs";
    ASSERT_EQ(::symlink(hostDir.c_str(), link.c_str()), 0);
    XC_ASSERT_OK(createWithConfig("p2", consoleConf(link + "/sub/p2.console")));

    RunResult s = start("p2");
    EXPECT_NE(s.status, 0) << s.describe();
    EXPECT_TRUE(contains(s.err, link + " is a symbolic link")) << s.describe();
    expectNothingRunning("p2", s.describe());
    EXPECT_TRUE(listNames(hostDir).empty()) << "the host made files behind the link in " << hostDir;
}

// A FIFO (or a device node) where the log should be: refused at once,
// neither opened for writing nor waited on.
TEST_F(HostPaths, ConsoleLogThatIsNotARegularFileIsRefused) {
    std::string logFile = scratch_ + "/p3.console";
    ASSERT_EQ(::mkfifo(logFile.c_str(), 0600), 0);
    XC_ASSERT_OK(createWithConfig("p3", consoleConf(logFile)));
    RunOptions o;
    o.timeoutSeconds = 15;
    RunResult s = xc("xc-start", {"-n", "p3"}, o);
    EXPECT_FALSE(s.timedOut) << "the start waited on the FIFO: " << s.describe();
    EXPECT_NE(s.status, 0) << s.describe();
    EXPECT_TRUE(contains(s.err, logFile + ": not a regular file")) << s.describe();
    expectNothingRunning("p3", s.describe());
}

// The supervisor's log (base/NAME/NAME.log for a -P base) replaced by a
// link: the supervisor runs on without a log, the file behind it untouched.
TEST_F(HostPaths, SupervisorLogThatIsASymlinkIsNotWritten) {
    std::string sentinel = makeSentinelFile();
    XC_ASSERT_OK(create("p4"));
    std::string log = containerDir("p4") + "/p4.log";
    ::unlink(log.c_str());
    ASSERT_EQ(::symlink(sentinel.c_str(), log.c_str()), 0);
    RunResult s = start("p4", {"-l", "DEBUG"});
    if (s.ok()) {
        XC_EXPECT_OK(attach("p4", {"true"}));
        XC_EXPECT_OK(kill("p4"));
    }
    expectNothingRunning("p4", s.describe());
    EXPECT_EQ(readText(sentinel), "sentinel\n") << "the host file behind the link was written";
}

// A bind source inside the rootfs replaced (by the container) with a link
// to a host directory: it used to mount the host directory into the container.
TEST_F(HostPaths, BindSourceThatIsASymlinkIsRefused) {
    std::string hostDir = makeSentinelDir();
    ASSERT_TRUE(writeText(hostDir + "/marker", "host\n"));
    XC_ASSERT_OK(create("p5"));
    std::string source = rootfs("p5") + "/srv-export";
    ASSERT_EQ(::symlink(hostDir.c_str(), source.c_str()), 0);
    std::string cfg = readText(configFile("p5"));
    ASSERT_TRUE(writeText(configFile("p5"), cfg + bindConf(source), 0640));

    RunResult s = start("p5");
    EXPECT_NE(s.status, 0) << s.describe();
    EXPECT_TRUE(contains(s.err, "mounts[0].source " + source + ": a symbolic link; name its target")) << s.describe();
    expectNothingRunning("p5", s.describe());
    expectNotMounted(hostDir.substr(4));
}

// A directory on the way to the bind source replaced by a link.
TEST_F(HostPaths, BindSourceBehindASymlinkedDirectoryIsRefused) {
    std::string hostDir = makeSentinelDir();
    ASSERT_EQ(::mkdir((hostDir + "/data").c_str(), 0755), 0);
    ASSERT_TRUE(writeText(hostDir + "/data/marker", "host\n"));
    std::string link = scratch_ + "/exports";
    ASSERT_EQ(::symlink(hostDir.c_str(), link.c_str()), 0);
    XC_ASSERT_OK(createWithConfig("p6", bindConf(link + "/data", "bind,ro")));

    RunResult s = start("p6");
    EXPECT_NE(s.status, 0) << s.describe();
    EXPECT_TRUE(contains(s.err, "mounts[0].source " + link + "/data: its component " + link + " is a symbolic link"))
        << s.describe();
    expectNothingRunning("p6", s.describe());
    expectNotMounted(hostDir.substr(4));
}

// What still works: a real directory is bound, and an optional source
// that is missing is skipped.
TEST_F(HostPaths, RealAndMissingOptionalBindSourcesStillWork) {
    std::string hostDir = makeSentinelDir();
    ASSERT_TRUE(writeText(hostDir + "/marker", "host\n", 0644));
    // Readable by anyone: the root of an unprivileged container is nobody to host files.
    ASSERT_EQ(::chmod(hostDir.c_str(), 0755), 0);
    XC_ASSERT_OK(createWithConfig(
        "p7", "mounts = ( { source = \"" + hostDir + "\"; target = \"mnt/shared\"; options = \"bind,ro\"; },\n"
              "           { source = \"" + hostDir + "/missing\"; target = \"mnt/other\"; options = \"bind\";"
              " optional = true; } );\n"));
    XC_ASSERT_OK(start("p7"));
    RunResult in = attach("p7", {"cat", "/mnt/shared/marker"});
    EXPECT_EQ(in.out, "host\n") << in.describe();
    XC_EXPECT_OK(kill("p7"));
    expectNothingRunning("p7", "after the stop");
}

// A log the administrator names with -o is theirs: a link there is
// followed (as "-o /dev/stderr" needs), for the supervisor's lines too.
TEST_F(HostPaths, LogNamedWithDashOFollowsItsLink) {
    std::string real = scratch_ + "/real.log";
    std::string link = scratch_ + "/named.log";
    ASSERT_EQ(::symlink(real.c_str(), link.c_str()), 0);
    XC_ASSERT_OK(create("p8"));
    RunResult s = start("p8", {"-o", link, "-l", "DEBUG"});
    XC_EXPECT_OK(s);
    if (s.ok()) XC_EXPECT_OK(kill("p8"));
    std::string text = readText(real);
    EXPECT_TRUE(contains(text, "xc-supervisor p8:")) << text;
    expectNothingRunning("p8", s.describe());
}

// A log level without -o used to open the default log inside the
// container's directory before the create, so the create found the name
// taken: "p9 already exists".
TEST_F(HostPaths, CreateWithALogLevelAndNoLogFileWorks) {
    RunResult c = create("p9", {"-l", "INFO"});
    XC_ASSERT_OK(c);
    EXPECT_FALSE(contains(c.err, "already exists")) << c.describe();
    XC_ASSERT_OK(start("p9", {"-l", "INFO"}));
    XC_EXPECT_OK(kill("p9"));
    EXPECT_TRUE(contains(readText(containerDir("p9") + "/p9.log"), "xc-supervisor p9:"))
        << "the default log was not written";
}

// xc.conf's cache_dir reaches templates as XC_CACHE (it used to be read by
// nothing), and the caller's own XC_CACHE still wins over it.
TEST_F(HostPaths, TemplatesAreGivenTheCacheDirOfXcConf) {
    const std::string tmpl = scratch_ + "/cache-template";
    ASSERT_TRUE(writeText(tmpl,
                          "#!/bin/sh\n"
                          "while [ $# -gt 0 ]; do [ \"$1\" = --rootfs ] && r=$2; shift; done\n"
                          "printf '%s' \"${XC_CACHE-unset}\" > \"$r/cache-dir\"\n",
                          0755));
    ASSERT_NO_FATAL_FAILURE(useXcConf("cache_dir = \"/var/tmp/xc-it-cache-of-xc-conf\";\n"));
    RunOptions none;
    none.env = {"XC_CACHE=", "XC_CACHE_DIR="};
    XC_ASSERT_OK(xc("xc-create", {"-n", "k1", "-t", tmpl}, none));
    EXPECT_EQ(readText(rootfs("k1") + "/cache-dir"), "/var/tmp/xc-it-cache-of-xc-conf");

    RunOptions own;
    own.env = {"XC_CACHE=/var/tmp/xc-it-own-cache"};
    XC_ASSERT_OK(xc("xc-create", {"-n", "k2", "-t", tmpl}, own));
    EXPECT_EQ(readText(rootfs("k2") + "/cache-dir"), "/var/tmp/xc-it-own-cache");
}

// A missing template lists the templates there are, not their helper
// directories (templates/lib).
TEST_F(HostPaths, AMissingTemplateListsOnlyTemplates) {
    RunResult r = xc("xc-create", {"-n", "k3", "-t", "no-such-template"});
    EXPECT_NE(r.status, 0);
    const size_t at = r.err.find("available: ");
    ASSERT_NE(at, std::string::npos) << r.describe();
    const std::string listed = r.err.substr(at);
    EXPECT_TRUE(contains(listed, "busybox")) << r.describe();
    EXPECT_TRUE(contains(listed, "debian")) << r.describe();
    EXPECT_FALSE(contains(listed, "lib")) << r.describe();
    EXPECT_FALSE(contains(listed, "README")) << r.describe();
}
