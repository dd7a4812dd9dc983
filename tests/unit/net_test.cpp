// Networking's pure logic: addresses, hardware addresses, host-side veth
// names, hwaddr assignment at create, xc-net's settings and dnsmasq line.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "xc/config.hpp"
#include "net/net.hpp"

using namespace xc;

namespace {
bool has(const std::vector<std::string>& v, const std::string& s) { return std::find(v.begin(), v.end(), s) != v.end(); }
bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }
}  // namespace

TEST(NetAddress, ParsesPrefixes) {
    auto a = parseIpPrefix("10.0.3.17/24");
    ASSERT_TRUE(a.ok()) << a.error().message();
    EXPECT_EQ(a->family, AF_INET);
    EXPECT_EQ(a->prefix, 24);
    EXPECT_EQ(a->address(), "10.0.3.17");
    EXPECT_EQ(a->text(), "10.0.3.17/24");
    EXPECT_EQ(a->network().text(), "10.0.3.0/24");
    EXPECT_EQ(a->broadcast().address(), "10.0.3.255");
    EXPECT_EQ(a->nth(1).address(), "10.0.3.1");
    EXPECT_EQ(a->nth(-1).address(), "10.0.3.254");
    EXPECT_EQ(parseIpPrefix("10.0.3.1/23")->nth(300).address(), "10.0.3.44");
    EXPECT_EQ(parseIpPrefix("10.0.2.1/23")->nth(-2).address(), "10.0.3.253");

    auto b = parseIpPrefix("fd00:1:2:3::10/64");
    ASSERT_TRUE(b.ok());
    EXPECT_EQ(b->family, AF_INET6);
    EXPECT_EQ(b->address(), "fd00:1:2:3::10");
    EXPECT_EQ(b->network().text(), "fd00:1:2:3::/64");
    EXPECT_TRUE(b->contains(*parseIpPrefix("fd00:1:2:3::1", true)));
    EXPECT_FALSE(b->contains(*parseIpPrefix("fd00:1:2:4::1", true)));
    EXPECT_FALSE(b->contains(*a));

    EXPECT_TRUE(a->contains(*parseIpPrefix("10.0.3.200", true)));
    EXPECT_FALSE(a->contains(*parseIpPrefix("10.0.4.1", true)));
    EXPECT_TRUE(a->sameAddress(*parseIpPrefix("10.0.3.17/8")));
    EXPECT_EQ(parseIpPrefix("10.0.3.1", true)->prefix, 32);
    EXPECT_EQ(parseIpPrefix("::1", true)->prefix, 128);
}

TEST(NetAddress, RefusesBadText) {
    for (const char* bad : {"10.0.3.1", "10.0.3/24", "10.0.3.1/33", "10.0.3.1/", "10.0.3.1/2x", "fd00::1/129",
                            "fd00::g/64", "", "/24", "hello"}) {
        auto r = parseIpPrefix(bad);
        EXPECT_FALSE(r.ok()) << bad;
        if (!r.ok()) {
            EXPECT_EQ(r.error().code(), EINVAL) << bad;
        }
    }
    EXPECT_TRUE(contains(parseIpPrefix("10.0.3.1/40").error().message(), "0-32"));
    EXPECT_TRUE(contains(parseIpPrefix("10.0.3.1").error().message(), "ADDR/LEN"));
}

TEST(NetHwaddr, RandomIsXenOuiUnicastAndVaries) {
    std::set<std::string> seen;
    for (int i = 0; i < 200; ++i) {
        std::string m = randomHwaddr();
        ASSERT_EQ(m.size(), 17u);
        EXPECT_EQ(m.rfind("00:16:3e:", 0), 0u) << m;
        auto p = parseHwaddr(m);
        ASSERT_TRUE(p.ok()) << m;
        EXPECT_EQ((*p)[0] & 1, 0) << "multicast " << m;
        EXPECT_LT((*p)[3], 0x80) << m;
        EXPECT_EQ(formatHwaddr(*p), m);
        // The schema accepts what we generate.
        seen.insert(m);
    }
    EXPECT_GT(seen.size(), 190u);
}

TEST(NetHwaddr, StableFromSeed) {
    EXPECT_EQ(stableHwaddr("c1\0/var/lib/xc/c1/rootfs"), stableHwaddr("c1\0/var/lib/xc/c1/rootfs"));
    EXPECT_NE(stableHwaddr("c1/0"), stableHwaddr("c1/1"));
    EXPECT_EQ(stableHwaddr("x").rfind("00:16:3e:", 0), 0u);
}

TEST(NetHwaddr, ParseRefusesBadText) {
    for (const char* bad : {"", "00:16:3e:aa:bb", "00:16:3e:aa:bb:cc:dd", "00-16-3e-aa-bb-cc", "00:16:3e:aa:bb:xx",
                            "0016.3eaa.bbcc"})
        EXPECT_FALSE(parseHwaddr(bad).ok()) << bad;
    auto m = parseHwaddr("00:16:3E:0a:Bb:cC");
    ASSERT_TRUE(m.ok());
    EXPECT_EQ(formatHwaddr(*m), "00:16:3e:0a:bb:cc");
}

TEST(NetNames, HostVethNameIsShortStableAndDistinct) {
    std::string a = hostVethName("c1", "/var/lib/xc/c1/rootfs", 0);
    EXPECT_LE(a.size(), 15u);
    EXPECT_EQ(a.rfind("xc", 0), 0u);
    EXPECT_EQ(a, hostVethName("c1", "/var/lib/xc/c1/rootfs", 0));
    EXPECT_NE(a, hostVethName("c1", "/tmp/other/c1/rootfs", 0));  // another base
    EXPECT_NE(a, hostVethName("c2", "/var/lib/xc/c2/rootfs", 0));
    EXPECT_NE(a, hostVethName("c1", "/var/lib/xc/c1/rootfs", 1));
    EXPECT_LE(hostVethName(std::string(64, 'n'), "/x", 99).size(), 15u);
    EXPECT_TRUE(isXcHostVethName(a));
    EXPECT_TRUE(isXcHostVethName(hostVethName("c1", "/x", 42)));
    EXPECT_FALSE(isXcHostVethName("eth0"));
    EXPECT_FALSE(isXcHostVethName("vethabcdef"));
    EXPECT_FALSE(isXcHostVethName("xcbr0"));
}

TEST(NetNames, HostLinkNamesFollowTheConfig) {
    ContainerConfig c;
    c.name = "web";
    c.rootfsPath = "/var/lib/xc/web/rootfs";
    c.network = {{"veth", "xcbr0", "eth0"}, {"veth", "xcbr0", "eth1"}, {"macvlan", "dummy0", "eth2"},
                 {"phys", "enp9s0", "eth3"}, {"empty"}};
    c.network[1].hostName = "myveth";
    auto names = hostLinkNames(c);
    ASSERT_EQ(names.size(), 5u);
    EXPECT_EQ(names[0], hostVethName("web", "/var/lib/xc/web/rootfs", 0));
    EXPECT_EQ(names[1], "myveth");
    EXPECT_EQ(names[2], "dummy0");
    EXPECT_EQ(names[3], "enp9s0");
    EXPECT_EQ(names[4], "");
}

TEST(NetCreate, AssignsHwaddrsOnceToVethAndMacvlan) {
    std::string text =
        "# xc config of container c1\n"
        "name = \"c1\";\n"
        "rootfs = { path = \"/var/lib/xc/c1/rootfs\"; };\n"
        "network = ( { type = \"veth\"; link = \"xcbr0\"; name = \"eth0\"; },\n"
        "            { type = \"veth\"; link = \"xcbr0\"; hwaddr = \"00:16:3e:01:02:03\"; },\n"
        "            { type = \"macvlan\"; link = \"eth9\"; },\n"
        "            { type = \"empty\"; } );\n";
    auto out = assignHwaddrs(text);
    ASSERT_TRUE(out.ok()) << out.error().message();
    EXPECT_EQ(out->rfind("# xc config of container c1\n", 0), 0u) << *out;
    auto cfg = parseConfig(*out, "t");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message() << "\n" << *out;
    ASSERT_EQ(cfg->network.size(), 4u);
    EXPECT_EQ(cfg->network[0].hwaddr.rfind("00:16:3e:", 0), 0u);
    EXPECT_EQ(cfg->network[1].hwaddr, "00:16:3e:01:02:03");  // kept
    EXPECT_EQ(cfg->network[2].hwaddr.rfind("00:16:3e:", 0), 0u);
    EXPECT_NE(cfg->network[0].hwaddr, cfg->network[2].hwaddr);
    EXPECT_EQ(cfg->network[3].hwaddr, "");
    // Again: nothing changes (kept across restarts).
    auto again = assignHwaddrs(*out);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(*again, *out);
    // A clone regenerates.
    auto cloned = assignHwaddrs(*out, true);
    ASSERT_TRUE(cloned.ok());
    auto cc = parseConfig(*cloned, "t");
    ASSERT_TRUE(cc.ok());
    EXPECT_NE(cc->network[0].hwaddr, cfg->network[0].hwaddr);
    EXPECT_NE(cc->network[1].hwaddr, "00:16:3e:01:02:03");
    // No network: text untouched.
    EXPECT_EQ(*assignHwaddrs("name = \"x\";\n"), "name = \"x\";\n");
}

TEST(NetCreate, InstalledDefaultGivesOneVethOnXcbr0WithDhcp) {
    std::string defaults = std::string(XC_SOURCE_DIR) + "/config/default.conf";
    auto built = buildCreateConfig({defaults, "", "", "c1", "/var/lib/xc/c1/rootfs", "dir"});
    ASSERT_TRUE(built.ok()) << built.error().message();
    auto text = assignHwaddrs(*built);
    ASSERT_TRUE(text.ok());
    auto cfg = parseConfig(*text, "t");
    ASSERT_TRUE(cfg.ok()) << cfg.error().message();
    ASSERT_EQ(cfg->network.size(), 1u);
    EXPECT_EQ(cfg->network[0].type, "veth");
    EXPECT_EQ(cfg->network[0].link, "xcbr0");
    EXPECT_EQ(cfg->network[0].name, "eth0");
    EXPECT_EQ(cfg->network[0].ipv4, "");
    EXPECT_EQ(cfg->network[0].hwaddr.rfind("00:16:3e:", 0), 0u);
    // The integration tests' defaults have no network (no bridge needed).
    std::string testDefaults = std::string(XC_SOURCE_DIR) + "/tests/integration/data/default.conf";
    auto t = buildCreateConfig({testDefaults, "", "", "c1", "/var/lib/xc/c1/rootfs", "dir"});
    ASSERT_TRUE(t.ok()) << t.error().message();
    EXPECT_TRUE(parseConfig(*t, "t")->network.empty());
}

TEST(NetBridgeConfig, Defaults) {
    auto c = parseBridgeConfig("", "xc-net.conf");
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_EQ(c->bridge, "xcbr0");
    EXPECT_EQ(c->ipv4.text(), "10.0.3.1/24");
    EXPECT_EQ(c->dhcpStart.address(), "10.0.3.2");
    EXPECT_EQ(c->dhcpEnd.address(), "10.0.3.254");
    EXPECT_EQ(c->dhcpMax, 253);
    EXPECT_TRUE(c->dhcp);
    EXPECT_TRUE(c->nat);
    EXPECT_FALSE(c->ipv6.valid());
    EXPECT_EQ(nftTableName(c->bridge), "xcnet_xcbr0");
    EXPECT_EQ(nftTableName("xct-1.a"), "xcnet_xct_1_a");
    // The installed file states the defaults.
    auto installed = loadBridgeConfig(std::string(XC_SOURCE_DIR) + "/config/xc-net.conf");
    ASSERT_TRUE(installed.ok()) << installed.error().message();
    EXPECT_EQ(installed->bridge, "xcbr0");
    EXPECT_EQ(installed->ipv4.text(), "10.0.3.1/24");
    auto missing = loadBridgeConfig("/nonexistent/xc-net.conf");
    ASSERT_TRUE(missing.ok());
    EXPECT_EQ(missing->bridge, "xcbr0");
}

TEST(NetBridgeConfig, Settings) {
    auto c = parseBridgeConfig(
        "bridge = \"xct7\";\nipv4 = \"10.254.7.1/24\";\ndhcp_range = \"10.254.7.100,10.254.7.150\";\n"
        "lease_time = \"10m\";\nipv6 = \"fd00:7::1/64\";\nnat = false;\ndomain = \"lab\";\n",
        "t.conf");
    ASSERT_TRUE(c.ok()) << c.error().message();
    EXPECT_EQ(c->bridge, "xct7");
    EXPECT_EQ(c->dhcpStart.address(), "10.254.7.100");
    EXPECT_EQ(c->dhcpEnd.address(), "10.254.7.150");
    EXPECT_EQ(c->dhcpMax, 51);
    EXPECT_EQ(c->ipv6.text(), "fd00:7::1/64");
    EXPECT_FALSE(c->nat);
    // A bridge address at the start of the subnet's default range is skipped.
    auto d = parseBridgeConfig("ipv4 = \"192.168.5.254/24\";\n", "t.conf");
    ASSERT_TRUE(d.ok());
    EXPECT_EQ(d->dhcpStart.address(), "192.168.5.1");
    EXPECT_EQ(d->dhcpEnd.address(), "192.168.5.253");

    auto args = dnsmasqArgs(*c, "/s/p", "/s/l", "/s/log");
    EXPECT_TRUE(has(args, "--no-ping"));
    EXPECT_TRUE(has(args, "--bind-interfaces"));
    EXPECT_TRUE(has(args, "--interface=xct7"));
    EXPECT_TRUE(has(args, "--except-interface=lo"));
    EXPECT_TRUE(has(args, "--pid-file=/s/p"));
    EXPECT_TRUE(has(args, "--dhcp-leasefile=/s/l"));
    EXPECT_TRUE(has(args, "--listen-address=10.254.7.1"));
    EXPECT_TRUE(has(args, "--dhcp-range=10.254.7.100,10.254.7.150,10m"));
    EXPECT_TRUE(has(args, "--conf-file=/dev/null"));
    EXPECT_TRUE(has(args, "--enable-ra"));
    EXPECT_TRUE(has(args, "--domain=lab"));
}

TEST(NetBridgeConfig, ErrorsNameFileLineAndKey) {
    struct Case {
        const char* text;
        const char* want;
    } cases[] = {
        {"brdge = \"x\";\n", "t.conf:1: brdge: unknown key (did you mean 'bridge'?)"},
        {"\nbridge = 5;\n", "t.conf:2: bridge: expected a string, got an integer"},
        {"bridge = \"much-too-long-bridge\";\n", "t.conf:1: bridge: invalid bridge name"},
        {"bridge = \"a/b\";\n", "invalid bridge name"},
        {"nat = \"yes\";\n", "t.conf:1: nat: expected a boolean (true or false), got a string"},
        {"ipv4 = \"10.0.3.1\";\n", "t.conf:1: ipv4: '10.0.3.1' must be an IPv4 ADDR/LEN"},
        {"ipv4 = \"10.0.3.0/24\";\n", "network or broadcast address"},
        {"ipv4 = \"fd00::1/64\";\n", "must be an IPv4"},
        {"dhcp_range = \"10.0.3.2\";\n", "t.conf:1: dhcp_range: use \"FIRST,LAST\""},
        {"dhcp_range = \"10.0.4.2,10.0.4.9\";\n", "t.conf:1: dhcp_range: '10.0.4.2,10.0.4.9' is not inside 10.0.3.0/24"},
        {"dhcp_range = \"10.0.3.9,10.0.3.2\";\n", "the first address comes after the last"},
        {"ipv6 = \"fd00::1/48\";\n", "must be an IPv6 ADDR/64"},
        {"lease_time = \"soon\";\n", "invalid lease time"},
        {"mtu = 20;\n", "t.conf:1: mtu: must be between 68 and 65535, got 20"},
        {"\n\nlease_tme = \"1h\";\n", "t.conf:3: lease_tme: unknown key (did you mean 'lease_time'?)"},
        {"dhcp_max = \"many\";\n", "t.conf:1: dhcp_max: expected an integer, got a string"},
        {"nat = true;\ndhcp_range = \"10.0.3.9,10.0.3.2\";\n", "t.conf:2: dhcp_range: the first address comes after the last"},
        {"bridge = \"x\";\nnat = ;\n", "t.conf:2"},  // a syntax error
    };
    for (const auto& k : cases) {
        auto r = parseBridgeConfig(k.text, "t.conf");
        ASSERT_FALSE(r.ok()) << k.text;
        EXPECT_TRUE(contains(r.error().message(), k.want)) << k.text << " -> " << r.error().message();
    }
}

TEST(NetBridgeConfig, FileErrorsNameThePathAndLine) {
    char dir[] = "/tmp/xc-netconf-XXXXXX";
    ASSERT_NE(::mkdtemp(dir), nullptr);
    std::string file = std::string(dir) + "/xc-net.conf";
    {
        std::ofstream out(file);
        out << "# comment\nbridge = \"xct9\";\nnat6 = true;\ndomian = \"lab\";\n";
    }
    auto r = loadBridgeConfig(file);
    ::unlink(file.c_str());
    ::rmdir(dir);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().message(), file + ":4: domian: unknown key (did you mean 'domain'?)");
}
