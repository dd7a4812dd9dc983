#include "base/fsutil.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
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

Result<std::string> readRegularFile(const std::string& path, size_t maxBytes) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) return Error::sys("open " + path);
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return Error::sys("stat " + path);
    if (!S_ISREG(st.st_mode)) return Error::msg(path + ": not a regular file", EINVAL);
    if (static_cast<uint64_t>(st.st_size) > maxBytes)
        return Error::msg(path + ": " + std::to_string(st.st_size) + " bytes, more than the " +
                              std::to_string(maxBytes) + " allowed", EFBIG);
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
        // A file that grows while we read is held to the same limit.
        if (out.size() > maxBytes)
            return Error::msg(path + ": more than the " + std::to_string(maxBytes) + " bytes allowed", EFBIG);
    }
    return out;
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

Status writeFileAtomic(const std::string& path, const std::string& data, mode_t mode) {
    std::string tmp = path + ".tmp." + std::to_string(::getpid());
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode));
    if (!fd) return Error::sys("create " + tmp);
    Status st = writeAll(fd.get(), data, tmp);
    if (st && ::fsync(fd.get()) < 0) st = Error::sys("sync " + tmp);
    fd.reset();
    if (st && ::rename(tmp.c_str(), path.c_str()) < 0) st = Error::sys("rename " + tmp + " to " + path);
    if (!st) ::unlink(tmp.c_str());
    return st;
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

static Status removeAt(int dirfd, const char* name, dev_t dev, const std::string& shown) {
    struct stat st;
    if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
        if (errno == ENOENT) return {};
        return Error::sys("stat " + shown);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (::unlinkat(dirfd, name, 0) < 0 && errno != ENOENT) return Error::sys("remove " + shown);
        return {};
    }
    if (st.st_dev != dev) return Error::sys(EBUSY, "remove " + shown + " (another filesystem is mounted there)");
    UniqueFd fd(::openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return Error::sys("open " + shown);
    UniqueDir dir(::fdopendir(fd.get()));
    if (!dir) return Error::sys("open " + shown);
    (void)fd.release();  // the stream owns it now
    Status result;
    while (struct dirent* de = ::readdir(dir.get())) {
        std::string n = de->d_name;
        if (n == "." || n == "..") continue;
        Status st2 = removeAt(::dirfd(dir.get()), de->d_name, dev, shown + "/" + n);
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

Status removeTree(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) < 0) {
        if (errno == ENOENT) return {};
        return Error::sys("stat " + path);
    }
    return removeAt(AT_FDCWD, path.c_str(), st.st_dev, path);
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

std::string trim(const std::string& s) {
    size_t b = s.find_first_not_of(" \t\r\n");
    if (b == std::string::npos) return "";
    size_t e = s.find_last_not_of(" \t\r\n");
    return s.substr(b, e - b + 1);
}

}  // namespace xc
