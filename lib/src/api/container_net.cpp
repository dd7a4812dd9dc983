// Container: what its network looks like from the host (addresses read in
// the container's own network namespace, traffic of its links).
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "xc/container.hpp"
#include "net/net.hpp"
#include "net/netlink.hpp"
#include "net/usernet.hpp"

namespace xc {

namespace {
Result<pid_t> runningInit(const Container& c) {
    XC_ASSIGN(StateInfo st, c.state());
    if (st.state == State::Stopped) return c.notRunningError();
    if (st.initPid <= 0) return Error::msg("has no init yet (it is " + std::string(stateName(st.state)) + ")", ESRCH);
    return st.initPid;
}

// A route socket in the container's network namespace. A user (not
// privileged on the host) owns the container's user namespace and enters
// the network namespace from there.
Result<nl::Socket> insideSocket(pid_t pid) {
    if (::geteuid() != 0) return nl::Socket::openAsOwnerIn(pid);
    XC_ASSIGN(UniqueFd ns, nl::openNetns(pid));
    return nl::Socket::openIn(ns.get());
}
}  // namespace

Result<std::vector<NetAddress>> Container::allAddresses() const {
    XC_ASSIGN(pid_t pid, runningInit(*this));
    XC_ASSIGN(nl::Socket s, insideSocket(pid));
    XC_ASSIGN(auto links, nl::listLinks(s));
    std::map<int, std::string> names;
    for (const auto& l : links) names[l.index] = l.name;
    XC_ASSIGN(auto addrs, nl::listAddresses(s));
    std::vector<NetAddress> out;
    for (int fam : {AF_INET, AF_INET6})
        for (const auto& a : addrs)
            if (a.addr.family == fam)
                out.push_back({names[a.ifindex], fam, a.addr.address(), a.addr.prefix, static_cast<int>(a.scope)});
    return out;
}

Result<std::vector<NetAddress>> Container::ipAddresses() const {
    XC_ASSIGN(auto all, allAddresses());
    std::vector<NetAddress> out;
    for (auto& a : all)
        if (a.scope == RT_SCOPE_UNIVERSE && a.interface != "lo") out.push_back(std::move(a));
    return out;
}

Result<std::vector<std::string>> Container::interfaces() const {
    XC_ASSIGN(pid_t pid, runningInit(*this));
    XC_ASSIGN(nl::Socket s, insideSocket(pid));
    XC_ASSIGN(auto links, nl::listLinks(s));
    std::vector<std::string> out;
    for (const auto& l : links) out.push_back(l.name);
    return out;
}

Result<std::vector<NetLinkStats>> Container::networkStats() const {
    XC_ASSIGN(pid_t pid, runningInit(*this));
    XC_ASSIGN(ContainerConfig cfg, config());
    if (cfg.rootfsPath.empty()) cfg.rootfsPath = paths_.defaultRootfs();
    if (cfg.name.empty()) cfg.name = name();
    std::vector<NetLinkStats> out;
    if (cfg.network.empty()) return out;
    XC_ASSIGN(nl::Socket host, nl::Socket::open());
    nl::Socket inner;
    auto hostNames = hostLinkNames(cfg);
    for (size_t i = 0; i < cfg.network.size(); ++i) {
        const NetworkConfig& n = cfg.network[i];
        if (n.type == "veth" && ::geteuid() != 0) {
            // A user's veth: xc-user-nic named the host end; it is the
            // peer of the inside end.
            if (!inner.valid()) {
                XC_ASSIGN(inner, insideSocket(pid));
            }
            XC_ASSIGN(auto in, nl::findLink(inner, n.name));
            if (!in || in->link <= 0) continue;
            XC_ASSIGN(auto l, nl::findLink(host, in->link));
            if (!l || l->kind != "veth" || !usernet::isHostName(l->name)) continue;
            out.push_back({l->name, n.name, l->rxBytes, l->txBytes});
        } else if (n.type == "veth") {
            // The host side: what it receives, the container sent.
            XC_ASSIGN(auto l, nl::findLink(host, hostNames[i]));
            if (!l) continue;
            out.push_back({hostNames[i], n.name, l->rxBytes, l->txBytes});
        } else if (n.type == "macvlan" || n.type == "phys") {
            if (!inner.valid()) {
                XC_ASSIGN(inner, insideSocket(pid));
            }
            XC_ASSIGN(auto l, nl::findLink(inner, n.name));
            if (!l) continue;
            out.push_back({hostNames[i], n.name, l->txBytes, l->rxBytes});
        }
    }
    return out;
}

}  // namespace xc
