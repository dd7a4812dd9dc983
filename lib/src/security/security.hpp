// What confines a privileged container's root: the capability bounding
// set and a seccomp filter, applied in the child just before exec.
#pragma once

#include <string>
#include <vector>

#include "xc/config.hpp"
#include "xc/result.hpp"

namespace xc {

// Capability number from "sys_module", "CAP_SYS_MODULE", ...; -1 if unknown.
int capabilityFromName(const std::string& name);

// Dropped from every container without a cap_keep list, whatever cap_drop says.
const std::vector<std::string>& capsNeverNeeded();

// What the config drops from the bounding set, as capability numbers up to
// this kernel's last: every cap in cap_drop and capsNeverNeeded(), or every
// cap not in cap_keep. The start plan holds it; the child drops exactly it.
Result<std::vector<int>> capabilitiesToDrop(const SecuritySettings& s);
// The kernel's capabilities, 0..N-1 (cap_max_bits).
int capabilityCount();
// "cap_sys_admin" (the number as text if libcap has no name for it).
std::string capabilityName(int cap);
// Drops `caps` from the bounding set and clears the ambient set.
Status dropBoundingCapabilities(const std::vector<int>& caps);
// capabilitiesToDrop, then dropBoundingCapabilities.
Status dropCapabilities(const SecuritySettings& s);

// The seccomp deny list for a profile: "default", "none" or a file with
// one syscall name per line ('#' comments), optionally "NAME errno".
struct SeccompRule {
    std::string syscall;
    int errnum = 1;  // EPERM
};
// "none", "default" (share/security/seccomp.default, built in) or the path
// of a profile in the same format.
Result<std::vector<SeccompRule>> seccompRules(const std::string& profile);
// A profile's text: SYSCALL [ERRNO] per line, '#' comments; errors name
// `shown` and the line.
Result<std::vector<SeccompRule>> parseSeccompProfile(const std::string& text, const std::string& shown);
// Compiling and loading the filter: security/seccomp_program.hpp.

}  // namespace xc
