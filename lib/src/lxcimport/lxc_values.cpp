// The value conversions of the LXC mapping (lxc_map.hpp): rootfs specs,
// cpu shares, fstab lines, idmaps, command lines.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>

#include "base/fsutil.hpp"
#include "lxcimport/lxc_map.hpp"
#include "config/config_text.hpp"

namespace xc::lxcimport {

namespace {

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

std::vector<std::string> fields(const std::string& s, const char* seps) {
    std::vector<std::string> out;
    size_t pos = 0;
    while (pos < s.size()) {
        size_t start = s.find_first_not_of(seps, pos);
        if (start == std::string::npos) break;
        size_t end = s.find_first_of(seps, start);
        out.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
        pos = end == std::string::npos ? s.size() : end;
    }
    return out;
}

// fstab's octal escapes ("\040" for a space).
std::string unescapeFstab(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        auto digit = [&](size_t k) { return s[k] >= '0' && s[k] <= '7'; };
        if (s[i] == '\\' && i + 3 < s.size() && digit(i + 1) && digit(i + 2) && digit(i + 3)) {
            out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

// A libconfig string literal, escapes and all.
std::string quoted(const std::string& s) { return config_detail::quoteConfigString(s); }

// The target below the rootfs: relative as given, or absolute below a root prefix.
bool relativeTarget(std::string& t, const std::vector<std::string>& rootPrefixes) {
    if (t.empty()) return false;
    if (t[0] != '/') return true;
    for (std::string p : rootPrefixes) {
        while (p.size() > 1 && p.back() == '/') p.pop_back();
        if (p.empty() || !startsWith(t, p) || (t.size() > p.size() && t[p.size()] != '/')) continue;
        t = t.substr(p.size());
        while (!t.empty() && t[0] == '/') t.erase(0, 1);
        return !t.empty();
    }
    return false;
}

}  // namespace

std::string hostLinkTarget(const std::string& path) {
    struct stat st {};
    if (path.empty() || path[0] != '/' || ::lstat(path.c_str(), &st) < 0 || !S_ISLNK(st.st_mode)) return "";
    char buf[PATH_MAX];
    return ::realpath(path.c_str(), buf) ? std::string(buf) : "";
}

Result<RootfsSource> parseRootfsPath(const std::string& value) {
    RootfsSource r;
    std::string v = value;
    for (const char* prefix : {"overlayfs:", "overlay:"}) {
        if (!startsWith(v, prefix)) continue;
        std::string rest = v.substr(std::string(prefix).size());
        size_t colon = rest.rfind(':');
        if (colon == std::string::npos || colon == 0)
            return Error::msg("lxc.rootfs.path '" + value + "': use overlayfs:LOWER:UPPER", EINVAL);
        r.backend = "overlay";
        r.lower = rest.substr(0, colon);
        r.upper = rest.substr(colon + 1);
        if (r.lower[0] != '/' || r.upper.empty() || r.upper[0] != '/' || r.lower.find(':') != std::string::npos)
            return Error::msg("lxc.rootfs.path '" + value + "': the lower and upper layers must be one absolute path each",
                              EINVAL);
        return r;
    }
    for (const char* prefix : {"dir:", "btrfs:"})
        if (startsWith(v, prefix)) v = v.substr(std::string(prefix).size());
    if (v.empty() || v[0] != '/') {
        size_t colon = v.find(':');
        if (colon != std::string::npos)
            return Error::msg("lxc.rootfs.path '" + value + "': LXC's " + v.substr(0, colon) +
                                  " backing store is not supported (dir and overlayfs are)",
                              ENOTSUP);
        return Error::msg("lxc.rootfs.path '" + value + "': not an absolute path", EINVAL);
    }
    r.backend = "dir";
    r.path = v;
    return r;
}

uint64_t sharesToWeight(uint64_t shares) {
    shares = std::clamp<uint64_t>(shares, 2, 262144);
    return 1 + ((shares - 2) * 9999) / 262142;
}

MountMapped mapMountEntry(const std::string& line, const std::vector<std::string>& rootPrefixes) {
    MountMapped m;
    std::vector<std::string> f = fields(line, " \t");
    if (f.size() < 3) {
        m.reason = "not an fstab line (SOURCE TARGET TYPE [OPTIONS [DUMP PASS]])";
        return m;
    }
    std::string source = unescapeFstab(f[0]), target = unescapeFstab(f[1]), type = f[2];
    if (!relativeTarget(target, rootPrefixes)) {
        m.reason = "the target " + target + " is not below the container's rootfs";
        return m;
    }
    std::vector<std::string> opts, kept;
    if (f.size() > 3) opts = fields(f[3], ",");
    bool bind = false, optional = false;
    std::string create;
    for (const auto& o : opts) {
        if (o == "bind" || o == "rbind") bind = true;
        if (o == "optional")
            optional = true;
        else if (o == "create=dir" || o == "create=file")
            create = o.substr(7);
        else if (o != "defaults")
            kept.push_back(o);
    }
    m.keys.push_back({"source", ConfigValue::scalar(source)});
    m.keys.push_back({"target", ConfigValue::scalar(target)});
    if (!bind && type != "none") m.keys.push_back({"type", ConfigValue::scalar(type)});
    std::string joined;
    for (const auto& o : kept) joined += (joined.empty() ? "" : ",") + o;
    if (!joined.empty()) m.keys.push_back({"options", ConfigValue::scalar(joined)});
    if (optional) m.keys.push_back({"optional", ConfigValue::scalar("true")});
    if (!create.empty()) m.keys.push_back({"create", ConfigValue::scalar(create)});
    return m;
}

Result<std::vector<std::pair<std::string, ConfigValue>>> mapIdmap(const std::string& value) {
    std::vector<std::string> f = fields(value, " \t");
    auto number = [](const std::string& s) {
        return !s.empty() && s.size() <= 10 && std::all_of(s.begin(), s.end(), ::isdigit);
    };
    if (f.size() != 4 || (f[0] != "u" && f[0] != "g") || !number(f[1]) || !number(f[2]) || !number(f[3]))
        return Error::msg("not 'u|g INSIDE OUTSIDE COUNT'", EINVAL);
    return std::vector<std::pair<std::string, ConfigValue>>{{"type", ConfigValue::scalar(f[0])},
                                                            {"inside", ConfigValue::scalar(f[1])},
                                                            {"outside", ConfigValue::scalar(f[2])},
                                                            {"count", ConfigValue::scalar(f[3])}};
}

std::vector<std::string> splitCommand(const std::string& s) {
    std::vector<std::string> out;
    std::string cur;
    bool inWord = false;
    char quote = 0;
    for (char c : s) {
        if (quote) {
            if (c == quote)
                quote = 0;
            else
                cur += c;
        } else if (c == '\'' || c == '"') {
            quote = c;
            inWord = true;
        } else if (std::isspace(static_cast<unsigned char>(c))) {
            if (inWord) out.push_back(cur);
            cur.clear();
            inWord = false;
        } else {
            cur += c;
            inWord = true;
        }
    }
    if (inWord) out.push_back(cur);
    return out;
}

std::string shownSetting(const std::string& key, const ConfigValue& v) {
    if (!v.isList) {
        bool bare = v.text == "true" || v.text == "false" ||
                    (!v.text.empty() && std::all_of(v.text.begin(), v.text.end(), ::isdigit));
        return key + " = " + (bare ? v.text : quoted(v.text));
    }
    std::string out = key + " = [";
    for (size_t i = 0; i < v.items.size(); ++i) out += std::string(i ? ", " : " ") + quoted(v.items[i]);
    return out + (v.items.empty() ? "]" : " ]");
}

}  // namespace xc::lxcimport
