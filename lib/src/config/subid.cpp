#include "config/subid.hpp"

#include <sstream>

#include "base/fsutil.hpp"
#include "base/number.hpp"

namespace xc {

std::vector<SubidRange> subidRangesOf(const std::string& text, const std::string& name, uint32_t uid) {
    std::vector<SubidRange> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> f;
        std::stringstream ss(line);
        std::string part;
        while (std::getline(ss, part, ':')) f.push_back(trim(part));
        if (f.size() != 3 || (f[0] != name && f[0] != std::to_string(uid))) continue;
        auto start = parseU64(f[1]);
        auto count = parseU64(f[2]);
        if (!start || !count || *count == 0 || *start + *count > (1ULL << 32)) continue;
        out.push_back({static_cast<uint32_t>(*start), static_cast<uint32_t>(*count)});
    }
    return out;
}

namespace {

Result<IdMap> rootRange(const std::string& file, char type, uint32_t count) {
    auto text = readRegularFile(file, 1 << 20);
    if (!text && text.error().code() != ENOENT) return std::move(text).error().wrap("read " + file);
    auto ranges = subidRangesOf(text ? *text : "", "root", 0);
    if (ranges.empty())
        return Error::msg("root has no subordinate " + std::string(type == 'u' ? "uids" : "gids") + " in " + file +
                              " for an unprivileged container",
                          ENOENT)
            .withHint("add a range, e.g. the line root:1000000:65536 in /etc/subuid and /etc/subgid (no user's "
                      "range may overlap it), or make a privileged container: security = { privileged = true; }");
    IdMap m;
    m.type = type;
    m.inside = 0;
    m.outside = ranges[0].start;
    m.count = std::min(count, ranges[0].count);
    return m;
}

}  // namespace

Result<std::vector<IdMap>> rootDefaultIdmap(const std::string& subuidFile, const std::string& subgidFile,
                                            uint32_t count) {
    XC_ASSIGN(IdMap u, rootRange(subuidFile, 'u', count));
    XC_ASSIGN(IdMap g, rootRange(subgidFile, 'g', count));
    return std::vector<IdMap>{u, g};
}

}  // namespace xc
