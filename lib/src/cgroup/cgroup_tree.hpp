// Walking a cgroup tree that a container made: fd-relative, with no path
// strings and a bounded number of descriptors, so that a nest of any depth
// (far beyond PATH_MAX) is read and removed like a shallow one.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

#include "xc/fd.hpp"
#include "xc/result.hpp"

namespace xc {

// Opens a cgroup directory (a trusted, short host path); ENOENT if gone.
Result<UniqueFd> openGroupDir(const std::string& path);
// Gives the group at dirFd (shown as `dir`) and the files its owner writes
// to manage it (cgroup.procs, .threads, .subtree_control; v1's) to uid:gid.
Status chownDelegated(int dirFd, uid_t uid, gid_t gid, const std::string& dir);

// Depth first below the group `root`: enter(fd) on each group (the root
// first) before its sub-groups, leave(parentFd, name) on each sub-group
// once everything below it is done. It climbs back up through "..", so
// it holds two descriptors whatever the depth; a group that vanishes
// while it walks is skipped. `shown` names the root in errors.
Status walkGroups(int root, const std::function<Status(int)>& enter,
                  const std::function<Status(int, const std::string&)>& leave, const std::string& shown);

// The pids in cgroup.procs of the group `dir` and of every group below it.
Status collectGroupPids(int dir, std::vector<pid_t>& out, const std::string& shown);

// Removes the group `name` of `parent` and every group below it, deepest
// first. A group that is already gone is fine; one that still has
// processes fails with EBUSY.
Status removeGroupTree(int parent, const std::string& name, const std::string& shown);

}  // namespace xc
