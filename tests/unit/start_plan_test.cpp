// The start plan (xc-start --dry-run, and what the supervisor executes)
// computed from a config and fake host layouts: v1, hybrid and v2. Pure
// logic, no root.
#include <gtest/gtest.h>
#include <linux/mount.h>
#include <sched.h>

#include <algorithm>

#include "api/start_plan.hpp"
#include "net/net.hpp"
#include "plan/plan.hpp"
#include "security/security.hpp"

using namespace xc;

namespace {

const char* const kHybrid = R"(30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
35 30 0:32 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
36 30 0:33 / /sys/fs/cgroup/freezer rw,relatime - cgroup cgroup rw,freezer
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
)";
// Pure v1: the same without the unified mount.
std::string v1Mountinfo() {
    std::string t = kHybrid;
    return t.substr(0, t.find("40 30"));
}
const char* const kV2 = "26 22 0:23 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n";

CgroupLayout v2() { return CgroupLayout::fromMountinfo(kV2, "cpuset cpu io memory pids\n"); }

const char* const kConfig = R"(name = "web";
rootfs = { path = "/var/lib/xc/web/rootfs"; };
init = { cmd = [ "/sbin/init" ]; };
tty = { count = 2; };
cgroup = { memory = { max = "256M"; }; pids = { max = 100; }; cpu = { max = "50000 100000"; }; };
mounts = ( { source = "/srv/data"; target = "srv/data"; options = "bind,ro,nosuid"; },
           { target = "scratch"; type = "tmpfs"; options = "size=16m,noexec"; } );
network = ( { type = "veth"; link = "xcbr0"; name = "eth0"; ipv4 = "10.0.3.10/24"; gateway = "10.0.3.1"; } );
idmap = ( { type = "u"; inside = 0; outside = 100000; count = 65536; },
          { type = "g"; inside = 0; outside = 100000; count = 65536; } );
hooks = { start = [ "echo in" ]; pre_start = [ "echo one", "echo two" ]; post_stop = [ "echo bye" ]; };
)";

StartPlan planFor(const std::string& text, const CgroupLayout& layout) {
    auto cfg = parseConfig(text, "test.conf");
    EXPECT_TRUE(cfg.ok()) << cfg.error().message();
    ContainerPaths paths(HostPaths::fromEnvironment(), "/var/lib/xc", "web");
    completeStartConfig(*cfg, paths);
    auto p = makeStartPlan(*cfg, paths, layout, {});
    EXPECT_TRUE(p.ok()) << p.error().message();
    return p.ok() ? *p : StartPlan{};
}

// file -> value of the plan's cgroup writes, files as full paths.
std::vector<std::pair<std::string, std::string>> writes(const StartPlan& p) {
    std::vector<std::pair<std::string, std::string>> out;
    Cgroup cg(p.layout, p.cgroupPath);
    for (const auto& w : p.cgroupWrites) {
        auto f = cg.fileFor(w);
        EXPECT_TRUE(f.ok()) << w.file;
        out.emplace_back(f ? *f : w.file, w.value);
    }
    return out;
}

bool hasWrite(const StartPlan& p, const std::string& fileSuffix, const std::string& value) {
    for (const auto& [f, v] : writes(p))
        if (f.size() >= fileSuffix.size() && f.compare(f.size() - fileSuffix.size(), fileSuffix.size(), fileSuffix) == 0 &&
            v == value)
            return true;
    return false;
}

const PlannedMount* at(const StartPlan& p, const std::string& target) {
    for (const auto& m : p.spawn.mounts)
        if (m.target == target) return &m;
    return nullptr;
}

}  // namespace

TEST(StartPlan, CgroupV2WritesUnifiedFilesAndMountsCgroup2) {
    StartPlan p = planFor(kConfig, v2());
    const std::string dir = "/sys/fs/cgroup/" + p.cgroupPath + "/";
    EXPECT_TRUE(hasWrite(p, dir + "memory.max", "268435456"));
    EXPECT_TRUE(hasWrite(p, dir + "pids.max", "100"));
    EXPECT_TRUE(hasWrite(p, dir + "cpu.max", "50000 100000"));
    const PlannedMount* cg = at(p, "/sys/fs/cgroup");
    ASSERT_NE(cg, nullptr);
    EXPECT_EQ(cg->fstype, "cgroup2");
    EXPECT_TRUE(p.spawn.mountsOf(MountStep::SysCgroupHierarchy).empty());
}

TEST(StartPlan, CgroupV1WritesControllerFilesAndMountsEachHierarchy) {
    StartPlan p = planFor(kConfig, CgroupLayout::fromMountinfo(v1Mountinfo(), ""));
    EXPECT_TRUE(hasWrite(p, "/sys/fs/cgroup/memory/" + p.cgroupPath + "/memory.limit_in_bytes", "268435456"));
    EXPECT_TRUE(hasWrite(p, "/sys/fs/cgroup/pids/" + p.cgroupPath + "/pids.max", "100"));
    EXPECT_TRUE(hasWrite(p, "/sys/fs/cgroup/cpu,cpuacct/" + p.cgroupPath + "/cpu.cfs_quota_us", "50000"));
    EXPECT_TRUE(hasWrite(p, "/sys/fs/cgroup/cpu,cpuacct/" + p.cgroupPath + "/cpu.cfs_period_us", "100000"));
    const PlannedMount* top = at(p, "/sys/fs/cgroup");
    ASSERT_NE(top, nullptr);
    EXPECT_EQ(top->fstype, "tmpfs");
    EXPECT_TRUE(top->attrs.set & MOUNT_ATTR_RDONLY);
    const PlannedMount* cpu = at(p, "/sys/fs/cgroup/cpu,cpuacct");
    ASSERT_NE(cpu, nullptr);
    EXPECT_EQ(cpu->fstype, "cgroup");
    EXPECT_EQ(cpu->paramsText(), "cpu,cpuacct");
    EXPECT_TRUE(cpu->attrs.set & MOUNT_ATTR_RDONLY);  // controllers read-only inside
    const PlannedMount* systemd = at(p, "/sys/fs/cgroup/systemd");
    ASSERT_NE(systemd, nullptr);
    EXPECT_EQ(systemd->paramsText(), "name=systemd,none");
    EXPECT_FALSE(systemd->attrs.set & MOUNT_ATTR_RDONLY);  // a systemd guest manages its subtree
    EXPECT_EQ(at(p, "/sys/fs/cgroup/unified"), nullptr);
}

TEST(StartPlan, HybridLimitsOnV1AndUnifiedMountedWritable) {
    StartPlan p = planFor(kConfig, CgroupLayout::fromMountinfo(kHybrid, ""));
    EXPECT_TRUE(hasWrite(p, "/sys/fs/cgroup/memory/" + p.cgroupPath + "/memory.limit_in_bytes", "268435456"));
    for (const auto& [f, v] : writes(p)) EXPECT_EQ(f.find("/unified/"), std::string::npos) << f;
    const PlannedMount* u = at(p, "/sys/fs/cgroup/unified");
    ASSERT_NE(u, nullptr);
    EXPECT_EQ(u->fstype, "cgroup2");
    EXPECT_FALSE(u->attrs.set & MOUNT_ATTR_RDONLY);
    auto sections = describeStartPlan(p);
    auto cg = std::find_if(sections.begin(), sections.end(), [](const PlanSection& s) { return s.name == "cgroup"; });
    ASSERT_NE(cg, sections.end());
    ASSERT_FALSE(cg->items.empty());
    EXPECT_EQ(cg->items[0].fields[0], std::make_pair(std::string("layout"), std::string("hybrid")));
}

TEST(StartPlan, MountsInOrderWithConfigEntriesParsed) {
    StartPlan p = planFor(kConfig, v2());
    std::vector<std::string> order;
    for (const auto& m : p.spawn.mounts) order.push_back(m.target);
    auto pos = [&](const std::string& t) { return std::find(order.begin(), order.end(), t) - order.begin(); };
    EXPECT_EQ(order.front(), "/");
    EXPECT_LT(pos("/dev"), pos("/dev/pts"));
    EXPECT_LT(pos("/dev/pts"), pos("/dev/console"));
    EXPECT_LT(pos("/dev/console"), pos("/proc"));
    EXPECT_LT(pos("/proc"), pos("/sys"));
    EXPECT_LT(pos("/sys/fs/cgroup"), pos("/srv/data"));
    EXPECT_EQ(p.spawn.mountsOf(MountStep::Tty).size(), 3u);  // console, tty1, tty2
    const PlannedMount* data = at(p, "/srv/data");
    ASSERT_NE(data, nullptr);
    EXPECT_TRUE(data->bind());
    EXPECT_EQ(data->source, "/srv/data");
    EXPECT_EQ(mountAttrsText(data->attrs), "ro,nosuid");
    const PlannedMount* scratch = at(p, "/scratch");
    ASSERT_NE(scratch, nullptr);
    EXPECT_EQ(scratch->fstype, "tmpfs");
    EXPECT_EQ(scratch->paramsText(), "size=16m");
    EXPECT_EQ(mountAttrsText(scratch->attrs), "noexec");
    // /dev/shm is sized by the memory limit.
    const PlannedMount* shm = at(p, "/dev/shm");
    ASSERT_NE(shm, nullptr);
    EXPECT_NE(shm->paramsText().find("size=268435456"), std::string::npos);
}

TEST(StartPlan, UnprivilegedBindsHostNodesAndIdmapsTheRoot) {
    StartPlan p = planFor(kConfig, v2());
    EXPECT_TRUE(p.spawn.userNamespace());
    EXPECT_EQ(p.spawn.mountsOf(MountStep::DevNode).size(), containerDeviceNodes().size());
    EXPECT_TRUE(at(p, "/")->attrs.set & MOUNT_ATTR_IDMAP);
    EXPECT_NE(at(p, "/dev/pts")->paramsText().find("gid=5"), std::string::npos);  // gid 5 is mapped
    std::string priv = kConfig;
    priv = priv.substr(0, priv.find("idmap")) + priv.substr(priv.find("hooks"));
    StartPlan q = planFor(priv, v2());
    EXPECT_FALSE(q.spawn.userNamespace());
    EXPECT_TRUE(q.spawn.mountsOf(MountStep::DevNode).empty());  // mknod instead
    EXPECT_FALSE(at(q, "/")->attrs.set & MOUNT_ATTR_IDMAP);
}

TEST(StartPlan, NamespacesFollowTheNetwork) {
    StartPlan p = planFor(kConfig, v2());
    EXPECT_EQ(namespaceNames(p.spawn.cloneFlags), "pid mnt uts ipc net");
    EXPECT_NE(at(p, "/proc/sys/net"), nullptr);
    std::string host = kConfig;
    host.replace(host.find("network = ("), host.find("idmap") - host.find("network = ("),
                 "network = ( { type = \"none\"; } );\nsecurity = { allow_host_network = true; privileged = true; };\n");
    host = host.substr(0, host.find("idmap")) + host.substr(host.find("hooks"));
    StartPlan q = planFor(host, v2());
    EXPECT_EQ(namespaceNames(q.spawn.cloneFlags), "pid mnt uts ipc");
    EXPECT_EQ(at(q, "/proc/sys/net"), nullptr);  // stays read-only with the host's network
}

TEST(StartPlan, CapabilitiesDroppedAndKept) {
    StartPlan p = planFor(kConfig, v2());
    auto dropped = [](const StartPlan& x, const char* cap) {
        return std::count(x.spawn.capDrop.begin(), x.spawn.capDrop.end(), capabilityFromName(cap)) == 1;
    };
    for (const auto& never : capsNeverNeeded()) EXPECT_TRUE(dropped(p, never.c_str())) << never;
    EXPECT_FALSE(dropped(p, "chown"));
    std::string keep = std::string(kConfig) + "security = { cap_keep = [ \"chown\", \"kill\" ]; };\n";
    StartPlan q = planFor(keep, v2());
    EXPECT_EQ(q.spawn.capDrop.size(), static_cast<size_t>(capabilityCount() - 2));
    EXPECT_FALSE(dropped(q, "chown"));
    EXPECT_FALSE(dropped(q, "kill"));
    EXPECT_TRUE(dropped(q, "sys_admin"));
}

TEST(StartPlan, InterfacesWithHostNameAndStableHwaddr) {
    StartPlan p = planFor(kConfig, v2());
    ASSERT_EQ(p.interfaces.size(), 1u);
    const PlannedInterface& n = p.interfaces[0];
    EXPECT_EQ(n.name, "eth0");
    EXPECT_EQ(n.link, "xcbr0");
    EXPECT_EQ(n.hostName, hostVethName("web", "/var/lib/xc/web/rootfs", 0));
    EXPECT_EQ(n.hwaddr, stableHwaddr(std::string("web") + '\0' + "/var/lib/xc/web/rootfs" + '\0' + "0"));
    EXPECT_EQ(n.ipv4, "10.0.3.10/24");
    EXPECT_EQ(n.gateway, "10.0.3.1");
}

TEST(StartPlan, DescriptionListsHooksInExecutionOrder) {
    StartPlan p = planFor(kConfig, v2());
    auto sections = describeStartPlan(p);
    std::vector<std::string> names;
    for (const auto& s : sections) names.push_back(s.name);
    EXPECT_EQ(names, (std::vector<std::string>{"init", "namespaces", "idmap", "hooks", "cgroup", "cgroup limits",
                                               "devices", "network", "mounts", "capabilities", "seccomp"}));
    const PlanSection& hooks = sections[3];
    std::vector<std::string> cmds;
    for (const auto& it : hooks.items)
        for (const auto& [k, v] : it.fields)
            if (k == "cmd") cmds.push_back(v);
    // pre_start first (in config order), then start, then post_stop, whatever the config's order.
    EXPECT_EQ(cmds, (std::vector<std::string>{"echo one", "echo two", "echo in", "echo bye"}));
}

TEST(StartPlan, BadMountOptionFailsNamingTheEntry) {
    std::string bad = kConfig;
    bad.replace(bad.find("size=16m,noexec"), 15, "=oops");
    auto cfg = parseConfig(bad, "t");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message();  // the schema leaves the options to the mount code
    ContainerPaths paths(HostPaths::fromEnvironment(), "/var/lib/xc", "web");
    completeStartConfig(*cfg, paths);
    auto p = makeStartPlan(*cfg, paths, v2(), {});
    ASSERT_FALSE(p.ok());
    EXPECT_NE(p.error().message().find("mounts[1]"), std::string::npos) << p.error().message();
}

// The overlay root's entry is the parameter list the start sets with
// fsconfig, in order: a lower layer each (top first), the upper layer, the
// work dir beside it, and userxattr; the dry run prints it.
TEST(StartPlan, OverlayRootListsEachLayerAndUserxattrInMountOrder) {
    std::string text = kConfig;
    text.replace(text.find("rootfs = {"), text.find("init =") - text.find("rootfs = {"),
                 "rootfs = { path = \"/var/lib/xc/web/rootfs\"; backend = \"overlay\"; lower = \"/srv/a:/srv/b\"; "
                 "upper = \"/var/lib/xc/web/overlay/upper\"; };\n");
    StartPlan p = planFor(text, v2());
    const PlannedMount* root = at(p, "/");
    ASSERT_NE(root, nullptr);
    EXPECT_EQ(root->fstype, "overlay");
    const std::vector<std::pair<std::string, std::string>> want = {{"lowerdir+", "/srv/a"},
                                                                   {"lowerdir+", "/srv/b"},
                                                                   {"upperdir", "/var/lib/xc/web/overlay/upper"},
                                                                   {"workdir", "/var/lib/xc/web/overlay/work"},
                                                                   {"userxattr", ""}};
    EXPECT_EQ(root->params, want);
    EXPECT_TRUE(root->attrs.set & MOUNT_ATTR_IDMAP);
}

// Every kind of interface names the host link the setup uses, and the
// setup's choices (macvlan's default mode, phys keeping its own address
// unless one is given) are in the plan, not made later.
TEST(StartPlan, InterfacesOfEachTypeCarryWhatTheSetupMakes) {
    std::string text = kConfig;
    text.replace(text.find("network = ("), text.find("idmap") - text.find("network = ("),
                 "network = ( { type = \"veth\"; link = \"br1\"; host_name = \"hv0\"; },\n"
                 "            { type = \"macvlan\"; link = \"eth9\"; },\n"
                 "            { type = \"phys\"; link = \"dummy7\"; },\n"
                 "            { type = \"empty\"; } );\n");
    StartPlan p = planFor(text, v2());
    ASSERT_EQ(p.interfaces.size(), 4u);
    EXPECT_EQ(p.interfaces[0].hostName, "hv0");
    EXPECT_TRUE(p.interfaces[0].hostNameGiven);
    EXPECT_EQ(p.interfaces[0].link, "br1");
    EXPECT_EQ(p.interfaces[1].hostName, "eth9");
    EXPECT_EQ(p.interfaces[1].macvlanMode, "private");
    EXPECT_FALSE(p.interfaces[1].hwaddr.empty());
    EXPECT_EQ(p.interfaces[2].hostName, "dummy7");
    EXPECT_EQ(p.interfaces[2].hwaddr, "");  // keeps its own
    EXPECT_FALSE(p.interfaces[3].hasInterface());
    EXPECT_EQ(p.interfaces[3].hostName, "");
    EXPECT_EQ(p.interfaces[3].link, "");
    EXPECT_EQ(p.interfaces[1].shown(1), "network[1] (eth1)");
    // The names the host side shows (xc-info's Link:) are the plan's.
    auto cfg = parseConfig(text, "test.conf");
    ASSERT_TRUE(cfg.ok());
    ContainerPaths paths(HostPaths::fromEnvironment(), "/var/lib/xc", "web");
    completeStartConfig(*cfg, paths);
    EXPECT_EQ(hostLinkNames(*cfg), (std::vector<std::string>{"hv0", "eth9", "dummy7", ""}));
}
