#include "api/idmap_alloc.hpp"

#include "base/fsutil.hpp"
#include "config/subid.hpp"

namespace xc {

namespace {

bool overlapsAny(uint64_t start, uint64_t count, char type, const std::vector<IdMap>& used) {
    for (const auto& m : used)
        if (m.type == type && start < uint64_t(m.outside) + m.count && uint64_t(m.outside) < start + count)
            return true;
    return false;
}

bool inside(uint64_t start, uint64_t count, const std::vector<SubidRange>& ranges) {
    for (const auto& r : ranges)
        if (start >= r.start && start + count <= uint64_t(r.start) + r.count) return true;
    return false;
}

}  // namespace

Result<std::vector<IdMap>> pickIsolatedBlock(const std::string& subuidText, const std::string& subgidText,
                                             const std::vector<IdMap>& used) {
    const auto uids = subidRangesOf(subuidText, "root", 0);
    const auto gids = subidRangesOf(subgidText, "root", 0);
    if (uids.empty() || gids.empty())
        return Error::msg("root has no subordinate ids for an isolated container", ENOENT);
    const uint64_t shared = uids[0].start;
    for (const auto& r : uids)
        for (uint64_t start = r.start; start + kIdmapBlock <= uint64_t(r.start) + r.count; start += kIdmapBlock) {
            if (start < shared + kIdmapBlock && shared < start + kIdmapBlock) continue;
            if (!inside(start, kIdmapBlock, gids)) continue;
            if (overlapsAny(start, kIdmapBlock, 'u', used) || overlapsAny(start, kIdmapBlock, 'g', used)) continue;
            auto s = static_cast<uint32_t>(start);
            return std::vector<IdMap>{IdMap{'u', 0, s, kIdmapBlock}, IdMap{'g', 0, s, kIdmapBlock}};
        }
    return Error::msg("root's subordinate ids have no free block of 65536 left for an isolated container", ENOSPC)
        .withHint("give root a larger range in /etc/subuid and /etc/subgid (65536 more ids per isolated container, "
                  "overlapping no user's range)");
}

Result<RunLock> lockIdAllocation(const HostPaths& host) { return RunLock::acquire(host.runRoot + "/idmap.lock"); }

std::vector<IdMap> idmapsInUse(const std::string& base) {
    std::vector<IdMap> used;
    auto names = listDir(base);
    if (!names) return used;
    for (const auto& n : *names) {
        if (n.rfind(".xc-trash-", 0) == 0) continue;  // being destroyed: its ids are free
        const std::string file = base + "/" + n + "/config";
        if (!pathExists(file)) continue;
        auto cfg = loadConfig(file);
        if (!cfg) continue;  // a broken config maps nothing it could start with
        used.insert(used.end(), cfg->idmap.begin(), cfg->idmap.end());
    }
    return used;
}

Result<std::vector<IdMap>> isolatedIdmap(const HostPaths& host, const std::string& base) {
    auto uids = readRegularFile(host.subuidFile(), 1 << 20);
    auto gids = readRegularFile(host.subgidFile(), 1 << 20);
    auto picked = pickIsolatedBlock(uids ? *uids : "", gids ? *gids : "", idmapsInUse(base));
    if (!picked) return std::move(picked).error().wrap("security.idmap_isolated");
    return picked;
}

}  // namespace xc
