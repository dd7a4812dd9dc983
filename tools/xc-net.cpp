// xc-net: start, stop or show the host bridge of xc containers (as LXC's
// lxc-net provides lxcbr0). The bridge itself is the library's HostBridge;
// this tool parses, fills in the defaults and prints.
#include <unistd.h>

#include <cstdio>
#include <string>

#include "common.hpp"
#include "xc/bridge.hpp"

namespace {

using namespace xc;

constexpr int kExitNotRunning = 3;

void line(const char* label, const std::string& value) { std::printf("%-12s %s\n", label, value.c_str()); }

std::string joined(const std::vector<std::string>& items, const char* sep) {
    std::string out;
    for (const auto& i : items) out += (out.empty() ? "" : sep) + i;
    return out;
}

int printStatus(const HostBridge& bridge) {
    HostBridgeStatus s = bridge.status();
    if (!s.exists) {
        line("Bridge:", s.bridge + " (missing)");
    } else {
        std::string how = !s.started ? "not started by xc-net" : s.madeByXcNet ? "made by xc-net" : "made by hand";
        line("Bridge:", s.bridge + " (" + (s.up ? "up" : "down") + ", " + how + ")");
        for (const auto& a : s.ipv4) line("IPv4:", a);
        for (const auto& a : s.ipv6) line("IPv6:", a);
        line("Interfaces:", s.ports.empty() ? "-" : joined(s.ports, " "));
    }
    if (s.dnsmasqPid > 0)
        line("dnsmasq:", "pid " + std::to_string(s.dnsmasqPid) +
                             (s.dhcp ? ", DHCP " + s.dhcpFirst + "-" + s.dhcpLast + ", leases " + s.leaseFile : ""));
    else
        line("dnsmasq:", "not running");
    std::string nat = "nft table " + s.natTable;
    line("NAT:", s.natPresent ? nat + " present" : s.natWanted ? nat + " missing" : "off");
    return s.running() ? tool::kExitOk : kExitNotRunning;
}

const char* kFooter =
    "DESCRIPTION\n"
    "  start   makes the bridge (default xcbr0, 10.0.3.1/24) unless it exists, gives it its\n"
    "          address, starts dnsmasq (DHCP and DNS) bound to it, and masquerades the\n"
    "          subnet in the nftables table inet xcnet_<bridge>; running it again is fine.\n"
    "          A failure at any step undoes the steps before it.\n"
    "  stop    undoes what start made (a bridge made by hand stays).\n"
    "  status  bridge, addresses, dnsmasq pid, NAT table; exit status 3 if not up.\n"
    "  Settings: /etc/xc/xc-net.conf (-c FILE). State: /run/xc/net (-s DIR).\n\n"
    "EXAMPLES\n  xc-net start\n  xc-net status\n  xc-net -c /tmp/test-net.conf -s /tmp/net-state start\n\n"
    "EXIT STATUS\n  0 done, 1 failed, 2 usage error, 3 (status) not running";

}  // namespace

int xc_net_main(int argc, char** argv) {
    tool::Tool t("xc-net", "Start, stop or show the host bridge of xc containers", kFooter, false);
    std::string command;
    HostBridgeOptions o;
    t.app().add_option("command", command, "start, stop or status")
        ->required()
        ->check(CLI::IsMember({"start", "stop", "status"}));
    t.app().add_option("-c,--config", o.configFile, "Settings file (default: /etc/xc/xc-net.conf)");
    t.app().add_option("-s,--state-dir", o.stateDir, "Where the state, pid and lease files go (default: /run/xc/net)");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    if (o.configFile.empty()) o.configFile = t.host().sysconfDir + "/xc-net.conf";
    if (o.stateDir.empty()) o.stateDir = t.host().runRoot + "/net";
    o.runRoot = t.host().runRoot;
    auto bridge = HostBridge::open(o);
    if (!bridge) return t.fail(bridge.error());
    if (command == "status") return printStatus(*bridge);
    if (::geteuid() != 0) return t.fail(command + ": must run as root");
    if (command == "start") {
        if (auto st = bridge->start(); !st) return t.fail(st.error().wrap("start " + bridge->name()));
        return tool::kExitOk;
    }
    auto stopped = bridge->stop();
    if (!stopped) return t.fail(stopped.error().wrap("stop " + bridge->name()));
    if (stopped->bridgeLeft)
        std::fprintf(stderr, "xc-net: bridge %s still has interfaces (%s): left in place\n", bridge->name().c_str(),
                     joined(stopped->ports, ", ").c_str());
    return tool::kExitOk;
}
