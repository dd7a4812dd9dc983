// Probing this host for xc-checkconfig: every item is found by calling the
// kernel (or reading what it exports), never by grepping a kernel config,
// and every probe is harmless (links are made in the network namespace of
// a short-lived child, a temporary cgroup is removed again).
#pragma once

#include <string>
#include <vector>

#include "xc/hostcheck.hpp"
#include "xc/result.hpp"

namespace xc {

// Never fails as a whole: a probe that cannot run is an item with status
// Warn and the reason in its detail. Sections, in order: Kernel, Namespaces,
// Syscalls, Cgroups, Filesystems, Network, Security, Tools, and last what
// this xc does not support yet.
// `base` is the containers' directory whose filesystem the "idmapped
// mounts" item tries (default: the one xc.conf or $XC_PATH names).
std::vector<ProbeItem> probeHost(const std::string& base = "");

// Root's cgroup delegation for a user where systemd makes none
// (xc-checkconfig --delegate): <cgroup2>/xc.users/USER, owned as cgroup
// v2's delegation rules say, with a leaf for the user's sessions.
struct CgroupDelegation {
    std::string group, session;
};
Result<CgroupDelegation> delegateCgroupTo(const std::string& user);
Status undelegateCgroupOf(const std::string& user);

}  // namespace xc
