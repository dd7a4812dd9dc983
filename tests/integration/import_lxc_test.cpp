// xc-import-lxc against containers the real LXC made (Debian's lxc):
// lxc-create -t busybox in a base directory of the test's own, with a
// config that sets a static address on the test's bridge, memory and pids
// limits, a bind mount, autostart keys and a hook; and an overlayfs
// snapshot of it (lxc-copy -s -B overlayfs). The imported containers start
// under xc with the same limits, address and mounts, and the LXC
// containers are left byte for byte as they were.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <regex>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace xcit;

namespace {

std::string findProgram(const std::string& name) {
    for (const char* dir : {"/usr/bin", "/usr/sbin", "/bin", "/sbin", "/usr/local/bin"}) {
        std::string p = std::string(dir) + "/" + name;
        if (::access(p.c_str(), X_OK) == 0) return p;
    }
    return "";
}

std::string trimmed(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\n");
    size_t e = s.find_last_not_of(" \t\n");
    return b == std::string::npos ? "" : s.substr(b, e - b + 1);
}

// Every entry of a tree with its type, mode, owner, size, mtime, link
// target and (regular files) a hash of its data.
std::string treeDigest(const std::string& dir) {
    std::string out;
    for (const auto& rel : listTree(dir)) {
        std::string p = dir + "/" + rel;
        struct stat st {};
        if (::lstat(p.c_str(), &st) < 0) {
            out += rel + " ?\n";
            continue;
        }
        out += rel + " " + std::to_string(st.st_mode) + " " + std::to_string(st.st_uid) + ":" +
               std::to_string(st.st_gid) + " " + std::to_string(st.st_size) + " " + std::to_string(st.st_mtim.tv_sec) +
               "." + std::to_string(st.st_mtim.tv_nsec) + " " + std::to_string(st.st_rdev);
        if (S_ISREG(st.st_mode)) out += " " + std::to_string(std::hash<std::string>{}(readText(p)));
        if (S_ISLNK(st.st_mode)) {
            char buf[4096];
            ssize_t n = ::readlink(p.c_str(), buf, sizeof buf);
            out += " -> " + std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
        }
        out += "\n";
    }
    return out;
}

class ImportLxc : public XcTest {
protected:
    void SetUp() override {
        XcTest::SetUp();
        lxcCreate_ = findProgram("lxc-create");
        if (lxcCreate_.empty()) GTEST_SKIP() << "lxc-create is not installed (apt-get install lxc)";
        char tmpl[] = "/tmp/xc-it-lxc-XXXXXX";
        ASSERT_NE(::mkdtemp(tmpl), nullptr);
        lxcBase_ = tmpl;
    }
    void TearDown() override {
        // Snapshot clones before their origin.
        for (auto it = lxcMade_.rbegin(); it != lxcMade_.rend(); ++it)
            run({findProgram("lxc-destroy"), "-P", lxcBase_, "-n", *it, "-f"}, RunOptions{false, "", {}, 60});
        if (!lxcBase_.empty()) {
            EXPECT_TRUE(removeTree(lxcBase_)) << lxcBase_;
            // LXC keeps a lock file per container under /run/lxc/lock<base>, even after lxc-destroy.
            (void)removeTree("/run/lxc/lock" + lxcBase_);
            ::rmdir("/run/lxc/lock/tmp");  // only if no other base left one
        }
        XcTest::TearDown();
    }

    RunResult import(const std::vector<std::string>& args) {
        std::vector<std::string> argv = {toolPath("xc-import-lxc"), "--xc-path", base_, "-P", lxcBase_};
        argv.insert(argv.end(), args.begin(), args.end());
        RunOptions o;
        o.timeoutSeconds = 120;
        return run(argv, o);
    }

    // An LXC busybox container on the test's bridge with `address`.
    void makeLxc(const std::string& name, const std::string& address);
    // Its config bytes and its rootfs, for "unchanged".
    std::string lxcState(const std::string& name, const std::string& rootfsDir) {
        return readText(lxcBase_ + "/" + name + "/config") + "\n----\n" + treeDigest(rootfsDir);
    }
    std::string cgroupValue(const std::string& name, const std::vector<std::string>& files);

    std::string lxcCreate_, lxcBase_, dataDir_, hookOut_;
    std::vector<std::string> lxcMade_;
    bool memoryV1_ = false, pidsV1_ = false;
};

void ImportLxc::makeLxc(const std::string& name, const std::string& address) {
    // Limits in the hierarchy that holds the controller on this host.
    memoryV1_ = exists("/sys/fs/cgroup/memory/memory.limit_in_bytes");
    pidsV1_ = isDir("/sys/fs/cgroup/pids");
    dataDir_ = makeSentinelDir();
    ASSERT_TRUE(writeText(dataDir_ + "/hello", "from the host\n"));
    hookOut_ = scratch_ + "/hook.out";
    std::string hook = scratchFile("hook.sh", "#!/bin/sh\necho \"$1 $2 $3 $LXC_NAME $LXC_HOOK_TYPE\" >> " + hookOut_ + "\n",
                                   0755);
    std::string conf = "lxc.net.0.type = veth\nlxc.net.0.link = " + privBridge_ +
                       "\nlxc.net.0.flags = up\nlxc.net.0.name = eth0\nlxc.net.0.ipv4.address = " + address +
                       "/24\nlxc.net.0.ipv4.gateway = " + bridgeAddress(1) + "\n" +
                       (memoryV1_ ? "lxc.cgroup.memory.limit_in_bytes = 64M\n" : "lxc.cgroup2.memory.max = 64M\n") +
                       (pidsV1_ ? "lxc.cgroup.pids.max = 50\n" : "lxc.cgroup2.pids.max = 50\n") +
                       "lxc.mount.entry = " + dataDir_ + " mnt/data none bind,ro,create=dir 0 0\n"
                       "lxc.start.auto = 1\nlxc.start.order = 7\nlxc.start.delay = 0\nlxc.group = importers\n"
                       "lxc.hook.pre-start = " + hook + "\nlxc.apparmor.profile = unconfined\n";
    std::string confFile = scratchFile(name + ".lxc.conf", conf);
    RunOptions o;
    o.timeoutSeconds = 120;
    RunResult r = run({lxcCreate_, "-P", lxcBase_, "-n", name, "-t", "busybox", "-f", confFile}, o);
    ASSERT_TRUE(r.ok()) << r.describe();
    lxcMade_.push_back(name);
    // Busybox's rcS runs udhcpc, which flushes eth0 (under LXC too): the
    // static address is what this test follows.
    ASSERT_TRUE(writeText(lxcBase_ + "/" + name + "/rootfs/etc/init.d/rcS", "#!/bin/sh\n/bin/mount -a\n", 0755));
}

std::string ImportLxc::cgroupValue(const std::string& name, const std::vector<std::string>& files) {
    for (const auto& d : cgroupDirs(name))
        for (const auto& f : files)
            if (exists(d + "/" + f)) return trimmed(readText(d + "/" + f));
    return "";
}

}  // namespace

TEST_F(ImportLxc, BusyboxContainerStartsWithItsLimitsAddressMountsAndAutostart) {
    startPrivateBridge();
    if (HasFatalFailure() || IsSkipped()) return;
    const std::string address = bridgeAddress(50);
    makeLxc("lxc1", address);
    if (HasFatalFailure()) return;
    const std::string before = lxcState("lxc1", lxcBase_ + "/lxc1/rootfs");

    RunResult dry = import({"-n", "lxc1", "--new-name", "imp1", "--dry-run"});
    XC_ASSERT_OK(dry);
    EXPECT_TRUE(contains(dry.out, "lxc.net.0.ipv4.address = " + address + "/24 -> network.0.ipv4 = \"" + address + "/24\""))
        << dry.out;
    EXPECT_TRUE(contains(dry.out, "lxc.apparmor.profile = unconfined: not imported: ")) << dry.out;
    EXPECT_TRUE(contains(dry.out, "-> cgroup.pids.max = 50")) << dry.out;
    EXPECT_FALSE(exists(containerDir("imp1"))) << "--dry-run made the container";

    RunResult r = import({"-n", "lxc1", "--new-name", "imp1", "--copy"});
    XC_ASSERT_OK(r);
    EXPECT_TRUE(contains(r.out, "lxc.mount.auto = cgroup:mixed proc:mixed sys:ro: not imported: ")) << r.out;
    EXPECT_FALSE(contains(r.out, "-> network.0.ipv4")) << "the import lists only what it did not import\n" << r.out;
    EXPECT_EQ(lxcState("lxc1", lxcBase_ + "/lxc1/rootfs"), before) << "the import changed the LXC container";
    // The busybox tree's hard links and setuid bits came along.
    struct stat st {};
    ASSERT_EQ(::lstat((rootfs("imp1") + "/sbin/init").c_str(), &st), 0);
    EXPECT_NE(st.st_mode & S_ISUID, 0u);
    EXPECT_GE(st.st_nlink, 2u);

    XC_ASSERT_OK(start("imp1"));
    EXPECT_EQ(cgroupValue("imp1", {"memory.limit_in_bytes", "memory.max"}), "67108864");
    EXPECT_EQ(cgroupValue("imp1", {"pids.max"}), "50");
    RunResult ip = attach("imp1", {"ip", "-4", "addr", "show", "eth0"});
    XC_EXPECT_OK(ip);
    EXPECT_TRUE(contains(ip.out, "inet " + address + "/24")) << ip.describe();
    // Its gateway, the test's bridge, answers (busybox's ping, inside).
    RunResult ping = attach("imp1", {"ping", "-c", "1", "-W", "5", bridgeAddress(1)});
    EXPECT_TRUE(ping.ok()) << "the imported container cannot reach the test's bridge\n" << ping.describe();
    RunResult data = attach("imp1", {"cat", "/mnt/data/hello"});
    XC_EXPECT_OK(data);
    EXPECT_EQ(data.out, "from the host\n");
    RunResult ro = attach("imp1", {"sh", "-c", "echo x > /mnt/data/new"});
    EXPECT_FALSE(ro.ok()) << "the bind mount is read-only in LXC's entry\n" << ro.describe();
    EXPECT_EQ(trimmed(readText(hookOut_)), "imp1 lxc pre-start imp1 pre-start");
    RunResult ls = xc("xc-ls", {"-f"});
    XC_EXPECT_OK(ls);
    std::string row;
    for (const auto& l : lines(ls.out))
        if (l.rfind("imp1 ", 0) == 0) row = l;
    // NAME STATE AUTOSTART GROUPS IPV4 IPV6
    EXPECT_TRUE(std::regex_search(row, std::regex("^imp1\\s+RUNNING\\s+1\\s+importers\\s+" + address + "\\s")))
        << ls.out;
    XC_EXPECT_OK(kill("imp1"));
    EXPECT_EQ(lxcState("lxc1", lxcBase_ + "/lxc1/rootfs"), before) << "running the import changed the LXC container";

    // --move on one file system renames the tree (the same inodes) and
    // removes the LXC container.
    struct stat lxcBusybox {};
    ASSERT_EQ(::lstat((lxcBase_ + "/lxc1/rootfs/bin/busybox").c_str(), &lxcBusybox), 0);
    RunResult taken = import({"-n", "lxc1", "--new-name", "imp4", "--move"});
    XC_ASSERT_OK(taken);
    EXPECT_FALSE(exists(lxcBase_ + "/lxc1"));
    struct stat moved {};
    ASSERT_EQ(::lstat((rootfs("imp4") + "/bin/busybox").c_str(), &moved), 0);
    EXPECT_EQ(moved.st_ino, lxcBusybox.st_ino) << "--move copied instead of renaming";
    XC_ASSERT_OK(start("imp4"));
    RunResult data4 = attach("imp4", {"cat", "/mnt/data/hello"});
    EXPECT_EQ(data4.out, "from the host\n") << data4.describe();
    XC_EXPECT_OK(kill("imp4"));
}

TEST_F(ImportLxc, OverlayfsSnapshotIsFlattenedWithItsOwnChanges) {
    startPrivateBridge();
    if (HasFatalFailure() || IsSkipped()) return;
    makeLxc("lxc1", bridgeAddress(51));
    if (HasFatalFailure()) return;
    RunOptions o;
    o.timeoutSeconds = 120;
    RunResult copy = run({findProgram("lxc-copy"), "-P", lxcBase_, "-n", "lxc1", "-N", "snap1", "-s", "-B", "overlayfs"}, o);
    ASSERT_TRUE(copy.ok()) << copy.describe();
    lxcMade_.push_back("snap1");
    std::string cfg = readText(lxcBase_ + "/snap1/config");
    size_t at = cfg.find("lxc.rootfs.path = overlay");
    ASSERT_NE(at, std::string::npos) << cfg;
    std::string spec = trimmed(cfg.substr(cfg.find('=', at) + 1, cfg.find('\n', at) - cfg.find('=', at) - 1));
    std::string upper = spec.substr(spec.rfind(':') + 1);
    std::string lower = spec.substr(spec.find(':') + 1, spec.rfind(':') - spec.find(':') - 1);

    // The snapshot's own changes, made through the overlay as the kernel
    // writes them: a new file, a removed one (a whiteout) and a directory
    // made anew (opaque).
    std::string mnt = makeSentinelDir();
    std::string work = upper.substr(0, upper.rfind('/')) + "/work";
    RunResult m = run({findProgram("mount"), "-t", "overlay", "overlay", "-o",
                       "lowerdir=" + lower + ",upperdir=" + upper + ",workdir=" + work, mnt});
    ASSERT_TRUE(m.ok()) << m.describe();
    bool written = writeText(mnt + "/etc/snapmark", "snapshot's own\n") && ::unlink((mnt + "/etc/shadow").c_str()) == 0 &&
                   removeTree(mnt + "/home") && ::mkdir((mnt + "/home").c_str(), 0755) == 0 &&
                   writeText(mnt + "/home/fresh", "new\n");
    RunResult um = run({findProgram("umount"), mnt});
    ASSERT_TRUE(written);
    ASSERT_TRUE(um.ok()) << um.describe();
    ASSERT_TRUE(exists(lower + "/etc/shadow"));
    const std::string before = lxcState("snap1", upper);
    const std::string lowerBefore = treeDigest(lower);

    // Its origin has a snapshot clone: --move is refused, nothing made.
    RunResult refused = import({"-n", "lxc1", "--new-name", "moved", "--move"});
    EXPECT_EQ(refused.status, 1) << refused.describe();
    EXPECT_TRUE(contains(refused.err, "xc-import-lxc: lxc1: ")) << refused.err;
    EXPECT_FALSE(exists(containerDir("moved")));

    RunResult r = import({"-n", "snap1", "--new-name", "imp2"});
    XC_ASSERT_OK(r);
    EXPECT_TRUE(contains(r.out, "flattened")) << r.out;
    EXPECT_EQ(lxcState("snap1", upper), before) << "the import changed the LXC snapshot";
    EXPECT_EQ(treeDigest(lower), lowerBefore) << "the import changed the snapshot's lower layer";
    EXPECT_EQ(readText(rootfs("imp2") + "/etc/snapmark"), "snapshot's own\n");
    EXPECT_FALSE(exists(rootfs("imp2") + "/etc/shadow")) << "the whiteout was not applied";
    EXPECT_EQ(listNames(rootfs("imp2") + "/home"), std::vector<std::string>{"fresh"});
    EXPECT_TRUE(exists(rootfs("imp2") + "/bin/busybox"));

    XC_ASSERT_OK(start("imp2"));
    RunResult mark = attach("imp2", {"cat", "/etc/snapmark"});
    XC_EXPECT_OK(mark);
    EXPECT_EQ(mark.out, "snapshot's own\n");
    RunResult gone = attach("imp2", {"sh", "-c", "test ! -e /etc/shadow && ls /home"});
    XC_EXPECT_OK(gone);
    EXPECT_EQ(trimmed(gone.out), "fresh");
    RunResult ip = attach("imp2", {"ip", "-4", "addr", "show", "eth0"});
    EXPECT_TRUE(contains(ip.out, "inet " + bridgeAddress(51) + "/24")) << ip.describe();
    XC_EXPECT_OK(kill("imp2"));

    // --move of the snapshot: the xc container is made, then the LXC one is
    // gone; the origin's rootfs (its lower layer) stays as it was.
    RunResult moved = import({"-n", "snap1", "--new-name", "imp3", "--move"});
    XC_ASSERT_OK(moved);
    EXPECT_FALSE(exists(lxcBase_ + "/snap1"));
    EXPECT_EQ(readText(rootfs("imp3") + "/etc/snapmark"), "snapshot's own\n");
    EXPECT_EQ(treeDigest(lower), lowerBefore);
}

TEST_F(ImportLxc, FailuresLeaveNoXcContainer) {
    RunResult none = import({"-n", "nosuch"});
    EXPECT_EQ(none.status, 1) << none.describe();
    EXPECT_TRUE(contains(none.err, "xc-import-lxc: nosuch: no LXC container nosuch in " + lxcBase_)) << none.err;
    // A backing store xc cannot read: refused before anything is made.
    ASSERT_EQ(::mkdir((lxcBase_ + "/lvm1").c_str(), 0755), 0);
    ASSERT_TRUE(writeText(lxcBase_ + "/lvm1/config", "lxc.rootfs.path = lvm:/dev/vg0/lvm1\nlxc.uts.name = lvm1\n"));
    RunResult lvm = import({"-n", "lvm1"});
    EXPECT_EQ(lvm.status, 1) << lvm.describe();
    EXPECT_TRUE(contains(lvm.err, "lvm backing store is not supported")) << lvm.err;
    // A rootfs that is not there: the copy fails, the staging goes.
    ASSERT_EQ(::mkdir((lxcBase_ + "/gone").c_str(), 0755), 0);
    ASSERT_TRUE(writeText(lxcBase_ + "/gone/config", "lxc.uts.name = gone\nlxc.net.0.type = empty\n"));
    RunResult gone = import({"-n", "gone"});
    EXPECT_EQ(gone.status, 1) << gone.describe();
    EXPECT_FALSE(exists(containerDir("gone")));
    for (const auto& n : listNames(base_)) EXPECT_EQ(n.find(".xc-staging"), std::string::npos) << n;
}
