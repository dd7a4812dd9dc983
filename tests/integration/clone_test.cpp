// xc-clone end to end: full copies of stopped busybox containers that start
// beside their origin, renames, and the refusals and failures that must
// leave nothing behind.
#include <fcntl.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "harness.hpp"

using namespace xcit;

namespace {

class Clone : public XcTest {
protected:
    void TearDown() override {
        if (!smallBase_.empty()) {
            run({toolPath("xc-destroy"), "-P", smallBase_, "-n", "c1", "-f"});
            ::umount2(smallBase_.c_str(), MNT_DETACH);
            ::rmdir(smallBase_.c_str());
        }
        XcTest::TearDown();
    }
    RunResult clone(const std::vector<std::string>& args) { return xc("xc-clone", args); }
    std::string smallBase_;
};

bool hiddenLeftovers(const std::string& base) {
    for (const auto& n : listNames(base))
        if (n.rfind(".xc-staging-", 0) == 0 || n.rfind(".xc-trash-", 0) == 0) return true;
    return false;
}

}  // namespace

TEST_F(Clone, ACopyStartsBesideItsOriginWithItsOwnIdentityAndKeepsFileIds) {
    XC_ASSERT_OK(create("c1"));
    // The admin's comment, a file with ids of its own and a machine id.
    std::string cfg = readText(configFile("c1"));
    ASSERT_TRUE(writeText(configFile("c1"), "# web front end, ask Ann\n" + cfg));
    ASSERT_TRUE(writeText(rootfs("c1") + "/root/owned", "x\n"));
    ASSERT_EQ(::chown((rootfs("c1") + "/root/owned").c_str(), 1234, 2345), 0);
    ASSERT_TRUE(writeText(rootfs("c1") + "/etc/machine-id", "0123456789abcdef0123456789abcdef\n"));
    ASSERT_TRUE(writeText(rootfs("c1") + "/etc/hostname", "c1\n"));

    XC_ASSERT_OK(clone({"-o", "c1", "-n", "c2"}));
    EXPECT_FALSE(hiddenLeftovers(base_));
    std::string c2 = readText(configFile("c2"));
    EXPECT_TRUE(contains(c2, "# web front end, ask Ann")) << c2;
    EXPECT_TRUE(contains(c2, "name = \"c2\";")) << c2;
    EXPECT_TRUE(contains(c2, "\"" + rootfs("c2") + "\"")) << c2;
    EXPECT_FALSE(contains(c2, rootfs("c1"))) << c2;
    EXPECT_TRUE(contains(c2, "outside = 100000;")) << "the idmap stays: " << c2;
    EXPECT_EQ(readText(rootfs("c2") + "/etc/hostname"), "c2\n");
    EXPECT_EQ(readText(rootfs("c2") + "/etc/machine-id"), "");
    EXPECT_EQ(readText(rootfs("c1") + "/etc/machine-id"), "0123456789abcdef0123456789abcdef\n");
    struct stat st;
    ASSERT_EQ(::lstat((rootfs("c2") + "/root/owned").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 1234u);
    EXPECT_EQ(st.st_gid, 2345u);

    XC_ASSERT_OK(start("c1"));
    XC_ASSERT_OK(start("c2"));
    RunResult host = attach("c2", {"hostname"});
    EXPECT_EQ(host.out, "c2\n") << host.describe();
    RunResult ids = attach("c2", {"stat", "-c", "%u:%g", "/root/owned"});
    EXPECT_EQ(ids.out, "1234:2345\n") << ids.describe();
    XC_EXPECT_OK(attach("c2", {"sh", "-c", "echo only-here > /root/clone-file"}));
    EXPECT_TRUE(exists(rootfs("c2") + "/root/clone-file"));
    EXPECT_FALSE(exists(rootfs("c1") + "/root/clone-file"));
    RunResult inOrigin = attach("c1", {"cat", "/root/clone-file"});
    EXPECT_FALSE(inOrigin.ok()) << inOrigin.describe();
    XC_EXPECT_OK(kill("c1"));
    XC_EXPECT_OK(kill("c2"));
}

TEST_F(Clone, ARunningOriginAndAnExistingNewAreRefusedInOneLine) {
    XC_ASSERT_OK(create("c1"));
    XC_ASSERT_OK(create("c3"));
    XC_ASSERT_OK(start("c1"));
    RunResult r = clone({"-o", "c1", "-n", "c2"});
    EXPECT_EQ(r.status, 1) << r.describe();
    EXPECT_EQ(lines(r.err).size(), 1u) << r.err;
    EXPECT_TRUE(contains(r.err, "xc-clone: c1: is running; stop it first")) << r.err;
    EXPECT_FALSE(exists(containerDir("c2")));
    EXPECT_FALSE(hiddenLeftovers(base_));
    XC_EXPECT_OK(kill("c1"));

    RunResult e = clone({"-o", "c1", "-n", "c3"});
    EXPECT_EQ(e.status, 1) << e.describe();
    EXPECT_EQ(lines(e.err).size(), 1u) << e.err;
    EXPECT_TRUE(contains(e.err, "c3 already exists")) << e.err;
    RunResult s = clone({"-a", "-s", "-o", "c1", "-n", "c4"});
    EXPECT_EQ(s.status, 1) << s.describe();
    EXPECT_TRUE(contains(s.err, "-a with -s")) << s.err;
    EXPECT_FALSE(exists(containerDir("c4")));
}

TEST_F(Clone, AllowRunningCopiesARunningOriginFrozenAndThawsIt) {
    XC_ASSERT_OK(create("c1"));
    XC_ASSERT_OK(start("c1"));
    XC_ASSERT_OK(attach("c1", {"sh", "-c", "echo live > /root/live"}));
    RunResult r = clone({"-o", "c1", "-n", "c2"});
    EXPECT_EQ(r.status, 1) << r.describe();
    EXPECT_TRUE(contains(r.err, "xc-clone -a freezes it")) << r.err;
    XC_ASSERT_OK(clone({"-a", "-o", "c1", "-n", "c2"}));
    EXPECT_EQ(state("c1"), "RUNNING") << "thawed after the copy";
    EXPECT_EQ(readText(rootfs("c2") + "/root/live"), "live\n");
    XC_ASSERT_OK(start("c2"));
    EXPECT_EQ(attach("c2", {"hostname"}).out, "c2\n");
    XC_EXPECT_OK(kill("c2"));
    // Frozen by the admin: copied, and left frozen.
    XC_ASSERT_OK(xc("xc-freeze", {"-n", "c1"}));
    XC_ASSERT_OK(clone({"-a", "-o", "c1", "-n", "c3"}));
    EXPECT_EQ(state("c1"), "FROZEN");
    XC_ASSERT_OK(xc("xc-unfreeze", {"-n", "c1"}));
    XC_EXPECT_OK(kill("c1"));
}

// A running overlay origin: its merged tree is copied while it is frozen
// (what it wrote and what it deleted since its start both reach the copy),
// and a snapshot clone of it is refused, naming the copy that works.
TEST_F(Clone, AllowRunningCopiesARunningOverlayOriginsMergedTree) {
    XC_ASSERT_OK(create("o1", {"-B", "overlay"}));
    XC_ASSERT_OK(start("o1"));
    XC_ASSERT_OK(attach("o1", {"sh", "-c", "echo live > /root/live && rm /bin/vi"}));
    RunResult snap = clone({"-a", "-s", "-o", "o1", "-n", "o3"});
    EXPECT_EQ(snap.status, 1) << snap.describe();
    EXPECT_TRUE(contains(snap.err, "copy it whole (without -s)")) << snap.err;
    EXPECT_FALSE(exists(containerDir("o3")));
    XC_ASSERT_OK(clone({"-a", "-o", "o1", "-n", "o2"}));
    EXPECT_EQ(state("o1"), "RUNNING") << "thawed after the copy";
    EXPECT_TRUE(contains(readText(configFile("o2")), "backend = \"overlay\";"));
    XC_ASSERT_OK(start("o2"));
    EXPECT_EQ(attach("o2", {"cat", "/root/live"}).out, "live\n");
    EXPECT_FALSE(attach("o2", {"ls", "/bin/vi"}).ok()) << "the origin's deletion reaches the copy";
    EXPECT_TRUE(attach("o1", {"ls", "/bin/sh"}).ok());
    XC_EXPECT_OK(kill("o2"));
    XC_EXPECT_OK(kill("o1"));
}

TEST_F(Clone, AnEphemeralCloneRunsAtOnceAndIsGoneWhenItStopsOrItsSupervisorIsKilled) {
    XC_ASSERT_OK(create("c1"));
    XC_ASSERT_OK(clone({"-e", "-o", "c1", "-n", "e1"}));
    EXPECT_EQ(state("e1"), "RUNNING");
    EXPECT_EQ(attach("e1", {"hostname"}).out, "e1\n");
    XC_EXPECT_OK(attach("e1", {"sh", "-c", "echo x > /root/w"}));
    EXPECT_FALSE(exists(rootfs("c1") + "/root/w"));
    XC_ASSERT_OK(stop("e1", {"-k"}));
    EXPECT_FALSE(exists(containerDir("e1"))) << "gone when xc-stop returns";
    EXPECT_FALSE(hiddenLeftovers(base_));
    expectNothingRunning("e1", "after the stop of an ephemeral clone");
    // An ephemeral clone that does not start is not left either.
    const std::string init = rootfs("c1") + "/sbin/init";
    ASSERT_EQ(::rename(init.c_str(), (init + ".off").c_str()), 0);
    RunResult bad = clone({"-e", "-o", "c1", "-n", "e3"});
    EXPECT_EQ(bad.status, 1) << bad.describe();
    EXPECT_TRUE(contains(bad.err, "start the ephemeral clone e3 (destroyed again)")) << bad.err;
    EXPECT_FALSE(exists(containerDir("e3")));
    ASSERT_EQ(::rename((init + ".off").c_str(), init.c_str()), 0);

    // A supervisor killed: the container stays until a sweep sees it.
    XC_ASSERT_OK(clone({"-e", "-o", "c1", "-n", "e2"}));
    auto mons = monitors("e2");
    ASSERT_EQ(mons.size(), 1u);
    ASSERT_EQ(::kill(mons[0], SIGKILL), 0);
    ASSERT_TRUE(waitUntil([&] { return monitors("e2").empty() && !socketBound("e2"); }, 10.0));
    EXPECT_TRUE(exists(configFile("e2")));
    RunResult ls = xc("xc-ls", {});
    XC_EXPECT_OK(ls);
    EXPECT_FALSE(contains(ls.out, "e2")) << ls.out;
    EXPECT_FALSE(exists(containerDir("e2")));
    expectNothingRunning("e2", "after the sweep of an ephemeral clone");
    // The origin is free again.
    XC_EXPECT_OK(destroy("c1"));
}

TEST_F(Clone, RenameKeepsTheContainerStartableUnderItsNewName) {
    XC_ASSERT_OK(create("old"));
    ASSERT_TRUE(writeText(rootfs("old") + "/etc/hostname", "old\n"));
    XC_ASSERT_OK(start("old"));
    RunResult busy = clone({"-R", "-o", "old", "-n", "new"});
    EXPECT_EQ(busy.status, 1) << busy.describe();
    EXPECT_TRUE(contains(busy.err, "is running")) << busy.err;
    XC_ASSERT_OK(kill("old"));

    XC_ASSERT_OK(clone({"-R", "-o", "old", "-n", "new"}));
    EXPECT_FALSE(exists(containerDir("old")));
    RunResult ls = xc("xc-ls", {});
    EXPECT_EQ(ls.out, "new\n") << ls.describe();
    std::string cfg = readText(configFile("new"));
    EXPECT_TRUE(contains(cfg, "name = \"new\";")) << cfg;
    EXPECT_TRUE(contains(cfg, "\"" + rootfs("new") + "\"")) << cfg;
    EXPECT_EQ(readText(rootfs("new") + "/etc/hostname"), "new\n");
    XC_ASSERT_OK(start("new"));
    RunResult host = attach("new", {"hostname"});
    EXPECT_EQ(host.out, "new\n") << host.describe();
    XC_EXPECT_OK(kill("new"));
    EXPECT_NE(state("old"), "RUNNING");
    EXPECT_FALSE(exists(containerDir("old")));
}

TEST_F(Clone, AFullDiskLeavesNoNewContainerAndNoStagingDirectory) {
    char tmpl[] = "/tmp/xc-it-small-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    smallBase_ = tmpl;
    ASSERT_EQ(::mount("tmpfs", smallBase_.c_str(), "tmpfs", 0, "size=16m,mode=0755"), 0) << std::strerror(errno);
    XC_ASSERT_OK(run({toolPath("xc-create"), "-P", smallBase_, "-n", "c1", "-t", "busybox"}));
    // The origin takes more than half of what is left: its copy cannot fit.
    struct statvfs vs;
    ASSERT_EQ(::statvfs(smallBase_.c_str(), &vs), 0);
    size_t fill = static_cast<size_t>(vs.f_bavail * vs.f_frsize * 6 / 10);
    ASSERT_TRUE(writeText(smallBase_ + "/c1/rootfs/big", std::string(fill, 'z')));
    RunResult r = run({toolPath("xc-clone"), "-P", smallBase_, "-o", "c1", "-n", "c2"});
    EXPECT_EQ(r.status, 1) << r.describe();
    EXPECT_EQ(lines(r.err).size(), 1u) << r.err;
    EXPECT_TRUE(contains(r.err, "copy /big")) << r.err;
    EXPECT_TRUE(contains(r.err, "No space left on device")) << r.err;
    EXPECT_FALSE(exists(smallBase_ + "/c2"));
    EXPECT_FALSE(hiddenLeftovers(smallBase_)) << "left: " << listNames(smallBase_).size();
    // And the origin is untouched.
    struct stat st;
    ASSERT_EQ(::stat((smallBase_ + "/c1/rootfs/big").c_str(), &st), 0);
    EXPECT_EQ(static_cast<size_t>(st.st_size), fill);
}

// The clone of an isolated container is isolated too: a block of root's
// ids of its own (it shared its origin's before), the rest of the config
// text as it was.
TEST_F(Clone, AnIsolatedOriginsCloneGetsABlockOfItsOwn) {
    XC_ASSERT_OK(createWithConfig("s1", "security = { idmap_isolated = true; };\n"));
    std::string origin = readText(configFile("s1"));
    ASSERT_TRUE(contains(origin, "outside = 165536;")) << origin;
    XC_ASSERT_OK(clone({"-o", "s1", "-n", "s2"}));
    std::string copy = readText(configFile("s2"));
    EXPECT_TRUE(contains(copy, "outside = 231072;")) << copy;
    EXPECT_FALSE(contains(copy, "outside = 165536;")) << copy;
    EXPECT_TRUE(contains(readText(configFile("s1")), "outside = 165536;"));
    XC_ASSERT_OK(start("s2"));
    RunResult map = attach("s2", {"cat", "/proc/self/uid_map"});
    EXPECT_TRUE(contains(map.out, "231072")) << map.describe();
    XC_EXPECT_OK(kill("s2"));
}

// SIGKILL of xc-clone at several points of a copy, a snapshot clone and a
// rename: the new container is either whole or not there at all (what the
// killed tool left is hidden, and the next xc-ls removes it), and the
// origin is untouched and still starts.
TEST_F(Clone, AKilledCloneOrRenameLeavesAWholeContainerOrNoneAndTheOriginUntouched) {
    XC_ASSERT_OK(create("c1"));
    // Enough files that a copy takes a while.
    ASSERT_EQ(::mkdir((rootfs("c1") + "/many").c_str(), 0755), 0);
    for (int i = 0; i < 3000; ++i) ASSERT_TRUE(writeText(rootfs("c1") + "/many/f" + std::to_string(i), "x"));
    const std::string originConfig = readText(configFile("c1"));
    auto wholeOrAbsent = [&](const std::string& name, const std::string& what) {
        if (!exists(containerDir(name))) return;
        EXPECT_TRUE(contains(readText(configFile(name)), "name = \"" + name + "\";")) << what;
        RunResult info = xc("xc-info", {"-n", name});
        EXPECT_TRUE(info.ok()) << what << ": " << info.describe();
    };
    int killed = 0;
    for (int delayMs : {2, 10, 30, 80, 200}) {
        for (const char* how : {"copy", "snapshot"}) {
            const std::string what = std::string(how) + " killed after " + std::to_string(delayMs) + " ms";
            std::vector<std::string> args = {toolPath("xc-clone"), "-P", base_, "-o", "c1", "-n", "c2"};
            if (std::string(how) == "snapshot") args.push_back("-s");
            Running r = spawn(args);
            std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
            ::kill(r.pid, SIGKILL);
            RunResult done = wait(r);
            killed += done.signal == SIGKILL;
            wholeOrAbsent("c2", what);
            RunResult ls = xc("xc-ls", {});
            EXPECT_TRUE(ls.out == "c1\n" || ls.out == "c1\nc2\n") << what << ": " << ls.describe();
            EXPECT_FALSE(hiddenLeftovers(base_)) << what << ": xc-ls left the killed clone's staging directory";
            if (exists(containerDir("c2"))) XC_EXPECT_OK(xc("xc-destroy", {"-n", "c2", "-f"}));
            EXPECT_EQ(readText(configFile("c1")), originConfig) << what;
            EXPECT_EQ(listNames(rootfs("c1") + "/many").size(), 3000u) << what;
        }
        // A rename is all or nothing too: the container answers to one name.
        const std::string what = "rename killed after " + std::to_string(delayMs) + " ms";
        Running r = spawn({toolPath("xc-clone"), "-P", base_, "-R", "-o", "c1", "-n", "c3"});
        std::this_thread::sleep_for(std::chrono::milliseconds(delayMs / 4));
        ::kill(r.pid, SIGKILL);
        RunResult done = wait(r);
        killed += done.signal == SIGKILL;
        RunResult ls = xc("xc-ls", {});
        ASSERT_TRUE(ls.out == "c1\n" || ls.out == "c3\n") << what << ": " << ls.describe();
        if (ls.out == "c3\n") {
            wholeOrAbsent("c3", what);
            XC_ASSERT_OK(clone({"-R", "-o", "c3", "-n", "c1"}));
        }
        EXPECT_FALSE(hiddenLeftovers(base_)) << what;
        EXPECT_EQ(listNames(rootfs("c1") + "/many").size(), 3000u) << what;
    }
    EXPECT_GT(killed, 0) << "no xc-clone was killed while it worked";
    // The origin still starts, and a clone of it under the same new name works.
    XC_ASSERT_OK(clone({"-o", "c1", "-n", "c2"}));
    XC_ASSERT_OK(start("c1"));
    XC_EXPECT_OK(kill("c1"));
}
