// Handing a container's payload group to its root when that root is an
// unprivileged host user (a user namespace): systemd inside makes and
// moves processes between its own sub-groups, which needs the directory
// and its control files to belong to it. Only the hierarchies mounted
// writable inside get this (cgroup2, and v1's name=systemd); the limits
// level above stays the host's, so nothing delegated can raise a limit.
#include <fcntl.h>
#include <unistd.h>

#include "cgroup/cgroup.hpp"
#include "cgroup/cgroup_tree.hpp"

namespace xc {

namespace {

// The files of a group that the group's owner must be able to write to
// manage it (cgroup2's delegation set, and v1's equivalents).
constexpr const char* kDelegatedFiles[] = {"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "tasks",
                                           "cgroup.clone_children", "notify_on_release"};

}  // namespace

Status chownDelegated(int dirFd, uid_t uid, gid_t gid, const std::string& dir) {
    const std::string who = std::to_string(uid) + ":" + std::to_string(gid);
    if (::fchown(dirFd, uid, gid) < 0) return Error::sys("give cgroup " + dir + " to " + who);
    for (const char* f : kDelegatedFiles) {
        if (::fchownat(dirFd, f, uid, gid, AT_SYMLINK_NOFOLLOW) == 0 || errno == ENOENT) continue;
        return Error::sys("give " + dir + "/" + f + " to " + who);
    }
    return {};
}

Status Cgroup::delegatePayload(uid_t uid, gid_t gid) const {
    for (const auto& h : layout_.hierarchies()) {
        if (!h.unified && !h.has("name=systemd")) continue;
        const std::string dir = payloadDirFor(h);
        XC_ASSIGN(UniqueFd fd, openGroupDir(dir));
        XC_TRY(chownDelegated(fd.get(), uid, gid, dir).ctx("delegate to the container's root"));
    }
    return {};
}

}  // namespace xc
