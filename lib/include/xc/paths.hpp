// Where xc's files live: the host's install locations and one container's
// files under a base directory (-P). Names are validated before any path
// is built from them.
#pragma once

#include <sys/types.h>

#include <string>

#include "xc/result.hpp"

namespace xc {

constexpr const char* kDefaultBase = "/var/lib/xc";

// The base directory when neither -P nor XC_PATH nor xc.conf names one:
// /var/lib/xc for root; for any other caller $XDG_DATA_HOME/xc, else
// ~/.local/share/xc (as LXC's ~/.local/share/lxc).
std::string defaultBase();

// 1-64 of [A-Za-z0-9_.-], not starting with '.' or '-'.
Status validateName(const std::string& name);

// Install locations; each can be overridden from the environment so that
// tests run the build tree without installing (XC_SYSCONF_DIR, XC_DATA_DIR,
// XC_TEMPLATE_DIR, XC_LIBEXEC_DIR, XC_LOG_DIR, XC_CACHE_DIR, XC_SUBID_DIR).
//
// A caller other than root gets its own places (XDG base directories):
// config ~/.config/xc (xc.conf; default.conf, else the host's), cache
// ~/.cache/xc, runtime state $XDG_RUNTIME_DIR/xc, else ~/.cache/xc/run;
// /etc/xc stays the host's (usernet).
struct HostPaths {
    uid_t uid = 0;            // the caller's effective uid, whose places these are
    std::string sysconfDir;   // /etc/xc: xc.conf, default.conf
    std::string userConfDir;  // non-root: $XDG_CONFIG_HOME/xc, else ~/.config/xc; "" for root
    std::string dataDir;      // <prefix>/share/xc: config includes, seccomp profiles
    std::string templateDir;  // <prefix>/share/xc/templates
    std::string libexecDir;   // <prefix>/libexec/xc: xc-supervisor
    std::string logDir;       // /var/log/xc
    std::string cacheDir;     // /var/cache/xc
    std::string runRoot;      // /run/xc
    std::string subidDir;     // /etc: subuid and subgid (XC_SUBID_DIR)

    static HostPaths fromEnvironment();
    bool nonRoot() const { return uid != 0; }
    // Non-root: the user's default.conf where it exists, else the host's.
    std::string defaultConf() const;
    // Non-root: the user's own xc.conf (the host's names root's places).
    std::string globalConf() const;
    std::string monitorBinary() const { return libexecDir + "/xc-supervisor"; }
    std::string subuidFile() const { return subidDir + "/subuid"; }
    std::string subgidFile() const { return subidDir + "/subgid"; }
};

// The base directory: -P if given, else $XC_PATH, else `configured` (the
// path of xc.conf), else defaultBase(). Made absolute.
std::string resolveBase(const std::string& fromOption, const std::string& configured = "");

class ContainerPaths {
public:
    ContainerPaths(const HostPaths& host, std::string base, std::string name);

    const std::string& base() const { return base_; }
    const std::string& name() const { return name_; }
    std::string dir() const { return base_ + "/" + name_; }
    std::string configFile() const { return dir() + "/config"; }
    std::string defaultRootfs() const { return dir() + "/rootfs"; }
    // Runtime state, keyed by the base so two bases never collide.
    std::string runDir() const { return runDir_; }
    // The supervisor's command socket: an abstract unix name ('@' stands
    // for the leading NUL), keyed like runDir(), so that it survives the
    // removal of /run/xc and no file of it is ever left behind.
    std::string socket() const { return "@xc/" + key_ + "/" + name_; }
    std::string lockFile() const { return runDir_ + "/" + name_ + ".lock"; }
    // The config in effect when the running container started (its
    // supervisor writes it; xc-config apply compares the file with it).
    std::string startedConfigFile() const { return runDir_ + "/" + name_ + ".started"; }
    // /var/log/xc/<name>.log for the default base; <dir>/<name>.log otherwise.
    std::string logFile() const;
    // Relative cgroup path in every hierarchy: "xc/<name>" for the default
    // base, "xc-<key>/<name>" for another.
    std::string cgroupParent() const { return cgroupParent_; }
    std::string cgroupPath() const { return cgroupParent_ + "/" + name_; }

private:
    std::string base_, name_, key_, runDir_, cgroupParent_, logDir_;
    bool defaultBase_;
};

// Stable 64-bit FNV-1a of text, as 16 hex digits.
std::string hashKey(const std::string& text);

}  // namespace xc
