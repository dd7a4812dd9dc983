#include "net/netlink.hpp"

#include "base/fdpass.hpp"

#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/addr.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/route/link/bridge.h>
#include <netlink/route/link/macvlan.h>
#include <netlink/route/link/veth.h>
#include <netlink/route/route.h>
#include <netlink/socket.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <memory>
#include <system_error>
#include <thread>

namespace xc::nl {

namespace {

// libnl's error codes, as the closest errno (for Error's reason).
int toErrno(int nlerr) {
    switch (nlerr < 0 ? -nlerr : nlerr) {
    case NLE_EXIST: return EEXIST;
    case NLE_OBJ_NOTFOUND: return ENOENT;
    case NLE_NODEV: return ENODEV;
    case NLE_PERM: return EPERM;
    case NLE_BUSY: return EBUSY;
    case NLE_INVAL: return EINVAL;
    case NLE_RANGE: return ERANGE;
    case NLE_NOMEM: return ENOMEM;
    case NLE_NOADDR: return EADDRNOTAVAIL;
    case NLE_AF_NOSUPPORT: return EAFNOSUPPORT;
    case NLE_OPNOTSUPP: return EOPNOTSUPP;
    case NLE_AGAIN: return EAGAIN;
    case NLE_NOACCESS: return EACCES;
    case NLE_MSGSIZE: return EMSGSIZE;
    case NLE_BAD_SOCK: return EBADF;
    default: return EIO;
    }
}

Error nlError(int err, const std::string& what) { return Error(toErrno(err), what); }

// Owners of libnl objects: move-only, freed once.
template <class T, void (*Free)(T*)>
struct NlFree {
    void operator()(T* p) const {
        if (p) Free(p);
    }
};
using LinkPtr = std::unique_ptr<struct rtnl_link, NlFree<struct rtnl_link, rtnl_link_put>>;
using AddrPtr = std::unique_ptr<struct nl_addr, NlFree<struct nl_addr, nl_addr_put>>;
using CachePtr = std::unique_ptr<struct nl_cache, NlFree<struct nl_cache, nl_cache_free>>;
using RtAddr = std::unique_ptr<struct rtnl_addr, NlFree<struct rtnl_addr, rtnl_addr_put>>;
using VethPtr = std::unique_ptr<struct rtnl_link, NlFree<struct rtnl_link, rtnl_link_veth_release>>;
using RoutePtr = std::unique_ptr<struct rtnl_route, NlFree<struct rtnl_route, rtnl_route_put>>;

// Runs `fn` on a short-lived thread (setns(CLONE_NEWNET) there changes only
// that thread). std::thread reports a failure to start by throwing, which
// must not leave the library: it becomes the error.
template <class T, class Fn>
Result<T> onThread(const std::string& what, Fn fn) {
    Result<T> out = Error::msg(what + ": the thread did not run", EAGAIN);
    try {
        std::thread t([&] { out = fn(); });
        t.join();
    } catch (const std::system_error& e) {
        return Error::sys(e.code().value(), what + ": start a thread");
    }
    return out;
}

Result<Hwaddr> macOf(const std::string& text) { return parseHwaddr(text); }

Status setHwaddr(struct rtnl_link* l, const std::string& text) {
    if (text.empty()) return {};
    XC_ASSIGN(Hwaddr mac, macOf(text));
    AddrPtr a(nl_addr_build(AF_LLC, mac.data(), mac.size()));
    if (!a) return Error::sys(ENOMEM, "hwaddr " + text);
    rtnl_link_set_addr(l, a.get());
    return {};
}

Link toLink(struct rtnl_link* l) {
    Link out;
    out.index = rtnl_link_get_ifindex(l);
    if (const char* n = rtnl_link_get_name(l)) out.name = n;
    if (const char* k = rtnl_link_get_type(l)) out.kind = k;
    out.master = rtnl_link_get_master(l);
    out.link = rtnl_link_get_link(l);
    out.flags = rtnl_link_get_flags(l);
    out.mtu = static_cast<int>(rtnl_link_get_mtu(l));
    if (struct nl_addr* a = rtnl_link_get_addr(l); a && nl_addr_get_len(a) == 6) {
        Hwaddr mac;
        std::memcpy(mac.data(), nl_addr_get_binary_addr(a), 6);
        out.hwaddr = formatHwaddr(mac);
    }
    out.rxBytes = rtnl_link_get_stat(l, RTNL_LINK_RX_BYTES);
    out.txBytes = rtnl_link_get_stat(l, RTNL_LINK_TX_BYTES);
    return out;
}

AddrPtr toNlAddr(const IpPrefix& a) {
    AddrPtr out(nl_addr_build(a.family, a.bytes.data(), a.size()));
    if (out) nl_addr_set_prefixlen(out.get(), a.prefix);
    return out;
}

}  // namespace

void Socket::Free::operator()(struct nl_sock* s) const { nl_socket_free(s); }

Result<Socket> Socket::open() {
    Socket out;
    struct nl_sock* s = nl_socket_alloc();
    if (!s) return Error::sys(ENOMEM, "allocate a netlink socket");
    out.sock_.reset(s);
    if (int err = nl_connect(s, NETLINK_ROUTE); err < 0) return nlError(err, "open a route netlink socket");
    ::fcntl(nl_socket_get_fd(s), F_SETFD, FD_CLOEXEC);
    return out;
}

Result<Socket> Socket::openIn(int netnsFd) {
    // setns(CLONE_NEWNET) changes only the calling thread; the socket keeps
    // the namespace it was created in after the thread is gone.
    return onThread<Socket>("open a netlink socket in the container's network namespace", [&]() -> Result<Socket> {
        if (::setns(netnsFd, CLONE_NEWNET) < 0) return Error::sys("enter the container's network namespace");
        return open();
    });
}

Result<Socket> Socket::openAsOwnerIn(pid_t pid) {
    const std::string what = "open a netlink socket in the container's network namespace";
    std::string dir = "/proc/" + std::to_string(pid) + "/ns/";
    UniqueFd userns(::open((dir + "user").c_str(), O_RDONLY | O_CLOEXEC));
    if (!userns) return Error::sys("open " + dir + "user");
    UniqueFd netns(::open((dir + "net").c_str(), O_RDONLY | O_CLOEXEC));
    if (!netns) return Error::sys("open " + dir + "net");
    int sp[2];
    if (::socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sp) < 0) return Error::sys(what + ": socketpair");
    UniqueFd mine(sp[0]), theirs(sp[1]);
    pid_t child = ::fork();
    if (child < 0) return Error::sys(what + ": fork");
    if (child == 0) {
        // Only system calls from here: the parent may have threads.
        int err = 0;
        int fd = -1;
        if (::setns(userns.get(), CLONE_NEWUSER) < 0 || ::setns(netns.get(), CLONE_NEWNET) < 0) {
            err = errno;
        } else {
            fd = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
            struct sockaddr_nl sa = {};
            sa.nl_family = AF_NETLINK;
            if (fd < 0 || ::bind(fd, reinterpret_cast<struct sockaddr*>(&sa), sizeof sa) < 0) err = errno;
        }
        char byte = static_cast<char>(err);
        struct iovec iov = {&byte, 1};
        union {
            char buf[CMSG_SPACE(sizeof(int))];
            struct cmsghdr align;
        } u = {};
        struct msghdr msg = {};
        msg.msg_iov = &iov;
        msg.msg_iovlen = 1;
        if (err == 0) {
            msg.msg_control = u.buf;
            msg.msg_controllen = sizeof u.buf;
            struct cmsghdr* cm = CMSG_FIRSTHDR(&msg);
            cm->cmsg_level = SOL_SOCKET;
            cm->cmsg_type = SCM_RIGHTS;
            cm->cmsg_len = CMSG_LEN(sizeof(int));
            std::memcpy(CMSG_DATA(cm), &fd, sizeof fd);
        }
        ::_exit(::sendmsg(theirs.get(), &msg, 0) == 1 ? 0 : 1);
    }
    theirs.reset();
    auto got = recvPacket(mine.get(), 1, 1, "socket from the child");
    int status = 0;
    while (::waitpid(child, &status, 0) < 0 && errno == EINTR) {
    }
    if (!got) return std::move(got).error().wrap(what);
    if (got->data.size() != 1) return Error::msg(what + ": the child sent nothing", EPROTO);
    if (got->data[0] != 0)
        return Error::sys(static_cast<unsigned char>(got->data[0]), "enter the container's user and network namespaces");
    if (got->fds.size() != 1) return Error::msg(what + ": no socket came back", EPROTO);
    UniqueFd sock = std::move(got->fds[0]);
    Socket out;
    struct nl_sock* s = nl_socket_alloc();
    if (!s) return Error::sys(ENOMEM, "allocate a netlink socket");
    out.sock_.reset(s);
    if (int err = nl_socket_set_fd(s, NETLINK_ROUTE, sock.get()); err < 0) return nlError(err, what);
    (void)sock.release();  // the nl_sock owns it now
    return out;
}

Result<UniqueFd> socketIn(int netnsFd, int domain, int type, int protocol) {
    return onThread<UniqueFd>("create a socket in the container's network namespace", [&]() -> Result<UniqueFd> {
        if (::setns(netnsFd, CLONE_NEWNET) < 0) return Error::sys("enter the container's network namespace");
        UniqueFd fd(::socket(domain, type | SOCK_CLOEXEC, protocol));
        if (!fd) return Error::sys("create a socket in the container's network namespace");
        return fd;
    });
}

Result<UniqueFd> openNetns(pid_t pid) {
    std::string path = "/proc/" + std::to_string(pid) + "/ns/net";
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::sys("open " + path);
    return fd;
}

bool Link::up() const { return (flags & IFF_UP) != 0; }

Result<std::optional<Link>> findLink(const Socket& s, const std::string& name) {
    struct rtnl_link* l = nullptr;
    int err = rtnl_link_get_kernel(s.get(), 0, name.c_str(), &l);
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return std::optional<Link>();
    if (err < 0) return nlError(err, "look up link " + name);
    LinkPtr g(l);
    return std::optional<Link>(toLink(l));
}

Result<std::optional<Link>> findLink(const Socket& s, int index) {
    struct rtnl_link* l = nullptr;
    int err = rtnl_link_get_kernel(s.get(), index, nullptr, &l);
    if (err == -NLE_OBJ_NOTFOUND || err == -NLE_NODEV) return std::optional<Link>();
    if (err < 0) return nlError(err, "look up link " + std::to_string(index));
    LinkPtr g(l);
    return std::optional<Link>(toLink(l));
}

Result<std::vector<Link>> listLinks(const Socket& s) {
    struct nl_cache* raw = nullptr;
    if (int err = rtnl_link_alloc_cache(s.get(), AF_UNSPEC, &raw); err < 0) return nlError(err, "list links");
    CachePtr c(raw);
    std::vector<Link> out;
    for (struct nl_object* o = nl_cache_get_first(c.get()); o; o = nl_cache_get_next(o))
        out.push_back(toLink(reinterpret_cast<struct rtnl_link*>(o)));
    return out;
}

Status createVeth(const Socket& s, const VethSpec& v) {
    struct rtnl_link* l = rtnl_link_veth_alloc();
    if (!l) return Error::sys(ENOMEM, "allocate veth");
    VethPtr release(l);
    struct rtnl_link* peer = rtnl_link_veth_get_peer(l);
    LinkPtr peerRef(peer);
    rtnl_link_set_name(l, v.hostName.c_str());
    if (v.master > 0) rtnl_link_set_master(l, v.master);
    if (v.mtu > 0) rtnl_link_set_mtu(l, static_cast<unsigned>(v.mtu));
    rtnl_link_set_flags(l, IFF_UP);
    rtnl_link_set_name(peer, v.peerName.c_str());
    if (v.mtu > 0) rtnl_link_set_mtu(peer, static_cast<unsigned>(v.mtu));
    XC_TRY(setHwaddr(peer, v.peerHwaddr));
    if (v.peerNetnsFd >= 0)
        rtnl_link_set_ns_fd(peer, v.peerNetnsFd);
    else if (v.peerPid > 0)
        rtnl_link_set_ns_pid(peer, v.peerPid);
    if (int err = rtnl_link_add(s.get(), l, NLM_F_CREATE | NLM_F_EXCL); err < 0)
        return nlError(err, "create veth pair " + v.hostName + "/" + v.peerName);
    return {};
}

Status createMacvlan(const Socket& s, const MacvlanSpec& m) {
    LinkPtr l(rtnl_link_macvlan_alloc());
    if (!l) return Error::sys(ENOMEM, "allocate macvlan");
    rtnl_link_set_name(l.get(), m.name.c_str());
    rtnl_link_set_link(l.get(), m.parent);
    int mode = rtnl_link_macvlan_str2mode(m.mode.empty() ? "private" : m.mode.c_str());
    if (mode < 0) return Error::msg("unknown macvlan mode '" + m.mode + "'", EINVAL);
    if (int err = rtnl_link_macvlan_set_mode(l.get(), static_cast<uint32_t>(mode)); err < 0)
        return nlError(err, "macvlan mode " + m.mode);
    if (m.mtu > 0) rtnl_link_set_mtu(l.get(), static_cast<unsigned>(m.mtu));
    XC_TRY(setHwaddr(l.get(), m.hwaddr));
    if (m.pid > 0) rtnl_link_set_ns_pid(l.get(), m.pid);
    if (int err = rtnl_link_add(s.get(), l.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
        return nlError(err, "create macvlan " + m.name);
    return {};
}

Status createBridge(const Socket& s, const std::string& name, int mtu, const std::string& hwaddr) {
    LinkPtr l(rtnl_link_bridge_alloc());
    if (!l) return Error::sys(ENOMEM, "allocate bridge");
    rtnl_link_set_name(l.get(), name.c_str());
    XC_TRY(setHwaddr(l.get(), hwaddr));
    if (mtu > 0) rtnl_link_set_mtu(l.get(), static_cast<unsigned>(mtu));
    rtnl_link_set_flags(l.get(), IFF_UP);
    if (int err = rtnl_link_add(s.get(), l.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
        return nlError(err, "create bridge " + name);
    return {};
}

Status createPlainLink(const Socket& s, const std::string& name, const std::string& kind) {
    LinkPtr l(rtnl_link_alloc());
    if (!l) return Error::sys(ENOMEM, "allocate " + kind + " link");
    rtnl_link_set_name(l.get(), name.c_str());
    if (int err = rtnl_link_set_type(l.get(), kind.c_str()); err < 0) return nlError(err, kind + " link " + name);
    if (int err = rtnl_link_add(s.get(), l.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
        return nlError(err, "create " + kind + " link " + name);
    return {};
}

namespace {
// Applies `changes` to link `index` (RTM_NEWLINK on the existing link).
Status changeLink(const Socket& s, int index, struct rtnl_link* changes, const std::string& what) {
    LinkPtr orig(rtnl_link_alloc());
    if (!orig) return Error::sys(ENOMEM, what);
    rtnl_link_set_ifindex(orig.get(), index);
    if (int err = rtnl_link_change(s.get(), orig.get(), changes, 0); err < 0) return nlError(err, what);
    return {};
}
}  // namespace

Status moveLinkToPid(const Socket& s, int index, pid_t pid, const std::string& newName) {
    LinkPtr c(rtnl_link_alloc());
    if (!c) return Error::sys(ENOMEM, "move link");
    rtnl_link_set_ns_pid(c.get(), pid);
    if (!newName.empty()) rtnl_link_set_name(c.get(), newName.c_str());
    return changeLink(s, index, c.get(), "move link " + std::to_string(index) + " to the network namespace of pid " +
                                         std::to_string(pid));
}

Status setLinkUp(const Socket& s, int index, bool up, int mtu, const std::string& hwaddr) {
    LinkPtr c(rtnl_link_alloc());
    if (!c) return Error::sys(ENOMEM, "change link");
    if (up) rtnl_link_set_flags(c.get(), IFF_UP);
    else rtnl_link_unset_flags(c.get(), IFF_UP);
    if (mtu > 0) rtnl_link_set_mtu(c.get(), static_cast<unsigned>(mtu));
    XC_TRY(setHwaddr(c.get(), hwaddr));
    return changeLink(s, index, c.get(), std::string(up ? "bring up" : "bring down") + " link " + std::to_string(index));
}

Status deleteLink(const Socket& s, int index) {
    LinkPtr l(rtnl_link_alloc());
    if (!l) return Error::sys(ENOMEM, "delete link");
    rtnl_link_set_ifindex(l.get(), index);
    if (int err = rtnl_link_delete(s.get(), l.get()); err < 0 && err != -NLE_OBJ_NOTFOUND && err != -NLE_NODEV)
        return nlError(err, "delete link " + std::to_string(index));
    return {};
}

Result<std::vector<Address>> listAddresses(const Socket& s) {
    struct nl_cache* raw = nullptr;
    if (int err = rtnl_addr_alloc_cache(s.get(), &raw); err < 0) return nlError(err, "list addresses");
    CachePtr c(raw);
    std::vector<Address> out;
    for (struct nl_object* o = nl_cache_get_first(c.get()); o; o = nl_cache_get_next(o)) {
        auto* a = reinterpret_cast<struct rtnl_addr*>(o);
        struct nl_addr* local = rtnl_addr_get_local(a);
        if (!local) continue;
        Address x;
        x.ifindex = rtnl_addr_get_ifindex(a);
        x.scope = rtnl_addr_get_scope(a);
        x.flags = rtnl_addr_get_flags(a);
        x.addr.family = nl_addr_get_family(local);
        if (x.addr.family != AF_INET && x.addr.family != AF_INET6) continue;
        size_t n = nl_addr_get_len(local);
        if (n != x.addr.size()) continue;
        std::memcpy(x.addr.bytes.data(), nl_addr_get_binary_addr(local), n);
        x.addr.prefix = rtnl_addr_get_prefixlen(a);
        out.push_back(x);
    }
    return out;
}

namespace {
Status buildAddr(RtAddr& r, int ifindex, const IpPrefix& a) {
    if (!r) return Error::sys(ENOMEM, "allocate address");
    AddrPtr local = toNlAddr(a);
    if (!local) return Error::sys(ENOMEM, "allocate address");
    rtnl_addr_set_ifindex(r.get(), ifindex);
    rtnl_addr_set_family(r.get(), a.family);
    if (int err = rtnl_addr_set_local(r.get(), local.get()); err < 0) return nlError(err, "address " + a.text());
    rtnl_addr_set_prefixlen(r.get(), a.prefix);
    return {};
}
}  // namespace

Status addAddress(const Socket& s, int ifindex, const IpPrefix& a, bool nodad) {
    RtAddr r(rtnl_addr_alloc());
    XC_TRY(buildAddr(r, ifindex, a));
    if (a.family == AF_INET && a.prefix < 31) {
        AddrPtr brd = toNlAddr(a.broadcast());
        if (brd) rtnl_addr_set_broadcast(r.get(), brd.get());
    }
    if (a.family == AF_INET6 && nodad) rtnl_addr_set_flags(r.get(), IFA_F_NODAD);
    if (int err = rtnl_addr_add(s.get(), r.get(), NLM_F_CREATE | NLM_F_EXCL); err < 0)
        return nlError(err, "add address " + a.text());
    return {};
}

Status deleteAddress(const Socket& s, int ifindex, const IpPrefix& a) {
    RtAddr r(rtnl_addr_alloc());
    XC_TRY(buildAddr(r, ifindex, a));
    if (int err = rtnl_addr_delete(s.get(), r.get(), 0); err < 0 && err != -NLE_NOADDR && err != -NLE_OBJ_NOTFOUND)
        return nlError(err, "delete address " + a.text());
    return {};
}

Status addDefaultRoute(const Socket& s, int ifindex, const IpPrefix& gateway, bool onlink) {
    RoutePtr route(rtnl_route_alloc());
    if (!route) return Error::sys(ENOMEM, "allocate route");
    struct rtnl_route* r = route.get();
    rtnl_route_set_family(r, static_cast<uint8_t>(gateway.family));
    rtnl_route_set_table(r, RT_TABLE_MAIN);
    rtnl_route_set_protocol(r, RTPROT_STATIC);
    rtnl_route_set_scope(r, RT_SCOPE_UNIVERSE);
    rtnl_route_set_type(r, RTN_UNICAST);
    IpPrefix any;
    any.family = gateway.family;
    AddrPtr dst = toNlAddr(any);
    if (!dst) return Error::sys(ENOMEM, "allocate route");
    rtnl_route_set_dst(r, dst.get());
    struct rtnl_nexthop* nh = rtnl_route_nh_alloc();
    if (!nh) return Error::sys(ENOMEM, "allocate route");
    rtnl_route_nh_set_ifindex(nh, ifindex);
    IpPrefix gw = gateway;
    gw.prefix = gw.family == AF_INET ? 32 : 128;
    AddrPtr via = toNlAddr(gw);
    rtnl_route_nh_set_gateway(nh, via.get());
    if (onlink) rtnl_route_nh_set_flags(nh, RTNH_F_ONLINK);
    rtnl_route_add_nexthop(r, nh);  // owned by the route now
    if (int err = rtnl_route_add(s.get(), r, NLM_F_CREATE | NLM_F_REPLACE); err < 0)
        return nlError(err, "add default route via " + gateway.address());
    return {};
}

}  // namespace xc::nl
