// Snapshot-clone dependencies (depends.hpp).
#include "api/depends.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <optional>

#include "base/fsutil.hpp"
#include "xc/container.hpp"

namespace xc {

namespace {

constexpr const char* kRecordDir = "/.dependents";
// An xattr of the base directory: no entry in it that a listing shows.
constexpr const char* kIndexedMark = "user.xc.dependents-indexed";

bool indexed(const std::string& base) { return ::getxattr(base.c_str(), kIndexedMark, nullptr, 0) >= 0; }
// A record whose clone is not there is dropped only once it is this old:
// a clone or rename writes its record just before the clone appears.
constexpr time_t kStaleAfterSeconds = 60;

std::string recordDir(const ContainerPaths& origin) { return origin.dir() + kRecordDir; }

// Does `clone` (its config) have a lower layer of `origin`?
std::optional<Dependent> dependency(const ContainerPaths& origin, const ContainerConfig& originCfg,
                                    const std::string& cloneName, const ContainerConfig& clone) {
    if (cloneName == origin.name() || clone.rootfsBackend != "overlay") return std::nullopt;
    storage::Layout own = layoutOf(originCfg);
    const std::string writable = own.overlay() ? own.upper : own.rootfs;
    const std::string under = origin.dir() + "/";
    Dependent d{cloneName, false};
    bool uses = false;
    for (const auto& l : clone.rootfsLower) {
        bool w = l == writable;
        d.onWritable = d.onWritable || w;
        uses = uses || w || l == own.rootfs || l.rfind(under, 0) == 0;
    }
    if (!uses) return std::nullopt;
    return d;
}

Status writeRecord(const ContainerPaths& origin, const std::string& cloneName) {
    XC_TRY(makeDirs(recordDir(origin), 0700));
    std::string path = recordDir(origin) + "/" + cloneName;
    // No fsync: the record is made before the clone, and ext4's ordered
    // journal does not persist the clone's rename without it.
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
    if (!fd) return Error::sys("record the snapshot clone " + cloneName + " in " + recordDir(origin));
    ::futimens(fd.get(), nullptr);  // a fresh record is not taken for stale
    return {};
}

// Every container of the base, read once; the records every dependency
// needs; then the mark. Returns the dependents of `wanted`, for a caller
// that cannot write the records (a base it may only read).
std::vector<Dependent> indexBase(const HostPaths& host, const ContainerPaths& wantedPaths) {
    const std::string& base = wantedPaths.base();
    const std::string& wanted = wantedPaths.name();
    std::vector<Dependent> forWanted;
    auto names = listContainers(base);
    if (!names) return forWanted;
    std::map<std::string, ContainerConfig> cfgs;
    for (const auto& n : *names) {
        auto c = Container::open(host, base, n);
        if (!c) continue;
        auto cfg = c->config();
        if (cfg) cfgs.emplace(n, std::move(*cfg));
    }
    bool written = true;
    for (const auto& [cloneName, clone] : cfgs) {
        if (clone.rootfsBackend != "overlay" || clone.rootfsLower.empty()) continue;
        for (const auto& [originName, originCfg] : cfgs) {
            ContainerPaths origin(host, base, originName);
            auto d = dependency(origin, originCfg, cloneName, clone);
            if (!d) continue;
            if (originName == wanted) forWanted.push_back(*d);
            written = writeRecord(origin, cloneName) && written;
        }
    }
    // (A filesystem without user xattrs is indexed at every look-up.)
    if (written) (void)::setxattr(base.c_str(), kIndexedMark, "1", 1, 0);
    return forWanted;
}

}  // namespace

storage::Layout layoutOf(const ContainerConfig& cfg) {
    storage::Layout l;
    l.backend = cfg.rootfsBackend;
    l.rootfs = cfg.rootfsPath;
    l.lower = cfg.rootfsLower;
    l.upper = cfg.rootfsUpper;
    return l;
}

std::vector<Dependent> dependentsOf(const HostPaths& host, const ContainerPaths& origin, const ContainerConfig& cfg) {
    std::vector<Dependent> out;
    if (!indexed(origin.base())) {
        out = indexBase(host, origin);
        if (!indexed(origin.base())) {
            std::sort(out.begin(), out.end(), [](const Dependent& a, const Dependent& b) { return a.name < b.name; });
            return out;  // the records could not be written: this scan is the answer
        }
        out.clear();
    }
    auto records = listDir(recordDir(origin));
    if (!records) return out;
    for (const auto& n : *records) {
        if (!validateName(n)) continue;
        auto c = Container::open(host, origin.base(), n);
        std::optional<Dependent> d;
        if (c && c->defined())
            if (auto other = c->config()) d = dependency(origin, cfg, n, *other);
        if (d) {
            out.push_back(*d);
            continue;
        }
        struct stat st;
        std::string path = recordDir(origin) + "/" + n;
        bool gone = !c || !c->defined();
        if (gone && ::lstat(path.c_str(), &st) == 0 && std::time(nullptr) - st.st_mtime > kStaleAfterSeconds)
            ::unlink(path.c_str());
    }
    std::sort(out.begin(), out.end(), [](const Dependent& a, const Dependent& b) { return a.name < b.name; });
    return out;
}

Status recordDependencies(const HostPaths& host, const ContainerPaths& clone, const storage::Layout& layout) {
    if (!layout.overlay()) return {};
    const std::string base = clone.base() + "/";
    bool outside = false;
    for (const auto& l : layout.lower) {
        if (l.rfind(base, 0) != 0) {
            // The layer store's layers are nobody's rootfs; anything else
            // outside the base may be a rootfs kept elsewhere.
            if (l.rfind(host.cacheDir + "/", 0) != 0) outside = true;
            continue;
        }
        std::string name = l.substr(base.size(), l.find('/', base.size()) - base.size());
        if (!validateName(name) || name == clone.name()) continue;
        ContainerPaths origin(host, clone.base(), name);
        if (!pathExists(origin.configFile())) continue;
        XC_TRY(writeRecord(origin, clone.name()).ctx("snapshot clone " + clone.name()));
    }
    // Indexed again from the configs at the next look-up.
    if (outside) (void)::removexattr(clone.base().c_str(), kIndexedMark);
    return {};
}

void forgetDependencies(const ContainerPaths& clone, const storage::Layout& layout) {
    if (!layout.overlay()) return;
    const std::string base = clone.base() + "/";
    for (const auto& l : layout.lower) {
        if (l.rfind(base, 0) != 0) continue;
        std::string name = l.substr(base.size(), l.find('/', base.size()) - base.size());
        if (!validateName(name) || name == clone.name()) continue;
        ::unlink((base + name + kRecordDir + "/" + clone.name()).c_str());
    }
}

std::string dependentNames(const std::vector<Dependent>& deps, bool onlyWritable) {
    std::string out;
    for (const auto& d : deps)
        if (!onlyWritable || d.onWritable) out += (out.empty() ? "" : ", ") + d.name;
    return out;
}

}  // namespace xc
