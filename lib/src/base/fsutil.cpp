#include "base/fsutil.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "xc/fd.hpp"

namespace xc {

Status makeDirs(const std::string& path, mode_t mode) {
    if (path.empty()) return {};
    std::string cur;
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        cur = path.substr(0, pos);
        if (cur.empty()) continue;
        if (::mkdir(cur.c_str(), mode) < 0 && errno != EEXIST) return Error::sys("create directory " + cur);
    }
    struct stat st;
    if (::stat(path.c_str(), &st) < 0) return Error::sys("stat " + path);
    if (!S_ISDIR(st.st_mode)) return Error::sys(ENOTDIR, "create directory " + path);
    return {};
}

Status makeParentDirs(const std::string& path, mode_t mode) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos || slash == 0) return {};
    return makeDirs(path.substr(0, slash), mode);
}

Result<std::string> readFile(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return Error::sys("open " + path);
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd.get(), buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::sys("read " + path);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

Result<std::string> readRegularFd(int fd, const std::string& shown, size_t maxBytes) {
    struct stat st;
    if (::fstat(fd, &st) < 0) return Error::sys("stat " + shown);
    if (!S_ISREG(st.st_mode)) return Error::msg(shown + ": not a regular file", EINVAL);
    if (static_cast<uint64_t>(st.st_size) > maxBytes)
        return Error::msg(shown + ": " + std::to_string(st.st_size) + " bytes, more than the " +
                              std::to_string(maxBytes) + " allowed", EFBIG);
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::sys("read " + shown);
        }
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
        // A file that grows while we read is held to the same limit.
        if (out.size() > maxBytes)
            return Error::msg(shown + ": more than the " + std::to_string(maxBytes) + " bytes allowed", EFBIG);
    }
    return out;
}

Result<std::string> readRegularFile(const std::string& path, size_t maxBytes) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) return Error::sys("open " + path);
    return readRegularFd(fd.get(), path, maxBytes);
}

static Status writeAll(int fd, const std::string& data, const std::string& path) {
    size_t off = 0;
    while (off < data.size()) {
        ssize_t n = ::write(fd, data.data() + off, data.size() - off);
        if (n < 0) {
            if (errno == EINTR) continue;
            return Error::sys("write " + path);
        }
        off += static_cast<size_t>(n);
    }
    return {};
}

namespace {

Status replaceFile(const std::string& path, const std::string& data, mode_t mode, bool sync) {
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd) return Error::sys("create " + tmp);
    Status st = writeAll(fd.get(), data, tmp);
    if (st && sync && ::fsync(fd.get()) < 0) st = Error::sys("sync " + tmp);
    fd.reset();
    if (st && ::rename(tmp.c_str(), path.c_str()) < 0) st = Error::sys("rename " + tmp + " to " + path);
    if (!st) ::unlink(tmp.c_str());
    return st;
}

}  // namespace

Status writeFileAtomic(const std::string& path, const std::string& data, mode_t mode) {
    return replaceFile(path, data, mode, true);
}

Status writeRuntimeFileAtomic(const std::string& path, const std::string& data, mode_t mode) {
    return replaceFile(path, data, mode, false);
}

Status writeExisting(const std::string& path, const std::string& data) {
    UniqueFd fd(::open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return Error::sys("open " + path);
    ssize_t n = ::write(fd.get(), data.data(), data.size());
    if (n < 0) return Error::sys("write '" + trim(data) + "' to " + path);
    return {};
}

bool pathExists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

namespace {

// openat2 that follows no symbolic link (nor /proc magic link) anywhere.
int openNoLinks(int dirfd, const char* path, int flags, mode_t mode = 0) {
    struct open_how how = {};
    how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
    how.mode = (flags & O_CREAT) ? mode : 0;
    how.resolve = RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
    return static_cast<int>(::syscall(SYS_openat2, dirfd, path, &how, sizeof how));
}

// The first component of path that is a symbolic link, or "".
std::string firstSymlink(const std::string& path) {
    size_t pos = 0;
    while (pos != std::string::npos) {
        pos = path.find('/', pos + 1);
        std::string cur = path.substr(0, pos);
        struct stat st;
        if (cur.empty() || ::lstat(cur.c_str(), &st) < 0) continue;
        if (S_ISLNK(st.st_mode)) return cur;
    }
    return "";
}

// Errors name what in path went wrong, not path itself (the caller does).
Error linkRefused(const std::string& path) {
    std::string link = firstSymlink(path);
    if (link.empty() || link == path) return Error::msg("a symbolic link; name its target", ELOOP);
    return Error::msg("its component " + link + " is a symbolic link; name the real path", ELOOP);
}

// Checks what a no-links O_PATH open returned: a link in the last
// component comes back as a handle of the link itself.
Result<UniqueFd> checkedHandle(UniqueFd fd, const std::string& path, bool wantDir) {
    if (!fd) return errno == ELOOP ? linkRefused(path) : Error::sys(wantDir ? "open directory " + path : "open");
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return Error::sys("stat");
    if (S_ISLNK(st.st_mode)) return linkRefused(path);
    if (wantDir && !S_ISDIR(st.st_mode)) return Error::sys(ENOTDIR, "open directory " + path);
    return fd;
}

// An O_PATH handle of the directory dir, made (mode) where missing, one
// component at a time from the handle of the one before: never through a link.
Result<UniqueFd> openDirsNoFollow(const std::string& dir, mode_t mode) {
    UniqueFd whole(openNoLinks(AT_FDCWD, dir.c_str(), O_PATH | O_NOFOLLOW));
    if (whole || errno != ENOENT) return checkedHandle(std::move(whole), dir, true);
    bool absolute = dir[0] == '/';
    UniqueFd at(::open(absolute ? "/" : ".", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!at) return Error::sys("open directory " + dir);
    std::string walked = absolute ? "" : ".";
    size_t pos = 0;
    while (pos <= dir.size()) {
        size_t slash = dir.find('/', pos);
        std::string name = dir.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
        pos = slash == std::string::npos ? dir.size() + 1 : slash + 1;
        if (name.empty() || name == ".") continue;
        walked += "/" + name;
        if (::mkdirat(at.get(), name.c_str(), mode) < 0 && errno != EEXIST)
            return Error::sys("create directory " + walked);
        XC_ASSIGN(at, checkedHandle(UniqueFd(openNoLinks(at.get(), name.c_str(), O_PATH | O_NOFOLLOW)), walked, true));
    }
    return at;
}

}  // namespace

Result<UniqueFd> openPathNoFollow(const std::string& path) {
    return checkedHandle(UniqueFd(openNoLinks(AT_FDCWD, path.c_str(), O_PATH | O_NOFOLLOW)), path, false);
}

Result<DirEntry> openParentNoFollow(const std::string& path) {
    size_t slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (name.empty() || name == "." || name == "..") return Error::msg("not a file name", EISDIR);
    XC_ASSIGN(UniqueFd parent, openDirsNoFollow(dir, 0755));
    return DirEntry{std::move(parent), std::move(name)};
}

Result<UniqueFd> openAppendAt(int dir, const std::string& name, const std::string& shown, mode_t mode) {
    for (int tries = 0; tries < 8; ++tries) {
        UniqueFd h(openNoLinks(dir, name.c_str(), O_PATH | O_NOFOLLOW));
        if (!h && errno == ENOENT) {
            // Made here with O_EXCL (which never follows a link): a new regular file.
            UniqueFd made(openNoLinks(dir, name.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_EXCL, mode));
            if (made) return made;
            if (errno == EEXIST) continue;  // made by someone else meanwhile: look again
            return Error::sys("create");
        }
        XC_ASSIGN(h, checkedHandle(std::move(h), shown, false));
        struct stat st;
        if (::fstat(h.get(), &st) < 0) return Error::sys("stat");
        if (!S_ISREG(st.st_mode)) return Error::msg("not a regular file", EINVAL);
        // Opened for writing only now that it is known to be a regular file
        // (opening a device node can act), and through the handle, so the
        // file checked is the file opened whatever the name points to now.
        std::string held = "/proc/self/fd/" + std::to_string(h.get());
        UniqueFd fd(::open(held.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY));
        if (!fd) return Error::sys("open through " + held + " (is /proc mounted?)");
        return fd;
    }
    return Error::msg("replaced again and again while being opened", EAGAIN);
}

Result<UniqueFd> openAppendNoFollow(const std::string& path, mode_t mode) {
    XC_ASSIGN(DirEntry at, openParentNoFollow(path));
    return openAppendAt(at.dir.get(), at.name, path, mode);
}

std::string parentPath(const std::string& path) {
    size_t slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

std::string leafName(const std::string& path) {
    size_t slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

Result<UniqueFd> openReadNoFollow(const std::string& path) {
    XC_ASSIGN(UniqueFd h, openPathNoFollow(path));
    struct stat st;
    if (::fstat(h.get(), &st) < 0) return Error::sys("stat");
    if (!S_ISREG(st.st_mode)) return Error::msg("not a regular file", EINVAL);
    std::string held = "/proc/self/fd/" + std::to_string(h.get());
    UniqueFd fd(::open(held.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY));
    if (!fd) return Error::sys("open through " + held + " (is /proc mounted?)");
    return fd;
}

static Status removeAt(int dirfd, const char* name, dev_t dev, const std::string& shown, RemoveOtherDevice other) {
    struct stat st;
    if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return {};
        return Error::sys("stat " + shown);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (::unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) return Error::sys("remove " + shown);
        return {};
    }
    if (st.st_dev != dev) {
        if (other) {
            XC_ASSIGN(bool removed, other(dirfd, name, shown));
            if (removed) return {};
        }
        return Error::sys(EBUSY, "remove " + shown + " (another filesystem is mounted there)");
    }
    UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return Error::sys("open " + shown);
    UniqueDir dir(::fdopendir(fd.get()));
    if (!dir) return Error::sys("open " + shown);
    (void)fd.release();  // the stream owns it now
    Status result;
    while (struct dirent* de = ::readdir(dir.get())) {
        std::string n = de->d_name;
        if (n == "." || n == "..") continue;
        Status st2 = removeAt(::dirfd(dir.get()), de->d_name, dev, shown + "/" + n, other);
        if (!st2) {
            result = std::move(st2);
            break;
        }
    }
    dir.reset();
    if (!result) return result;
    if (::unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT) return Error::sys("remove " + shown);
    return {};
}

Status removeTree(const std::string& path, RemoveOtherDevice other) {
    struct stat st;
    if (::lstat(path.c_str(), &st) < 0) {
        if (errno == ENOENT) return {};
        return Error::sys("stat " + path);
    }
    return removeAt(AT_FDCWD, path.c_str(), st.st_dev, path, other);
}

Status removeTreeAt(int dirFd, const std::string& name, const std::string& shown, RemoveOtherDevice other) {
    struct stat st;
    if (::fstatat(dirFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return {};
        return Error::sys("stat " + shown);
    }
    return removeAt(dirFd, name.c_str(), st.st_dev, shown, other);
}

Result<std::vector<std::string>> listDir(const std::string& path) {
    UniqueDir dir(::opendir(path.c_str()));
    if (!dir) return Error::sys("open directory " + path);
    std::vector<std::string> names;
    while (struct dirent* de = ::readdir(dir.get())) {
        std::string n = de->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    return names;
}

Result<std::vector<std::string>> listDirAt(int dirFd) {
    int dup = ::fcntl(dirFd, F_DUPFD_CLOEXEC, 0);
    if (dup < 0) return Error::sys("duplicate a directory fd");
    UniqueDir d(::fdopendir(dup));
    if (!d) {
        int err = errno;
        ::close(dup);
        return Error::sys(err, "read the directory");
    }
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* de = ::readdir(d.get())) {
        std::string n = de->d_name;
        if (n != "." && n != "..") names.push_back(std::move(n));
        errno = 0;
    }
    if (errno) return Error::sys("read the directory");
    return names;
}

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

}  // namespace xc
