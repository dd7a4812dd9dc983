// Where a caller other than root keeps its containers' cgroups (see
// user_delegation.cpp; CgroupLayout::delegatedTo).
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>

#include "base/users.hpp"
#include "xc/result.hpp"

namespace xc {

// The one line that says how to give `user` a cgroup.
std::string delegationFix(const std::string& user);
// The group below `mount` (relative, no leading '/') delegated to uid: the
// highest ancestor-or-self of `own` (the caller's group, "/a/b") for which
// ownedBy(dir, uid) holds. An error names the user and the fix.
Result<std::string> delegatedGroup(const std::string& mount, const std::string& own, uid_t uid,
                                   const std::function<bool(const std::string&, uid_t)>& ownedBy);

// Root's delegation where systemd makes none: <cgroup2>/xc.users/USER,
// its directory, cgroup.procs, cgroup.subtree_control and cgroup.threads
// the user's (cgroup v2's delegation rules), and a leaf `session` of it
// for the user's login processes, which must be in the delegated group for
// the kernel to let them move the containers' processes.
constexpr const char* kUsersGroup = "xc.users";
struct UserDelegation {
    std::string group, session;
};
Result<UserDelegation> delegateToUser(const std::string& user);
// Removes what delegateToUser made (refused while any of it is in use).
Status undelegateUser(const std::string& user);

}  // namespace xc
