// The overlay backend (overlay.hpp).
#include "storage/overlay.hpp"

#include <fcntl.h>
#include <linux/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/fsutil.hpp"
#include "mount/mount.hpp"

namespace xc::storage {

namespace {

int fsconfigFd(int fs, const char* key, int fd) {
    return static_cast<int>(::syscall(SYS_fsconfig, fs, FSCONFIG_SET_FD, key, nullptr, fd));
}

int fsconfigFlag(int fs, const char* key) {
    return static_cast<int>(::syscall(SYS_fsconfig, fs, FSCONFIG_SET_FLAG, key, nullptr, 0));
}

// What the filesystem context logged ("e overlayfs: ..."), for the error.
std::string contextLog(int fs) {
    std::string out;
    char buf[512];
    for (;;) {
        ssize_t n = ::read(fs, buf, sizeof buf - 1);
        if (n <= 0) break;
        buf[n] = '\0';
        std::string line(buf, static_cast<size_t>(n));
        while (!line.empty() && line.back() == '\n') line.pop_back();
        if (line.size() > 2 && line[1] == ' ') line = line.substr(2);
        out += (out.empty() ? "" : "; ") + line;
    }
    return out;
}

Error withLog(Error e, int fs) {
    std::string log = contextLog(fs);
    return log.empty() ? e : std::move(e).withHint("the kernel says: " + log);
}

Result<UniqueFd> openDir(int dirfd, const std::string& path) {
    UniqueFd fd(::openat(dirfd, path.c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!fd) return Error::sys("open layer " + path);
    return fd;
}

}  // namespace

std::string Layout::layerDir() const { return parentPath(upper); }

std::string Layout::work() const { return layerDir() + "/work"; }

std::vector<std::string> Layout::idmapPaths() const {
    std::vector<std::string> out = lower;
    out.push_back(layerDir());
    return out;
}

Result<OverlayLayers> openLayers(const Layout& l, std::vector<UniqueFd> idmapped) {
    OverlayLayers out;
    out.shown = "overlay of ";
    for (size_t i = 0; i < l.lower.size(); ++i) out.shown += (i ? ":" : "") + l.lower[i];
    out.shown += " under " + l.upper;
    std::vector<std::string> paths = l.idmapPaths();
    if (!idmapped.empty() && idmapped.size() != paths.size())
        return Error::msg("mount " + out.shown + ": " + std::to_string(idmapped.size()) + " idmapped layers for " +
                              std::to_string(paths.size()),
                          EPROTO);
    // Every target is opened before any is covered.
    std::vector<UniqueFd> targets;
    for (const auto& p : paths) {
        XC_ASSIGN(UniqueFd t, openDir(AT_FDCWD, p));
        targets.push_back(std::move(t));
    }
    UniqueFd layerDir;
    if (idmapped.empty()) {
        layerDir = std::move(targets.back());
        targets.pop_back();
        out.lower = std::move(targets);
    } else {
        for (size_t i = 0; i < paths.size(); ++i)
            XC_TRY(attachMount(idmapped[i].get(), targets[i].get(), paths[i]).ctx("attach idmapped layer"));
        layerDir = std::move(idmapped.back());
        idmapped.pop_back();
        out.lower = std::move(idmapped);
    }
    XC_ASSIGN(out.upper, openDir(layerDir.get(), leafName(l.upper)));
    XC_ASSIGN(out.work, openDir(layerDir.get(), "work"));
    return out;
}

FsParams overlayParams(const Layout& l) {
    FsParams out;
    for (const auto& lower : l.lower) out.emplace_back("lowerdir+", lower);
    out.emplace_back("upperdir", l.upper);
    out.emplace_back("workdir", l.work());
    // Whiteouts and opaque dirs as user.overlay.* xattrs: one layer serves
    // privileged and unprivileged mounts alike.
    out.emplace_back("userxattr", "");
    return out;
}

Result<UniqueFd> mountOverlay(const OverlayLayers& layers, const FsParams& params) {
    UniqueFd fs(static_cast<int>(::syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC)));
    if (!fs) return Error::sys("mount " + layers.shown + ": open an overlay filesystem context");
    size_t lower = 0;
    for (const auto& [key, value] : params) {
        int fd = -1;
        if (key == "lowerdir+") fd = lower < layers.lower.size() ? layers.lower[lower++].get() : -1;
        else if (key == "upperdir") fd = layers.upper.get();
        else if (key == "workdir") fd = layers.work.get();
        int rc;
        if (key == "lowerdir+" || key == "upperdir" || key == "workdir") {
            if (fd < 0) return Error::msg("mount " + layers.shown + ": the plan names more lower layers than were opened", EPROTO);
            rc = fsconfigFd(fs.get(), key.c_str(), fd);
        } else if (value.empty()) {
            rc = fsconfigFlag(fs.get(), key.c_str());
        } else {
            rc = static_cast<int>(::syscall(SYS_fsconfig, fs.get(), FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0));
        }
        if (rc < 0) return withLog(Error::sys("mount " + layers.shown + ": set " + key + (value.empty() ? "" : " " + value)), fs.get());
    }
    if (lower != layers.lower.size())
        return Error::msg("mount " + layers.shown + ": the plan names fewer lower layers than were opened", EPROTO);
    if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
        return withLog(Error::sys("mount " + layers.shown), fs.get());
    UniqueFd mnt(static_cast<int>(::syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, 0)));
    if (!mnt) return withLog(Error::sys("mount " + layers.shown + ": fsmount"), fs.get());
    return mnt;
}

Result<UniqueFd> mountDetached(const Layout& l) {
    XC_ASSIGN(OverlayLayers layers, openLayers(l, {}));
    return mountOverlay(layers, overlayParams(l));
}

Result<UniqueFd> mountDetachedVolatile(const Layout& l) {
    XC_ASSIGN(OverlayLayers layers, openLayers(l, {}));
    FsParams params = overlayParams(l);
    params.emplace_back("volatile", "");
    return mountOverlay(layers, params);
}

Status clearVolatileMark(const Layout& l) {
    // The kernel's own scratch directory (WORK/work, made anew at every
    // mount) holds the mark: incompat/volatile/dirty.
    const std::string incompat = l.work() + "/work/incompat";
    if (!pathExists(incompat)) return {};
    return xc::removeTree(incompat).ctx("clear the volatile mark of " + l.layerDir());
}

Result<UniqueFd> mountReadOnlyStack(const std::vector<std::string>& layers, Whiteouts whiteouts) {
    std::string shown = "overlay of ";
    for (size_t i = 0; i < layers.size(); ++i) shown += (i ? ":" : "") + layers[i];
    std::vector<UniqueFd> fds;
    for (const auto& p : layers) {
        XC_ASSIGN(UniqueFd fd, openDir(AT_FDCWD, p));
        fds.push_back(std::move(fd));
    }
    UniqueFd fs(static_cast<int>(::syscall(SYS_fsopen, "overlay", FSOPEN_CLOEXEC)));
    if (!fs) return Error::sys("mount " + shown + ": open an overlay filesystem context");
    for (const auto& fd : fds)
        if (fsconfigFd(fs.get(), "lowerdir+", fd.get()) < 0)
            return withLog(Error::sys("mount " + shown + ": add a layer"), fs.get());
    if (whiteouts == Whiteouts::User && fsconfigFlag(fs.get(), "userxattr") < 0)
        return withLog(Error::sys("mount " + shown + ": set userxattr"), fs.get());
    if (::syscall(SYS_fsconfig, fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
        return withLog(Error::sys("mount " + shown), fs.get());
    UniqueFd mnt(static_cast<int>(::syscall(SYS_fsmount, fs.get(), FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY)));
    if (!mnt) return withLog(Error::sys("mount " + shown + ": fsmount"), fs.get());
    return mnt;
}

Status makeLayerDirs(const std::string& dir, const std::string& top) {
    struct stat st;
    if (::stat(top.c_str(), &st) < 0) return Error::sys("read the attributes of " + top);
    if (::mkdir(dir.c_str(), 0700) < 0) return Error::sys("create " + dir);
    for (const char* sub : {"/upper", "/work"})
        if (::mkdir((dir + sub).c_str(), 0700) < 0) return Error::sys("create " + dir + sub);
    std::string upper = dir + "/upper";
    if (::chown(upper.c_str(), st.st_uid, st.st_gid) < 0 || ::chmod(upper.c_str(), st.st_mode & 07777) < 0)
        return Error::sys("set the owner and mode of " + upper);
    return {};
}

}  // namespace xc::storage
