// Disk use of a container's own layer (xc-info "Disk use:", xc-ls DISK):
// allocated blocks of a tree walked by directory fds, never by paths, so a
// hostile rootfs can neither redirect the walk (symlinks are counted, not
// followed; every open is O_NOFOLLOW, relative to its parent's fd) nor
// make it count a file twice (hard links once, by device and inode).
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <utility>
#include <vector>

#include "storage/btrfs.hpp"
#include "xc/container.hpp"
#include "xc/fd.hpp"

namespace xc {

namespace {

// One fd per level of the walk; deeper than this is refused, not guessed.
constexpr size_t kMaxDepth = 512;

struct Walk {
    DiskUse use;
    std::set<std::pair<dev_t, ino_t>> linked;  // inodes with several names, counted once
    std::string root;

    void count(const struct stat& st) {
        if (!S_ISDIR(st.st_mode) && st.st_nlink > 1 && !linked.insert({st.st_dev, st.st_ino}).second) return;
        use.bytes += static_cast<uint64_t>(st.st_blocks) * 512;
        ++use.files;
    }
};

// The names in the directory at fd (the fd stays open; its stream is a dup).
Result<std::vector<std::string>> entries(int fd, const std::string& shown) {
    int dup = ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
    DIR* d = dup < 0 ? nullptr : ::fdopendir(dup);
    if (!d) {
        if (dup >= 0) ::close(dup);
        return Error::sys("read directory " + shown);
    }
    std::vector<std::string> names;
    errno = 0;
    while (struct dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) names.emplace_back(e->d_name);
        errno = 0;
    }
    int err = errno;
    ::closedir(d);
    if (err) return Error::sys(err, "read directory " + shown);
    return names;
}

Status walkDir(Walk& w, int fd, const std::string& shown, size_t depth, dev_t here) {
    if (depth > kMaxDepth)
        return Error::msg(shown + ": more than " + std::to_string(kMaxDepth) + " directories deep", ELOOP);
    XC_ASSIGN(auto names, entries(fd, shown));
    for (const auto& n : names) {
        struct stat st;
        if (::fstatat(fd, n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno == ENOENT) continue;  // removed meanwhile (a running container)
            return Error::sys("stat " + shown + "/" + n);
        }
        // Another file system mounted here is not this layer; a btrfs subvolume the container made is.
        if (st.st_dev != here && !storage::btrfs::isSubvolumeAt(fd, n.c_str())) continue;
        w.count(st);
        if (!S_ISDIR(st.st_mode)) continue;
        UniqueFd sub(::openat(fd, n.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!sub) {
            if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP) continue;  // replaced meanwhile
            return Error::sys("open " + shown + "/" + n);
        }
        XC_TRY(walkDir(w, sub.get(), shown + "/" + n, depth + 1, st.st_dev));
    }
    return {};
}

}  // namespace

Result<DiskUse> measureDiskUse(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return Error::sys("open " + dir);
    struct stat st;
    if (::fstat(fd.get(), &st) < 0) return Error::sys("stat " + dir);
    Walk w;
    w.count(st);
    XC_TRY(walkDir(w, fd.get(), dir, 1, st.st_dev));
    w.use.path = dir;
    return w.use;
}

Result<DiskUse> Container::diskUse() const {
    XC_ASSIGN(ContainerConfig cfg, config());
    std::string layer = cfg.rootfsBackend == "overlay" ? cfg.rootfsUpper : cfg.rootfsPath;
    if (layer.empty()) layer = paths_.defaultRootfs();
    return measureDiskUse(layer).ctx("disk use");
}

}  // namespace xc
