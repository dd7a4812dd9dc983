// LXC config files (lxc_config.hpp).
#include "lxcimport/lxc_config.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "base/fsutil.hpp"

namespace xc::lxcimport {

namespace {

constexpr size_t kMaxFileBytes = 1 << 20;
constexpr int kMaxDepth = 16;
constexpr size_t kMaxEntries = 100000;

bool startsWith(const std::string& s, const std::string& p) { return s.compare(0, p.size(), p) == 0; }

bool endsWith(const std::string& s, const std::string& p) {
    return s.size() >= p.size() && s.compare(s.size() - p.size(), p.size(), p) == 0;
}

// LXC 2.x names that 3.0 renamed (LXC's own lxc-update-config table).
const std::pair<const char*, const char*> kRenamed[] = {
    {"lxc.id_map", "lxc.idmap"},
    {"lxc.pts", "lxc.pty.max"},
    {"lxc.tty", "lxc.tty.max"},
    {"lxc.devttydir", "lxc.tty.dir"},
    {"lxc.aa_profile", "lxc.apparmor.profile"},
    {"lxc.aa_allow_incomplete", "lxc.apparmor.allow_incomplete"},
    {"lxc.se_context", "lxc.selinux.context"},
    {"lxc.console", "lxc.console.path"},
    {"lxc.seccomp", "lxc.seccomp.profile"},
    {"lxc.utsname", "lxc.uts.name"},
    {"lxc.haltsignal", "lxc.signal.halt"},
    {"lxc.rebootsignal", "lxc.signal.reboot"},
    {"lxc.stopsignal", "lxc.signal.stop"},
    {"lxc.rootfs", "lxc.rootfs.path"},
    {"lxc.loglevel", "lxc.log.level"},
    {"lxc.logfile", "lxc.log.file"},
    {"lxc.syslog", "lxc.log.syslog"},
    {"lxc.init_cmd", "lxc.init.cmd"},
    {"lxc.init_uid", "lxc.init.uid"},
    {"lxc.init_gid", "lxc.init.gid"},
    {"lxc.mount", "lxc.mount.fstab"},
    {"lxc.network", "lxc.net"},
};

// lxc.network.[N.]SUBKEY -> lxc.net.N.SUBKEY (ipv4 and ipv6 became
// ipv4.address and ipv6.address).
std::string modernNetKey(const std::string& key, int netIndex) {
    std::string rest = key.substr(std::string("lxc.network.").size());
    std::string index;
    size_t dot = rest.find('.');
    std::string first = rest.substr(0, dot);
    if (!first.empty() && std::all_of(first.begin(), first.end(), ::isdigit)) {
        index = first;
        rest = dot == std::string::npos ? "" : rest.substr(dot + 1);
    } else {
        index = std::to_string(netIndex < 0 ? 0 : netIndex);
    }
    if (rest == "ipv4" || rest == "ipv6") rest += ".address";
    return "lxc.net." + index + (rest.empty() ? "" : "." + rest);
}

struct Reader {
    const IncludeReader& read;
    std::vector<LxcEntry> out;
    std::vector<std::string> stack;  // the files being read, for loops
    int netIndex = -1;               // the unindexed lxc.network.* interface

    Status parse(const std::string& text, const std::string& file);
    Status include(const std::string& path, const std::string& where);
    Status line(const std::string& raw, const std::string& file, int n);
};

Status Reader::include(const std::string& value, const std::string& where) {
    std::string path = value;
    if (path.empty()) return Error::msg(where + ": lxc.include: no file named", EINVAL);
    // A relative name is the including file's neighbour.
    if (path[0] != '/') path = parentPath(stack.back()) + "/" + path;
    if (static_cast<int>(stack.size()) >= kMaxDepth)
        return Error::msg(where + ": lxc.include " + path + ": includes nested deeper than " +
                              std::to_string(kMaxDepth),
                          ELOOP);
    if (std::find(stack.begin(), stack.end(), path) != stack.end())
        return Error::msg(where + ": lxc.include " + path + ": includes itself", ELOOP);
    XC_ASSIGN(IncludeTarget t, read(path).ctx(where + ": lxc.include"));
    if (!t.isDir) return parse(t.text, path);
    stack.push_back(path);
    std::vector<std::string> files = t.files;
    std::sort(files.begin(), files.end());
    for (const auto& f : files) {
        if (!endsWith(f, ".conf")) continue;  // LXC reads a directory's *.conf files only
        XC_ASSIGN(IncludeTarget ft, read(f).ctx(where + ": lxc.include"));
        if (ft.isDir) continue;  // LXC reads the directory's files only
        XC_TRY(parse(ft.text, f));
    }
    stack.pop_back();
    return {};
}

Status Reader::line(const std::string& raw, const std::string& file, int n) {
    std::string l = trim(raw);
    if (l.empty() || l[0] == '#') return {};
    std::string where = file + ":" + std::to_string(n);
    size_t eq = l.find('=');
    if (eq == std::string::npos) return Error::msg(where + ": not 'key = value': " + l.substr(0, 80), EINVAL);
    std::string key = trim(l.substr(0, eq)), value = trim(l.substr(eq + 1));
    if (key == "lxc.include") return include(value, where);
    if (out.size() >= kMaxEntries) return Error::msg(where + ": more than 100000 settings", E2BIG);
    if (key == "lxc.network.type") ++netIndex;
    std::string modern = modernKey(key, netIndex);
    out.push_back({modern, value, where, modern == key ? "" : key});
    return {};
}

Status Reader::parse(const std::string& text, const std::string& file) {
    stack.push_back(file);
    size_t pos = 0;
    for (int n = 1; pos < text.size(); ++n) {
        size_t nl = text.find('\n', pos);
        std::string l = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        XC_TRY(line(l, file, n));
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
    stack.pop_back();
    return {};
}

}  // namespace

std::string modernKey(const std::string& key, int netIndex) {
    if (startsWith(key, "lxc.network.")) return modernNetKey(key, netIndex);
    for (const auto& [old, now] : kRenamed)
        if (key == old) return now;
    return key;
}

std::string unquote(const std::string& v) {
    if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
    return v;
}

IncludeReader hostFiles() {
    return [](const std::string& path) -> Result<IncludeTarget> {
        struct stat st {};
        if (::stat(path.c_str(), &st) < 0) return Error::sys("read " + path);
        IncludeTarget t;
        if (S_ISDIR(st.st_mode)) {
            t.isDir = true;
            XC_ASSIGN(auto names, listDir(path));
            for (const auto& n : names) t.files.push_back(path + "/" + n);
            return t;
        }
        XC_ASSIGN(t.text, readRegularFile(path, kMaxFileBytes));
        return t;
    };
}

Result<std::vector<LxcEntry>> parseLxcConfig(const std::string& text, const std::string& shownAs,
                                             const IncludeReader& read) {
    Reader r{read, {}, {}, -1};
    XC_TRY(r.parse(text, shownAs));
    return std::move(r.out);
}

Result<std::vector<LxcEntry>> readLxcConfig(const std::string& path, const IncludeReader& read) {
    XC_ASSIGN(IncludeTarget t, read(path).ctx("read the LXC config"));
    if (t.isDir) return Error::msg("read the LXC config " + path + ": is a directory", EISDIR);
    return parseLxcConfig(t.text, path, read);
}

}  // namespace xc::lxcimport
