// What a start says when the init cannot be executed, and config values
// the exec would refuse caught when the config is read.
#include <sys/stat.h>

#include <chrono>

#include "harness.hpp"

using namespace xcit;

namespace {

class InitExec : public XcTest {
protected:
    // A container whose init is `init`; `content` written there first (mode 0755) unless empty.
    RunResult startWithInit(const std::string& name, const std::string& init, const std::string& content) {
        RunResult c = createWithConfig(name, "init = { cmd = [ \"" + init + "\" ]; };\n");
        EXPECT_TRUE(c.ok()) << c.describe();
        if (!content.empty()) {
            EXPECT_TRUE(writeText(rootfs(name) + init, content, 0755));
        }
        return start(name);
    }
};

}  // namespace

// execve says ENOENT for a script whose interpreter is missing: the error
// names the interpreter, not the init that exists.
TEST_F(InitExec, MissingInterpreterIsNamed) {
    RunResult r = startWithInit("i1", "/sbin/myinit", "#!/bin/nosuch -x\necho hi\n");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(contains(r.err, "init /sbin/myinit: interpreter /bin/nosuch not found in the container")) << r.describe();
    expectNothingRunning("i1", "after the failed start");
}

TEST_F(InitExec, MissingInitAndMissingLoaderAreNamed) {
    RunResult r = startWithInit("i2", "/sbin/absent", "");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(contains(r.err, "exec /sbin/absent in the container: No such file or directory")) << r.describe();
    // A dynamically linked program in a rootfs without its loader.
    std::string dyn = readText("/bin/true");
    ASSERT_FALSE(dyn.empty());
    r = startWithInit("i3", "/sbin/dyninit", dyn);
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(contains(r.err, "init /sbin/dyninit: ELF interpreter (dynamic loader) /lib")) << r.describe();
    EXPECT_TRUE(contains(r.err, "not found in the container")) << r.describe();
    // A script whose interpreter exists but is such a program: the chain is named.
    XC_ASSERT_OK(createWithConfig("i4", "init = { cmd = [ \"/sbin/script\" ]; };\n"));
    ASSERT_TRUE(writeText(rootfs("i4") + "/sbin/dyninit", dyn, 0755));
    ASSERT_TRUE(writeText(rootfs("i4") + "/sbin/script", "#!/sbin/dyninit\n", 0755));
    r = start("i4");
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(contains(r.err, "init /sbin/script: interpreter /sbin/dyninit: ELF interpreter (dynamic loader) /lib"))
        << r.describe();
    expectNothingRunning("i4", "after the failed start");
    expectNothingRunning("i3", "after the failed starts");
}

// An environment string beyond MAX_ARG_STRLEN used to be accepted and
// fail at exec (a 50 MB one 3.5 s into the start; config files are now
// capped at 1 MiB, so 200 KB here); it is refused when the config is read,
// with file:line:key, and the error does not echo it.
TEST_F(InitExec, EnvironmentStringBeyondTheKernelLimitIsRefusedAtCreate) {
    std::string conf = scratchFile("huge-env.conf", "environment = [ \"BIG=" + std::string(200 << 10, 'x') + "\" ];\n");
    auto t0 = std::chrono::steady_clock::now();
    RunResult r = xc("xc-create", {"-n", "e1", "-t", "busybox", "-f", conf});
    EXPECT_FALSE(r.ok()) << "a 200 KB environment string was accepted";
    EXPECT_TRUE(contains(r.err, conf + ":1: environment: ")) << r.err.substr(0, 300);
    EXPECT_TRUE(contains(r.err, "MAX_ARG_STRLEN")) << r.err.substr(0, 300);
    EXPECT_LT(r.err.size(), 400u) << "the value is echoed";
    EXPECT_LT(since(t0), 10.0);
    EXPECT_FALSE(exists(containerDir("e1")));
}
