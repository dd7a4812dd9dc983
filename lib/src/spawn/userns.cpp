#include "spawn/userns.hpp"

#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "base/fsutil.hpp"
#include "mount/mount.hpp"
#include "process/process.hpp"
#include "storage/btrfs.hpp"

namespace xc {

int64_t hostIdOf(const std::vector<IdMap>& maps, char type, uint32_t inside) {
    for (const auto& m : maps)
        if (m.type == type && inside >= m.inside && uint64_t(inside) < uint64_t(m.inside) + m.count)
            return int64_t(m.outside) + (inside - m.inside);
    return -1;
}

namespace {

bool overlap(uint32_t a, uint32_t alen, uint32_t b, uint32_t blen) {
    return uint64_t(a) < uint64_t(b) + blen && uint64_t(b) < uint64_t(a) + alen;
}

std::string describe(const IdMap& m) {
    return std::string(1, m.type) + " " + std::to_string(m.inside) + " " + std::to_string(m.outside) + " " +
           std::to_string(m.count);
}

}  // namespace

Status checkStartable(const std::vector<IdMap>& maps) {
    for (char type : {'u', 'g'}) {
        const char* what = type == 'u' ? "uid" : "gid";
        if (hostIdOf(maps, type, 0) < 0)
            return Error::msg(std::string("idmap: ") + what + " 0 inside is not mapped (the container's root needs it)",
                              EINVAL);
        for (size_t i = 0; i < maps.size(); ++i)
            for (size_t j = i + 1; j < maps.size(); ++j) {
                const IdMap &a = maps[i], &b = maps[j];
                if (a.type != type || b.type != type) continue;
                if (overlap(a.inside, a.count, b.inside, b.count) || overlap(a.outside, a.count, b.outside, b.count))
                    return Error::msg("idmap: the ranges " + describe(a) + " and " + describe(b) + " overlap",
                                      EINVAL);
            }
    }
    return {};
}

namespace {

Status writeMap(pid_t pid, char type, const std::vector<IdMap>& maps) {
    std::string text;
    for (const auto& m : maps)
        if (m.type == type)
            text += std::to_string(m.inside) + " " + std::to_string(m.outside) + " " + std::to_string(m.count) + "\n";
    const std::string file = "/proc/" + std::to_string(pid) + (type == 'u' ? "/uid_map" : "/gid_map");
    UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CLOEXEC));
    if (!fd) return Error::sys("open " + file);
    // The kernel takes a map in one write only.
    ssize_t n = ::write(fd.get(), text.data(), text.size());
    if (n < 0) {
        Error e = Error::sys("write the " + std::string(type == 'u' ? "uid" : "gid") + " map " + file);
        if (errno == EINVAL) e = std::move(e).withHint("the kernel takes at most 340 ranges of a type");
        return e;
    }
    if (size_t(n) != text.size()) return Error::msg("write " + file + ": short write", EIO);
    return {};
}

// A caller other than root may write only a map of its own uid: the rest
// of its ranges go through Debian's set-uid newuidmap/newgidmap (package
// uidmap), which check them against /etc/subuid and /etc/subgid.
Status runMapHelper(pid_t pid, char type, const std::vector<IdMap>& maps) {
    const std::string prog = std::string("/usr/bin/") + (type == 'u' ? "newuidmap" : "newgidmap");
    if (::access(prog.c_str(), X_OK) < 0)
        return Error::msg(prog + " is missing: a user's container needs it to map its ids", ENOENT)
            .withHint("as root: apt-get install uidmap");
    Program p;
    p.argv = {prog, std::to_string(pid)};
    for (const auto& m : maps)
        if (m.type == type)
            for (uint32_t v : {m.inside, m.outside, m.count}) p.argv.push_back(std::to_string(v));
    p.inheritEnv = false;
    XC_ASSIGN(ProgramOutput out, runProgram(p, "", std::chrono::seconds(10)).ctx("run " + prog));
    if (out.status == 0) return {};
    std::string why = trim(out.err);
    if (auto nl = why.rfind('\n'); nl != std::string::npos) why = why.substr(nl + 1);
    return Error::msg(prog + " " + std::to_string(pid) + " failed (" + describeWaitStatus(out.status) + ")" +
                          (why.empty() ? "" : ": " + why),
                      EPERM)
        .withHint("the map must lie in the caller's lines of /etc/subuid and /etc/subgid, and " + prog +
                  " must be set-uid root (apt-get install --reinstall uidmap)");
}

}  // namespace

Status writeIdMaps(pid_t pid, const std::vector<IdMap>& maps) {
    if (::geteuid() != 0) {
        XC_TRY(runMapHelper(pid, 'u', maps));
        return runMapHelper(pid, 'g', maps);
    }
    XC_TRY(writeMap(pid, 'u', maps));
    return writeMap(pid, 'g', maps);
}

Result<UniqueFd> idmappedTree(const std::string& rootfs, pid_t pid) {
    const std::string nsFile = "/proc/" + std::to_string(pid) + "/ns/user";
    UniqueFd userns(::open(nsFile.c_str(), O_RDONLY | O_CLOEXEC));
    if (!userns) return Error::sys("open the container's user namespace " + nsFile);
    XC_ASSIGN(UniqueFd tree, cloneTree(AT_FDCWD, rootfs, true).ctx("bind root filesystem " + rootfs));
    auto st = setIdmap(tree.get(), userns.get(), true);
    if (!st) {
        Error e = std::move(st).error().wrap("map the ids of root filesystem " + rootfs);
        if (e.code() == EINVAL || e.code() == EPERM || e.code() == ENOSYS)
            e = std::move(e).withHint(
                "its filesystem cannot be idmapped here (the kernel needs 5.12 or later, and the filesystem idmapped "
                "mount support: ext4, xfs, btrfs, tmpfs from 6.3, overlay from 5.19); xc-checkconfig says what this "
                "host allows");
        return e;
    }
    return tree;
}

Status becomeNamespaceRoot() {
    if (::setresgid(0, 0, 0) < 0) return Error::sys("become gid 0 in the container's user namespace");
    if (::setresuid(0, 0, 0) < 0) return Error::sys("become uid 0 in the container's user namespace");
    if (::setgroups(0, nullptr) < 0) return Error::sys("drop supplementary groups in the user namespace");
    return {};
}

Result<UniqueFd> userNamespaceOwnedBy(uid_t uid, gid_t gid) {
    int ready[2], done[2];
    if (::pipe2(ready, O_CLOEXEC) < 0) return Error::sys("make a pipe");
    UniqueFd readyRead(ready[0]), readyWrite(ready[1]);
    if (::pipe2(done, O_CLOEXEC) < 0) return Error::sys("make a pipe");
    UniqueFd doneRead(done[0]), doneWrite(done[1]);
    pid_t pid = ::fork();
    if (pid < 0) return Error::sys("fork a child");
    if (pid == 0) {
        int err = 0;
        if (::setgroups(0, nullptr) < 0 || ::setresgid(gid, gid, gid) < 0 || ::setresuid(uid, uid, uid) < 0 ||
            ::unshare(CLONE_NEWUSER) < 0)
            err = errno;
        if (::write(readyWrite.get(), &err, sizeof err) != static_cast<ssize_t>(sizeof err)) ::_exit(1);
        char c;
        doneWrite.reset();
        while (::read(doneRead.get(), &c, 1) < 0 && errno == EINTR) {
        }
        ::_exit(0);
    }
    readyWrite.reset();
    doneRead.reset();
    int err = EIO;
    ssize_t n;
    while ((n = ::read(readyRead.get(), &err, sizeof err)) < 0 && errno == EINTR) {
    }
    UniqueFd ns;
    if (n == static_cast<ssize_t>(sizeof err) && err == 0)
        ns = UniqueFd(::open(("/proc/" + std::to_string(pid) + "/ns/user").c_str(), O_RDONLY | O_CLOEXEC));
    int openErr = errno;
    doneWrite.reset();
    int st;
    while (::waitpid(pid, &st, 0) < 0 && errno == EINTR) {
    }
    std::string what = "make a user namespace owned by uid " + std::to_string(uid);
    if (n != static_cast<ssize_t>(sizeof err)) return Error::msg(what + ": its child died", ECHILD);
    if (err) {
        errno = err;
        return Error::sys(what);
    }
    if (!ns) {
        errno = openErr;
        return Error::sys(what + ": open its /proc/PID/ns/user");
    }
    return ns;
}

Status removeTreeAsNamespaceRoot(const std::string& path, const std::vector<IdMap>& maps) {
    const std::string what = "remove " + path + " as the container's root";
    XC_ASSIGN(auto ends, Channel::pair().ctx(what));
    Channel& parentEnd = ends.first;
    Channel& childEnd = ends.second;
    XC_ASSIGN(Process child, cloneChild(CLONE_NEWUSER).ctx(what));
    if (child.pid() == 0) {
        parentEnd.close();
        auto go = childEnd.recv(0);  // the maps are written
        if (!go || go->eof) ::_exit(1);
        Status st = becomeNamespaceRoot();
        if (st) st = storage::removeTree(path);
        if (st) (void)childEnd.send("ok");
        else childEnd.sendError(st.error());
        ::_exit(st ? 0 : 2);
    }
    childEnd.close();
    // On any failure here the child is killed and reaped with `child`.
    XC_TRY(writeIdMaps(child.pid(), maps).ctx(what));
    XC_TRY(parentEnd.send("go").ctx(what));
    XC_TRY(parentEnd.expect(what).ctx(what));
    XC_TRY(child.wait().ctx(what));
    return {};
}

}  // namespace xc
