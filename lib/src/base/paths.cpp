#include "xc/paths.hpp"
#include "base/libexec.hpp"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include <unistd.h>

#ifndef XC_INSTALL_DATADIR
#define XC_INSTALL_DATADIR "/usr/local/share/xc"
#endif
#ifndef XC_INSTALL_LIBEXECDIR
#define XC_INSTALL_LIBEXECDIR "/usr/local/libexec/xc"
#endif
#ifndef XC_INSTALL_SYSCONFDIR
#define XC_INSTALL_SYSCONFDIR "/etc/xc"
#endif

namespace xc {

Status validateName(const std::string& name) {
    if (name.empty()) return Error::msg("invalid container name '': a name is 1-64 characters", EINVAL);
    if (name.size() > 64)
        return Error::msg("invalid container name '" + name.substr(0, 64) + "...': longer than 64 characters", EINVAL);
    if (name[0] == '.' || name[0] == '-')
        return Error::msg("invalid container name '" + name + "': must not start with '.' or '-'", EINVAL);
    for (char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                  c == '.' || c == '-';
        if (!ok)
            return Error::msg("invalid container name '" + name +
                                  "': only letters, digits, '_', '.' and '-' are allowed",
                              EINVAL);
    }
    return {};
}

static std::string envOr(const char* var, const std::string& fallback) {
    const char* v = std::getenv(var);
    return (v && *v) ? std::string(v) : fallback;
}

namespace {

// $VAR if it is an absolute path (the XDG rule), else ~/FALLBACK.
std::string xdgDir(const char* var, const char* fallback) {
    const char* v = std::getenv(var);
    if (v && v[0] == '/') return v;
    return envOr("HOME", "/") + "/" + fallback;
}

}  // namespace

std::string defaultBase() { return ::geteuid() == 0 ? kDefaultBase : xdgDir("XDG_DATA_HOME", ".local/share") + "/xc"; }

std::string HostPaths::defaultConf() const {
    if (nonRoot()) {
        std::string own = userConfDir + "/default.conf";
        if (::access(own.c_str(), F_OK) == 0) return own;
    }
    return sysconfDir + "/default.conf";
}

std::string HostPaths::globalConf() const { return (nonRoot() ? userConfDir : sysconfDir) + "/xc.conf"; }

HostPaths HostPaths::fromEnvironment() {
    HostPaths p;
    p.uid = ::geteuid();
    p.sysconfDir = envOr("XC_SYSCONF_DIR", XC_INSTALL_SYSCONFDIR);
    p.dataDir = envOr("XC_DATA_DIR", XC_INSTALL_DATADIR);
    p.templateDir = envOr("XC_TEMPLATE_DIR", p.dataDir + "/templates");
    p.libexecDir = envOr("XC_LIBEXEC_DIR", XC_INSTALL_LIBEXECDIR);
    p.logDir = envOr("XC_LOG_DIR", "/var/log/xc");
    p.cacheDir = envOr("XC_CACHE_DIR", "/var/cache/xc");
    p.runRoot = "/run/xc";
    p.subidDir = envOr("XC_SUBID_DIR", "/etc");
    if (p.nonRoot()) {
        // Never a shared directory such as /tmp: every place is the user's own.
        p.userConfDir = xdgDir("XDG_CONFIG_HOME", ".config") + "/xc";
        const std::string cache = xdgDir("XDG_CACHE_HOME", ".cache") + "/xc";
        p.cacheDir = envOr("XC_CACHE_DIR", cache);
        const char* run = std::getenv("XDG_RUNTIME_DIR");
        p.runRoot = (run && run[0] == '/') ? std::string(run) + "/xc" : cache + "/run";
        p.logDir = envOr("XC_LOG_DIR", cache + "/log");
    }
    return p;
}

std::string resolveBase(const std::string& fromOption, const std::string& configured) {
    std::string base = fromOption;
    if (base.empty()) base = envOr("XC_PATH", configured.empty() ? defaultBase() : configured);
    std::error_code ec;
    std::filesystem::path abs = std::filesystem::absolute(base, ec);
    std::string out = ec ? base : abs.lexically_normal().string();
    while (out.size() > 1 && out.back() == '/') out.pop_back();
    return out;
}

std::string hashKey(const std::string& text) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (unsigned char c : text) {
        h ^= c;
        h *= 0x100000001b3ULL;
    }
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

ContainerPaths::ContainerPaths(const HostPaths& host, std::string base, std::string name)
    : base_(std::move(base)), name_(std::move(name)), logDir_(host.logDir) {
    defaultBase_ = base_ == kDefaultBase && !host.nonRoot();
    std::string key = hashKey(base_);
    key_ = key;
    runDir_ = host.runRoot + "/" + key;
    cgroupParent_ = defaultBase_ ? "xc" : "xc-" + key.substr(0, 12);
}

std::string ContainerPaths::logFile() const {
    return defaultBase_ ? logDir_ + "/" + name_ + ".log" : dir() + "/" + name_ + ".log";
}

std::string libexecProgram(const HostPaths& host, const std::string& name) {
    std::string installed = host.libexecDir + "/" + name;
    if (::access(installed.c_str(), X_OK) == 0 || std::getenv("XC_LIBEXEC_DIR")) return installed;
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        std::string dir(self, static_cast<size_t>(n));
        dir = dir.substr(0, dir.rfind('/'));
        if (::access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
    }
    return installed;
}

}  // namespace xc
