// Host probe of the cgroup module for xc-checkconfig: the layout (v1,
// hybrid or v2), its hierarchies and controllers, the freezer xc will use,
// cgroup.freeze, cgroup.kill and swap accounting. Split into gathering the
// facts (files of the host) and judging them (pure, tested from text).
#pragma once

#include <map>
#include <string>

#include "base/probe.hpp"
#include "cgroup/cgroup.hpp"

namespace xc {

// A line of /proc/cgroups.
struct ProcCgroup {
    bool listed = false, enabled = false;
};
std::map<std::string, ProcCgroup> parseProcCgroups(const std::string& text);
// The unified group in /proc/self/cgroup text ("0::/user.slice" -> "/user.slice"); "" if none.
std::string unifiedGroupOf(const std::string& procSelfCgroup);

// Which core files a non-root group of the unified hierarchy has
// (cgroup.freeze and cgroup.kill exist only below the root).
struct UnifiedFiles {
    bool known = false;  // a group was looked at
    bool freeze = false, kill = false, swapMax = false, memoryOn = false;
    std::string where, why;  // the group looked at; why none could be
};

// What the probe finds besides the layout.
struct CgroupFacts {
    std::map<std::string, ProcCgroup> proc;  // /proc/cgroups
    UnifiedFiles unified;
    bool memsw = false;  // memory.memsw.limit_in_bytes on a v1 memory hierarchy
};

// Looks at the host: /proc/cgroups, and a non-root unified group (our own,
// else an existing child of the root, else a temporary empty child that is
// removed again).
CgroupFacts gatherCgroupFacts(const CgroupLayout& layout);
// The items of section "Cgroups" for a layout and its facts (no I/O).
void reportCgroups(ProbeList& out, const CgroupLayout& layout, const CgroupFacts& facts);
// Section "Cgroups" of this host.
void probeCgroups(ProbeList& out);

}  // namespace xc
