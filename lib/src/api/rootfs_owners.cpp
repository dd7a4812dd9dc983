// Shifting a rootfs's owners once, where no idmapped mount serves (rootfs_owners.hpp).
#include "api/rootfs_owners.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include "base/fsutil.hpp"
#include "config/config_edit.hpp"
#include "spawn/probe.hpp"
#include "storage/shift.hpp"

namespace xc {

namespace {

std::string shownMap(const std::vector<IdMap>& m) { return m.empty() ? "the ids the container sees" : idmapText(m); }

// Whether [a, a + n) and [b, b + m) share an id.
bool overlap(uint32_t a, uint32_t n, uint32_t b, uint32_t m) { return a < uint64_t{b} + m && b < uint64_t{a} + n; }

// A shift resumes by taking an owner already in the target range as
// shifted: each host range must then lie apart from the ids inside.
Status checkShiftable(const std::vector<IdMap>& maps) {
    for (const auto& m : maps)
        if (overlap(m.outside, m.count, m.inside, m.count))
            return Error::msg("rootfs.idmap \"shift\": the " + std::string(1, m.type) + " map " +
                                  std::to_string(m.inside) + "-" + std::to_string(m.inside + m.count - 1) + " -> " +
                                  std::to_string(m.outside) + "-" + std::to_string(m.outside + m.count - 1) +
                                  " overlaps the ids inside; a shifted rootfs needs host ids apart from them",
                              EINVAL)
                .withHint("give the container an idmap from root's subordinate ids (xc-create does), or use an "
                          "idmapped mount (rootfs.idmap = \"mount\")");
    return {};
}

// Where a shift from `from` to `to` was interrupted, an owner is stored
// either as `from` says (not yet shifted) or as `to` says (done): the map
// that reads both (the two kept apart by checkShiftable), and identity for
// the side that has no map.
std::vector<IdMap> resumeFrom(const std::vector<IdMap>& from, const std::vector<IdMap>& to) {
    std::vector<IdMap> out = from;
    out.insert(out.end(), to.begin(), to.end());
    if (from.empty() || to.empty())
        for (char type : {'u', 'g'}) out.push_back(IdMap{type, 0, 0, UINT32_MAX});
    return out;
}

// Two maps whose host ranges overlap cannot tell a shifted owner from one
// that is not.
Status checkApart(const std::vector<IdMap>& from, const std::vector<IdMap>& to) {
    for (const auto& a : from)
        for (const auto& b : to)
            if (a.type == b.type && overlap(a.outside, a.count, b.outside, b.count))
                return Error::msg("the host ids the rootfs is stored in (" + idmapText({a}) +
                                      ") overlap those of its new map (" + idmapText({b}) + ")",
                                  EINVAL);
    return {};
}

// rootfs.shifted in the config file itself: set to `to`, or gone.
Status recordShifted(const std::string& file, const std::vector<IdMap>& to) {
    XC_ASSIGN(std::string text, readRegularFile(file, 1 << 20));
    const std::string inc = parentPath(file);
    XC_ASSIGN(text, to.empty() ? removeConfigStrings(text, {"rootfs.shifted"}, inc, file)
                               : setOrAddConfigStrings(text, "rootfs.path", {{"rootfs.shifted", idmapText(to)}}, inc,
                                                       file));
    struct stat st;
    mode_t mode = ::stat(file.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0640;
    return writeFileAtomic(file, text, mode);
}

// One shift, with its marker written first and removed once it is recorded.
Status shiftOnce(const std::string& rootfs, const std::string& marker, const std::string& configFile,
                 const std::vector<IdMap>& from, const std::vector<IdMap>& to, bool resume, const Log& log) {
    XC_TRY(checkShiftable(from));
    XC_TRY(checkShiftable(to));
    XC_TRY(checkApart(from, to));
    if (!resume) XC_TRY(writeFileAtomic(marker, idmapText(from) + "\n" + idmapText(to) + "\n", 0600));
    log.info(std::string(resume ? "resuming the shift" : "shifting") + " of the owners of " + rootfs + " from " +
             shownMap(from) + " to " + shownMap(to));
    XC_ASSIGN(storage::ShiftStats stats, storage::shiftTree(rootfs, resume ? resumeFrom(from, to) : from, to));
    XC_TRY(recordShifted(configFile, to));
    if (::unlink(marker.c_str()) < 0 && errno != ENOENT) return Error::sys("remove " + marker);
    log.info("shifted " + std::to_string(stats.inodes) + " inodes (" + std::to_string(stats.capabilities) +
             " file capabilities, " + std::to_string(stats.acls) + " ACLs)");
    return {};
}

std::string shiftMarker(const std::string& dir) { return dir + "/.shifting"; }

}  // namespace

std::vector<IdMap> ownersWanted(const ContainerConfig& cfg) {
    if (cfg.idmap.empty() || cfg.security.privileged) return {};
    if (cfg.rootfsIdmap == "shift") return cfg.idmap;
    if (cfg.rootfsIdmap == "auto" && !cfg.rootfsShifted.empty()) return cfg.idmap;
    return {};
}

bool shiftInterrupted(const std::string& dir) { return pathExists(shiftMarker(dir)); }

bool shiftAhead(const ContainerConfig& cfg, const std::string& dir, const std::vector<IdMap>& want) {
    return !sameIdmap(want, cfg.rootfsShifted) || shiftInterrupted(dir);
}

Status settleOwners(ContainerConfig& cfg, const std::string& rootfs, const std::string& dir,
                    const std::string& configFile, const std::vector<IdMap>& want, const Log& log) {
    const std::string marker = shiftMarker(dir);
    const std::string what = "shift the owners of " + cfg.name + "'s rootfs";
    if (pathExists(marker)) {
        XC_ASSIGN(std::string text, readRegularFile(marker, 4096).ctx(what));
        size_t nl = text.find('\n');
        XC_ASSIGN(auto from, parseIdmapText(text.substr(0, nl)).ctx(what + ": " + marker));
        XC_ASSIGN(auto to, parseIdmapText(nl == std::string::npos ? "" : trim(text.substr(nl + 1))).ctx(what + ": " + marker));
        XC_TRY(shiftOnce(rootfs, marker, configFile, from, to, true, log).ctx(what));
        cfg.rootfsShifted = to;
    }
    if (sameIdmap(want, cfg.rootfsShifted)) return {};
    if (::geteuid() != 0)
        return Error::msg(what + ": its files are stored shifted to " + shownMap(cfg.rootfsShifted) +
                              ", which only root can change",
                          EPERM);
    if (cfg.rootfsBackend == "overlay")
        return Error::msg(what + ": an overlay's lower layers are shared; shifting needs backend dir or btrfs", EINVAL);
    XC_TRY(shiftOnce(rootfs, marker, configFile, cfg.rootfsShifted, want, false, log).ctx(what));
    cfg.rootfsShifted = want;
    return {};
}

Status settleStagedOwners(const std::string& stage, const std::string& rootfs, const Log& log) {
    XC_ASSIGN(ContainerConfig cfg, loadConfig(stage + "/config"));
    if (::geteuid() != 0 || cfg.rootfsBackend == "overlay") return {};
    std::vector<IdMap> want = ownersWanted(cfg);
    if (want.empty() && cfg.rootfsIdmap == "auto" && !cfg.idmap.empty() && !cfg.security.privileged &&
        !tryIdmappedMount(rootfs))
        want = cfg.idmap;
    return settleOwners(cfg, rootfs, stage, stage + "/config", want, log);
}

}  // namespace xc
