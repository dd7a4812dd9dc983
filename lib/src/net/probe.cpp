// The link probe runs in a child made in a network namespace of its own:
// every link it makes goes away with the namespace when the child exits.
#include "net/probe.hpp"

#include <sched.h>

#include <cerrno>
#include <cstdlib>
#include <sstream>

#include <sys/stat.h>

#include <set>

#include "base/fsutil.hpp"
#include "net/netlink.hpp"
#include "net/usernet.hpp"
#include "process/probe.hpp"

namespace xc {

using S = ProbeItem::Status;

std::string formatLinkProbe(const LinkProbe& p) {
    return std::to_string(p.veth) + " " + std::to_string(p.bridge) + " " + std::to_string(p.dummy) + " " +
           std::to_string(p.macvlan) + " " + (p.macvlanOn.empty() ? "-" : p.macvlanOn);
}

bool parseLinkProbe(const std::string& text, LinkProbe& p) {
    std::istringstream in(text);
    std::string on;
    if (!(in >> p.veth >> p.bridge >> p.dummy >> p.macvlan >> on)) return false;
    p.macvlanOn = on == "-" ? "" : on;
    return true;
}

namespace {

int codeOf(const Status& st) { return st ? 0 : (st.error().code() ? st.error().code() : EIO); }

// In the child, inside its new network namespace.
std::string makeLinks() {
    auto sock = nl::Socket::open();
    if (!sock) return "socket " + std::to_string(sock.error().code());
    LinkProbe p;
    nl::VethSpec veth;
    veth.hostName = "xcprobe0";
    veth.peerName = "xcprobe1";
    p.veth = codeOf(nl::createVeth(*sock, veth));
    p.bridge = codeOf(nl::createBridge(*sock, "xcprobebr", 0));
    p.dummy = codeOf(nl::createPlainLink(*sock, "xcprobed", "dummy"));
    // macvlan needs a parent: the dummy, else one end of the veth pair.
    const char* parent = p.dummy == 0 ? "xcprobed" : p.veth == 0 ? "xcprobe0" : nullptr;
    if (parent) {
        auto link = nl::findLink(*sock, std::string(parent));
        if (link && *link) {
            nl::MacvlanSpec mv;
            mv.name = "xcprobemv";
            mv.parent = (*link)->index;
            p.macvlanOn = p.dummy == 0 ? "dummy" : "veth";
            p.macvlan = codeOf(nl::createMacvlan(*sock, mv));
        }
    }
    return formatLinkProbe(p);
}

void linkItem(ProbeList& out, const char* name, int err, const char* config, const std::string& use) {
    if (err == 0)
        out.add(name, S::Ok, use);
    else if (err == EOPNOTSUPP)
        out.add(name, S::Missing, std::string("the kernel has no ") + name + " link type (RTM_NEWLINK: EOPNOTSUPP)",
                std::string("modprobe ") + name + ", or rebuild the kernel with " + config + "=y");
    else
        out.add(name, S::Warn, std::string("creating a ") + name + " link failed: " + errnoText(err));
}

void reportLinks(ProbeList& out) {
    auto report = reportFromChild(CLONE_NEWNET, makeLinks);
    LinkProbe p;
    std::string why, fix;
    if (!report) {
        why = report.error().message();
        if (report.error().code() == EPERM) fix = "run xc-checkconfig as root";
    } else if (report->rfind("socket ", 0) == 0) {
        why = "NETLINK_ROUTE socket: " + errnoText(std::atoi(report->c_str() + 7));
    } else if (!parseLinkProbe(*report, p)) {
        why = "the probe child reported '" + *report + "'";
    }
    if (!why.empty()) {
        for (const char* n : {"veth", "bridge", "macvlan"}) out.add(n, S::Warn, "could not verify: " + why, fix);
        return;
    }
    linkItem(out, "veth", p.veth, "CONFIG_VETH", "container network interfaces");
    linkItem(out, "bridge", p.bridge, "CONFIG_BRIDGE", "the host bridge, xcbr0");
    if (p.macvlan == -1)
        out.add("macvlan", S::Warn, "could not verify: no dummy or veth link to use as its parent");
    else
        linkItem(out, "macvlan", p.macvlan, "CONFIG_MACVLAN", "optional; tested on a " + p.macvlanOn + " parent");
}

}  // namespace

void probeNetwork(ProbeList& out) {
    out.section("Network");
    reportLinks(out);
    bool ok = false;
    const std::string fwd = readTrimmed("/proc/sys/net/ipv4/ip_forward", &ok);
    if (ok)
        out.add("ip_forward", S::Info,
                fwd == "1" ? "1 (routing on: NAT for containers can work)"
                           : fwd + " (containers reach only the host and each other; NAT egress needs 1)",
                fwd == "1" ? "" : "sysctl -w net.ipv4.ip_forward=1 (only if containers need NAT egress)");
}

void probeNetworkPrograms(ProbeList& out) {
    if (const std::string p = findExecutable("dnsmasq"); p.empty())
        out.add("dnsmasq", S::Info, "not installed; xc-net will need it for DHCP on the bridge",
                "apt-get install dnsmasq-base");
    else
        out.add("dnsmasq", S::Ok, p);
    if (const std::string p = findExecutable("nft"); p.empty())
        out.add("nft", S::Info, "not installed; only needed for NAT egress (masquerade)", "apt-get install nftables");
    else
        out.add("nft", S::Ok, p);
}

void probeUserNic(ProbeList& out, unsigned uid, const std::vector<unsigned>& gids) {
    using S = ProbeItem::Status;
    const std::string path = userNicHelperPath();
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0)
        out.add("xc-user-nic", S::Missing, path + ": " + errnoText(errno) + "; a user's container cannot have a veth",
                "install xc as root (cmake --install installs it mode 4755)");
    else if (st.st_uid != 0 || !(st.st_mode & S_ISUID))
        out.add("xc-user-nic", S::Missing, path + " is not set-uid root; a user's container cannot have a veth",
                "as root: chown root:root " + path + " && chmod 4755 " + path);
    else
        out.add("xc-user-nic", S::Ok, path + " (set-uid root): makes users' veths within " + usernet::configPath());
    const std::string file = usernet::configPath();
    auto text = readFile(file);
    std::vector<usernet::Entry> entries;
    if (text) {
        auto parsed = usernet::parse(*text, file);
        if (!parsed) {
            out.add("usernet", S::Warn, parsed.error().message(), "fix the line in " + file);
            return;
        }
        entries = std::move(*parsed);
    }
    if (uid == 0) {
        out.add("usernet", entries.empty() ? S::Warn : S::Ok,
                entries.empty() ? file + " gives no user a veth" : file + ": " + std::to_string(entries.size()) + " line(s)",
                entries.empty() ? "add lines 'USER veth BRIDGE COUNT' or '@GROUP veth BRIDGE COUNT' to " + file : "");
        return;
    }
    auto passwd = readFile("/etc/passwd");
    auto group = readFile("/etc/group");
    const std::string user = passwd ? usernet::userName(*passwd, uid) : "";
    std::vector<gid_t> g(gids.begin(), gids.end());
    const auto groups = group ? usernet::groupNames(*group, g) : std::vector<std::string>();
    std::vector<std::string> bridges;
    std::set<std::string> seen;
    for (const auto& e : entries)
        if (seen.insert(e.bridge).second) {
            int n = usernet::allowance(entries, user, groups, e.bridge);
            if (n > 0) bridges.push_back(e.bridge + " (" + std::to_string(n) + ")");
        }
    const std::string who = user.empty() ? "uid " + std::to_string(uid) : user;
    if (bridges.empty())
        out.add("usernet", S::Missing, file + " has no line for " + who + " or its groups: its containers cannot have a veth",
                usernet::missingLineHint(user.empty() ? "USER" : user, "xcbr0"));
    else
        out.add("usernet", S::Ok, who + " may put veths on " + joinWords(bridges, ", ") + " (" + file + ")");
}

}  // namespace xc
