// The walk of a tree copy (copytree.hpp): every object is reached from an
// open directory fd, never through a path string of the source tree.
#include "storage/copytree.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <map>
#include <utility>
#include <vector>

#include "base/fsutil.hpp"
#include "storage/copy_internal.hpp"
#include "xc/fd.hpp"

namespace xc::storage {

int openBeneath(int root, const std::string& rel, int flags) {
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV | RESOLVE_NO_MAGICLINKS;
    return static_cast<int>(::syscall(SYS_openat2, root, rel.empty() ? "." : rel.c_str(), &how, sizeof how));
}

namespace {

struct Entry {
    std::string name;
    std::string rel;  // path inside the tree, without a leading '/'
    struct statx sx;
};

Status statEntry(int dirFd, Entry& e) {
    if (::statx(dirFd, e.name.c_str(), AT_SYMLINK_NOFOLLOW | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, &e.sx) < 0)
        return Error::sys("read its attributes");
    return {};
}

bool isMountRoot(const struct statx& sx, dev_t treeDev) {
    if (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) return (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
    return S_ISDIR(sx.stx_mode) && makedev(sx.stx_dev_major, sx.stx_dev_minor) != treeDev;
}

struct timespec ts(const struct statx_timestamp& t) {
    struct timespec out = {};
    out.tv_sec = t.tv_sec;
    out.tv_nsec = t.tv_nsec;
    return out;
}

// Owner, mode, xattrs, times, in that order: a chown clears set-id bits
// and security.capability, and every change before the last step moves
// the ctime/mtime anyway. `fd` is the new object's fd, or -1 (then it is
// `name` in `dirFd`).
Status applyMeta(const struct statx& sx, const XattrNode& from, int dirFd, const std::string& name, int fd) {
    bool link = S_ISLNK(sx.stx_mode);
    int rc = fd >= 0 ? ::fchown(fd, sx.stx_uid, sx.stx_gid)
                     : ::fchownat(dirFd, name.c_str(), sx.stx_uid, sx.stx_gid, AT_SYMLINK_NOFOLLOW);
    if (rc < 0) return Error::sys("set the owner");
    if (!link) {
        mode_t mode = sx.stx_mode & 07777;
        // No symlink can be there: the name was made by this copy just now.
        rc = fd >= 0 ? ::fchmod(fd, mode) : ::fchmodat(dirFd, name.c_str(), mode, 0);
        if (rc < 0) return Error::sys("set the mode");
    }
    XC_TRY(copyXattrs(from, XattrNode{fd, dirFd, name}));
    struct timespec times[2] = {ts(sx.stx_atime), ts(sx.stx_mtime)};
    rc = fd >= 0 ? ::futimens(fd, times) : ::utimensat(dirFd, name.c_str(), times, AT_SYMLINK_NOFOLLOW);
    if (rc < 0) return Error::sys("set the timestamps");
    return {};
}

class Walker {
public:
    Walker(int dstRoot, dev_t dev) : dstRoot_(dstRoot), dev_(dev) {}
    Status copyDirContents(int sfd, int dfd, const std::string& rel);
    Status copyRootMeta(int sfd, int dfd, const struct statx& sx) { return applyMeta(sx, XattrNode{sfd}, -1, "", dfd); }
    CopyStats stats;

private:
    Status copyEntry(int sfd, int dfd, Entry& e);
    Status copyDir(int sfd, int dfd, Entry& e);
    Status copyFile(int sfd, int dfd, Entry& e, bool mounted);
    Status copyOther(int sfd, int dfd, Entry& e);
    Result<bool> linkIfSeen(int dfd, const Entry& e);

    int dstRoot_;
    dev_t dev_;
    std::map<std::pair<dev_t, ino_t>, std::string> seen_;  // source inode -> first copy's rel path
};

Status Walker::copyDirContents(int sfd, int dfd, const std::string& rel) {
    XC_ASSIGN(auto names, listDirAt(sfd));
    for (auto& n : names) {
        Entry e;
        e.name = n;
        e.rel = rel.empty() ? n : rel + "/" + n;
        if (auto st = copyEntry(sfd, dfd, e); !st) return std::move(st).error().wrap("copy /" + e.rel);
    }
    return {};
}

Result<bool> Walker::linkIfSeen(int dfd, const Entry& e) {
    if (S_ISDIR(e.sx.stx_mode) || e.sx.stx_nlink < 2) return false;
    auto key = std::make_pair(makedev(e.sx.stx_dev_major, e.sx.stx_dev_minor), static_cast<ino_t>(e.sx.stx_ino));
    auto it = seen_.find(key);
    if (it == seen_.end()) {
        seen_.emplace(key, e.rel);
        return false;
    }
    const std::string& first = it->second;
    size_t slash = first.rfind('/');
    std::string parent = slash == std::string::npos ? "" : first.substr(0, slash);
    std::string base = slash == std::string::npos ? first : first.substr(slash + 1);
    UniqueFd pfd(openBeneath(dstRoot_, parent, O_PATH | O_DIRECTORY));
    if (!pfd) return Error::sys("open the directory of /" + first + " in the copy");
    if (::linkat(pfd.get(), base.c_str(), dfd, e.name.c_str(), 0) < 0)
        return Error::sys("link it to /" + first);
    ++stats.hardLinks;
    return true;
}

Status Walker::copyEntry(int sfd, int dfd, Entry& e) {
    XC_TRY(statEntry(sfd, e));
    bool mounted = isMountRoot(e.sx, dev_);
    if (!mounted) {
        XC_ASSIGN(bool linked, linkIfSeen(dfd, e));
        if (linked) return {};
    }
    mode_t type = e.sx.stx_mode & S_IFMT;
    if (type == S_IFDIR) return copyDir(sfd, dfd, e);
    if (type == S_IFREG) return copyFile(sfd, dfd, e, mounted);
    return copyOther(sfd, dfd, e);
}

// Makes sure `fd` is the object `e` was when it was looked at: the source
// may change under the copy, and nothing else may be copied in its place.
Status sameObject(int fd, const Entry& e) {
    struct stat st;
    if (::fstat(fd, &st) < 0) return Error::sys("read its attributes");
    if (st.st_ino != e.sx.stx_ino || (st.st_mode & S_IFMT) != (e.sx.stx_mode & S_IFMT))
        return Error::msg("it was replaced during the copy", EAGAIN);
    return {};
}

Status Walker::copyDir(int sfd, int dfd, Entry& e) {
    if (::mkdirat(dfd, e.name.c_str(), 0700) < 0) return Error::sys("create the directory");
    UniqueFd out(::openat(dfd, e.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!out) return Error::sys("open the new directory");
    UniqueFd in(::openat(sfd, e.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!in) return Error::sys("open the directory");
    XC_TRY(sameObject(in.get(), e));
    ++stats.directories;
    // Another mount's root: an empty directory here, as cp -x leaves it.
    if (!isMountRoot(e.sx, dev_)) XC_TRY(copyDirContents(in.get(), out.get(), e.rel));
    return applyMeta(e.sx, XattrNode{in.get()}, -1, "", out.get());
}

Status Walker::copyFile(int sfd, int dfd, Entry& e, bool mounted) {
    UniqueFd in(::openat(sfd, e.name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC));
    if (!in) return Error::sys("open the file");
    XC_TRY(sameObject(in.get(), e));
    UniqueFd out(::openat(dfd, e.name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!out) return Error::sys("create the file");
    if (!mounted) {
        XC_ASSIGN(DataCopied d, copyData(in.get(), out.get(), static_cast<off_t>(e.sx.stx_size)));
        stats.bytes += d.bytes;
        if (d.reflinked) ++stats.reflinked;
    }
    ++stats.files;
    return applyMeta(e.sx, XattrNode{in.get()}, -1, "", out.get());
}

Status Walker::copyOther(int sfd, int dfd, Entry& e) {
    mode_t type = e.sx.stx_mode & S_IFMT;
    if (type == S_IFLNK) {
        std::vector<char> buf(static_cast<size_t>(e.sx.stx_size) + 2);
        ssize_t n = ::readlinkat(sfd, e.name.c_str(), buf.data(), buf.size());
        if (n < 0) return Error::sys("read the symbolic link");
        if (static_cast<size_t>(n) >= buf.size()) return Error::msg("the symbolic link changed during the copy", EAGAIN);
        std::string target(buf.data(), static_cast<size_t>(n));
        if (::symlinkat(target.c_str(), dfd, e.name.c_str()) < 0) return Error::sys("create the symbolic link");
    } else if (type == S_IFCHR || type == S_IFBLK || type == S_IFIFO || type == S_IFSOCK) {
        dev_t rdev = makedev(e.sx.stx_rdev_major, e.sx.stx_rdev_minor);
        if (::mknodat(dfd, e.name.c_str(), type | 0600, rdev) < 0) return Error::sys("create the special file");
    } else {
        return Error::msg("unknown file type", EINVAL);
    }
    ++stats.others;
    return applyMeta(e.sx, XattrNode{-1, sfd, e.name}, dfd, e.name, -1);
}

}  // namespace

Result<CopyStats> copyTree(const std::string& src, const std::string& dst) {
    UniqueFd in(::open(src.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!in) return Error::sys("copy " + src + ": open it");
    return copyTreeFrom(in.get(), src, dst);
}

Result<CopyStats> copyTreeFrom(int srcFd, const std::string& src, const std::string& dst) {
    if (::mkdir(dst.c_str(), 0700) < 0) return Error::sys("copy " + src + ": create " + dst);
    return copyTreeInto(srcFd, src, dst);
}

Result<CopyStats> copyTreeInto(int srcFd, const std::string& src, const std::string& dst) {
    UniqueFd in(::openat(srcFd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!in) return Error::sys("copy " + src + ": open it");
    struct statx sx;
    if (::statx(in.get(), "", AT_EMPTY_PATH | AT_STATX_SYNC_AS_STAT, STATX_BASIC_STATS, &sx) < 0)
        return Error::sys("copy " + src + ": read its attributes");
    UniqueFd out(::open(dst.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!out) return Error::sys("copy " + src + ": open " + dst);
    Walker w(out.get(), makedev(sx.stx_dev_major, sx.stx_dev_minor));
    if (auto st = w.copyDirContents(in.get(), out.get(), ""); !st)
        return std::move(st).error().wrap("copy " + src + " to " + dst);
    if (auto st = w.copyRootMeta(in.get(), out.get(), sx); !st)
        return std::move(st).error().wrap("copy " + src + " to " + dst + ": copy /");
    return w.stats;
}

}  // namespace xc::storage
