// Paths inside a container's root filesystem. The container's root owns
// that tree, so every lookup is confined to it (openat2 RESOLVE_IN_ROOT):
// a symlink "dev -> /" resolves to the rootfs itself, never to the host.
#pragma once

#include <sys/types.h>

#include <string>

#include "xc/fd.hpp"
#include "xc/result.hpp"

namespace xc {

class RootDir {
public:
    // Opens the rootfs directory (an O_PATH handle).
    static Result<RootDir> open(const std::string& hostPath);
    static RootDir fromFd(UniqueFd fd, std::string shownAs);

    int fd() const { return fd_.get(); }
    const std::string& shownAs() const { return shown_; }

    // openat2 with RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS.
    Result<UniqueFd> openIn(const std::string& relPath, int flags, mode_t mode = 0) const;
    // Makes every missing directory of relPath; returns an O_PATH fd of it.
    Result<UniqueFd> makeDirs(const std::string& relPath, mode_t mode) const;
    // Makes relPath an (empty) regular file if missing, parents too; the
    // fd is O_PATH. Refuses a non-regular existing object.
    Result<UniqueFd> makeFile(const std::string& relPath, mode_t mode) const;
    // Reads a whole small regular file (e.g. /etc/passwd), confined to the
    // root: no symlink as the last component, never blocks on a FIFO or a
    // device, at most 1 MiB.
    Result<std::string> readFile(const std::string& relPath) const;

private:
    UniqueFd fd_;
    std::string shown_;
};

// Splits "a/b/../c" style relative paths; refuses ".." components.
Result<std::string> normalizeRelPath(const std::string& path);

}  // namespace xc
