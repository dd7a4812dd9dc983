// The pure parts of networking: addresses, hardware addresses, host-side
// names, xc-net's settings. No system state is touched here.
#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <libconfig.h++>
#include <set>

#include "base/fsutil.hpp"
#include "net/net.hpp"
#include "xc/paths.hpp"

namespace xc {

// ---------------------------------------------------------------- IpPrefix

size_t IpPrefix::size() const { return family == AF_INET6 ? 16 : 4; }

std::string IpPrefix::address() const {
    if (!valid()) return "";
    char buf[INET6_ADDRSTRLEN];
    if (!inet_ntop(family, bytes.data(), buf, sizeof buf)) return "";
    return buf;
}

std::string IpPrefix::text() const { return valid() ? address() + "/" + std::to_string(prefix) : ""; }

IpPrefix IpPrefix::network() const {
    IpPrefix out = *this;
    int bits = static_cast<int>(size()) * 8;
    for (int i = prefix; i < bits; ++i) out.bytes[static_cast<size_t>(i / 8)] &= static_cast<uint8_t>(~(0x80u >> (i % 8)));
    return out;
}

IpPrefix IpPrefix::broadcast() const {
    IpPrefix out = *this;
    int bits = static_cast<int>(size()) * 8;
    for (int i = prefix; i < bits; ++i) out.bytes[static_cast<size_t>(i / 8)] |= static_cast<uint8_t>(0x80u >> (i % 8));
    return out;
}

bool IpPrefix::contains(const IpPrefix& other) const {
    if (!valid() || other.family != family) return false;
    IpPrefix o = other;
    o.prefix = prefix;
    return std::memcmp(network().bytes.data(), o.network().bytes.data(), size()) == 0;
}

bool IpPrefix::sameAddress(const IpPrefix& other) const {
    return valid() && family == other.family && std::memcmp(bytes.data(), other.bytes.data(), size()) == 0;
}

IpPrefix IpPrefix::nth(int64_t n) const {
    IpPrefix out = n >= 0 ? network() : broadcast();
    uint64_t mag = n >= 0 ? static_cast<uint64_t>(n) : static_cast<uint64_t>(-n);
    int carry = 0;
    for (int i = static_cast<int>(size()) - 1; i >= 0; --i) {
        int delta = static_cast<int>(mag & 0xff) + carry;
        mag >>= 8;
        int v = out.bytes[static_cast<size_t>(i)] + (n >= 0 ? delta : -delta);
        carry = 0;
        if (v > 255) {
            v -= 256;
            carry = 1;
        } else if (v < 0) {
            v += 256;
            carry = 1;
        }
        out.bytes[static_cast<size_t>(i)] = static_cast<uint8_t>(v);
    }
    return out;
}

Result<IpPrefix> parseIpPrefix(const std::string& text, bool allowBare) {
    IpPrefix p;
    size_t slash = text.find('/');
    std::string addr = text.substr(0, slash);
    p.family = addr.find(':') != std::string::npos ? AF_INET6 : AF_INET;
    std::string kind = p.family == AF_INET ? "IPv4" : "IPv6";
    if (inet_pton(p.family, addr.c_str(), p.bytes.data()) != 1)
        return Error::msg("invalid " + kind + " address '" + text + "'", EINVAL);
    int maxLen = static_cast<int>(p.size()) * 8;
    if (slash == std::string::npos) {
        if (!allowBare) return Error::msg("invalid address '" + text + "': use ADDR/LEN", EINVAL);
        p.prefix = maxLen;
        return p;
    }
    std::string len = text.substr(slash + 1);
    if (len.empty() || len.size() > 3 || len.find_first_not_of("0123456789") != std::string::npos ||
        std::stoi(len) > maxLen)
        return Error::msg("invalid " + kind + " address '" + text + "': the prefix length must be 0-" +
                              std::to_string(maxLen),
                          EINVAL);
    p.prefix = std::stoi(len);
    return p;
}

// ---------------------------------------------------------------- hwaddr

Result<Hwaddr> parseHwaddr(const std::string& text) {
    Hwaddr mac{};
    auto bad = [&] { return Error::msg("invalid hwaddr '" + text + "': use xx:xx:xx:xx:xx:xx", EINVAL); };
    if (text.size() != 17) return bad();
    for (size_t i = 0; i < 6; ++i) {
        if (i > 0 && text[i * 3 - 1] != ':') return bad();
        char hex[3] = {text[i * 3], text[i * 3 + 1], 0};
        if (!std::isxdigit(static_cast<unsigned char>(hex[0])) || !std::isxdigit(static_cast<unsigned char>(hex[1])))
            return bad();
        mac[i] = static_cast<uint8_t>(std::strtoul(hex, nullptr, 16));
    }
    return mac;
}

std::string formatHwaddr(const Hwaddr& mac) {
    char buf[18];
    std::snprintf(buf, sizeof buf, "%02x:%02x:%02x:%02x:%02x:%02x", mac[0], mac[1], mac[2], mac[3], mac[4], mac[5]);
    return buf;
}

namespace {
std::string xenHwaddr(const uint8_t tail[3]) {
    Hwaddr mac = {0x00, 0x16, 0x3e, static_cast<uint8_t>(tail[0] & 0x7f), tail[1], tail[2]};
    return formatHwaddr(mac);
}
}  // namespace

std::string randomHwaddr() {
    uint8_t r[3] = {0, 0, 0};
    if (::getrandom(r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) {
        // No entropy source: fall back on time and pid, still unique enough per host.
        uint64_t seed = static_cast<uint64_t>(::getpid()) * 2654435761u ^ static_cast<uint64_t>(::time(nullptr));
        std::memcpy(r, &seed, sizeof r);
    }
    return xenHwaddr(r);
}

std::string stableHwaddr(const std::string& seed) {
    std::string h = hashKey(seed);
    uint8_t r[3];
    for (int i = 0; i < 3; ++i) r[i] = static_cast<uint8_t>(std::strtoul(h.substr(static_cast<size_t>(i) * 2, 2).c_str(), nullptr, 16));
    return xenHwaddr(r);
}

// ---------------------------------------------------------------- names

std::string hostVethName(const std::string& name, const std::string& rootfsPath, size_t index) {
    std::string key = name;
    key.push_back('\0');
    key += rootfsPath;
    return "xc" + hashKey(key).substr(0, 10) + "-" + std::to_string(index % 100);
}

bool isXcHostVethName(const std::string& n) {
    if (n.size() < 14 || n.size() > 15 || n.rfind("xc", 0) != 0 || n[12] != '-') return false;
    for (size_t i = 2; i < 12; ++i)
        if (!std::isxdigit(static_cast<unsigned char>(n[i]))) return false;
    for (size_t i = 13; i < n.size(); ++i)
        if (!std::isdigit(static_cast<unsigned char>(n[i]))) return false;
    return true;
}

std::vector<PlannedInterface> planInterfaces(const ContainerConfig& cfg) {
    std::vector<PlannedInterface> out;
    for (size_t i = 0; i < cfg.network.size(); ++i) {
        const NetworkConfig& n = cfg.network[i];
        PlannedInterface p;
        p.type = n.type;
        if (n.type == "veth") {
            p.hostName = n.hostName.empty() ? hostVethName(cfg.name, cfg.rootfsPath, i) : n.hostName;
            p.hostNameGiven = !n.hostName.empty();
        }
        if (n.type == "veth" || n.type == "macvlan" || n.type == "phys") p.link = n.link;
        if (n.type == "macvlan" || n.type == "phys") p.hostName = n.link;
        if (n.type == "macvlan") p.macvlanMode = n.macvlanMode.empty() ? "private" : n.macvlanMode;
        if (n.hasInterface()) {
            p.name = n.name;
            p.hwaddr = interfaceHwaddr(cfg, i);
        }
        p.mtu = n.mtu;
        p.ipv4 = n.ipv4;
        p.gateway = n.gateway;
        p.ipv6 = n.ipv6;
        p.gateway6 = n.gateway6;
        out.push_back(std::move(p));
    }
    return out;
}

std::string PlannedInterface::shown(size_t index) const {
    return "network[" + std::to_string(index) + "]" + (name.empty() ? "" : " (" + name + ")");
}

std::vector<std::string> hostLinkNames(const ContainerConfig& cfg) {
    std::vector<std::string> out;
    for (const auto& p : planInterfaces(cfg)) out.push_back(p.hostName);
    return out;
}

// ---------------------------------------------------------------- hwaddr at create

Result<std::string> assignHwaddrs(const std::string& text, bool regenerate) {
    using namespace libconfig;
    Config cfg;
    cfg.setOptions(Setting::OptionSemicolonSeparators);
    try {
        cfg.readString(text);
    } catch (const ParseException& e) {
        return Error::msg(std::string("assign hardware addresses: line ") + std::to_string(e.getLine()) + ": " +
                              e.getError(),
                          EINVAL);
    }
    bool changed = false;
    try {
        Setting& root = cfg.getRoot();
        if (!root.exists("network") || !(root["network"].isList() || root["network"].isArray())) return text;
        Setting& list = root["network"];
        std::set<std::string> used;
        for (int i = 0; i < list.getLength(); ++i) {
            Setting& n = list[i];
            if (!n.isGroup()) continue;
            std::string type, hw;
            n.lookupValue("type", type);
            if (type != "veth" && type != "macvlan") continue;
            if (n.lookupValue("hwaddr", hw) && !regenerate) continue;
            std::string mac;
            do mac = randomHwaddr();
            while (!used.insert(mac).second);
            if (n.exists("hwaddr")) n.remove("hwaddr");
            n.add("hwaddr", Setting::TypeString) = mac;
            changed = true;
        }
    } catch (const ConfigException& e) {
        return Error::msg(std::string("assign hardware addresses: ") + e.what(), EINVAL);
    }
    if (!changed) return text;
    char* buf = nullptr;
    size_t len = 0;
    FILE* out = ::open_memstream(&buf, &len);
    if (!out) return Error::sys("assign hardware addresses");
    cfg.write(out);
    std::fclose(out);
    std::string body(buf, len);
    std::free(buf);
    // Keep the leading comment lines (libconfig drops comments).
    std::string head;
    size_t pos = 0;
    while (pos < text.size() && text[pos] == '#') {
        size_t nl = text.find('\n', pos);
        if (nl == std::string::npos) nl = text.size() - 1;
        head += text.substr(pos, nl - pos + 1);
        pos = nl + 1;
    }
    return head + body;
}

// ---------------------------------------------------------------- xc-net

std::string nftTableName(const std::string& bridge) {
    std::string out = "xcnet_";
    for (char ch : bridge) out.push_back(std::isalnum(static_cast<unsigned char>(ch)) ? ch : '_');
    return out;
}

std::vector<std::string> dnsmasqArgs(const BridgeConfig& c, const std::string& pidFile, const std::string& leaseFile,
                                     const std::string& logFile) {
    std::vector<std::string> a = {
        "--conf-file=/dev/null",  // nothing of the host's dnsmasq.conf
        "--strict-order",
        "--bind-interfaces",
        "--interface=" + c.bridge,
        "--except-interface=lo",
        "--listen-address=" + c.ipv4.address(),
        "--pid-file=" + pidFile,
        "--user=nobody",
        "--group=nogroup",
    };
    if (!logFile.empty()) a.push_back("--log-facility=" + logFile);
    if (c.dhcp) {
        a.push_back("--dhcp-range=" + c.dhcpStart.address() + "," + c.dhcpEnd.address() + "," + c.leaseTime);
        a.push_back("--dhcp-leasefile=" + leaseFile);
        a.push_back("--dhcp-lease-max=" + std::to_string(c.dhcpMax));
        a.push_back("--dhcp-no-override");
        a.push_back("--dhcp-authoritative");
        a.push_back("--no-ping");  // answers in ~0.2 s instead of ~3 s
    }
    if (c.ipv6.valid()) {
        a.push_back("--enable-ra");
        a.push_back("--dhcp-range=::,constructor:" + c.bridge + ",ra-only");
    }
    if (!c.domain.empty()) {
        a.push_back("--domain=" + c.domain);
        a.push_back("--local=/" + c.domain + "/");
        a.push_back("--expand-hosts");
    }
    return a;
}

}  // namespace xc
