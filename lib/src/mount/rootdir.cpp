#include "mount/rootdir.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <vector>

namespace xc {

namespace {
int sysOpenat2(int dirfd, const char* path, int flags, mode_t mode, uint64_t resolve) {
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(flags);
    how.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0;
    how.resolve = resolve;
    return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}
constexpr uint64_t kResolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
}  // namespace

Result<std::string> normalizeRelPath(const std::string& path) {
    std::vector<std::string> parts;
    size_t pos = 0;
    while (pos <= path.size()) {
        size_t slash = path.find('/', pos);
        std::string part = path.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
        pos = slash == std::string::npos ? path.size() + 1 : slash + 1;
        if (part.empty() || part == ".") continue;
        if (part == "..") return Error::msg("path '" + path + "' must not contain '..'", EINVAL);
        parts.push_back(part);
    }
    std::string out;
    for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
    return out;
}

Result<RootDir> RootDir::open(const std::string& hostPath) {
    UniqueFd fd(::open(hostPath.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!fd) return Error::sys("open root filesystem " + hostPath);
    return fromFd(std::move(fd), hostPath);
}

RootDir RootDir::fromFd(UniqueFd fd, std::string shownAs) {
    RootDir r;
    r.fd_ = std::move(fd);
    r.shown_ = std::move(shownAs);
    return r;
}

Result<UniqueFd> RootDir::openIn(const std::string& relPath, int flags, mode_t mode) const {
    XC_ASSIGN(std::string rel, normalizeRelPath(relPath));
    if (rel.empty()) rel = ".";
    UniqueFd fd(sysOpenat2(fd_.get(), rel.c_str(), flags | O_CLOEXEC, mode, kResolve));
    if (!fd) return Error::sys("open /" + (rel == "." ? std::string() : rel) + " in " + shown_);
    return fd;
}

Result<UniqueFd> RootDir::makeDirs(const std::string& relPath, mode_t mode) const {
    XC_ASSIGN(std::string rel, normalizeRelPath(relPath));
    UniqueFd cur(::fcntl(fd_.get(), F_DUPFD_CLOEXEC, 0));
    if (!cur) return Error::sys("duplicate root fd");
    std::string done;
    size_t pos = 0;
    while (pos < rel.size()) {
        size_t slash = rel.find('/', pos);
        std::string part = rel.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
        pos = slash == std::string::npos ? rel.size() : slash + 1;
        done += (done.empty() ? "" : "/") + part;
        // Resolve the prefix from the root each step: an intermediate
        // symlink (var/run -> /run) is followed, but only inside the root.
        int fd = sysOpenat2(fd_.get(), done.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, kResolve);
        if (fd < 0 && errno == ENOENT) {
            if (::mkdirat(cur.get(), part.c_str(), mode) < 0 && errno != EEXIST)
                return Error::sys("create directory /" + done + " in " + shown_);
            fd = sysOpenat2(fd_.get(), done.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, kResolve);
        }
        if (fd < 0) return Error::sys("open directory /" + done + " in " + shown_);
        cur.reset(fd);
    }
    return cur;
}

Result<UniqueFd> RootDir::makeFile(const std::string& relPath, mode_t mode) const {
    XC_ASSIGN(std::string rel, normalizeRelPath(relPath));
    if (rel.empty()) return Error::msg("an empty path names no file", EINVAL);
    size_t slash = rel.rfind('/');
    std::string parent = slash == std::string::npos ? "" : rel.substr(0, slash);
    std::string base = slash == std::string::npos ? rel : rel.substr(slash + 1);
    XC_ASSIGN(UniqueFd dir, makeDirs(parent, 0755));
    // The last component is created or opened without following a symlink.
    UniqueFd made(::openat(dir.get(), base.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC, mode));
    if (!made && errno != EEXIST) return Error::sys("create file /" + rel + " in " + shown_);
    UniqueFd out(::openat(dir.get(), base.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!out) return Error::sys("open /" + rel + " in " + shown_);
    struct stat st;
    if (::fstat(out.get(), &st) < 0) return Error::sys("stat /" + rel + " in " + shown_);
    if (S_ISLNK(st.st_mode) || S_ISDIR(st.st_mode))
        return Error::sys(EEXIST, "mount target /" + rel + " in " + shown_ + " is not a file");
    return out;
}

Result<std::string> RootDir::readFile(const std::string& relPath) const {
    // Non-blocking and no symlink at the end: a FIFO, a device or a link
    // put there by the container is refused, never waited on.
    XC_ASSIGN(UniqueFd fd, openIn(relPath, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW));
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return Error::sys("stat /" + relPath + " in " + shown_);
    if (!S_ISREG(st.st_mode)) return Error::msg("/" + relPath + " in " + shown_ + ": not a regular file", EINVAL);
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::sys("read /" + relPath + " in " + shown_);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
        if (out.size() > (1 << 20)) return Error::msg("/" + relPath + " in " + shown_ + " is larger than 1 MiB", EFBIG);
    }
    return out;
}

}  // namespace xc
