// xc-clone: full copies and renames of stopped containers.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <optional>

#include "api/clone_internal.hpp"
#include "api/depends.hpp"
#include "api/idmap_alloc.hpp"
#include "api/rootfs_owners.hpp"
#include "api/staging.hpp"
#include "base/hidden.hpp"
#include "base/fsutil.hpp"
#include "base/lock.hpp"
#include "monitor/runlock.hpp"
#include "base/scope.hpp"
#include "config/config_edit.hpp"
#include "mount/rootdir.hpp"
#include "net/net.hpp"
#include "spawn/hooks.hpp"
#include "storage/btrfs.hpp"
#include "storage/copytree.hpp"
#include "storage/overlay.hpp"
#include "xc/container.hpp"

namespace xc {

// The run lock of a container that must stay stopped while we work.
Result<RunLock> lockStopped(const Container& c) {
    XC_TRY(makeDirs(c.paths().runDir(), 0700));
    auto lock = lockContainer(c.paths());
    if (lock || lock.error().code() != EBUSY) return lock;
    auto st = c.state();
    if (st && st->state != State::Stopped)
        return Error::msg("is running; stop it first (xc-stop -n " + c.name() + ")", EBUSY);
    return Error::msg("is being created, started or destroyed by another command", EBUSY);
}

// The lock of the new name, with what interrupted commands left of it gone.
Result<RunLock> lockNewName(const Container& c, const Log& log) {
    if (c.defined() || pathExists(c.paths().dir())) return Error::msg("already exists in " + c.paths().base(), EEXIST);
    XC_TRY(makeDirs(c.paths().runDir(), 0700));
    auto lock = lockContainer(c.paths());
    if (!lock && lock.error().code() == EBUSY)
        return Error::msg("is being created, started or destroyed by another command", EBUSY);
    if (!lock) return lock;
    XC_TRY(staging::removeLeftovers(c.paths().base(), c.name(), log));
    if (c.defined() || pathExists(c.paths().dir())) return Error::msg("already exists in " + c.paths().base(), EEXIST);
    return lock;
}

namespace {

// The origin's config text with the new identity. Only the values change.
Result<std::string> renamedConfig(const std::string& file, const ContainerConfig& cfg, const std::string& newName,
                                  const std::string& newRootfs, bool newHwaddrs) {
    XC_ASSIGN(std::string text, readRegularFile(file, 1 << 20));
    std::string inc = parentPath(file);
    std::vector<std::pair<std::string, std::string>> set = {{"name", newName}};
    XC_ASSIGN(bool hasRootfs, configSets(text, "rootfs.path", inc));
    if (hasRootfs) set.push_back({"rootfs.path", newRootfs});
    XC_ASSIGN(bool hasHost, configSets(text, "uts.hostname", inc));
    if (hasHost && cfg.hostname == cfg.name) set.push_back({"uts.hostname", newName});
    for (size_t i = 0; newHwaddrs && i < cfg.network.size(); ++i) {
        const auto& n = cfg.network[i];
        std::string key = "network." + std::to_string(i) + ".hwaddr";
        if (n.type != "veth" && n.type != "macvlan") continue;
        XC_ASSIGN(bool has, configSets(text, key, inc));
        if (has) set.push_back({key, randomHwaddr()});
    }
    XC_ASSIGN(text, setConfigStrings(text, set, inc, file));
    if (!hasRootfs) return Error::msg(file + ": rootfs.path is not set in the file itself", EINVAL);
    XC_TRY(parseConfig(text, "new config for " + newName));
    return text;
}

// Rewrites a small regular file inside the rootfs in place (owner, mode
// and links stay): never through a symlink out of the root, never a FIFO.
Status rewriteIn(const RootDir& root, const std::string& rel, const std::string& data) {
    XC_ASSIGN(UniqueFd fd, root.openIn(rel, O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY));
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return Error::sys("stat /" + rel);
    if (!S_ISREG(st.st_mode)) return Error::msg("/" + rel + " is not a regular file", EINVAL);
    if (::ftruncate(fd.get(), 0) < 0) return Error::sys("truncate /" + rel);
    for (size_t done = 0; done < data.size();) {
        ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
        if (n < 0) return Error::sys("write /" + rel);
        done += static_cast<size_t>(n);
    }
    return {};
}

// Replaces the word `from` with `to` on the lines of /etc/hosts (not in comments).
std::string hostsWithName(const std::string& text, const std::string& from, const std::string& to) {
    auto wordChar = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_'; };
    std::string out;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos + 1);
        pos = nl == std::string::npos ? text.size() : nl + 1;
        size_t hash = line.find('#');
        for (size_t k = line.find(from); k != std::string::npos && k < hash; k = line.find(from, k + 1)) {
            bool edge = (k == 0 || !wordChar(line[k - 1])) &&
                        (k + from.size() >= line.size() || !wordChar(line[k + from.size()]));
            if (!edge) continue;
            line.replace(k, from.size(), to);
            if (hash != std::string::npos) hash = hash + to.size() - from.size();
            k += to.size() - 1;
        }
        out += line;
    }
    return out;
}

// The identity files inside a copied (or renamed) rootfs.
Status retitleRootfs(const RootDir& root, const std::string& oldHost, const std::string& newHost,
                     bool resetMachineId) {
    if (oldHost != newHost) {
        auto hostname = root.readFile("etc/hostname");
        if (hostname && trim(*hostname) == oldHost) XC_TRY(rewriteIn(root, "etc/hostname", newHost + "\n"));
        auto hosts = root.readFile("etc/hosts");
        if (hosts) {
            std::string edited = hostsWithName(*hosts, oldHost, newHost);
            if (edited != *hosts) XC_TRY(rewriteIn(root, "etc/hosts", edited));
        }
    }
    if (resetMachineId && root.readFile("etc/machine-id")) XC_TRY(rewriteIn(root, "etc/machine-id", ""));
    return {};
}

}  // namespace

namespace {

// The clone's config text with a fresh isolated block in its idmap (the
// two entries, u and g, of 65536 ids that an isolated create writes).
Result<std::string> isolatedClone(const std::string& text, const ContainerConfig& cfg, const HostPaths& host,
                                  const std::string& base, const std::string& includeDir) {
    bool standard = cfg.idmap.size() == 2;
    for (const auto& m : cfg.idmap) standard = standard && m.inside == 0 && m.count == kIdmapBlock;
    if (!standard)
        return Error::msg("security.idmap_isolated with an idmap other than one u and one g block of 65536 from 0: "
                          "give the clone its own idmap by hand",
                          EINVAL);
    XC_ASSIGN(auto block, isolatedIdmap(host, base));
    return setConfigInts(text, {{"idmap.0.outside", block[0].outside}, {"idmap.1.outside", block[0].outside}},
                         includeDir, "the new config");
}

}  // namespace

// The new container's clone hooks; if one fails, the clone goes again
// (as it would have if the copy had failed).
static Status runCloneHooks(const Container& dst, const std::string& origin, const Log& log) {
    auto cfg = dst.config();
    Status st;
    if (!cfg) st = std::move(cfg).error();
    if (cfg && !cfg->hooks.clone.empty()) {
        HookEnv env = hookEnvFor(*cfg);
        env.extra.push_back("XC_SRC_NAME=" + origin);
        st = runHooks("clone", cfg->hooks.clone, env, log);
    }
    if (st) return {};
    if (auto trash = hidden::moveToTrash(dst.paths())) (void)storage::removeTree(*trash);
    return std::move(st).error().wrap("clone: " + dst.name() + " (removed again)");
}

namespace {

// What a clone writes: its backend and layers (at their final paths, and
// where they are while staged).
struct ClonePlan {
    storage::Layout src;     // the origin's
    storage::Layout dst;     // the clone's, final paths
    storage::Layout staged;  // the clone's, in the staging directory
};

Result<ClonePlan> planClone(const storage::Layout& src, const CloneOptions& o, const ContainerPaths& dst,
                            const std::string& stage) {
    ClonePlan p;
    p.src = src;
    std::string backend = !o.backend.empty() ? o.backend : o.snapshot && !src.btrfs() ? "overlay" : src.backend;
    if (backend != "dir" && backend != "overlay" && backend != "btrfs")
        return Error::msg("backing store '" + backend + "' is not supported (use -B dir, -B overlay or -B btrfs)",
                          ENOTSUP);
    if (o.snapshot && backend == "dir")
        return Error::msg("-s with -B dir: a snapshot clone is an overlay (-B overlay) or a btrfs snapshot (-B btrfs)",
                          EINVAL);
    if (o.snapshot && backend == "btrfs" && !src.btrfs())
        return Error::msg("-s -B btrfs: a btrfs snapshot clone is made of a btrfs container, and this one's backend is " +
                              src.backend,
                          EINVAL)
            .withHint("copy it whole onto btrfs (xc-clone -B btrfs without -s), or make an overlay snapshot clone (-s)");
    if (backend == "btrfs") XC_TRY(storage::requireBtrfs(dst.base()));
    for (auto* l : {&p.dst, &p.staged}) {
        std::string dir = l == &p.dst ? dst.dir() : stage;
        l->backend = backend;
        l->rootfs = dir + "/rootfs";
        if (backend != "overlay") continue;
        l->upper = dir + "/overlay/upper";
        if (!o.snapshot) l->lower = {dir + "/base"};
        else if (p.src.overlay()) l->lower = storage::Layout::join({p.src.upper}, p.src.lower);
        else l->lower = {p.src.rootfs};
    }
    return p;
}

// The clone's storage keys in its config text.
Result<std::string> withStorageKeys(const std::string& text, const storage::Layout& l, const std::string& inc) {
    XC_ASSIGN(std::string out, setOrAddConfigStrings(text, "rootfs.path", {{"rootfs.backend", l.backend}}, inc,
                                                     "the new config"));
    if (!l.overlay()) return removeConfigStrings(out, {"rootfs.lower", "rootfs.upper"}, inc, "the new config");
    std::string lower;
    for (const auto& p : l.lower) lower += (lower.empty() ? "" : ":") + p;
    return setOrAddConfigStrings(out, "rootfs.backend", {{"rootfs.lower", lower}, {"rootfs.upper", l.upper}}, inc,
                                 "the new config");
}

// The origin's merged tree, to copy from: an overlay's layers read-only
// (its own upper as the top lower), so that nothing of the origin is
// written and the copy's own dirty data is not synced when it goes.
Result<UniqueFd> openSource(const storage::Layout& src) {
    if (src.overlay())
        return storage::mountReadOnlyStack(storage::Layout::join({src.upper}, src.lower), storage::Whiteouts::User);
    UniqueFd fd(::open(src.rootfs.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return Error::sys("open " + src.rootfs);
    return fd;
}

std::string copied(const storage::CopyStats& s) {
    return std::to_string(s.files) + " files, " + std::to_string(s.bytes) + " bytes of data (" +
           std::to_string(s.reflinked) + " reflinked)";
}

// -B btrfs: a btrfs origin's snapshot (O(1); without -s too, as whole as a
// copy), else a new subvolume filled by a copy (reflinked where the file
// system can). Returns what was done, for the log.
Result<std::string> fillBtrfsClone(const ClonePlan& p, bool snapshot) {
    const std::string& dst = p.staged.rootfs;
    if (p.src.btrfs()) {
        Status s = storage::btrfs::snapshot(p.src.rootfs, dst, false);
        if (s) return "a btrfs snapshot of " + p.src.rootfs;
        // Another btrfs (or a rootfs that is no subvolume): copied instead, unless -s asked for a snapshot.
        if (snapshot || (s.error().code() != EXDEV && s.error().code() != EINVAL)) return std::move(s).error();
    }
    XC_ASSIGN(UniqueFd src, openSource(p.src));
    XC_TRY(storage::btrfs::createSubvolume(dst));
    XC_ASSIGN(storage::CopyStats stats, storage::copyTreeInto(src.get(), p.src.rootfs, dst));
    return "a btrfs subvolume with " + copied(stats);
}

// The clone's tree in the staging directory: a copy of the origin's
// merged tree (into rootfs/, or base/ under an empty upper layer), or for
// a snapshot only the empty layers. Returns what was done, for the log.
Result<std::string> fillClone(const ClonePlan& p, bool snapshot) {
    const storage::Layout& st = p.staged;
    if (st.btrfs()) return fillBtrfsClone(p, snapshot);
    std::string done = "over " + (st.overlay() ? st.lower[0] : std::string());
    if (!snapshot) {
        XC_ASSIGN(UniqueFd src, openSource(p.src));
        XC_ASSIGN(auto stats, storage::copyTreeFrom(src.get(), p.src.rootfs, st.overlay() ? st.lower[0] : st.rootfs));
        done = copied(stats);
    }
    if (!st.overlay()) return done;
    if (::mkdir(st.rootfs.c_str(), 0755) < 0) return Error::sys("create " + st.rootfs);
    XC_TRY(storage::makeLayerDirs(st.layerDir(), snapshot ? (p.src.overlay() ? p.src.upper : p.src.rootfs)
                                                          : st.lower[0]));
    return done;
}

// The merged tree of a container's layers, to edit its identity in: a
// staged clone's through a volatile overlay (nothing synced; the caller
// clears the mark with clearVolatileMark once the tree is closed), a
// renamed container's own layers through a plain one.
Result<RootDir> openForIdentity(const storage::Layout& l, bool staged) {
    if (!l.overlay()) return RootDir::open(l.rootfs);
    XC_ASSIGN(UniqueFd root, staged ? storage::mountDetachedVolatile(l) : storage::mountDetached(l));
    return RootDir::fromFd(std::move(root), l.rootfs);
}

}  // namespace

namespace {

// -a: the origin frozen for a full copy and thawed after, also on failure
// (one frozen by someone else stays so). It must still be frozen when the
// copy is done, else the copy is dropped.
Status cloneRunning(Container& origin, State was, const CloneSource& src, const CloneOptions& o, const Log& log) {
    if (was == State::Running) XC_TRY(origin.freeze(std::chrono::milliseconds(30000)).ctx("clone -a"));
    ScopeExit thaw([&] {
        if (was != State::Running) return;
        if (auto st = origin.thaw(); !st) log.error("clone -a: could not thaw " + origin.name() + ": " + st.error().message());
    });
    XC_TRY(cloneFromSource(origin, src, o, log));
    // A stop (and a new start) of the origin meanwhile must not go unnoticed.
    auto st = origin.state();
    if (!st || st->state != State::Frozen) {
        std::string base = o.newBase.empty() ? origin.paths().base() : resolveBase(o.newBase);
        if (auto c = Container::open(origin.host(), base, o.newName)) (void)c->destroy(true, log);
        return Error::msg("clone -a: it was thawed or stopped while its files were copied; the copy was removed",
                          EAGAIN);
    }
    return {};
}

}  // namespace

// -e: started at once with the run lock the clone held; a start that
// fails destroys the clone again.
Status Container::startEphemeralClone(Container& dst, RunLock lock, const Log& log) {
    XC_ASSIGN(ContainerConfig cfg, dst.config().ctx("start the ephemeral clone " + dst.name()));
    StartOptions so;
    Status st = dst.startLocked(lock, cfg, so);
    if (st) return {};
    { RunLock released = std::move(lock); }
    (void)dst.destroy(true, log);
    return std::move(st).error().wrap("start the ephemeral clone " + dst.name() + " (destroyed again)");
}

Status Container::clone(const CloneOptions& o, const Log& log) {
    XC_TRY(validateName(o.newName));
    if (!defined()) return undefinedError();
    const std::string dstBase = o.newBase.empty() ? paths_.base() : resolveBase(o.newBase);
    if (o.newName == name() && dstBase == paths_.base())
        return Error::msg("clone: the new name is the container's own", EINVAL);
    XC_ASSIGN(Container dst, Container::open(host_, dstBase, o.newName));
    if (dst.defined() || pathExists(dst.paths().dir()))
        return Error::msg("clone: " + o.newName + " already exists in " + dstBase, EEXIST);
    if (o.ephemeral && !o.snapshot) return Error::msg("clone: an ephemeral clone is a snapshot clone (-e goes with -s)", EINVAL);
    if (o.allowRunning && o.snapshot)
        return Error::msg("clone: -a with -s: a snapshot clone of a running origin would see its rootfs change "
                          "under it; copy it whole (without -s)",
                          EINVAL);
    XC_ASSIGN(ContainerConfig cfg, config());
    CloneSource src{layoutOf(cfg), paths_.configFile()};
    auto lock = lockStopped(*this);
    if (!lock && o.allowRunning && lock.error().code() == EBUSY) {
        XC_ASSIGN(StateInfo st, state());
        if (st.state == State::Running || st.state == State::Frozen) return cloneRunning(*this, st.state, src, o, log);
    }
    if (!lock && lock.error().code() == EBUSY && !o.allowRunning) {
        auto st = state();
        if (st && st->state != State::Stopped)
            return Error::msg("is running; stop it first (xc-stop -n " + name() +
                                  "), or copy it frozen (xc-clone -a freezes it for the copy)",
                              EBUSY);
    }
    if (!lock) return std::move(lock).error();
    ScopeExit dropLock([&] { lock->removeFile(); });
    if (!o.ephemeral) return cloneFromSource(*this, src, o, log);
    RunLock dstLock;
    XC_TRY(cloneFromSource(*this, src, o, log, &dstLock));
    return startEphemeralClone(dst, std::move(dstLock), log);
}

Status cloneFromSource(const Container& origin, const CloneSource& src, const CloneOptions& o, const Log& log,
                       RunLock* keepLock) {
    const std::string dstBase = o.newBase.empty() ? origin.paths().base() : resolveBase(o.newBase);
    XC_ASSIGN(Container dst, Container::open(origin.host(), dstBase, o.newName));
    auto dstLockR = lockNewName(dst, log);
    if (!dstLockR) return std::move(dstLockR).error().wrap("clone: " + o.newName);
    RunLock dstLock = std::move(*dstLockR);
    ScopeExit dropDstLock([&] { dstLock.removeFile(); });
    XC_ASSIGN(ContainerConfig cfg, loadConfig(src.configFile));
    if (shiftInterrupted(origin.paths().dir()))
        return Error::msg("clone: the owners of " + origin.name() + "'s rootfs are half shifted (an interrupted shift)",
                          EBUSY)
            .withHint("xc-start -n " + origin.name() + " finishes the shift; stop it and clone again");

    XC_ASSIGN(std::string stage, staging::makeStagingDir(dst.paths()).ctx("clone"));
    ScopeExit removeStage([&] { (void)storage::removeTree(stage); });
    XC_ASSIGN(ClonePlan plan, planClone(src.layout, o, dst.paths(), stage).ctx("clone"));
    std::string inc = parentPath(src.configFile);
    XC_ASSIGN(std::string text, renamedConfig(src.configFile, cfg, o.newName, plan.dst.rootfs, true)
                                    .ctx("clone: the new config"));
    XC_ASSIGN(text, withStorageKeys(text, plan.dst, inc).ctx("clone: the new config"));
    // An isolated origin's clone is isolated too: a block of its own, taken
    // under the allocation lock held until the clone's config is in place.
    std::optional<RunLock> idLock;
    if (cfg.security.idmapIsolated) {
        XC_ASSIGN(idLock, lockIdAllocation(origin.host()));
        XC_ASSIGN(text, isolatedClone(text, cfg, origin.host(), dstBase, inc).ctx("clone"));
    }
    XC_ASSIGN(std::string filled, fillClone(plan, o.snapshot).ctx("clone"));
    std::string newHost = cfg.hostname == cfg.name ? o.newName : cfg.hostname;
    {
        XC_ASSIGN(RootDir root, openForIdentity(plan.staged, true).ctx("clone: open the new rootfs"));
        XC_TRY(retitleRootfs(root, cfg.hostname, newHost, true).ctx("clone: set the new identity inside"));
    }
    if (plan.staged.overlay()) XC_TRY(storage::clearVolatileMark(plan.staged).ctx("clone"));
    XC_TRY(writeFileAtomic(stage + "/config", text, 0640).ctx("clone"));
    // A shifted origin's copy, under a map of its own: shifted to it now.
    if (!plan.staged.overlay()) XC_TRY(settleStagedOwners(stage, plan.staged.rootfs, log).ctx("clone"));
    if (o.ephemeral) XC_TRY(writeFileAtomic(stage + "/ephemeral", "", 0640).ctx("clone"));
    // Recorded with its origin before it exists: no crash leaves a clone its origin does not know.
    XC_TRY(recordDependencies(origin.host(), dst.paths(), plan.dst));
    XC_TRY(staging::commit(stage, dst.paths()).ctx("clone: " + o.newName));
    removeStage.dismiss();
    XC_TRY(runCloneHooks(dst, origin.name(), log));
    if (keepLock) {
        *keepLock = std::move(dstLock);
        dropDstLock.dismiss();
    }
    log.info(std::string(o.snapshot ? "snapshot clone " : "cloned to ") + o.newName + ": " + filled);
    return {};
}

namespace {

// An overlay's own layers (under its directory) follow a rename.
storage::Layout movedLayout(const ContainerConfig& cfg, const std::string& from, const std::string& to,
                            const std::string& rootfs) {
    auto moved = [&](const std::string& p) { return p.rfind(from + "/", 0) == 0 ? to + p.substr(from.size()) : p; };
    storage::Layout l = layoutOf(cfg);
    l.rootfs = rootfs;
    for (auto& p : l.lower) p = moved(p);
    if (l.overlay()) l.upper = moved(l.upper);
    return l;
}

Result<std::string> movedLayers(const std::string& text, const storage::Layout& l, const std::string& inc) {
    if (!l.overlay()) return text;
    std::string lower;
    for (const auto& p : l.lower) lower += (lower.empty() ? "" : ":") + p;
    return setConfigStrings(text, {{"rootfs.lower", lower}, {"rootfs.upper", l.upper}}, inc, "the new config");
}

}  // namespace

Status Container::rename(const std::string& newName, const Log& log) {
    XC_TRY(validateName(newName));
    if (!defined()) return undefinedError();
    XC_ASSIGN(Container dst, Container::open(host_, paths_.base(), newName));
    if (newName == name()) return Error::msg("rename: the new name is the container's own", EINVAL);
    XC_ASSIGN(RunLock lock, lockStopped(*this));
    ScopeExit dropLock([&] { lock.removeFile(); });
    auto dstLockR = lockNewName(dst, log);
    if (!dstLockR) return std::move(dstLockR).error().wrap("rename: " + newName);
    RunLock dstLock = std::move(*dstLockR);
    ScopeExit dropDstLock([&] { dstLock.removeFile(); });
    XC_ASSIGN(ContainerConfig cfg, config());
    // A rootfs elsewhere stays where it is; the default one moves with the directory.
    bool ownRootfs = cfg.rootfsPath == paths_.defaultRootfs();
    std::string rootfs = ownRootfs ? dst.paths().defaultRootfs() : cfg.rootfsPath;
    auto deps = dependentsOf(host_, paths_, cfg);
    if (!deps.empty())
        return Error::msg("rename: snapshot clones use its files as their lower layers (" + dependentNames(deps, false) +
                              "); break the dependency first: a full copy of each (xc-clone -o CLONE -n NEW) "
                              "replacing it",
                          EBUSY);
    XC_ASSIGN(std::string text, renamedConfig(paths_.configFile(), cfg, newName, rootfs, false).ctx("rename"));
    storage::Layout layout = movedLayout(cfg, paths_.dir(), dst.paths().dir(), rootfs);
    XC_ASSIGN(text, movedLayers(text, layout, parentPath(paths_.configFile())).ctx("rename"));
    // The new config waits beside the old one, then both move in one
    // rename of the directory and one of the file.
    std::string pending = paths_.dir() + "/.config.rename";
    XC_TRY(writeFileAtomic(pending, text, 0640).ctx("rename"));
    // A snapshot clone renamed stays known to its origins under the new name.
    XC_TRY(recordDependencies(host_, dst.paths(), layoutOf(cfg)).ctx("rename"));
    if (::renameat2(AT_FDCWD, paths_.dir().c_str(), AT_FDCWD, dst.paths().dir().c_str(), RENAME_NOREPLACE) < 0) {
        Error e = Error::sys("rename: move " + paths_.dir() + " to " + dst.paths().dir());
        ::unlink(pending.c_str());
        return e;
    }
    if (::rename((dst.paths().dir() + "/.config.rename").c_str(), dst.paths().configFile().c_str()) < 0)
        return Error::sys("rename: install the new config in " + dst.paths().dir());
    forgetDependencies(paths_, layoutOf(cfg));
    std::string newHost = cfg.hostname == cfg.name ? newName : cfg.hostname;
    {
        XC_ASSIGN(RootDir root, openForIdentity(layout, false).ctx("rename: open the rootfs"));
        XC_TRY(retitleRootfs(root, cfg.hostname, newHost, false).ctx("rename: set the new name inside"));
    }
    if (pathExists(paths_.logFile()) && !pathExists(dst.paths().logFile()))
        if (::rename(paths_.logFile().c_str(), dst.paths().logFile().c_str()) < 0)
            log.warn("rename: could not move the log " + paths_.logFile() + ": " + std::strerror(errno));
    log.info("renamed to " + newName);
    return {};
}

}  // namespace xc
