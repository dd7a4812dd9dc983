// Host user names, for the lines that tell a user what to fix.
#pragma once

#include <sys/types.h>

#include <string>

namespace xc {

// The user name of uid (its number where the host has none).
std::string userNameOf(uid_t uid);

}  // namespace xc
