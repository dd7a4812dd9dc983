// HostBridge: start is a plan of steps run in order, each registering its
// undo under one Rollback as soon as it has succeeded; any failure (an
// early return included) unwinds every step before it. stop undoes what
// the state file says start made; status looks without touching.
#include "xc/bridge.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include "base/fsutil.hpp"
#include "base/scope.hpp"
#include "net/bridge.hpp"
#include "net/netlink.hpp"

namespace xc {

struct HostBridge::Impl {
    BridgeConfig cfg;
    bridge::Files files;
    HostBridgeOptions options;

    std::string marker() const { return options.runRoot + "/net-forward.restore"; }
    std::string table() const { return nftTableName(cfg.bridge); }
    Result<std::string> nft() const { return bridge::findProgram(options.nftProgram, "nft", "nftables"); }
    Result<std::string> dnsmasq() const { return bridge::findProgram(options.dnsmasqProgram, "dnsmasq", "dnsmasq-base"); }

    // One run of start: the socket, the bridge as found, what was made.
    struct Run {
        nl::Socket sock;
        nl::Link br;
        bridge::State st;
        Rollback undo;
    };
    Status stateDir(Run& r) const;
    Status bridgeLink(Run& r) const;
    Status addresses(Run& r) const;
    Status nat(Run& r) const;
    Status dhcp(Run& r) const;
    Status record(Run& r) const;
};

namespace {

std::string describeKind(const std::string& kind) { return kind.empty() ? "a physical device" : "a " + kind; }

// The IPv4 prefix on another link that overlaps `want` (e.g. LXC's lxcbr0
// uses 10.0.3.0/24 too), as "ADDR on LINK"; "" if none does.
std::string overlapping(const nl::Socket& sock, const std::vector<nl::Address>& addrs, int ifindex, const IpPrefix& want) {
    auto links = nl::listLinks(sock);
    if (!links) return "";
    for (const auto& x : addrs) {
        if (x.ifindex == ifindex || x.addr.family != AF_INET) continue;
        if (!x.addr.contains(want) && !want.contains(x.addr)) continue;
        for (const auto& l : *links)
            if (l.index == x.ifindex) return x.addr.text() + " on " + l.name;
    }
    return "";
}

bool hasAddress(const std::vector<nl::Address>& addrs, int ifindex, const IpPrefix& a) {
    for (const auto& x : addrs)
        if (x.ifindex == ifindex && x.addr.sameAddress(a)) return true;
    return false;
}

std::vector<std::string> portsOf(const nl::Socket& sock, int ifindex) {
    std::vector<std::string> out;
    if (auto links = nl::listLinks(sock))
        for (const auto& l : *links)
            if (l.master == ifindex) out.push_back(l.name);
    return out;
}

}  // namespace

// ---- the steps of start ----

Status HostBridge::Impl::stateDir(Run& r) const {
    bool existed = pathExists(files.dir);
    XC_TRY(makeDirs(files.dir, 0755));
    if (!existed) r.undo.add("remove " + files.dir, [d = files.dir] { ::rmdir(d.c_str()); });
    r.st = bridge::readState(files.state);
    XC_ASSIGN(r.sock, nl::Socket::open());
    return {};
}

Status HostBridge::Impl::bridgeLink(Run& r) const {
    XC_ASSIGN(auto found, nl::findLink(r.sock, cfg.bridge));
    if (found && found->kind != "bridge")
        return Error::msg("'" + cfg.bridge + "' exists and is not a bridge (it is " + describeKind(found->kind) +
                              "); set another bridge name in " + cfg.sourceFile,
                          EEXIST);
    if (!found) {
        XC_TRY(nl::createBridge(r.sock, cfg.bridge, cfg.mtu, stableHwaddr("xc-net bridge " + cfg.bridge)));
        XC_ASSIGN(found, nl::findLink(r.sock, cfg.bridge));
        if (!found) return Error::msg("bridge " + cfg.bridge + " vanished after it was made", ENODEV);
        r.undo.add("delete bridge " + cfg.bridge, [&s = r.sock, i = found->index] { (void)nl::deleteLink(s, i); });
        r.st["bridge_made"] = "1";
    } else if (!r.st.count("bridge_made")) {
        r.st["bridge_made"] = "0";
    }
    r.br = *found;
    if (!r.br.up()) {
        XC_TRY(nl::setLinkUp(r.sock, r.br.index, true));
        r.undo.add("bring " + cfg.bridge + " down", [&s = r.sock, i = r.br.index] { (void)nl::setLinkUp(s, i, false); });
    }
    return {};
}

Status HostBridge::Impl::addresses(Run& r) const {
    XC_ASSIGN(auto addrs, nl::listAddresses(r.sock));
    auto add = [&](const IpPrefix& a, bool v6, const char* key) -> Status {
        XC_TRY(nl::addAddress(r.sock, r.br.index, a, v6));
        r.undo.add("remove " + a.text() + " from " + cfg.bridge,
                   [&s = r.sock, i = r.br.index, a] { (void)nl::deleteAddress(s, i, a); });
        r.st[key] = a.text();
        return {};
    };
    if (!hasAddress(addrs, r.br.index, cfg.ipv4)) {
        std::string other = overlapping(r.sock, addrs, r.br.index, cfg.ipv4);
        if (!other.empty())
            return Error::msg(cfg.ipv4.network().text() + " overlaps " + other + "; set another ipv4 in " + cfg.sourceFile,
                              EADDRINUSE);
        XC_TRY(add(cfg.ipv4, false, "addr4"));
    }
    if (cfg.ipv6.valid() && !hasAddress(addrs, r.br.index, cfg.ipv6)) XC_TRY(add(cfg.ipv6, true, "addr6"));
    return {};
}

Status HostBridge::Impl::nat(Run& r) const {
    if (!cfg.nat) return {};
    XC_ASSIGN(std::string prog, nft().ctx("set up NAT"));
    XC_ASSIGN(auto before, bridge::nftTables(prog, table()).ctx("set up NAT"));
    XC_TRY(bridge::nftRun(prog, bridge::natScript(cfg)).ctx("set up NAT"));
    if (!before.found)
        r.undo.add("delete nft table inet " + table(),
                   [prog, t = table()] { (void)bridge::nftRun(prog, "delete table inet " + t + "\n"); });
    r.st["nft_table"] = "inet " + table();
    XC_ASSIGN(bool turnedOn, bridge::enableForwarding(marker()));
    if (turnedOn) r.undo.add("turn IPv4 forwarding off", [m = marker()] { bridge::restoreForwarding(m); });
    return {};
}

Status HostBridge::Impl::dhcp(Run& r) const {
    if (bridge::runningDnsmasq(files) > 0) return {};
    XC_ASSIGN(std::string prog, dnsmasq());
    XC_TRY(bridge::startDnsmasq(prog, cfg, files));
    r.undo.add("stop dnsmasq", [f = files] { bridge::stopDnsmasq(f); });
    return {};
}

Status HostBridge::Impl::record(Run& r) const {
    r.st["bridge"] = cfg.bridge;
    r.st["dnsmasq_pid_file"] = files.pid;
    return bridge::writeState(files.state, r.st);
}

// ---- HostBridge ----

HostBridge::HostBridge(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
HostBridge::HostBridge(HostBridge&&) noexcept = default;
HostBridge& HostBridge::operator=(HostBridge&&) noexcept = default;
HostBridge::~HostBridge() = default;

Result<HostBridge> HostBridge::open(const HostBridgeOptions& options) {
    XC_ASSIGN(BridgeConfig cfg, loadBridgeConfig(options.configFile));
    auto impl = std::make_unique<Impl>();
    impl->files = bridge::Files(options.stateDir, cfg.bridge);
    impl->cfg = std::move(cfg);
    impl->options = options;
    return HostBridge(std::move(impl));
}

const std::string& HostBridge::name() const { return impl_->cfg.bridge; }

Status HostBridge::start() {
    using Step = Status (Impl::*)(Impl::Run&) const;
    static const Step kPlan[] = {&Impl::stateDir, &Impl::bridgeLink, &Impl::addresses,
                                 &Impl::nat,      &Impl::dhcp,       &Impl::record};
    Impl::Run run;
    for (Step step : kPlan) XC_TRY(((*impl_).*step)(run));
    run.undo.commit();
    return {};
}

Result<HostBridgeStopped> HostBridge::stop() {
    const Impl& m = *impl_;
    bridge::State st = bridge::readState(m.files.state);
    std::string name = st.count("bridge") ? st["bridge"] : m.cfg.bridge;
    HostBridgeStopped out;
    bridge::stopDnsmasq(m.files);
    if (auto prog = m.nft(); prog && st.count("nft_table")) {
        (void)bridge::nftRun(*prog, "delete table " + st["nft_table"] + "\n");
        // IPv4 forwarding goes back off when the last xc-net NAT is gone,
        // if xc-net turned it on.
        auto tables = bridge::nftTables(*prog, nftTableName(name));
        if (tables && tables->otherXcNet.empty()) bridge::restoreForwarding(m.marker());
    }
    XC_ASSIGN(nl::Socket sock, nl::Socket::open());
    XC_ASSIGN(auto br, nl::findLink(sock, name));
    if (br) {
        out.ports = portsOf(sock, br->index);
        if (st["bridge_made"] == "1" && out.ports.empty()) {
            XC_TRY(nl::deleteLink(sock, br->index));
        } else {
            out.bridgeLeft = st["bridge_made"] == "1";
            for (const char* k : {"addr4", "addr6"})
                if (st.count(k))
                    if (auto a = parseIpPrefix(st[k]); a) (void)nl::deleteAddress(sock, br->index, *a);
        }
    }
    ::unlink(m.files.state.c_str());
    ::rmdir(m.files.dir.c_str());  // only if empty
    return out;
}

HostBridgeStatus HostBridge::status() const {
    const Impl& m = *impl_;
    const BridgeConfig& c = m.cfg;
    HostBridgeStatus s;
    bridge::State st = bridge::readState(m.files.state);
    s.bridge = c.bridge;
    s.started = !st.empty();
    s.madeByXcNet = st["bridge_made"] == "1";
    if (auto sock = nl::Socket::open()) {
        if (auto l = nl::findLink(*sock, c.bridge); l && *l) {
            const nl::Link& br = **l;
            s.exists = true;
            s.up = br.up();
            if (auto addrs = nl::listAddresses(*sock))
                for (const auto& a : *addrs)
                    if (a.ifindex == br.index && a.scope == 0)
                        (a.addr.family == AF_INET ? s.ipv4 : s.ipv6).push_back(a.addr.text());
            s.ports = portsOf(*sock, br.index);
        }
    }
    s.dnsmasqPid = bridge::runningDnsmasq(m.files);
    s.dhcp = c.dhcp;
    s.dhcpFirst = c.dhcpStart.address();
    s.dhcpLast = c.dhcpEnd.address();
    s.leaseFile = m.files.leases;
    s.natWanted = c.nat;
    s.natTable = "inet " + m.table();
    if (auto prog = m.nft())
        if (auto t = bridge::nftTables(*prog, m.table())) s.natPresent = t->found;
    return s;
}

}  // namespace xc
