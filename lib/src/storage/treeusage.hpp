// The disk a directory tree uses, as du counts it: the allocated blocks of
// everything in it, each hard-linked file once, without following a
// symbolic link or crossing into another mount (the tree may be a
// container's, hostile: every step is relative to an open directory).
// btrfs subvolumes in it are counted (a device number of their own, but
// part of the tree), each with the blocks it references: extents shared
// with a snapshot count in both.
#pragma once

#include <cstdint>
#include <string>

#include "xc/result.hpp"

namespace xc::storage {

Result<uint64_t> treeUsage(const std::string& dir);

}  // namespace xc::storage
