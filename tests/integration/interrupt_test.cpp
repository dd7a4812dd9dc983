// Interrupted and racing lifecycle commands: xc-create and xc-destroy
// killed at several points leave a container that is either whole or not
// there (never half), no process behind, and nothing that blocks the next
// command; destroy racing start; runtime state after a supervisor crash.
#include <dirent.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

#include "harness.hpp"

using namespace xcit;

namespace {

class Interrupt : public XcTest {
protected:
    // Hidden leftovers of interrupted creates and destroys in the base.
    std::vector<std::string> hiddenDirs() {
        std::vector<std::string> out;
        for (const auto& n : listNames(base_))
            if (n.rfind(".xc-", 0) == 0) out.push_back(n);
        return out;
    }
    // Exited (a zombie counts) or gone.
    static bool ended(pid_t p) {
        std::string st = readText("/proc/" + std::to_string(p) + "/stat");
        size_t close = st.rfind(')');
        return st.empty() || (close != std::string::npos && close + 2 < st.size() && st[close + 2] == 'Z');
    }
    // Pids whose command line contains `needle`.
    std::vector<pid_t> processesWith(const std::string& needle) {
        std::vector<pid_t> out;
        for (const auto& n : listNames("/proc")) {
            if (n.empty() || n.find_first_not_of("0123456789") != std::string::npos) continue;
            pid_t p = static_cast<pid_t>(std::atoi(n.c_str()));
            if (p != ::getpid() && contains(cmdlineOf(p), needle)) out.push_back(p);
        }
        return out;
    }
    // A template that records its host pid, starts a child that would
    // outlive it (`sleep` with a unique argument), says it runs, and then
    // either waits for ever or for a line on a FIFO.
    std::string slowTemplate() {
        return scratchFile("slow-template",
                           "#!/bin/sh\n"
                           "while [ $# -gt 0 ]; do case $1 in --rootfs) rootfs=$2; shift 2;; *) shift;; esac; done\n"
                           "mkdir -p \"$rootfs/etc\" && echo half > \"$rootfs/etc/made-by-template\"\n"
                           "read -r pid rest < /proc/self/stat\n"
                           "sleep \"$XCIT_SLEEP\" &\n"
                           "echo \"$pid\" > \"$XCIT_MARK.tmp\" && mv \"$XCIT_MARK.tmp\" \"$XCIT_MARK\"\n"
                           "if [ -n \"$XCIT_FIFO\" ]; then read -r line < \"$XCIT_FIFO\"; exit 0; fi\n"
                           "wait\n",
                           0755);
    }
    // The second create and the listing after an interrupted one.
    void expectCleanAfterKilledCreate(const std::string& name, const std::string& sleepArg, pid_t tmplPid,
                                      const std::string& point) {
        EXPECT_TRUE(waitUntil([&] { return ended(tmplPid) && processesWith(sleepArg).empty(); }, 5.0))
            << point << ": the template (pid " << tmplPid << ") or its child outlived the killed xc-create";
        EXPECT_FALSE(exists(containerDir(name))) << point << ": a half-made " << containerDir(name) << " is visible";
        RunResult info = this->info(name);
        EXPECT_FALSE(info.ok()) << point << ": xc-info sees a container: " << info.describe();
        EXPECT_TRUE(contains(info.err, "no such container")) << info.describe();
        RunResult ls = xc("xc-ls", {"-1"});
        XC_EXPECT_OK(ls);
        EXPECT_FALSE(contains(ls.out, name)) << point << ": " << ls.describe();
        EXPECT_TRUE(contains(ls.err, "interrupted create")) << point << ": no notice of the removal: " << ls.describe();
        EXPECT_TRUE(hiddenDirs().empty()) << point << ": xc-ls left " << hiddenDirs()[0];
        RunResult again = create(name);
        XC_EXPECT_OK(again);
        EXPECT_TRUE(exists(rootfs(name) + "/bin/busybox")) << point;
        EXPECT_FALSE(exists(rootfs(name) + "/etc/made-by-template")) << point << ": the killed create's files leaked in";
        XC_EXPECT_OK(destroy(name));
    }
};

std::string uniqueSleep() { return std::to_string(900000 + (::getpid() % 90000)) + "." + std::to_string(std::rand() % 1000); }

}  // namespace

// Killed while the template runs: the template and everything it started
// die with xc-create, the half-made tree is hidden (never listed, never
// "already exists"), and the next command cleans it up with a notice.
TEST_F(Interrupt, CreateKilledDuringTheTemplateLeavesNothingRunningOrVisible) {
    std::string tmpl = slowTemplate();
    std::string mark = scratch_ + "/mark-during";
    std::string sleepArg = uniqueSleep();
    RunOptions o;
    o.env = {"XCIT_MARK=" + mark, "XCIT_SLEEP=" + sleepArg};
    Running r = spawn({toolPath("xc-create"), "-P", base_, "-n", "k1", "-t", tmpl}, o);
    ASSERT_TRUE(waitUntil([&] { return exists(mark); }, 10.0)) << "the template did not start";
    pid_t tmplPid = static_cast<pid_t>(std::atoi(readText(mark).c_str()));
    ASSERT_GT(tmplPid, 1);
    // While the create runs, ls neither lists nor removes its staging directory.
    RunResult ls = xc("xc-ls", {"-1"});
    XC_EXPECT_OK(ls);
    EXPECT_FALSE(contains(ls.out, "k1")) << ls.describe();
    EXPECT_FALSE(contains(ls.err, "interrupted")) << "ls removed a create in progress: " << ls.describe();
    RunResult busy = create("k1");
    EXPECT_FALSE(busy.ok());
    EXPECT_TRUE(contains(busy.err, "another command")) << busy.describe();

    ASSERT_EQ(::kill(r.pid, SIGKILL), 0);
    RunResult killed = wait(r);
    EXPECT_EQ(killed.signal, SIGKILL) << killed.describe();
    expectCleanAfterKilledCreate("k1", sleepArg, tmplPid, "killed during the template");
}

// Killed right after the template finished, before the config is written
// and the directory committed: nothing is visible, and a create works.
TEST_F(Interrupt, CreateKilledRightAfterTheTemplateLeavesNothingVisible) {
    std::string tmpl = slowTemplate();
    std::string mark = scratch_ + "/mark-after";
    std::string fifo = scratch_ + "/release";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    std::string sleepArg = uniqueSleep();
    RunOptions o;
    o.env = {"XCIT_MARK=" + mark, "XCIT_SLEEP=" + sleepArg, "XCIT_FIFO=" + fifo};
    Running r = spawn({toolPath("xc-create"), "-P", base_, "-n", "k2", "-t", tmpl}, o);
    ASSERT_TRUE(waitUntil([&] { return exists(mark); }, 10.0)) << "the template did not start";
    pid_t tmplPid = static_cast<pid_t>(std::atoi(readText(mark).c_str()));
    // Hold xc-create still, let the template finish, then kill xc-create
    // before it could act on the template's end.
    ASSERT_EQ(::kill(r.pid, SIGSTOP), 0);
    ASSERT_TRUE(writeText(fifo, "go\n"));
    EXPECT_TRUE(waitUntil([&] { return ended(tmplPid); }, 5.0)) << "the template did not finish";
    ASSERT_EQ(::kill(r.pid, SIGKILL), 0);
    RunResult killed = wait(r);
    EXPECT_EQ(killed.signal, SIGKILL) << killed.describe();
    expectCleanAfterKilledCreate("k2", sleepArg, tmplPid, "killed right after the template");
}

// The next create of the same name removes the remains itself (under the
// lock), and says so in its log.
TEST_F(Interrupt, NextCreateRemovesTheRemainsOfAKilledOne) {
    std::string tmpl = slowTemplate();
    std::string mark = scratch_ + "/mark-next";
    std::string sleepArg = uniqueSleep();
    RunOptions o;
    o.env = {"XCIT_MARK=" + mark, "XCIT_SLEEP=" + sleepArg};
    Running r = spawn({toolPath("xc-create"), "-P", base_, "-n", "k3", "-t", tmpl}, o);
    ASSERT_TRUE(waitUntil([&] { return exists(mark); }, 10.0)) << "the template did not start";
    ASSERT_EQ(::kill(r.pid, SIGKILL), 0);
    wait(r);
    ASSERT_TRUE(waitUntil([&] { return processesWith(sleepArg).empty(); }, 5.0)) << "the template's child lives on";
    std::string log = scratch_ + "/create.log";
    RunResult again = xc("xc-create", {"-n", "k3", "-t", "busybox", "-o", log, "-l", "notice"});
    XC_ASSERT_OK(again);
    EXPECT_TRUE(hiddenDirs().empty()) << hiddenDirs()[0];
    EXPECT_TRUE(contains(readText(log), "left by an interrupted create")) << readText(log);
    XC_EXPECT_OK(destroy("k3"));
}

namespace {

class InterruptDestroy : public Interrupt {
protected:
    static constexpr int kDirs = 100, kFiles = 150;  // 15,000 files: a removal that takes a while
    std::vector<std::string> tree_;
    std::string config_;

    void makeBig(const std::string& name) {
        XC_ASSERT_OK(create(name));
        std::string big = rootfs(name) + "/var/big";
        ASSERT_EQ(::mkdir(big.c_str(), 0755), 0);
        for (int d = 0; d < kDirs; ++d) {
            std::string dir = big + "/d" + std::to_string(d);
            ASSERT_EQ(::mkdir(dir.c_str(), 0755), 0);
            for (int f = 0; f < kFiles; ++f) ASSERT_TRUE(writeText(dir + "/f" + std::to_string(f), "x"));
        }
        tree_ = listTree(containerDir(name));
        config_ = readText(configFile(name));
    }
    // Whether anything of the container's directory changed (a cheap poll).
    bool touched(const std::string& name) {
        struct stat st;
        if (::lstat((rootfs(name) + "/var/big").c_str(), &st) < 0) return true;
        return st.st_nlink != static_cast<nlink_t>(kDirs + 2) || !exists(configFile(name)) ||
               !exists(rootfs(name) + "/bin/busybox") || !exists(rootfs(name) + "/etc/passwd");
    }
    // Either whole (and it starts) or gone (and not listed); never half.
    // Returns true if it is whole.
    bool expectWholeOrGone(const std::string& name, const std::string& point) {
        if (!exists(containerDir(name))) {
            RunResult ls = xc("xc-ls", {"-1"});
            EXPECT_FALSE(contains(ls.out, name)) << point << ": " << ls.describe();
            EXPECT_FALSE(info(name).ok()) << point << ": xc-info sees a destroyed container";
            EXPECT_TRUE(hiddenDirs().empty()) << point << ": xc-ls left " << hiddenDirs()[0];
            return false;
        }
        auto now = listTree(containerDir(name));
        EXPECT_TRUE(now == tree_) << point << ": a half-destroyed container is left: " << now.size() << " of "
                                  << tree_.size() << " paths";
        EXPECT_EQ(readText(configFile(name)), config_) << point;
        if (now != tree_) return false;
        RunResult st = start(name);
        XC_EXPECT_OK(st);
        EXPECT_EQ(state(name), "RUNNING") << point;
        XC_EXPECT_OK(attach(name, {"test", "-f", "/var/big/d0/f0"}));
        XC_EXPECT_OK(kill(name));
        tree_ = listTree(containerDir(name));  // a run may add files (logs)
        return true;
    }
    RunResult killDestroy(const std::string& name, const std::vector<std::string>& extra,
                          const std::function<bool()>& when) {
        std::vector<std::string> argv = {toolPath("xc-destroy"), "-P", base_, "-n", name};
        argv.insert(argv.end(), extra.begin(), extra.end());
        Running r = spawn(argv);
        waitUntil(when, 20.0, 0.0002);
        ::kill(r.pid, SIGKILL);
        return wait(r);
    }
};

}  // namespace

TEST_F(InterruptDestroy, KilledDestroyLeavesTheWholeContainerOrNone) {
    makeBig("d1");
    // At once: typically before it took the lock.
    killDestroy("d1", {}, [] { return true; });
    if (!expectWholeOrGone("d1", "killed at once")) makeBig("d1");

    // A running one with -f, once its stop is under way.
    XC_ASSERT_OK(start("d1"));
    killDestroy("d1", {"-f"}, [&] { return state("d1") != "RUNNING"; });
    xc("xc-stop", {"-n", "d1", "-k"});
    if (!expectWholeOrGone("d1", "killed while stopping")) makeBig("d1");

    // Once the removal is under way: the directory must be out of sight first.
    RunResult r = killDestroy("d1", {}, [&] { return touched("d1"); });
    EXPECT_EQ(r.signal, SIGKILL) << "the destroy ended before it could be killed: " << r.describe();
    EXPECT_FALSE(exists(containerDir("d1"))) << "killed during the removal, the container is half there";
    bool whole = expectWholeOrGone("d1", "killed during the removal");
    EXPECT_FALSE(whole);
    // A new container of the same name works after that.
    XC_EXPECT_OK(create("d1"));
    XC_EXPECT_OK(start("d1"));
    XC_EXPECT_OK(kill("d1"));
    XC_EXPECT_OK(destroy("d1"));
}

// The next destroy of the name removes what a killed one left, and says so.
TEST_F(InterruptDestroy, NextCommandRemovesTheTrashOfAKilledDestroy) {
    makeBig("d2");
    killDestroy("d2", {}, [&] { return touched("d2"); });
    ASSERT_FALSE(exists(containerDir("d2"))) << "the container is half there";
    ASSERT_FALSE(hiddenDirs().empty()) << "the destroy finished before it was killed";
    std::string log = scratch_ + "/destroy.log";
    RunResult again = xc("xc-destroy", {"-n", "d2", "-o", log, "-l", "notice"});
    EXPECT_FALSE(again.ok());
    EXPECT_TRUE(contains(again.err, "no such container")) << again.describe();
    EXPECT_TRUE(hiddenDirs().empty()) << hiddenDirs()[0];
    EXPECT_TRUE(contains(readText(log), "left by an interrupted destroy")) << readText(log);
}

// Destroy racing a start: it takes the start's lock, so it either refuses
// ("busy: ..."), or with -f waits for the start and kills the container;
// never "connect ...: No such file" next to a container left RUNNING.
TEST_F(InterruptDestroy, DestroyRacingStartNeverLeavesItRunning) {
    for (int delayUs : {0, 2000, 5000, 10000, 20000, 40000, 80000}) {
        std::string at = "destroy -f " + std::to_string(delayUs) + " us after start";
        XC_ASSERT_OK(create("rs"));
        Running s = spawn({toolPath("xc-start"), "-P", base_, "-n", "rs"});
        std::this_thread::sleep_for(std::chrono::microseconds(delayUs));
        RunResult d = destroy("rs", {"-f"});
        RunResult st = wait(s);
        EXPECT_TRUE(d.ok()) << at << ": " << d.describe();
        EXPECT_FALSE(contains(d.err, "connect")) << at << ": " << d.describe();
        EXPECT_FALSE(exists(containerDir("rs"))) << at;
        expectNothingRunning("rs", at);
        if (exists(containerDir("rs"))) (void)xc("xc-destroy", {"-n", "rs", "-f"});
    }
    // Without -f a start in progress is refused as busy, and the container is left alone.
    for (int delayUs : {2000, 10000, 20000}) {
        XC_ASSERT_OK(create("rb"));
        Running s = spawn({toolPath("xc-start"), "-P", base_, "-n", "rb"});
        std::this_thread::sleep_for(std::chrono::microseconds(delayUs));
        RunResult d = destroy("rb");
        RunResult st = wait(s);
        if (!d.ok()) {
            EXPECT_TRUE(contains(d.err, "busy:") || contains(d.err, "is running")) << d.describe();
            EXPECT_FALSE(contains(d.err, "connect")) << d.describe();
            EXPECT_TRUE(exists(configFile("rb")));
        }
        (void)xc("xc-destroy", {"-n", "rb", "-f"});
        expectNothingRunning("rb", "after the destroy -f");
    }
}

// After a supervisor crash, destroy removes the dead supervisor's socket
// and, with it, the base's runtime directory.
TEST_F(InterruptDestroy, DestroyAfterASupervisorCrashLeavesNoRuntimeState) {
    XC_ASSERT_OK(create("sc"));
    XC_ASSERT_OK(start("sc"));
    auto mons = monitors("sc");
    ASSERT_EQ(mons.size(), 1u);
    ASSERT_EQ(::kill(mons[0], SIGKILL), 0);
    ASSERT_TRUE(waitUntil([&] { return monitors("sc").empty() && state("sc") == "STOPPED"; }, 10.0));
    XC_ASSERT_OK(destroy("sc"));
    EXPECT_FALSE(socketBound("sc")) << "the dead supervisor's socket stayed";
    EXPECT_FALSE(isDir(runDir_)) << "the base's runtime directory stayed: " << (listNames(runDir_).empty() ? "" : listNames(runDir_)[0]);
    expectNothingRunning("sc", "after destroy");
}
