// The btrfs backend end to end, on a btrfs of the test's own (loop device,
// loopfs.hpp): -B btrfs containers are subvolumes that start and attach,
// snapshot clones are btrfs snapshots (checked by libbtrfsutil: the
// clone's parent UUID is the origin's), xc-snapshot takes read-only ones,
// restore and destroy delete subvolumes with those the container nested in
// its tree and nothing outside, -B btrfs elsewhere is one clear line, and a
// killed snapshot clone leaves nothing half made.
#include <btrfsutil.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <fstream>
#include <thread>

#include "harness.hpp"
#include "loopfs.hpp"
#include "xc/paths.hpp"

using namespace xcit;

namespace {

bool kernelHasBtrfs() {
    std::ifstream in("/proc/filesystems");
    std::string line;
    while (std::getline(in, line))
        if (line.size() >= 5 && line.compare(line.size() - 5, 5, "btrfs") == 0) return true;
    return false;
}

bool isSubvolume(const std::string& p) { return btrfs_util_is_subvolume(p.c_str()) == BTRFS_UTIL_OK; }

// Paths of every subvolume of the file system at `mnt`, relative to it.
std::vector<std::string> subvolumes(const std::string& mnt) {
    std::vector<std::string> out;
    btrfs_util_subvolume_iterator* it = nullptr;
    if (btrfs_util_create_subvolume_iterator(mnt.c_str(), 5, 0, &it) != BTRFS_UTIL_OK) return {"(cannot list)"};
    char* path = nullptr;
    while (btrfs_util_subvolume_iterator_next(it, &path, nullptr) == BTRFS_UTIL_OK) {
        out.emplace_back(path);
        ::free(path);
    }
    btrfs_util_destroy_subvolume_iterator(it);
    return out;
}

struct btrfs_util_subvolume_info infoOf(const std::string& p) {
    struct btrfs_util_subvolume_info i {};
    EXPECT_EQ(btrfs_util_subvolume_info(p.c_str(), 0, &i), BTRFS_UTIL_OK) << p;
    return i;
}

class Btrfs : public XcTest {
protected:
    void SetUp() override {
        XcTest::SetUp();
        if (!kernelHasBtrfs()) GTEST_SKIP() << "the kernel has no btrfs (not in /proc/filesystems)";
        ASSERT_EQ(fs_.make("btrfs", {"/usr/sbin/mkfs.btrfs", "-q", "-f"}, 256ll << 20), "");
        base_b_ = fs_.dir() + "/base";
    }
    void TearDown() override {
        if (fs_.mounted()) {
            for (const auto& n : listNames(base_b_))
                if (xc::validateName(n)) run({toolPath("xc-destroy"), "-P", base_b_, "-n", n, "-f", "-s"});
        }
        if (fs_.mounted()) EXPECT_EQ(subvolumes(fs_.dir()), std::vector<std::string>{}) << "subvolumes left";
        EXPECT_TRUE(fs_.remove()) << "unmount " << fs_.dir() << ": " << std::strerror(errno);
        XcTest::TearDown();
    }
    RunResult on(const std::string& tool, std::vector<std::string> args) {
        args.insert(args.begin(), {"-P", base_b_});
        args.insert(args.begin(), toolPath(tool));
        return run(args);
    }
    RunResult onN(const std::string& tool, const std::string& name, std::vector<std::string> args = {}) {
        args.insert(args.begin(), {"-n", name});
        return on(tool, args);
    }
    std::string dir(const std::string& n) const { return base_b_ + "/" + n; }
    std::string root(const std::string& n) const { return dir(n) + "/rootfs"; }
    LoopFs fs_;
    std::string base_b_;
};

}  // namespace

TEST_F(Btrfs, AContainerIsASubvolumeThatStartsAndDestroyTakesItsNestedSubvolumesAndNothingOutside) {
    XC_ASSERT_OK(onN("xc-create", "b1", {"-t", "busybox", "-B", "btrfs"}));
    EXPECT_TRUE(contains(readText(dir("b1") + "/config"), "backend = \"btrfs\";"));
    EXPECT_TRUE(isSubvolume(root("b1")));
    XC_ASSERT_OK(onN("xc-start", "b1"));
    RunResult a = onN("xc-attach", "b1", {"--", "sh", "-c", "hostname && echo in > /root/in"});
    XC_EXPECT_OK(a);
    EXPECT_EQ(a.out, "b1\n");
    XC_ASSERT_OK(onN("xc-stop", "b1", {"-k"}));
    EXPECT_EQ(readText(root("b1") + "/root/in"), "in\n");
    RunResult info = onN("xc-info", "b1");
    EXPECT_TRUE(contains(info.out, "Disk use:") && contains(info.out, "MiB")) << info.describe();

    // What the container's root could make: nested subvolumes (one read-only
    // over another) and a link out to a sentinel.
    ASSERT_EQ(btrfs_util_create_subvolume((root("b1") + "/srv").c_str(), 0, nullptr, nullptr), BTRFS_UTIL_OK);
    ASSERT_EQ(btrfs_util_create_subvolume((root("b1") + "/srv/inner").c_str(), 0, nullptr, nullptr), BTRFS_UTIL_OK);
    ASSERT_TRUE(writeText(root("b1") + "/srv/inner/f", "x\n"));
    ASSERT_EQ(btrfs_util_set_subvolume_read_only((root("b1") + "/srv").c_str(), true), BTRFS_UTIL_OK);
    ASSERT_EQ(btrfs_util_create_subvolume((fs_.dir() + "/outside").c_str(), 0, nullptr, nullptr), BTRFS_UTIL_OK);
    ASSERT_TRUE(writeText(fs_.dir() + "/outside/keep", "k\n"));
    ASSERT_EQ(::symlink((fs_.dir() + "/outside").c_str(), (root("b1") + "/srv/inner/out").c_str()), 0);
    ASSERT_EQ(subvolumes(fs_.dir()).size(), 4u);

    XC_ASSERT_OK(onN("xc-destroy", "b1"));
    EXPECT_FALSE(exists(dir("b1")));
    EXPECT_FALSE(hasHiddenWork(base_b_));
    EXPECT_EQ(subvolumes(fs_.dir()), std::vector<std::string>{"outside"});
    EXPECT_EQ(readText(fs_.dir() + "/outside/keep"), "k\n") << "nothing outside the container is touched";
    ASSERT_EQ(btrfs_util_delete_subvolume((fs_.dir() + "/outside").c_str(), 0), BTRFS_UTIL_OK);
}

TEST_F(Btrfs, SnapshotClonesAreBtrfsSnapshotsWithNoDependency) {
    XC_ASSERT_OK(onN("xc-create", "b1", {"-t", "busybox", "-B", "btrfs"}));
    ASSERT_TRUE(writeText(root("b1") + "/root/big", std::string(64 << 20, 'b')));
    auto origin = infoOf(root("b1"));

    RunResult s = on("xc-clone", {"-o", "b1", "-n", "s1", "-s"});
    XC_ASSERT_OK(s);
    auto snap = infoOf(root("s1"));
    EXPECT_EQ(std::memcmp(snap.parent_uuid, origin.uuid, sizeof origin.uuid), 0) << "s1 is a snapshot of b1";
    EXPECT_FALSE(snap.flags & 1) << "a clone is writable";
    EXPECT_LT(s.seconds, 1.0) << "a 64 MiB file is not copied";
    EXPECT_TRUE(contains(readText(dir("s1") + "/config"), "backend = \"btrfs\";"));
    EXPECT_FALSE(contains(readText(dir("s1") + "/config"), "lower"));
    EXPECT_EQ(readText(root("s1") + "/etc/hostname"), "s1\n");
    EXPECT_EQ(readText(root("b1") + "/etc/hostname"), "b1\n");

    // Writes stay in the clone; the origin starts and goes while it exists.
    XC_ASSERT_OK(onN("xc-start", "s1"));
    XC_EXPECT_OK(onN("xc-attach", "s1", {"--", "sh", "-c", "echo s > /root/s && rm /root/big"}));
    XC_ASSERT_OK(onN("xc-start", "b1"));
    XC_EXPECT_OK(onN("xc-stop", "b1", {"-k"}));
    XC_EXPECT_OK(onN("xc-stop", "s1", {"-k"}));
    EXPECT_FALSE(exists(root("b1") + "/root/s"));
    EXPECT_TRUE(exists(root("b1") + "/root/big"));

    // Without -s onto the same btrfs: a snapshot too; -B btrfs of a dir
    // container there: a new subvolume with a copy.
    XC_ASSERT_OK(on("xc-clone", {"-o", "b1", "-n", "c1"}));
    EXPECT_EQ(std::memcmp(infoOf(root("c1")).parent_uuid, origin.uuid, sizeof origin.uuid), 0);
    XC_ASSERT_OK(onN("xc-create", "d1", {"-t", "busybox"}));
    EXPECT_FALSE(isSubvolume(root("d1")));
    XC_ASSERT_OK(on("xc-clone", {"-o", "d1", "-n", "d2", "-B", "btrfs"}));
    EXPECT_TRUE(isSubvolume(root("d2")));
    EXPECT_TRUE(exists(root("d2") + "/bin/busybox"));
    XC_ASSERT_OK(onN("xc-start", "d2"));
    EXPECT_EQ(onN("xc-attach", "d2", {"--", "hostname"}).out, "d2\n");
    XC_EXPECT_OK(onN("xc-stop", "d2", {"-k"}));

    // -e: a btrfs snapshot that its supervisor deletes when it stops.
    XC_ASSERT_OK(on("xc-clone", {"-o", "b1", "-n", "e1", "-e"}));
    EXPECT_TRUE(isSubvolume(root("e1")));
    XC_EXPECT_OK(onN("xc-stop", "e1", {"-k"}));
    EXPECT_TRUE(waitUntil([&] { return !exists(dir("e1")); }, 10)) << "the ephemeral clone is destroyed";
    EXPECT_TRUE(waitUntil([&] { return subvolumes(fs_.dir()).size() == 4; }, 10)) << "left: b1, s1, c1 and d2 (d1 is a dir)";

    XC_ASSERT_OK(onN("xc-destroy", "b1"));  // no clone depends on a btrfs origin
    EXPECT_EQ(readText(root("s1") + "/root/s"), "s\n");
}

TEST_F(Btrfs, SnapshotsAreReadOnlySubvolumesThatRestoreAndGo) {
    XC_ASSERT_OK(onN("xc-create", "b1", {"-t", "busybox", "-B", "btrfs"}));
    ASSERT_TRUE(writeText(root("b1") + "/root/keep", "v1\n"));
    RunResult s0 = onN("xc-snapshot", "b1", {"-c", "first"});
    XC_ASSERT_OK(s0);
    EXPECT_EQ(s0.out, "snap0\n");
    const std::string snap = dir("b1") + "/snaps/snap0/rootfs";
    ASSERT_TRUE(isSubvolume(snap));
    bool ro = false;
    EXPECT_EQ(btrfs_util_get_subvolume_read_only(snap.c_str(), &ro), BTRFS_UTIL_OK);
    EXPECT_TRUE(ro);
    RunResult list = onN("xc-snapshot", "b1", {"-L"});
    EXPECT_TRUE(contains(list.out, "snap0") && contains(list.out, "first") && contains(list.out, "MiB")) << list.out;

    ASSERT_EQ(::unlink((root("b1") + "/root/keep").c_str()), 0);
    ASSERT_TRUE(writeText(root("b1") + "/root/later", "x\n"));
    XC_ASSERT_OK(onN("xc-snapshot", "b1", {"-r", "snap0"}));
    EXPECT_EQ(readText(root("b1") + "/root/keep"), "v1\n");
    EXPECT_FALSE(exists(root("b1") + "/root/later"));
    EXPECT_TRUE(isSubvolume(root("b1")));
    ro = true;
    EXPECT_EQ(btrfs_util_get_subvolume_read_only(root("b1").c_str(), &ro), BTRFS_UTIL_OK);
    EXPECT_FALSE(ro) << "the restored rootfs is writable";
    EXPECT_FALSE(hasHiddenWork(dir("b1")));

    XC_ASSERT_OK(onN("xc-snapshot", "b1", {"-r", "snap0", "-N", "r1"}));
    EXPECT_TRUE(isSubvolume(root("r1")));
    XC_ASSERT_OK(onN("xc-start", "r1"));
    EXPECT_EQ(onN("xc-attach", "r1", {"--", "cat", "/root/keep"}).out, "v1\n");
    XC_EXPECT_OK(onN("xc-stop", "r1", {"-k"}));

    XC_ASSERT_OK(onN("xc-snapshot", "b1", {"-d", "snap0"}));
    EXPECT_FALSE(exists(dir("b1") + "/snaps/snap0"));
    XC_ASSERT_OK(onN("xc-snapshot", "b1"));
    XC_ASSERT_OK(onN("xc-destroy", "b1", {"-s"}));
    XC_ASSERT_OK(onN("xc-destroy", "r1"));
    EXPECT_EQ(subvolumes(fs_.dir()), std::vector<std::string>{});
}

TEST_F(Btrfs, BtrfsOffBtrfsIsOneClearErrorNamingTheFileSystem) {
    RunResult r = create("x1", {"-B", "btrfs"});  // the harness's base, on the host's file system
    EXPECT_EQ(r.status, 1) << r.describe();
    EXPECT_EQ(lines(r.err).size(), 1u) << r.err;
    EXPECT_TRUE(contains(r.err, "xc-create: x1: -B btrfs: " + base_ + " is on ")) << r.err;
    EXPECT_TRUE(contains(r.err, ", not btrfs")) << r.err;
    EXPECT_FALSE(exists(containerDir("x1")));
    for (const auto& n : listNames(base_)) EXPECT_NE(n.rfind(".xc-", 0), 0u) << n;

    XC_ASSERT_OK(create("d1"));
    RunResult c = xc("xc-clone", {"-o", "d1", "-n", "d2", "-B", "btrfs"});
    EXPECT_EQ(c.status, 1) << c.describe();
    EXPECT_TRUE(contains(c.err, "is on ") && contains(c.err, ", not btrfs")) << c.err;
    RunResult s = xc("xc-clone", {"-o", "d1", "-n", "d2", "-s", "-B", "btrfs"});
    EXPECT_EQ(s.status, 1) << s.describe();
    EXPECT_TRUE(contains(s.err, "a btrfs snapshot clone is made of a btrfs container")) << s.err;
    EXPECT_FALSE(exists(containerDir("d2")));
}

TEST_F(Btrfs, AKilledSnapshotCloneLeavesNothingHalfMade) {
    XC_ASSERT_OK(onN("xc-create", "b1", {"-t", "busybox", "-B", "btrfs"}));
    int killed = 0;
    for (int round = 0; round < 12; ++round) {
        std::string name = "k" + std::to_string(round);
        Running r = spawn({toolPath("xc-clone"), "-P", base_b_, "-o", "b1", "-n", name, "-s"});
        std::this_thread::sleep_for(std::chrono::microseconds(round * 6000));
        ::kill(r.pid, SIGKILL);
        RunResult done = wait(r);
        killed += done.signal == SIGKILL;
        // Whole or not there: a clone is listed only with its config and its subvolume.
        if (exists(dir(name))) {
            EXPECT_TRUE(exists(dir(name) + "/config")) << name;
            EXPECT_TRUE(isSubvolume(root(name))) << name;
        }
        EXPECT_TRUE(exists(root("b1") + "/bin/busybox")) << "the origin is untouched";
    }
    EXPECT_GT(killed, 0) << "no clone was killed while it worked";
    // The next command of the base removes what the killed ones left.
    XC_ASSERT_OK(on("xc-ls", {}));
    EXPECT_FALSE(hasHiddenWork(base_b_));
    size_t whole = 0;
    for (const auto& n : listNames(base_b_)) whole += n.rfind("k", 0) == 0;
    EXPECT_EQ(subvolumes(fs_.dir()).size(), 1 + whole) << "only the origin's and the finished clones' subvolumes";
}
