// xc-snapshot: snapshots of a container under its directory (container.hpp).
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <optional>

#include "api/clone_internal.hpp"
#include "api/depends.hpp"
#include "base/fsutil.hpp"
#include "base/hidden.hpp"
#include "base/lock.hpp"
#include "monitor/runlock.hpp"
#include "base/scope.hpp"
#include "storage/btrfs.hpp"
#include "storage/copytree.hpp"
#include "storage/treeusage.hpp"
#include "xc/container.hpp"

namespace xc {

namespace {

// BASE/NAME/snaps: the snapshots move with a rename, go with a destroy.
std::string snapsDirOf(const ContainerPaths& p) { return p.dir() + "/snaps"; }

// "snap" and a number without leading zeros: -1 for any other name.
long snapNumber(const std::string& n) {
    if (n.size() < 5 || n.size() > 13 || n.rfind("snap", 0) != 0) return -1;
    if (n[4] == '0' && n.size() > 5) return -1;
    long v = 0;
    for (size_t i = 4; i < n.size(); ++i) {
        if (n[i] < '0' || n[i] > '9') return -1;
        v = v * 10 + (n[i] - '0');
    }
    return v;
}

// Hidden work directories of snapshot commands: a staging directory being
// filled, a snapshot being removed.
bool hiddenWork(const std::string& n) { return n.rfind(hidden::kStaging, 0) == 0 || n.rfind(hidden::kTrash, 0) == 0; }

// The snapshots' lock (BASE/NAME/snaps/.lock): one snapshot command of a
// container at a time. Holding it, what an interrupted one left is removed.
Result<RunLock> lockSnaps(const Container& c, const Log& log) {
    const std::string dir = snapsDirOf(c.paths());
    XC_TRY(makeDirs(dir, 0700));
    XC_ASSIGN(RunLock lock, RunLock::acquire(dir + "/.lock"));
    XC_ASSIGN(auto names, listDir(dir));
    for (const auto& n : names) {
        if (!hiddenWork(n)) continue;
        XC_TRY(storage::removeTree(dir + "/" + n).ctx("remove what an interrupted snapshot command left"));
        log.notice("removed " + dir + "/" + n + " (left by an interrupted snapshot command)");
    }
    return lock;
}

// The container's own files, which a snapshot copies: a dir container's
// rootfs, an overlay's upper layer. `rel` is where the snapshot keeps them.
struct OwnLayer {
    std::string path, rel;
};

OwnLayer ownLayer(const ContainerConfig& cfg) {
    if (cfg.rootfsBackend == "overlay") return {cfg.rootfsUpper, "overlay/upper"};
    return {cfg.rootfsPath, "rootfs"};
}

std::string nowUtc() {
    std::time_t t = std::time(nullptr);
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char buf[32];
    std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
    return buf;
}

// Whether a running container is frozen (and stays so while we copy).
Result<bool> isFrozen(const Container& c) {
    XC_ASSIGN(StateInfo st, c.state());
    return st.state == State::Frozen;
}

Error runningError(const Container& c) {
    return Error::msg("is running: a snapshot is taken of a stopped or a frozen container", EBUSY)
        .withHint("stop it (xc-stop -n " + c.name() + "), or freeze it for the snapshot: xc-freeze -n " + c.name() +
                  "; xc-snapshot -n " + c.name() + "; xc-unfreeze -n " + c.name());
}

// The copy of the container's own files into the staging directory (for
// btrfs a read-only snapshot of its subvolume).
Status fillSnapshot(const ContainerConfig& cfg, const std::string& stage) {
    OwnLayer own = ownLayer(cfg);
    if (cfg.rootfsBackend == "btrfs") return storage::btrfs::snapshot(own.path, stage + "/" + own.rel, true);
    if (cfg.rootfsBackend == "overlay") {
        if (::mkdir((stage + "/overlay").c_str(), 0700) < 0) return Error::sys("create " + stage + "/overlay");
        auto copied = storage::copyTree(own.path, stage + "/" + own.rel);
        if (!copied) return std::move(copied).error().wrap("copy the upper layer " + own.path);
        // The work dir a full copy's detached overlay of the snapshot needs.
        if (::mkdir((stage + "/overlay/work").c_str(), 0700) < 0) return Error::sys("create " + stage + "/overlay/work");
        return {};
    }
    auto copied = storage::copyTree(own.path, stage + "/" + own.rel);
    if (!copied) return std::move(copied).error().wrap("copy the rootfs " + own.path);
    return {};
}

// The next free number after the highest one.
Result<long> nextNumber(const std::string& dir) {
    XC_ASSIGN(auto names, listDir(dir));
    long next = 0;
    for (const auto& n : names) next = std::max(next, snapNumber(n) + 1);
    return next;
}

Result<std::string> snapDirOf(const Container& c, const std::string& snap) {
    if (snapNumber(snap) < 0) return Error::msg("no snapshot " + snap + " (snapshots are named snap0, snap1, ...)", EINVAL);
    std::string dir = snapsDirOf(c.paths()) + "/" + snap;
    if (!pathExists(dir + "/ts"))
        return Error::msg("no snapshot " + snap + " of it (xc-snapshot -n " + c.name() + " -L lists them)", ENOENT);
    return dir;
}

}  // namespace

Result<std::string> Container::snapshot(const std::string& comment, const Log& log) {
    if (!defined()) return undefinedError();
    XC_ASSIGN(ContainerConfig cfg, config().ctx("snapshot"));
    // Stopped: held so by its run lock. Running: only if frozen.
    XC_TRY(makeDirs(paths_.runDir(), 0700));
    std::optional<RunLock> runLock;
    bool frozen = false;
    if (auto l = lockContainer(paths_)) {
        runLock = std::move(*l);
    } else if (l.error().code() != EBUSY) {
        return std::move(l).error().wrap("snapshot: take the run lock");
    } else {
        XC_ASSIGN(StateInfo st, state());
        frozen = st.state == State::Frozen;
        if (st.state == State::Stopped)
            return Error::msg("snapshot: is being created, started or destroyed by another command", EBUSY);
        if (!frozen) return runningError(*this);
    }
    ScopeExit dropRunLock([&] { if (runLock) runLock->removeFile(); });
    XC_ASSIGN(RunLock snapLock, lockSnaps(*this, log).ctx("snapshot"));

    std::string tmpl = snapsDirOf(paths_) + "/" + hidden::kStaging + "XXXXXX";
    if (!::mkdtemp(tmpl.data())) return Error::sys("snapshot: create a staging directory in " + snapsDirOf(paths_));
    const std::string stage = tmpl;
    ScopeExit removeStage([&] { (void)storage::removeTree(stage); });
    XC_TRY(fillSnapshot(cfg, stage).ctx("snapshot"));
    XC_ASSIGN(std::string text, readRegularFile(paths_.configFile(), 1 << 20).ctx("snapshot: read the config"));
    XC_TRY(writeFileAtomic(stage + "/config", text, 0640).ctx("snapshot"));
    XC_TRY(writeFileAtomic(stage + "/comment", comment, 0640).ctx("snapshot"));
    XC_TRY(writeFileAtomic(stage + "/ts", nowUtc() + "\n", 0640).ctx("snapshot"));
    if (frozen) {
        XC_ASSIGN(bool still, isFrozen(*this).ctx("snapshot"));
        if (!still)
            return Error::msg("snapshot: it was thawed (or stopped) while its files were copied; the copy was dropped",
                              EAGAIN);
    }
    XC_ASSIGN(long n, nextNumber(snapsDirOf(paths_)).ctx("snapshot"));
    std::string name = "snap" + std::to_string(n);
    std::string dest = snapsDirOf(paths_) + "/" + name;
    if (::renameat2(AT_FDCWD, stage.c_str(), AT_FDCWD, dest.c_str(), RENAME_NOREPLACE) < 0)
        return Error::sys("snapshot: move the staging directory to " + dest);
    removeStage.dismiss();
    log.info("snapshot " + name + " taken" + (frozen ? " (frozen)" : ""));
    return name;
}

Result<std::vector<SnapshotInfo>> Container::snapshots() const {
    if (!defined()) return undefinedError();
    std::vector<SnapshotInfo> out;
    auto names = listDir(snapsDirOf(paths_));
    if (!names && names.error().code() == ENOENT) return out;
    if (!names) return std::move(names).error().wrap("list the snapshots");
    for (const auto& n : *names) {
        std::string dir = snapsDirOf(paths_) + "/" + n;
        if (snapNumber(n) < 0 || !pathExists(dir + "/ts")) continue;
        SnapshotInfo s;
        s.name = n;
        XC_ASSIGN(std::string ts, readRegularFile(dir + "/ts", 4096).ctx("list the snapshots"));
        s.time = trim(ts);
        auto comment = readRegularFile(dir + "/comment", 1 << 20);
        if (comment) s.comment = *comment;
        XC_ASSIGN(s.sizeBytes, storage::treeUsage(dir).ctx("list the snapshots: disk use of " + n));
        out.push_back(std::move(s));
    }
    std::sort(out.begin(), out.end(),
              [](const SnapshotInfo& a, const SnapshotInfo& b) { return snapNumber(a.name) < snapNumber(b.name); });
    return out;
}

namespace {

// The snapshot's copy replaces the container's own files: built beside
// them (.xc-restore-XXXXXX in the same directory, so on the same file
// system), swapped in with one RENAME_EXCHANGE, the old files removed
// after. A kill leaves the container's files whole (old or new) and a
// hidden .xc-restore-* directory the next restore removes.
Status restoreInPlace(const ContainerConfig& cfg, const std::string& snapDir, const Log& log) {
    OwnLayer own = ownLayer(cfg);
    std::string from = snapDir + "/" + own.rel;
    if (!pathExists(from))
        return Error::msg("it is a " + cfg.rootfsBackend + " container now and the snapshot was taken of another kind (no " +
                              own.rel + " in " + snapDir + ")",
                          EINVAL)
            .withHint("restore it into a new container with -N NEWNAME");
    std::string parent = parentPath(own.path);
    XC_ASSIGN(auto names, listDir(parent));
    for (const auto& n : names)
        if (n.rfind(".xc-restore-", 0) == 0) {
            XC_TRY(storage::removeTree(parent + "/" + n).ctx("remove what an interrupted restore left"));
            log.notice("removed " + parent + "/" + n + " (left by an interrupted restore)");
        }
    std::string tmpl = parent + "/.xc-restore-XXXXXX";
    if (!::mkdtemp(tmpl.data())) return Error::sys("create a staging directory in " + parent);
    const std::string stage = tmpl;
    ScopeExit removeStage([&] { (void)storage::removeTree(stage); });
    if (cfg.rootfsBackend == "btrfs") {
        XC_TRY(storage::btrfs::snapshot(from, stage + "/tree", false));
    } else if (auto copied = storage::copyTree(from, stage + "/tree"); !copied) {
        return std::move(copied).error().wrap("copy " + from);
    }
    if (::renameat2(AT_FDCWD, (stage + "/tree").c_str(), AT_FDCWD, own.path.c_str(), RENAME_EXCHANGE) < 0)
        return Error::sys("swap the copy in for " + own.path);
    return {};
}

}  // namespace

Status Container::restoreSnapshot(const std::string& snap, const std::string& newName, const Log& log) {
    if (!defined()) return undefinedError();
    const std::string what = "restore " + snap;
    if (!newName.empty()) {
        XC_TRY(validateName(newName));
        XC_ASSIGN(ContainerConfig cfg, config().ctx(what));
        XC_ASSIGN(RunLock snapLock, lockSnaps(*this, log).ctx(what));
        XC_ASSIGN(std::string dir, snapDirOf(*this, snap).ctx(what));
        CloneSource src{layoutOf(cfg), dir + "/config"};
        OwnLayer own = ownLayer(cfg);
        if (!pathExists(dir + "/" + own.rel))
            return Error::msg(what + ": the snapshot has no " + own.rel + " (taken of a container of another kind)",
                              EINVAL);
        if (src.layout.overlay()) src.layout.upper = dir + "/" + own.rel;
        else src.layout.rootfs = dir + "/" + own.rel;
        CloneOptions o;
        o.newName = newName;
        XC_TRY(cloneFromSource(*this, src, o, log).ctx(what));
        log.info(snap + " restored as " + newName);
        return {};
    }
    XC_ASSIGN(RunLock lock, lockStopped(*this).ctx(what));
    ScopeExit dropLock([&] { lock.removeFile(); });
    XC_ASSIGN(ContainerConfig cfg, config().ctx(what));
    auto deps = dependentsOf(host_, paths_, cfg);
    if (!deps.empty())
        return Error::msg(what + ": snapshot clones use its files as their lower layers (" + dependentNames(deps, false) +
                              "); restoring would change their files under them",
                          EBUSY)
            .withHint("restore it into a new container instead (-N NEWNAME)");
    XC_ASSIGN(RunLock snapLock, lockSnaps(*this, log).ctx(what));
    XC_ASSIGN(std::string dir, snapDirOf(*this, snap).ctx(what));
    XC_TRY(restoreInPlace(cfg, dir, log).ctx(what));
    log.info(snap + " restored");
    return {};
}

Status Container::destroySnapshot(const std::string& snap, const Log& log) {
    if (!defined()) return undefinedError();
    const std::string what = "destroy snapshot " + snap;
    XC_ASSIGN(RunLock snapLock, lockSnaps(*this, log).ctx(what));
    XC_ASSIGN(std::string dir, snapDirOf(*this, snap).ctx(what));
    // One rename and it is gone; a kill while its files are removed leaves
    // a hidden directory the next snapshot command removes.
    std::string trash = snapsDirOf(paths_) + "/" + hidden::kTrash + snap;
    if (::renameat2(AT_FDCWD, dir.c_str(), AT_FDCWD, trash.c_str(), RENAME_NOREPLACE) < 0)
        return Error::sys(what + ": move " + dir + " aside");
    XC_TRY(storage::removeTree(trash).ctx(what + ": remove its files"));
    log.info("snapshot " + snap + " destroyed");
    return {};
}

}  // namespace xc
