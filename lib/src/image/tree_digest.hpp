// The SHA-256 of a directory tree, as an overlay lower layer sees it: the
// name for the layer store of a tree that comes as a directory (a
// debootstrap cache), not as a tarball with a diff_id.
//
// It hashes one record per object, in byte order of the paths: the path,
// the type, mode, owner, mtime (ns), the extended attributes (sorted by
// name), and a regular file's size and content SHA-256, a symlink's
// target, a device's numbers, or, for a further name of a hard-linked
// file, the path of its first name. Two trees with the same digest give
// the same merged tree under an overlay (atime and ctime aside).
//
// The tree is hostile: every object is reached from an open directory fd
// with no symlink followed, and a mount point inside it is refused.
#pragma once

#include <cstdint>
#include <string>

#include "xc/result.hpp"

namespace xc::image {

struct TreeDigest {
    std::string sha256;      // hex
    uint64_t objects = 0;    // records hashed (the root included)
    uint64_t bytes = 0;      // regular file data read
};

Result<TreeDigest> digestTree(const std::string& dir);

}  // namespace xc::image
