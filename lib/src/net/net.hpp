// Networking: a container's interfaces (config `network` list), made from
// the supervisor through rtnetlink while the init waits in its fresh
// network namespace and undone when the container stops; the pure pieces
// they are built from (addresses, hardware addresses, host-side names);
// and the settings of the host bridge service xc-net.
#pragma once

#include <sys/types.h>

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "xc/config.hpp"
#include "xc/log.hpp"
#include "xc/result.hpp"

namespace xc {

// ---------------------------------------------------------------- values

// An IPv4 or IPv6 address with a prefix length ("10.0.3.1/24", "fd00::1/64").
struct IpPrefix {
    int family = 0;  // AF_INET or AF_INET6; 0 = none
    std::array<uint8_t, 16> bytes{};
    int prefix = 0;

    bool valid() const { return family != 0; }
    size_t size() const;  // 4 or 16
    std::string address() const;  // "10.0.3.1"
    std::string text() const;     // "10.0.3.1/24"
    IpPrefix network() const;     // host bits cleared
    // Whether `other`'s address lies inside this prefix.
    bool contains(const IpPrefix& other) const;
    bool sameAddress(const IpPrefix& other) const;
    // The IPv4 broadcast address of the prefix (host bits set).
    IpPrefix broadcast() const;
    // The address `n` places after the network address (n may be negative:
    // counted back from the broadcast / last address).
    IpPrefix nth(int64_t n) const;
};

// "ADDR/LEN"; with allowBare, "ADDR" alone is a host prefix (/32, /128).
Result<IpPrefix> parseIpPrefix(const std::string& text, bool allowBare = false);

using Hwaddr = std::array<uint8_t, 6>;
Result<Hwaddr> parseHwaddr(const std::string& text);  // "00:16:3e:aa:bb:cc"
std::string formatHwaddr(const Hwaddr& mac);
// A new random locally used address in the Xen OUI LXC uses: 00:16:3e:xx:xx:xx.
std::string randomHwaddr();
// The same form, derived from `seed` (stable across restarts).
std::string stableHwaddr(const std::string& seed);

// The host-side name of a container's veth number `index`: "xc" + 10 hex
// digits of a hash of the container's identity (name and root filesystem
// path, i.e. its base directory) + "-" + index; at most 15 characters.
std::string hostVethName(const std::string& name, const std::string& rootfsPath, size_t index);
// Whether `ifname` has the form hostVethName() gives.
bool isXcHostVethName(const std::string& ifname);

// Gives every veth and macvlan entry of a container's config text that has
// no hwaddr a new random one (xc-create; xc-clone for new copies with
// `regenerate` = true, which replaces existing ones too). Returns the text,
// rewritten only if something changed.
Result<std::string> assignHwaddrs(const std::string& configText, bool regenerate = false);

// ---------------------------------------------------------------- xc-net

// /etc/xc/xc-net.conf: the host bridge xc-net makes (libconfig).
struct BridgeConfig {
    std::string sourceFile;
    std::string bridge = "xcbr0";
    IpPrefix ipv4;               // default 10.0.3.1/24
    bool dhcp = true;
    IpPrefix dhcpStart, dhcpEnd;  // default: the address after the bridge's, to the last host address
    std::string leaseTime = "1h";
    int dhcpMax = 0;              // 0: the size of the range
    IpPrefix ipv6;                // optional (ULA, e.g. fd42:1:2:3::1/64): router advertisements
    bool nat = true;              // masquerade ipv4 traffic leaving the subnet
    bool nat6 = false;            // masquerade ipv6 too
    std::string domain;           // DNS domain of the containers ("" = none)
    int mtu = 0;
};
Result<BridgeConfig> parseBridgeConfig(const std::string& text, const std::string& shownAs);
// A missing file gives the defaults.
Result<BridgeConfig> loadBridgeConfig(const std::string& path);
// The nftables table xc-net keeps its NAT rules in ("xcnet_<bridge>", family inet).
std::string nftTableName(const std::string& bridge);
// The dnsmasq command line for a bridge (without the program itself).
std::vector<std::string> dnsmasqArgs(const BridgeConfig& c, const std::string& pidFile, const std::string& leaseFile,
                                     const std::string& logFile);

// Sends a DHCPRELEASE for `client` (leased to `mac`) to the DHCP server at
// `server`, as the client itself would: from `udpFd`, a UDP socket in the
// client's network namespace (bound here to client:68).
Status dhcpRelease(int udpFd, const IpPrefix& server, const IpPrefix& client, const Hwaddr& mac);

// ---------------------------------------------------------------- containers

// One interface of a container as the network setup makes it: the start
// plan's entry, computed from the config before anything is made; setup
// makes exactly these and xc-start --dry-run prints them.
struct PlannedInterface {
    std::string type;      // veth, macvlan, phys, empty, none
    std::string hostName;  // veth: the host side; macvlan: the parent; phys: the device
    bool hostNameGiven = false;  // veth: network.host_name set (never taken over from a stale link)
    std::string name;      // inside
    std::string link;      // veth: the bridge it joins ("" = none); macvlan: the parent; phys: the device
    std::string macvlanMode;     // macvlan: private, vepa, bridge, passthru
    std::string hwaddr;    // inside ("" = phys keeps its own)
    int mtu = 0;           // 0 = the kernel's (a veth on a bridge takes the bridge's)
    std::string ipv4, gateway, ipv6, gateway6;  // "" = none (DHCP or SLAAC inside)
    // veth of a user's container: made by the set-uid helper xc-user-nic,
    // which names the host end itself (hostName is then "" until it has).
    bool throughHelper = false;

    bool hostNetwork() const { return type == "none"; }
    bool hasInterface() const { return type != "none" && type != "empty"; }
    // "network[0] (eth0)", for errors.
    std::string shown(size_t index) const;
};

// The interfaces of `cfg` (completed: its name and rootfs.path set), in order.
std::vector<PlannedInterface> planInterfaces(const ContainerConfig& cfg);
// Whether any of them is an interface to make (not "empty" or "none").
bool makesInterfaces(const std::vector<PlannedInterface>& interfaces);

class ContainerNetwork {
public:
    virtual ~ContainerNetwork() = default;

    // Checks before anything is made (e.g. the bridge of a veth exists),
    // with an error that says how to fix it.
    static Status preflight(const std::vector<PlannedInterface>& interfaces);
    // Makes every interface of the plan for the init `pid` (whose network
    // namespace exists but runs nothing yet) and brings loopback up
    // inside. A failure undoes what was made.
    static Result<std::unique_ptr<ContainerNetwork>> setup(const std::vector<PlannedInterface>& interfaces, pid_t pid,
                                                           const Log& log);

    // Host-side names of the container's links (for xc-info's Link: line).
    virtual std::vector<std::string> hostLinks() const = 0;
    // Removes what the container left on the host (called at stop; the
    // destructor does it too).
    virtual void teardown() = 0;
};

// The set-uid helper for a user's veths: $XC_USER_NIC, else
// <libexec>/xc-user-nic.
std::string userNicHelperPath();

// The host-side link of each interface of a container (veth: the host
// veth; macvlan: its parent; phys: the device; empty/none: ""), in order.
std::vector<std::string> hostLinkNames(const ContainerConfig& cfg);
// The hardware address interface `i` gets inside: network.hwaddr, else
// one derived from the container's identity (stable across restarts);
// phys: its own unless hwaddr is set ("").
std::string interfaceHwaddr(const ContainerConfig& cfg, size_t i);

}  // namespace xc
