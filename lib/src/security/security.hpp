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

// Drops from the bounding set (and the ambient/inheritable sets) what the
// config says: every cap in cap_drop and capsNeverNeeded(), or every cap
// not in cap_keep.
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
// Loads the filter for this process and its children (no_new_privs not
// needed: the caller is privileged).
Status loadSeccomp(const std::vector<SeccompRule>& rules);

}  // namespace xc
