// The cgroups of a caller other than root: cgroup2 only (a v1 hierarchy
// has no delegation the kernel checks; its controllers stay root's), rooted
// at the group the host delegated to the caller. The kernel lets a process
// move another only when it may write cgroup.procs of the two groups'
// common ancestor, so the delegation must contain the caller's own group:
// systemd's user@UID.service, or a group root made and put the user's
// session in (xc-checkconfig --delegate).
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "base/fsutil.hpp"
#include "base/scope.hpp"
#include "base/users.hpp"
#include "cgroup/cgroup.hpp"
#include "cgroup/cgroup_tree.hpp"
#include "cgroup/probe.hpp"
#include "cgroup/user_delegation.hpp"

namespace xc {

std::string delegationFix(const std::string& user) {
    return "where systemd runs, start it in a delegated scope: systemd-run --user --scope -p Delegate=yes "
           "xc-start ...; without systemd, root runs `xc-checkconfig --delegate " +
           user + "` and starts " + user + "'s sessions in the group it names (see NON-ROOT USERS in xc(7))";
}

Result<std::string> delegatedGroup(const std::string& mount, const std::string& own, uid_t uid,
                                   const std::function<bool(const std::string&, uid_t)>& ownedBy) {
    const std::string user = userNameOf(uid);
    // The highest group above (or at) our own that is the caller's.
    std::string path;
    size_t pos = 0;
    while (pos < own.size()) {
        size_t next = own.find('/', pos + 1);
        if (next == std::string::npos) next = own.size();
        path = own.substr(0, next);
        pos = next;
        if (path.size() > 1 && ownedBy(mount + path, uid)) return path.substr(1);
    }
    return Error::msg("no cgroup is delegated to " + user + ": its processes are in " + mount + (own.empty() ? "/" : own) +
                          ", whose groups are not " + user + "'s (a container needs a cgroup2 group of its own)",
                      EACCES)
        .withHint(delegationFix(user));
}

namespace {

bool ownedGroup(const std::string& dir, uid_t uid) {
    struct stat d {}, procs {};
    return ::stat(dir.c_str(), &d) == 0 && S_ISDIR(d.st_mode) && d.st_uid == uid &&
           ::stat((dir + "/cgroup.procs").c_str(), &procs) == 0 && procs.st_uid == uid &&
           ::access((dir + "/cgroup.procs").c_str(), W_OK) == 0;
}

}  // namespace

Result<CgroupLayout> CgroupLayout::delegatedTo(uid_t uid) const {
    const CgroupHierarchy* u = unified();
    const std::string user = userNameOf(uid);
    if (!u)
        return Error::msg("cgroup2 is not mounted: " + user + "'s containers need it (non-root containers use cgroup2 "
                              "only; the v1 hierarchies are root's)",
                          ENOENT)
            .withHint("mount cgroup2 (mount -t cgroup2 none /sys/fs/cgroup/unified on a hybrid host) and " +
                      delegationFix(user));
    XC_ASSIGN(std::string self, readFile("/proc/self/cgroup"));
    XC_ASSIGN(std::string rel, delegatedGroup(u->mountPoint, unifiedGroupOf(self), uid, ownedGroup));
    CgroupLayout l;
    CgroupHierarchy h;
    h.unified = true;
    h.mountPoint = u->mountPoint + "/" + rel;
    auto controllers = readFile(h.mountPoint + "/cgroup.controllers");
    if (controllers) {
        std::istringstream in(*controllers);
        std::string c;
        while (in >> c) h.controllers.push_back(c);
    }
    l.hierarchies_ = {h};
    l.mode_ = CgroupMode::V2;
    l.freezer_ = CgroupFreezer::Unified;
    l.delegated_ = true;
    return l;
}

namespace {

struct HostUser {
    std::string name;
    uid_t uid;
    gid_t gid;
};

Result<HostUser> hostUser(const std::string& user) {
    struct passwd pw, *found = nullptr;
    char buf[4096];
    if (::getpwnam_r(user.c_str(), &pw, buf, sizeof buf, &found) != 0 || !found)
        return Error::msg("no user " + user + " on this host", ENOENT);
    return HostUser{found->pw_name, found->pw_uid, found->pw_gid};
}

Result<std::string> usersDir() {
    XC_ASSIGN(CgroupLayout host, CgroupLayout::detectHost());
    if (!host.unified()) return Error::msg("cgroup2 is not mounted: a user's containers need it", ENOENT);
    return host.unified()->mountPoint + "/" + kUsersGroup;
}

// A group only this call made is removed again if a later step fails.
Status makeOwnedGroup(const std::string& dir, const HostUser& u, Rollback& undo) {
    if (::mkdir(dir.c_str(), 0755) == 0)
        undo.add("remove cgroup " + dir, [dir] { ::rmdir(dir.c_str()); });
    else if (errno != EEXIST)
        return Error::sys("create cgroup " + dir);
    XC_ASSIGN(UniqueFd fd, openGroupDir(dir));
    return chownDelegated(fd.get(), u.uid, u.gid, dir);
}

}  // namespace

Result<UserDelegation> delegateToUser(const std::string& user) {
    if (::geteuid() != 0) return Error::msg("delegate a cgroup to " + user + ": only root may", EPERM);
    XC_ASSIGN(HostUser u, hostUser(user));
    XC_ASSIGN(std::string top, usersDir());
    if (::mkdir(top.c_str(), 0755) < 0 && errno != EEXIST) return Error::sys("create cgroup " + top);
    // What root enabled above is passed down, so the user's groups can limit.
    if (auto ctl = readFile(top + "/cgroup.controllers")) {
        std::istringstream in(*ctl);
        std::string c;
        UniqueFd ctlFd(::open((top + "/cgroup.subtree_control").c_str(), O_WRONLY | O_CLOEXEC));
        while (ctlFd && in >> c) (void)!::write(ctlFd.get(), ("+" + c).data(), c.size() + 1);
    }
    UserDelegation d{top + "/" + u.name, top + "/" + u.name + "/session"};
    Rollback undo;
    XC_TRY(makeOwnedGroup(d.group, u, undo));
    XC_TRY(makeOwnedGroup(d.session, u, undo));
    undo.commit();
    return d;
}

Status undelegateUser(const std::string& user) {
    if (::geteuid() != 0) return Error::msg("remove the cgroup of " + user + ": only root may", EPERM);
    XC_ASSIGN(std::string top, usersDir());
    const std::string group = top + "/" + user;
    for (const std::string& dir : {group + "/session", group, top})
        if (::rmdir(dir.c_str()) < 0 && errno != ENOENT && !(dir == top && errno == EBUSY))
            return Error::sys("remove cgroup " + dir);
    return {};
}

}  // namespace xc
