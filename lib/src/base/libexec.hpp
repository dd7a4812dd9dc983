// The library's own helper programs (xc-supervisor, xc-attach-init).
#pragma once

#include <string>

#include "xc/paths.hpp"

namespace xc {

// <libexec>/NAME when it is there (or XC_LIBEXEC_DIR is set), else NAME
// beside the running program (a build tree), else the libexec path.
std::string libexecProgram(const HostPaths& host, const std::string& name);

}  // namespace xc
