// A container's interfaces, made by the supervisor into the init's fresh
// network namespace over rtnetlink, and taken down again at stop.
#include "net/net.hpp"

#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <cstdio>
#include <set>

#include <sys/stat.h>

#include "base/fsutil.hpp"
#include "net/netlink.hpp"
#include "process/process.hpp"
#include "xc/paths.hpp"

namespace xc {

namespace {

// xc-user-nic makes the veth of a user's container (below).
Result<std::string> runUserNic(const PlannedInterface& n, int netnsFd);

// ---- static addresses claimed by running containers ----
//
// A static address is claimed by binding an abstract unix socket named
// after it (and the link it is on) in the host's network namespace: the
// kernel frees the name when the supervisor goes, however it goes, so a
// claim never outlives its container and leaves no file behind.

std::string claimName(const std::string& link, const IpPrefix& a) { return "xc/addr/" + link + "/" + a.address(); }

struct sockaddr_un claimAddress(const std::string& name, socklen_t& len) {
    struct sockaddr_un sa = {};
    sa.sun_family = AF_UNIX;
    size_t n = std::min(name.size(), sizeof sa.sun_path - 2);
    std::memcpy(sa.sun_path + 1, name.data(), n);  // sun_path[0] = 0: abstract
    len = static_cast<socklen_t>(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    return sa;
}

// Who holds a claim: "container c1 (base /var/lib/xc, supervisor pid 123)".
std::string claimOwner(const std::string& name) {
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    socklen_t len;
    struct sockaddr_un sa = claimAddress(name, len);
    if (!fd || ::connect(fd.get(), reinterpret_cast<struct sockaddr*>(&sa), len) < 0) return "another running container";
    struct ucred cred = {};
    socklen_t cl = sizeof cred;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0 || cred.pid <= 0) return "another running container";
    auto cmd = readFile("/proc/" + std::to_string(cred.pid) + "/cmdline");
    std::vector<std::string> args;
    if (cmd) {
        size_t pos = 0;
        while (pos < cmd->size()) {
            size_t z = cmd->find('\0', pos);
            if (z == std::string::npos) z = cmd->size();
            args.push_back(cmd->substr(pos, z - pos));
            pos = z + 1;
        }
    }
    std::string cname, base;
    for (size_t i = 0; i + 1 < args.size(); ++i) {
        if (args[i] == "--name" || args[i] == "-n") cname = args[i + 1];
        if (args[i] == "--path" || args[i] == "-P") base = args[i + 1];
    }
    std::string who = cname.empty() ? "another running container" : "running container '" + cname + "'";
    std::string extra = base.empty() ? "" : "base " + base + ", ";
    return who + " (" + extra + "supervisor pid " + std::to_string(cred.pid) + ")";
}

Result<UniqueFd> claim(const std::string& link, const IpPrefix& a) {
    std::string name = claimName(link, a);
    UniqueFd fd(::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (!fd) return Error::sys("claim address " + a.address());
    socklen_t len;
    struct sockaddr_un sa = claimAddress(name, len);
    if (::bind(fd.get(), reinterpret_cast<struct sockaddr*>(&sa), len) < 0) {
        if (errno == EADDRINUSE)
            return Error::msg("static address " + a.address() + (link.empty() ? "" : " on " + link) +
                                  " is already used by " + claimOwner(name),
                              EADDRINUSE);
        return Error::sys("claim address " + a.address());
    }
    if (::listen(fd.get(), 4) < 0) return Error::sys("claim address " + a.address());
    return fd;
}

struct Static {
    IpPrefix v4, v6, gw4, gw6;
};

Result<Static> staticOf(const PlannedInterface& n, const std::string& what) {
    Static s;
    struct Field {
        const std::string& text;
        IpPrefix& into;
        bool bare;
    };
    for (const Field& f : {Field{n.ipv4, s.v4, false}, Field{n.ipv6, s.v6, false}, Field{n.gateway, s.gw4, true},
                           Field{n.gateway6, s.gw6, true}}) {
        if (f.text.empty()) continue;
        XC_ASSIGN(f.into, parseIpPrefix(f.text, f.bare).ctx(what));
    }
    if (s.v4.valid() && s.v4.family != AF_INET) return Error::msg(what + ": ipv4 '" + n.ipv4 + "' is not IPv4", EINVAL);
    if (s.v6.valid() && s.v6.family != AF_INET6) return Error::msg(what + ": ipv6 '" + n.ipv6 + "' is not IPv6", EINVAL);
    if (s.gw4.valid() && s.gw4.family != AF_INET)
        return Error::msg(what + ": gateway '" + n.gateway + "' is not IPv4", EINVAL);
    if (s.gw6.valid() && s.gw6.family != AF_INET6)
        return Error::msg(what + ": gateway6 '" + n.gateway6 + "' is not IPv6", EINVAL);
    return s;
}

// The host interface that has address `a`, if any.
std::string hostInterfaceWith(const nl::Socket& host, const IpPrefix& a) {
    auto addrs = nl::listAddresses(host);
    if (!addrs) return "";
    for (const auto& x : *addrs) {
        if (!x.addr.sameAddress(a)) continue;
        auto l = nl::findLink(host, x.ifindex);
        return l && *l ? (*l)->name : "#" + std::to_string(x.ifindex);
    }
    return "";
}

class Network : public ContainerNetwork {
public:
    Network(std::vector<PlannedInterface> interfaces, const Log& log) : ifs_(std::move(interfaces)), log_(&log) {}
    ~Network() override { teardown(); }

    Status make(pid_t pid);
    std::vector<std::string> hostLinks() const override;
    void teardown() override;

private:
    struct Made {
        size_t index = 0;
        std::string hostVeth;  // veth: host side to delete
        std::string physName;  // phys: the host name to give it back under
        bool physWasUp = false;
        std::string physMac;   // phys: the address to restore, if changed
        std::string userVeth;  // veth made by xc-user-nic: the kernel removes it with the namespace
    };
    Status makeOne(size_t i, pid_t pid);
    Status configureInside(size_t i, const Static& st);
    void releaseLeases(size_t i);

    std::vector<PlannedInterface> ifs_;
    const Log* log_;
    UniqueFd netns_;
    nl::Socket host_, inner_;
    std::vector<UniqueFd> claims_;
    std::vector<Made> made_;
    bool done_ = true;
};

std::vector<std::string> Network::hostLinks() const {
    std::vector<std::string> out;
    for (const auto& i : ifs_)
        if (!i.hostName.empty()) out.push_back(i.hostName);
    return out;
}

Status Network::make(pid_t pid) {
    done_ = false;
    XC_ASSIGN(netns_, nl::openNetns(pid));
    XC_ASSIGN(host_, nl::Socket::open());
    bool byUser = false;
    for (const auto& n : ifs_) byUser = byUser || n.throughHelper;
    if (byUser) {
        // The user owns the container's user namespace but is nobody on
        // the host: it configures the inside from within that namespace.
        XC_ASSIGN(inner_, nl::Socket::openAsOwnerIn(pid));
    } else {
        XC_ASSIGN(inner_, nl::Socket::openIn(netns_.get()));
    }
    for (size_t i = 0; i < ifs_.size(); ++i) {
        const PlannedInterface& n = ifs_[i];
        XC_ASSIGN(Static st, staticOf(n, n.shown(i)));
        for (const IpPrefix* a : {&st.v4, &st.v6})
            if (a->valid()) {
                XC_ASSIGN(UniqueFd c, claim(n.link, *a));
                claims_.push_back(std::move(c));
            }
    }
    XC_ASSIGN(auto lo, nl::findLink(inner_, "lo"));
    if (lo) XC_TRY(nl::setLinkUp(inner_, lo->index, true).ctx("bring up lo"));
    for (size_t i = 0; i < ifs_.size(); ++i) XC_TRY(makeOne(i, pid).ctx(ifs_[i].shown(i)));
    return {};
}

Status Network::makeOne(size_t i, pid_t pid) {
    const PlannedInterface& n = ifs_[i];
    XC_ASSIGN(Static st, staticOf(n, n.shown(i)));
    Made m;
    m.index = i;
    if (!n.hasInterface()) return {};
    if (n.type == "veth" && n.throughHelper) {
        XC_ASSIGN(std::string hostEnd, runUserNic(n, netns_.get()));
        ifs_[i].hostName = hostEnd;
        m.userVeth = hostEnd;
        made_.push_back(m);
    } else if (n.type == "veth") {
        nl::VethSpec v;
        v.hostName = n.hostName;
        v.peerName = n.name;
        v.peerHwaddr = n.hwaddr;
        v.peerPid = pid;
        v.mtu = n.mtu;
        int bridge = 0;
        if (!n.link.empty()) {
            XC_ASSIGN(auto br, nl::findLink(host_, n.link));
            if (!br) return Error::msg("bridge '" + n.link + "' does not exist; create it with 'xc-net start'", ENODEV);
            bridge = br->index;
            if (n.mtu == 0 && br->mtu > 0 && br->mtu != 1500) v.mtu = br->mtu;
        }
        v.master = bridge;
        Status st2 = nl::createVeth(host_, v);
        if (!st2 && st2.error().code() == EEXIST) {
            // Left by a supervisor that was killed: its namespace is still
            // being torn down by the kernel. The name is ours; take it back.
            XC_ASSIGN(auto old, nl::findLink(host_, v.hostName));
            if (old && old->kind == "veth" && !n.hostNameGiven) {
                log_->notice("removing stale host veth " + v.hostName);
                XC_TRY(nl::deleteLink(host_, old->index));
                st2 = nl::createVeth(host_, v);
            }
        }
        XC_TRY(std::move(st2));
        m.hostVeth = v.hostName;
        made_.push_back(m);
        XC_ASSIGN(auto hostSide, nl::findLink(host_, v.hostName));
        if (!hostSide) return Error::msg("host veth " + v.hostName + " vanished after it was made", ENODEV);
        if (bridge && hostSide->master != bridge)
            return Error::msg("attach " + v.hostName + " to bridge " + n.link + ": the kernel did not take it (master is " +
                                  std::to_string(hostSide->master) + ")",
                              EIO);
        if (!hostSide->up()) XC_TRY(nl::setLinkUp(host_, hostSide->index, true));
    } else if (n.type == "macvlan") {
        XC_ASSIGN(auto parent, nl::findLink(host_, n.link));
        if (!parent) return Error::msg("parent interface '" + n.link + "' does not exist", ENODEV);
        nl::MacvlanSpec mv;
        mv.name = n.name;
        mv.parent = parent->index;
        mv.mode = n.macvlanMode;
        mv.hwaddr = n.hwaddr;
        mv.mtu = n.mtu;
        mv.pid = pid;
        XC_TRY(nl::createMacvlan(host_, mv));
        made_.push_back(m);
    } else if (n.type == "phys") {
        XC_ASSIGN(auto dev, nl::findLink(host_, n.link));
        if (!dev) return Error::msg("host interface '" + n.link + "' does not exist", ENODEV);
        m.physName = dev->name;
        m.physWasUp = dev->up();
        if (!n.hwaddr.empty()) m.physMac = dev->hwaddr;  // phys: hwaddr is only the configured one
        if (dev->up()) XC_TRY(nl::setLinkUp(host_, dev->index, false));
        XC_TRY(nl::moveLinkToPid(host_, dev->index, pid, n.name));
        made_.push_back(m);
    } else {
        return Error::msg("unknown network type '" + n.type + "'", EINVAL);
    }
    return configureInside(i, st);
}

Status Network::configureInside(size_t i, const Static& st) {
    const PlannedInterface& n = ifs_[i];
    XC_ASSIGN(auto link, nl::findLink(inner_, n.name));
    if (!link) return Error::msg("interface " + n.name + " did not appear in the container", ENODEV);
    std::string mac = n.type == "phys" ? n.hwaddr : "";
    XC_TRY(nl::setLinkUp(inner_, link->index, true, n.type == "phys" ? n.mtu : 0, mac));
    if (st.v4.valid()) XC_TRY(nl::addAddress(inner_, link->index, st.v4, false));
    if (st.v6.valid()) XC_TRY(nl::addAddress(inner_, link->index, st.v6, true));
    if (st.gw4.valid()) XC_TRY(nl::addDefaultRoute(inner_, link->index, st.gw4, !(st.v4.valid() && st.v4.contains(st.gw4))));
    if (st.gw6.valid()) {
        bool local = (st.v6.valid() && st.v6.contains(st.gw6)) ||
                     (st.gw6.bytes[0] == 0xfe && (st.gw6.bytes[1] & 0xc0) == 0x80);
        XC_TRY(nl::addDefaultRoute(inner_, link->index, st.gw6, !local));
    }
    return {};
}

// Gives back the DHCP leases of a veth without a static address, so that
// no lease outlives the container in the bridge's DHCP server.
void Network::releaseLeases(size_t i) {
    const PlannedInterface& n = ifs_[i];
    if (n.type != "veth" || n.throughHelper || !n.ipv4.empty() || n.link.empty() || !inner_.valid() || !host_.valid()) return;
    auto link = nl::findLink(inner_, n.name);
    if (!link || !*link || (*link)->hwaddr.empty()) return;
    auto mac = parseHwaddr((*link)->hwaddr);
    auto br = nl::findLink(host_, n.link);
    auto inside = nl::listAddresses(inner_);
    auto hostAddrs = nl::listAddresses(host_);
    if (!mac || !br || !*br || !inside || !hostAddrs) return;
    for (const auto& a : *inside) {
        if (a.ifindex != (*link)->index || a.addr.family != AF_INET) continue;
        for (const auto& h : *hostAddrs) {
            if (h.ifindex != (*br)->index || h.addr.family != AF_INET || !h.addr.contains(a.addr)) continue;
            auto udp = nl::socketIn(netns_.get(), AF_INET, SOCK_DGRAM, IPPROTO_UDP);
            Status st = udp ? dhcpRelease(udp->get(), h.addr, a.addr, *mac) : Status(std::move(udp).error());
            if (!st)
                log_->warn("release DHCP lease " + a.addr.address() + ": " + st.error().message());
            else
                log_->info("released DHCP lease " + a.addr.address() + " of " + (*link)->hwaddr);
            break;
        }
    }
}

void Network::teardown() {
    if (done_) return;
    done_ = true;
    for (auto it = made_.rbegin(); it != made_.rend(); ++it) {
        const PlannedInterface& n = ifs_[it->index];
        releaseLeases(it->index);
        if (!it->userVeth.empty()) {
            // The user may not delete a host link; the pair goes with the
            // namespace, and xc-user-nic prunes its record then.
        } else if (!it->hostVeth.empty() && host_.valid()) {
            // Deleting one end takes the pair.
            if (auto l = nl::findLink(host_, it->hostVeth); l && *l)
                if (auto st = nl::deleteLink(host_, (*l)->index); !st)
                    log_->warn("remove " + it->hostVeth + ": " + st.error().message());
        } else if (!it->physName.empty() && inner_.valid()) {
            auto l = nl::findLink(inner_, n.name);
            if (l && *l) {
                (void)nl::setLinkUp(inner_, (*l)->index, false, 0, it->physMac);
                if (auto st = nl::moveLinkToPid(inner_, (*l)->index, ::getpid(), it->physName); !st) {
                    log_->warn("give " + it->physName + " back to the host: " + st.error().message());
                } else if (it->physWasUp && host_.valid()) {
                    if (auto back = nl::findLink(host_, it->physName); back && *back)
                        (void)nl::setLinkUp(host_, (*back)->index, true);
                }
            }
        } else if (n.type == "macvlan" && inner_.valid()) {
            if (auto l = nl::findLink(inner_, n.name); l && *l) (void)nl::deleteLink(inner_, (*l)->index);
        }
    }
    made_.clear();
    claims_.clear();
    inner_ = nl::Socket();
    host_ = nl::Socket();
    netns_.reset();  // the namespace goes with its last reference
}

}  // namespace

std::string interfaceHwaddr(const ContainerConfig& cfg, size_t i) {
    const NetworkConfig& n = cfg.network[i];
    if (!n.hwaddr.empty() || n.type == "phys") return n.hwaddr;
    return stableHwaddr(cfg.name + '\0' + cfg.rootfsPath + '\0' + std::to_string(i));
}

namespace {

// A user's container has veths only, made by the set-uid helper: the user
// may not make any other interface with a host end.
Status refuseUserInterfaces(const std::vector<PlannedInterface>& interfaces) {
    for (size_t i = 0; ::geteuid() != 0 && i < interfaces.size(); ++i)
        if (interfaces[i].hasInterface() && !interfaces[i].throughHelper)
            return Error::msg("network." + std::to_string(i) + ": a user's container cannot have a " +
                                  interfaces[i].type + " interface (only a veth, through xc-user-nic)",
                              EPERM)
                .withHint("use type = \"veth\" on a bridge /etc/xc/usernet allows, or set network = ( );");
    return {};
}

// The helper must be root's and set-uid, or it cannot make anything.
Status checkUserNicHelper(const std::string& what) {
    const std::string path = userNicHelperPath();
    struct stat st {};
    if (::stat(path.c_str(), &st) < 0)
        return Error::msg(what + ": the set-uid helper " + path + " is missing (" + std::strerror(errno) + ")", ENOENT)
            .withHint("install xc as root ('cmake --install'), which installs it mode 4755");
    if (st.st_uid != 0 || !(st.st_mode & S_ISUID) || !(st.st_mode & S_IXOTH))
        return Error::msg(what + ": the helper " + path + " is not set-uid root", EPERM)
            .withHint("as root: chown root:root " + path + " && chmod 4755 " + path);
    return {};
}

// The helper's one line ("xc-user-nic: ..."), or how it ended without one.
std::string helperError(const std::string& err, int status) {
    std::string line = err.substr(0, err.find('\n'));
    return line.empty() ? "xc-user-nic failed (" + describeWaitStatus(status) + ")" : line;
}

Result<std::string> runUserNicArgs(const std::vector<std::string>& args, int keepFd) {
    Program p;
    p.argv = {userNicHelperPath()};
    p.argv.insert(p.argv.end(), args.begin(), args.end());
    p.inheritEnv = false;
    if (keepFd >= 0) p.keepFds = {keepFd};
    XC_ASSIGN(ProgramOutput out, runProgram(p, "", std::chrono::seconds(30)));
    if (!WIFEXITED(out.status) || WEXITSTATUS(out.status) != 0)
        return Error::msg(helperError(out.err, out.status), EPERM);
    std::string line = out.out.substr(0, out.out.find('\n'));
    return line;
}

}  // namespace

std::string userNicHelperPath() {
    if (const char* e = std::getenv("XC_USER_NIC"); e && *e) return e;
    return HostPaths::fromEnvironment().libexecDir + "/xc-user-nic";
}

namespace {

Result<std::string> runUserNic(const PlannedInterface& n, int netnsFd) {
    std::vector<std::string> args = {"create", "--bridge", n.link, "--name", n.name, "--netns-fd", std::to_string(netnsFd)};
    if (!n.hwaddr.empty()) args.insert(args.end(), {"--hwaddr", n.hwaddr});
    if (n.mtu) args.insert(args.end(), {"--mtu", std::to_string(n.mtu)});
    XC_ASSIGN(std::string name, runUserNicArgs(args, netnsFd));
    if (name.empty()) return Error::msg("xc-user-nic made a veth but did not say its name", EPROTO);
    return name;
}

}  // namespace

namespace {

// The quota of /etc/xc/usernet for all of a container's veths on `bridge`
// (xc-user-nic check says ALLOWED USED), not only for one.
Status checkUserNicQuota(const std::vector<PlannedInterface>& interfaces, const std::string& bridge,
                         const std::string& what) {
    XC_ASSIGN(std::string counts, runUserNicArgs({"check", "--bridge", bridge}, -1).ctx(what));
    unsigned long allowed = 0, used = 0;
    if (std::sscanf(counts.c_str(), "%lu %lu", &allowed, &used) != 2)
        return Error::msg(what + ": xc-user-nic check said '" + counts + "', not 'ALLOWED USED'", EPROTO);
    size_t wanted = 0;
    for (const auto& m : interfaces) wanted += m.type == "veth" && m.throughHelper && m.link == bridge;
    if (used + wanted <= allowed) return {};
    return Error::msg(what + ": the container needs " + std::to_string(wanted) + " veths on bridge " + bridge +
                          ", and /etc/xc/usernet leaves " + std::to_string(allowed > used ? allowed - used : 0) +
                          " of the " + std::to_string(allowed) + " it allows",
                      EDQUOT)
        .withHint("stop a container that uses one, or raise the count in /etc/xc/usernet");
}

}  // namespace

bool makesInterfaces(const std::vector<PlannedInterface>& interfaces) {
    for (const auto& n : interfaces)
        if (n.hasInterface()) return true;
    return false;
}

Status ContainerNetwork::preflight(const std::vector<PlannedInterface>& interfaces) {
    if (interfaces.empty()) return {};
    XC_TRY(refuseUserInterfaces(interfaces));
    // "none" shares the host's network namespace (the config refuses it
    // without security.allow_host_network): nothing to make or check.
    bool needsHost = false;
    for (const auto& n : interfaces) needsHost = needsHost || n.hasInterface();
    if (!needsHost) return {};
    XC_ASSIGN(nl::Socket host, nl::Socket::open());
    std::set<std::string> names, quotaChecked;
    for (size_t i = 0; i < interfaces.size(); ++i) {
        const PlannedInterface& n = interfaces[i];
        std::string what = n.shown(i);
        XC_ASSIGN(Static st, staticOf(n, what));
        if (n.type == "veth" && n.throughHelper) {
            if (n.link.empty())
                return Error::msg(what + ": a user's veth needs a bridge (network.link) that /etc/xc/usernet allows", EINVAL);
            if (n.hostNameGiven)
                return Error::msg(what + ": host_name cannot be set in a user's container (xc-user-nic names the host end)", EINVAL);
            XC_TRY(checkUserNicHelper(what));
            // The helper's own checks (usernet entry, quota, bridge), before
            // anything is made: once per bridge.
            if (quotaChecked.insert(n.link).second) XC_TRY(checkUserNicQuota(interfaces, n.link, what));
        } else if (n.type == "veth") {
            if (!n.link.empty()) {
                XC_ASSIGN(auto br, nl::findLink(host, n.link));
                if (!br)
                    return Error::msg(what + ": bridge '" + n.link + "' does not exist; create it with 'xc-net start' (or set network.link to an existing bridge)",
                                      ENODEV);
                if (br->kind != "bridge" && br->kind != "openvswitch")
                    return Error::msg(what + ": link '" + n.link + "' is not a bridge (it is " +
                                          (br->kind.empty() ? "a physical device" : "a " + br->kind) + ")",
                                      EINVAL);
            }
            if (n.hostNameGiven) {
                XC_ASSIGN(auto taken, nl::findLink(host, n.hostName));
                if (taken) return Error::msg(what + ": host_name '" + n.hostName + "' is already used by a host interface", EEXIST);
            }
            if (!names.insert(n.hostName).second)
                return Error::msg(what + ": host-side name '" + n.hostName + "' is used twice", EINVAL);
        } else if (n.type == "macvlan" || n.type == "phys") {
            XC_ASSIGN(auto dev, nl::findLink(host, n.link));
            if (!dev)
                return Error::msg(what + ": host interface '" + n.link + "' does not exist", ENODEV);
        }
        for (const IpPrefix* a : {&st.v4, &st.v6}) {
            if (!a->valid()) continue;
            std::string on = hostInterfaceWith(host, *a);
            if (!on.empty())
                return Error::msg(what + ": static address " + a->address() + " is already used by the host (interface " + on + ")",
                                  EADDRINUSE);
            // A quick look at the claims of running containers; setup claims for real.
            XC_TRY(claim(n.link, *a).ctx(what));
        }
    }
    return {};
}

Result<std::unique_ptr<ContainerNetwork>> ContainerNetwork::setup(const std::vector<PlannedInterface>& interfaces,
                                                                   pid_t pid, const Log& log) {
    auto net = std::make_unique<Network>(interfaces, log);
    bool hostNetwork = false;
    for (const auto& i : interfaces) hostNetwork = hostNetwork || i.hostNetwork();
    if (hostNetwork) return std::unique_ptr<ContainerNetwork>(std::move(net));
    XC_TRY(refuseUserInterfaces(interfaces));
    // Nothing to make: the init brings its lo up itself (the plan's
    // spawn.loopbackInside).
    if (!makesInterfaces(interfaces) || pid <= 0) return std::unique_ptr<ContainerNetwork>(std::move(net));
    auto t0 = std::chrono::steady_clock::now();
    if (auto st = net->make(pid); !st) {
        net->teardown();
        return std::move(st).error();
    }
    auto us = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
    log.info("network: " + std::to_string(interfaces.size()) + " interface(s) set up in " + std::to_string(us) + " us");
    return std::unique_ptr<ContainerNetwork>(std::move(net));
}

}  // namespace xc
