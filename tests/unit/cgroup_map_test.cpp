// cgroup layout detection and vocabulary mapping: pure logic, no root.
#include <gtest/gtest.h>

#include <algorithm>

#include "cgroup/cgroup.hpp"
#include "config/config_internal.hpp"
#include "config/config_table.hpp"

using namespace xc;

namespace {

// /proc/self/mountinfo of the development machine (hybrid; cpu and cpuacct
// are separate hierarchies; cgroup2 at /sys/fs/cgroup/unified with hugetlb).
const char* const kHybridHere = R"(21 26 0:20 / /proc rw,relatime - proc proc rw
22 26 0:21 / /sys rw,relatime - sysfs sysfs rw
23 26 0:6 / /dev rw,relatime - devtmpfs devtmpfs rw,size=12334416k,nr_inodes=3083604,mode=755
24 23 0:22 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24683620k
25 23 0:23 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000
26 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
27 26 0:24 / /mnt/sandboxing/model_tools_env/v1/python ro,nosuid,nodev,relatime - tmpfs model_tools_unavailable ro,size=4k,mode=755
28 25 0:25 / /dev/pts rw,relatime - devpts devpts rw,mode=600,ptmxmode=000
29 24 0:26 / /dev/shm rw,relatime - tmpfs tmpfs rw,size=24683620k
30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct
33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
62 26 254:0 /run/netns /run/netns rw,relatime shared:1 - ext4 /dev/vda rw,discard,resv_strict,resuid=65534,resgid=65534
)";

// A pure v1 host in the CentOS 7 style: cpu,cpuacct and net_cls,net_prio
// co-mounted, systemd's named hierarchy with xattr and release_agent.
const char* const kV1 = R"(18 60 0:17 / /sys rw,nosuid,nodev,noexec,relatime shared:6 - sysfs sysfs rw
24 18 0:20 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:7 - tmpfs tmpfs ro,mode=755
25 24 0:21 / /sys/fs/cgroup/systemd rw,nosuid,nodev,noexec,relatime shared:8 - cgroup cgroup rw,xattr,release_agent=/usr/lib/systemd/systemd-cgroups-agent,name=systemd
27 24 0:23 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid,nodev,noexec,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
28 24 0:24 / /sys/fs/cgroup/memory rw,nosuid,nodev,noexec,relatime shared:10 - cgroup cgroup rw,memory
29 24 0:25 / /sys/fs/cgroup/cpuset rw,nosuid,nodev,noexec,relatime shared:11 - cgroup cgroup rw,cpuset,clone_children
30 24 0:26 / /sys/fs/cgroup/net_cls,net_prio rw,nosuid,nodev,noexec,relatime shared:12 - cgroup cgroup rw,net_cls,net_prio
31 24 0:27 / /sys/fs/cgroup/freezer rw,nosuid,nodev,noexec,relatime shared:13 - cgroup cgroup rw,freezer
32 24 0:28 / /sys/fs/cgroup/devices rw,nosuid,nodev,noexec,relatime shared:14 - cgroup cgroup rw,devices
33 24 0:29 / /sys/fs/cgroup/pids rw,nosuid,nodev,noexec,relatime shared:15 - cgroup cgroup rw,pids
34 24 0:30 / /sys/fs/cgroup/blkio rw,nosuid,nodev,noexec,relatime shared:16 - cgroup cgroup rw,blkio
60 1 253:0 / / rw,relatime shared:1 - xfs /dev/mapper/root rw,attr2,inode64,noquota
)";

// A pure v2 host (Debian 12 default).
const char* const kV2 = R"(22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw
26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot
28 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro
)";
const char* const kV2Controllers = "cpuset cpu io memory hugetlb pids rdma misc\n";

CgroupLayout hybrid() {
    return CgroupLayout::fromMountinfo(kHybridHere, "hugetlb\n");
}
CgroupLayout v1() {
    return CgroupLayout::fromMountinfo(kV1, "");
}
CgroupLayout v2() {
    return CgroupLayout::fromMountinfo(kV2, kV2Controllers);
}

std::vector<CgroupWrite> mapOk(const CgroupLayout& l, const std::string& key, const std::string& value) {
    auto r = mapCgroupKey(l, key, value);
    EXPECT_TRUE(r.ok()) << key << "=" << value << ": " << (r.ok() ? "" : r.error().message());
    return r.ok() ? *r : std::vector<CgroupWrite>{};
}

// "controller:file=value" of each write, for compact comparisons.
std::vector<std::string> show(const std::vector<CgroupWrite>& ws) {
    std::vector<std::string> out;
    for (const auto& w : ws) out.push_back(w.controller + ":" + w.file + "=" + w.value);
    return out;
}

using V = std::vector<std::string>;

}  // namespace

// ---- layout ----------------------------------------------------------------

TEST(CgroupLayout, HybridHere) {
    CgroupLayout l = hybrid();
    EXPECT_EQ(l.mode(), CgroupMode::Hybrid);
    EXPECT_STREQ(cgroupModeName(l.mode()), "hybrid");
    ASSERT_EQ(l.hierarchies().size(), 10u);
    for (const char* c : {"cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"}) {
        const CgroupHierarchy* h = l.forController(c);
        ASSERT_NE(h, nullptr) << c;
        EXPECT_EQ(h->mountPoint, std::string("/sys/fs/cgroup/") + c);
        EXPECT_EQ(h->controllers, V{c});
        EXPECT_FALSE(h->unified);
    }
    // cpu and cpuacct are separate hierarchies here.
    EXPECT_NE(l.forController("cpu"), l.forController("cpuacct"));
    ASSERT_NE(l.forController("name=systemd"), nullptr);
    EXPECT_EQ(l.forController("name=systemd")->mountPoint, "/sys/fs/cgroup/systemd");
    ASSERT_NE(l.unified(), nullptr);
    EXPECT_EQ(l.unified()->mountPoint, "/sys/fs/cgroup/unified");
    EXPECT_EQ(l.unified()->controllers, V{"hugetlb"});
    EXPECT_EQ(l.forController("hugetlb"), l.unified());  // only on unified
    EXPECT_EQ(l.forController(""), l.unified());
    EXPECT_EQ(l.forController("rdma"), nullptr);
    EXPECT_EQ(l.freezer(), CgroupFreezer::Unified);
}

TEST(CgroupLayout, V1) {
    CgroupLayout l = v1();
    EXPECT_EQ(l.mode(), CgroupMode::V1);
    EXPECT_EQ(l.unified(), nullptr);
    EXPECT_EQ(l.hierarchies().size(), 9u);
    ASSERT_NE(l.forController("cpu"), nullptr);
    EXPECT_EQ(l.forController("cpu"), l.forController("cpuacct"));
    EXPECT_EQ(l.forController("cpu")->mountPoint, "/sys/fs/cgroup/cpu,cpuacct");
    EXPECT_EQ(l.forController("cpuset")->controllers, V{"cpuset"});  // clone_children is an option
    const CgroupHierarchy* sd = l.forController("name=systemd");
    ASSERT_NE(sd, nullptr);
    EXPECT_EQ(sd->controllers, V{"name=systemd"});  // xattr, release_agent= dropped
    EXPECT_EQ(l.forController("net_prio"), l.forController("net_cls"));
    EXPECT_EQ(l.forController("hugetlb"), nullptr);
    EXPECT_EQ(l.forController(""), nullptr);
    EXPECT_EQ(l.freezer(), CgroupFreezer::V1);
}

TEST(CgroupLayout, V2) {
    CgroupLayout l = v2();
    EXPECT_EQ(l.mode(), CgroupMode::V2);
    ASSERT_EQ(l.hierarchies().size(), 1u);
    ASSERT_NE(l.unified(), nullptr);
    EXPECT_EQ(l.unified()->mountPoint, "/sys/fs/cgroup");
    EXPECT_TRUE(l.unified()->unified);
    for (const char* c : {"cpuset", "cpu", "io", "memory", "pids", "misc"})
        EXPECT_EQ(l.forController(c), l.unified()) << c;
    EXPECT_EQ(l.forController("freezer"), nullptr);
    EXPECT_EQ(l.forController("cpuacct"), nullptr);
    EXPECT_EQ(l.freezer(), CgroupFreezer::Unified);
}

TEST(CgroupLayout, SystemdHybridWithEmptyUnified) {
    std::string mi = std::string(kV1) +
                     "26 24 0:22 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:5 - cgroup2 cgroup2 "
                     "rw,nsdelegate\n";
    CgroupLayout l = CgroupLayout::fromMountinfo(mi, "");
    EXPECT_EQ(l.mode(), CgroupMode::Hybrid);
    ASSERT_NE(l.unified(), nullptr);
    EXPECT_TRUE(l.unified()->controllers.empty());
    EXPECT_EQ(l.forController("memory")->mountPoint, "/sys/fs/cgroup/memory");
}

TEST(CgroupLayout, HybridPrefersV1ButFallsBackToUnified) {
    // memory only on v1, pids only on unified.
    const char* mi =
        "1 0 0:1 / /cg/memory rw - cgroup cgroup rw,memory\n"
        "2 0 0:2 / /cg/unified rw - cgroup2 cgroup2 rw\n";
    CgroupLayout l = CgroupLayout::fromMountinfo(mi, "memory pids");
    EXPECT_EQ(l.forController("memory")->mountPoint, "/cg/memory");
    EXPECT_EQ(l.forController("pids")->mountPoint, "/cg/unified");
    EXPECT_EQ(show(mapOk(l, "pids.max", "10")), V{"pids:pids.max=10"});
    EXPECT_EQ(show(mapOk(l, "memory.max", "max")), V{"memory:memory.limit_in_bytes=-1"});
}

TEST(CgroupLayout, BindMountsAndEscapes) {
    // The same hierarchy bind-mounted twice, one at a sub-directory; a mount
    // point with a space (\040).
    const char* mi =
        "1 0 0:5 /lxc/c1 /var/lib/x/sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
        "2 0 0:5 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
        "3 0 0:6 / /my\\040cgroups/pids rw shared:3 master:1 - cgroup cgroup rw,pids\n"
        "bogus line\n";
    CgroupLayout l = CgroupLayout::fromMountinfo(mi, "");
    EXPECT_EQ(l.mode(), CgroupMode::V1);
    ASSERT_EQ(l.hierarchies().size(), 2u);
    EXPECT_EQ(l.forController("memory")->mountPoint, "/sys/fs/cgroup/memory");
    EXPECT_EQ(l.forController("pids")->mountPoint, "/my cgroups/pids");
}

TEST(CgroupLayout, NoCgroups) {
    CgroupLayout l = CgroupLayout::fromMountinfo("26 1 254:0 / / rw - ext4 /dev/vda rw\n", "");
    EXPECT_TRUE(l.hierarchies().empty());
    EXPECT_EQ(l.forController("memory"), nullptr);
    EXPECT_EQ(l.freezer(), CgroupFreezer::None);
}

TEST(CgroupLayout, DetectThisHost) {
    auto l = CgroupLayout::detect();
    ASSERT_TRUE(l.ok()) << l.error().message();
    EXPECT_FALSE(l->hierarchies().empty());
}

// ---- conversions -------------------------------------------------------------

TEST(CgroupConvert, SharesWeight) {
    EXPECT_EQ(cpuSharesFromWeight(100), 1024u);
    EXPECT_EQ(cpuSharesFromWeight(1), 10u);
    EXPECT_EQ(cpuSharesFromWeight(50), 512u);
    EXPECT_EQ(cpuSharesFromWeight(10000), 102400u);
    EXPECT_EQ(cpuSharesFromWeight(0), 2u);  // clamped
    EXPECT_EQ(cpuWeightFromShares(1024), 100u);
    EXPECT_EQ(cpuWeightFromShares(2), 1u);
    EXPECT_EQ(cpuWeightFromShares(262144), 10000u);
    EXPECT_EQ(cpuWeightFromShares(1000000), 10000u);
    for (uint64_t w = 1; w <= 10000; ++w) {
        uint64_t s = cpuSharesFromWeight(w);
        ASSERT_GE(s, 2u);
        ASSERT_LE(s, 262144u);
        ASSERT_EQ(cpuWeightFromShares(s), w) << "weight " << w << " shares " << s;
    }
}

TEST(CgroupConvert, CpuMax) {
    auto m = parseCpuMax("50000 100000");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->quotaUs, 50000);
    EXPECT_EQ(m->periodUs, 100000u);
    m = parseCpuMax("max");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->quotaUs, -1);
    EXPECT_EQ(m->periodUs, 100000u);
    m = parseCpuMax("-1 20000");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->quotaUs, -1);
    EXPECT_EQ(m->periodUs, 20000u);
    m = parseCpuMax("  25000 ");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(m->quotaUs, 25000);
    for (const char* bad : {"", "half", "50000 100000 3", "999 100000", "50000 999", "50000 1000001", "-5 100000",
                            "50000 max", "1.5 100000"}) {
        auto r = parseCpuMax(bad);
        EXPECT_FALSE(r.ok()) << "'" << bad << "'";
        if (!r.ok()) {
            EXPECT_EQ(r.error().code(), EINVAL);
        }
    }
}

TEST(CgroupConvert, Bytes) {
    EXPECT_EQ(*parseCgroupBytes("memory.max", "4096"), 4096u);
    EXPECT_EQ(*parseCgroupBytes("memory.max", "64M"), 64u << 20);
    EXPECT_EQ(*parseCgroupBytes("memory.max", "1G"), 1u << 30);
    EXPECT_EQ(*parseCgroupBytes("memory.max", "1.5G"), 3u << 29);
    EXPECT_EQ(*parseCgroupBytes("memory.max", "2k"), 2048u);
    EXPECT_EQ(*parseCgroupBytes("memory.max", "2KiB"), 2048u);
    EXPECT_EQ(*parseCgroupBytes("memory.max", "max"), UINT64_MAX);
    EXPECT_EQ(*parseCgroupBytes("memory.max", "-1"), UINT64_MAX);
    for (const char* bad : {"", "lots", "1.5", "12Q", "-5", "1..2G", "99999999999999999999G", "M"}) {
        auto r = parseCgroupBytes("memory.max", bad);
        EXPECT_FALSE(r.ok()) << bad;
        if (!r.ok()) {
            EXPECT_EQ(r.error().code(), EINVAL);
            EXPECT_NE(r.error().message().find("memory.max"), std::string::npos);
        }
    }
}

// ---- vocabulary on v1 (this machine) and v2 --------------------------------------

TEST(CgroupMap, MemoryV1) {
    CgroupLayout l = hybrid();
    EXPECT_EQ(show(mapOk(l, "memory.max", "64M")), V{"memory:memory.limit_in_bytes=67108864"});
    EXPECT_EQ(show(mapOk(l, "memory.max", "max")), V{"memory:memory.limit_in_bytes=-1"});
    EXPECT_EQ(show(mapOk(l, "memory.high", "32M")), V{"memory:memory.soft_limit_in_bytes=33554432"});
    EXPECT_EQ(show(mapOk(l, "memory.high", "max")), V{"memory:memory.soft_limit_in_bytes=-1"});
    // Swap on v1 needs the memory limit: only through settings or Cgroup::set.
    EXPECT_FALSE(mapCgroupKey(l, "memory.swap.max", "1G").ok());
    EXPECT_FALSE(mapCgroupKey(l, "memory.max", "lots").ok());
}

TEST(CgroupMap, MemoryV2) {
    CgroupLayout l = v2();
    EXPECT_EQ(show(mapOk(l, "memory.max", "64M")), V{"memory:memory.max=67108864"});
    EXPECT_EQ(show(mapOk(l, "memory.max", "-1")), V{"memory:memory.max=max"});
    EXPECT_EQ(show(mapOk(l, "memory.high", "1G")), V{"memory:memory.high=1073741824"});
    auto ws = mapOk(l, "memory.swap.max", "128M");
    EXPECT_EQ(show(ws), V{"memory:memory.swap.max=134217728"});
    ASSERT_EQ(ws.size(), 1u);
    EXPECT_TRUE(ws[0].optional);
    EXPECT_EQ(show(mapOk(l, "memory.swap.max", "max")), V{"memory:memory.swap.max=max"});
}

TEST(CgroupMap, CpuV1) {
    CgroupLayout l = hybrid();
    EXPECT_EQ(show(mapOk(l, "cpu.weight", "100")), V{"cpu:cpu.shares=1024"});
    EXPECT_EQ(show(mapOk(l, "cpu.weight", "200")), V{"cpu:cpu.shares=2048"});
    EXPECT_EQ(show(mapOk(l, "cpu.max", "50000 100000")),
              (V{"cpu:cpu.cfs_period_us=100000", "cpu:cpu.cfs_quota_us=50000"}));
    EXPECT_EQ(show(mapOk(l, "cpu.max", "max 200000")), (V{"cpu:cpu.cfs_period_us=200000", "cpu:cpu.cfs_quota_us=-1"}));
    EXPECT_EQ(show(mapOk(l, "cpu.max", "30000")), (V{"cpu:cpu.cfs_period_us=100000", "cpu:cpu.cfs_quota_us=30000"}));
    for (const char* bad : {"0", "10001", "-1", "x", ""}) EXPECT_FALSE(mapCgroupKey(l, "cpu.weight", bad).ok()) << bad;
    EXPECT_FALSE(mapCgroupKey(l, "cpu.max", "50000 10").ok());
}

TEST(CgroupMap, CpuV2) {
    CgroupLayout l = v2();
    EXPECT_EQ(show(mapOk(l, "cpu.weight", "100")), V{"cpu:cpu.weight=100"});
    EXPECT_EQ(show(mapOk(l, "cpu.weight", "10000")), V{"cpu:cpu.weight=10000"});
    EXPECT_EQ(show(mapOk(l, "cpu.max", "50000 100000")), V{"cpu:cpu.max=50000 100000"});
    EXPECT_EQ(show(mapOk(l, "cpu.max", "max")), V{"cpu:cpu.max=max 100000"});
    EXPECT_EQ(show(mapOk(l, "cpu.max", "-1 50000")), V{"cpu:cpu.max=max 50000"});
}

TEST(CgroupMap, CpusetAndPids) {
    for (const CgroupLayout& l : {hybrid(), v1(), v2()}) {
        EXPECT_EQ(show(mapOk(l, "cpuset.cpus", "0-1,3")), V{"cpuset:cpuset.cpus=0-1,3"});
        EXPECT_EQ(show(mapOk(l, "cpuset.mems", "0")), V{"cpuset:cpuset.mems=0"});
        EXPECT_EQ(show(mapOk(l, "pids.max", "10")), V{"pids:pids.max=10"});
        EXPECT_EQ(show(mapOk(l, "pids.max", "max")), V{"pids:pids.max=max"});
        EXPECT_EQ(show(mapOk(l, "pids.max", "-1")), V{"pids:pids.max=max"});
        for (const char* bad : {"", "a", "1-", "3-1", "0,,1", "0,", "-1"})
            EXPECT_FALSE(mapCgroupKey(l, "cpuset.cpus", bad).ok()) << bad;
        EXPECT_FALSE(mapCgroupKey(l, "pids.max", "ten").ok());
        EXPECT_FALSE(mapCgroupKey(l, "pids.max", "-2").ok());
    }
}

TEST(CgroupMap, V1CoMountedCpu) {
    CgroupLayout l = v1();
    auto ws = mapOk(l, "cpu.weight", "50");
    EXPECT_EQ(show(ws), V{"cpu:cpu.shares=512"});
    ASSERT_NE(l.forController(ws[0].controller), nullptr);
    EXPECT_EQ(l.forController(ws[0].controller)->mountPoint, "/sys/fs/cgroup/cpu,cpuacct");
}

TEST(CgroupMap, Raw) {
    CgroupLayout l = hybrid();
    EXPECT_EQ(show(mapOk(l, "memory.swappiness", "0")), V{"memory:memory.swappiness=0"});
    EXPECT_EQ(show(mapOk(l, "memory.limit_in_bytes", "1048576")), V{"memory:memory.limit_in_bytes=1048576"});
    EXPECT_EQ(show(mapOk(l, "devices.allow", "c 1:3 rwm")), V{"devices:devices.allow=c 1:3 rwm"});
    EXPECT_EQ(show(mapOk(l, "cpuacct.usage", "0")), V{"cpuacct:cpuacct.usage=0"});
    EXPECT_EQ(show(mapOk(l, "hugetlb.2MB.max", "0")), V{"hugetlb:hugetlb.2MB.max=0"});  // unified only
    EXPECT_EQ(show(mapOk(l, "cgroup.max.depth", "5")), V{":cgroup.max.depth=5"});       // cgroup2 core file
    EXPECT_EQ(show(mapOk(v2(), "io.weight", "default 200")), V{"io:io.weight=default 200"});
    // Controllers the host lacks.
    auto r = mapCgroupKey(l, "rdma.max", "x");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code(), ENOENT);
    EXPECT_FALSE(mapCgroupKey(v1(), "cgroup.max.depth", "5").ok());
    EXPECT_FALSE(mapCgroupKey(v2(), "freezer.state", "FROZEN").ok());
}

TEST(CgroupMap, RawRefusals) {
    for (const CgroupLayout& l : {hybrid(), v1(), v2()}) {
        for (const char* key : {"cgroup.procs",
                                "tasks",
                                "cgroup.subtree_control",
                                "release_agent",
                                "notify_on_release",
                                "cgroup.clone_children",
                                "cgroup.threads",
                                "cgroup.kill",
                                // The runtime list once lacked these three that config validation refused.
                                "cgroup.freeze",
                                "freezer.state",
                                "cgroup.type",
                                "../memory.max",
                                "memory/../../x",
                                "memory..max",
                                "/memory.max",
                                "memory.",
                                ".max",
                                "memory",
                                "",
                                "mem ory.max",
                                "memory.current",
                                "pids.current",
                                "cpu.stat"}) {
            auto r = mapCgroupKey(l, key, "1");
            EXPECT_FALSE(r.ok()) << key;
        }
        EXPECT_FALSE(mapCgroupKey(l, "pids.max", "1\n2").ok());
    }
    auto r = mapCgroupKey(hybrid(), "cgroup.procs", "1");
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("cgroup.procs"), std::string::npos);
}

TEST(CgroupMap, SettingsOrderV1) {
    CgroupSettings s;
    s.memoryMax = 256u << 20;
    s.memorySwapMax = 128u << 20;
    s.memoryHigh = 200u << 20;
    s.cpuWeight = 100;
    s.cpuQuotaUs = 50000;
    s.cpuPeriodUs = 100000;
    s.cpusetCpus = "0-1";
    s.cpusetMems = "0";
    s.pidsMax = 1024;
    s.raw = {{"memory.swappiness", "0"}};
    auto ws = mapCgroupSettings(hybrid(), s);
    ASSERT_TRUE(ws.ok()) << ws.error().message();
    EXPECT_EQ(show(*ws), (V{
                             "cpuset:cpuset.cpus=0-1",
                             "cpuset:cpuset.mems=0",
                             "memory:memory.limit_in_bytes=268435456",
                             "memory:memory.soft_limit_in_bytes=209715200",
                             "memory:memory.memsw.limit_in_bytes=402653184",
                             "cpu:cpu.shares=1024",
                             "cpu:cpu.cfs_period_us=100000",
                             "cpu:cpu.cfs_quota_us=50000",
                             "pids:pids.max=1024",
                             "memory:memory.swappiness=0",
                         }));
    EXPECT_TRUE((*ws)[4].optional);  // memsw only where swap accounting exists
    EXPECT_FALSE((*ws)[2].optional);
}

TEST(CgroupMap, SettingsV2) {
    CgroupSettings s;
    s.memoryMax = UINT64_MAX;
    s.memorySwapMax = 0;
    s.cpuWeight = 300;
    s.cpuQuotaUs = -1;
    s.pidsMax = -1;
    s.cpusetCpus = "0";
    auto ws = mapCgroupSettings(v2(), s);
    ASSERT_TRUE(ws.ok()) << ws.error().message();
    EXPECT_EQ(show(*ws), (V{
                             "cpuset:cpuset.cpus=0",
                             "memory:memory.max=max",
                             "memory:memory.swap.max=0",
                             "cpu:cpu.weight=300",
                             "cpu:cpu.max=max 100000",
                             "pids:pids.max=max",
                         }));
}

TEST(CgroupMap, SettingsSwapWithoutMemoryLimitV1) {
    CgroupSettings s;
    s.memorySwapMax = 1u << 30;  // on top of an unlimited memory: unlimited
    auto ws = mapCgroupSettings(v1(), s);
    ASSERT_TRUE(ws.ok());
    EXPECT_EQ(show(*ws), V{"memory:memory.memsw.limit_in_bytes=-1"});
    s.memoryMax = 1u << 30;
    s.memorySwapMax = UINT64_MAX;
    ws = mapCgroupSettings(v1(), s);
    ASSERT_TRUE(ws.ok());
    EXPECT_EQ(show(*ws), (V{"memory:memory.limit_in_bytes=1073741824", "memory:memory.memsw.limit_in_bytes=-1"}));
}

TEST(CgroupMap, SettingsErrors) {
    CgroupSettings s;
    s.cpuWeight = 0;
    EXPECT_FALSE(mapCgroupSettings(v2(), s).ok());
    s = {};
    s.raw = {{"cgroup.procs", "1"}};
    EXPECT_FALSE(mapCgroupSettings(hybrid(), s).ok());
    s = {};
    s.cpusetCpus = "zero";
    auto r = mapCgroupSettings(hybrid(), s);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message().find("cpuset.cpus"), std::string::npos);
    EXPECT_NE(r.error().message().find("zero"), std::string::npos);
}

TEST(CgroupMap, Reads) {
    struct Case {
        const char* key;
        const char* v1File;
        const char* v1Controller;
        const char* v2File;
        const char* v2Controller;
    };
    const Case cases[] = {
        {"memory.max", "memory.limit_in_bytes", "memory", "memory.max", "memory"},
        {"memory.high", "memory.soft_limit_in_bytes", "memory", "memory.high", "memory"},
        {"memory.swap.max", "memory.memsw.limit_in_bytes", "memory", "memory.swap.max", "memory"},
        {"memory.current", "memory.usage_in_bytes", "memory", "memory.current", "memory"},
        {"cpu.weight", "cpu.shares", "cpu", "cpu.weight", "cpu"},
        {"cpu.max", "cpu.cfs_quota_us", "cpu", "cpu.max", "cpu"},
        {"cpu.stat", "cpuacct.usage", "cpuacct", "cpu.stat", ""},
        {"cpuset.cpus", "cpuset.cpus", "cpuset", "cpuset.cpus", "cpuset"},
        {"cpuset.mems", "cpuset.mems", "cpuset", "cpuset.mems", "cpuset"},
        {"pids.max", "pids.max", "pids", "pids.max", "pids"},
        {"pids.current", "pids.current", "pids", "pids.current", "pids"},
        {"memory.swappiness", "memory.swappiness", "memory", "memory.swappiness", "memory"},
    };
    for (const auto& c : cases) {
        for (const CgroupLayout& l : {hybrid(), v1()}) {
            auto r = mapCgroupRead(l, c.key);
            ASSERT_TRUE(r.ok()) << c.key << ": " << r.error().message();
            EXPECT_EQ(r->file, c.v1File) << c.key;
            EXPECT_EQ(r->controller, c.v1Controller) << c.key;
        }
        auto r = mapCgroupRead(v2(), c.key);
        ASSERT_TRUE(r.ok()) << c.key << ": " << r.error().message();
        EXPECT_EQ(r->file, c.v2File) << c.key;
        EXPECT_EQ(r->controller, c.v2Controller) << c.key;
    }
    EXPECT_TRUE(mapCgroupRead(hybrid(), "cgroup.procs").ok());  // reading is harmless
    EXPECT_FALSE(mapCgroupRead(hybrid(), "../x.y").ok());
    EXPECT_FALSE(mapCgroupRead(hybrid(), "memory/x").ok());
    EXPECT_FALSE(mapCgroupRead(hybrid(), "rdma.current").ok());
}

// One list: what a config's cgroup.raw refuses, xc-cgroup refuses too.
TEST(CgroupMap, ConfigAndRuntimeRefuseTheSameFiles) {
    for (const char* file : {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "cgroup.type", "cgroup.kill",
                             "cgroup.freeze", "cgroup.clone_children", "cgroup.event_control", "freezer.state",
                             "memory.tasks", "cpu.procs"}) {
        std::string text = std::string("name = \"c\"; cgroup = { raw = [ \"") + file + "=1\" ]; };";
        auto cfg = parseConfig(text, "test.conf");
        EXPECT_FALSE(cfg.ok()) << file << ": accepted by config validation";
        for (const CgroupLayout& l : {hybrid(), v1(), v2()}) {
            auto r = mapCgroupKey(l, file, "1");
            EXPECT_FALSE(r.ok()) << file << ": accepted at run time";
        }
        auto v2r = mapCgroupKey(v2(), file, "1");
        if (!v2r.ok() && std::string(file).rfind("cgroup.", 0) == 0) EXPECT_EQ(v2r.error().code(), EPERM) << file;
    }
}

// cpu.max and CPU lists have one parser (config's): the config file and a
// key set through the cgroup vocabulary accept and refuse the same values.
TEST(CgroupMap, CpuValuesAgreeWithTheConfig) {
    auto inConfig = [](const std::string& group, const std::string& key, const std::string& v) {
        std::string text = "name = \"c\"; rootfs = { path = \"/r\"; };\ncgroup = { " + group + " = { " + key +
                           " = \"" + v + "\"; }; };\n";
        return parseConfig(text, "t.conf").ok();
    };
    for (const char* v : {"50000 100000", "max", "-1 20000", "  25000 ", "", "half", "50000 100000 3", "999 100000",
                          "50000 999", "50000 1000001", "-5 100000", "50000 max", "1.5 100000", "max 1000"})
        EXPECT_EQ(inConfig("cpu", "max", v), mapCgroupKey(v2(), "cpu.max", v).ok()) << "'" << v << "'";
    for (const char* v : {"0", "0-3", "0-1,3", "4095", "", "a", "1-", "3-1", "0,,1", "0,", "-1", "4096", "1 2"}) {
        EXPECT_EQ(inConfig("cpuset", "cpus", v), mapCgroupKey(hybrid(), "cpuset.cpus", v).ok()) << "'" << v << "'";
        EXPECT_EQ(inConfig("cpuset", "mems", v), mapCgroupKey(v1(), "cpuset.mems", v).ok()) << "'" << v << "'";
    }
}

// ---- the vocabulary's list (xc-cgroup's keys, shell completion) -------------

// Each listed key is one the mapping checks itself (a raw file name would
// take any value) or a read-only one, and every cgroup key of the config
// schema but the raw list is listed (cgroup.memory.swap_max is memory.swap.max).
TEST(CgroupVocabulary, ListsTheKeysTheMappingKnows) {
    std::vector<std::string> keys = cgroupVocabulary();
    ASSERT_FALSE(keys.empty());
    for (const auto& k : keys) {
        auto r = mapCgroupKey(v2(), k, "bogus");
        EXPECT_FALSE(r.ok()) << k << " takes any value: it is not a vocabulary key";
    }
    for (const auto& e : config_detail::schemaTable()) {
        std::string path = e.path;
        if (path.rfind("cgroup.", 0) != 0 || path == "cgroup.raw") continue;
        std::string key = path.substr(7);
        for (auto& c : key)
            if (c == '_') c = '.';
        EXPECT_NE(std::find(keys.begin(), keys.end(), key), keys.end()) << path << " is not in cgroupVocabulary()";
    }
}
