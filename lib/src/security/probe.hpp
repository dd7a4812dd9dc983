// Host probe of the security module for xc-checkconfig: root and the
// capabilities xc needs, no_new_privs, seccomp filter mode, the LSMs, and
// the set-uid helpers idmap will need (newuidmap, newgidmap), and what a
// container's confinement holds and does not (probeContainment).
#pragma once

#include <string>

#include "base/probe.hpp"

namespace xc {

// Bit `cap` of a capability set ("CapEff", "CapBnd") in /proc/<pid>/status
// text; *found false if the field is not there.
bool capabilityBit(const std::string& status, const char* field, int cap, bool* found);

// Section "Security".
void probeSecurity(ProbeList& out);
// Items "privileged containers" (a warning: not a security boundary, what
// their root keeps) and "every container" (what holds whatever the mode),
// from the tables the start uses; of section "Security", pure.
void probeContainment(ProbeList& out);
// Items newuidmap and newgidmap (of section "Tools").
void probeIdmapPrograms(ProbeList& out);

}  // namespace xc
