#include "image/metadata.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sstream>

#include "image/archive.hpp"
#include "image/unpack.hpp"
#include "image/unpack_internal.hpp"
#include "xc/fd.hpp"
#include "config/config_text.hpp"

namespace xc::image {

namespace {

constexpr size_t kMaxText = 1 << 20;

std::vector<std::string> nonEmptyLines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t')) line.pop_back();
        size_t start = line.find_first_not_of(" \t");
        if (start == std::string::npos || line[start] == '#') continue;
        out.push_back(line.substr(start));
    }
    return out;
}

Result<std::string> readMember(ArchiveReader& ar, archive_entry* e, const std::string& name) {
    if (archive_entry_size(e) > static_cast<la_int64_t>(kMaxText))
        return Error::msg(name + ": larger than 1 MiB", EFBIG);
    std::string data(static_cast<size_t>(archive_entry_size(e)), '\0');
    la_ssize_t n = data.empty() ? 0 : archive_read_data(ar.get(), data.data(), data.size());
    if (n < 0) return Error::msg(name + ": " + ar.errorText(), EIO);
    data.resize(static_cast<size_t>(n));
    return data;
}

// A libconfig string literal, escapes and all.
std::string quoted(const std::string& s) { return config_detail::quoteConfigString(s); }

std::vector<std::string> words(const std::string& s) {
    std::vector<std::string> out;
    std::istringstream in(s);
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
}

std::string list(const std::vector<std::string>& items) {
    std::string out = "[ ";
    for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + quoted(items[i]);
    return out + " ]";
}

bool isNumber(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

// Why an LXC key with no xc counterpart is ignored; "" when it maps.
std::string ignoreReason(const std::string& key) {
    if (key == "lxc.include") return "xc's default.conf carries the common settings";
    if (key == "lxc.uts.name") return "xc-create sets uts.hostname";
    if (key == "lxc.arch") return "no xc key: the image runs with the host's personality";
    if (key.rfind("lxc.cap.", 0) == 0) return "xc's default.conf capability list applies";
    if (key.rfind("lxc.rootfs.", 0) == 0) return "xc-create sets the rootfs";
    return "no xc equivalent";
}

}  // namespace

Result<Metadata> readMetadata(const std::string& path) {
    const std::string what = "read metadata " + path;
    XC_ASSIGN(ArchiveReader ar, ArchiveReader::openFile(path).ctx(what));
    Metadata m;
    for (;;) {
        XC_ASSIGN(archive_entry* e, ar.next().ctx(what));
        if (!e) break;
        const char* raw = archive_entry_pathname(e);
        auto name = memberPath(raw ? raw : "");
        if (!name || archive_entry_filetype(e) != AE_IFREG) continue;
        if (*name != "config" && *name != "templates" && *name != "excludes" && *name != "create-message") continue;
        XC_ASSIGN(std::string text, readMember(ar, e, *name).ctx(what));
        if (*name == "config") m.config = text;
        else if (*name == "templates") m.templates = nonEmptyLines(text);
        else if (*name == "excludes") m.excludes = nonEmptyLines(text);
        else m.createMessage = text;
    }
    return m;
}

Result<MappedConfig> mapLxcConfig(const std::string& lxcConfig) {
    MappedConfig out;
    std::vector<std::string> init, env, tty, start;
    for (const std::string& line : nonEmptyLines(lxcConfig)) {
        size_t eq = line.find('=');
        if (eq == std::string::npos) {
            out.ignored.push_back(line + " (not a key = value line)");
            continue;
        }
        std::string key = line.substr(0, eq), value = line.substr(eq + 1);
        while (!key.empty() && (key.back() == ' ' || key.back() == '\t')) key.pop_back();
        size_t v0 = value.find_first_not_of(" \t");
        value = v0 == std::string::npos ? "" : value.substr(v0);
        bool sig = value.rfind("SIG", 0) == 0;
        if (key == "lxc.init.cmd" && !value.empty() && value[0] == '/') init.push_back("cmd = " + list(words(value)) + ";");
        else if (key == "lxc.signal.halt" && sig) init.push_back("halt_signal = " + quoted(value) + ";");
        else if (key == "lxc.signal.reboot" && sig) init.push_back("reboot_signal = " + quoted(value) + ";");
        else if (key == "lxc.tty.max" && isNumber(value) && value.size() < 3) tty.push_back("count = " + value + ";");
        else if (key == "lxc.environment" && value.find('=') != std::string::npos) env.push_back(value);
        else if (key == "lxc.start.auto" && (value == "0" || value == "1"))
            start.push_back(std::string("auto = ") + (value == "1" ? "true" : "false") + ";");
        else if ((key == "lxc.start.delay" || key == "lxc.start.order") && isNumber(value) && value.size() < 9)
            start.push_back(key.substr(10) + " = " + value + ";");
        else out.ignored.push_back(key + " = " + value + " (" + ignoreReason(key) + ")");
    }
    auto group = [&](const char* name, const std::vector<std::string>& keys) {
        if (keys.empty()) return;
        out.xcConfig += std::string(name) + " = {";
        for (const auto& k : keys) out.xcConfig += " " + k;
        out.xcConfig += " };\n";
    };
    group("init", init);
    group("tty", tty);
    group("start", start);
    if (!env.empty()) out.xcConfig += "environment = " + list(env) + ";\n";
    return out;
}

namespace {

std::string substitute(std::string text, const std::vector<std::pair<std::string, std::string>>& vars) {
    for (const auto& [from, to] : vars) {
        if (from.empty()) continue;
        for (size_t p = text.find(from); p != std::string::npos; p = text.find(from, p + to.size()))
            text.replace(p, from.size(), to);
    }
    return text;
}

// Rewrites one file: its text read through an fd opened beneath the
// rootfs, the new text written to a temporary beside it and renamed over.
Result<bool> rewrite(int rootFd, const std::string& rel, const std::vector<std::pair<std::string, std::string>>& vars) {
    size_t slash = rel.rfind('/');
    std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash);
    std::string leaf = slash == std::string::npos ? rel : rel.substr(slash + 1);
    auto p = detail::openBeneath(rootFd, parent, O_PATH | O_DIRECTORY);
    if (!p && p.error().code() == ENOENT) return false;
    if (!p) return std::move(p).error();
    UniqueFd pfd(*p);
    UniqueFd fd(::openat(pfd.get(), leaf.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!fd && errno == ENOENT) return false;
    if (!fd) return Error::sys("open");
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return Error::sys("stat");
    if (!S_ISREG(st.st_mode)) return Error::msg("not a regular file", EINVAL);
    if (static_cast<size_t>(st.st_size) > kMaxText) return Error::msg("larger than 1 MiB", EFBIG);
    std::string text(static_cast<size_t>(st.st_size), '\0');
    ssize_t n = ::pread(fd.get(), text.data(), text.size(), 0);
    if (n < 0) return Error::sys("read");
    text.resize(static_cast<size_t>(n));
    std::string out = substitute(text, vars);
    if (out == text) return true;
    std::string tmp = ".xc-template." + leaf;
    ::unlinkat(pfd.get(), tmp.c_str(), 0);
    UniqueFd w(::openat(pfd.get(), tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!w) return Error::sys("create " + tmp);
    bool ok = ::write(w.get(), out.data(), out.size()) == static_cast<ssize_t>(out.size()) &&
              (::fchown(w.get(), st.st_uid, st.st_gid) == 0 || ::geteuid() != 0) &&
              ::fchmod(w.get(), st.st_mode & 07777) == 0 && ::renameat(pfd.get(), tmp.c_str(), pfd.get(), leaf.c_str()) == 0;
    if (!ok) {
        Error err = Error::sys("write the substituted text");
        ::unlinkat(pfd.get(), tmp.c_str(), 0);
        return err;
    }
    return true;
}

}  // namespace

Result<int> applyTemplates(int rootFd, const std::vector<std::string>& files,
                           const std::vector<std::pair<std::string, std::string>>& vars) {
    int done = 0;
    for (const std::string& f : files) {
        std::string raw = f;
        while (!raw.empty() && raw[0] == '/') raw.erase(0, 1);
        auto rel = memberPath(raw);
        if (!rel) return std::move(rel).error().wrap("template file " + f);
        if (rel->empty()) return Error::msg("template file " + f + ": the rootfs itself", EINVAL);
        auto r = rewrite(rootFd, *rel, vars);
        if (!r) return std::move(r).error().wrap("template file " + f);
        if (*r) ++done;
    }
    return done;
}

}  // namespace xc::image
