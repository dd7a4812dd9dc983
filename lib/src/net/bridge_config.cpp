// /etc/xc/xc-net.conf through the key table reader every host file uses
// (config/config_table.hpp): FILE:LINE: KEY errors and "did you mean".
#include <arpa/inet.h>

#include <cctype>
#include <cstring>

#include "base/fsutil.hpp"
#include "config/config_table.hpp"
#include "net/net.hpp"

namespace xc {

namespace {

using namespace config_detail;
using libconfig::Setting;

// The settings as read; the DHCP range is checked against ipv4 once both are known.
struct Draft {
    BridgeConfig c;
    std::string rangeFirst, rangeLast;
};

Status bridgeName(const std::string& n) {
    bool ok = !n.empty() && n.size() <= 15;
    for (char ch : n)
        if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '-' || ch == '.')) ok = false;
    return ok ? Status{} : invalid("invalid bridge name '" + n + "' (1-15 of [A-Za-z0-9_.-])");
}

Result<IpPrefix> bridgeIpv4(const std::string& t) {
    auto v4 = parseIpPrefix(t);
    if (!v4 || v4->family != AF_INET || v4->prefix < 8 || v4->prefix > 30)
        return invalid("'" + t + "' must be an IPv4 ADDR/LEN with LEN 8-30 (e.g. 10.0.3.1/24)");
    if (v4->sameAddress(v4->network()) || v4->sameAddress(v4->broadcast()))
        return invalid("'" + t + "' is the network or broadcast address, not a host address");
    return *v4;
}

Result<IpPrefix> bridgeIpv6(const std::string& t) {
    auto v6 = parseIpPrefix(t);
    if (!v6 || v6->family != AF_INET6 || v6->prefix != 64)
        return invalid("'" + t + "' must be an IPv6 ADDR/64 (e.g. fd42:1:2:3::1/64)");
    return *v6;
}

Status dhcpRange(const std::string& r, Draft& d) {
    size_t comma = r.find(',');
    if (comma == std::string::npos) return invalid("use \"FIRST,LAST\" (e.g. \"10.0.3.2,10.0.3.254\")");
    auto s = parseIpPrefix(r.substr(0, comma), true), e = parseIpPrefix(r.substr(comma + 1), true);
    if (!s || !e || s->family != AF_INET || e->family != AF_INET) return invalid("'" + r + "' must be two IPv4 addresses");
    d.rangeFirst = r.substr(0, comma);
    d.rangeLast = r.substr(comma + 1);
    return {};
}

Status leaseTime(const std::string& t) {
    bool ok = t == "infinite" ||
              (!t.empty() && t.find_first_not_of("0123456789") >= t.size() - 1 &&
               std::string("0123456789smhd").find(t.back()) != std::string::npos &&
               std::isdigit(static_cast<unsigned char>(t[0])));
    return ok ? Status{} : invalid("invalid lease time '" + t + "' (e.g. \"1h\", \"45m\", \"3600\", \"infinite\")");
}

#define APPLY [](const Setting& v, Draft& d) -> Status

const std::vector<KeyEntry<Draft>> kBridgeKeys = {
    {"bridge", Kind::String, "the bridge (made if it does not exist)",
     APPLY { XC_TRY(bridgeName(text(v))); d.c.bridge = text(v); return {}; }},
    {"ipv4", Kind::String, "the bridge's IPv4 address and subnet, ADDR/LEN with LEN 8-30",
     APPLY { XC_ASSIGN(d.c.ipv4, bridgeIpv4(text(v))); return {}; }},
    {"dhcp", Kind::Bool, "serve DHCP on the subnet", APPLY { d.c.dhcp = static_cast<bool>(v); return {}; }},
    {"dhcp_range", Kind::String, "\"FIRST,LAST\" addresses handed out (default: the rest of the subnet)",
     APPLY { return dhcpRange(text(v), d); }},
    {"lease_time", Kind::String, "DHCP lease time (\"1h\", \"45m\", \"3600\", \"infinite\")",
     APPLY { XC_TRY(leaseTime(text(v))); d.c.leaseTime = text(v); return {}; }},
    {"dhcp_max", Kind::Int, "most leases at once (default: the size of the range)",
     APPLY { XC_ASSIGN(auto n, intIn(v, 1, 1 << 24)); d.c.dhcpMax = static_cast<int>(n); return {}; }},
    {"ipv6", Kind::String, "an IPv6 ADDR/64 for the bridge: router advertisements (SLAAC)",
     APPLY { XC_ASSIGN(d.c.ipv6, bridgeIpv6(text(v))); return {}; }},
    {"nat", Kind::Bool, "masquerade IPv4 traffic leaving the subnet", APPLY { d.c.nat = static_cast<bool>(v); return {}; }},
    {"nat6", Kind::Bool, "masquerade IPv6 traffic too", APPLY { d.c.nat6 = static_cast<bool>(v); return {}; }},
    {"domain", Kind::String, "DNS domain of the containers' names",
     APPLY {
         if (text(v).find_first_of(" /,\t") != std::string::npos) return invalid("invalid domain '" + text(v) + "'");
         d.c.domain = text(v);
         return {};
     }},
    {"mtu", Kind::Int, "MTU of the bridge (68-65535)",
     APPLY { XC_ASSIGN(auto n, intIn(v, 68, 65535)); d.c.mtu = static_cast<int>(n); return {}; }},
};

#undef APPLY

// The DHCP range against the final ipv4, and the defaults that depend on it.
Status finish(Draft& d, const TableWalker& w) {
    BridgeConfig& c = d.c;
    if (d.rangeFirst.empty()) {
        c.dhcpStart = c.ipv4.nth(1).sameAddress(c.ipv4) ? c.ipv4.nth(2) : c.ipv4.nth(1);
        c.dhcpEnd = c.ipv4.nth(-1);
        if (c.dhcpEnd.sameAddress(c.ipv4)) c.dhcpEnd = c.ipv4.nth(-2);
    } else {
        IpPrefix s = *parseIpPrefix(d.rangeFirst, true), e = *parseIpPrefix(d.rangeLast, true);
        s.prefix = e.prefix = c.ipv4.prefix;
        std::string range = "'" + d.rangeFirst + "," + d.rangeLast + "'";
        if (!c.ipv4.contains(s) || !c.ipv4.contains(e))
            return w.errorAt("dhcp_range", range + " is not inside " + c.ipv4.network().text());
        if (std::memcmp(s.bytes.data(), e.bytes.data(), 4) > 0)
            return w.errorAt("dhcp_range", "the first address comes after the last");
        c.dhcpStart = s;
        c.dhcpEnd = e;
    }
    if (c.dhcpMax == 0) {
        uint32_t a, b;
        std::memcpy(&a, c.dhcpStart.bytes.data(), 4);
        std::memcpy(&b, c.dhcpEnd.bytes.data(), 4);
        c.dhcpMax = static_cast<int>(ntohl(b) - ntohl(a) + 1);
    }
    return {};
}

Result<BridgeConfig> readBridgeConfig(const Result<config_detail::Parsed>& parsed, const std::string& shownAs) {
    Draft d;
    d.c.sourceFile = shownAs;
    d.c.ipv4 = *parseIpPrefix("10.0.3.1/24");
    XC_TRY(readTable(parsed, shownAs, kBridgeKeys, d, [&d](const TableWalker& w) { return finish(d, w); }));
    return d.c;
}

}  // namespace

Result<BridgeConfig> parseBridgeConfig(const std::string& text, const std::string& shownAs) {
    return readBridgeConfig(readConfigText(text, shownAs), shownAs);
}

Result<BridgeConfig> loadBridgeConfig(const std::string& path) {
    if (!pathExists(path)) return parseBridgeConfig("", path);
    return readBridgeConfig(readConfigFile(path), path);
}

}  // namespace xc
