// Disk use of a tree (treeusage.hpp).
#include "storage/treeusage.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <set>
#include <utility>

#include "base/fsutil.hpp"
#include "storage/btrfs.hpp"

namespace xc::storage {

namespace {

struct Walk {
    std::set<std::pair<dev_t, ino_t>> linked;
    uint64_t bytes = 0;
};

Status walkDir(int fd, const std::string& shown, Walk& w, int depth, dev_t here) {
    if (depth > 4096) return Error::msg(shown + ": nested too deep", ELOOP);
    UniqueDir d(::fdopendir(fd));
    if (!d) {
        ::close(fd);
        return Error::sys("read " + shown);
    }
    while (dirent* e = ::readdir(d.get())) {
        std::string n = e->d_name;
        if (n == "." || n == "..") continue;
        struct stat st;
        if (::fstatat(::dirfd(d.get()), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) continue;  // gone meanwhile
            return Error::sys("stat " + shown + "/" + n);
        }
        if (st.st_dev != here && !btrfs::isSubvolumeAt(::dirfd(d.get()), e->d_name)) continue;  // another mount
        if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && !w.linked.insert({st.st_dev, st.st_ino}).second) continue;
        w.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
        if (!S_ISDIR(st.st_mode)) continue;
        int sub = ::openat(::dirfd(d.get()), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (sub < 0) return Error::sys("open " + shown + "/" + n);
        XC_TRY(walkDir(sub, shown + "/" + n, w, depth + 1, st.st_dev));
    }
    return {};
}

}  // namespace

Result<uint64_t> treeUsage(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return Error::sys("open " + dir);
    struct stat st;
    if (::fstat(fd, &st) < 0) {
        ::close(fd);
        return Error::sys("stat " + dir);
    }
    Walk w;
    w.bytes = static_cast<uint64_t>(st.st_blocks) * 512;
    XC_TRY(walkDir(fd, dir, w, 0, st.st_dev));
    return w.bytes;
}

}  // namespace xc::storage
