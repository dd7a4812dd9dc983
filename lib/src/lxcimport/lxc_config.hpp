// LXC's container config syntax (lxc.container.conf(5)), read as LXC 2.x to
// 5.x read it: "key = value" lines, '#' comments, lxc.include of a file or
// of a directory's *.conf files (in name order), and the LXC 2.x key names
// (lxc.network.*, lxc.utsname, lxc.rootfs, lxc.id_map, ...) turned into
// their 3.x names, so that the mapping (lxc_map.hpp) knows one vocabulary.
// The files are the admin's (host paths), but read with limits: include
// depth, loops and sizes are bounded.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "xc/result.hpp"

namespace xc::lxcimport {

// One setting as the config gives it, in file order.
struct LxcEntry {
    std::string key;       // the 3.x name ("lxc.net.0.ipv4.address")
    std::string value;     // trimmed; surrounding double quotes kept as LXC keeps them
    std::string where;     // "FILE:LINE"
    std::string legacyKey; // the name as written, when it was a 2.x one; else ""
};

// What an include names: a file's text, or a directory's *.conf files.
struct IncludeTarget {
    bool isDir = false;
    std::string text;                // a file
    std::vector<std::string> files;  // a directory: its entries' full paths
};
using IncludeReader = std::function<Result<IncludeTarget>(const std::string& path)>;

// The host's files (limited to 1 MiB each).
IncludeReader hostFiles();

// Parses `text` (shown as `shownAs` in errors and in LxcEntry::where),
// following lxc.include through `read`. Lines LXC would refuse ("no '='")
// are errors naming FILE:LINE.
Result<std::vector<LxcEntry>> parseLxcConfig(const std::string& text, const std::string& shownAs,
                                             const IncludeReader& read);
Result<std::vector<LxcEntry>> readLxcConfig(const std::string& path, const IncludeReader& read = hostFiles());

// The 3.x name of a key (itself when it is not a 2.x name). `netIndex` is
// the index that an unindexed lxc.network.* key belongs to.
std::string modernKey(const std::string& key, int netIndex);

// A value without the double quotes LXC allows around it (lxc.uts.name = "c1").
std::string unquote(const std::string& v);

}  // namespace xc::lxcimport
