// Pieces of unpackTarball (unpack.cpp): the metadata of one member applied
// to what was created for it (unpack_meta.cpp).
#pragma once

#include <sys/types.h>

#include <string>

#include "image/unpack.hpp"
#include "xc/result.hpp"

struct archive_entry;

namespace xc::image::detail {

// openat2(dirFd, rel, flags, RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS); rel ""
// is dirFd itself. A path that a symbolic link leads outside is EXDEV,
// said as such.
Result<int> openBeneath(int dirFd, const std::string& rel, int flags);

// Owner, mode, ACLs and extended attributes of a member, on fd (an open
// regular file or directory). Modes of directories are left to the end.
Status applyMetaFd(int fd, archive_entry* e, bool isDir, UnpackStats& st);
// The same for a symbolic link, device node or FIFO named leaf in the
// directory open at parentFd (which the unpack made: not a link).
Status applyMetaAt(int parentFd, const std::string& leaf, archive_entry* e, UnpackStats& st);
// The POSIX ACL of the given libarchive type (ACCESS or DEFAULT) as the
// kernel's system.posix_acl_* xattr value; "" if the entry has none beyond
// its mode.
std::string aclXattr(archive_entry* e, int type);

}  // namespace xc::image::detail
