#include "config/subid.hpp"

#include <algorithm>
#include <sstream>
#include <tuple>

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

uint64_t freeSubidStart(const std::vector<std::string>& texts) {
    uint64_t end = 100000;
    for (const auto& text : texts) {
        std::istringstream in(text);
        std::string line;
        while (std::getline(in, line)) {
            auto a = line.find(':'), b = line.rfind(':');
            if (a == std::string::npos || a == b) continue;
            auto start = parseU64(trim(line.substr(a + 1, b - a - 1)));
            auto count = parseU64(trim(line.substr(b + 1)));
            if (start && count) end = std::max(end, *start + *count);
        }
    }
    return (end + 65535) / 65536 * 65536;
}

Result<std::vector<IdMap>> userDefaultIdmap(const std::string& subuidFile, const std::string& subgidFile,
                                            const std::string& user, uint32_t uid, uint32_t gid, uint32_t count) {
    std::vector<std::string> texts;
    std::vector<IdMap> out;
    for (const auto& [file, type, own] : {std::tuple{subuidFile, 'u', uid}, std::tuple{subgidFile, 'g', gid}}) {
        auto text = readRegularFile(file, 1 << 20);
        if (!text && text.error().code() != ENOENT) return std::move(text).error().wrap("read " + file);
        texts.push_back(text ? *text : "");
        auto ranges = subidRangesOf(texts.back(), user, uid);
        if (ranges.empty()) {
            const uint64_t at = freeSubidStart(texts);
            const std::string span = std::to_string(at) + "-" + std::to_string(at + count - 1);
            return Error::msg(user + " has no subordinate " + (type == 'u' ? "uids" : "gids") + " in " + file +
                                  " (the line " + user + ":" + std::to_string(at) + ":" + std::to_string(count) +
                                  " is missing)",
                              ENOENT)
                .withHint("as root: usermod --add-subuids " + span + " --add-subgids " + span + " " + user);
        }
        out.push_back(IdMap{type, 0, own, 1});
        out.push_back(IdMap{type, 1, ranges[0].start, std::min(count, ranges[0].count)});
    }
    return out;
}

}  // namespace xc
