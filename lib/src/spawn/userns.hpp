// The user namespace of an unprivileged container: its id maps, the
// idmapped view of its rootfs, and the child's switch to the namespace's
// root. The maps are written by the supervisor (host root) into the
// child's /proc files before the child runs anything; the idmapped tree
// is made by the supervisor too (the kernel wants the filesystem's own
// namespace, the host's, to idmap a mount) and handed to the child, which
// mounts it as its root inside its own mount namespace.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "xc/config.hpp"
#include "xc/fd.hpp"
#include "xc/result.hpp"

namespace xc {

// The host id that `inside` maps to through the maps of `type` ('u' or
// 'g'), or -1 if the maps leave it unmapped.
int64_t hostIdOf(const std::vector<IdMap>& maps, char type, uint32_t inside);

// What a start needs of the maps: the container's root (uid 0, gid 0)
// mapped, and no two ranges of one type overlapping inside or outside.
Status checkStartable(const std::vector<IdMap>& maps);

// Writes /proc/PID/uid_map and gid_map.
Status writeIdMaps(pid_t pid, const std::vector<IdMap>& maps);

// A new user namespace owned by host user `uid` (group `gid`), without
// maps, as an fd of its /proc/PID/ns/user; made by a child that becomes
// that user first. The kernel charges what a namespace's processes count
// against per-user limits (inotify instances and watches, user namespaces,
// ...) to its owner too, at the level above it: a namespace made by root
// would charge the host's root, so that a container could use up root's
// own inotify instances. Fails where the host allows no unprivileged user
// namespaces.
Result<UniqueFd> userNamespaceOwnedBy(uid_t uid, gid_t gid);

// A detached recursive copy of `rootfs`, idmapped through the user
// namespace of `pid`.
Result<UniqueFd> idmappedTree(const std::string& rootfs, pid_t pid);

// Removes the tree at `path` (as storage::removeTree) from a child that
// is root of a new user namespace with `maps`: how a user removes what
// its container's other ids made (files of subordinate uids, mode 0700
// directories), which the user itself may not. Only from a single-threaded
// process: the child runs library code after fork.
Status removeTreeAsNamespaceRoot(const std::string& path, const std::vector<IdMap>& maps);

// In the child, once its maps exist: become the namespace's root (its
// uid and gid 0, no supplementary groups), keeping the full capability
// set it holds in the namespace.
Status becomeNamespaceRoot();

}  // namespace xc
