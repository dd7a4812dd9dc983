// A full copy of a directory tree, as a container's root filesystem needs
// it: owners, modes, timestamps (ns), every extended attribute (file
// capabilities and POSIX ACLs are xattrs), device nodes, FIFOs, sockets,
// symbolic links, hard links and sparse files; file data by reflink
// (FICLONE) where the file system offers it, else copy_file_range over the
// data segments only (SEEK_DATA/SEEK_HOLE), so holes stay holes.
//
// The source is hostile (a container's rootfs): every step is relative to
// an open directory fd, nothing is opened through a symbolic link, and the
// walk never crosses into another mount (a mount point is copied as an
// empty directory, a file mounted over a file as an empty file). No cp,
// tar or rsync.
#pragma once

#include <cstdint>
#include <string>

#include "xc/result.hpp"

namespace xc::storage {

struct CopyStats {
    uint64_t directories = 0;
    uint64_t files = 0;         // regular files with their data copied
    uint64_t hardLinks = 0;     // names linked to a file already copied
    uint64_t others = 0;        // symlinks, devices, FIFOs, sockets
    uint64_t bytes = 0;         // data bytes copied (holes excluded)
    uint64_t reflinked = 0;     // files whose data was cloned (FICLONE)
};

// Copies the directory `src` to `dst`, which must not exist (its parent
// must). On failure the error names the path inside the tree and the
// system's reason ("copy /usr/bin/x: write data: No space left on
// device"); what was made of dst is left for the caller to remove.
Result<CopyStats> copyTree(const std::string& src, const std::string& dst);
// The same from an open directory (the root of a detached overlay mount);
// `src` names it in errors.
Result<CopyStats> copyTreeFrom(int srcFd, const std::string& src, const std::string& dst);
// The same into `dst`, an empty directory that exists (a new btrfs
// subvolume); it gets the owner, mode and times of the source's root.
Result<CopyStats> copyTreeInto(int srcFd, const std::string& src, const std::string& dst);

}  // namespace xc::storage
