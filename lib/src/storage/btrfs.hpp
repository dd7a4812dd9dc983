// The btrfs backend: a container's rootfs is a btrfs subvolume
// (BASE/NAME/rootfs), a snapshot clone a writable snapshot of it, an
// xc-snapshot a read-only one (BASE/NAME/snaps/snapN/rootfs). Through
// Debian's libbtrfsutil; nothing is mounted.
//
// A container's root may make subvolumes of its own inside its tree (the
// kernel lets any user with write access do it): deleting a subvolume
// deletes those first, each found by the kernel's subvolume tree and
// reached only beneath the container's subvolume (openat2 without
// symlinks, magic links or mount crossings), so nothing outside is touched.
#pragma once

#include <string>

#include "xc/result.hpp"

namespace xc::storage {

// The type of file system `path` is on ("btrfs", "ext4", "xfs", "tmpfs",
// ..., or the magic number in hex), or if it does not exist yet, the type
// of its nearest existing parent.
Result<std::string> filesystemName(const std::string& path);
// One clear error unless `dir` (or where it would be made) is on btrfs:
// "-B btrfs: /var/lib/xc is on ext4, not btrfs".
Status requireBtrfs(const std::string& dir);

namespace btrfs {

// A new empty subvolume at `path` (its parent must exist, it must not).
Status createSubvolume(const std::string& path);
// A snapshot of the subvolume `src` at `dst` (which must not exist): O(1),
// copy-on-write; `readOnly` for an xc-snapshot. Subvolumes nested in src
// are empty directories in the snapshot (as btrfs makes them).
Status snapshot(const std::string& src, const std::string& dst, bool readOnly);
// Whether `path` is the root of a btrfs subvolume (not a mount point).
Result<bool> isSubvolume(const std::string& path);
// The same for `name` in the directory open at dirFd (no link followed):
// a tree walk that stays on one device counts such a directory as its own.
bool isSubvolumeAt(int dirFd, const char* name);
// Deletes the subvolume `name` in the directory open at `parentFd`, with
// every subvolume nested in it (a read-only one made writable for that).
Status deleteSubvolumeAt(int parentFd, const std::string& name, const std::string& shown);

}  // namespace btrfs

// Removes a tree as xc::removeTree does (no symlink followed, no mount
// crossed), deleting the btrfs subvolumes in it (and `path` itself if it
// is one) as subvolumes: at once, read-only snapshots too.
Status removeTree(const std::string& path);

}  // namespace xc::storage
