// xc-snapshot end to end: snapshots of dir and overlay containers, their
// list, restore in place and into a new container, destroy, and what a
// running container, a rename and xc-destroy do with them.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <thread>

#include "harness.hpp"
#include "loopfs.hpp"
#include "xc/paths.hpp"

using namespace xcit;

namespace {

class Snapshot : public XcTest {
protected:
    RunResult snap(const std::string& name, const std::vector<std::string>& args = {}) {
        std::vector<std::string> a = {"-n", name};
        a.insert(a.end(), args.begin(), args.end());
        return xc("xc-snapshot", a);
    }
    std::string snapDir(const std::string& name, const std::string& s) { return containerDir(name) + "/snaps/" + s; }
};

}  // namespace

TEST_F(Snapshot, RestoreBringsBackDeletedFilesInPlaceAndIntoANewContainer) {
    XC_ASSERT_OK(create("c1"));
    ASSERT_TRUE(writeText(rootfs("c1") + "/root/keep", "v1\n"));
    RunResult s0 = snap("c1", {"-c", "before \"the\" upgrade"});
    XC_ASSERT_OK(s0);
    EXPECT_EQ(s0.out, "snap0\n");
    EXPECT_EQ(readText(snapDir("c1", "snap0") + "/rootfs/root/keep"), "v1\n");
    EXPECT_FALSE(hasHiddenWork(containerDir("c1") + "/snaps"));
    RunResult s1 = snap("c1");
    EXPECT_EQ(s1.out, "snap1\n") << s1.describe();

    RunResult list = snap("c1", {"-L"});
    XC_ASSERT_OK(list);
    EXPECT_TRUE(contains(list.out, "snap0 ")) << list.out;
    EXPECT_TRUE(contains(list.out, "before \"the\" upgrade")) << list.out;
    EXPECT_TRUE(contains(list.out, "MiB") || contains(list.out, "KiB")) << list.out;
    RunResult json = snap("c1", {"-L", "--json"});
    XC_ASSERT_OK(json);
    EXPECT_EQ(json.out.rfind("[{\"name\": \"snap0\", \"time\": \"20", 0), 0u) << json.out;
    EXPECT_TRUE(contains(json.out, "\"comment\": \"before \\\"the\\\" upgrade\", \"size\": ")) << json.out;
    EXPECT_TRUE(contains(json.out, "{\"name\": \"snap1\"")) << json.out;

    // Changes after the snapshot go with a restore in place.
    ASSERT_EQ(::unlink((rootfs("c1") + "/root/keep").c_str()), 0);
    ASSERT_TRUE(writeText(rootfs("c1") + "/root/later", "x\n"));
    XC_ASSERT_OK(snap("c1", {"-r", "snap0"}));
    EXPECT_EQ(readText(rootfs("c1") + "/root/keep"), "v1\n");
    EXPECT_FALSE(exists(rootfs("c1") + "/root/later"));
    EXPECT_FALSE(hasHiddenWork(containerDir("c1"))) << "no staging directory is left";
    EXPECT_EQ(readText(snapDir("c1", "snap0") + "/rootfs/root/keep"), "v1\n") << "the snapshot stays";

    // Into a new container: its own identity, startable.
    XC_ASSERT_OK(snap("c1", {"-r", "snap0", "-N", "c2"}));
    EXPECT_TRUE(contains(readText(configFile("c2")), "name = \"c2\";"));
    EXPECT_EQ(readText(rootfs("c2") + "/root/keep"), "v1\n");
    XC_ASSERT_OK(start("c2"));
    EXPECT_EQ(attach("c2", {"hostname"}).out, "c2\n");
    XC_EXPECT_OK(kill("c2"));

    // Unknown snapshots are named.
    RunResult bad = snap("c1", {"-r", "snap7"});
    EXPECT_EQ(bad.status, 1) << bad.describe();
    EXPECT_TRUE(contains(bad.err, "xc-snapshot: c1: restore snap7: no snapshot snap7")) << bad.err;

    // xc-destroy keeps a container with snapshots unless -s.
    RunResult refused = destroy("c1");
    EXPECT_EQ(refused.status, 1) << refused.describe();
    EXPECT_TRUE(contains(refused.err, "snap0, snap1")) << refused.err;
    EXPECT_TRUE(exists(configFile("c1")));
    XC_ASSERT_OK(snap("c1", {"-d", "snap1"}));
    EXPECT_FALSE(exists(snapDir("c1", "snap1")));
    EXPECT_FALSE(hasHiddenWork(containerDir("c1") + "/snaps"));
    RunResult one = snap("c1", {"-L", "--json"});
    EXPECT_TRUE(contains(one.out, "snap0") && !contains(one.out, "snap1")) << one.out;
    XC_ASSERT_OK(destroy("c1", {"-s"}));
    EXPECT_FALSE(exists(containerDir("c1")));
}

TEST_F(Snapshot, ARunningContainerIsRefusedUnlessFrozen) {
    XC_ASSERT_OK(create("c1"));
    XC_ASSERT_OK(start("c1"));
    XC_ASSERT_OK(attach("c1", {"sh", "-c", "echo live > /root/live"}));
    RunResult r = snap("c1");
    EXPECT_EQ(r.status, 1) << r.describe();
    EXPECT_TRUE(contains(r.err, "xc-snapshot: c1: is running")) << r.err;
    EXPECT_TRUE(contains(r.err, "xc-freeze -n c1; xc-snapshot -n c1; xc-unfreeze -n c1")) << r.err;
    EXPECT_FALSE(exists(snapDir("c1", "snap0")));
    XC_ASSERT_OK(xc("xc-freeze", {"-n", "c1"}));
    RunResult frozen = snap("c1");
    XC_EXPECT_OK(frozen);
    EXPECT_EQ(frozen.out, "snap0\n");
    EXPECT_EQ(state("c1"), "FROZEN") << "the snapshot leaves it frozen";
    XC_ASSERT_OK(xc("xc-unfreeze", {"-n", "c1"}));
    EXPECT_EQ(readText(snapDir("c1", "snap0") + "/rootfs/root/live"), "live\n");
    RunResult restore = snap("c1", {"-r", "snap0"});
    EXPECT_EQ(restore.status, 1) << restore.describe();
    EXPECT_TRUE(contains(restore.err, "restore snap0: is running; stop it first")) << restore.err;
    // Into a new container is fine while it runs.
    XC_EXPECT_OK(snap("c1", {"-r", "snap0", "-N", "c2"}));
    EXPECT_EQ(readText(rootfs("c2") + "/root/live"), "live\n");
    XC_EXPECT_OK(kill("c1"));
}

TEST_F(Snapshot, AnOverlayContainersSnapshotKeepsItsUpperLayerWithWhiteouts) {
    XC_ASSERT_OK(create("o1", {"-B", "overlay"}));
    XC_ASSERT_OK(start("o1"));
    XC_ASSERT_OK(attach("o1", {"sh", "-c", "echo mine > /root/f && rm /bin/true"}));
    XC_ASSERT_OK(kill("o1"));
    XC_ASSERT_OK(snap("o1", {"-c", "layer"}));
    EXPECT_EQ(readText(snapDir("o1", "snap0") + "/overlay/upper/root/f"), "mine\n");
    EXPECT_FALSE(exists(snapDir("o1", "snap0") + "/rootfs")) << "the shared base is not copied";

    XC_ASSERT_OK(start("o1"));
    XC_ASSERT_OK(attach("o1", {"sh", "-c", "rm /root/f && echo later > /root/g"}));
    XC_ASSERT_OK(kill("o1"));
    XC_ASSERT_OK(snap("o1", {"-r", "snap0"}));
    XC_ASSERT_OK(start("o1"));
    EXPECT_EQ(attach("o1", {"cat", "/root/f"}).out, "mine\n");
    EXPECT_FALSE(attach("o1", {"test", "-e", "/root/g"}).ok());
    EXPECT_FALSE(attach("o1", {"test", "-e", "/bin/true"}).ok()) << "the whiteout came back too";
    XC_EXPECT_OK(kill("o1"));

    XC_ASSERT_OK(snap("o1", {"-r", "snap0", "-N", "o2"}));
    EXPECT_TRUE(contains(readText(configFile("o2")), "backend = \"overlay\";"));
    XC_ASSERT_OK(start("o2"));
    EXPECT_EQ(attach("o2", {"cat", "/root/f"}).out, "mine\n");
    EXPECT_FALSE(attach("o2", {"test", "-e", "/bin/true"}).ok());
    XC_EXPECT_OK(kill("o2"));
}

TEST_F(Snapshot, SnapshotsFollowARenameAndRestoreThere) {
    XC_ASSERT_OK(create("c1"));
    ASSERT_TRUE(writeText(rootfs("c1") + "/root/keep", "v1\n"));
    XC_ASSERT_OK(snap("c1"));
    XC_ASSERT_OK(xc("xc-clone", {"-R", "-o", "c1", "-n", "c3"}));
    RunResult list = snap("c3", {"-L"});
    EXPECT_TRUE(contains(list.out, "snap0")) << list.describe();
    ASSERT_EQ(::unlink((rootfs("c3") + "/root/keep").c_str()), 0);
    XC_ASSERT_OK(snap("c3", {"-r", "snap0"}));
    EXPECT_EQ(readText(rootfs("c3") + "/root/keep"), "v1\n");
    XC_ASSERT_OK(start("c3"));
    EXPECT_EQ(attach("c3", {"cat", "/root/keep"}).out, "v1\n");
    XC_EXPECT_OK(kill("c3"));
}

TEST_F(Snapshot, AContainerWithSnapshotClonesIsNotRestoredInPlace) {
    XC_ASSERT_OK(create("c1"));
    XC_ASSERT_OK(snap("c1"));
    XC_ASSERT_OK(xc("xc-clone", {"-s", "-o", "c1", "-n", "s1"}));
    RunResult r = snap("c1", {"-r", "snap0"});
    EXPECT_EQ(r.status, 1) << r.describe();
    EXPECT_TRUE(contains(r.err, "snapshot clones use its files as their lower layers (s1)")) << r.err;
    EXPECT_TRUE(contains(r.err, "-N NEWNAME")) << r.err;
}

// ---------------------------------------------------------------- faults

namespace {

// A small ext4 file system on a loop device (loopfs.hpp), as the base.
class SnapshotFaults : public XcTest {
protected:
    void SetUp() override {
        XcTest::SetUp();
        std::string err = fs_.make("ext4", {"/usr/sbin/mkfs.ext4", "-q", "-F", "-m", "0", "-O", "^has_journal"}, 48 << 20);
        ASSERT_EQ(err, "");
        mnt_ = fs_.dir();
    }
    void TearDown() override {
        if (fs_.mounted()) {
            for (const auto& n : listNames(mnt_))
                if (xc::validateName(n)) run({toolPath("xc-destroy"), "-P", mnt_, "-n", n, "-f", "-s"});
        }
        EXPECT_TRUE(fs_.remove()) << "unmount " << mnt_ << ": " << std::strerror(errno);
        XcTest::TearDown();
    }
    RunResult on(const std::string& tool, std::vector<std::string> args) {
        args.insert(args.begin(), {"-P", mnt_});
        args.insert(args.begin(), toolPath(tool));
        return run(args);
    }
    // Fills the file system but for `leave` bytes.
    void fillBut(uint64_t leave) {
        struct statvfs vs;
        ASSERT_EQ(::statvfs(mnt_.c_str(), &vs), 0);
        uint64_t free = static_cast<uint64_t>(vs.f_bavail) * vs.f_frsize;
        ASSERT_GT(free, leave);
        ASSERT_TRUE(writeText(mnt_ + "/filler", std::string(free - leave, 'f')));
    }
    LoopFs fs_;
    std::string mnt_;
};

}  // namespace

TEST_F(SnapshotFaults, AFullDiskLeavesNoHalfMadeSnapshotOrRestoreAndTheContainerUntouched) {
    XC_ASSERT_OK(on("xc-create", {"-n", "c1", "-t", "busybox"}));
    const std::string c1 = mnt_ + "/c1";
    ASSERT_TRUE(writeText(c1 + "/rootfs/root/data", std::string(6 << 20, 'd')));
    XC_ASSERT_OK(on("xc-snapshot", {"-n", "c1"}));  // snap0: room for it
    ASSERT_TRUE(writeText(c1 + "/rootfs/root/after", "after\n"));
    fillBut(3 << 20);  // less than one more copy of the rootfs

    RunResult s = on("xc-snapshot", {"-n", "c1"});
    EXPECT_EQ(s.status, 1) << s.describe();
    EXPECT_TRUE(contains(s.err, "xc-snapshot: c1: snapshot: copy the rootfs")) << s.err;
    EXPECT_TRUE(contains(s.err, "No space left on device")) << s.err;
    EXPECT_FALSE(exists(c1 + "/snaps/snap1"));
    EXPECT_FALSE(hasHiddenWork(c1 + "/snaps"));

    RunResult r = on("xc-snapshot", {"-n", "c1", "-r", "snap0"});
    EXPECT_EQ(r.status, 1) << r.describe();
    EXPECT_TRUE(contains(r.err, "No space left on device")) << r.err;
    EXPECT_EQ(readText(c1 + "/rootfs/root/after"), "after\n") << "the container's files stay as they were";
    EXPECT_EQ(readText(c1 + "/rootfs/root/data").size(), size_t(6 << 20));
    EXPECT_FALSE(hasHiddenWork(c1));

    RunResult n = on("xc-snapshot", {"-n", "c1", "-r", "snap0", "-N", "c2"});
    EXPECT_EQ(n.status, 1) << n.describe();
    EXPECT_FALSE(exists(mnt_ + "/c2"));
    for (const auto& e : listNames(mnt_)) EXPECT_NE(e.rfind(".xc-", 0), 0u) << e;

    // With room again, all three work.
    ASSERT_EQ(::unlink((mnt_ + "/filler").c_str()), 0);
    XC_EXPECT_OK(on("xc-snapshot", {"-n", "c1"}));
    XC_EXPECT_OK(on("xc-snapshot", {"-n", "c1", "-r", "snap0"}));
    EXPECT_FALSE(exists(c1 + "/rootfs/root/after"));
}

TEST_F(SnapshotFaults, AKilledSnapshotOrRestoreLeavesAWholeStateAndTheNextCommandCleansUp) {
    XC_ASSERT_OK(on("xc-create", {"-n", "c1", "-t", "busybox"}));
    const std::string c1 = mnt_ + "/c1";
    // Enough files that a copy takes a while.
    ASSERT_EQ(::mkdir((c1 + "/rootfs/many").c_str(), 0755), 0);
    for (int i = 0; i < 3000; ++i) ASSERT_TRUE(writeText(c1 + "/rootfs/many/f" + std::to_string(i), "x"));
    ASSERT_TRUE(writeText(c1 + "/rootfs/root/before", "1\n"));
    XC_ASSERT_OK(on("xc-snapshot", {"-n", "c1"}));
    ASSERT_EQ(::unlink((c1 + "/rootfs/root/before").c_str()), 0);
    ASSERT_TRUE(writeText(c1 + "/rootfs/root/after", "2\n"));
    int killed = 0;
    for (int delayMs : {5, 20, 60, 150}) {
        for (const char* what : {"snapshot", "restore"}) {
            std::vector<std::string> args = {toolPath("xc-snapshot"), "-P", mnt_, "-n", "c1"};
            if (std::string(what) == "restore") args.insert(args.end(), {"-r", "snap0"});
            Running r = spawn(args);
            std::this_thread::sleep_for(std::chrono::milliseconds(delayMs));
            ::kill(r.pid, SIGKILL);
            RunResult done = wait(r);
            killed += done.signal == SIGKILL;
            // Whole: old or restored, never a mix or nothing.
            bool before = exists(c1 + "/rootfs/root/before"), after = exists(c1 + "/rootfs/root/after");
            EXPECT_NE(before, after) << what << " killed after " << delayMs << " ms";
            EXPECT_TRUE(exists(c1 + "/rootfs/bin/busybox"));
            for (const auto& n : listNames(c1 + "/snaps"))
                if (n.rfind("snap", 0) == 0) EXPECT_TRUE(exists(c1 + "/snaps/" + n + "/ts")) << n << " is half made";
            // A snapshot that finished before the kill is kept whole; drop it, so
            // that the small file system does not fill with them (the faster the
            // machine, the more finish).
            for (const auto& n : listNames(c1 + "/snaps"))
                if (n.rfind("snap", 0) == 0 && n != "snap0" && exists(c1 + "/snaps/" + n + "/ts"))
                    XC_EXPECT_OK(on("xc-snapshot", {"-n", "c1", "-d", n}));
            // Back to the state with `after` for the next round.
            if (before) {
                ASSERT_EQ(::unlink((c1 + "/rootfs/root/before").c_str()), 0);
                ASSERT_TRUE(writeText(c1 + "/rootfs/root/after", "2\n"));
            }
        }
    }
    EXPECT_GT(killed, 0) << "no command was killed while it worked";
    // The next snapshot command (and restore) removes what the killed ones left.
    XC_ASSERT_OK(on("xc-snapshot", {"-n", "c1", "-r", "snap0"}));
    XC_ASSERT_OK(on("xc-snapshot", {"-n", "c1", "-d", "snap0"}));
    EXPECT_FALSE(hasHiddenWork(c1 + "/snaps"));
    EXPECT_FALSE(hasHiddenWork(c1));
}
