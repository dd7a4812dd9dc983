// The owner shift of a tree (shift.hpp): the id arithmetic, the two xattr
// formats that carry ids, and a walk that holds every object by an O_PATH
// fd opened by one name from its directory's fd.
#include "storage/shift.hpp"

#include <fcntl.h>
#include <linux/capability.h>
#include <linux/limits.h>
#include <linux/magic.h>
#include <linux/posix_acl.h>
#include <linux/posix_acl_xattr.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <optional>
#include <set>
#include <utility>

#include "base/fsutil.hpp"
#include "xc/fd.hpp"

namespace xc::storage {

namespace {

// Open directories at once, at most: one fd per level of the walk.
constexpr size_t kMaxDepth = 512;
constexpr uint64_t kSubvolumeRootIno = 256;  // BTRFS_FIRST_FREE_OBJECTID
constexpr size_t kAclHeaderSize = sizeof(posix_acl_xattr_header);
constexpr size_t kAclEntrySize = sizeof(posix_acl_xattr_entry);

uint32_t le32(const std::string& s, size_t at) {
    uint32_t v = 0;
    for (size_t i = 0; i < 4; ++i) v |= uint32_t(uint8_t(s[at + i])) << (8 * i);
    return v;
}

uint16_t le16(const std::string& s, size_t at) { return uint16_t(uint8_t(s[at]) | uint8_t(s[at + 1]) << 8); }

void putLe32(std::string& s, size_t at, uint32_t v) {
    for (size_t i = 0; i < 4; ++i) s[at + i] = char((v >> (8 * i)) & 0xff);
}

std::string range(uint32_t start, uint32_t count) {
    return std::to_string(start) + "-" + std::to_string(uint64_t(start) + count - 1);
}

// The ranges of one type as errors show them: "0-65535 -> 100000-165535".
std::string describe(char type, const std::vector<IdMap>& maps) {
    std::string out;
    for (const auto& m : maps) {
        if (m.type != type || m.count == 0) continue;
        if (!out.empty()) out += ", ";
        out += range(m.inside, m.count) + " -> " + range(m.outside, m.count);
    }
    return out.empty() ? std::string("(no ") + type + "id range)" : out;
}

// `id` through the maps of `type`, inside to host or host to inside;
// nothing where no range covers it. (uid_t)-1 is no id (to chown it means
// "leave as it is"), so a range that reaches it covers nothing there.
std::optional<uint32_t> through(const std::vector<IdMap>& maps, char type, uint32_t id, bool toHost) {
    for (const auto& m : maps) {
        if (m.type != type) continue;
        uint32_t a = toHost ? m.inside : m.outside, b = toHost ? m.outside : m.inside;
        if (id < a || uint64_t(id) >= uint64_t(a) + m.count) continue;
        uint64_t r = uint64_t(b) + (id - a);
        if (r >= UINT32_MAX) return std::nullopt;
        return uint32_t(r);
    }
    return std::nullopt;
}

// shiftId, with what the id is to the object in the error ("owned by ").
Result<uint32_t> shiftIdAs(const std::string& role, char type, uint32_t id, const std::vector<IdMap>& from,
                           const std::vector<IdMap>& to) {
    const std::string name = std::string(1, type) + "id ";
    std::optional<uint32_t> inside = from.empty() ? std::optional<uint32_t>(id) : through(from, type, id, false);
    if (!inside)
        return Error::msg(role + name + std::to_string(id) + ", which the map " + describe(type, from) +
                              " does not cover", EOVERFLOW);
    std::optional<uint32_t> host = to.empty() ? inside : through(to, type, *inside, true);
    if (!host) {
        std::string what = role + name + std::to_string(id);
        if (!from.empty()) what += " (" + name + std::to_string(*inside) + " in the container)";
        return Error::msg(what + ", which the map " + describe(type, to) + " does not cover", EOVERFLOW);
    }
    return *host;
}

}  // namespace

Result<uint32_t> shiftId(char type, uint32_t id, const std::vector<IdMap>& from, const std::vector<IdMap>& to) {
    return shiftIdAs("", type, id, from, to);
}

Result<std::string> shiftCapabilityXattr(const std::string& raw, const std::vector<IdMap>& from,
                                         const std::vector<IdMap>& to) {
    uint32_t magic = raw.size() >= 4 ? le32(raw, 0) : 0;
    uint32_t rev = magic & VFS_CAP_REVISION_MASK;
    uint32_t root = 0;  // v1 and v2: root of the filesystem's namespace
    if (rev == VFS_CAP_REVISION_3 && raw.size() == XATTR_CAPS_SZ_3)
        root = le32(raw, XATTR_CAPS_SZ_2);
    else if (!(rev == VFS_CAP_REVISION_2 && raw.size() == XATTR_CAPS_SZ_2) &&
             !(rev == VFS_CAP_REVISION_1 && raw.size() == XATTR_CAPS_SZ_1))
        return Error::msg("malformed file capability: revision " + std::to_string(rev >> VFS_CAP_REVISION_SHIFT) +
                              " in " + std::to_string(raw.size()) + " bytes",
                          EINVAL);
    XC_ASSIGN(uint32_t shifted, shiftIdAs("root ", 'u', root, from, to));
    // Root id 0 is what v2 says without one: the kernel writes v3 with
    // root id 0 as given, which a reader outside that namespace would take
    // for another root.
    std::string out(shifted == 0 ? XATTR_CAPS_SZ_2 : XATTR_CAPS_SZ_3, '\0');
    putLe32(out, 0, (shifted == 0 ? VFS_CAP_REVISION_2 : VFS_CAP_REVISION_3) | (magic & VFS_CAP_FLAGS_MASK));
    // The permitted/inheritable words (v1 has the first pair only).
    size_t data = std::min<size_t>(raw.size(), XATTR_CAPS_SZ_2) - 4;
    out.replace(4, data, raw, 4, data);
    if (shifted != 0) putLe32(out, XATTR_CAPS_SZ_2, shifted);
    return out;
}

Result<std::string> shiftAclXattr(const std::string& raw, const std::vector<IdMap>& from,
                                  const std::vector<IdMap>& to) {
    if (raw.size() < kAclHeaderSize || (raw.size() - kAclHeaderSize) % kAclEntrySize != 0)
        return Error::msg("malformed POSIX ACL: " + std::to_string(raw.size()) + " bytes", EINVAL);
    if (uint32_t v = le32(raw, 0); v != POSIX_ACL_XATTR_VERSION)
        return Error::msg("malformed POSIX ACL: version " + std::to_string(v) + ", not " +
                              std::to_string(POSIX_ACL_XATTR_VERSION), EINVAL);
    std::string out = raw;
    for (size_t at = kAclHeaderSize, n = 1; at < raw.size(); at += kAclEntrySize, ++n) {
        uint16_t tag = le16(raw, at);
        char type = tag == ACL_USER ? 'u' : tag == ACL_GROUP ? 'g' : 0;
        if (type == 0) {
            if (tag == ACL_USER_OBJ || tag == ACL_GROUP_OBJ || tag == ACL_MASK || tag == ACL_OTHER) continue;
            return Error::msg("malformed POSIX ACL: entry " + std::to_string(n) + " has the unknown tag " +
                                  std::to_string(tag), EINVAL);
        }
        XC_ASSIGN(uint32_t id, shiftIdAs("an entry for ", type, le32(raw, at + 4), from, to));
        putLe32(out, at + 4, id);
    }
    return out;
}

namespace {

using XattrShift = Result<std::string> (*)(const std::string&, const std::vector<IdMap>&, const std::vector<IdMap>&);

// The attributes that hold ids, on regular files and directories.
struct XattrKind {
    const char* name;
    XattrShift shift;
    bool capability;  // removed by a chown of a non-directory
    bool dirsOnly;
};
constexpr XattrKind kXattrs[] = {
    {"security.capability", shiftCapabilityXattr, true, false},
    {"system.posix_acl_access", shiftAclXattr, false, false},
    {"system.posix_acl_default", shiftAclXattr, false, true},
};

struct XattrValue {
    const XattrKind* kind;
    std::string old, now;
};

dev_t devOf(const struct statx& sx) { return makedev(sx.stx_dev_major, sx.stx_dev_minor); }

int statFd(int fd, struct statx& sx) {
    return ::statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, &sx);
}

// Whether an object held at fd belongs to the tree: never a mount root
// (a bind mount of the tree's own filesystem has its device number), and
// on its directory's device unless it is a btrfs subvolume of the tree
// (same filesystem, a device number of its own), which only a kernel that
// flags mount roots lets us tell from a mount.
bool inTree(int fd, const struct statx& sx, dev_t dirDev) {
    bool flagged = sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT;
    if (flagged && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT)) return false;
    if (devOf(sx) == dirDev) return true;
    struct statfs fs;
    return flagged && S_ISDIR(sx.stx_mode) && sx.stx_ino == kSubvolumeRootIno && ::fstatfs(fd, &fs) == 0 &&
           fs.f_type == BTRFS_SUPER_MAGIC;
}

// One directory of the walk: its fd, its names, how far the walk is in them.
struct Frame {
    UniqueFd dir;
    std::vector<std::string> names;
    size_t next = 0;
    dev_t dev = 0;
    std::string rel;  // "/a/b"; "" for the root
};

// A directory to walk into, as visit() hands it back (no fd: nothing to enter).
struct SubDir {
    UniqueFd fd;
    dev_t dev = 0;
};

class Shifter {
public:
    Shifter(const std::vector<IdMap>& from, const std::vector<IdMap>& to) : from_(from), to_(to) {}
    Status walk(int top);
    ShiftStats stats;

private:
    Result<SubDir> visit(int dirFd, const std::string& name, dev_t dirDev);
    Status enter(std::vector<Frame>& stack, int pathFd, dev_t dev, std::string rel);
    Status shiftInode(int fd, const struct statx& sx);
    Status readXattrs(const std::string& proc, bool dir, std::vector<XattrValue>& out);
    Status writeXattrs(const std::string& proc, const std::vector<XattrValue>& values, bool chowned, bool& wrote);

    const std::vector<IdMap>& from_;
    const std::vector<IdMap>& to_;
    std::set<std::pair<dev_t, ino_t>> linked_;  // inodes of more than one name, shifted once
    std::vector<char> buf_ = std::vector<char>(XATTR_SIZE_MAX);
};

Status Shifter::walk(int top) {
    struct statx sx;
    if (statFd(top, sx) < 0) return Error::sys("shift /: read its attributes");
    XC_TRY_CTX(shiftInode(top, sx), "shift /");
    std::vector<Frame> stack;
    XC_TRY_CTX(enter(stack, top, devOf(sx), ""), "shift /");
    while (!stack.empty()) {
        Frame& f = stack.back();
        if (f.next == f.names.size()) {
            stack.pop_back();
            continue;
        }
        const std::string name = f.names[f.next++];
        const std::string rel = f.rel + "/" + name;
        auto sub = visit(f.dir.get(), name, f.dev);
        if (!sub) return std::move(sub).error().wrap("shift " + rel);
        if (sub->fd) XC_TRY_CTX(enter(stack, sub->fd.get(), sub->dev, rel), "shift " + rel);
    }
    return {};
}

// Lists a directory reached as the O_PATH fd `pathFd` and puts it on the
// stack; its own fd comes from that fd, never from a path.
Status Shifter::enter(std::vector<Frame>& stack, int pathFd, dev_t dev, std::string rel) {
    if (stack.size() >= kMaxDepth)
        return Error::msg("nested deeper than " + std::to_string(kMaxDepth) + " directories", ELOOP);
    UniqueFd dir(::openat(pathFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!dir) return Error::sys("open the directory");
    XC_ASSIGN(auto names, listDirAt(dir.get()));
    stack.push_back(Frame{std::move(dir), std::move(names), 0, dev, std::move(rel)});
    return {};
}

// Shifts the entry `name` of the directory open at dirFd; a directory of
// the tree comes back to be walked into.
Result<SubDir> Shifter::visit(int dirFd, const std::string& name, dev_t dirDev) {
    UniqueFd fd(::openat(dirFd, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) {
        if (errno == ENOENT) return SubDir{};  // gone since the listing
        return Error::sys("open it");
    }
    struct statx sx;
    if (statFd(fd.get(), sx) < 0) return Error::sys("read its attributes");
    if (!inTree(fd.get(), sx, dirDev)) return SubDir{};  // another mount: left as it is
    bool dir = S_ISDIR(sx.stx_mode);
    if (!dir && sx.stx_nlink > 1 && !linked_.insert({devOf(sx), sx.stx_ino}).second) return SubDir{};
    XC_TRY(shiftInode(fd.get(), sx));
    if (!dir) return SubDir{};
    return SubDir{std::move(fd), devOf(sx)};
}

// Owner, then the attributes with ids, then the mode. Everything new is
// worked out before the chown, so that a value that cannot be shifted
// stops the walk with the inode as it was. The chown of a non-directory
// removes security.capability and clears its set-id bits: both are
// written back after it.
Status Shifter::shiftInode(int fd, const struct statx& sx) {
    XC_ASSIGN(uint32_t uid, shiftIdAs("owned by ", 'u', sx.stx_uid, from_, to_));
    XC_ASSIGN(uint32_t gid, shiftIdAs("owned by ", 'g', sx.stx_gid, from_, to_));
    ++stats.inodes;
    mode_t type = sx.stx_mode & S_IFMT;
    // getxattr through the fd's /proc link: the path of the object itself,
    // whatever its name is now (O_PATH fds have no f*xattr).
    const std::string proc = "/proc/self/fd/" + std::to_string(fd);
    std::vector<XattrValue> values;
    if (type == S_IFREG || type == S_IFDIR) XC_TRY(readXattrs(proc, type == S_IFDIR, values));
    bool chowned = uid != sx.stx_uid || gid != sx.stx_gid;
    if (chowned && ::fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) return Error::sys("chown");
    bool wrote = false;
    XC_TRY(writeXattrs(proc, values, chowned, wrote));
    if ((!chowned && !wrote) || type == S_IFLNK) return {};
    // The mode seen before, back (an ACL write may touch the group bits
    // too). Through /proc as well: fchmod refuses an O_PATH fd, and glibc's
    // fchmodat refuses AT_EMPTY_PATH (only Linux 6.6's fchmodat2 takes it).
    struct stat st;
    if (::fstat(fd, &st) < 0) return Error::sys("read its attributes");
    mode_t mode = sx.stx_mode & 07777;
    if ((st.st_mode & 07777) != mode && ::chmod(proc.c_str(), mode) < 0) return Error::sys("chmod");
    return {};
}

Status Shifter::readXattrs(const std::string& proc, bool dir, std::vector<XattrValue>& out) {
    for (const auto& k : kXattrs) {
        if (k.dirsOnly && !dir) continue;
        ssize_t n = ::getxattr(proc.c_str(), k.name, buf_.data(), buf_.size());
        if (n < 0 && (errno == ENODATA || errno == EOPNOTSUPP)) continue;
        if (n < 0) return Error::sys(std::string("read ") + k.name);
        XattrValue v{&k, std::string(buf_.data(), static_cast<size_t>(n)), ""};
        auto now = k.shift(v.old, from_, to_);
        if (!now) return std::move(now).error().wrap(k.name);
        v.now = std::move(*now);
        out.push_back(std::move(v));
    }
    return {};
}

Status Shifter::writeXattrs(const std::string& proc, const std::vector<XattrValue>& values, bool chowned,
                            bool& wrote) {
    for (const auto& v : values) {
        if (v.now == v.old && !(chowned && v.kind->capability)) continue;
        if (::setxattr(proc.c_str(), v.kind->name, v.now.data(), v.now.size(), 0) < 0)
            return Error::sys(std::string("write ") + v.kind->name);
        ++(v.kind->capability ? stats.capabilities : stats.acls);
        wrote = true;
    }
    return {};
}

}  // namespace

Result<ShiftStats> shiftTree(const std::string& root, const std::vector<IdMap>& from, const std::vector<IdMap>& to) {
    const std::string ctx = "shift the owners in " + root;
    UniqueFd top(::open(root.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!top) return Error::sys(ctx + ": open it");
    Shifter s(from, to);
    if (auto st = s.walk(top.get()); !st) return std::move(st).error().wrap(ctx);
    return s.stats;
}

}  // namespace xc::storage
