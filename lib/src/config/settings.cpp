// /etc/xc/xc.conf, read through the same key table machinery as the
// container config (config_table.hpp): FILE:LINE: KEY errors, "did you mean".
#include "xc/settings.hpp"

#include <cstdlib>

#include "base/fsutil.hpp"
#include "config/config_table.hpp"

namespace xc {

namespace {

using namespace config_detail;
using libconfig::Setting;

#define APPLY [](const Setting& v, GlobalSettings& s) -> Status

const std::vector<KeyEntry<GlobalSettings>> kSettings = {
    {"path", Kind::String, "base directory of the containers when neither -P nor XC_PATH is given",
     APPLY {
         XC_TRY(absolutePath(text(v)));
         s.path = text(v);
         return {};
     }},
    {"log.level", Kind::String, "default log level of the tools (-l): trace, debug, info, notice, warn, error or fatal",
     APPLY {
         XC_ASSIGN(s.logLevel, parseLogLevel(text(v)));
         return {};
     }},
    {"lxcfs.path", Kind::String, "where lxcfs is mounted, for the containers' lxcfs key",
     APPLY {
         XC_TRY(absolutePath(text(v)));
         s.lxcfsPath = text(v);
         while (s.lxcfsPath.size() > 1 && s.lxcfsPath.back() == '/') s.lxcfsPath.pop_back();
         return {};
     }},
    {"cache_dir", Kind::String, "where templates keep their caches (XC_CACHE for the template; default /var/cache/xc)",
     APPLY {
         XC_TRY(absolutePath(text(v)));
         s.cacheDir = text(v);
         return {};
     }},
};

#undef APPLY

}  // namespace

Result<GlobalSettings> loadGlobalSettings(const HostPaths& host) {
    GlobalSettings s;
    std::string file = host.globalConf();
    if (!pathExists(file)) return s;
    XC_TRY(readTable(readConfigFile(file), file, kSettings, s));
    return s;
}

std::string templateCacheDir(const HostPaths& host, const GlobalSettings& settings) {
    if (const char* own = ::getenv("XC_CACHE"); own && *own) return own;
    if (const char* env = ::getenv("XC_CACHE_DIR"); env && *env) return env;
    if (!settings.cacheDir.empty()) return settings.cacheDir;
    return host.cacheDir;
}

}  // namespace xc
