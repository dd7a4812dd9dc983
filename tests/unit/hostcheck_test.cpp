// The judging half of xc-checkconfig's probes, from given text and facts:
// cgroup layouts (v1, hybrid, v2) and what was found in them, /proc parsers,
// the link probe's report, and what this xc does not support yet. Pure: the
// real probe of this host is an integration test.
#include <gtest/gtest.h>

#include "cgroup/probe.hpp"
#include "config/unsupported.hpp"
#include "mount/probe.hpp"
#include "net/probe.hpp"
#include "pty/probe.hpp"
#include "security/probe.hpp"

using namespace xc;
using St = ProbeItem::Status;

namespace {

const char* const kHybrid = R"(30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
)";
// A v1 host without the memory controller mounted, cpu and cpuacct co-mounted.
const char* const kV1NoMemory = R"(24 18 0:20 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:7 - tmpfs tmpfs ro,mode=755
27 24 0:23 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
29 24 0:25 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpuset
31 24 0:27 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,freezer
32 24 0:28 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,devices
33 24 0:29 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,pids
)";
const char* const kV2 = R"(26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate
)";
const char* const kProcCgroups = "#subsys_name\thierarchy\tnum_cgroups\tenabled\n"
                                 "cpuset\t3\t1\t1\ncpu\t4\t1\t1\ncpuacct\t5\t1\t1\nmemory\t6\t1\t0\n"
                                 "devices\t7\t1\t1\nfreezer\t8\t1\t1\npids\t9\t1\t1\n";

std::vector<ProbeItem> cgroupItems(const CgroupLayout& layout, const CgroupFacts& f) {
    std::vector<ProbeItem> items;
    ProbeList out(items);
    out.section("Cgroups");
    reportCgroups(out, layout, f);
    return items;
}

const ProbeItem& find(const std::vector<ProbeItem>& items, const std::string& name) {
    for (const auto& i : items)
        if (i.name == name) return i;
    static const ProbeItem none{"", "(none)", St::Info, "", "", false};
    ADD_FAILURE() << "no item " << name;
    return none;
}

UnifiedFiles allFiles(const std::string& where) {
    UnifiedFiles u;
    u.known = u.freeze = u.kill = u.swapMax = u.memoryOn = true;
    u.where = where;
    return u;
}

}  // namespace

TEST(CgroupProbe, ParsesProcCgroupsAndTheUnifiedGroup) {
    auto m = parseProcCgroups(kProcCgroups);
    EXPECT_EQ(m.size(), 7u);
    EXPECT_TRUE(m["cpu"].listed && m["cpu"].enabled);
    EXPECT_TRUE(m["memory"].listed);
    EXPECT_FALSE(m["memory"].enabled);
    EXPECT_EQ(m.count("#subsys_name"), 0u);
    EXPECT_EQ(unifiedGroupOf("12:freezer:/\n1:name=systemd:/init.scope\n0::/user.slice/session-1.scope\n"),
              "/user.slice/session-1.scope");
    EXPECT_EQ(unifiedGroupOf("12:freezer:/x\n"), "");
}

TEST(CgroupProbe, HybridWithEveryFeature) {
    CgroupFacts f;
    f.proc = parseProcCgroups(kProcCgroups);
    f.unified = allFiles("/sys/fs/cgroup/unified/xc");
    f.memsw = true;
    auto items = cgroupItems(CgroupLayout::fromMountinfo(kHybrid, ""), f);
    EXPECT_EQ(find(items, "layout").status, St::Info);
    EXPECT_NE(find(items, "layout").detail.find("cgroup2 at /sys/fs/cgroup/unified"), std::string::npos);
    EXPECT_EQ(find(items, "/sys/fs/cgroup/cpu").detail, "v1, controllers: cpu");
    EXPECT_EQ(find(items, "memory").detail, "v1 at /sys/fs/cgroup/memory");
    const ProbeItem& freezer = find(items, "freezer");
    EXPECT_EQ(freezer.status, St::Ok);
    EXPECT_TRUE(freezer.required);
    EXPECT_EQ(freezer.detail,
              "v1 at /sys/fs/cgroup/freezer; cgroup.freeze on /sys/fs/cgroup/unified; xc uses cgroup.freeze");
    EXPECT_EQ(find(items, "cgroup.kill").status, St::Ok);
    EXPECT_EQ(find(items, "swap accounting").detail, "memory.memsw.limit_in_bytes");
    EXPECT_EQ(countRequiredMissing(items), 0u);
}

TEST(CgroupProbe, HybridWithoutALookAtTheUnifiedGroupIsUnverified) {
    CgroupFacts f;
    f.unified.why = "mkdir /sys/fs/cgroup/unified/x: EACCES: Permission denied";
    auto items = cgroupItems(CgroupLayout::fromMountinfo(kHybrid, ""), f);
    const ProbeItem& freezer = find(items, "freezer");
    EXPECT_EQ(freezer.status, St::Ok);
    EXPECT_NE(freezer.detail.find("cgroup.freeze, which xc prefers, is unverified"), std::string::npos);
    EXPECT_EQ(find(items, "cgroup.freeze").status, St::Warn);
    EXPECT_EQ(find(items, "cgroup.freeze").detail, "could not verify: " + f.unified.why);
    EXPECT_EQ(find(items, "swap accounting").status, St::Warn);
}

TEST(CgroupProbe, PureV2) {
    CgroupFacts f;
    f.unified = allFiles("/sys/fs/cgroup/init.scope");
    f.unified.kill = false;
    f.unified.swapMax = false;
    auto items = cgroupItems(CgroupLayout::fromMountinfo(kV2, "cpuset cpu io memory pids\n"), f);
    EXPECT_EQ(find(items, "memory").detail, "cgroup2 at /sys/fs/cgroup");
    EXPECT_EQ(find(items, "cpuacct").status, St::Ok);
    EXPECT_EQ(find(items, "devices").status, St::Warn);
    EXPECT_EQ(find(items, "freezer").detail, "cgroup.freeze on /sys/fs/cgroup");
    EXPECT_EQ(find(items, "cgroup.kill").status, St::Warn);
    EXPECT_EQ(find(items, "cgroup.kill").fix, "Linux 5.14 or newer");
    EXPECT_EQ(find(items, "swap accounting").status, St::Warn);
    EXPECT_EQ(countRequiredMissing(items), 0u);

    f.unified.freeze = false;  // Linux < 5.2: no freezer at all on a v2 host
    items = cgroupItems(CgroupLayout::fromMountinfo(kV2, "cpuset cpu io memory pids\n"), f);
    EXPECT_EQ(find(items, "freezer").status, St::Missing);
    EXPECT_EQ(find(items, "freezer").fix, "Linux 5.2 or newer, or rebuild the kernel with CONFIG_CGROUP_FREEZER=y");
    EXPECT_EQ(countRequiredMissing(items), 1u);
}

TEST(CgroupProbe, V1WithAControllerMissingSaysHowToGetIt) {
    CgroupFacts f;
    f.proc = parseProcCgroups(kProcCgroups);  // memory: disabled on the command line
    auto items = cgroupItems(CgroupLayout::fromMountinfo(kV1NoMemory, ""), f);
    EXPECT_EQ(find(items, "cpu").detail, "v1 at /sys/fs/cgroup/cpu,cpuacct");
    EXPECT_EQ(find(items, "memory").status, St::Missing);
    EXPECT_EQ(find(items, "memory").fix, "remove cgroup_disable=memory from the kernel command line");
    EXPECT_EQ(find(items, "freezer").detail, "v1 at /sys/fs/cgroup/freezer");
    EXPECT_EQ(find(items, "cgroup.freeze").status, St::Info);
    EXPECT_EQ(find(items, "swap accounting").status, St::Missing);

    f.proc.erase("memory");  // not built in
    items = cgroupItems(CgroupLayout::fromMountinfo(kV1NoMemory, ""), f);
    EXPECT_EQ(find(items, "memory").fix, "rebuild the kernel with CONFIG_MEMCG=y");
    f.proc = parseProcCgroups("memory\t0\t1\t1\n");  // built in, enabled, not mounted
    items = cgroupItems(CgroupLayout::fromMountinfo(kV1NoMemory, ""), f);
    EXPECT_EQ(find(items, "memory").fix,
              "mount it: mkdir -p /sys/fs/cgroup/memory && mount -t cgroup -o memory cgroup /sys/fs/cgroup/memory");
}

TEST(HostProbeParsers, ProcFilesystems) {
    auto fs = parseProcFilesystems("nodev\tsysfs\nnodev\tproc\n\text4\nnodev\toverlay\n\n");
    EXPECT_EQ(fs, (std::set<std::string>{"sysfs", "proc", "ext4", "overlay"}));
}

TEST(HostProbeParsers, CapabilityBits) {
    const std::string status = "Name:\tcat\nCapEff:\t000001ffffffffff\nCapBnd:\t0000000000200000\n";
    bool found = false;
    EXPECT_TRUE(capabilityBit(status, "CapEff", 21, &found));
    EXPECT_TRUE(found);
    EXPECT_FALSE(capabilityBit(status, "CapBnd", 24, &found));
    EXPECT_TRUE(found);
    EXPECT_TRUE(capabilityBit(status, "CapBnd", 21, &found));
    EXPECT_FALSE(capabilityBit(status, "CapPrm", 21, &found));
    EXPECT_FALSE(found);
}

TEST(HostProbeParsers, LinkProbeReportRoundTrips) {
    LinkProbe p;
    p.veth = 0;
    p.bridge = EOPNOTSUPP;
    p.dummy = 0;
    p.macvlan = 0;
    p.macvlanOn = "dummy";
    LinkProbe q;
    ASSERT_TRUE(parseLinkProbe(formatLinkProbe(p), q));
    EXPECT_EQ(q.veth, 0);
    EXPECT_EQ(q.bridge, EOPNOTSUPP);
    EXPECT_EQ(q.macvlanOn, "dummy");
    LinkProbe none;
    ASSERT_TRUE(parseLinkProbe(formatLinkProbe(none), q));
    EXPECT_EQ(q.macvlan, -1);
    EXPECT_EQ(q.macvlanOn, "");
    EXPECT_FALSE(parseLinkProbe("socket 13", q));
}

TEST(Unsupported, TheListAndTheRefusalAgree) {
    // The overlay backend is supported now: nothing is listed or refused.
    EXPECT_TRUE(unsupportedFeatures().empty());
    ContainerConfig c;
    EXPECT_TRUE(checkSupported(c).ok());
    c.rootfsBackend = "overlay";
    EXPECT_TRUE(checkSupported(c).ok());
    // idmap (unprivileged containers) is supported now.
    c.rootfsBackend = "dir";
    c.idmap.push_back(IdMap{});
    EXPECT_TRUE(checkSupported(c).ok());
}

// This host's defaults (4096, 1024 reserved): 3072 ptys for containers, 614
// with a console and 4 ttys; the fix names a pty.max that fits 1000.
TEST(PtyLimits, DefaultPtyMaxFitsSixHundredContainersAndSaysTheSysctl) {
    std::vector<ProbeItem> items;
    ProbeList out(items);
    ptyLimitItem(out, PtyLimits{4096, 1024, 12});
    ASSERT_EQ(items.size(), 1u);
    EXPECT_EQ(items[0].status, St::Warn);
    EXPECT_NE(items[0].detail.find("614 containers"), std::string::npos) << items[0].detail;
    EXPECT_NE(items[0].detail.find("12 ptys in use"), std::string::npos) << items[0].detail;
    EXPECT_NE(items[0].fix.find("sysctl -w kernel.pty.max=16384"), std::string::npos) << items[0].fix;

    items.clear();
    ptyLimitItem(out, PtyLimits{16384, 1024, -1});
    EXPECT_EQ(items[0].status, St::Ok) << items[0].detail;
    EXPECT_NE(items[0].detail.find("3072 containers"), std::string::npos) << items[0].detail;

    items.clear();  // more ttys, more containers wanted: the fix grows with them
    ptyLimitItem(out, PtyLimits{16384, 1024, -1}, 12, 2000);
    EXPECT_EQ(items[0].status, St::Warn);
    EXPECT_NE(items[0].fix.find("kernel.pty.max=" + std::to_string(1024 + 2000 * 14)), std::string::npos) << items[0].fix;

    items.clear();
    ptyLimitItem(out, PtyLimits{});
    EXPECT_EQ(items[0].status, St::Warn);
}

TEST(PtyLimits, AnUsedUpHostPoolIsNamedWithItsSysctlAndAFullDevptsIsNot) {
    // 3072 of the 4096 are for containers, 3071 in use: the host's pool.
    Error host = ptyExhaustedError("open /dev/pts/ptmx", PtyLimits{4096, 1024, 3071}, 256);
    EXPECT_EQ(host.code(), ENOSPC);
    EXPECT_NE(host.what().find("no pty left on the host: 3071 in use of kernel.pty.max = 4096"), std::string::npos)
        << host.what();
    EXPECT_NE(host.hint().find("sysctl -w kernel.pty.max=16384"), std::string::npos) << host.hint();

    // The pool has room: the container's own devpts max was reached.
    Error own = ptyExhaustedError("open /dev/pts/ptmx", PtyLimits{4096, 1024, 300}, 256);
    EXPECT_NE(own.what().find("no pty left in the container's devpts (its max is 256"), std::string::npos) << own.what();
    EXPECT_EQ(own.what().find("kernel.pty.max"), std::string::npos) << own.what();

    Error unknown = ptyExhaustedError("open /dev/pts/ptmx", PtyLimits{}, 256);
    EXPECT_NE(unknown.what().find("kernel.pty.max"), std::string::npos) << unknown.what();
}
