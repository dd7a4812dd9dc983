// xc-checkconfig's "Unprivileged containers" section: what the default
// (user-namespaced) container needs of this host.
#pragma once

#include <string>

#include "base/probe.hpp"
#include "xc/paths.hpp"

namespace xc {

// Root's subordinate ids (xc-create's default idmap) and whether the file
// system of `base` (the containers' directory) takes idmapped mounts.
void probeUnprivileged(ProbeList& out, const HostPaths& host, const std::string& base);

// Tries what an unprivileged start does with a rootfs at `dir`: an
// idmapped copy of it, through the user namespace of a child that waits.
Status tryIdmappedMount(const std::string& dir);

}  // namespace xc
