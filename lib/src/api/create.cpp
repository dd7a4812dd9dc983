// Creating and destroying containers: the template run, the merged
// config, and a guarantee that a failure leaves nothing behind.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <optional>
#include <thread>

#include "api/depends.hpp"
#include "api/idmap_alloc.hpp"
#include "api/rootfs_owners.hpp"
#include "api/staging.hpp"
#include "base/hidden.hpp"
#include "cgroup/cgroup.hpp"
#include "xc/container.hpp"
#include "xc/settings.hpp"
#include "base/fsutil.hpp"
#include "base/lock.hpp"
#include "monitor/runlock.hpp"
#include "base/scope.hpp"
#include "base/users.hpp"
#include "config/subid.hpp"
#include "net/net.hpp"
#include "process/process.hpp"
#include "spawn/hooks.hpp"
#include "spawn/userns.hpp"
#include "storage/btrfs.hpp"
#include "storage/overlay.hpp"

namespace xc {

namespace {

Result<std::string> findTemplate(const HostPaths& host, const std::string& name) {
    if (name.empty()) return Error::msg("no template given (use -t busybox, or -t /path/to/template)", EINVAL);
    std::string path = name.find('/') != std::string::npos ? name : host.templateDir + "/" + name;
    // One that exists is run: if it cannot be (not executable, a missing
    // interpreter), the exec's errno says why.
    if (::access(path.c_str(), F_OK) == 0) return path;
    std::string avail;
    if (auto names = listDir(host.templateDir))
        for (const auto& n : *names) {
            // Templates are executable files; their helpers live in directories.
            struct stat st {};
            const std::string p = host.templateDir + "/" + n;
            if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0)
                avail += (avail.empty() ? "" : ", ") + n;
        }
    return Error::msg("no template '" + name + "' (looked for " + path +
                          (avail.empty() ? std::string(")") : "; available: " + avail + ")"),
                      ENOENT);
}

constexpr std::chrono::seconds kBusyWait{30};

// Why a destroy cannot take the lock now: another command holds it.
Error busyError(const Container& c, State s) {
    if (s == State::Stopping || s == State::Aborting)
        return Error::msg("busy: a stop is in progress; try again, or use -f to wait for it", EBUSY);
    // The supervisor answers STARTING; before its socket exists, the holder
    // may as well be a create or another destroy.
    if (pathExists(c.paths().socket()))
        return Error::msg("busy: a start is in progress; try again, or use -f to wait for it and kill the container",
                          EBUSY);
    return Error::msg("busy: a start, create or destroy is in progress; try again, or use -f to wait for it", EBUSY);
}

// The run lock for a destroy, the same lock start, create and the
// supervisor hold. A running or frozen container is refused, or killed with
// `force`; one in the middle of a start or stop is refused, or waited for
// with `force` (then killed if it ends up running).
Result<RunLock> lockForDestroy(Container& c, bool force) {
    auto deadline = std::chrono::steady_clock::now() + kBusyWait;
    for (;;) {
        auto lock = lockContainer(c.paths());
        if (lock || lock.error().code() != EBUSY) return lock;
        XC_ASSIGN(StateInfo st, c.state());
        bool moving = st.state == State::Starting || st.state == State::Stopping || st.state == State::Aborting;
        if (st.state != State::Stopped && !moving) {
            if (!force) return Error::msg("is running; stop it first (xc-stop -n " + c.name() + ") or use -f", EBUSY);
            StopOptions so;
            so.kill = true;
            auto stopped = c.stop(so);
            auto now = c.state();
            if (!stopped && (!now || now->state != State::Stopped)) return std::move(stopped).error().wrap("destroy");
        } else if (moving) {
            if (!force) return busyError(c, st.state);
            if (std::chrono::steady_clock::now() > deadline)
                return busyError(c, st.state).wrap("destroy: still busy after " + std::to_string(kBusyWait.count()) + " s");
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
    }
}

// -B overlay: the template's tree becomes the read-only base under an
// empty upper layer; rootfs/ is the mount point.
Status makeOverlayBase(const std::string& stage) {
    const std::string rootfs = stage + "/rootfs";
    if (::rename(rootfs.c_str(), (stage + "/base").c_str()) < 0) return Error::sys("create: move the tree to base");
    if (::mkdir(rootfs.c_str(), 0755) < 0) return Error::sys("create " + rootfs);
    return storage::makeLayerDirs(stage + "/overlay", stage + "/base").ctx("create");
}

// The layers a template took from the layer store (XC_LAYERS_OUT: their
// directories, bottom first) for an overlay container: each must be a
// layer of the store, nothing else on the host.
Result<std::vector<std::string>> storeLayersFrom(const std::string& file, const std::string& layersDir) {
    std::vector<std::string> out;
    if (!pathExists(file)) return out;
    XC_ASSIGN(std::string text, readRegularFile(file, 1u << 20).ctx("the template's layer list"));
    size_t i = 0;
    while (i < text.size()) {
        size_t j = text.find('\n', i);
        if (j == std::string::npos) j = text.size();
        std::string line = text.substr(i, j - i);
        i = j + 1;
        if (line.empty()) continue;
        const std::string id = line.rfind(layersDir + "/", 0) == 0 ? line.substr(layersDir.size() + 1) : "";
        struct stat st;
        if (id.size() != 64 || id.find_first_not_of("0123456789abcdef") != std::string::npos ||
            ::lstat(line.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
            return Error::msg("the template named '" + line + "' as a layer: not a layer of the store " + layersDir,
                              EINVAL);
        out.push_back(line);
    }
    return out;
}

// A template over store layers may have written the container's own files
// (hostname, units, machine-id...) through an overlay with rootfs/ as its
// upper: that tree then is the upper layer, and rootfs/ the mount point.
Status takeTemplateUpper(const std::string& stage) {
    const std::string rootfs = stage + "/rootfs", dir = stage + "/overlay";
    if (::mkdir(dir.c_str(), 0700) < 0) return Error::sys("create " + dir);
    if (::rename(rootfs.c_str(), (dir + "/upper").c_str()) < 0)
        return Error::sys("create: move the template's own files to " + dir + "/upper");
    if (::mkdir((dir + "/work").c_str(), 0700) < 0) return Error::sys("create " + dir + "/work");
    if (::mkdir(rootfs.c_str(), 0755) < 0) return Error::sys("create " + rootfs);
    return {};
}

// -B overlay: the lower layers are the template's tree (moved to base) or
// the store's layers it named; then the container's own upper and work.
Status prepareOverlay(const std::string& stage, const std::string& cacheDir, CreateInputs& in) {
    XC_ASSIGN(auto layers, storeLayersFrom(stage + "/layers", cacheDir + "/oci/layers"));
    if (layers.empty()) return makeOverlayBase(stage);
    in.lower.clear();
    for (auto it = layers.rbegin(); it != layers.rend(); ++it) in.lower += (in.lower.empty() ? "" : ":") + *it;
    XC_ASSIGN(auto own, listDir(stage + "/rootfs"));
    if (!own.empty()) return takeTemplateUpper(stage);
    return storage::makeLayerDirs(stage + "/overlay", layers.back()).ctx("create");
}

Status checkBackend(const std::string& backend) {
    if (backend == "dir" || backend == "overlay" || backend == "btrfs") return {};
    return Error::msg("backing store '" + backend + "' is not supported by xc-create (use -B dir, -B overlay or -B btrfs)",
                      ENOTSUP);
}

// The empty directory the template fills: a subvolume for -B btrfs.
Status makeRootfs(const std::string& rootfs, const std::string& backend) {
    if (backend != "btrfs") {
        if (::mkdir(rootfs.c_str(), 0755) < 0) return Error::sys("create " + rootfs);
        return {};
    }
    XC_TRY(storage::btrfs::createSubvolume(rootfs).ctx("create"));
    if (::chmod(rootfs.c_str(), 0755) < 0) return Error::sys("create: set the mode of " + rootfs);
    return {};
}

// A template that exits 0 having written nothing (asked for its --help, or
// broken) must not leave a container with an empty root behind.
Status requireTree(const std::string& tree, const std::string& templateName) {
    XC_ASSIGN(auto made, listDir(tree));
    if (!made.empty()) return {};
    return Error::msg("template " + templateName +
                          " wrote no root file system (it printed its help, or did nothing); nothing was created",
                      EINVAL);
}

// The idmap a new container gets where its config names none: a user's own
// ids (userDefaultIdmap), root's range, or (isolated) a check that a free
// block exists now, before the template runs; it is taken at the end.
Status chooseIdmap(const HostPaths& host, const std::string& base, const ContainerConfig& cfg, CreateInputs& in) {
    const bool isolated = cfg.idmap.empty() && cfg.security.idmapIsolated;
    if (host.nonRoot() && (isolated || cfg.security.privileged))
        return Error::msg(std::string(isolated ? "security.idmap_isolated" : "security.privileged") +
                              " is for root's containers: a user's container maps the user's own ids",
                          EPERM);
    if (!cfg.idmap.empty()) return {};
    if (host.nonRoot()) {
        XC_ASSIGN(in.defaultIdmap, userDefaultIdmap(host.subuidFile(), host.subgidFile(), userNameOf(host.uid),
                                                    host.uid, ::getegid()));
    } else if (isolated) {
        XC_TRY(isolatedIdmap(host, base));
    } else if (!cfg.security.privileged) {
        XC_ASSIGN(in.defaultIdmap, rootDefaultIdmap(host.subuidFile(), host.subgidFile()));
    }
    return {};
}

}  // namespace

Status Container::create(const CreateOptions& o, const Log& log) {
    XC_TRY(checkBackend(o.backend));
    if (defined() || pathExists(paths_.dir())) return Error::msg("already exists in " + paths_.base(), EEXIST);
    if (o.backend == "btrfs") XC_TRY(storage::requireBtrfs(paths_.base()));  // before anything is made
    XC_ASSIGN(std::string tmpl, findTemplate(host_, o.templateName));

    // Check the admin's settings before anything is made.
    XC_ASSIGN(GlobalSettings settings, loadGlobalSettings(host_));
    CreateInputs in;
    if (pathExists(host_.defaultConf())) in.defaults = host_.defaultConf();
    in.userConf = o.configFile;
    in.name = name();
    in.rootfsPath = paths_.defaultRootfs();
    in.backend = o.backend;
    if (o.backend == "overlay") {
        in.lower = paths_.dir() + "/base";
        in.upper = paths_.dir() + "/overlay/upper";
    }
    XC_ASSIGN(std::string merged, buildCreateConfig(in));
    // Unprivileged unless asked otherwise: root's own ids, where the
    // admin's files name no idmap.
    XC_ASSIGN(ContainerConfig mergedCfg, parseConfig(merged, "new config of " + name()));
    const bool isolated = mergedCfg.idmap.empty() && mergedCfg.security.idmapIsolated;
    XC_TRY(chooseIdmap(host_, paths_.base(), mergedCfg, in));

    XC_TRY(makeDirs(paths_.runDir(), 0700));
    auto lock = lockContainer(paths_);
    if (!lock) {
        if (lock.error().code() == EBUSY) return Error::msg("is being created, started or destroyed by another command", EBUSY);
        return std::move(lock).error();
    }
    // No lock file is left, whatever happens (declared after `lock`, so
    // it runs while the lock is still held).
    ScopeExit dropLockFile([&] { lock->removeFile(); });
    XC_TRY(staging::removeLeftovers(paths_.base(), name(), log));
    if (defined() || pathExists(paths_.dir())) return Error::msg("already exists in " + paths_.base(), EEXIST);
    XC_TRY(makeDirs(paths_.base(), 0755));
    // Everything is built in a hidden directory that becomes BASE/NAME in
    // one rename, or goes: until then there is no container to see.
    XC_ASSIGN(std::string stage, staging::makeStagingDir(paths_).ctx("create"));
    ScopeExit removeStage([&] { (void)storage::removeTree(stage); });
    std::string rootfs = stage + "/rootfs";
    XC_TRY(makeRootfs(rootfs, o.backend));

    std::string tmplConf = stage + "/template.conf";
    std::vector<std::string> args = {"--name", name(), "--path", stage, "--rootfs", rootfs, "--config", tmplConf};
    args.insert(args.end(), o.templateArgs.begin(), o.templateArgs.end());
    const std::string cache = templateCacheDir(host_, settings);
    XC_TRY(staging::runTemplate(
        tmpl, args, {"XC_CACHE=" + cache, "XC_BACKEND=" + o.backend, "XC_LAYERS_OUT=" + stage + "/layers"},
        lock->fd(), log));
    if (o.backend == "overlay") XC_TRY(prepareOverlay(stage, cache, in));

    // The template's output is untrusted input like any config file.
    if (pathExists(tmplConf)) in.templateConf = tmplConf;
    // An isolated block is taken under the allocation lock and recorded by
    // the config itself, so the lock is held until the config is in place.
    std::optional<RunLock> idLock;
    if (isolated) {
        XC_ASSIGN(idLock, lockIdAllocation(host_));
        XC_ASSIGN(in.defaultIdmap, isolatedIdmap(host_, paths_.base()));
    }
    XC_ASSIGN(std::string text, buildCreateConfig(in).ctx("config written by template " + o.templateName));
    if (o.backend != "overlay" || pathExists(stage + "/base"))
        XC_TRY(requireTree(o.backend == "overlay" ? stage + "/base" : rootfs, o.templateName));
    // Each veth/macvlan gets its hardware address now, once: kept across restarts.
    XC_ASSIGN(text, assignHwaddrs(text));
    XC_TRY(writeFileAtomic(stage + "/config", text, 0640));
    XC_TRY(settleStagedOwners(stage, rootfs, log).ctx("create"));
    ::unlink(tmplConf.c_str());
    ::unlink((stage + "/layers").c_str());  // the config names them now
    XC_TRY(staging::commit(stage, paths_));
    removeStage.dismiss();
    log.info("created with template " + tmpl);
    return {};
}

namespace {

// Snapshot clones go first with -s; without it they keep the origin.
Status destroyDependents(const Container& c, bool force, const Log& log, bool withDependents) {
    auto cfg = c.config();
    if (!cfg) return {};  // a broken config: nothing can be read of its clones either
    auto deps = dependentsOf(c.host(), c.paths(), *cfg);
    if (deps.empty()) return {};
    if (!withDependents)
        return Error::msg("destroy: snapshot clones depend on it: " + dependentNames(deps, false) +
                              "; destroy them first, or all together with -s",
                          EBUSY);
    for (const auto& d : deps) {
        XC_ASSIGN(Container dep, Container::open(c.host(), c.paths().base(), d.name));
        if (!dep.defined()) continue;  // gone with another one it depended on
        XC_TRY(dep.destroy(force, log, true).ctx("destroy the snapshot clone " + d.name));
    }
    return {};
}

// Its snapshots (xc-snapshot) go with it only with -s.
Status refuseSnapshots(const Container& c, bool withSnapshots) {
    if (withSnapshots) return {};
    auto snaps = c.snapshots();
    if (!snaps || snaps->empty()) return {};
    std::string names;
    for (const auto& s : *snaps) names += (names.empty() ? "" : ", ") + s.name;
    return Error::msg("destroy: it has snapshots: " + names + "; destroy them first (xc-snapshot -n " + c.name() +
                          " -d SNAP), or all together with -s",
                      EBUSY);
}

}  // namespace

Status Container::destroy(bool force, const Log& log, bool withDependents) {
    bool leftovers = !staging::leftoversOf(paths_.base(), name()).empty();
    if (!defined() && !pathExists(paths_.dir()) && !leftovers) return undefinedError();
    XC_TRY(makeDirs(paths_.runDir(), 0700));
    XC_ASSIGN(RunLock lock, lockForDestroy(*this, force));
    ScopeExit dropLockFile([&] { lock.removeFile(); });
    XC_TRY(staging::removeLeftovers(paths_.base(), name(), log));
    if (!defined() && !pathExists(paths_.dir())) return undefinedError();
    XC_TRY(refuseSnapshots(*this, withDependents));
    XC_TRY(destroyDependents(*this, force, log, withDependents));
    // Nobody supervises it, yet processes may be left (a supervisor killed
    // before it could take them down): they go with the container.
    if (auto layout = CgroupLayout::detect()) {
        Cgroup cg(*layout, paths_.cgroupPath());
        if (cg.exists()) {
            (void)cg.killAll();
            (void)cg.waitEmpty(std::chrono::milliseconds(5000));
            XC_TRY(cg.destroy().ctx("destroy: remove the container's cgroup"));
        }
    }
    // So may its socket and its copy of the config it started with: under
    // the lock nobody serves them. Then the lock
    // file and the base's runtime directory can go too.
    ::unlink(paths_.socket().c_str());
    ::unlink(paths_.startedConfigFile().c_str());  // left by a supervisor that crashed
    if (auto cfg = config(); cfg && !cfg->hooks.destroy.empty())
        XC_TRY(runHooks("destroy", cfg->hooks.destroy, hookEnvFor(*cfg), log).ctx("destroy (the container is kept)"));
    auto lastCfg = config();
    // One rename, and the container is gone; what follows only frees space.
    XC_ASSIGN(std::string trash, hidden::moveToTrash(paths_).ctx("destroy"));
    if (lastCfg) forgetDependencies(paths_, layoutOf(*lastCfg));
    Status removed = storage::removeTree(trash);
    // A user may not remove what its container's other ids made; the
    // container's root may.
    if (!removed && ::geteuid() != 0 && lastCfg && !lastCfg->idmap.empty() &&
        (removed.error().code() == EACCES || removed.error().code() == EPERM))
        removed = removeTreeAsNamespaceRoot(trash, lastCfg->idmap);
    if (auto st = std::move(removed); !st)
        return std::move(st).error().wrap("destroy: the container is gone, but removing its files failed")
            .withHint("the next xc-create, xc-destroy or xc-ls removes " + trash);
    log.info("destroyed");
    return {};
}

}  // namespace xc
