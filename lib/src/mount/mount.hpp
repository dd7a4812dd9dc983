// Mounts through the fd-based mount API (fsopen/fsmount/open_tree/
// move_mount/mount_setattr): targets are directory fds opened inside the
// container's root, so no string path is ever resolved through the
// container's symlinks.
#pragma once

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "xc/fd.hpp"
#include "xc/result.hpp"

namespace xc {

// Flags for the mount itself (MOUNT_ATTR_*), parsed from option words.
struct MountAttrs {
    uint64_t set = 0;
    uint64_t clear = 0;
};

// A filesystem mount option list split into mount attributes (ro, nosuid,
// nodev, noexec, noatime, relatime...), bind/rbind, and the rest, which
// goes to the filesystem as key=value or flag parameters.
struct MountOptions {
    MountAttrs attrs;
    bool bind = false;
    bool recursive = false;
    std::vector<std::pair<std::string, std::string>> fsParams;  // value "" = flag
};
Result<MountOptions> parseMountOptions(const std::string& text);
// The option words of `attrs` ("ro,nosuid,nodev"; a cleared flag as its
// opposite, "rw"), as parseMountOptions reads them and mountinfo shows them.
std::string mountAttrsText(const MountAttrs& attrs);

// A new detached filesystem: fsopen + fsconfig + fsmount. The fd is the
// root of the new mount; attach it with attachMount.
Result<UniqueFd> newFilesystem(const std::string& fstype, const std::string& source,
                               const std::vector<std::pair<std::string, std::string>>& params,
                               const MountAttrs& attrs);
// A detached copy of an existing tree (bind mount), optionally recursive.
Result<UniqueFd> cloneTree(int dirfd, const std::string& path, bool recursive);
Status setMountAttrs(int mountfd, const MountAttrs& attrs, bool recursive);
// Makes a detached tree an idmapped mount: files appear with their on-disk
// ids mapped through the user namespace `usernsFd` (/proc/PID/ns/user), so
// a rootfs owned by 0 on disk is owned by the container's root inside.
Status setIdmap(int mountfd, int usernsFd, bool recursive);
// Attaches a detached mount onto the object `targetfd` refers to.
Status attachMount(int mountfd, int targetfd, const std::string& shownTarget);

}  // namespace xc

namespace xc {

// A container's mount namespace is a copy of the caller's, and setns into
// it (xc-attach) lands at that namespace's root. A caller confined by
// chroot(2) (a build root, an installer, a rescue system) would give the
// container a namespace whose root is the outer filesystem, so this
// refuses such a caller with an explanation. Needs /proc.
Status requireNamespaceRoot();

}  // namespace xc
