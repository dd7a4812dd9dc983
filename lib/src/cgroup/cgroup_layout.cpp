// Which cgroup hierarchies the host has: parsed from /proc/self/mountinfo.
#include <algorithm>
#include <sstream>

#include <unistd.h>

#include "cgroup/cgroup.hpp"
#include "base/number.hpp"
#include "base/fsutil.hpp"

namespace xc {

const char* cgroupModeName(CgroupMode m) {
    switch (m) {
        case CgroupMode::V1:
            return "v1";
        case CgroupMode::Hybrid:
            return "hybrid";
        case CgroupMode::V2:
            return "v2";
    }
    return "?";
}

bool CgroupHierarchy::has(const std::string& controller) const {
    return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescapeMountField(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            const std::string oct = s.substr(i + 1, 3);
            if (std::all_of(oct.begin(), oct.end(), [](char c) { return c >= '0' && c <= '7'; })) {
                out += static_cast<char>(parseNumber<int>(oct, 8).value_or(0));
                i += 3;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

std::vector<std::string> splitOn(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    std::istringstream in(s);
    while (std::getline(in, cur, sep))
        if (!cur.empty()) out.push_back(cur);
    return out;
}

// Super options of a v1 cgroup mount that are not controllers.
bool isV1Controller(const std::string& opt) {
    static const char* const kNotControllers[] = {
        "rw",
        "ro",
        "noprefix",
        "clone_children",
        "xattr",
        "cpuset_v2_mode",
        "favordynmods",
        "nofavordynmods",
        "none",
        "all",
        "sane_behavior",
        "__DEVEL__sane_behavior",
    };
    for (const char* n : kNotControllers)
        if (opt == n) return false;
    return opt.rfind("release_agent=", 0) != 0;
}

struct MountLine {
    std::string root, mountPoint, fstype, superOpts;
};

bool parseMountLine(const std::string& line, MountLine& out) {
    std::istringstream in(line);
    std::vector<std::string> f;
    std::string w;
    while (in >> w) f.push_back(w);
    // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    if (f.size() < 7) return false;
    auto sep = std::find(f.begin() + 6, f.end(), "-");
    if (sep == f.end() || f.end() - sep < 3) return false;
    out.root = unescapeMountField(f[3]);
    out.mountPoint = unescapeMountField(f[4]);
    out.fstype = *(sep + 1);
    out.superOpts = sep + 3 < f.end() ? *(sep + 3) : "";
    return true;
}

// Keeps one hierarchy per controller set: bind mounts of the same hierarchy
// show up again; the one mounting the hierarchy's root wins.
void addHierarchy(std::vector<CgroupHierarchy>& hs, std::vector<bool>& atRoot, CgroupHierarchy h, bool isRoot) {
    for (size_t i = 0; i < hs.size(); ++i) {
        if (hs[i].unified != h.unified) continue;
        if (!h.unified) {
            auto a = hs[i].controllers, b = h.controllers;
            std::sort(a.begin(), a.end());
            std::sort(b.begin(), b.end());
            if (a != b) continue;
        }
        if (!atRoot[i] && isRoot) {
            hs[i] = std::move(h);
            atRoot[i] = true;
        }
        return;
    }
    hs.push_back(std::move(h));
    atRoot.push_back(isRoot);
}

// The cgroup hierarchies of a mountinfo text (cgroup2 without controllers).
void parseHierarchies(const std::string& mountinfo, std::vector<CgroupHierarchy>& out) {
    std::vector<bool> atRoot;
    std::istringstream in(mountinfo);
    std::string line;
    while (std::getline(in, line)) {
        MountLine m;
        if (!parseMountLine(line, m)) continue;
        if (m.fstype == "cgroup") {
            CgroupHierarchy h;
            h.mountPoint = m.mountPoint;
            for (const auto& opt : splitOn(m.superOpts, ','))
                if (isV1Controller(opt)) h.controllers.push_back(opt);
            if (h.controllers.empty()) continue;
            addHierarchy(out, atRoot, std::move(h), m.root == "/");
        } else if (m.fstype == "cgroup2") {
            CgroupHierarchy h;
            h.mountPoint = m.mountPoint;
            h.unified = true;
            addHierarchy(out, atRoot, std::move(h), m.root == "/");
        }
    }
}

}  // namespace

CgroupLayout CgroupLayout::fromMountinfo(const std::string& mountinfo, const std::string& v2Controllers) {
    CgroupLayout l;
    parseHierarchies(mountinfo, l.hierarchies_);
    bool v1 = false, v2 = false;
    for (auto& h : l.hierarchies_) {
        if (h.unified) {
            v2 = true;
            std::istringstream in(v2Controllers);
            std::string c;
            while (in >> c) h.controllers.push_back(c);
        } else {
            v1 = true;
        }
    }
    l.mode_ = v1 && v2 ? CgroupMode::Hybrid : v1 ? CgroupMode::V1 : CgroupMode::V2;
    if (v2)
        l.freezer_ = CgroupFreezer::Unified;
    else if (l.forController("freezer"))
        l.freezer_ = CgroupFreezer::V1;
    return l;
}

Result<CgroupLayout> CgroupLayout::detect() {
    XC_ASSIGN(CgroupLayout host, detectHost());
    if (::geteuid() == 0) return host;
    return host.delegatedTo(::geteuid());
}

Result<CgroupLayout> CgroupLayout::detectHost() {
    XC_ASSIGN(std::string mountinfo, readFile("/proc/self/mountinfo"));
    // The cgroup2 controllers live in a file of the mount itself.
    std::vector<CgroupHierarchy> hs;
    parseHierarchies(mountinfo, hs);
    std::string v2Controllers;
    for (const auto& h : hs) {
        if (!h.unified) continue;
        XC_ASSIGN(v2Controllers, readFile(h.mountPoint + "/cgroup.controllers"));
        break;
    }
    CgroupLayout l = fromMountinfo(mountinfo, v2Controllers);
    if (l.hierarchies_.empty()) return Error::msg("no cgroup hierarchy is mounted (see /proc/self/mountinfo)", ENOENT);
    return l;
}

const CgroupHierarchy* CgroupLayout::forController(const std::string& controller) const {
    if (controller.empty()) return unified();
    for (const auto& h : hierarchies_)
        if (!h.unified && h.has(controller)) return &h;
    const CgroupHierarchy* u = unified();
    return u && u->has(controller) ? u : nullptr;
}

const CgroupHierarchy* CgroupLayout::unified() const {
    for (const auto& h : hierarchies_)
        if (h.unified) return &h;
    return nullptr;
}

}  // namespace xc
