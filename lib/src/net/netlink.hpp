// rtnetlink through libnl-route-3: links (veth, macvlan, bridge), moving
// links between network namespaces, addresses and routes. A Socket works in
// the network namespace it was opened in, so a container's interfaces are
// configured through a socket opened inside its namespace.
#pragma once

#include <sys/types.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xc/fd.hpp"
#include "net/net.hpp"
#include "xc/result.hpp"

struct nl_sock;

namespace xc::nl {

class Socket {
public:
    Socket() = default;
    // A route socket in the caller's network namespace.
    static Result<Socket> open();
    // A route socket in the network namespace `netnsFd` refers to (opened
    // from a short-lived thread that enters it; the caller stays put).
    static Result<Socket> openIn(int netnsFd);
    // A route socket in the network namespace of `pid` for a caller that
    // owns the process's user namespace but has no privilege on the host (a
    // user's supervisor): a forked child joins the user namespace, then the
    // network namespace (a threaded process cannot join a user namespace),
    // and hands back the socket it made there.
    static Result<Socket> openAsOwnerIn(pid_t pid);

    struct nl_sock* get() const { return sock_.get(); }
    bool valid() const { return sock_ != nullptr; }

private:
    struct Free {
        void operator()(struct nl_sock* s) const;
    };
    std::unique_ptr<struct nl_sock, Free> sock_;
};

// /proc/<pid>/ns/net, opened.
Result<UniqueFd> openNetns(pid_t pid);
// socket(domain, type, protocol) made inside the network namespace `netnsFd`.
Result<UniqueFd> socketIn(int netnsFd, int domain, int type, int protocol);

struct Link {
    int index = 0;
    std::string name;
    std::string kind;  // "veth", "bridge", "macvlan", "" (physical), ...
    int master = 0;    // ifindex of the bridge it is attached to
    int link = 0;      // IFLA_LINK: a veth's peer (its ifindex in the peer's namespace)
    unsigned flags = 0;
    std::string hwaddr;
    int mtu = 0;
    uint64_t rxBytes = 0, txBytes = 0;
    bool up() const;
};

// The link called `name`; nullopt if there is none.
Result<std::optional<Link>> findLink(const Socket& s, const std::string& name);
Result<std::optional<Link>> findLink(const Socket& s, int index);
Result<std::vector<Link>> listLinks(const Socket& s);

struct VethSpec {
    std::string hostName;
    int master = 0;  // bridge ifindex (0: none)
    int mtu = 0;
    std::string peerName;
    std::string peerHwaddr;  // "" = kernel's choice
    pid_t peerPid = -1;      // the peer is made directly in this process's netns
    int peerNetnsFd = -1;    // ... or in this network namespace (an fd: no pid reuse)
};
// Creates the pair; the host side is attached to `master` and up.
Status createVeth(const Socket& s, const VethSpec& v);

struct MacvlanSpec {
    std::string name;
    int parent = 0;
    std::string mode = "private";  // private | vepa | bridge | passthru
    std::string hwaddr;
    int mtu = 0;
    pid_t pid = -1;  // made in this process's netns
};
Status createMacvlan(const Socket& s, const MacvlanSpec& m);

// A bridge, up; with a fixed hwaddr (else the kernel gives it the lowest
// of its ports' addresses, which changes as containers come and go).
Status createBridge(const Socket& s, const std::string& name, int mtu, const std::string& hwaddr = "");

// A link of a kind that takes no options ("dummy", ...), left down.
Status createPlainLink(const Socket& s, const std::string& name, const std::string& kind);

// Moves link `index` into the network namespace of `pid`, renamed to
// `newName` ("" keeps the name).
Status moveLinkToPid(const Socket& s, int index, pid_t pid, const std::string& newName);
// Brings a link up or down, optionally setting mtu and hwaddr.
Status setLinkUp(const Socket& s, int index, bool up, int mtu = 0, const std::string& hwaddr = "");
Status deleteLink(const Socket& s, int index);

struct Address {
    int ifindex = 0;
    IpPrefix addr;
    int scope = 0;       // RT_SCOPE_*
    unsigned flags = 0;  // IFA_F_*
};
Result<std::vector<Address>> listAddresses(const Socket& s);
// nodad: usable at once (IPv6 only; no duplicate address detection).
Status addAddress(const Socket& s, int ifindex, const IpPrefix& a, bool nodad);
Status deleteAddress(const Socket& s, int ifindex, const IpPrefix& a);
// A default route through `gateway` on `ifindex`; onlink when the gateway
// is outside every prefix of the interface.
Status addDefaultRoute(const Socket& s, int ifindex, const IpPrefix& gateway, bool onlink);

}  // namespace xc::nl
