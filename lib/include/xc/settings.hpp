// Host-wide settings from /etc/xc/xc.conf (all optional).
#pragma once

#include <string>

#include "xc/log.hpp"
#include "xc/paths.hpp"
#include "xc/result.hpp"

namespace xc {

struct GlobalSettings {
    std::string path;  // base directory when neither -P nor XC_PATH is given ("": defaultBase())
    LogLevel logLevel = LogLevel::Error;
    // Where lxcfs is mounted (containers with lxcfs = true or "auto" bind its files).
    std::string lxcfsPath = "/var/lib/lxcfs";
    // cache_dir: where templates keep their caches; "" when xc.conf does not
    // say (templateCacheDir() then falls back to HostPaths::cacheDir).
    std::string cacheDir;
};

// The cache directory a template is given as XC_CACHE: the caller's own
// XC_CACHE wins, then XC_CACHE_DIR, then xc.conf's cache_dir, then
// /var/cache/xc.
std::string templateCacheDir(const HostPaths& host, const GlobalSettings& settings);

// Reads host.globalConf(); a missing file gives the defaults, a broken one
// an error with file:line.
Result<GlobalSettings> loadGlobalSettings(const HostPaths& host);

}  // namespace xc
