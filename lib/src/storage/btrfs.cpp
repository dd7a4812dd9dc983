// The btrfs backend through libbtrfsutil (btrfs.hpp).
#include "storage/btrfs.hpp"

#include <btrfsutil.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <sstream>
#include <vector>

#include "base/fsutil.hpp"
#include "storage/copy_internal.hpp"
#include "xc/fd.hpp"

namespace xc::storage {

namespace {

// libbtrfsutil's reason, with the system's where a call failed.
Error btrfsError(enum btrfs_util_error e, int err, const std::string& what) {
    if (e == BTRFS_UTIL_ERROR_NOT_BTRFS || e == BTRFS_UTIL_ERROR_NOT_SUBVOLUME)
        return Error::msg(what + ": " + btrfs_util_strerror(e), EINVAL);
    return Error::sys(err ? err : EIO, what);
}

UniqueFd openDir(int at, const std::string& path) {
    return UniqueFd(::openat(at, path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
}

// The fstype of mountinfo's line for mount `id`.
std::string mountType(uint64_t id) {
    auto text = readFile("/proc/self/mountinfo");
    if (!text) return "";
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
        if (std::strtoull(line.c_str(), nullptr, 10) != id) continue;
        size_t sep = line.find(" - ");
        if (sep == std::string::npos) return "";
        std::istringstream rest(line.substr(sep + 3));
        std::string type;
        rest >> type;
        return type;
    }
    return "";
}

constexpr uint64_t kSubvolumeRootIno = 256;  // BTRFS_FIRST_FREE_OBJECTID: every subvolume's root

// Whether `name` in dirFd is a subvolume's root here, not a mount point
// (another btrfs mounted inside looks the same to fstatfs).
bool subvolumeRoot(int dirFd, const char* name) {
    struct statx sx;
    if (::statx(dirFd, name, AT_SYMLINK_NOFOLLOW, STATX_INO | STATX_TYPE, &sx) < 0) return false;
    if (!S_ISDIR(sx.stx_mode) || sx.stx_ino != kSubvolumeRootIno) return false;
    if ((sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) return false;
    UniqueFd fd = openDir(dirFd, name);
    struct statfs fs;
    return fd && ::fstatfs(fd.get(), &fs) == 0 && fs.f_type == BTRFS_SUPER_MAGIC;
}

struct IteratorFree {
    void operator()(btrfs_util_subvolume_iterator* it) const { btrfs_util_destroy_subvolume_iterator(it); }
};

// The subvolumes nested in the subvolume open at fd, deepest first, as
// paths relative to it (from the kernel's subvolume tree, not a walk).
Result<std::vector<std::string>> nestedSubvolumes(int fd, const std::string& shown) {
    btrfs_util_subvolume_iterator* raw = nullptr;
    auto e = btrfs_util_create_subvolume_iterator_fd(fd, 0, BTRFS_UTIL_SUBVOLUME_ITERATOR_POST_ORDER, &raw);
    if (e) return btrfsError(e, errno, "list the subvolumes in " + shown);
    std::unique_ptr<btrfs_util_subvolume_iterator, IteratorFree> it(raw);
    std::vector<std::string> out;
    for (;;) {
        char* path = nullptr;
        e = btrfs_util_subvolume_iterator_next(it.get(), &path, nullptr);
        if (e == BTRFS_UTIL_ERROR_STOP_ITERATION) return out;
        if (e) return btrfsError(e, errno, "list the subvolumes in " + shown);
        out.emplace_back(path);
        std::free(path);
    }
}

// One subvolume without nested ones; a read-only parent is made writable
// first (its entry for the subvolume has to go).
Status deleteOne(int parentFd, const std::string& name, const std::string& shown) {
    if (!subvolumeRoot(parentFd, name.c_str()))
        return Error::msg("delete the subvolume " + shown + ": not a btrfs subvolume (or a mount point)", EINVAL);
    auto e = btrfs_util_delete_subvolume_fd(parentFd, name.c_str(), 0);
    if (e && errno == EROFS) {
        if (auto ro = btrfs_util_set_subvolume_read_only_fd(parentFd, false))
            return btrfsError(ro, errno, "make the subvolume holding " + shown + " writable");
        e = btrfs_util_delete_subvolume_fd(parentFd, name.c_str(), 0);
    }
    if (e) return btrfsError(e, errno, "delete the subvolume " + shown);
    return {};
}

}  // namespace

Result<std::string> filesystemName(const std::string& path) {
    std::string at = path;
    struct statx sx;
    while (::statx(AT_FDCWD, at.c_str(), 0, STATX_MNT_ID, &sx) < 0) {
        if (errno != ENOENT || at == "/" || at == ".") return Error::sys("stat " + at);
        at = parentPath(at);
    }
    std::string type = (sx.stx_mask & STATX_MNT_ID) ? mountType(sx.stx_mnt_id) : "";
    if (!type.empty()) return type;
    struct statfs fs;
    if (::statfs(at.c_str(), &fs) < 0) return Error::sys("stat the file system of " + at);
    char hex[32];
    std::snprintf(hex, sizeof hex, "0x%lx", static_cast<unsigned long>(fs.f_type));
    return std::string(fs.f_type == BTRFS_SUPER_MAGIC ? "btrfs" : hex);
}

Status requireBtrfs(const std::string& dir) {
    XC_ASSIGN(std::string type, filesystemName(dir).ctx("-B btrfs"));
    if (type == "btrfs") return {};
    return Error::msg("-B btrfs: " + dir + " is on " + type + ", not btrfs", EINVAL)
        .withHint("use -B dir or -B overlay there, or a base directory (-P) on btrfs");
}

namespace btrfs {

Status createSubvolume(const std::string& path) {
    UniqueFd parent = openDir(AT_FDCWD, parentPath(path));
    if (!parent) return Error::sys("create the subvolume " + path + ": open its parent");
    auto e = btrfs_util_create_subvolume_fd(parent.get(), leafName(path).c_str(), 0, nullptr, nullptr);
    if (e) return btrfsError(e, errno, "create the subvolume " + path);
    return {};
}

Status snapshot(const std::string& src, const std::string& dst, bool readOnly) {
    const std::string what = std::string(readOnly ? "take a read-only snapshot of " : "snapshot ") + src + " as " + dst;
    UniqueFd from = openDir(AT_FDCWD, src);
    if (!from) return Error::sys(what + ": open " + src);
    if (!subvolumeRoot(AT_FDCWD, src.c_str())) return Error::msg(what + ": " + src + " is not a btrfs subvolume", EINVAL);
    UniqueFd parent = openDir(AT_FDCWD, parentPath(dst));
    if (!parent) return Error::sys(what + ": open " + parentPath(dst));
    int flags = readOnly ? BTRFS_UTIL_CREATE_SNAPSHOT_READ_ONLY : 0;
    auto e = btrfs_util_create_snapshot_fd2(from.get(), parent.get(), leafName(dst).c_str(), flags, nullptr, nullptr);
    if (e) return btrfsError(e, errno, what);
    return {};
}

Result<bool> isSubvolume(const std::string& path) {
    if (!pathExists(path)) return Error::sys(ENOENT, "stat " + path);
    return subvolumeRoot(AT_FDCWD, path.c_str());
}

bool isSubvolumeAt(int dirFd, const char* name) { return subvolumeRoot(dirFd, name); }

Status deleteSubvolumeAt(int parentFd, const std::string& name, const std::string& shown) {
    UniqueFd fd = openDir(parentFd, name);
    if (!fd) return Error::sys("delete the subvolume " + shown + ": open it");
    XC_ASSIGN(auto nested, nestedSubvolumes(fd.get(), shown));
    for (const auto& rel : nested) {
        std::string dir = rel.find('/') == std::string::npos ? "" : parentPath(rel);
        UniqueFd in(openBeneath(fd.get(), dir, O_RDONLY | O_DIRECTORY));
        if (!in) return Error::sys("delete the subvolume " + shown + "/" + rel + ": open its directory beneath " + shown);
        XC_TRY(deleteOne(in.get(), leafName(rel), shown + "/" + rel));
    }
    fd.reset();
    return deleteOne(parentFd, name, shown);
}

}  // namespace btrfs

namespace {

Result<bool> removeIfSubvolume(int dirFd, const char* name, const std::string& shown) {
    if (!subvolumeRoot(dirFd, name)) return false;
    XC_TRY(btrfs::deleteSubvolumeAt(dirFd, name, shown));
    return true;
}

}  // namespace

Status removeTree(const std::string& path) {
    UniqueFd parent = openDir(AT_FDCWD, parentPath(path));
    if (!parent && errno == ENOENT) return {};
    if (!parent) return Error::sys("remove " + path + ": open its parent");
    XC_ASSIGN(bool removed, removeIfSubvolume(parent.get(), leafName(path).c_str(), path));
    if (removed) return {};
    return xc::removeTree(path, removeIfSubvolume);
}

}  // namespace xc::storage
