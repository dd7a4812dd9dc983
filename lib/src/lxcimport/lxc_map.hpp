// What an LXC container's settings become in xc: one table with a row per
// LXC key (lxc_map.cpp), as config_schema.cpp has one per xc key. A key is
// either mapped to xc keys (network, cgroup v1 and v2 limits into xc's one
// vocabulary, mounts and fstab files, autostart, hooks, ttys, idmap,
// capabilities, seccomp, hostname, init, environment, signals, console
// log) or listed with the reason it is not. Pure: nothing is read but the
// fstab files the config names (through the IncludeReader).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "lxcimport/lxc_config.hpp"
#include "xc/config_editor.hpp"
#include "xc/result.hpp"

namespace xc::lxcimport {

// One LXC setting and what became of it.
struct MapRow {
    LxcEntry lxc;
    std::string xc;      // "network.0.ipv4 = \"10.0.3.5/24\"" or "(nothing to set: ...)"
    std::string reason;  // not imported: why ("" when imported)
    bool imported() const { return reason.empty(); }
};

// An xc key to set through ConfigEditor, and the row it came from.
struct XcSetting {
    std::string key;
    ConfigValue value;
    size_t row = 0;
};

// Where the LXC rootfs is (lxc.rootfs.path).
struct RootfsSource {
    std::string backend;  // "dir" or "overlay"
    std::string path;     // dir: the tree
    std::string lower, upper;  // overlay
};

// realpath(3) of a host path that is a symbolic link, else "".
std::string hostLinkTarget(const std::string& path);

struct MapInput {
    std::string name;      // the xc container's name
    std::string lxcName;
    std::string lxcDir;    // LXCPATH/NAME (lxc.rootfs.path's default is its rootfs/)
    std::string hostArch;  // uname -m ("x86_64")
    IncludeReader read = hostFiles();  // for lxc.mount.fstab files
    // The target of a host path that is a symbolic link ("" if it is none):
    // LXC follows a bind mount's source, xc wants it named.
    std::function<std::string(const std::string&)> linkTarget = hostLinkTarget;
};

struct Mapping {
    std::vector<MapRow> rows;          // one per LXC setting, in the config's order, then notes
    std::vector<XcSetting> settings;   // in the order to set them
    RootfsSource rootfs;
};

Result<Mapping> mapLxcConfig(const std::vector<LxcEntry>& entries, const MapInput& in);

// "dir:/p", "/p", "btrfs:/p" (a directory too), "overlayfs:/lower:/upper"
// or "overlay:/lower:/upper"; anything else is ENOTSUP.
Result<RootfsSource> parseRootfsPath(const std::string& value);

// cgroup v1 cpu.shares (2-262144, default 1024) as cgroup2 cpu.weight
// (1-10000, default 100), the conversion systemd and crun use.
uint64_t sharesToWeight(uint64_t shares);

// A line of lxc.mount.entry / an fstab file as xc mount keys; the target
// relative to the rootfs (absolute ones below one of `rootPrefixes`). A
// row reason for what cannot be mapped.
struct MountMapped {
    std::vector<std::pair<std::string, ConfigValue>> keys;  // "source", "target", ...
    std::string reason;
};
MountMapped mapMountEntry(const std::string& line, const std::vector<std::string>& rootPrefixes);

// "u 0 100000 65536" as idmap keys ("type", "inside", "outside", "count").
Result<std::vector<std::pair<std::string, ConfigValue>>> mapIdmap(const std::string& value);

// Splits an init command line as LXC does: white space, with '…' and "…" quoting.
std::vector<std::string> splitCommand(const std::string& s);

// A setting as the report shows it: `key = "value"` or `key = [ "a", "b" ]`.
std::string shownSetting(const std::string& key, const ConfigValue& v);

}  // namespace xc::lxcimport
