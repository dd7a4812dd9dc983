// LXC image metadata (the meta.tar.xz beside an image's rootfs tarball, as
// lxc-download and lxc-local read it): `config` (LXC keys), `templates`
// (rootfs files in which LXC_NAME and friends are substituted), `excludes`
// (tar --exclude patterns for the rootfs), `create-message`, `expiry`.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "xc/result.hpp"

namespace xc::image {

struct Metadata {
    std::string config;                  // LXC config text ("lxc.arch = x86_64")
    std::vector<std::string> templates;  // rootfs paths ("/etc/hostname")
    std::vector<std::string> excludes;   // patterns
    std::string createMessage;
};

// Reads the metadata tarball's small text files (each at most 1 MiB; no
// member is written anywhere).
Result<Metadata> readMetadata(const std::string& path);

// The LXC config mapped onto xc's container config: the keys with an xc
// equivalent become libconfig text for the template's CONFIG_OUT; every
// other key is listed ("lxc.apparmor.profile = generated") as ignored.
struct MappedConfig {
    std::string xcConfig;              // libconfig text, "" if nothing maps
    std::vector<std::string> ignored;  // "key = value (reason)"
};
Result<MappedConfig> mapLxcConfig(const std::string& lxcConfig);

// Substitutes each variable (LXC_NAME -> web, ...) in each listed file of
// the rootfs open at rootFd, in the order given. Files are looked up beneath
// the rootfs (no link leads out), must be regular files of at most 1 MiB
// and are replaced atomically with their owner and mode kept; a listed file
// that is missing is skipped (as lxc-download does). Returns how many were
// rewritten.
Result<int> applyTemplates(int rootFd, const std::vector<std::string>& files,
                           const std::vector<std::pair<std::string, std::string>>& vars);

}  // namespace xc::image
