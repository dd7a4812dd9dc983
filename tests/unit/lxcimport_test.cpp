// xc-import-lxc's pure part: LXC's config syntax (legacy names, includes)
// and the key table into xc's vocabulary, checked with the xc schema.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "lxcimport/lxc_config.hpp"
#include "lxcimport/lxc_map.hpp"
#include "lxcimport/xc_config.hpp"
#include "xc/config.hpp"
#include "xc/import_lxc.hpp"

using namespace xc;
using namespace xc::lxcimport;

namespace {

// Files of a test, by path; a path ending in '/' is a directory of those below it.
IncludeReader files(std::map<std::string, std::string> fs) {
    return [fs](const std::string& path) -> Result<IncludeTarget> {
        IncludeTarget t;
        if (auto it = fs.find(path); it != fs.end()) {
            t.text = it->second;
            return t;
        }
        for (const auto& [p, text] : fs)
            if (p.rfind(path + "/", 0) == 0) t.files.push_back(p);
        if (t.files.empty()) return Error::sys(ENOENT, "read " + path);
        t.isDir = true;
        return t;
    };
}

std::vector<LxcEntry> parse(const std::string& text, const std::map<std::string, std::string>& fs = {}) {
    auto r = parseLxcConfig(text, "/lxc/c1/config", files(fs));
    EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message());
    return r ? *r : std::vector<LxcEntry>{};
}

Mapping map(const std::string& text, const std::map<std::string, std::string>& fs = {}) {
    MapInput in;
    in.name = "c1";
    in.lxcName = "c1";
    in.lxcDir = "/lxc/c1";
    in.hostArch = "x86_64";
    in.read = files(fs);
    in.linkTarget = [](const std::string& p) { return p == "/lib" ? std::string("/usr/lib") : std::string(); };
    auto m = mapLxcConfig(parse(text, fs), in);
    EXPECT_TRUE(m.ok()) << (m ? "" : m.error().message());
    return m ? *m : Mapping{};
}

// The row of an LXC key (the first one), by key and value.
const MapRow* row(const Mapping& m, const std::string& key, const std::string& value = "") {
    for (const auto& r : m.rows)
        if (r.lxc.key == key && (value.empty() || r.lxc.value == value)) return &r;
    return nullptr;
}

std::map<std::string, std::string> settings(const Mapping& m) {
    std::map<std::string, std::string> out;
    for (const auto& s : m.settings) {
        std::string v = s.value.text;
        if (s.value.isList)
            for (const auto& i : s.value.items) v += (v.empty() ? "" : "|") + i;
        out[s.key] = out.count(s.key) ? out[s.key] + "|" + v : v;
    }
    return out;
}

// The xc config a mapping makes, loaded by the xc loader.
ContainerConfig xcConfig(Mapping& m) {
    auto text = buildXcConfig(m, "c1", "/var/lib/xc/c1/rootfs", "/var/lib/xc/c1/config");
    EXPECT_TRUE(text.ok()) << (text ? "" : text.error().message());
    if (!text) return {};
    auto cfg = parseConfig(*text, "imported");
    EXPECT_TRUE(cfg.ok()) << (cfg ? "" : cfg.error().message()) << "\n" << *text;
    return cfg ? *cfg : ContainerConfig{};
}

}  // namespace

TEST(LxcConfig, LegacyNamesBecomeTheirLxc3Names) {
    auto e = parse(
        "lxc.utsname = old\nlxc.rootfs = /srv/old\nlxc.id_map = u 0 100000 65536\nlxc.tty = 4\nlxc.pts = 1024\n"
        "lxc.aa_profile = unconfined\nlxc.seccomp = /x.seccomp\nlxc.haltsignal = SIGPWR\nlxc.init_cmd = /sbin/init\n"
        "lxc.mount = /lxc/c1/fstab\nlxc.logfile = /var/log/x\n"
        "lxc.network.type = veth\nlxc.network.link = br0\nlxc.network.ipv4 = 10.1.1.2/24\n"
        "lxc.network.type = veth\nlxc.network.link = br1\nlxc.network.1.hwaddr = 00:16:3e:00:00:01\n");
    std::vector<std::string> keys;
    for (const auto& x : e) keys.push_back(x.key);
    std::vector<std::string> want = {"lxc.uts.name", "lxc.rootfs.path", "lxc.idmap", "lxc.tty.max", "lxc.pty.max",
                                     "lxc.apparmor.profile", "lxc.seccomp.profile", "lxc.signal.halt", "lxc.init.cmd",
                                     "lxc.mount.fstab", "lxc.log.file", "lxc.net.0.type", "lxc.net.0.link",
                                     "lxc.net.0.ipv4.address", "lxc.net.1.type", "lxc.net.1.link", "lxc.net.1.hwaddr"};
    EXPECT_EQ(keys, want);
    EXPECT_EQ(e[0].legacyKey, "lxc.utsname");
    EXPECT_EQ(e[0].where, "/lxc/c1/config:1");
    EXPECT_EQ(modernKey("lxc.uts.name", 0), "lxc.uts.name");
}

TEST(LxcConfig, CommentsBlanksAndWhiteSpace) {
    auto e = parse("# a comment\n\n   lxc.uts.name   =   \"c1\"  \n\tlxc.start.auto=1\n");
    ASSERT_EQ(e.size(), 2u);
    EXPECT_EQ(e[0].value, "\"c1\"");
    EXPECT_EQ(unquote(e[0].value), "c1");
    EXPECT_EQ(e[1].key, "lxc.start.auto");
    EXPECT_EQ(e[1].where, "/lxc/c1/config:4");
    auto bad = parseLxcConfig("lxc.uts.name c1\n", "/lxc/c1/config", files({}));
    ASSERT_FALSE(bad.ok());
    EXPECT_NE(bad.error().message().find("/lxc/c1/config:1"), std::string::npos) << bad.error().message();
}

TEST(LxcConfig, IncludesOfFilesAndDirectoriesInOrder) {
    auto e = parse("lxc.include = /share/common.conf\nlxc.include = /etc/lxc/conf.d\nlxc.include = local.conf\n",
                   {{"/share/common.conf", "lxc.cap.drop = sys_module\n"},
                    {"/etc/lxc/conf.d/20-b.conf", "lxc.start.order = 2\n"},
                    {"/etc/lxc/conf.d/10-a.conf", "lxc.start.delay = 1\n"},
                    {"/etc/lxc/conf.d/README", "not a config\n"},
                    {"/lxc/c1/local.conf", "lxc.start.auto = 1\n"}});
    ASSERT_EQ(e.size(), 4u);
    EXPECT_EQ(e[0].key, "lxc.cap.drop");
    EXPECT_EQ(e[0].where, "/share/common.conf:1");
    EXPECT_EQ(e[1].key, "lxc.start.delay");  // 10-a before 20-b; README skipped
    EXPECT_EQ(e[2].key, "lxc.start.order");
    EXPECT_EQ(e[3].where, "/lxc/c1/local.conf:1");  // relative: beside the including file
}

TEST(LxcConfig, IncludeLoopsAndMissingFilesAreErrors) {
    auto loop = parseLxcConfig("lxc.include = /a.conf\n", "/lxc/c1/config",
                               files({{"/a.conf", "lxc.include = /b.conf\n"}, {"/b.conf", "lxc.include = /a.conf\n"}}));
    ASSERT_FALSE(loop.ok());
    EXPECT_NE(loop.error().message().find("includes itself"), std::string::npos) << loop.error().message();
    auto missing = parseLxcConfig("lxc.include = /nowhere.conf\n", "/lxc/c1/config", files({}));
    ASSERT_FALSE(missing.ok());
    EXPECT_NE(missing.error().message().find("/lxc/c1/config:1"), std::string::npos) << missing.error().message();
}

TEST(LxcMap, NetworkBlocks) {
    Mapping m = map(
        "lxc.net.0.type = veth\nlxc.net.0.link = br0\nlxc.net.0.flags = up\nlxc.net.0.hwaddr = 00:16:3e:12:34:56\n"
        "lxc.net.0.name = eth0\nlxc.net.0.ipv4.address = 10.1.2.3/24\nlxc.net.0.ipv4.address = 10.1.2.4/24\n"
        "lxc.net.0.ipv4.gateway = 10.1.2.1\nlxc.net.0.veth.pair = vethc1\nlxc.net.0.mtu = 1400\n"
        "lxc.net.1.type = vlan\nlxc.net.1.link = eth0\n"
        "lxc.net.2.link = br2\nlxc.net.2.type = macvlan\nlxc.net.2.macvlan.mode = bridge\n"
        "lxc.net.2.ipv4.address = 192.168.7.9\nlxc.net.2.script.up = /bin/true\n");
    auto s = settings(m);
    EXPECT_EQ(s["network.0.type"], "veth");
    EXPECT_EQ(s["network.0.link"], "br0");
    EXPECT_EQ(s["network.0.hwaddr"], "00:16:3e:12:34:56");
    EXPECT_EQ(s["network.0.ipv4"], "10.1.2.3/24");
    EXPECT_EQ(s["network.0.gateway"], "10.1.2.1");
    EXPECT_EQ(s["network.0.host_name"], "vethc1");
    EXPECT_EQ(s["network.0.mtu"], "1400");
    // The vlan is left out, so the macvlan is xc's second interface.
    EXPECT_EQ(s["network.1.type"], "macvlan");
    EXPECT_EQ(s["network.1.link"], "br2");
    EXPECT_EQ(s["network.1.macvlan_mode"], "bridge");
    EXPECT_EQ(s["network.1.ipv4"], "192.168.7.9/24");  // LXC's class C default
    EXPECT_TRUE(row(m, "lxc.net.0.flags")->imported());
    EXPECT_NE(row(m, "lxc.net.0.ipv4.address", "10.1.2.4/24")->reason.find("one IPv4"), std::string::npos);
    EXPECT_NE(row(m, "lxc.net.1.type")->reason.find("'vlan'"), std::string::npos);
    EXPECT_FALSE(row(m, "lxc.net.2.script.up")->imported());
    ContainerConfig c = xcConfig(m);
    ASSERT_EQ(c.network.size(), 2u);
    EXPECT_EQ(c.network[0].ipv4, "10.1.2.3/24");
    EXPECT_EQ(c.network[1].type, "macvlan");
}

TEST(LxcMap, NoNetworkSharesTheHostsAsLxcDoes) {
    Mapping m = map("lxc.uts.name = c1\n");
    ContainerConfig c = xcConfig(m);
    ASSERT_EQ(c.network.size(), 1u);
    EXPECT_EQ(c.network[0].type, "none");
    EXPECT_TRUE(c.security.allowHostNetwork);
    EXPECT_TRUE(c.security.privileged);  // no lxc.idmap
    EXPECT_NE(row(m, "(no lxc.net.*)"), nullptr);
    EXPECT_NE(row(m, "(no lxc.idmap)"), nullptr);
}

TEST(LxcMap, CgroupV1KeysIntoXcsVocabulary) {
    Mapping m = map(
        "lxc.net.0.type = empty\n"
        "lxc.cgroup.memory.limit_in_bytes = 256M\nlxc.cgroup.memory.memsw.limit_in_bytes = 384M\n"
        "lxc.cgroup.cpu.shares = 512\nlxc.cgroup.cpu.cfs_quota_us = 50000\nlxc.cgroup.cpu.cfs_period_us = 100000\n"
        "lxc.cgroup.cpuset.cpus = 0-1\nlxc.cgroup.pids.max = 100\nlxc.cgroup.devices.allow = c 1:3 rwm\n"
        "lxc.cgroup.memory.swappiness = 0\n");
    auto s = settings(m);
    EXPECT_EQ(s["cgroup.memory.max"], "256M");
    EXPECT_EQ(s["cgroup.memory.swap_max"], std::to_string(128u << 20));
    EXPECT_EQ(s["cgroup.cpu.weight"], "20");
    EXPECT_EQ(s["cgroup.cpu.max"], "50000 100000");
    EXPECT_EQ(s["cgroup.cpuset.cpus"], "0-1");
    EXPECT_EQ(s["cgroup.pids.max"], "100");
    EXPECT_EQ(s["cgroup.raw"], "memory.swappiness=0");
    EXPECT_FALSE(row(m, "lxc.cgroup.devices.allow")->imported());
    EXPECT_TRUE(row(m, "lxc.cgroup.cpu.cfs_period_us")->imported());
    ContainerConfig c = xcConfig(m);
    EXPECT_EQ(c.cgroup.memoryMax, 256u << 20);
    EXPECT_EQ(c.cgroup.memorySwapMax, 128u << 20);
    EXPECT_EQ(c.cgroup.cpuWeight, 20u);
    EXPECT_EQ(c.cgroup.cpuQuotaUs, 50000);
    EXPECT_EQ(c.cgroup.pidsMax, 100);
}

TEST(LxcMap, CgroupV2KeysIntoXcsVocabulary) {
    Mapping m = map(
        "lxc.net.0.type = empty\nlxc.cgroup2.memory.max = 1G\nlxc.cgroup2.memory.high = 768M\n"
        "lxc.cgroup2.cpu.max = max 100000\nlxc.cgroup2.cpu.weight = 50\nlxc.cgroup2.pids.max = max\n"
        "lxc.cgroup2.memory.swap.max = 0\nlxc.cgroup.memory.limit_in_bytes = -1\n");
    auto s = settings(m);
    EXPECT_EQ(s["cgroup.memory.max"], "1G|max");  // the v1 key after it wins, as in the file
    ContainerConfig c = xcConfig(m);
    EXPECT_EQ(c.cgroup.memoryMax, UINT64_MAX);
    EXPECT_EQ(c.cgroup.memoryHigh, 768u << 20);
    EXPECT_EQ(c.cgroup.cpuQuotaUs, -1);
    EXPECT_EQ(c.cgroup.cpuWeight, 50u);
    EXPECT_EQ(c.cgroup.pidsMax, -1);
    EXPECT_EQ(c.cgroup.memorySwapMax, 0u);
}

TEST(LxcMap, SharesToWeightAsSystemdAndCrun) {
    EXPECT_EQ(sharesToWeight(2), 1u);
    EXPECT_EQ(sharesToWeight(1024), 39u);
    EXPECT_EQ(sharesToWeight(262144), 10000u);
    EXPECT_EQ(sharesToWeight(0), 1u);
    EXPECT_EQ(sharesToWeight(1u << 30), 10000u);
}

TEST(LxcMap, MountEntriesAndFstabFiles) {
    Mapping m = map(
        "lxc.net.0.type = empty\nlxc.rootfs.path = dir:/lxc/c1/rootfs\n"
        "lxc.mount.entry = /srv/data srv/data none bind,create=dir 0 0\n"
        "lxc.mount.entry = /lib /lxc/c1/rootfs/lib none ro,bind,optional 0 0\n"
        "lxc.mount.entry = shm dev/shm tmpfs defaults,create=dir 0 0\n"
        "lxc.mount.entry = /x /etc/outside none bind 0 0\n"
        "lxc.mount.fstab = fstab\n",
        {{"/lxc/c1/fstab", "# comment\n/srv/my\\040dir mnt/my none rbind 0 0\nproc\n"}});
    auto s = settings(m);
    EXPECT_EQ(s["mounts.0.source"], "/srv/data");
    EXPECT_EQ(s["mounts.0.target"], "srv/data");
    EXPECT_EQ(s["mounts.0.options"], "bind");
    EXPECT_EQ(s["mounts.0.create"], "dir");
    EXPECT_EQ(s["mounts.1.target"], "lib");
    EXPECT_EQ(s["mounts.1.source"], "/usr/lib");  // a symbolic link on the host, as LXC follows it
    EXPECT_NE(row(m, "lxc.mount.entry", "/lib /lxc/c1/rootfs/lib none ro,bind,optional 0 0")->xc.find("symbolic link"),
              std::string::npos);
    EXPECT_EQ(s["mounts.1.options"], "ro,bind");
    EXPECT_EQ(s["mounts.1.optional"], "true");
    EXPECT_EQ(s["mounts.2.type"], "tmpfs");
    EXPECT_EQ(s.count("mounts.2.options"), 0u);  // "defaults" only
    EXPECT_EQ(s["mounts.3.source"], "/srv/my dir");  // the fstab's line, \040 a space
    EXPECT_NE(row(m, "lxc.mount.entry", "/x /etc/outside none bind 0 0")->reason.find("not below"), std::string::npos);
    const MapRow* bad = row(m, "lxc.mount.fstab", "proc");
    ASSERT_NE(bad, nullptr);
    EXPECT_EQ(bad->lxc.where, "/lxc/c1/fstab:3");
    EXPECT_FALSE(bad->imported());
    ContainerConfig c = xcConfig(m);
    ASSERT_EQ(c.mounts.size(), 4u);
    EXPECT_EQ(c.mounts[1].options, "ro,bind");
    EXPECT_TRUE(c.mounts[1].optional);
    EXPECT_EQ(c.mounts[3].options, "rbind");
}

TEST(LxcMap, StartHooksTtysSignalsInitEnvironment) {
    Mapping m = map(
        "lxc.net.0.type = empty\nlxc.start.auto = 1\nlxc.start.delay = 5\nlxc.start.order = -3\n"
        "lxc.group = web,db\nlxc.group = onboot\nlxc.hook.pre-start = /usr/local/bin/check\n"
        "lxc.hook.autodev = /bin/dev-hook\nlxc.hook.pre-mount = /bin/early\nlxc.tty.max = 5\n"
        "lxc.signal.halt = SIGUSR1\nlxc.signal.reboot = SIGTERM\nlxc.init.cmd = /sbin/init --opt 'a b'\n"
        "lxc.environment = LANG=C.UTF-8\nlxc.environment = HOME\nlxc.console.logfile = /var/log/c1.console\n"
        "lxc.uts.name = \"web1\"\nlxc.arch = amd64\nlxc.apparmor.profile = generated\nlxc.made.up = 1\n");
    auto s = settings(m);
    EXPECT_EQ(s["start.auto"], "true");
    EXPECT_EQ(s["start.delay"], "5");
    EXPECT_EQ(s["start.order"], "-3");
    EXPECT_EQ(s["start.groups"], "web|db|onboot");
    EXPECT_NE(s["hooks.pre_start"].find("/usr/local/bin/check \"$1\" lxc pre-start"), std::string::npos);
    EXPECT_NE(s["hooks.pre_start"].find("LXC_NAME=\"$XC_NAME\""), std::string::npos);
    EXPECT_NE(s["hooks.mount"].find("/bin/dev-hook"), std::string::npos);
    EXPECT_FALSE(row(m, "lxc.hook.pre-mount")->imported());
    EXPECT_EQ(s["tty.count"], "5");
    EXPECT_EQ(s["init.cmd"], "/sbin/init|--opt|a b");
    EXPECT_EQ(s["environment"], "LANG=C.UTF-8");
    EXPECT_FALSE(row(m, "lxc.environment", "HOME")->imported());
    EXPECT_EQ(s["uts.hostname"], "web1");
    EXPECT_TRUE(row(m, "lxc.arch")->imported());
    EXPECT_FALSE(row(m, "lxc.apparmor.profile")->imported());
    EXPECT_EQ(row(m, "lxc.made.up")->reason, "unknown to xc-import-lxc");
    ContainerConfig c = xcConfig(m);
    EXPECT_TRUE(c.start.autostart);
    EXPECT_EQ(c.start.order, -3);
    EXPECT_EQ(c.hooks.preStart.size(), 1u);
    EXPECT_EQ(c.haltSignal, "SIGUSR1");
    EXPECT_EQ(c.consoleLog, "/var/log/c1.console");
    EXPECT_EQ(c.hostname, "web1");
}

TEST(LxcMap, IdmapCapabilitiesSeccomp) {
    Mapping m = map(
        "lxc.net.0.type = empty\nlxc.idmap = u 0 100000 65536\nlxc.idmap = g 0 100000 65536\n"
        "lxc.cap.drop = sys_module mac_admin\nlxc.cap.drop = sys_time\n"
        "lxc.seccomp.profile = /usr/share/lxc/config/common.seccomp\n");
    auto s = settings(m);
    EXPECT_EQ(s["security.cap_drop"], "sys_module|mac_admin|sys_time");
    EXPECT_EQ(s["security.seccomp"], "default");
    EXPECT_EQ(s.count("security.privileged"), 0u);
    ContainerConfig c = xcConfig(m);
    ASSERT_EQ(c.idmap.size(), 2u);
    EXPECT_EQ(c.idmap[1].type, 'g');
    EXPECT_EQ(c.idmap[1].outside, 100000u);
    EXPECT_FALSE(c.security.privileged);
    Mapping other = map("lxc.net.0.type = empty\nlxc.seccomp.profile = /etc/my.seccomp\nlxc.cap.keep = none\n");
    EXPECT_FALSE(row(other, "lxc.seccomp.profile")->imported());
    EXPECT_FALSE(row(other, "lxc.cap.keep")->imported());
}

TEST(LxcMap, AValueXcRefusesIsListedNotImported) {
    Mapping m = map("lxc.net.0.type = veth\nlxc.net.0.link = br0\nlxc.net.0.hwaddr = 01:00:00:00:00:01\n"
                    "lxc.tty.max = 100\nlxc.mount.entry = /a b none bind 0 0\n");
    ContainerConfig c = xcConfig(m);
    EXPECT_NE(row(m, "lxc.tty.max")->reason.find("xc refuses it"), std::string::npos);
    // The whole interface goes with its refused multicast address.
    EXPECT_NE(row(m, "lxc.net.0.hwaddr")->reason.find("multicast"), std::string::npos) << row(m, "lxc.net.0.hwaddr")->reason;
    EXPECT_TRUE(c.network.empty());
    EXPECT_EQ(c.mounts.size(), 1u);
    EXPECT_EQ(c.ttyCount, 0);
}

TEST(LxcMap, RootfsPaths) {
    auto dir = parseRootfsPath("dir:/var/lib/lxc/c1/rootfs");
    ASSERT_TRUE(dir.ok());
    EXPECT_EQ(dir->backend, "dir");
    EXPECT_EQ(dir->path, "/var/lib/lxc/c1/rootfs");
    EXPECT_EQ(parseRootfsPath("/srv/c1")->path, "/srv/c1");
    EXPECT_EQ(parseRootfsPath("btrfs:/srv/c1")->path, "/srv/c1");
    for (const char* v : {"overlayfs:/var/lib/lxc/a/rootfs:/var/lib/lxc/b/delta0",
                          "overlay:/var/lib/lxc/a/rootfs:/var/lib/lxc/b/delta0"}) {
        auto o = parseRootfsPath(v);
        ASSERT_TRUE(o.ok()) << v;
        EXPECT_EQ(o->backend, "overlay");
        EXPECT_EQ(o->lower, "/var/lib/lxc/a/rootfs");
        EXPECT_EQ(o->upper, "/var/lib/lxc/b/delta0");
    }
    EXPECT_EQ(parseRootfsPath("lvm:/dev/vg/c1").error().code(), ENOTSUP);
    EXPECT_FALSE(parseRootfsPath("relative/path").ok());
    EXPECT_FALSE(parseRootfsPath("overlayfs:/only-one").ok());
    // Without lxc.rootfs.path, LXC's default: LXCPATH/NAME/rootfs.
    Mapping m = map("lxc.net.0.type = empty\n");
    EXPECT_EQ(m.rootfs.path, "/lxc/c1/rootfs");
}

TEST(LxcMap, EveryRowIsImportedOrHasAReason) {
    Mapping m = map(
        "lxc.net.0.type = veth\nlxc.net.0.link = lxcbr0\nlxc.net.0.flags = up\nlxc.apparmor.profile = generated\n"
        "lxc.apparmor.allow_nesting = 1\nlxc.rootfs.path = dir:/lxc/c1/rootfs\nlxc.signal.halt = SIGUSR1\n"
        "lxc.signal.reboot = SIGTERM\nlxc.uts.name = \"b1\"\nlxc.autodev = 1\nlxc.tty.max = 5\nlxc.pty.max = 1\n"
        "lxc.cap.drop = sys_module mac_admin mac_override sys_time\nlxc.mount.auto = cgroup:mixed proc:mixed sys:ro\n"
        "lxc.mount.entry = shm dev/shm tmpfs defaults,create=dir 0 0\n");
    for (const auto& r : m.rows) {
        LxcImportLine l{r.lxc.key, r.lxc.value, r.lxc.where, r.lxc.legacyKey, r.xc, r.reason};
        std::string shown = formatImportLine(l);
        if (r.imported()) {
            EXPECT_FALSE(r.xc.empty()) << shown;
        }
        EXPECT_EQ(shown.find(r.lxc.key), 0u) << shown;
    }
    EXPECT_EQ(formatImportLine({"lxc.pty.max", "1", "", "", "", "xc's devpts has the kernel's limit"}),
              "lxc.pty.max = 1: not imported: xc's devpts has the kernel's limit");
    EXPECT_EQ(formatImportLine({"lxc.uts.name", "old", "", "lxc.utsname", "uts.hostname = \"old\"", ""}),
              "lxc.utsname (lxc.uts.name) = old -> uts.hostname = \"old\"");
    xcConfig(m);
}

TEST(LxcMap, ALegacyLxc2ConfigImportsLikeItsLxc3Form) {
    Mapping m = map(
        "lxc.utsname = old\nlxc.network.type = veth\nlxc.network.link = br0\nlxc.network.ipv4 = 10.9.0.2/16\n"
        "lxc.network.ipv4.gateway = 10.9.0.1\nlxc.id_map = u 0 100000 65536\nlxc.id_map = g 0 100000 65536\n"
        "lxc.tty = 2\nlxc.haltsignal = SIGPWR\nlxc.hook.version = 1\nlxc.hook.stop = /bin/stop-hook\n");
    ContainerConfig c = xcConfig(m);
    EXPECT_EQ(c.hostname, "old");
    ASSERT_EQ(c.network.size(), 1u);
    EXPECT_EQ(c.network[0].ipv4, "10.9.0.2/16");
    EXPECT_EQ(c.network[0].gateway, "10.9.0.1");
    EXPECT_EQ(c.idmap.size(), 2u);
    EXPECT_EQ(c.ttyCount, 2);
    EXPECT_EQ(c.haltSignal, "SIGPWR");
    ASSERT_EQ(c.hooks.stop.size(), 1u);
    // Hook version 1: LXC_* variables, no arguments.
    EXPECT_NE(c.hooks.stop[0].find("LXC_HOOK_TYPE=stop"), std::string::npos);
    EXPECT_EQ(c.hooks.stop[0].find("\"$1\""), std::string::npos) << c.hooks.stop[0];
    EXPECT_EQ(row(m, "lxc.net.0.ipv4.address")->lxc.legacyKey, "lxc.network.ipv4");
}
