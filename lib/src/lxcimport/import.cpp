// xc-import-lxc (xc/import_lxc.hpp): the LXC config read and mapped, the
// xc config and rootfs built in a hidden staging directory of the xc base
// and committed in one rename; the LXC container is left as it was, or
// with --move removed once the xc one exists.
#include "xc/import_lxc.hpp"

#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cstdio>

#include "api/clone_internal.hpp"
#include "api/staging.hpp"
#include "base/fsutil.hpp"
#include "base/scope.hpp"
#include "lxcimport/lxc_map.hpp"
#include "lxcimport/xc_config.hpp"
#include "net/net.hpp"
#include "storage/copytree.hpp"
#include "storage/overlay.hpp"
#include "xc/config_editor.hpp"

namespace xc {

namespace {

using lxcimport::Mapping;
using lxcimport::RootfsSource;

std::string hostArch() {
    struct utsname u {};
    ::uname(&u);
    return u.machine;
}

// LXC's monitor binds "@LXCPATH/NAME/command" while the container runs.
bool lxcRunning(const std::string& lxcPath, const std::string& name) {
    auto text = readFile("/proc/net/unix");
    if (!text) return false;
    return text->find("@" + lxcPath + "/" + name + "/command") != std::string::npos;
}

// --move takes the container away: not while LXC containers depend on it.
Status checkMovable(const std::string& lxcPath, const std::string& name, const RootfsSource& src) {
    // LXC lists its snapshot clones (lxc-copy -s) in lxc_snapshots.
    auto clones = readRegularFile(lxcPath + "/" + name + "/lxc_snapshots", 1 << 20);
    if (clones && !trim(*clones).empty())
        return Error::msg("--move: LXC snapshot clones depend on it (" + lxcPath + "/" + name +
                              "/lxc_snapshots); import with --copy",
                          EBUSY);
    std::string snaps = lxcPath + "/" + name + "/snaps";
    if (auto names = listDir(snaps); names && !names->empty())
        return Error::msg("--move: it has LXC snapshots in " + snaps + " (lxc-snapshot); destroy them first, or import "
                              "with --copy",
                          EBUSY);
    if (src.backend != "dir") return {};
    auto others = listDir(lxcPath);
    if (!others) return {};
    for (const auto& other : *others) {
        if (other == name) continue;
        auto text = readRegularFile(lxcPath + "/" + other + "/config", 1 << 20);
        if (text && text->find(":" + src.path + ":") != std::string::npos)
            return Error::msg("--move: the LXC container " + other + " is a snapshot clone over its rootfs " + src.path +
                                  "; import with --copy",
                              EBUSY);
    }
    return {};
}

// The rootfs as one tree at dst: a dir copied; an overlay read through a
// read-only mount of its layers (upper over lower) and copied merged.
Result<std::string> copyRootfs(const RootfsSource& src, const std::string& dst) {
    if (src.backend == "dir") {
        XC_TRY(storage::copyTree(src.path, dst).ctx("copy the rootfs " + src.path));
        return "copied from " + src.path;
    }
    XC_ASSIGN(UniqueFd root, storage::mountReadOnlyStack({src.upper, src.lower}, storage::Whiteouts::Kernel).ctx("read the LXC overlay"));
    std::string shown = "overlay " + src.upper + " over " + src.lower;
    XC_TRY(storage::copyTreeFrom(root.get(), shown, dst).ctx("copy the rootfs"));
    return "flattened: the " + shown + " copied merged (whiteouts applied) into one tree";
}

struct Plan {
    Mapping mapping;
    std::string text;
};

Result<Plan> plan(const Context& ctx, const LxcImportOptions& o, const std::string& newName) {
    std::string lxcDir = o.lxcPath + "/" + o.lxcName;
    auto entries = lxcimport::readLxcConfig(lxcDir + "/config");
    if (!entries && entries.error().code() == ENOENT)
        return Error::msg("no LXC container " + o.lxcName + " in " + o.lxcPath + " (no " + lxcDir + "/config)", ENOENT);
    if (!entries) return std::move(entries).error();
    lxcimport::MapInput in;
    in.name = newName;
    in.lxcName = o.lxcName;
    in.lxcDir = lxcDir;
    in.hostArch = hostArch();
    Plan p;
    XC_ASSIGN(p.mapping, lxcimport::mapLxcConfig(*entries, in));
    XC_ASSIGN(Container c, ctx.container(newName));
    XC_ASSIGN(p.text, lxcimport::buildXcConfig(p.mapping, newName, c.paths().defaultRootfs(), c.paths().configFile()));
    p.text = "# imported by xc-import-lxc from the LXC container " + o.lxcName + " in " + o.lxcPath + "\n" + p.text;
    return p;
}

LxcImportReport reportOf(const Plan& p) {
    LxcImportReport r;
    for (const auto& row : p.mapping.rows)
        r.lines.push_back({row.lxc.key, row.lxc.value, row.lxc.where, row.lxc.legacyKey, row.xc, row.reason});
    r.configText = p.text;
    return r;
}

// --move: the tree renamed into the stage (a copy across file systems).
Result<bool> moveRootfs(const RootfsSource& src, const std::string& dst) {
    if (src.backend == "dir" && ::rename(src.path.c_str(), dst.c_str()) == 0) return true;
    if (src.backend == "dir" && errno != EXDEV) return Error::sys("move the rootfs " + src.path + " to " + dst);
    XC_TRY(copyRootfs(src, dst));
    return false;
}

// A snapshot clone's origin lists it in lxc_snapshots ("LXCPATH\nNAME"
// pairs), as lxc-destroy keeps it: the pair goes with the clone.
Status forgetClone(const std::string& lxcPath, const std::string& name, const std::string& lxcDir) {
    auto rdeps = readRegularFile(lxcDir + "/lxc_rdepends", 1 << 20);
    if (!rdeps) return {};
    std::vector<std::string> dep;
    for (size_t pos = 0; pos < rdeps->size();) {
        size_t nl = rdeps->find('\n', pos);
        dep.push_back(rdeps->substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
        pos = nl == std::string::npos ? rdeps->size() : nl + 1;
    }
    if (dep.size() < 2 || !validateName(dep[1]).ok()) return {};
    std::string list = dep[0] + "/" + dep[1] + "/lxc_snapshots";
    auto text = readRegularFile(list, 1 << 20);
    if (!text) return {};
    std::string pair = lxcPath + "\n" + name + "\n", kept = *text;
    for (size_t at; (at = kept.find(pair)) != std::string::npos && (at == 0 || kept[at - 1] == '\n');)
        kept.erase(at, pair.size());
    if (kept == *text) return {};
    if (trim(kept).empty()) return ::unlink(list.c_str()) == 0 ? Status{} : Error::sys("remove " + list);
    return writeFileAtomic(list, kept, 0644);
}

// The LXC container goes after the xc one exists (--move).
Status removeLxc(const std::string& lxcPath, const std::string& name, const RootfsSource& src, bool renamed) {
    std::string lxcDir = lxcPath + "/" + name;
    if (src.backend == "dir" && !renamed && pathExists(src.path))
        XC_TRY(removeTree(src.path).ctx("remove the LXC rootfs " + src.path));
    XC_TRY(forgetClone(lxcPath, name, lxcDir).ctx("update the origin's lxc_snapshots"));
    return removeTree(lxcDir).ctx("remove the LXC container " + lxcDir);
}

Status build(const Container& c, const Plan& p, const LxcImportOptions& o, std::string& rootfsNote, const Log& log) {
    const RootfsSource& src = p.mapping.rootfs;
    XC_ASSIGN(RunLock lock, lockNewName(c, log));
    ScopeExit dropLockFile([&] { lock.removeFile(); });
    XC_TRY(makeDirs(c.paths().base(), 0755));
    XC_ASSIGN(std::string stage, staging::makeStagingDir(c.paths()).ctx("import"));
    ScopeExit removeStage([&] { (void)removeTree(stage); });
    XC_ASSIGN(std::string text, assignHwaddrs(p.text));
    XC_ASSIGN(ConfigEditor ed, ConfigEditor::fromText(text, stage + "/config"));
    XC_TRY(ed.save());
    if (::chmod((stage + "/config").c_str(), 0640) < 0) return Error::sys("set the mode of " + stage + "/config");
    std::string rootfs = stage + "/rootfs";
    bool renamed = false;
    if (o.move) {
        XC_ASSIGN(renamed, moveRootfs(src, rootfs));
        rootfsNote = renamed ? "moved from " + src.path : "copied (another file system), then removed";
    } else {
        XC_ASSIGN(rootfsNote, copyRootfs(src, rootfs));
    }
    if (auto st = staging::commit(stage, c.paths()); !st) {
        if (renamed && ::rename(rootfs.c_str(), src.path.c_str()) < 0) {
            removeStage.dismiss();  // it holds the LXC container's only rootfs now
            return std::move(st).error().withHint("the rootfs stays in " + rootfs + "; move it back to " + src.path);
        }
        return st;
    }
    removeStage.dismiss();
    if (o.move) XC_TRY(removeLxc(o.lxcPath, o.lxcName, src, renamed).ctx("imported, but"));
    log.info("imported from the LXC container " + o.lxcName + " in " + o.lxcPath + ": " + rootfsNote);
    return {};
}

}  // namespace

Result<LxcImportReport> importLxcContainer(const Context& ctx, const LxcImportOptions& o) {
    XC_TRY(validateName(o.lxcName).ctx("the LXC container's name"));
    std::string newName = o.newName.empty() ? o.lxcName : o.newName;
    XC_TRY(validateName(newName).ctx("--new-name"));
    if (o.lxcPath.empty() || o.lxcPath[0] != '/')
        return Error::msg("LXC's base directory must be an absolute path, got '" + o.lxcPath + "'", EINVAL);
    XC_ASSIGN(Plan p, plan(ctx, o, newName));
    LxcImportReport r = reportOf(p);
    r.rootfs = p.mapping.rootfs.backend == "dir" ? "from " + p.mapping.rootfs.path
                                                 : "flattened from the overlay " + p.mapping.rootfs.upper + " over " +
                                                       p.mapping.rootfs.lower;
    if (o.dryRun) return r;
    if (lxcRunning(o.lxcPath, o.lxcName))
        return Error::msg("the LXC container is running; stop it first (lxc-stop -P " + o.lxcPath + " -n " + o.lxcName +
                              ")",
                          EBUSY);
    if (o.move) XC_TRY(checkMovable(o.lxcPath, o.lxcName, p.mapping.rootfs));
    XC_ASSIGN(Container c, ctx.container(newName));
    XC_TRY(build(c, p, o, r.rootfs, ctx.log()));
    return r;
}

std::string formatImportLine(const LxcImportLine& l) {
    std::string key = l.legacyKey.empty() ? l.lxcKey : l.legacyKey + " (" + l.lxcKey + ")";
    std::string head = l.lxcKey[0] == '(' ? l.lxcKey : key + " = " + l.lxcValue;
    if (!l.imported()) return head + ": not imported: " + l.reason;
    return head + " -> " + l.xc;
}

}  // namespace xc
