// Pieces of copyTree (copytree.hpp): file data, extended attributes and
// the walk's open beneath a root (which the btrfs backend uses too).
#pragma once

#include <sys/types.h>

#include <string>

#include "xc/result.hpp"

namespace xc::storage {

// openat2 of `rel` ("" for root itself) strictly beneath `root`: no
// symlink, magic link or mount crossing on the way (-1 and errno if not).
int openBeneath(int root, const std::string& rel, int flags);

// One side of an xattr copy: an open fd (regular files, directories), or,
// for objects that cannot be opened (symlinks, devices, FIFOs, sockets),
// the name `name` in the directory `dirFd`, reached as
// /proc/self/fd/DIRFD/NAME with the l*xattr calls (no link is followed).
struct XattrNode {
    int fd = -1;
    int dirFd = -1;
    std::string name;
};

// Copies every attribute llistxattr gives (user.*, trusted.*, security.*
// with security.capability, system.posix_acl_access/default).
Status copyXattrs(const XattrNode& from, const XattrNode& to);

struct DataCopied {
    uint64_t bytes = 0;
    bool reflinked = false;
};
// Copies `size` bytes of file data from `in` to `out` (an empty new file):
// FICLONE if the file system can, else the data segments only
// (SEEK_DATA/SEEK_HOLE) with copy_file_range, read/write as the last
// resort; the size is set with ftruncate so a trailing hole stays one.
Result<DataCopied> copyData(int in, int out, off_t size);

}  // namespace xc::storage
