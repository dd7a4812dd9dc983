#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "image/unpack_internal.hpp"

namespace xc::image::detail {

Result<int> openBeneath(int dirFd, const std::string& rel, int flags) {
    struct open_how how;
    std::memset(&how, 0, sizeof how);
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
    const char* p = rel.empty() ? "." : rel.c_str();
    long fd;
    do fd = ::syscall(SYS_openat2, dirFd, p, &how, sizeof how);
    while (fd < 0 && errno == EAGAIN);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno == EXDEV || errno == ELOOP)
        return Error::msg("goes through a symbolic link that leads outside the rootfs: refused", EXDEV);
    return Error::sys(rel.empty() ? "open the rootfs" : "open " + rel);
}

namespace {

bool privileged() { return ::geteuid() == 0; }

// A failure an unprivileged unpack lives with (counted); as root, an error.
bool tolerable(int err) {
    if (err == EOPNOTSUPP) return true;
    return !privileged() && (err == EPERM || err == EACCES);
}

struct AclEntry {
    uint16_t tag, perm;
    uint32_t id;
};

uint16_t kernelTag(int tag) {
    switch (tag) {
        case ARCHIVE_ENTRY_ACL_USER_OBJ: return 0x01;
        case ARCHIVE_ENTRY_ACL_USER: return 0x02;
        case ARCHIVE_ENTRY_ACL_GROUP_OBJ: return 0x04;
        case ARCHIVE_ENTRY_ACL_GROUP: return 0x08;
        case ARCHIVE_ENTRY_ACL_MASK: return 0x10;
        case ARCHIVE_ENTRY_ACL_OTHER: return 0x20;
        default: return 0;
    }
}

void put32(std::string& s, uint32_t v) {
    for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}
void put16(std::string& s, uint16_t v) {
    s.push_back(static_cast<char>(v & 0xff));
    s.push_back(static_cast<char>(v >> 8));
}

Status setXattrs(int fd, const std::string& procPath, archive_entry* e, UnpackStats& st) {
    const char* name;
    const void* value;
    size_t size;
    archive_entry_xattr_reset(e);
    while (archive_entry_xattr_next(e, &name, &value, &size) == ARCHIVE_OK) {
        // overlayfs's own attributes belong to the storage, never to an
        // image: one could make a directory opaque or redirect it.
        if (std::strncmp(name, "trusted.overlay.", 16) == 0 || std::strncmp(name, "user.overlay.", 13) == 0) continue;
        if (std::strcmp(name, "system.posix_acl_default") == 0) st.defaultAcls = true;
        int rc = fd >= 0 ? ::fsetxattr(fd, name, value, size, 0) : ::lsetxattr(procPath.c_str(), name, value, size, 0);
        if (rc != 0) {
            if (!tolerable(errno)) return Error::sys(std::string("set extended attribute ") + name);
            ++st.skippedXattrs;
        }
    }
    for (int type : {ARCHIVE_ENTRY_ACL_TYPE_ACCESS, ARCHIVE_ENTRY_ACL_TYPE_DEFAULT}) {
        std::string v = aclXattr(e, type);
        if (v.empty()) continue;
        const char* an = type == ARCHIVE_ENTRY_ACL_TYPE_ACCESS ? "system.posix_acl_access" : "system.posix_acl_default";
        if (type == ARCHIVE_ENTRY_ACL_TYPE_DEFAULT) st.defaultAcls = true;
        int rc = fd >= 0 ? ::fsetxattr(fd, an, v.data(), v.size(), 0) : ::lsetxattr(procPath.c_str(), an, v.data(), v.size(), 0);
        if (rc != 0) {
            if (!tolerable(errno)) return Error::sys(std::string("set ACL ") + an);
            ++st.skippedXattrs;
        }
    }
    return {};
}

}  // namespace

std::string aclXattr(archive_entry* e, int type) {
    if (archive_entry_acl_reset(e, type) == 0) return "";
    std::vector<AclEntry> entries;
    int t, permset, tag, qual;
    const char* name;
    while (archive_entry_acl_next(e, type, &t, &permset, &tag, &qual, &name) == ARCHIVE_OK) {
        uint16_t k = kernelTag(tag);
        if (!k) continue;
        uint16_t perm = static_cast<uint16_t>(permset & 7);  // READ 4, WRITE 2, EXECUTE 1: the kernel's too
        bool named = k == 0x02 || k == 0x08;
        entries.push_back({k, perm, named ? static_cast<uint32_t>(qual) : 0xffffffffu});
    }
    // An access ACL of only the owner, group and other entries is the mode.
    bool extended = std::any_of(entries.begin(), entries.end(), [](const AclEntry& a) { return a.tag & 0x1a; });
    if (entries.empty() || (type == ARCHIVE_ENTRY_ACL_TYPE_ACCESS && !extended)) return "";
    std::sort(entries.begin(), entries.end(),
              [](const AclEntry& a, const AclEntry& b) { return a.tag != b.tag ? a.tag < b.tag : a.id < b.id; });
    std::string out;
    put32(out, 2);  // POSIX_ACL_XATTR_VERSION
    for (const auto& a : entries) {
        put16(out, a.tag);
        put16(out, a.perm);
        put32(out, a.id);
    }
    return out;
}

// A file made in a directory with a default ACL inherits it (an access ACL,
// and for a directory a default one too): what the entry does not carry
// itself is removed, as the archive's owner meant no ACL there.
void dropInherited(int fd, const std::string& procPath, archive_entry* e, bool isDir) {
    for (int type : {ARCHIVE_ENTRY_ACL_TYPE_ACCESS, ARCHIVE_ENTRY_ACL_TYPE_DEFAULT}) {
        bool def = type == ARCHIVE_ENTRY_ACL_TYPE_DEFAULT;
        if ((def && !isDir) || archive_entry_acl_count(e, type) > 0) continue;
        const char* n = def ? "system.posix_acl_default" : "system.posix_acl_access";
        if (fd >= 0) ::fremovexattr(fd, n);
        else ::lremovexattr(procPath.c_str(), n);
    }
}

Status applyMetaFd(int fd, archive_entry* e, bool isDir, UnpackStats& st) {
    if (st.defaultAcls) dropInherited(fd, "", e, isDir);
    if (::fchown(fd, static_cast<uid_t>(archive_entry_uid(e)), static_cast<gid_t>(archive_entry_gid(e))) != 0) {
        if (!tolerable(errno)) return Error::sys("set owner " + std::to_string(archive_entry_uid(e)) + ":" +
                                                 std::to_string(archive_entry_gid(e)));
        ++st.skippedOwners;
    }
    if (!isDir && ::fchmod(fd, archive_entry_perm(e)) != 0) return Error::sys("set mode");
    return setXattrs(fd, "", e, st);
}

Status applyMetaAt(int parentFd, const std::string& leaf, archive_entry* e, UnpackStats& st) {
    const char* l = leaf.c_str();
    if (::fchownat(parentFd, l, static_cast<uid_t>(archive_entry_uid(e)), static_cast<gid_t>(archive_entry_gid(e)),
                   AT_SYMLINK_NOFOLLOW) != 0) {
        if (!tolerable(errno)) return Error::sys("set owner");
        ++st.skippedOwners;
    }
    bool link = archive_entry_filetype(e) == AE_IFLNK;
    std::string procPath = "/proc/self/fd/" + std::to_string(parentFd) + "/" + leaf;
    if (st.defaultAcls && !link) dropInherited(-1, procPath, e, false);
    // The node was just made by us in a directory we made: not a link, so
    // fchmodat (which follows) reaches the node itself.
    if (!link && ::fchmodat(parentFd, l, archive_entry_perm(e), 0) != 0) return Error::sys("set mode");
    XC_TRY(setXattrs(-1, procPath, e, st));
    struct timespec ts[2];
    ts[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    ts[0] = archive_entry_atime_is_set(e) ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)} : ts[1];
    if (::utimensat(parentFd, l, ts, AT_SYMLINK_NOFOLLOW) != 0) return Error::sys("set times");
    return {};
}

}  // namespace xc::image::detail
