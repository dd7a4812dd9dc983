// The host bridge of xc containers (as LXC's lxc-net provides lxcbr0): a
// bridge with an address, dnsmasq for DHCP and DNS on it, and NAT for the
// subnet in an nftables table of its own. start() is a plan of steps, each
// registered with its undo: a failure at any step undoes every step before
// it, so nothing is left behind. What start made is written to a state
// file, and stop() undoes exactly that.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "xc/result.hpp"

namespace xc {

struct HostBridgeOptions {
    std::string configFile;  // xc-net.conf (libconfig); a missing file gives the defaults
    std::string stateDir;    // state, pid, lease and log files
    std::string runRoot;     // xc's runtime root (marks the forwarding xc-net turned on)
    // The programs run; "" looks them up in PATH, /usr/sbin, /sbin, ...
    std::string dnsmasqProgram, nftProgram;
};

// What status() found; each part separately.
struct HostBridgeStatus {
    std::string bridge;
    bool exists = false, up = false;
    bool started = false;     // a state file of xc-net start exists
    bool madeByXcNet = false; // the bridge was made by xc-net (not by hand)
    std::vector<std::string> ipv4, ipv6;  // global addresses, "ADDR/LEN"
    std::vector<std::string> ports;       // interfaces on the bridge
    int dnsmasqPid = 0;                   // 0: not running
    bool dhcp = false;
    std::string dhcpFirst, dhcpLast, leaseFile;
    bool natWanted = false, natPresent = false;
    std::string natTable;                 // "inet xcnet_<bridge>"
    // Everything start() provides is in place.
    bool running() const { return exists && started && dnsmasqPid > 0 && (!natWanted || natPresent); }
};

// What stop() could not undo (not an error: a bridge with containers' veths
// on it stays, without xc-net's addresses).
struct HostBridgeStopped {
    bool bridgeLeft = false;
    std::vector<std::string> ports;
};

class HostBridge {
public:
    // Reads the settings (errors name FILE:LINE: KEY).
    static Result<HostBridge> open(const HostBridgeOptions& options);
    HostBridge(HostBridge&&) noexcept;
    HostBridge& operator=(HostBridge&&) noexcept;
    ~HostBridge();

    const std::string& name() const;  // the bridge's name
    Status start();
    Result<HostBridgeStopped> stop();
    HostBridgeStatus status() const;

    struct Impl;

private:
    explicit HostBridge(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

}  // namespace xc
