#include "image/unpack.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <dirent.h>

#include <cstring>
#include <set>

#include "image/archive.hpp"
#include "base/fsutil.hpp"
#include "image/unpack_internal.hpp"
#include "xc/fd.hpp"

namespace xc::image {

using detail::openBeneath;

Result<std::string> memberPath(const std::string& raw) {
    if (!raw.empty() && raw[0] == '/') return Error::msg("an absolute path: refused", EINVAL);
    std::string out;
    size_t i = 0;
    while (i <= raw.size()) {
        size_t j = raw.find('/', i);
        if (j == std::string::npos) j = raw.size();
        std::string comp = raw.substr(i, j - i);
        i = j + 1;
        if (comp.empty() || comp == ".") continue;
        if (comp == "..") return Error::msg("a '..' component: refused", EINVAL);
        if (!out.empty()) out += '/';
        out += comp;
    }
    return out;
}

namespace {

struct Deferred {
    std::string path;
    mode_t mode;
    struct timespec times[2];
};

const char* kindOf(mode_t type, bool hardLink) {
    if (hardLink) return "hard link";
    switch (type) {
        case AE_IFREG: return "file";
        case AE_IFDIR: return "directory";
        case AE_IFLNK: return "symbolic link";
        case AE_IFCHR: return "character device";
        case AE_IFBLK: return "block device";
        case AE_IFIFO: return "FIFO";
        case AE_IFSOCK: return "socket";
        default: return "member of an unknown type";
    }
}

void entryTimes(archive_entry* e, struct timespec ts[2]) {
    ts[1] = {archive_entry_mtime(e), archive_entry_mtime_nsec(e)};
    ts[0] = archive_entry_atime_is_set(e) ? timespec{archive_entry_atime(e), archive_entry_atime_nsec(e)} : ts[1];
}

class Unpacker {
public:
    Unpacker(ArchiveReader& ar, int root, const UnpackOptions& o) : ar_(ar), root_(root), opt_(o) {}
    Status member(archive_entry* e);
    Status finish();
    UnpackStats stats;

private:
    bool excluded(const std::string& path) const;
    Result<int> parentFd(const std::string& parent);
    Status directory(int pfd, const std::string& path, const std::string& leaf, archive_entry* e, bool exists);
    Status regular(int pfd, const std::string& leaf, archive_entry* e);
    Status hardLink(int pfd, const std::string& leaf, const std::string& target);
    Status special(int pfd, const std::string& leaf, archive_entry* e, mode_t type);
    Status writeData(int fd, int64_t size);
    Status whiteout(int pfd, const std::string& parent, const std::string& leaf);
    Status opaque(int pfd, const std::string& parent);

    ArchiveReader& ar_;
    int root_;
    const UnpackOptions& opt_;
    std::string cachedPath_;
    UniqueFd cached_;
    std::vector<Deferred> dirs_;
    // What this unpack made (Whiteouts::Apply): an opaque directory keeps
    // these and hides the rest, which lower layers made.
    std::set<std::string> made_;
};

bool Unpacker::excluded(const std::string& path) const {
    for (const auto& pat : opt_.excludes) {
        for (size_t end = path.find('/');; end = path.find('/', end + 1)) {
            if (::fnmatch(pat.c_str(), path.substr(0, end).c_str(), 0) == 0) return true;
            if (end == std::string::npos) break;
        }
    }
    return false;
}

// The parent directory of a member, made if missing (0755, as tar does),
// each step looked up beneath the rootfs. The last one is kept: members
// come directory by directory.
Result<int> Unpacker::parentFd(const std::string& parent) {
    if (cached_ && parent == cachedPath_) return cached_.get();
    cached_.reset();
    auto fd = openBeneath(root_, parent, O_PATH | O_DIRECTORY);
    if (!fd && fd.error().code() == ENOENT) {
        for (size_t end = parent.find('/');; end = parent.find('/', end + 1)) {
            std::string prefix = parent.substr(0, end);
            auto step = openBeneath(root_, prefix, O_PATH | O_DIRECTORY);
            if (!step && step.error().code() == ENOENT) {
                size_t slash = prefix.rfind('/');
                XC_ASSIGN(int up, openBeneath(root_, slash == std::string::npos ? "" : prefix.substr(0, slash),
                                              O_PATH | O_DIRECTORY));
                UniqueFd upFd(up);
                std::string leaf = slash == std::string::npos ? prefix : prefix.substr(slash + 1);
                if (::mkdirat(upFd.get(), leaf.c_str(), 0755) != 0 && errno != EEXIST)
                    return Error::sys("make directory " + prefix);
                ++stats.directories;
                made_.insert(prefix);
            } else if (!step) {
                return std::move(step).error();
            } else {
                ::close(*step);
            }
            if (end == std::string::npos) break;
        }
        fd = openBeneath(root_, parent, O_PATH | O_DIRECTORY);
    }
    if (!fd) return std::move(fd).error();
    cached_.reset(*fd);
    cachedPath_ = parent;
    return cached_.get();
}

Status Unpacker::member(archive_entry* e) {
    const char* raw = archive_entry_pathname(e);
    XC_ASSIGN(std::string path, memberPath(raw ? raw : ""));
    if (excluded(path)) {
        ++stats.excluded;
        return {};
    }
    mode_t type = archive_entry_filetype(e);
    const char* hl = archive_entry_hardlink(e);
    if (path.empty()) {
        if (type != AE_IFDIR || hl) return Error::msg(std::string("the rootfs itself as a ") + kindOf(type, hl) + ": refused");
        return directory(root_, "", "", e, true);
    }
    size_t slash = path.rfind('/');
    std::string parent = slash == std::string::npos ? "" : path.substr(0, slash);
    std::string leaf = slash == std::string::npos ? path : path.substr(slash + 1);
    XC_ASSIGN(int pfd, parentFd(parent));
    if (opt_.whiteouts != Whiteouts::Keep && leaf.rfind(".wh.", 0) == 0) return whiteout(pfd, parent, leaf);
    made_.insert(path);
    struct stat st;
    bool exists = ::fstatat(pfd, leaf.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    if (exists && S_ISDIR(st.st_mode)) {
        if (type == AE_IFDIR && !hl) return directory(pfd, path, leaf, e, true);
        // A layer may replace a directory of the layers below it.
        if (opt_.whiteouts != Whiteouts::Apply)
            return Error::msg(std::string("would replace a directory with a ") + kindOf(type, hl) + ": refused", EEXIST);
        XC_TRY(removeTreeAt(pfd, leaf, "the directory it replaces"));
        cached_.reset();
        exists = false;
    }
    if (exists && ::unlinkat(pfd, leaf.c_str(), 0) != 0) return Error::sys("replace the existing one");
    if (hl) {
        auto target = memberPath(hl);
        if (!target) return std::move(target).error().wrap(std::string("hard link target ") + hl);
        return hardLink(pfd, leaf, *target);
    }
    switch (type) {
        case AE_IFDIR: return directory(pfd, path, leaf, e, false);
        case AE_IFREG: return regular(pfd, leaf, e);
        case AE_IFLNK: {
            const char* target = archive_entry_symlink(e);
            if (::symlinkat(target ? target : "", pfd, leaf.c_str()) != 0) return Error::sys("make symbolic link");
            ++stats.symlinks;
            Status s = detail::applyMetaAt(pfd, leaf, e, stats);
            // A link may now stand where a cached parent's path went through.
            cached_.reset();
            return s;
        }
        default: return special(pfd, leaf, e, type);
    }
}

Status Unpacker::directory(int pfd, const std::string& path, const std::string& leaf, archive_entry* e, bool exists) {
    if (!exists) {
        if (::mkdirat(pfd, leaf.c_str(), 0700) != 0) return Error::sys("make directory");
        ++stats.directories;
    }
    UniqueFd fd;
    if (path.empty()) {
        fd.reset(::fcntl(root_, F_DUPFD_CLOEXEC, 0));
    } else {
        XC_ASSIGN(int d, openBeneath(pfd, leaf, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
        fd.reset(d);
    }
    XC_TRY(detail::applyMetaFd(fd.get(), e, true, stats));
    Deferred d{path, archive_entry_perm(e), {}};
    entryTimes(e, d.times);
    dirs_.push_back(std::move(d));
    return {};
}

Status Unpacker::writeData(int fd, int64_t size) {
    const void* buf;
    size_t len;
    la_int64_t off;
    int64_t end = 0;
    for (;;) {
        int rc = archive_read_data_block(ar_.get(), &buf, &len, &off);
        if (rc == ARCHIVE_EOF) break;
        if (rc < ARCHIVE_WARN) return Error::msg("read data: " + ar_.errorText(), EIO);
        const char* p = static_cast<const char*>(buf);
        while (len > 0) {
            ssize_t n = ::pwrite(fd, p, len, off);
            if (n < 0) {
                if (errno == EINTR) continue;
                return Error::sys("write data");
            }
            p += n, len -= static_cast<size_t>(n), off += n;
            stats.bytes += static_cast<uint64_t>(n);
        }
        end = off;
        if (opt_.progress) opt_.progress(static_cast<uint64_t>(archive_filter_bytes(ar_.get(), -1)));
    }
    if (end < size && ::ftruncate(fd, size) != 0) return Error::sys("set size");
    return {};
}

Status Unpacker::regular(int pfd, const std::string& leaf, archive_entry* e) {
    UniqueFd fd(::openat(pfd, leaf.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
    if (!fd) return Error::sys("create file");
    XC_TRY(writeData(fd.get(), archive_entry_size(e)));
    XC_TRY(detail::applyMetaFd(fd.get(), e, false, stats));
    struct timespec ts[2];
    entryTimes(e, ts);
    if (::futimens(fd.get(), ts) != 0) return Error::sys("set times");
    ++stats.files;
    return {};
}

Status Unpacker::hardLink(int pfd, const std::string& leaf, const std::string& target) {
    size_t slash = target.rfind('/');
    std::string tparent = slash == std::string::npos ? "" : target.substr(0, slash);
    std::string tleaf = slash == std::string::npos ? target : target.substr(slash + 1);
    if (tleaf.empty()) return Error::msg("hard link to the rootfs itself: refused", EINVAL);
    auto tp = openBeneath(root_, tparent, O_PATH | O_DIRECTORY);
    if (!tp) return std::move(tp).error().wrap("hard link target " + target);
    UniqueFd tfd(*tp);
    if (::linkat(tfd.get(), tleaf.c_str(), pfd, leaf.c_str(), 0) != 0)
        return Error::sys("link to " + target);
    ++stats.hardLinks;
    return {};
}

Status Unpacker::special(int pfd, const std::string& leaf, archive_entry* e, mode_t type) {
    if (type != AE_IFCHR && type != AE_IFBLK && type != AE_IFIFO && type != AE_IFSOCK)
        return Error::msg(std::string("a ") + kindOf(type, false) + ": refused", EINVAL);
    dev_t dev = makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
    if (::mknodat(pfd, leaf.c_str(), type | 0600, dev) != 0) {
        if ((type == AE_IFCHR || type == AE_IFBLK) && errno == EPERM && ::geteuid() != 0) {
            ++stats.skippedDevices;
            return {};
        }
        return Error::sys(std::string("make ") + kindOf(type, false));
    }
    ++stats.specials;
    return detail::applyMetaAt(pfd, leaf, e, stats);
}

// An OCI whiteout in a layer: ".wh.NAME" deletes NAME of the layers below,
// ".wh..wh..opq" hides everything they put in the directory; other
// ".wh..wh." names are AUFS's own bookkeeping and mean nothing here.
Status Unpacker::whiteout(int pfd, const std::string& parent, const std::string& leaf) {
    if (leaf == ".wh..wh..opq") return opaque(pfd, parent);
    if (leaf.rfind(".wh..wh.", 0) == 0) return {};
    const std::string target = leaf.substr(4);
    if (target.empty() || target == "." || target == "..") return Error::msg("a whiteout of nothing: refused", EINVAL);
    const std::string shown = (parent.empty() ? "" : parent + "/") + target;
    ++stats.whiteouts;
    if (opt_.whiteouts == Whiteouts::Apply) {
        if (made_.count(shown)) return Error::msg("a whiteout of " + shown + ", which this layer itself made: refused", EINVAL);
        XC_TRY(removeTreeAt(pfd, target, shown));
        cached_.reset();
        return {};
    }
    if (::mknodat(pfd, target.c_str(), S_IFCHR | 0, makedev(0, 0)) != 0) return Error::sys("make the whiteout of " + shown);
    return {};
}

Status Unpacker::opaque(int pfd, const std::string& parent) {
    ++stats.opaqueDirs;
    if (opt_.whiteouts == Whiteouts::Overlay) {
        XC_ASSIGN(int d, openBeneath(root_, parent, O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
        UniqueFd dir(d);
        if (::fsetxattr(dir.get(), "user.overlay.opaque", "y", 1, 0) != 0) return Error::sys("mark the directory opaque");
        return {};
    }
    XC_ASSIGN(int d, openBeneath(pfd, "", O_RDONLY | O_DIRECTORY));
    UniqueFd dir(d);
    std::vector<std::string> names;
    {
        UniqueDir stream(::fdopendir(::fcntl(dir.get(), F_DUPFD_CLOEXEC, 0)));
        if (!stream) return Error::sys("read the opaque directory");
        while (struct dirent* de = ::readdir(stream.get()))
            if (std::strcmp(de->d_name, ".") != 0 && std::strcmp(de->d_name, "..") != 0) names.push_back(de->d_name);
    }
    for (const auto& n : names) {
        const std::string path = (parent.empty() ? "" : parent + "/") + n;
        if (!made_.count(path)) XC_TRY(removeTreeAt(dir.get(), n, path));
    }
    cached_.reset();
    return {};
}

// Directory modes and times last, deepest first: their contents are there.
Status Unpacker::finish() {
    for (auto it = dirs_.rbegin(); it != dirs_.rend(); ++it) {
        UniqueFd fd;
        if (it->path.empty()) {
            fd.reset(::fcntl(root_, F_DUPFD_CLOEXEC, 0));
        } else {
            auto d = openBeneath(root_, it->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
            if (!d) return std::move(d).error().wrap("member " + it->path);
            fd.reset(*d);
        }
        if (::fchmod(fd.get(), it->mode) != 0) return Error::sys("member " + it->path + "/: set mode");
        if (::futimens(fd.get(), it->times) != 0) return Error::sys("member " + it->path + "/: set times");
    }
    return {};
}

}  // namespace

Result<UnpackStats> unpackTarball(const std::string& archivePath, int rootFd, const UnpackOptions& options) {
    const std::string what = "unpack " + archivePath;
    auto ar = options.hashTar ? ArchiveReader::openFileHashing(archivePath) : ArchiveReader::openFile(archivePath);
    if (!ar) return std::move(ar).error().wrap(what);
    Unpacker u(*ar, rootFd, options);
    for (;;) {
        auto e = ar->next();
        if (!e) return std::move(e).error().wrap(what);
        if (!*e) break;
        const char* name = archive_entry_pathname(*e);
        Status s = u.member(*e);
        if (!s) return std::move(s).error().wrap(what + ": member " + (name ? name : "(no name)"));
    }
    XC_TRY_CTX(u.finish(), what);
    if (options.hashTar) {
        XC_ASSIGN(auto digests, ar->finishHashing().ctx(what));
        u.stats.tarSha256 = digests.tar;
        u.stats.fileSha256 = digests.file;
    }
    return u.stats;
}

}  // namespace xc::image
