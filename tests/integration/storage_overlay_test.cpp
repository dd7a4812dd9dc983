// The overlay backend end to end: xc-create -B overlay, snapshot clones
// (xc-clone -s) of dir and overlay origins, privileged and unprivileged,
// whiteouts, and the dependencies that protect an origin.
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "harness.hpp"
#include "xc/fd.hpp"

using namespace xcit;

namespace {

class Overlay : public XcTest {
protected:
    RunResult clone(const std::vector<std::string>& args) { return xc("xc-clone", args); }
    std::string upper(const std::string& name) const { return containerDir(name) + "/overlay/upper"; }
    // The base was indexed for snapshot-clone dependents.
    bool indexed() const { return ::getxattr(base_.c_str(), "user.xc.dependents-indexed", nullptr, 0) >= 0; }
    // No overlay is left mounted anywhere on the host.
    bool hostMountsOverlayOf(const std::string& name) {
        std::ifstream in("/proc/self/mountinfo");
        std::string line;
        while (std::getline(in, line))
            if (contains(line, containerDir(name))) return true;
        return false;
    }
};

const char* kPrivileged = "security = { privileged = true; };\n";

}  // namespace

TEST_F(Overlay, CreateBOverlayStartsWithAnOverlayRootAndWritesOnlyItsUpperLayer) {
    XC_ASSERT_OK(create("o1", {"-B", "overlay"}));
    std::string cfg = readText(configFile("o1"));
    EXPECT_TRUE(contains(cfg, "backend = \"overlay\";")) << cfg;
    EXPECT_TRUE(contains(cfg, "lower = \"" + containerDir("o1") + "/base\";")) << cfg;
    EXPECT_TRUE(contains(cfg, "upper = \"" + upper("o1") + "\";")) << cfg;
    EXPECT_TRUE(exists(containerDir("o1") + "/base/bin/busybox"));
    EXPECT_TRUE(listNames(rootfs("o1")).empty());
    XC_ASSERT_OK(start("o1"));
    RunResult fs = attach("o1", {"sh", "-c", "grep ' / ' /proc/mounts | cut -d' ' -f3"});
    EXPECT_EQ(fs.out, "overlay\n") << fs.describe();
    XC_EXPECT_OK(attach("o1", {"sh", "-c", "echo new > /root/f && rm /bin/true && mkdir /d && id -u > /d/who"}));
    EXPECT_EQ(readText(upper("o1") + "/root/f"), "new\n");
    EXPECT_TRUE(exists(containerDir("o1") + "/base/bin/true")) << "the base is read-only";
    EXPECT_FALSE(exists(containerDir("o1") + "/base/root/f"));
    // Unprivileged: written as the container's root, stored as 0 on disk.
    struct stat st;
    ASSERT_EQ(::lstat((upper("o1") + "/root/f").c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u);
    EXPECT_EQ(readText(upper("o1") + "/d/who"), "0\n");
    EXPECT_FALSE(hostMountsOverlayOf("o1"));
    XC_EXPECT_OK(kill("o1"));
    // A restart sees the same files.
    XC_ASSERT_OK(start("o1"));
    EXPECT_EQ(attach("o1", {"cat", "/root/f"}).out, "new\n");
    EXPECT_FALSE(attach("o1", {"test", "-e", "/bin/true"}).ok());
    XC_EXPECT_OK(kill("o1"));
    XC_EXPECT_OK(destroy("o1"));
    EXPECT_FALSE(exists(containerDir("o1")));
}

TEST_F(Overlay, SnapshotCloneWritesAndDeletesNeverReachTheOriginAndTheOriginIsProtected) {
    XC_ASSERT_OK(create("orig"));
    ASSERT_TRUE(writeText(rootfs("orig") + "/etc/hostname", "orig\n"));
    ASSERT_TRUE(writeText(rootfs("orig") + "/root/keep", "origin's\n"));
    XC_ASSERT_OK(clone({"-s", "-o", "orig", "-n", "snap"}));
    std::string cfg = readText(configFile("snap"));
    EXPECT_TRUE(contains(cfg, "lower = \"" + rootfs("orig") + "\";")) << cfg;
    EXPECT_EQ(readText(rootfs("orig") + "/etc/hostname"), "orig\n");
    EXPECT_EQ(readText(upper("snap") + "/etc/hostname"), "snap\n") << "the new identity is in the upper layer";
    // It was written through a volatile overlay, whose mark must go (else
    // the layers would never mount again).
    EXPECT_FALSE(exists(containerDir("snap") + "/overlay/work/work/incompat"));

    XC_ASSERT_OK(start("snap"));
    EXPECT_EQ(attach("snap", {"hostname"}).out, "snap\n");
    EXPECT_EQ(attach("snap", {"cat", "/root/keep"}).out, "origin's\n");
    XC_EXPECT_OK(attach("snap", {"sh", "-c", "echo clone > /root/new && echo changed > /root/keep && rm /bin/ls"}));
    EXPECT_FALSE(attach("snap", {"test", "-e", "/bin/ls"}).ok());
    EXPECT_FALSE(exists(rootfs("orig") + "/root/new"));
    EXPECT_EQ(readText(rootfs("orig") + "/root/keep"), "origin's\n");
    EXPECT_TRUE(exists(rootfs("orig") + "/bin/ls")) << "a whiteout in the clone only";

    // The origin stays stopped and cannot go while the clone depends on it.
    RunResult st = start("orig");
    EXPECT_EQ(st.status, 1) << st.describe();
    EXPECT_TRUE(contains(st.err, "snapshot clones use its rootfs as their lower layer: snap")) << st.err;
    EXPECT_TRUE(contains(st.err, "xc-clone -o snap -n snap-copy")) << st.err;
    RunResult d = destroy("orig");
    EXPECT_EQ(d.status, 1) << d.describe();
    EXPECT_TRUE(contains(d.err, "snapshot clones depend on it: snap")) << d.err;
    EXPECT_TRUE(exists(configFile("orig")));
    XC_EXPECT_OK(kill("snap"));

    // A full copy of the clone is independent: with the snapshot gone, the
    // origin starts again and the copy keeps the clone's files.
    XC_ASSERT_OK(clone({"-o", "snap", "-n", "copy", "-B", "dir"}));
    EXPECT_EQ(readText(rootfs("copy") + "/root/keep"), "changed\n");
    EXPECT_FALSE(exists(rootfs("copy") + "/bin/ls"));
    XC_ASSERT_OK(destroy("snap"));
    XC_ASSERT_OK(start("orig"));
    XC_ASSERT_OK(start("copy"));
    EXPECT_EQ(attach("copy", {"cat", "/root/new"}).out, "clone\n");
    XC_EXPECT_OK(kill("orig"));
    XC_EXPECT_OK(kill("copy"));
}

TEST_F(Overlay, SnapshotsOfSnapshotsStackAndDestroySRemovesThemAll) {
    XC_ASSERT_OK(createWithConfig("p", kPrivileged));
    XC_ASSERT_OK(clone({"-s", "-o", "p", "-n", "s1"}));
    XC_ASSERT_OK(start("s1"));
    XC_EXPECT_OK(attach("s1", {"sh", "-c", "echo one > /root/one"}));
    XC_EXPECT_OK(kill("s1"));
    XC_ASSERT_OK(clone({"-s", "-o", "s1", "-n", "s2"}));
    std::string cfg = readText(configFile("s2"));
    EXPECT_TRUE(contains(cfg, "lower = \"" + upper("s1") + ":" + rootfs("p") + "\";")) << cfg;
    XC_ASSERT_OK(start("s2"));
    EXPECT_EQ(attach("s2", {"cat", "/root/one"}).out, "one\n");
    XC_EXPECT_OK(attach("s2", {"rm", "/root/one"}));
    EXPECT_TRUE(exists(upper("s1") + "/root/one"));
    RunResult busy = start("s1");
    EXPECT_EQ(busy.status, 1) << busy.describe();
    EXPECT_TRUE(contains(busy.err, "lower layer: s2")) << busy.err;
    RunResult d = destroy("p");
    EXPECT_TRUE(contains(d.err, "snapshot clones depend on it: s1, s2")) << d.describe();
    XC_ASSERT_OK(destroy("p", {"-s", "-f"}));
    for (const char* n : {"p", "s1", "s2"}) EXPECT_FALSE(exists(containerDir(n))) << n;
    EXPECT_EQ(xc("xc-ls", {}).out, "");
}

TEST_F(Overlay, ASnapshotCloneIsInstantAndRenameMovesItsOwnLayer) {
    XC_ASSERT_OK(create("big"));
    // 64 MiB of data in the origin: the snapshot copies none of it.
    ASSERT_TRUE(writeText(rootfs("big") + "/root/blob", std::string(64u << 20, 'b')));
    auto t0 = std::chrono::steady_clock::now();
    XC_ASSERT_OK(clone({"-s", "-o", "big", "-n", "thin"}));
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0).count();
    EXPECT_LT(ms, 2000) << "a snapshot clone copies nothing";
    EXPECT_FALSE(exists(upper("thin") + "/root/blob"));
    RunResult ren = clone({"-R", "-o", "big", "-n", "big2"});
    EXPECT_EQ(ren.status, 1) << ren.describe();
    EXPECT_TRUE(contains(ren.err, "snapshot clones use its files as their lower layers (thin)")) << ren.err;
    XC_ASSERT_OK(clone({"-R", "-o", "thin", "-n", "thin2"}));
    std::string cfg = readText(configFile("thin2"));
    EXPECT_TRUE(contains(cfg, "upper = \"" + upper("thin2") + "\";")) << cfg;
    XC_ASSERT_OK(start("thin2"));
    EXPECT_EQ(attach("thin2", {"hostname"}).out, "thin2\n");
    XC_EXPECT_OK(kill("thin2"));
    RunResult bad = clone({"-s", "-B", "dir", "-o", "big", "-n", "x"});
    EXPECT_EQ(bad.status, 1) << bad.describe();
    EXPECT_TRUE(contains(bad.err, "a snapshot clone is an overlay")) << bad.err;
    EXPECT_FALSE(exists(containerDir("x")));
}

// Who depends on an origin is recorded with it, so a start, rename or
// destroy reads the configs of its own clones only: at 1,000 containers the
// read of every config made each start 100 ms. A base from before the
// records is indexed once from its configs.
TEST_F(Overlay, DependentsAreFoundFromRecordsWithoutReadingEveryConfigAndABaseWithoutThemIsIndexed) {
    XC_ASSERT_OK(create("orig"));
    XC_ASSERT_OK(create("other"));
    XC_ASSERT_OK(clone({"-s", "-o", "orig", "-n", "snap"}));
    EXPECT_TRUE(exists(containerDir("orig") + "/.dependents/snap"));
    XC_ASSERT_OK(start("other"));  // the first look-up indexes the base
    XC_EXPECT_OK(kill("other"));
    EXPECT_TRUE(indexed());

    xc::UniqueFd watch(::inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
    ASSERT_TRUE(watch);
    ASSERT_GE(::inotify_add_watch(watch.get(), configFile("other").c_str(), IN_OPEN), 0);
    RunResult st = start("orig");
    EXPECT_EQ(st.status, 1) << st.describe();
    EXPECT_TRUE(contains(st.err, "lower layer: snap")) << st.err;
    XC_ASSERT_OK(xc("xc-clone", {"-R", "-o", "snap", "-n", "snap2"}));
    EXPECT_FALSE(exists(containerDir("orig") + "/.dependents/snap"));
    st = start("orig");
    EXPECT_EQ(st.status, 1) << st.describe();
    EXPECT_TRUE(contains(st.err, "lower layer: snap2")) << "the record followed the rename: " << st.err;
    XC_ASSERT_OK(start("snap2"));
    XC_EXPECT_OK(kill("snap2"));
    XC_ASSERT_OK(destroy("snap2"));
    EXPECT_FALSE(exists(containerDir("orig") + "/.dependents/snap2"));
    XC_ASSERT_OK(start("orig"));
    XC_EXPECT_OK(kill("orig"));
    char buf[4096];
    ssize_t n = ::read(watch.get(), buf, sizeof buf);
    EXPECT_LT(n, 0) << "another container's config was opened by a start, rename or destroy (" << n << " bytes of events)";

    // A base as an older xc left it (or after a reboot): no mark, no records. The first look-up
    // finds the clone from the configs.
    XC_ASSERT_OK(clone({"-s", "-o", "orig", "-n", "snap3"}));
    ASSERT_EQ(::removexattr(base_.c_str(), "user.xc.dependents-indexed"), 0);
    ASSERT_EQ(::unlink((containerDir("orig") + "/.dependents/snap3").c_str()), 0);
    st = start("orig");
    EXPECT_EQ(st.status, 1) << st.describe();
    EXPECT_TRUE(contains(st.err, "lower layer: snap3")) << st.err;
    EXPECT_TRUE(indexed());
    EXPECT_TRUE(exists(containerDir("orig") + "/.dependents/snap3"));
}
