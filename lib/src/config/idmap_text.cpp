// rootfs.shifted's one-line form of an idmap (config.hpp).
#include <cerrno>
#include <cstdlib>

#include "xc/config.hpp"

namespace xc {

std::string idmapText(const std::vector<IdMap>& maps) {
    std::string out;
    for (const auto& m : maps)
        out += (out.empty() ? "" : ",") + std::string(1, m.type) + ":" + std::to_string(m.inside) + ":" +
               std::to_string(m.outside) + ":" + std::to_string(m.count);
    return out;
}

Result<std::vector<IdMap>> parseIdmapText(const std::string& text) {
    std::vector<IdMap> out;
    if (text.empty()) return out;
    size_t pos = 0;
    for (;;) {
        size_t comma = text.find(',', pos);
        std::string one = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        auto bad = [&] {
            return Error::msg("\"" + one + "\" is not TYPE:INSIDE:OUTSIDE:COUNT (u or g, then three numbers)", EINVAL);
        };
        if (one.size() < 7 || (one[0] != 'u' && one[0] != 'g') || one[1] != ':') return bad();
        IdMap m;
        m.type = one[0];
        uint32_t* fields[] = {&m.inside, &m.outside, &m.count};
        size_t at = 2;
        for (int i = 0; i < 3; ++i) {
            size_t end = i < 2 ? one.find(':', at) : one.size();
            if (end == std::string::npos || end == at || end - at > 10) return bad();
            std::string digits = one.substr(at, end - at);
            if (digits.find_first_not_of("0123456789") != std::string::npos) return bad();
            unsigned long long v = std::strtoull(digits.c_str(), nullptr, 10);
            if (v > UINT32_MAX) return bad();
            *fields[i] = static_cast<uint32_t>(v);
            at = end + 1;
        }
        if (m.count == 0) return bad();
        out.push_back(m);
        if (comma == std::string::npos) return out;
        pos = comma + 1;
    }
}

bool sameIdmap(const std::vector<IdMap>& a, const std::vector<IdMap>& b) {
    if (a.size() != b.size()) return false;
    for (size_t i = 0; i < a.size(); ++i)
        if (a[i].type != b[i].type || a[i].inside != b[i].inside || a[i].outside != b[i].outside ||
            a[i].count != b[i].count)
            return false;
    return true;
}

}  // namespace xc
