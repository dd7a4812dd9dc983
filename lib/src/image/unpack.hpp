// Unpacks an image tarball into a root file system, safely: the tarball is
// hostile. Every member is created relative to an open directory fd of the
// rootfs, and every parent directory is looked up with openat2
// RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS, so no member can reach outside the
// rootfs, whatever links earlier members made. Refused, with one line naming
// the member: absolute paths, ".." components (in names and hard-link
// targets), a path through a symbolic link that leads outside the rootfs (or
// through a link at all where it is the member's own parent chain replaced
// by a link), a member that would replace a directory by anything but a
// directory. No archive_write_disk, no tar.
//
// Kept: numeric owners (always the archive's numbers, never names), modes
// (setuid/setgid included, set after the owner), nanosecond modification and
// access times (directories' set last, after their contents), extended
// attributes (file capabilities: security.capability, set after the owner
// and the data, which clear it), POSIX ACLs (access and default, from pax
// SCHILY.acl records or system.posix_acl_* attributes), device nodes, FIFOs,
// symbolic links (their targets are only text: never followed here), hard
// links and sparse files (holes stay holes).
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "xc/result.hpp"

namespace xc::image {

// What to do with OCI whiteouts (".wh.NAME": NAME is deleted; ".wh..wh..opq":
// the directory hides what lower layers put in it).
enum class Whiteouts {
    Keep,     // an image tarball: ".wh." names are plain files
    Apply,    // a layer applied onto the tree below it: delete what they name
    Overlay,  // a layer unpacked on its own, as an overlayfs lower: whiteouts
              // become overlayfs's (a 0/0 character device; user.overlay.opaque)
};

struct UnpackOptions {
    // tar --exclude patterns (fnmatch; a match on a directory excludes what
    // is below it), matched against member paths without a leading "./".
    std::vector<std::string> excludes;
    // Called with the bytes of the archive file read so far (progress).
    std::function<void(uint64_t)> progress;
    Whiteouts whiteouts = Whiteouts::Keep;
    // Also compute the SHA-256 of the file and of its uncompressed tar
    // stream (an OCI layer's digest and diff_id), in the same pass:
    // UnpackStats::fileSha256 and tarSha256.
    bool hashTar = false;
};

struct UnpackStats {
    uint64_t directories = 0, files = 0, symlinks = 0, hardLinks = 0, specials = 0;
    uint64_t bytes = 0;     // file data written
    uint64_t excluded = 0;  // members skipped by an exclude pattern
    // What an unprivileged caller could not do (owners, device nodes, some
    // attributes): counted, not fatal. As root every one is an error.
    uint64_t skippedOwners = 0, skippedDevices = 0, skippedXattrs = 0;
    // A directory got a default ACL: from then on what inherits one but
    // should not have it loses it.
    bool defaultAcls = false;
    uint64_t whiteouts = 0, opaqueDirs = 0;
    std::string tarSha256, fileSha256;  // with UnpackOptions::hashTar: lower-case hex
};

// Unpacks the tarball at archivePath into the directory open at rootFd (an
// O_RDONLY|O_DIRECTORY fd, not O_PATH: the archive's "./" member sets its
// owner and mode). On failure the error says which member and why
// ("member ../etc/passwd: a '..' component: refused"); what was unpacked so
// far stays (the caller removes the rootfs).
Result<UnpackStats> unpackTarball(const std::string& archivePath, int rootFd, const UnpackOptions& options = {});

// A member name made relative and clean ("./a//b/." -> "a/b"; "./" -> "");
// refuses absolute paths and ".." components.
Result<std::string> memberPath(const std::string& raw);

}  // namespace xc::image
