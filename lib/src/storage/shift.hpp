// Rewrites the owners of every inode of a container's rootfs from one id
// mapping to another: the fallback for a host that cannot give an
// unprivileged container an idmapped mount of its rootfs, done once on the
// stopped container. Owners, the root id of file capabilities
// (security.capability v2/v3) and the ids of POSIX ACL entries
// (system.posix_acl_access/default) move; set-id bits and capabilities,
// which a chown clears, are put back.
//
// The tree is hostile (a container's rootfs): every object is reached from
// an open directory fd by one name, held as an O_PATH fd and changed
// through that fd only; no symbolic link is followed, and the walk never
// enters another mount (a mount point, or anything on another device that
// is not a btrfs subvolume of the tree, is left as it is). Needs root
// (CAP_CHOWN, CAP_FOWNER, CAP_FSETID, CAP_SETFCAP).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "xc/config.hpp"
#include "xc/result.hpp"

namespace xc::storage {

struct ShiftStats {
    uint64_t inodes = 0;        // inodes looked at (each hard-linked one once)
    uint64_t capabilities = 0;  // security.capability values rewritten
    uint64_t acls = 0;          // POSIX ACL values rewritten
};

// A map says how ids are stored on disk: empty means as the container
// sees them (identity: a privileged container, or one on an idmapped
// mount); otherwise the container's idmap (host id = outside + (id -
// inside)).
//
// Rewrites every inode of the tree at `root` (root included) so that an
// owner stored as `from` says is stored as `to` says: uid/gid -> the id
// inside the container (through `from`; identity if empty) -> its host id
// (through `to`; identity if empty). Stops at the first error, which names
// the tree and the path inside it ("shift the owners in ROOT: shift
// /usr/bin/ping: chown: Operation not permitted", "...: shift /etc/x: owned
// by uid 70000, which the map 0-65535 -> 100000-165535 does not cover").
// What was shifted before it stays shifted: the caller shifts back (from
// `to` to `from`) or reports it. One directory fd is open per level of the
// walk: a tree nested deeper than 512 directories fails (ELOOP).
Result<ShiftStats> shiftTree(const std::string& root, const std::vector<IdMap>& from, const std::vector<IdMap>& to);

// The pure pieces, each in the terms above.
// The id `id` of type 'u' or 'g' as stored through `from`, stored through `to`.
Result<uint32_t> shiftId(char type, uint32_t id, const std::vector<IdMap>& from, const std::vector<IdMap>& to);
// A security.capability value: its root uid shifted; v2 (no root id) when
// the result is root id 0, else v3 with the root id. v2 and v1 values mean
// root id 0 of the filesystem's namespace.
Result<std::string> shiftCapabilityXattr(const std::string& raw, const std::vector<IdMap>& from,
                                         const std::vector<IdMap>& to);
// A system.posix_acl_access or _default value: the ids of its named-user
// and named-group entries shifted, every other byte kept.
Result<std::string> shiftAclXattr(const std::string& raw, const std::vector<IdMap>& from,
                                  const std::vector<IdMap>& to);

}  // namespace xc::storage
