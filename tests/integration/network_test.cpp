// Networking end to end: a real bridge made by xc-net with a real dnsmasq
// and nftables NAT, veth/macvlan/phys/empty interfaces in real containers.
// Every test has a bridge, subnet (10.254.N.0/24, fd00:254:N::/64), xc-net
// settings and state directory of its own, and sends traffic only to
// addresses inside this machine. TearDown removes everything: containers,
// xc-net (dnsmasq, nft table, bridge), and the test's extra links and
// network namespaces, even when a test fails.
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <regex>
#include <sstream>

#include "harness.hpp"
#include "xc/bridge.hpp"

namespace xcit {
namespace {

std::string findBinary(const std::string& name) {
    for (const char* d : {"/usr/sbin/", "/sbin/", "/usr/bin/", "/bin/"})
        if (::access((std::string(d) + name).c_str(), X_OK) == 0) return d + name;
    return "/usr/sbin/" + name;
}

class NetworkTest : public XcTest {
protected:
    void SetUp() override {
        XcTest::SetUp();
        if (HasFatalFailure()) return;
        ASSERT_EQ(::geteuid(), 0u) << "network tests need root";
        ipBin_ = findBinary("ip");
        nftBin_ = findBinary("nft");
        ASSERT_EQ(::access(toolPath("xc-net").c_str(), X_OK), 0) << "xc-net not built";
        if (::access(findBinary("dnsmasq").c_str(), X_OK) != 0) GTEST_SKIP() << "dnsmasq is not installed (dnsmasq-base)";
        // A subnet and bridge nobody on this host uses.
        FreeTestNet net = pickFreeTestNet(ipBin_);
        ASSERT_GT(net.n, 0) << "no free test subnet";
        n_ = net.n;
        tag_ = net.tag;
        bridge_ = "xct" + tag_ + "0";
        char dir[] = "/tmp/xc-it-net-XXXXXX";
        ASSERT_NE(::mkdtemp(dir), nullptr);
        stateParent_ = dir;
        extraCleanup_.push_back(stateParent_);
        stateDir_ = stateParent_ + "/state";
        netConf_ = stateParent_ + "/xc-net.conf";
        writeNetConf("");
        linksBefore_ = hostLinks();
        RunResult r = xcNet("start");
        XC_ASSERT_OK(r);
        netStarted_ = true;
    }

    void TearDown() override {
        // Containers first (their veths are on the bridge), then xc-net,
        // then whatever a failed test may have left.
        for (const auto& name : listNames(base_)) {
            if (name.empty() || name[0] == '.') continue;
            RunOptions o;
            o.timeoutSeconds = 30;
            (void)xc("xc-stop", {"-n", name, "-k"}, o);
            (void)xc("xc-destroy", {"-n", name, "-f"}, o);
        }
        if (netStarted_ || !stateDir_.empty()) (void)xcNet("stop");
        if (!bridge_.empty()) {
            std::string pidFile = stateDir_ + "/" + bridge_ + ".dnsmasq.pid";
            pid_t p = std::atoi(readText(pidFile).c_str());
            if (p > 0 && contains(cmdlineOf(p), pidFile)) {
                ADD_FAILURE() << "dnsmasq " << p << " was left running";
                ::kill(p, SIGKILL);
            }
            if (linkExists(bridge_)) {
                ADD_FAILURE() << "bridge " << bridge_ << " was left behind";
                run({ipBin_, "link", "del", bridge_});
            }
            std::string table = "xcnet_" + bridge_;
            if (contains(run({nftBin_, "list", "tables"}).out, table)) {
                ADD_FAILURE() << "nft table " << table << " was left behind";
                run({nftBin_, "delete", "table", "inet", table});
            }
        }
        for (const auto& l : extraLinks_)
            if (linkExists(l)) run({ipBin_, "link", "del", l});
        for (const auto& ns : netns_) run({ipBin_, "netns", "del", ns});
        // Nothing left on the host: no veth, bridge or macvlan that was not
        // there before the test, whoever made it (containers, xc-net, the test).
        for (const auto& l : newLinks()) {
            ADD_FAILURE() << "link left on the host: " << l;
            run({ipBin_, "link", "del", l});
        }
        XcTest::TearDown();
    }

    // ---- helpers ----
    void writeNetConf(const std::string& extra) {
        std::string conf = "bridge = \"" + bridge_ + "\";\nipv4 = \"" + net(1) + "/24\";\nipv6 = \"" + net6(1) +
                           "/64\";\nlease_time = \"10m\";\n" + extra;
        ASSERT_TRUE(writeText(netConf_, conf));
    }
    RunResult xcNet(const std::string& cmd) {
        return run({toolPath("xc-net"), "-c", netConf_, "-s", stateDir_, cmd});
    }
    std::string net(int host) const { return "10.254." + std::to_string(n_) + "." + std::to_string(host); }
    std::string net6(int host) const { return "fd00:254:" + std::to_string(n_) + "::" + std::to_string(host); }
    std::string outside(int host) const { return "172.31." + std::to_string(n_) + "." + std::to_string(host); }

    bool linkExists(const std::string& name) { return run({ipBin_, "link", "show", "dev", name}).ok(); }
    // Every host link of a kind a test can make (veth, bridge, macvlan), by name.
    std::set<std::string> hostLinks() {
        std::set<std::string> out;
        std::regex re("^[0-9]+: ([^:@ ]+)[@:]");
        for (const char* type : {"veth", "bridge", "macvlan"})
            for (const auto& l : lines(run({ipBin_, "-o", "link", "show", "type", type}).out)) {
                std::smatch m;
                if (std::regex_search(l, m, re)) out.insert(m[1].str());
            }
        return out;
    }
    // Those links that were not there when the test began.
    std::vector<std::string> newLinks() {
        std::vector<std::string> out;
        for (const auto& l : hostLinks())
            if (!linksBefore_.count(l)) out.push_back(l);
        return out;
    }
    // Host links with xc's host-veth name form that appeared during the
    // test: every container veth, recorded by linkOf() or not.
    std::vector<std::string> xcVeths() {
        std::vector<std::string> out;
        std::regex re("^xc[0-9a-f]{10}-[0-9]+$");
        for (const auto& l : newLinks())
            if (std::regex_match(l, re)) out.push_back(l);
        return out;
    }
    // The Link: line of xc-info (the host veth).
    std::string linkOf(const std::string& name) {
        for (const auto& l : lines(info(name, {"-S"}).out))
            if (l.rfind("Link:", 0) == 0) {
                std::string v = l.substr(5);
                v.erase(0, v.find_first_not_of(' '));
                mine_.insert(v);
                return v;
            }
        return "";
    }
    std::vector<std::string> ips(const std::string& name) {
        std::vector<std::string> out;
        for (const auto& l : lines(info(name, {"-i"}).out))
            if (l.rfind("IP:", 0) == 0) {
                std::istringstream in(l.substr(3));
                std::string a;
                in >> a;
                out.push_back(a);
            }
        return out;
    }
    bool hasIp(const std::string& name, const std::string& ip) {
        for (const auto& a : ips(name))
            if (a == ip) return true;
        return false;
    }
    std::string veth(const std::string& extra = "") {
        return "network = ( { type = \"veth\"; link = \"" + bridge_ + "\"; name = \"eth0\"; " + extra + " } );\n";
    }
    RunResult ping(const std::string& name, const std::string& addr, bool v6 = false) {
        return attach(name, {v6 ? "ping6" : "ping", "-c", "1", "-W", "3", addr});
    }
    std::string hwaddrOf(const std::string& name) {
        std::smatch m;
        std::string cfg = readText(configFile(name));
        if (std::regex_search(cfg, m, std::regex("hwaddr = \"([0-9a-f:]{17})\""))) return m[1].str();
        return "";
    }

    std::string ipBin_, nftBin_;
    int n_ = 0;
    std::string tag_, bridge_, stateParent_, stateDir_, netConf_;
    bool netStarted_ = false;
    std::vector<std::string> extraLinks_, netns_;
    std::set<std::string> mine_;         // host veths of this test's containers (xc-info Link:)
    std::set<std::string> linksBefore_;  // host veths, bridges, macvlans before the test
};

TEST_F(NetworkTest, XcNetStatusIdempotentStartAndCleanStop) {
    RunResult st = xcNet("status");
    XC_EXPECT_OK(st);
    EXPECT_TRUE(contains(st.out, "Bridge:      " + bridge_ + " (up, made by xc-net)")) << st.out;
    EXPECT_TRUE(contains(st.out, net(1) + "/24")) << st.out;
    EXPECT_TRUE(contains(st.out, "dnsmasq:     pid ")) << st.out;
    EXPECT_TRUE(contains(st.out, "nft table inet xcnet_" + bridge_ + " present")) << st.out;
    std::string pid = readText(stateDir_ + "/" + bridge_ + ".dnsmasq.pid");
    XC_EXPECT_OK(xcNet("start"));  // again: nothing changes
    EXPECT_EQ(readText(stateDir_ + "/" + bridge_ + ".dnsmasq.pid"), pid);
    std::string cmd = cmdlineOf(std::atoi(pid.c_str()));
    for (const char* want : {"--no-ping", "--bind-interfaces", "--except-interface=lo"})
        EXPECT_TRUE(contains(cmd, want)) << cmd;
    EXPECT_TRUE(contains(cmd, "--interface=" + bridge_)) << cmd;
    EXPECT_TRUE(contains(cmd, "--dhcp-leasefile=" + stateDir_)) << cmd;

    XC_EXPECT_OK(xcNet("stop"));
    EXPECT_FALSE(linkExists(bridge_));
    EXPECT_FALSE(contains(run({nftBin_, "list", "tables"}).out, "xcnet_" + bridge_));
    EXPECT_FALSE(processAlive(std::atoi(pid.c_str())) && contains(cmdlineOf(std::atoi(pid.c_str())), stateDir_));
    EXPECT_FALSE(exists(stateDir_)) << "state dir left";
    RunResult down = xcNet("status");
    EXPECT_EQ(down.status, 3) << down.describe();
    XC_EXPECT_OK(xcNet("stop"));  // stopping a stopped bridge is fine

    // A bridge made by hand is used, and left in place by stop.
    ASSERT_TRUE(run({ipBin_, "link", "add", bridge_, "type", "bridge"}).ok());
    XC_ASSERT_OK(xcNet("start"));
    RunResult st2 = xcNet("status");
    EXPECT_TRUE(contains(st2.out, "made by hand")) << st2.out;
    XC_EXPECT_OK(xcNet("stop"));
    EXPECT_TRUE(linkExists(bridge_)) << "a hand-made bridge was destroyed";
    EXPECT_FALSE(contains(run({ipBin_, "-o", "addr", "show", "dev", bridge_}).out, net(1) + "/")) << "address left";
    run({ipBin_, "link", "del", bridge_});
    netStarted_ = false;
}

TEST_F(NetworkTest, TwoContainersPingEachOtherOverTheBridge) {
    XC_ASSERT_OK(createWithConfig("a", veth("ipv4 = \"" + net(11) + "/24\"; gateway = \"" + net(1) + "\";")));
    XC_ASSERT_OK(createWithConfig("b", veth("ipv4 = \"" + net(12) + "/24\";")));
    RunResult s = start("a");
    XC_ASSERT_OK(s);
    XC_ASSERT_OK(start("b"));
    std::printf("[ measure  ] xc-start with one static veth: %.3f s\n", s.seconds);
    EXPECT_TRUE(hasIp("a", net(11)));
    EXPECT_TRUE(hasIp("b", net(12)));
    RunResult p = ping("a", net(12));
    XC_EXPECT_OK(p);
    XC_EXPECT_OK(ping("b", net(11)));
    XC_EXPECT_OK(ping("a", net(1)));  // the bridge
    // The default route goes through the gateway.
    RunResult r = attach("a", {"ip", "route"});
    EXPECT_TRUE(contains(r.out, "default via " + net(1))) << r.out;
    // Link: names the host veth, which is on the bridge; loopback is up.
    std::string la = linkOf("a"), lb = linkOf("b");
    ASSERT_FALSE(la.empty());
    EXPECT_NE(la, lb);
    EXPECT_LE(la.size(), 15u);
    EXPECT_TRUE(contains(run({ipBin_, "-o", "link", "show", "master", bridge_}).out, la + "@"));
    RunResult lo = attach("a", {"ip", "-o", "addr", "show", "dev", "lo"});
    EXPECT_TRUE(contains(lo.out, "127.0.0.1")) << lo.out;
    // Traffic shows in xc-info (raw and humanized).
    RunResult raw = info("a", {"-S", "-H"});
    std::smatch m;
    ASSERT_TRUE(std::regex_search(raw.out, m, std::regex(" TX bytes:\\s+([0-9]+)\n"))) << raw.out;
    EXPECT_GT(std::stoull(m[1].str()), 0u);
    EXPECT_TRUE(contains(raw.out, " Total bytes:")) << raw.out;
    EXPECT_TRUE(std::regex_search(info("a").out, std::regex(" RX bytes:\\s+[0-9.]+ (bytes|KiB|MiB)"))) << info("a").out;
    // xc-ls -f fills IPV4.
    RunResult ls = xc("xc-ls", {"-f"});
    EXPECT_TRUE(contains(ls.out, net(11))) << ls.out;
    // The hwaddr written at create is the one inside, and stays across a restart.
    std::string mac = hwaddrOf("a");
    ASSERT_EQ(mac.rfind("00:16:3e:", 0), 0u) << readText(configFile("a"));
    EXPECT_TRUE(contains(attach("a", {"cat", "/sys/class/net/eth0/address"}).out, mac));
    XC_ASSERT_OK(stop("a", {"-k"}));
    EXPECT_FALSE(linkExists(la)) << "host veth left after stop";
    XC_ASSERT_OK(start("a"));
    EXPECT_TRUE(contains(attach("a", {"cat", "/sys/class/net/eth0/address"}).out, mac));
    EXPECT_EQ(hwaddrOf("a"), mac);
    XC_EXPECT_OK(stop("a"));
    XC_EXPECT_OK(stop("b", {"-k"}));
    EXPECT_TRUE(xcVeths().empty());
    expectNothingRunning("a", "after stop");
}

TEST_F(NetworkTest, DhcpLeaseShowsInXcInfoAndIsReleasedAtStop) {
    XC_ASSERT_OK(createWithConfig("d", veth()));
    std::string mac = hwaddrOf("d");
    ASSERT_FALSE(mac.empty());
    auto t0 = std::chrono::steady_clock::now();
    XC_ASSERT_OK(start("d"));
    std::string got;
    bool bound = waitUntil(
        [&] {
            for (const auto& a : ips("d"))
                if (a.rfind("10.254." + std::to_string(n_) + ".", 0) == 0) got = a;
            return !got.empty();
        },
        15.0, 0.02);
    double secs = since(t0);
    ASSERT_TRUE(bound) << "no DHCP address after 15 s; udhcpc log: "
                       << attach("d", {"cat", "/var/log/udhcpc.log"}).out;
    std::printf("[ measure  ] start to DHCP address bound (xc-info -i): %.3f s\n", secs);
    linkOf("d");
    std::string leases = stateDir_ + "/" + bridge_ + ".leases";
    EXPECT_TRUE(contains(readText(leases), mac + " " + got)) << readText(leases);
    XC_EXPECT_OK(ping("d", net(1)));  // reaches the bridge address
    RunResult ls = xc("xc-ls", {"-f"});
    EXPECT_TRUE(contains(ls.out, got)) << ls.out;
    // The IPv6 prefix of the bridge is advertised: a SLAAC address appears.
    EXPECT_TRUE(waitUntil([&] {
        for (const auto& a : ips("d"))
            if (a.rfind("fd00:254:" + std::to_string(n_) + ":", 0) == 0) return true;
        return false;
    }, 10.0)) << info("d", {"-i"}).out;

    XC_ASSERT_OK(stop("d"));
    EXPECT_TRUE(waitUntil([&] { return !contains(readText(leases), mac); }, 3.0))
        << "lease left after stop: " << readText(leases);
    EXPECT_TRUE(xcVeths().empty());
    // A restart gets the same address back (same hwaddr).
    XC_ASSERT_OK(start("d"));
    EXPECT_TRUE(waitUntil([&] { return hasIp("d", got); }, 15.0)) << info("d", {"-i"}).out;
}

TEST_F(NetworkTest, KilledSupervisorLeavesNoVeth) {
    XC_ASSERT_OK(createWithConfig("k", veth("ipv4 = \"" + net(40) + "/24\";")));
    XC_ASSERT_OK(start("k"));
    std::string link = linkOf("k");
    ASSERT_TRUE(linkExists(link));
    auto mons = monitors("k");
    ASSERT_EQ(mons.size(), 1u);
    ASSERT_EQ(::kill(mons[0], SIGKILL), 0);
    EXPECT_TRUE(waitUntil([&] { return !linkExists(link); }, 10.0)) << "veth " << link << " outlived its supervisor";
    EXPECT_TRUE(waitUntil([&] { return state("k") == "STOPPED"; }, 10.0));
    // The address claim died with the supervisor: it starts again at once.
    XC_ASSERT_OK(start("k"));
    EXPECT_TRUE(hasIp("k", net(40)));
    XC_EXPECT_OK(stop("k", {"-k"}));
    EXPECT_FALSE(linkExists(link));
}

TEST_F(NetworkTest, MissingBridgeNamesItAndXcNetStart) {
    std::string missing = "xct" + tag_ + "x";
    XC_ASSERT_OK(createWithConfig("m", "network = ( { type = \"veth\"; link = \"" + missing + "\"; } );\n"));
    RunResult r = start("m");
    EXPECT_FALSE(r.ok()) << r.describe();
    EXPECT_TRUE(contains(r.err, "bridge '" + missing + "' does not exist")) << r.err;
    EXPECT_TRUE(contains(r.err, "xc-net start")) << r.err;
    EXPECT_EQ(lines(r.err).size(), 1u) << r.err;
    expectNothingRunning("m", "after a failed start");
}

TEST_F(NetworkTest, DuplicateStaticAddressIsRefused) {
    XC_ASSERT_OK(createWithConfig("p", veth("ipv4 = \"" + net(21) + "/24\";")));
    XC_ASSERT_OK(createWithConfig("q", veth("ipv4 = \"" + net(21) + "/24\";")));
    XC_ASSERT_OK(createWithConfig("h", veth("ipv4 = \"" + net(1) + "/24\";")));
    XC_ASSERT_OK(start("p"));
    RunResult r = start("q");
    EXPECT_FALSE(r.ok()) << r.describe();
    EXPECT_TRUE(contains(r.err, "static address " + net(21))) << r.err;
    EXPECT_TRUE(contains(r.err, "already used by running container 'p'")) << r.err;
    expectNothingRunning("q", "after a refused start");
    RunResult h = start("h");  // the bridge's own address
    EXPECT_FALSE(h.ok());
    EXPECT_TRUE(contains(h.err, "already used by the host (interface " + bridge_ + ")")) << h.err;
    XC_ASSERT_OK(stop("p", {"-k"}));
    XC_EXPECT_OK(start("q"));  // free again
    linkOf("q");
}

TEST_F(NetworkTest, StaticIpv6BetweenTwoContainers) {
    XC_ASSERT_OK(createWithConfig("s6", veth("ipv6 = \"" + net6(11) + "/64\";")));
    XC_ASSERT_OK(createWithConfig("t6", veth("ipv6 = \"" + net6(12) + "/64\"; gateway6 = \"" + net6(1) + "\";")));
    XC_ASSERT_OK(start("s6"));
    XC_ASSERT_OK(start("t6"));
    EXPECT_TRUE(hasIp("s6", net6(11)));
    // Static addresses skip duplicate address detection: usable at once
    // (xc checks duplicates among running containers itself).
    RunResult p = ping("s6", net6(12), true);
    XC_EXPECT_OK(p);
    XC_EXPECT_OK(ping("t6", net6(1), true));
    RunResult r = attach("t6", {"ip", "-6", "route"});
    EXPECT_TRUE(contains(r.out, "default via " + net6(1))) << r.out;
    RunResult ls = xc("xc-ls", {"-f"});
    EXPECT_TRUE(contains(ls.out, net6(11))) << ls.out;
    linkOf("s6");
    linkOf("t6");
}

TEST_F(NetworkTest, MacvlanPhysAndEmptyTypesStart) {
    // The kernel here has no dummy driver: a veth pair stands in for the
    // parent (macvlan) and for the device handed to a container (phys).
    std::string p0 = "xct" + tag_ + "p", p1 = "xct" + tag_ + "q";
    extraLinks_ = {p0, p1};
    ASSERT_TRUE(run({ipBin_, "link", "add", p0, "type", "veth", "peer", "name", p1}).ok());
    ASSERT_TRUE(run({ipBin_, "link", "set", p0, "up"}).ok());
    XC_ASSERT_OK(createWithConfig("mv", "network = ( { type = \"macvlan\"; link = \"" + p0 +
                                            "\"; macvlan_mode = \"bridge\"; ipv4 = \"" + outside(2) +
                                            "/24\"; }, { type = \"empty\"; } );\n"));
    XC_ASSERT_OK(createWithConfig("e", "network = ( { type = \"empty\"; } );\n"));
    XC_ASSERT_OK(createWithConfig("ph", "network = ( { type = \"phys\"; link = \"" + p1 + "\"; name = \"eth7\"; ipv4 = \"" +
                                            outside(3) + "/24\"; } );\n"));
    XC_ASSERT_OK(start("mv"));
    XC_ASSERT_OK(start("e"));
    XC_ASSERT_OK(start("ph"));
    RunResult mv = attach("mv", {"ip", "-o", "addr", "show", "dev", "eth0"});
    EXPECT_TRUE(contains(mv.out, outside(2) + "/24")) << mv.out;
    EXPECT_TRUE(contains(attach("mv", {"cat", "/sys/class/net/eth0/address"}).out, hwaddrOf("mv")));
    RunResult el = attach("e", {"ls", "/sys/class/net"});
    EXPECT_EQ(el.out, "lo\n") << el.out;
    EXPECT_TRUE(contains(attach("e", {"ip", "-o", "link", "show", "lo"}).out, "UP")) << "loopback down";
    // The phys device left the host and works inside under its new name.
    EXPECT_FALSE(linkExists(p1));
    EXPECT_TRUE(contains(attach("ph", {"ip", "-o", "addr", "show", "dev", "eth7"}).out, outside(3)));
    XC_EXPECT_OK(ping("ph", outside(2)));  // phys end -> veth -> macvlan on the other end
    EXPECT_TRUE(contains(info("mv", {"-S"}).out, "Link:           " + p0)) << info("mv", {"-S"}).out;
    // At stop the phys device comes back with its name.
    XC_ASSERT_OK(stop("ph", {"-k"}));
    EXPECT_TRUE(linkExists(p1)) << p1 << " was not given back";
    XC_EXPECT_OK(stop("mv", {"-k"}));
    RunResult leftovers = run({ipBin_, "-o", "link", "show", "type", "macvlan"});
    EXPECT_FALSE(contains(leftovers.out, "@" + p0)) << leftovers.out;
}

TEST_F(NetworkTest, NatMasqueradesTrafficLeavingTheSubnet) {
    // "Outside": a network namespace behind a veth from the host, in a
    // subnet of its own, with no route back to the containers' subnet:
    // a reply can only come back if the host masqueraded the request.
    std::string ns = "xct" + tag_ + "out", h = "xct" + tag_ + "o", o = "xct" + tag_ + "i";
    netns_ = {ns};
    extraLinks_ = {h};
    ASSERT_TRUE(run({ipBin_, "netns", "add", ns}).ok());
    ASSERT_TRUE(run({ipBin_, "link", "add", h, "type", "veth", "peer", "name", o, "netns", ns}).ok());
    ASSERT_TRUE(run({ipBin_, "addr", "add", outside(1) + "/24", "dev", h}).ok());
    ASSERT_TRUE(run({ipBin_, "link", "set", h, "up"}).ok());
    ASSERT_TRUE(run({ipBin_, "-n", ns, "addr", "add", outside(2) + "/24", "dev", o}).ok());
    ASSERT_TRUE(run({ipBin_, "-n", ns, "link", "set", o, "up"}).ok());
    ASSERT_TRUE(run({ipBin_, "-n", ns, "link", "set", "lo", "up"}).ok());
    EXPECT_EQ(readText("/proc/sys/net/ipv4/ip_forward"), "1\n") << "xc-net start did not turn on forwarding";

    XC_ASSERT_OK(createWithConfig("n", veth("ipv4 = \"" + net(31) + "/24\"; gateway = \"" + net(1) + "\";")));
    XC_ASSERT_OK(start("n"));
    linkOf("n");
    RunResult p = ping("n", outside(2));
    XC_EXPECT_OK(p);
    RunResult table = run({nftBin_, "list", "table", "inet", "xcnet_" + bridge_});
    std::smatch m;
    ASSERT_TRUE(std::regex_search(table.out, m, std::regex("counter packets ([0-9]+) bytes [0-9]+ masquerade")))
        << table.out;
    EXPECT_GT(std::stoul(m[1].str()), 0u) << table.out;
    // A TCP peer outside sees the host's address, never the container's:
    // a listener in the outside namespace, a client in the container, and
    // the outside's socket table read while the connection is up.
    std::string ss = findBinary("ss"), busybox = findBinary("busybox");
    if (::access(busybox.c_str(), X_OK) != 0) busybox = "/bin/busybox";
    RunOptions lo;
    lo.timeoutSeconds = 15;
    // The listener echoes (cat) and the client keeps its end open for 3 s:
    // the connection stays established on the outside while we look.
    Running listener = spawn({ipBin_, "netns", "exec", ns, busybox, "nc", "-l", "-p", "7777", "-e", findBinary("cat")}, lo);
    EXPECT_TRUE(waitUntil([&] { return contains(run({ss, "-N", ns, "-ltn"}).out, ":7777"); }, 5.0));
    Running client = spawn({toolPath("xc-attach"), "-P", base_, "-n", "n", "--", "sh", "-c",
                            "(echo hello; sleep 3) | nc " + outside(2) + " 7777"},
                           lo);
    // The connection, whatever its state by now (TIME-WAIT lasts a minute).
    std::string peers, raw;
    EXPECT_TRUE(waitUntil(
        [&] {
            peers.clear();
            RunResult r = run({ss, "-N", ns, "-tan"});
            raw = r.describe();
            for (const auto& l : lines(r.out))
                if (contains(l, ":7777 ") && !contains(l, "LISTEN")) peers += l + "\n";
            return !peers.empty();
        },
        5.0))
        << "no connection reached the outside; last ss: " << raw;
    EXPECT_TRUE(contains(peers, outside(1) + "]:") || contains(peers, outside(1) + ":"))
        << "the outside did not see the host's address:\n" << peers;
    EXPECT_FALSE(contains(peers, net(31))) << "the container's address leaked:\n" << peers;
    ::kill(-listener.pid, SIGKILL);
    ::kill(listener.pid, SIGKILL);
    RunResult l = wait(listener), c = wait(client);
    if (HasFailure()) ADD_FAILURE() << l.describe() << "\n" << c.describe();

    // Without NAT (nat = false) the same ping gets no answer.
    XC_ASSERT_OK(stop("n", {"-k"}));
    XC_ASSERT_OK(xcNet("stop"));
    writeNetConf("nat = false;\n");
    XC_ASSERT_OK(xcNet("start"));
    EXPECT_FALSE(contains(run({nftBin_, "list", "tables"}).out, "xcnet_" + bridge_));
    // Another container with another address: the host's conntrack entry
    // of the masqueraded ping (30 s) is keyed by the first one's address
    // and ICMP id, and would translate the same ping again wherever the
    // nat hook stays registered (another xc-net bridge with NAT, such as
    // the README's xcbr0); a restart of "n" gives the same address and,
    // busybox's ping taking its pid as id, often the same id.
    XC_ASSERT_OK(createWithConfig("m", veth("ipv4 = \"" + net(32) + "/24\"; gateway = \"" + net(1) + "\";")));
    XC_ASSERT_OK(start("m"));
    RunResult q = attach("m", {"ping", "-c", "1", "-W", "1", outside(2)});
    EXPECT_FALSE(q.ok()) << "a reply came back without NAT: " << q.describe();
}

// A failed xc-net start leaves nothing behind: every step before the one
// that failed is undone (bridge, its addresses, the nft table, forwarding,
// state files), whichever step fails.
TEST_F(NetworkTest, FailedBridgeStartRollsBackEveryStep) {
    std::string br = "xct" + tag_ + "r", conf = stateParent_ + "/rollback.conf";
    std::string v4 = outside(1), v6 = "fd00:255:" + std::to_string(n_) + "::1";
    extraLinks_.push_back(br);  // removed by TearDown should an assertion stop the test
    ASSERT_TRUE(writeText(conf, "bridge = \"" + br + "\";\nipv4 = \"" + v4 + "/24\";\nipv6 = \"" + v6 + "/64\";\n"));
    std::string forward = readText("/proc/sys/net/ipv4/ip_forward");
    xc::HostBridgeOptions o;
    o.configFile = conf;
    o.stateDir = stateParent_ + "/rb-state";
    o.runRoot = stateParent_ + "/rb-run";
    auto expectNothingLeft = [&](const std::string& when) {
        EXPECT_FALSE(linkExists(br)) << when << ": bridge left";
        std::string addrs = run({ipBin_, "-o", "addr"}).out;
        EXPECT_FALSE(contains(addrs, v4 + "/")) << when << ": IPv4 address left";
        EXPECT_FALSE(contains(addrs, v6 + "/")) << when << ": IPv6 address left";
        EXPECT_FALSE(contains(run({nftBin_, "list", "tables"}).out, "xcnet_" + br)) << when << ": nft table left";
        EXPECT_EQ(readText("/proc/sys/net/ipv4/ip_forward"), forward) << when << ": forwarding changed";
        EXPECT_FALSE(exists(o.stateDir)) << when << ": state dir left";
        EXPECT_FALSE(exists(o.runRoot + "/net-forward.restore")) << when << ": forwarding marker left";
    };
    // The last step fails (dnsmasq): bridge, addresses and NAT were made.
    o.dnsmasqProgram = "/bin/false";
    {
        auto hb = xc::HostBridge::open(o);
        ASSERT_TRUE(hb.ok()) << hb.error().message();
        xc::Status st = hb->start();
        ASSERT_FALSE(st.ok());
        EXPECT_TRUE(contains(st.error().message(), "start dnsmasq on " + br)) << st.error().message();
        expectNothingLeft("dnsmasq failed");
        EXPECT_FALSE(hb->status().running());
    }
    // The NAT step fails: nft exits non-zero, or cannot be run at all.
    for (const char* nft : {"/bin/false", "/nonexistent/nft"}) {
        o.dnsmasqProgram = "";
        o.nftProgram = nft;
        auto hb = xc::HostBridge::open(o);
        ASSERT_TRUE(hb.ok()) << hb.error().message();
        xc::Status st = hb->start();
        ASSERT_FALSE(st.ok());
        EXPECT_TRUE(contains(st.error().message(), "NAT")) << st.error().message();
        if (std::string(nft) == "/nonexistent/nft") {
            EXPECT_TRUE(contains(st.error().message(), "No such file or directory")) << st.error().message();
        }
        expectNothingLeft(std::string("nft ") + nft + " failed");
    }
    // A bridge made by hand stays, as it was (down, no address).
    ASSERT_TRUE(run({ipBin_, "link", "add", br, "type", "bridge"}).ok());
    o.nftProgram = "";
    o.dnsmasqProgram = "/bin/false";
    {
        auto hb = xc::HostBridge::open(o);
        ASSERT_TRUE(hb.ok());
        ASSERT_FALSE(hb->start().ok());
    }
    EXPECT_TRUE(linkExists(br)) << "a hand-made bridge was deleted";
    RunResult show = run({ipBin_, "-o", "addr", "show", "dev", br});
    EXPECT_FALSE(contains(show.out, v4 + "/")) << show.out;
    EXPECT_FALSE(contains(run({ipBin_, "-o", "link", "show", "dev", br}).out, ",UP")) << "left up";
    run({ipBin_, "link", "del", br});
    expectNothingLeft("hand-made bridge");
}

}  // namespace
}  // namespace xcit
