// The texts of share/security/seccomp.default and capabilities.default,
// built into libxc (see lib/CMakeLists.txt): the default seccomp profile
// and the capabilities no container keeps, each entry with its reason.
#pragma once

namespace xc {

extern const char* const kDefaultSeccompProfile;
extern const char* const kDefaultDroppedCaps;

}  // namespace xc
