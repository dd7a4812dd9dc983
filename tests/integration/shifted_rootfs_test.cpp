// Shifted rootfs end to end: where no idmapped mount serves (or
// rootfs.idmap = "shift" asks for it), an unprivileged container's owners
// are rewritten once to their host ids, recorded as rootfs.shifted, and
// shifted back when the config asks for other owners; an interrupted shift
// is finished by the next start.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "harness.hpp"

using namespace xcit;

namespace {

class ShiftedRootfs : public XcTest {
protected:
    void TearDown() override {
        if (!ramBase_.empty()) {
            for (const auto& n : listNames(ramBase_)) {
                run({toolPath("xc-stop"), "-P", ramBase_, "-n", n, "-k"});
                run({toolPath("xc-destroy"), "-P", ramBase_, "-n", n, "-f"});
            }
            ::umount2(ramBase_.c_str(), MNT_DETACH);
            ::rmdir(ramBase_.c_str());
        }
        XcTest::TearDown();
    }
    static uid_t ownerOnDisk(const std::string& path) {
        struct stat st;
        return ::lstat(path.c_str(), &st) == 0 ? st.st_uid : static_cast<uid_t>(-1);
    }
    static mode_t modeOnDisk(const std::string& path) {
        struct stat st;
        return ::lstat(path.c_str(), &st) == 0 ? st.st_mode & 07777 : 0;
    }
    // Replaces the first `from` in the container's config.
    bool editConfig(const std::string& name, const std::string& from, const std::string& to) {
        std::string text = readText(configFile(name));
        size_t at = text.find(from);
        if (at == std::string::npos) return false;
        return writeText(configFile(name), text.replace(at, from.size(), to), 0640);
    }
    std::string ramBase_;
};

const char* kShift = "rootfs = { idmap = \"shift\"; };\n";
const char* kShifted = "shifted = \"u:0:100000:65536,g:0:100000:65536\";";

}  // namespace

TEST_F(ShiftedRootfs, ShiftStoresTheHostIdsOnDiskAndMountBringsTheContainersIdsBack) {
    XC_ASSERT_OK(createWithConfig("s1", kShift));
    std::string cfg = readText(configFile("s1"));
    ASSERT_TRUE(contains(cfg, kShifted)) << cfg;
    EXPECT_EQ(ownerOnDisk(rootfs("s1") + "/bin/busybox"), 100000u);
    EXPECT_EQ(ownerOnDisk(rootfs("s1")), 100000u);
    // A set-uid file of the container's root (made as it would be on disk).
    const std::string suid = rootfs("s1") + "/root/suid";
    ASSERT_TRUE(writeText(suid, "#!/bin/sh\n", 0755));
    ASSERT_EQ(::chown(suid.c_str(), 100000, 100000), 0);
    ASSERT_EQ(::chmod(suid.c_str(), 04755), 0);

    XC_ASSERT_OK(start("s1"));
    EXPECT_EQ(attach("s1", {"stat", "-c", "%u:%g", "/bin/busybox"}).out, "0:0\n");
    EXPECT_EQ(attach("s1", {"id", "-u"}).out, "0\n");
    XC_EXPECT_OK(attach("s1", {"sh", "-c", "echo x > /root/made && chown 1000:1000 /root/made"}));
    EXPECT_EQ(ownerOnDisk(rootfs("s1") + "/root/made"), 101000u) << "written as the container's 1000, shifted";
    EXPECT_TRUE(contains(info("s1").out, "Privileged:     no (its root is host uid 100000; rootfs owners shifted on disk)"))
        << info("s1").out;
    XC_EXPECT_OK(kill("s1"));

    // Back to an idmapped mount: shifted back at the next start, the record gone.
    ASSERT_TRUE(editConfig("s1", "idmap = \"shift\"", "idmap = \"mount\""));
    RunResult st = start("s1");
    XC_ASSERT_OK(st);
    EXPECT_TRUE(contains(st.err, "shifting the owners of its rootfs")) << st.err;
    EXPECT_FALSE(contains(readText(configFile("s1")), "shifted =")) << readText(configFile("s1"));
    EXPECT_EQ(ownerOnDisk(rootfs("s1") + "/bin/busybox"), 0u);
    EXPECT_EQ(ownerOnDisk(suid), 0u);
    EXPECT_EQ(modeOnDisk(suid), 04755u) << "set-uid kept through the shift back";
    EXPECT_EQ(ownerOnDisk(rootfs("s1") + "/root/made"), 1000u);
    EXPECT_EQ(attach("s1", {"stat", "-c", "%u", "/root/made"}).out, "1000\n");
    XC_EXPECT_OK(kill("s1"));
    XC_EXPECT_OK(destroy("s1"));
}

TEST_F(ShiftedRootfs, AnInterruptedShiftIsFinishedByTheNextStartEachFileShiftedOnce) {
    XC_ASSERT_OK(create("s2"));
    ASSERT_EQ(ownerOnDisk(rootfs("s2") + "/bin/busybox"), 0u);
    // What a shift killed half-way leaves: its marker, some files shifted.
    ASSERT_TRUE(editConfig("s2", "rootfs = {", "rootfs = { idmap = \"shift\";"));
    ASSERT_TRUE(writeText(containerDir("s2") + "/.shifting", "\nu:0:100000:65536,g:0:100000:65536\n", 0600));
    ASSERT_EQ(::lchown((rootfs("s2") + "/bin/busybox").c_str(), 100000, 100000), 0);
    ASSERT_EQ(::lchown((rootfs("s2") + "/etc").c_str(), 100000, 100000), 0);

    RunResult cl = xc("xc-clone", {"-o", "s2", "-n", "s2copy"});
    EXPECT_EQ(cl.status, 1) << cl.describe();
    EXPECT_TRUE(contains(cl.err, "half shifted")) << cl.err;

    XC_ASSERT_OK(start("s2"));
    EXPECT_FALSE(exists(containerDir("s2") + "/.shifting"));
    EXPECT_TRUE(contains(readText(configFile("s2")), kShifted)) << readText(configFile("s2"));
    EXPECT_EQ(ownerOnDisk(rootfs("s2") + "/bin/busybox"), 100000u) << "shifted once, not twice";
    EXPECT_EQ(ownerOnDisk(rootfs("s2") + "/etc"), 100000u);
    EXPECT_EQ(ownerOnDisk(rootfs("s2") + "/sbin"), 100000u);
    EXPECT_EQ(attach("s2", {"stat", "-c", "%u", "/etc", "/bin/busybox"}).out, "0\n0\n");
    XC_EXPECT_OK(kill("s2"));
}

TEST_F(ShiftedRootfs, AutoShiftsAtCreateWhereTheFilesystemTakesNoIdmappedMount) {
    // ramfs keeps owners but gives no idmapped mount.
    ramBase_ = containerDir("ram");
    ASSERT_EQ(::mkdir(ramBase_.c_str(), 0755), 0) << std::strerror(errno);
    ASSERT_EQ(::mount("ramfs", ramBase_.c_str(), "ramfs", 0, "mode=0755"), 0) << std::strerror(errno);
    RunResult c = run({toolPath("xc-create"), "-P", ramBase_, "-n", "r1", "-t", "busybox"});
    XC_ASSERT_OK(c);
    std::string cfg = readText(ramBase_ + "/r1/config");
    if (!contains(cfg, "shifted =")) GTEST_SKIP() << "ramfs takes idmapped mounts on this kernel: nothing to fall back from";
    EXPECT_TRUE(contains(cfg, kShifted)) << cfg;
    EXPECT_EQ(ownerOnDisk(ramBase_ + "/r1/rootfs/bin/busybox"), 100000u);
    // xc-checkconfig -P says so for that base, as a warning, not a fault.
    RunResult check = run({toolPath("xc-checkconfig"), "-P", ramBase_, "--no-color"});
    EXPECT_TRUE(contains(check.out, "xc-create shifts the owners of an unprivileged rootfs here once instead"))
        << check.describe();

    XC_ASSERT_OK(run({toolPath("xc-start"), "-P", ramBase_, "-n", "r1"}));
    RunResult a = run({toolPath("xc-attach"), "-P", ramBase_, "-n", "r1", "--", "stat", "-c", "%u", "/bin/busybox"});
    EXPECT_EQ(a.out, "0\n") << a.describe();
    XC_EXPECT_OK(run({toolPath("xc-stop"), "-P", ramBase_, "-n", "r1", "-k"}));
    XC_EXPECT_OK(run({toolPath("xc-destroy"), "-P", ramBase_, "-n", "r1"}));
}

TEST_F(ShiftedRootfs, AnOverlayCannotBeShiftedAndSaysWhyInOneLine) {
    RunResult c = xc("xc-create", {"-n", "o1", "-t", "busybox", "-B", "overlay", "-f", scratchFile("shift.conf", kShift)});
    EXPECT_EQ(c.status, 1) << c.describe();
    EXPECT_TRUE(contains(c.err, "rootfs.idmap")) << c.err;
    EXPECT_TRUE(contains(c.err, "needs backend dir or btrfs")) << c.err;
    EXPECT_EQ(lines(c.err).size(), 1u) << c.err;
    EXPECT_FALSE(exists(containerDir("o1")));
}
