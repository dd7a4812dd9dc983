#include "image/tree_digest.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "base/fsutil.hpp"
#include "image/digest.hpp"
#include "xc/fd.hpp"

namespace xc::image {

namespace {

// Each field length-prefixed, so that no two trees share a byte stream.
void field(std::string& rec, const std::string& s) {
    rec += std::to_string(s.size());
    rec += ':';
    rec += s;
}

Result<std::vector<std::string>> sortedNames(int dirFd) {
    XC_ASSIGN(auto names, listDirAt(dirFd));
    std::sort(names.begin(), names.end());
    return names;
}

// name=value of every xattr of `name` in dirFd ("" for the directory
// itself), sorted, reached through /proc/self/fd with the l* calls: no
// symlink is followed and devices are never opened.
Result<std::string> xattrsOf(int dirFd, const std::string& name) {
    const std::string p = "/proc/self/fd/" + std::to_string(dirFd) + (name.empty() ? "" : "/" + name);
    std::vector<char> list;
    for (;;) {
        ssize_t n = ::llistxattr(p.c_str(), nullptr, 0);
        if (n < 0) {
            if (errno == ENOTSUP) return std::string();
            return Error::sys("list its extended attributes");
        }
        list.resize(static_cast<size_t>(n));
        if (n == 0) return std::string();
        ssize_t got = ::llistxattr(p.c_str(), list.data(), list.size());
        if (got >= 0) {
            list.resize(static_cast<size_t>(got));
            break;
        }
        if (errno != ERANGE) return Error::sys("list its extended attributes");
    }
    std::vector<std::string> keys;
    for (size_t i = 0; i < list.size();) {
        std::string k(list.data() + i);
        i += k.size() + 1;
        if (!k.empty()) keys.push_back(std::move(k));
    }
    std::sort(keys.begin(), keys.end());
    std::string out;
    for (const auto& k : keys) {
        std::vector<char> v;
        ssize_t n = ::lgetxattr(p.c_str(), k.c_str(), nullptr, 0);
        if (n < 0) return Error::sys("read its extended attribute " + k);
        v.resize(static_cast<size_t>(n));
        n = ::lgetxattr(p.c_str(), k.c_str(), v.data(), v.size());
        if (n < 0) return Error::sys("read its extended attribute " + k);
        field(out, k);
        field(out, std::string(v.data(), static_cast<size_t>(n)));
    }
    return out;
}

class Hasher {
public:
    explicit Hasher(dev_t dev) : dev_(dev) {}
    Status dir(int fd, const std::string& rel);
    Status root(int fd);
    TreeDigest done() {
        out_.sha256 = sum_.hex();
        return out_;
    }

private:
    Status entry(int dirFd, const std::string& name, const std::string& rel);
    std::string common(const std::string& rel, const struct stat& st, const std::string& xattrs);
    Result<std::string> content(int fd);

    dev_t dev_;
    Sha256 sum_;
    TreeDigest out_;
    std::map<std::pair<dev_t, ino_t>, std::string> seen_;
};

std::string Hasher::common(const std::string& rel, const struct stat& st, const std::string& xattrs) {
    std::string rec;
    field(rec, "/" + rel);
    field(rec, std::to_string(st.st_mode));
    field(rec, std::to_string(st.st_uid) + ":" + std::to_string(st.st_gid));
    field(rec, std::to_string(st.st_mtim.tv_sec) + "." + std::to_string(st.st_mtim.tv_nsec));
    field(rec, xattrs);
    return rec;
}

Result<std::string> Hasher::content(int fd) {
    Sha256 h;
    std::vector<char> buf(1u << 20);
    for (;;) {
        ssize_t n = ::read(fd, buf.data(), buf.size());
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::sys("read its data");
        }
        if (n == 0) break;
        h.update(buf.data(), static_cast<size_t>(n));
        out_.bytes += static_cast<uint64_t>(n);
    }
    return h.hex();
}

Status Hasher::root(int fd) {
    struct stat st;
    if (::fstat(fd, &st) < 0) return Error::sys("read the attributes of the tree's root");
    XC_ASSIGN(std::string xattrs, xattrsOf(fd, ""));
    std::string rec = common("", st, xattrs);
    sum_.update(rec.data(), rec.size());
    ++out_.objects;
    return dir(fd, "");
}

Status Hasher::dir(int fd, const std::string& rel) {
    XC_ASSIGN(auto names, sortedNames(fd));
    for (const auto& n : names) {
        const std::string r = rel.empty() ? n : rel + "/" + n;
        if (auto st = entry(fd, n, r); !st) return std::move(st).error().wrap("/" + r);
    }
    return {};
}

Status Hasher::entry(int dirFd, const std::string& name, const std::string& rel) {
    struct stat st;
    if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return Error::sys("read its attributes");
    if (st.st_dev != dev_) return Error::msg("a mount point inside the tree: refused", EXDEV);
    XC_ASSIGN(std::string xattrs, xattrsOf(dirFd, name));
    std::string rec = common(rel, st, xattrs);
    ++out_.objects;
    if (S_ISDIR(st.st_mode)) {
        UniqueFd fd(::openat(dirFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!fd) return Error::sys("open the directory");
        struct stat again;
        if (::fstat(fd.get(), &again) < 0 || again.st_ino != st.st_ino || again.st_dev != st.st_dev)
            return Error::msg("it changed while it was read", EAGAIN);
        sum_.update(rec.data(), rec.size());
        return dir(fd.get(), rel);
    }
    if (!S_ISDIR(st.st_mode) && st.st_nlink > 1) {
        auto key = std::make_pair(st.st_dev, st.st_ino);
        if (auto it = seen_.find(key); it != seen_.end()) {
            field(rec, "link");
            field(rec, it->second);
            sum_.update(rec.data(), rec.size());
            return {};
        }
        seen_.emplace(key, "/" + rel);
    }
    if (S_ISREG(st.st_mode)) {
        UniqueFd fd(::openat(dirFd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC));
        if (!fd) return Error::sys("open the file");
        struct stat again;
        if (::fstat(fd.get(), &again) < 0 || again.st_ino != st.st_ino || !S_ISREG(again.st_mode))
            return Error::msg("it changed while it was read", EAGAIN);
        XC_ASSIGN(std::string sha, content(fd.get()));
        field(rec, std::to_string(st.st_size));
        field(rec, sha);
    } else if (S_ISLNK(st.st_mode)) {
        std::vector<char> buf(static_cast<size_t>(st.st_size) + 2);
        ssize_t n = ::readlinkat(dirFd, name.c_str(), buf.data(), buf.size());
        if (n < 0) return Error::sys("read the link");
        field(rec, std::string(buf.data(), static_cast<size_t>(n)));
    } else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
        field(rec, std::to_string(major(st.st_rdev)) + ":" + std::to_string(minor(st.st_rdev)));
    }
    sum_.update(rec.data(), rec.size());
    return {};
}

}  // namespace

Result<TreeDigest> digestTree(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return Error::sys("open the tree " + dir);
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return Error::sys("read the attributes of " + dir);
    Hasher h(st.st_dev);
    XC_TRY(h.root(fd.get()).ctx("digest of the tree " + dir));
    return h.done();
}

}  // namespace xc::image
