// Small file helpers for host-side paths that xc owns (config, runtime
// state, logs). Paths inside a container's rootfs go through RootDir
// (rootdir.hpp) instead, which never follows the container's symlinks.
#pragma once

#include <dirent.h>
#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "xc/result.hpp"

namespace xc {

// Owner of a directory stream (closedir on destruction).
struct DirCloser {
    void operator()(DIR* d) const {
        if (d) ::closedir(d);
    }
};
using UniqueDir = std::unique_ptr<DIR, DirCloser>;

Status makeDirs(const std::string& path, mode_t mode);
Status makeParentDirs(const std::string& path, mode_t mode);
Result<std::string> readFile(const std::string& path);
// For files an admin (or an attacker) names: refuses anything but a regular
// file ("not a regular file": a FIFO, /dev/zero, a directory), opens it
// non-blocking so that a FIFO swapped in after the check cannot hang us,
// and refuses more than maxBytes (EFBIG).
Result<std::string> readRegularFile(const std::string& path, size_t maxBytes);
// Writes through a temporary file and rename(), so readers never see half a file.
Status writeFileAtomic(const std::string& path, const std::string& data, mode_t mode);
// Writes data to an existing file (cgroup and proc files): one write() call.
Status writeExisting(const std::string& path, const std::string& data);
bool pathExists(const std::string& path);
// Removes a tree without following symlinks or crossing into other mounts.
Status removeTree(const std::string& path);
// Names in a directory, without "." and "..".
Result<std::vector<std::string>> listDir(const std::string& path);
std::string trim(const std::string& s);

}  // namespace xc
