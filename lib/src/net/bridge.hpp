// The pieces of the host bridge (xc/bridge.hpp) that are not netlink: its
// files, the state file, the programs it runs (dnsmasq, nft) and the IPv4
// forwarding switch. Each is one step of HostBridge's plan or its undo.
#pragma once

#include <sys/types.h>

#include <map>
#include <string>
#include <vector>

#include "net/net.hpp"
#include "xc/result.hpp"

namespace xc::bridge {

// Where one bridge's files go, under the state directory.
struct Files {
    std::string dir, state, pid, leases, log, errors;
    Files() = default;
    Files(const std::string& dir, const std::string& bridge);
};

// key=value lines: what start made, read by stop.
using State = std::map<std::string, std::string>;
State readState(const std::string& path);
Status writeState(const std::string& path, const State& s);

// `configured` if set, else `name` looked up in PATH, /usr/sbin, /sbin, ...;
// the error says which package provides it.
Result<std::string> findProgram(const std::string& configured, const std::string& name, const std::string& package);

// ---- dnsmasq ----

// The dnsmasq of this bridge if it runs (the pid file's process, checked to
// be a dnsmasq given this pid file), else 0.
pid_t runningDnsmasq(const Files& f);
// Starts it (it detaches) and waits for its pid file.
Status startDnsmasq(const std::string& program, const BridgeConfig& c, const Files& f);
// SIGTERM, then SIGKILL if it does not go; removes its files.
void stopDnsmasq(const Files& f);

// ---- nftables ----

// The NAT table's script: replaces the table whole.
std::string natScript(const BridgeConfig& c);
// Runs `nft -f -` with `script` on stdin.
Status nftRun(const std::string& program, const std::string& script);
// The inet tables: whether `table` is one, and the other xc-net ones.
struct NftTables {
    bool found = false;
    std::vector<std::string> otherXcNet;
};
Result<NftTables> nftTables(const std::string& program, const std::string& table);

// ---- IPv4 forwarding ----

// Turns forwarding on if it is off; returns whether it was off (and so
// whether xc-net turned it on, remembered in `marker`).
Result<bool> enableForwarding(const std::string& marker);
// Back off if the marker says xc-net turned it on; removes the marker.
void restoreForwarding(const std::string& marker);

}  // namespace xc::bridge
