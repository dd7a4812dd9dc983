// The cgroup module on this real host (root; hybrid here): groups made in
// every hierarchy, limits read back from the kernel's files, processes
// moved, frozen, killed and the groups removed again.
#include "cgroup/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>
#include <time.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "base/fsutil.hpp"
#include "harness.hpp"

using namespace xc;
using namespace std::chrono_literals;

namespace {

std::string readTrim(const std::string& path) {
    auto r = readFile(path);
    return r.ok() ? trim(*r) : "<" + r.error().message() + ">";
}

bool isDir(const std::string& p) {
    struct stat st;
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// The layout without its cgroup2 hierarchy: the pure-v1 code paths
// (v1 freezer, SIGKILL loop, polling) on the same real groups.
CgroupLayout v1Only() {
    auto mi = readFile("/proc/self/mountinfo");
    std::istringstream in(mi.ok() ? *mi : "");
    std::string line, kept;
    while (std::getline(in, line))
        if (line.find(" - cgroup2 ") == std::string::npos) kept += line + "\n";
    return CgroupLayout::fromMountinfo(kept, "");
}

// The layout with its cgroup2 hierarchy alone: what cgroup2 enforces by
// itself, with the v1 controllers left at their roots.
CgroupLayout unifiedOnly() {
    auto mi = readFile("/proc/self/mountinfo");
    std::istringstream in(mi.ok() ? *mi : "");
    std::string line, kept;
    while (std::getline(in, line))
        if (line.find(" - cgroup2 ") != std::string::npos) kept += line + "\n";
    return CgroupLayout::fromMountinfo(kept, "");
}

// mkdir + descend `levels` times below dir, fd-relative as a process inside
// the group would; returns how many levels were made.
int nest(const std::string& dir, const std::string& name, int levels) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int made = 0;
    while (fd >= 0 && made < levels && ::mkdirat(fd, name.c_str(), 0755) == 0) {
        int next = ::openat(fd, name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        ::close(fd);
        fd = next;
        ++made;
    }
    if (fd >= 0) ::close(fd);
    return made;
}

class CgroupReal : public ::testing::Test {
protected:
    void SetUp() override {
        if (::geteuid() != 0) GTEST_SKIP() << "needs root";
        auto l = CgroupLayout::detect();
        ASSERT_TRUE(l.ok()) << l.error().message();
        layout_ = *l;
        static int counter = 0;
        top_ = "xctest-" + std::to_string(::getpid());
        rel_ = top_ + "/g" + std::to_string(++counter);
        counter_ = static_cast<std::atomic<long>*>(
            ::mmap(nullptr, sizeof(std::atomic<long>), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
        ASSERT_NE(counter_, MAP_FAILED);
        new (counter_) std::atomic<long>(0);
    }

    void TearDown() override {
        for (pid_t p : children_) {
            ::kill(p, SIGKILL);
            ::waitpid(p, nullptr, 0);
        }
        if (!layout_.hierarchies().empty()) {
            Cgroup cg(layout_, rel_);
            if (cg.exists()) {
                (void)cg.thaw();
                (void)cg.killAll();
                (void)cg.waitEmpty(2000ms);
                Status st = cg.destroy();
                EXPECT_TRUE(st.ok()) << st.error().message();
            }
            for (const auto& h : layout_.hierarchies()) {
                std::string leftover = h.mountPoint + "/" + top_;
                if (isDir(leftover)) {
                    int parent = ::open(h.mountPoint.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                    if (parent >= 0) {
                        xcit::removeCgroupTreeAt(parent, top_);
                        ::close(parent);
                    }
                }
                EXPECT_FALSE(isDir(leftover)) << leftover << " left behind";
            }
        }
        if (counter_ && counter_ != MAP_FAILED) ::munmap(counter_, sizeof(std::atomic<long>));
    }

    // A mostly idle child that bumps a shared counter every millisecond.
    pid_t spawnTicker() {
        pid_t p = ::fork();
        if (p == 0) {
            for (;;) {
                counter_->fetch_add(1);
                ::usleep(1000);
            }
        }
        if (p > 0) children_.push_back(p);
        return p;
    }

    // A child that sleeps until killed (an idle group).
    pid_t spawnSleeper() {
        pid_t p = ::fork();
        if (p == 0) {
            for (;;) ::pause();
        }
        if (p > 0) children_.push_back(p);
        return p;
    }

    // waitpid that forgets the child; returns the wait status.
    int reap(pid_t p) {
        int status = 0;
        EXPECT_EQ(::waitpid(p, &status, 0), p);
        children_.erase(std::remove(children_.begin(), children_.end(), p), children_.end());
        return status;
    }

    bool advancing() {
        long a = counter_->load();
        std::this_thread::sleep_for(60ms);
        return counter_->load() != a;
    }

    std::string dir(const char* controller) const {
        return Cgroup(layout_, rel_).dirFor(*layout_.forController(controller));
    }

    CgroupLayout layout_;
    std::string top_, rel_;
    std::vector<pid_t> children_;
    std::atomic<long>* counter_ = nullptr;
};

}  // namespace

TEST_F(CgroupReal, DetectHost) {
    EXPECT_NE(layout_.forController("memory"), nullptr);
    EXPECT_NE(layout_.forController("cpu"), nullptr);
    for (const auto& h : layout_.hierarchies()) EXPECT_TRUE(isDir(h.mountPoint)) << h.mountPoint;
    std::printf("[ layout   ] mode %s, %zu hierarchies\n", cgroupModeName(layout_.mode()),
                layout_.hierarchies().size());
}

TEST_F(CgroupReal, CreateApplyReadBack) {
    auto cg = Cgroup::create(layout_, rel_);
    ASSERT_TRUE(cg.ok()) << cg.error().message();
    EXPECT_TRUE(cg->exists());
    for (const auto& h : layout_.hierarchies()) EXPECT_TRUE(isDir(cg->dirFor(h))) << cg->dirFor(h);
    if (layout_.forController("cpuset") && !layout_.forController("cpuset")->unified) {
        EXPECT_EQ(readTrim(dir("cpuset") + "/cpuset.cpus"),
                  readTrim(layout_.forController("cpuset")->mountPoint + "/cpuset.cpus"));
    }

    const bool memsw =
        pathExists(dir("memory") + "/memory.memsw.limit_in_bytes") || pathExists(dir("memory") + "/memory.swap.max");
    CgroupSettings s;
    s.memoryMax = 64u << 20;
    if (memsw) s.memorySwapMax = 32u << 20;
    s.pidsMax = 10;
    s.cpuWeight = 200;
    s.cpuQuotaUs = 50000;
    s.cpuPeriodUs = 100000;
    s.cpusetCpus = "0";
    s.cpusetMems = "0";
    s.raw = {{"memory.swappiness", "0"}};
    Status st = cg->apply(s);
    ASSERT_TRUE(st.ok()) << st.error().message();

    // Vocabulary values back through get().
    EXPECT_EQ(*cg->get("memory.max"), "67108864");
    if (memsw) {
        EXPECT_EQ(*cg->get("memory.swap.max"), "33554432");
    }
    EXPECT_EQ(*cg->get("pids.max"), "10");
    EXPECT_EQ(*cg->get("cpu.weight"), "200");
    EXPECT_EQ(*cg->get("cpu.max"), "50000 100000");
    EXPECT_EQ(*cg->get("cpuset.cpus"), "0");
    EXPECT_EQ(*cg->get("cpuset.mems"), "0");
    EXPECT_EQ(*cg->get("memory.high"), "max");
    EXPECT_EQ(*cg->get("pids.current"), "0");
    EXPECT_EQ(*cg->get("memory.swappiness"), "0");

    // And straight from the kernel's files.
    const CgroupHierarchy* mem = layout_.forController("memory");
    if (!mem->unified) {
        EXPECT_EQ(readTrim(dir("memory") + "/memory.limit_in_bytes"), "67108864");
        if (memsw) {
            EXPECT_EQ(readTrim(dir("memory") + "/memory.memsw.limit_in_bytes"), "100663296");
        }
        EXPECT_EQ(readTrim(dir("cpu") + "/cpu.shares"), "2048");
        EXPECT_EQ(readTrim(dir("cpu") + "/cpu.cfs_quota_us"), "50000");
        EXPECT_EQ(readTrim(dir("cpu") + "/cpu.cfs_period_us"), "100000");
    } else {
        EXPECT_EQ(readTrim(dir("memory") + "/memory.max"), "67108864");
        EXPECT_EQ(readTrim(dir("cpu") + "/cpu.weight"), "200");
        EXPECT_EQ(readTrim(dir("cpu") + "/cpu.max"), "50000 100000");
    }
    EXPECT_EQ(readTrim(dir("pids") + "/pids.max"), "10");
    EXPECT_EQ(readTrim(dir("cpuset") + "/cpuset.cpus"), "0");

    // set(): raising and lowering memory keeps swap on top (v1 memsw order).
    ASSERT_TRUE(cg->set("memory.max", "256M").ok());
    EXPECT_EQ(*cg->get("memory.max"), "268435456");
    if (memsw) {
        EXPECT_EQ(*cg->get("memory.swap.max"), "33554432");
    }
    ASSERT_TRUE(cg->set("memory.max", "32M").ok());
    EXPECT_EQ(*cg->get("memory.max"), "33554432");
    if (memsw) {
        EXPECT_EQ(*cg->get("memory.swap.max"), "33554432");
        ASSERT_TRUE(cg->set("memory.swap.max", "64M").ok());
        EXPECT_EQ(*cg->get("memory.swap.max"), "67108864");
        ASSERT_TRUE(cg->set("memory.swap.max", "max").ok());
        EXPECT_EQ(*cg->get("memory.swap.max"), "max");
    }
    ASSERT_TRUE(cg->set("memory.max", "max").ok());
    EXPECT_EQ(*cg->get("memory.max"), "max");
    ASSERT_TRUE(cg->set("cpu.max", "max").ok());
    EXPECT_EQ(*cg->get("cpu.max"), "max 100000");
    ASSERT_TRUE(cg->set("cpu.weight", "33").ok());
    EXPECT_EQ(*cg->get("cpu.weight"), "33");
    ASSERT_TRUE(cg->set("pids.max", "max").ok());
    EXPECT_EQ(*cg->get("pids.max"), "max");

    // Refused and bad values never reach a file.
    EXPECT_FALSE(cg->set("cgroup.procs", "1").ok());
    EXPECT_FALSE(cg->set("release_agent", "/bin/sh").ok());
    EXPECT_FALSE(cg->set("memory.max", "lots").ok());

    // A value the kernel refuses: the error names the value and the file.
    Status bad = cg->set("cpuset.cpus", "1000");
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message().find("write 1000 to " + dir("cpuset") + "/cpuset.cpus"), std::string::npos)
        << bad.error().message();
    EXPECT_EQ(*cg->get("cpuset.cpus"), "0");

    // The device allow-list (v1 devices hierarchy) was set by create() on
    // the limits level, before the payload inherited it.
    if (layout_.forController("devices") && !layout_.forController("devices")->unified) {
        for (const std::string& d : {dir("devices"), dir("devices") + "/" + Cgroup::kPayload}) {
            std::string list = readTrim(d + "/devices.list");
            for (const char* e : {"c *:* m", "b *:* m", "c 1:3 rwm", "c 1:9 rwm", "c 5:2 rwm", "c 136:* rwm",
                                  "c 143:* rwm", "c 10:200 rwm"})
                EXPECT_NE(list.find(e), std::string::npos) << e << " in " << d << ":\n" << list;
            EXPECT_EQ(list.find("a *:* rwm"), std::string::npos) << d;
        }
    }
    // cgroup2: the container's nesting is bounded on the limits level.
    if (const CgroupHierarchy* u = layout_.unified()) {
        EXPECT_EQ(readTrim(cg->dirFor(*u) + "/cgroup.max.depth"), "33");
        EXPECT_EQ(readTrim(cg->dirFor(*u) + "/cgroup.max.descendants"), "4097");
    }
    // The payload is there in every hierarchy, and follows a v1 cpuset.
    for (const auto& h : layout_.hierarchies()) EXPECT_TRUE(isDir(cg->payloadDirFor(h))) << cg->payloadDirFor(h);
    if (layout_.forController("cpuset") && !layout_.forController("cpuset")->unified) {
        EXPECT_EQ(readTrim(dir("cpuset") + "/" + Cgroup::kPayload + "/cpuset.cpus"), "0");
    }

    ASSERT_TRUE(cg->destroy().ok());
    for (const auto& h : layout_.hierarchies()) {
        EXPECT_FALSE(pathExists(cg->dirFor(h))) << cg->dirFor(h);
        EXPECT_FALSE(pathExists(h.mountPoint + "/" + top_)) << "empty parent left in " << h.mountPoint;
    }
    EXPECT_FALSE(cg->exists());
    EXPECT_TRUE(cg->destroy().ok());  // again: nothing to do
}

TEST_F(CgroupReal, CreateRefusesExisting) {
    auto cg = Cgroup::create(layout_, rel_);
    ASSERT_TRUE(cg.ok()) << cg.error().message();
    auto again = Cgroup::create(layout_, rel_);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code(), EEXIST);
    EXPECT_NE(again.error().message().find("already exists"), std::string::npos) << again.error().message();
    for (const auto& h : layout_.hierarchies()) EXPECT_TRUE(isDir(cg->dirFor(h))) << "the first one stays";
    EXPECT_FALSE(Cgroup::create(layout_, "../etc").ok());
    EXPECT_FALSE(Cgroup::create(layout_, "/abs").ok());
    EXPECT_FALSE(Cgroup::create(layout_, "").ok());
    EXPECT_FALSE(Cgroup().destroy().ok());  // an empty path never means the root
    EXPECT_FALSE(Cgroup().killAll().ok());
}

TEST_F(CgroupReal, FailedCreateLeavesNothing) {
    // 1. The leaf already exists in one hierarchy (the freezer) only: the
    //    groups made in the others before it are removed again.
    const CgroupHierarchy* fz = layout_.forController("freezer");
    ASSERT_NE(fz, nullptr);
    ASSERT_TRUE(makeDirs(fz->mountPoint + "/" + rel_, 0755).ok());
    auto cg = Cgroup::create(layout_, rel_);
    ASSERT_FALSE(cg.ok());
    EXPECT_EQ(cg.error().code(), EEXIST);
    EXPECT_NE(cg.error().message().find(fz->mountPoint + "/" + rel_), std::string::npos) << cg.error().message();
    for (const auto& h : layout_.hierarchies()) {
        if (&h == fz) continue;
        EXPECT_FALSE(pathExists(h.mountPoint + "/" + rel_)) << h.mountPoint;
    }
    EXPECT_TRUE(isDir(fz->mountPoint + "/" + rel_)) << "not ours: left alone";
    ASSERT_EQ(::rmdir((fz->mountPoint + "/" + rel_).c_str()), 0);

    // 2. A hierarchy whose mount point is gone (after all the real ones):
    //    everything made so far is rolled back, the error names the dir.
    auto mi = readFile("/proc/self/mountinfo");
    ASSERT_TRUE(mi.ok());
    std::string v2;
    if (layout_.unified()) v2 = readTrim(layout_.unified()->mountPoint + "/cgroup.controllers");
    CgroupLayout broken = CgroupLayout::fromMountinfo(
        *mi + "99 30 0:99 / /sys/fs/cgroup/xctest-missing rw,relatime - cgroup cgroup rw,name=xctestbogus\n", v2);
    ASSERT_EQ(broken.hierarchies().size(), layout_.hierarchies().size() + 1);
    cg = Cgroup::create(broken, rel_);
    ASSERT_FALSE(cg.ok());
    EXPECT_EQ(cg.error().code(), ENOENT);
    EXPECT_NE(cg.error().message().find("/sys/fs/cgroup/xctest-missing/" + top_), std::string::npos)
        << cg.error().message();
    for (const auto& h : layout_.hierarchies()) EXPECT_FALSE(pathExists(h.mountPoint + "/" + rel_)) << h.mountPoint;

    // 3. A bad cpuset: the group takes no setting it cannot hold and the
    //    error names the file; destroy leaves nothing.
    auto ok = Cgroup::create(layout_, rel_);
    ASSERT_TRUE(ok.ok()) << ok.error().message();
    CgroupSettings s;
    s.cpusetCpus = "4096";
    Status st = ok->apply(s);
    ASSERT_FALSE(st.ok());
    EXPECT_NE(st.error().message().find("cpuset.cpus"), std::string::npos) << st.error().message();
    ASSERT_TRUE(ok->destroy().ok());
    for (const auto& h : layout_.hierarchies()) EXPECT_FALSE(pathExists(h.mountPoint + "/" + top_)) << h.mountPoint;
}

TEST_F(CgroupReal, ProcessesFreezeKill) {
    auto cg = Cgroup::create(layout_, rel_);
    ASSERT_TRUE(cg.ok()) << cg.error().message();
    CgroupSettings s;
    s.memoryMax = 64u << 20;
    s.pidsMax = 10;
    ASSERT_TRUE(cg->apply(s).ok());
    pid_t child = spawnTicker();
    ASSERT_GT(child, 0);
    Status st = cg->addProcess(child);
    ASSERT_TRUE(st.ok()) << st.error().message();

    // In the group of every hierarchy.
    std::string procCg = readTrim("/proc/" + std::to_string(child) + "/cgroup");
    std::istringstream lines(procCg);
    std::string line;
    int n = 0;
    while (std::getline(lines, line)) {
        ++n;
        EXPECT_NE(line.find("/" + rel_), std::string::npos) << line;
    }
    EXPECT_EQ(static_cast<size_t>(n), layout_.hierarchies().size());
    auto pids = cg->pids();
    ASSERT_TRUE(pids.ok()) << pids.error().message();
    EXPECT_EQ(*pids, std::vector<pid_t>{child});
    EXPECT_TRUE(*cg->populated());
    EXPECT_EQ(*cg->get("pids.current"), "1");
    // The child's pages were charged before it moved (v1 keeps charges
    // where they were made): usage is readable, not necessarily above 0.
    auto mem = cg->memoryUsage();
    EXPECT_TRUE(mem.ok()) << mem.error().message();
    EXPECT_TRUE(advancing());

    // Freeze with the layout's mechanism, then with the other one.
    std::vector<CgroupLayout> layouts = {layout_};
    CgroupLayout other = layout_;
    if (layout_.freezer() == CgroupFreezer::Unified && layout_.forController("freezer") &&
        !layout_.forController("freezer")->unified)
        other.setFreezer(CgroupFreezer::V1);
    else if (layout_.freezer() == CgroupFreezer::V1 && layout_.unified())
        other.setFreezer(CgroupFreezer::Unified);
    if (other.freezer() != layout_.freezer()) layouts.push_back(other);
    for (const auto& l : layouts) {
        Cgroup g(l, rel_);
        const char* name = l.freezer() == CgroupFreezer::Unified ? "unified" : "v1";
        EXPECT_EQ(*g.freezerState(), FreezerState::Thawed) << name;
        auto t0 = std::chrono::steady_clock::now();
        st = g.freeze(2000ms);
        auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
        ASSERT_TRUE(st.ok()) << name << ": " << st.error().message();
        std::printf("[ freeze   ] %s: frozen in %lld us\n", name, static_cast<long long>(us));
        EXPECT_EQ(*g.freezerState(), FreezerState::Frozen) << name;
        EXPECT_EQ(*cg->freezerState(), FreezerState::Frozen) << name << " seen through the default layout";
        EXPECT_FALSE(advancing()) << name << ": a frozen child ran";
        ASSERT_TRUE(g.thaw().ok());
        EXPECT_EQ(*g.freezerState(), FreezerState::Thawed) << name;
        EXPECT_TRUE(advancing()) << name << ": thawed child does not run";
    }
    // Frozen through one mechanism, thawed through the default layout.
    if (layouts.size() == 2) {
        ASSERT_TRUE(Cgroup(layouts[1], rel_).freeze(2000ms).ok());
        EXPECT_EQ(*cg->freezerState(), FreezerState::Frozen);
        ASSERT_TRUE(cg->thaw().ok());
        EXPECT_EQ(*cg->freezerState(), FreezerState::Thawed);
        EXPECT_TRUE(advancing());
    }

    // Destroy refuses while a process lives in the group, and says why.
    st = cg->destroy();
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), EBUSY);
    EXPECT_NE(st.error().message().find("processes remain"), std::string::npos) << st.error().message();

    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(cg->killAll().ok());
    st = cg->waitEmpty(2000ms);
    ASSERT_TRUE(st.ok()) << st.error().message();
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[ kill     ] killAll + waitEmpty: %lld us\n", static_cast<long long>(us));
    int status = reap(child);
    EXPECT_TRUE(WIFSIGNALED(status));
    EXPECT_EQ(WTERMSIG(status), SIGKILL);
    EXPECT_FALSE(*cg->populated());
    EXPECT_TRUE(cg->pids()->empty());

    st = cg->destroy();
    ASSERT_TRUE(st.ok()) << st.error().message();
    for (const auto& h : layout_.hierarchies()) {
        EXPECT_FALSE(pathExists(cg->dirFor(h))) << cg->dirFor(h);
        EXPECT_FALSE(pathExists(h.mountPoint + "/" + top_)) << h.mountPoint;
    }
}

// Freeze, thaw, kill and the wait for an empty group use no inotify
// instance (closing one waits for an SRCU grace period, and a user has
// only fs.inotify.max_user_instances of them): they work in a process
// whose user namespace allows none. The child keeps uid 0 (no map needed)
// and the host's cgroup namespace; only its inotify limit changes.
TEST_F(CgroupReal, FreezeAndWaitEmptyNeedNoInotify) {
    auto cg = Cgroup::create(layout_, rel_);
    ASSERT_TRUE(cg.ok()) << cg.error().message();
    if (layout_.freezer() == CgroupFreezer::None) GTEST_SKIP() << "no freezer";
    pid_t child = spawnTicker();
    ASSERT_GT(child, 0);
    ASSERT_TRUE(cg->addProcess(child).ok());
    int pipefd[2];
    ASSERT_EQ(::pipe2(pipefd, O_CLOEXEC), 0);
    pid_t probe = ::fork();
    ASSERT_GE(probe, 0);
    if (probe == 0) {
        ::close(pipefd[0]);
        auto fail = [&](int code, const std::string& what) {
            std::string m = what + "\n";
            (void)!::write(pipefd[1], m.data(), m.size());
            ::_exit(code);
        };
        if (::unshare(CLONE_NEWUSER) < 0) fail(10, std::string("unshare(CLONE_NEWUSER): ") + std::strerror(errno));
        int fd = ::open("/proc/sys/user/max_inotify_instances", O_WRONLY | O_CLOEXEC);
        if (fd < 0 || ::write(fd, "0", 1) != 1) fail(11, std::string("limit inotify instances: ") + std::strerror(errno));
        ::close(fd);
        if (::inotify_init1(IN_CLOEXEC) >= 0) fail(12, "inotify_init1 still works: the limit did not apply");
        Cgroup g(layout_, rel_);
        if (Status st = g.freeze(2000ms); !st) fail(20, "freeze: " + st.error().message());
        auto fs = g.freezerState();
        if (!fs || *fs != FreezerState::Frozen) fail(21, "not FROZEN after freeze");
        if (Status st = g.thaw(); !st) fail(22, "thaw: " + st.error().message());
        if (Status st = g.killAll(); !st) fail(23, "killAll: " + st.error().message());
        if (Status st = g.waitEmpty(2000ms); !st) fail(24, "waitEmpty: " + st.error().message());
        ::_exit(0);
    }
    ::close(pipefd[1]);
    std::string msg;
    char buf[512];
    ssize_t n;
    while ((n = ::read(pipefd[0], buf, sizeof buf)) > 0) msg.append(buf, static_cast<size_t>(n));
    ::close(pipefd[0]);
    int status = 0;
    ASSERT_EQ(::waitpid(probe, &status, 0), probe);
    ASSERT_TRUE(WIFEXITED(status)) << "probe died: " << status;
    if (WEXITSTATUS(status) == 10 || WEXITSTATUS(status) == 11 || WEXITSTATUS(status) == 12)
        GTEST_SKIP() << "cannot take inotify away from a process here: " << msg;
    ASSERT_EQ(WEXITSTATUS(status), 0) << msg;  // (TearDown kills the ticker)
    int cstatus = reap(child);
    EXPECT_TRUE(WIFSIGNALED(cstatus) && WTERMSIG(cstatus) == SIGKILL) << cstatus;
    EXPECT_FALSE(*cg->populated());
}

TEST_F(CgroupReal, V1PathsKillSubgroups) {
    // The pure-v1 code paths: v1 freezer, SIGKILL of every pid found
    // recursively, back-off polling for empty; one child in a sub-group.
    CgroupLayout l = v1Only();
    ASSERT_EQ(l.unified(), nullptr);
    ASSERT_EQ(l.freezer(), CgroupFreezer::V1);
    auto cg = Cgroup::create(layout_, rel_);  // all hierarchies, for cleanup
    ASSERT_TRUE(cg.ok()) << cg.error().message();
    Cgroup g(l, rel_);
    pid_t a = spawnSleeper(), b = spawnTicker();
    ASSERT_GT(a, 0);
    ASSERT_GT(b, 0);
    ASSERT_TRUE(g.addProcess(a).ok());
    ASSERT_TRUE(g.addProcess(b).ok());
    // Sub-group in every v1 hierarchy (as systemd inside makes them).
    for (const auto& h : l.hierarchies()) {
        const std::string sub = g.dirFor(h) + "/sub";
        ASSERT_EQ(::mkdir(sub.c_str(), 0755), 0) << sub;
        if (h.has("cpuset")) {
            ASSERT_TRUE(writeExisting(sub + "/cpuset.cpus", readTrim(g.dirFor(h) + "/cpuset.cpus")).ok());
            ASSERT_TRUE(writeExisting(sub + "/cpuset.mems", readTrim(g.dirFor(h) + "/cpuset.mems")).ok());
        }
        ASSERT_TRUE(writeExisting(sub + "/cgroup.procs", std::to_string(b)).ok()) << sub;
    }
    auto pids = g.pids();
    ASSERT_TRUE(pids.ok()) << pids.error().message();
    std::vector<pid_t> want = {a, b};
    std::sort(want.begin(), want.end());
    EXPECT_EQ(*pids, want);
    EXPECT_TRUE(*g.populated());

    auto t0 = std::chrono::steady_clock::now();
    ASSERT_TRUE(g.freeze(2000ms).ok());
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    std::printf("[ freeze   ] v1 with a sub-group: %lld us\n", static_cast<long long>(us));
    EXPECT_EQ(*g.freezerState(), FreezerState::Frozen);
    EXPECT_FALSE(advancing());
    ASSERT_TRUE(g.thaw().ok());
    EXPECT_TRUE(advancing());

    Status st = g.killAll();
    ASSERT_TRUE(st.ok()) << st.error().message();
    st = g.waitEmpty(2000ms);
    ASSERT_TRUE(st.ok()) << st.error().message();
    EXPECT_EQ(*g.freezerState(), FreezerState::Thawed);
    for (pid_t p : {a, b}) {
        int status = reap(p);
        EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << p;
    }
    EXPECT_FALSE(*g.populated());
    st = cg->destroy();  // the sub-groups go first, depth first
    ASSERT_TRUE(st.ok()) << st.error().message();
    for (const auto& h : layout_.hierarchies()) EXPECT_FALSE(pathExists(h.mountPoint + "/" + top_)) << h.mountPoint;
}

TEST_F(CgroupReal, WaitEmptyTimesOut) {
    auto cg = Cgroup::create(layout_, rel_);
    ASSERT_TRUE(cg.ok()) << cg.error().message();
    pid_t child = spawnSleeper();
    ASSERT_TRUE(cg->addProcess(child).ok());
    auto t0 = std::chrono::steady_clock::now();
    Status st = cg->waitEmpty(100ms);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), ETIMEDOUT);
    EXPECT_GE(ms, 100);
    EXPECT_LT(ms, 1000);
    Cgroup v1(v1Only(), rel_);
    st = v1.waitEmpty(50ms);
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code(), ETIMEDOUT);
}

TEST_F(CgroupReal, CpuUsage) {
    auto cg = Cgroup::create(layout_, rel_);
    ASSERT_TRUE(cg.ok()) << cg.error().message();
    auto before = cg->cpuUsageNs();
    ASSERT_TRUE(before.ok()) << before.error().message();
    EXPECT_EQ(*before, 0u);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        // Join the group first, then burn 50 ms of CPU: CPU time, not wall
        // time, so a loaded machine cannot make it less.
        if (!Cgroup(layout_, rel_).addProcess(0).ok()) ::_exit(2);
        volatile unsigned long x = 0;
        for (;;) {
            struct timespec used;
            ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &used);
            if (used.tv_sec > 0 || used.tv_nsec >= 50'000'000) break;
            for (int i = 0; i < 10000; ++i) x = x + 1;
        }
        ::_exit(0);
    }
    children_.push_back(child);
    int status = reap(child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
    auto after = cg->cpuUsageNs();
    ASSERT_TRUE(after.ok()) << after.error().message();
    EXPECT_GT(*after, 20'000'000u) << "at least 20 ms of CPU";
    EXPECT_EQ(*cg->get("cpu.stat"), std::to_string(*after));
}

TEST_F(CgroupReal, FreezeTiming) {
    // An idle group (one sleeping process): each mechanism 20 times. The
    // mechanism the layout picks must be among those measured, and each
    // freeze must end frozen and each thaw thawed.
    if (layout_.freezer() == CgroupFreezer::None) GTEST_SKIP() << "this host has no freezer";
    auto cg = Cgroup::create(layout_, rel_);
    ASSERT_TRUE(cg.ok()) << cg.error().message();
    pid_t child = spawnSleeper();
    ASSERT_TRUE(cg->addProcess(child).ok());
    struct Mech {
        const char* name;
        CgroupFreezer kind;
    };
    std::vector<CgroupFreezer> measured;
    for (Mech m : {Mech{"unified", CgroupFreezer::Unified}, Mech{"v1", CgroupFreezer::V1}}) {
        CgroupLayout l = layout_;
        if (m.kind == CgroupFreezer::Unified && !l.unified()) continue;
        if (m.kind == CgroupFreezer::V1 && (!l.forController("freezer") || l.forController("freezer")->unified))
            continue;
        l.setFreezer(m.kind);
        Cgroup g(l, rel_);
        std::vector<long long> times;
        for (int i = 0; i < 20; ++i) {
            auto t0 = std::chrono::steady_clock::now();
            Status st = g.freeze(2000ms);
            times.push_back(
                std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count());
            ASSERT_TRUE(st.ok()) << m.name << ": " << st.error().message();
            auto frozen = g.freezerState();
            ASSERT_TRUE(frozen.ok()) << m.name << ": " << frozen.error().message();
            ASSERT_EQ(*frozen, FreezerState::Frozen) << m.name;
            ASSERT_TRUE(g.thaw().ok()) << m.name;
            auto thawed = g.freezerState();
            ASSERT_TRUE(thawed.ok()) << m.name << ": " << thawed.error().message();
            ASSERT_EQ(*thawed, FreezerState::Thawed) << m.name;
        }
        measured.push_back(m.kind);
        EXPECT_EQ(::kill(child, 0), 0) << m.name << ": the frozen and thawed process is gone";
        std::sort(times.begin(), times.end());
        std::printf("[ freeze   ] %-7s idle group: min %lld us, median %lld us, max %lld us\n", m.name, times.front(),
                    times[times.size() / 2], times.back());
        RecordProperty(std::string("freeze_median_us_") + m.name, static_cast<int>(times[times.size() / 2]));
    }
    EXPECT_NE(std::find(measured.begin(), measured.end(), layout_.freezer()), measured.end())
        << "the freezer the layout uses was not measured";
}

// Issue 12, item 5: a nest below the payload deeper than PATH_MAX (30
// levels of 200-byte names) in every hierarchy. Before, destroy built each
// path as a string and failed with ENAMETOOLONG, leaving the group.
TEST_F(CgroupReal, DestroyRemovesANestDeeperThanPathMax) {
    auto cg = Cgroup::create(layout_, rel_);
    ASSERT_TRUE(cg.ok()) << cg.error().message();
    const std::string name(200, 'n');
    size_t deepest = 0;
    for (const auto& h : layout_.hierarchies()) {
        int made = nest(cg->payloadDirFor(h), name, 30);
        deepest = std::max(deepest, cg->payloadDirFor(h).size() + static_cast<size_t>(made) * (name.size() + 1));
    }
    ASSERT_GT(deepest, 4096u) << "no nest went past PATH_MAX: the test proves nothing";
    Status st = cg->destroy();
    ASSERT_TRUE(st.ok()) << st.error().message();
    for (const auto& h : layout_.hierarchies()) EXPECT_FALSE(pathExists(cg->dirFor(h))) << cg->dirFor(h);
    // pids() walks the same way: a fresh group with a deep nest lists its
    // (no) processes rather than failing on a path.
    auto again = Cgroup::create(layout_, rel_);
    ASSERT_TRUE(again.ok()) << again.error().message();
    for (const auto& h : layout_.hierarchies()) nest(again->payloadDirFor(h), name, 30);
    for (const Cgroup& g : {*again, Cgroup(v1Only(), rel_)}) {
        auto pids = g.pids();
        ASSERT_TRUE(pids.ok()) << pids.error().message();
        EXPECT_TRUE(pids->empty());
    }
}

// cgroup2: the depth and the number of groups below the payload are
// bounded on the limits level, which the container cannot write. Before,
// nothing bounded them.
TEST_F(CgroupReal, Cgroup2NestingIsBoundedBelowTheLimits) {
    const CgroupHierarchy* u = layout_.unified();
    if (!u) GTEST_SKIP() << "no cgroup2 hierarchy";
    auto cg = Cgroup::create(layout_, rel_);
    ASSERT_TRUE(cg.ok()) << cg.error().message();
    EXPECT_EQ(nest(cg->payloadDirFor(*u), "d", 100), 32);
    // The payload's own bound is the container's to change: it cannot
    // lift the one above it.
    ASSERT_TRUE(writeExisting(cg->payloadDirFor(*u) + "/cgroup.max.depth", "max").ok());
    std::string deepest = cg->payloadDirFor(*u);
    for (int i = 0; i < 32; ++i) deepest += "/d";
    EXPECT_EQ(nest(deepest, "e", 1), 0) << "the payload's bound lifted the limits level's";
}

// cgroup2's device policy (a BPF_PROG_TYPE_CGROUP_DEVICE program on the
// limits level) on its own: a process in the cgroup2 payload only (the v1
// devices controller, where there is one, left at its root) opens the
// default devices and may mknod anything, but opens no other device, not
// even those this test process (outside) can open. Before, cgroup2 had no
// device control at all.
TEST_F(CgroupReal, Cgroup2DeviceProgramDeniesOtherDevices) {
    if (!layout_.unified()) GTEST_SKIP() << "no cgroup2 hierarchy";
    auto cg = Cgroup::create(layout_, rel_);
    ASSERT_TRUE(cg.ok()) << cg.error().message();
    struct stat root;
    ASSERT_EQ(::stat("/", &root), 0);
    char tmpl[] = "/tmp/xctest-dev-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    const std::string dir = tmpl;
    struct Node {
        std::string name;
        mode_t type;
        dev_t dev;
        bool allowed;
    };
    const std::vector<Node> nodes = {
        {"null", S_IFCHR, makedev(1, 3), true},       {"urandom", S_IFCHR, makedev(1, 9), true},
        {"mem", S_IFCHR, makedev(1, 1), false},       {"kmsg", S_IFCHR, makedev(1, 11), false},
        {"loop-control", S_IFCHR, makedev(10, 237), false}, {"rootdisk", S_IFBLK, root.st_dev, false},
        {"null-as-block", S_IFBLK, makedev(1, 3), false}, {"fuse", S_IFCHR, makedev(10, 229), false},
    };
    std::vector<bool> hostOpens;
    for (const auto& n : nodes) {
        const std::string p = dir + "/" + n.name;
        ASSERT_EQ(::mknod(p.c_str(), n.type | 0600, n.dev), 0) << p << ": " << std::strerror(errno);
        int fd = ::open(p.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
        hostOpens.push_back(fd >= 0);
        if (fd >= 0) ::close(fd);
    }
    int pipeFds[2];
    ASSERT_EQ(::pipe2(pipeFds, O_CLOEXEC), 0);
    const CgroupLayout only = unifiedOnly();
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
        ::close(pipeFds[0]);
        std::string report;
        if (!Cgroup(only, rel_).addProcess(0).ok()) ::_exit(10);
        for (const auto& n : nodes) {
            int fd = ::open((dir + "/" + n.name).c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
            report += fd >= 0 ? "ok\n" : std::string(::strerrorname_np(errno)) + "\n";
        }
        const std::string made = dir + "/made";
        report += ::mknod(made.c_str(), S_IFBLK | 0600, root.st_dev) == 0 ? "ok\n" : "mknod failed\n";
        (void)!::write(pipeFds[1], report.data(), report.size());
        ::_exit(0);
    }
    ::close(pipeFds[1]);
    children_.push_back(child);
    std::string report;
    char buf[512];
    for (ssize_t n; (n = ::read(pipeFds[0], buf, sizeof buf)) > 0;) report.append(buf, static_cast<size_t>(n));
    ::close(pipeFds[0]);
    int status = reap(child);
    ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "could not join the cgroup2 payload: " << status;
    std::vector<std::string> got;
    std::istringstream in(report);
    for (std::string l; std::getline(in, l);) got.push_back(l);
    ASSERT_EQ(got.size(), nodes.size() + 1) << report;
    int deniedThatHostOpens = 0;
    for (size_t i = 0; i < nodes.size(); ++i) {
        if (nodes[i].allowed) {
            EXPECT_EQ(got[i], "ok") << nodes[i].name;
        } else if (hostOpens[i]) {
            EXPECT_EQ(got[i], "EPERM") << nodes[i].name << " opened inside, as it does outside";
            ++deniedThatHostOpens;
        } else {
            EXPECT_NE(got[i], "ok") << nodes[i].name;  // this host keeps it from us anyway
        }
    }
    EXPECT_GT(deniedThatHostOpens, 0) << "no denied device opens outside: the test proves nothing";
    EXPECT_EQ(got.back(), "ok") << "mknod of any device is allowed";
    for (const auto& n : nodes) ::unlink((dir + "/" + n.name).c_str());
    ::unlink((dir + "/made").c_str());
    ::rmdir(dir.c_str());
}

// A start makes and enters its cgroup in two parts (CgroupPart): first the
// groups that account memory (cgroup2, v1 memory), writes to the others
// skipped; then the rest (v1 cpuset and pids among them), their limits and
// the process in them.
TEST_F(CgroupReal, TheGroupsThatAccountMemoryAreMadeAndEnteredFirst) {
    const CgroupHierarchy* cpuset = layout_.forController("cpuset");
    const CgroupHierarchy* pids = layout_.forController("pids");
    if (!cpuset || cpuset->unified || !pids || pids->unified) GTEST_SKIP() << "no v1 cpuset and pids hierarchies here";
    auto cg = Cgroup::create(layout_, rel_, CgroupPart::First);
    ASSERT_TRUE(cg.ok()) << cg.error().message();
    for (const auto& h : layout_.hierarchies())
        EXPECT_EQ(isDir(cg->dirFor(h)), h.unified || h.has("memory")) << cg->dirFor(h);
    const std::string cpus = readTrim(cpuset->mountPoint + "/cpuset.cpus");
    const std::string first = cpus.substr(0, cpus.find_first_of(",-"));
    const std::vector<CgroupWrite> writes = {{"pids", "pids.max", "10"}, {"cpuset", "cpuset.cpus", first}};
    Status st = cg->applyWrites(writes, CgroupPart::First);
    ASSERT_TRUE(st.ok()) << st.error().message();

    pid_t child = spawnSleeper();
    ASSERT_GT(child, 0);
    st = cg->addProcess(child, CgroupPart::First);
    ASSERT_TRUE(st.ok()) << st.error().message();
    auto lineOf = [&](const std::string& controller) {
        std::istringstream lines(readTrim("/proc/" + std::to_string(child) + "/cgroup"));
        for (std::string line; std::getline(lines, line);)
            if (line.find(":" + controller + ":") != std::string::npos ||
                (controller.empty() && line.rfind("0::", 0) == 0))
                return line;
        return std::string();
    };
    for (const char* c : {"memory", ""})
        if (layout_.forController(c)) EXPECT_NE(lineOf(c).find("/" + rel_ + "/payload"), std::string::npos) << lineOf(c);
    EXPECT_EQ(lineOf("cpuset").find(rel_), std::string::npos) << lineOf("cpuset");
    EXPECT_EQ(lineOf("pids").find(rel_), std::string::npos) << lineOf("pids");

    st = cg->createPart(CgroupPart::Last);
    ASSERT_TRUE(st.ok()) << st.error().message();
    for (const auto& h : layout_.hierarchies()) EXPECT_TRUE(isDir(cg->payloadDirFor(h))) << cg->payloadDirFor(h);
    st = cg->applyWrites(writes, CgroupPart::Last);
    ASSERT_TRUE(st.ok()) << st.error().message();
    EXPECT_EQ(readTrim(dir("cpuset") + "/cpuset.cpus"), first);
    EXPECT_EQ(readTrim(dir("pids") + "/pids.max"), "10");
    st = cg->addProcess(child, CgroupPart::Last);
    ASSERT_TRUE(st.ok()) << st.error().message();
    for (const char* c : {"cpuset", "pids"}) EXPECT_NE(lineOf(c).find("/" + rel_ + "/payload"), std::string::npos) << lineOf(c);
}
