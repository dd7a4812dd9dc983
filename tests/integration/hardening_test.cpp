// Hardening that holds whatever the container's mode: host-reaching /proc
// files, host-wide pools (ptys, memory through /dev/shm), syscalls and
// capabilities no container needs.
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "harness.hpp"

using namespace xcit;

namespace {

class Hardening : public XcTest {
protected:
    // Copies the probe program into the container's rootfs as /xc-it-probe.
    void installProbe(const std::string& name) {
        std::string dst = rootfs(name) + "/xc-it-probe";
        ASSERT_TRUE(writeText(dst, readText(XC_IT_PROBE), 0755)) << dst;
    }
    // The container init's capability set `field` (CapBnd, CapEff) as bits.
    unsigned long long caps(const std::string& name, const std::string& field) {
        RunResult r = attach(name, {"/bin/sh", "-c", "grep " + field + ": /proc/1/status"});
        EXPECT_TRUE(r.ok()) << r.describe();
        size_t colon = r.out.find(':');
        return colon == std::string::npos ? 0 : std::strtoull(r.out.c_str() + colon + 1, nullptr, 16);
    }
};

}  // namespace

TEST_F(Hardening, KernelSymbolsAndKeysAreMasked) {
    ASSERT_FALSE(readText("/proc/kallsyms").empty()) << "the host shows no kallsyms: nothing to compare";
    XC_ASSERT_OK(create("h1"));
    XC_ASSERT_OK(start("h1"));
    for (const char* f : {"/proc/kallsyms", "/proc/kmsg", "/proc/keys"}) {
        RunResult r = attach("h1", {"/bin/sh", "-c", std::string("wc -c < ") + f});
        XC_EXPECT_OK(r);
        EXPECT_EQ(r.out, "0\n") << f << " is not masked: " << r.describe();
    }
    XC_EXPECT_OK(kill("h1"));
}

TEST_F(Hardening, UserfaultfdIsRefused) {
    XC_ASSERT_OK(create("h2"));
    installProbe("h2");
    XC_ASSERT_OK(start("h2"));
    RunResult r = attach("h2", {"/xc-it-probe", "userfaultfd"});
    XC_EXPECT_OK(r);
    EXPECT_EQ(r.out, "userfaultfd: EPERM\n") << r.describe();
    XC_EXPECT_OK(kill("h2"));
}

TEST_F(Hardening, PtysPerContainerAreCapped) {
    XC_ASSERT_OK(create("h3"));
    installProbe("h3");
    XC_ASSERT_OK(start("h3"));
    // 1,500 opens used to succeed, drawing on the host-wide pty pool.
    RunResult r = attach("h3", {"/xc-it-probe", "ptys", "1500"});
    XC_EXPECT_OK(r);
    ASSERT_EQ(r.out.rfind("ptys: ", 0), 0u) << r.describe();
    int got = std::atoi(r.out.c_str() + 6);
    EXPECT_GT(got, 200) << r.describe();
    EXPECT_LE(got, 256) << "the devpts instance has no max=: " << r.describe();
    XC_EXPECT_OK(kill("h3"));
}

TEST_F(Hardening, DevShmIsSizedByTheMemoryLimit) {
    XC_ASSERT_OK(createWithConfig("h4", "cgroup = { memory = { max = \"64M\"; }; };\n"));
    XC_ASSERT_OK(start("h4"));
    RunResult r = attach("h4", {"/bin/sh", "-c", "grep ' /dev/shm ' /proc/mounts"});
    XC_EXPECT_OK(r);
    EXPECT_TRUE(contains(r.out, "size=65536k")) << r.describe();
    XC_EXPECT_OK(kill("h4"));

    XC_ASSERT_OK(create("h5"));
    XC_ASSERT_OK(start("h5"));
    RunResult u = attach("h5", {"/bin/sh", "-c", "grep ' /dev/shm ' /proc/mounts"});
    XC_EXPECT_OK(u);
    EXPECT_TRUE(contains(u.out, "size=")) << "no memory limit, and /dev/shm is unbounded: " << u.describe();
    XC_EXPECT_OK(kill("h5"));
}

TEST_F(Hardening, CapabilitiesNoContainerNeedsAreDroppedWhateverCapDropSays) {
    // cap_drop empty: the built-in list still goes.
    XC_ASSERT_OK(createWithConfig("h6", "security = { cap_drop = [ ]; };\n"));
    XC_ASSERT_OK(start("h6"));
    unsigned long long bnd = caps("h6", "CapBnd");
    for (int cap : {16 /* sys_module */, 17 /* sys_rawio */, 25 /* sys_time */, 32 /* mac_override */,
                    33 /* mac_admin */, 34 /* syslog */, 35 /* wake_alarm */})
        EXPECT_FALSE(bnd & (1ull << cap)) << "capability " << cap << " is in the bounding set " << std::hex << bnd;
    EXPECT_TRUE(bnd & (1ull << 22)) << "sys_boot must stay: reboot(2) in a pid namespace only ends the init";
    EXPECT_TRUE(bnd & (1ull << 21)) << "sys_admin is not dropped by default";
    XC_EXPECT_OK(kill("h6"));
}
