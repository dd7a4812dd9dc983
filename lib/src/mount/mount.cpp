#include "mount/mount.hpp"

#include "process/process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <linux/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

namespace xc {

// Raw syscalls: glibc's <sys/mount.h> wrappers clash with <linux/mount.h>,
// which we need for the MOUNT_ATTR_* and FSCONFIG_* constants.
namespace {
int sysFsopen(const char* fs, unsigned flags) { return static_cast<int>(::syscall(SYS_fsopen, fs, flags)); }
int sysFsconfig(int fd, unsigned cmd, const char* key, const void* value, int aux) {
    return static_cast<int>(::syscall(SYS_fsconfig, fd, cmd, key, value, aux));
}
int sysFsmount(int fd, unsigned flags, unsigned attrs) {
    return static_cast<int>(::syscall(SYS_fsmount, fd, flags, attrs));
}
int sysOpenTree(int dfd, const char* path, unsigned flags) {
    return static_cast<int>(::syscall(SYS_open_tree, dfd, path, flags));
}
int sysMoveMount(int from, const char* fromPath, int to, const char* toPath, unsigned flags) {
    return static_cast<int>(::syscall(SYS_move_mount, from, fromPath, to, toPath, flags));
}
int sysMountSetattr(int dfd, const char* path, unsigned flags, struct mount_attr* attr, size_t size) {
    return static_cast<int>(::syscall(SYS_mount_setattr, dfd, path, flags, attr, size));
}

struct AttrWord {
    const char* word;
    uint64_t attr;
    bool set;
};
const AttrWord kAttrWords[] = {
    {"ro", MOUNT_ATTR_RDONLY, true},       {"rw", MOUNT_ATTR_RDONLY, false},
    {"nosuid", MOUNT_ATTR_NOSUID, true},   {"suid", MOUNT_ATTR_NOSUID, false},
    {"nodev", MOUNT_ATTR_NODEV, true},     {"dev", MOUNT_ATTR_NODEV, false},
    {"noexec", MOUNT_ATTR_NOEXEC, true},   {"exec", MOUNT_ATTR_NOEXEC, false},
    {"noatime", MOUNT_ATTR_NOATIME, true}, {"relatime", MOUNT_ATTR_RELATIME, true},
    {"strictatime", MOUNT_ATTR_STRICTATIME, true}, {"nodiratime", MOUNT_ATTR_NODIRATIME, true},
};
}  // namespace

Result<MountOptions> parseMountOptions(const std::string& text) {
    MountOptions out;
    size_t pos = 0;
    while (pos <= text.size()) {
        size_t comma = text.find(',', pos);
        std::string word = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
        pos = comma == std::string::npos ? text.size() + 1 : comma + 1;
        if (word.empty() || word == "defaults") continue;
        if (word == "bind") {
            out.bind = true;
            continue;
        }
        if (word == "rbind") {
            out.bind = out.recursive = true;
            continue;
        }
        bool matched = false;
        for (const auto& w : kAttrWords) {
            if (word != w.word) continue;
            matched = true;
            if (w.set) {
                out.attrs.set |= w.attr;
                out.attrs.clear &= ~w.attr;
            } else {
                out.attrs.clear |= w.attr;
                out.attrs.set &= ~w.attr;
            }
        }
        if (matched) continue;
        size_t eq = word.find('=');
        if (eq == 0) return Error::msg("bad mount option '" + word + "'", EINVAL);
        if (eq == std::string::npos)
            out.fsParams.emplace_back(word, "");
        else
            out.fsParams.emplace_back(word.substr(0, eq), word.substr(eq + 1));
    }
    return out;
}

std::string mountAttrsText(const MountAttrs& attrs) {
    std::string out;
    for (const auto& w : kAttrWords) {
        if (!(w.set ? attrs.set & w.attr : attrs.clear & w.attr)) continue;
        out += (out.empty() ? "" : ",") + std::string(w.word);
    }
    if (attrs.set & MOUNT_ATTR_IDMAP) out += (out.empty() ? "" : ",") + std::string("idmapped");
    return out;
}

Result<UniqueFd> newFilesystem(const std::string& fstype, const std::string& source,
                               const std::vector<std::pair<std::string, std::string>>& params,
                               const MountAttrs& attrs) {
    UniqueFd fs(sysFsopen(fstype.c_str(), FSOPEN_CLOEXEC));
    if (!fs) return Error::sys("open filesystem context for " + fstype);
    if (!source.empty() &&
        sysFsconfig(fs.get(), FSCONFIG_SET_STRING, "source", source.c_str(), 0) < 0)
        return Error::sys("set source '" + source + "' of " + fstype);
    for (const auto& [key, value] : params) {
        int rc = value.empty() ? sysFsconfig(fs.get(), FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0)
                               : sysFsconfig(fs.get(), FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0);
        if (rc < 0)
            return Error::sys("set option '" + key + (value.empty() ? "" : "=" + value) + "' of " + fstype);
    }
    if (sysFsconfig(fs.get(), FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) < 0)
        return Error::sys("create " + fstype + " filesystem");
    // fsmount takes only the per-mount flags; atime modes are set there too.
    UniqueFd mnt(sysFsmount(fs.get(), FSMOUNT_CLOEXEC, static_cast<unsigned>(attrs.set)));
    if (!mnt) return Error::sys("mount " + fstype + " filesystem");
    return mnt;
}

Result<UniqueFd> cloneTree(int dirfd, const std::string& path, bool recursive) {
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (recursive ? AT_RECURSIVE : 0u);
    if (path.empty()) flags |= AT_EMPTY_PATH;
    UniqueFd fd(sysOpenTree(dirfd, path.c_str(), flags));
    if (!fd) return Error::sys("bind " + (path.empty() ? std::string("tree") : path));
    return fd;
}

Status setMountAttrs(int mountfd, const MountAttrs& attrs, bool recursive) {
    if (!attrs.set && !attrs.clear) return {};
    struct mount_attr attr = {};
    attr.attr_set = attrs.set;
    attr.attr_clr = attrs.clear;
    // Changing one atime mode requires clearing the whole atime field.
    if (attrs.set & (MOUNT_ATTR_NOATIME | MOUNT_ATTR_STRICTATIME | MOUNT_ATTR_RELATIME))
        attr.attr_clr |= MOUNT_ATTR__ATIME;
    unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0u);
    if (sysMountSetattr(mountfd, "", flags, &attr, sizeof attr) < 0) return Error::sys("set mount flags");
    return {};
}

Status setIdmap(int mountfd, int usernsFd, bool recursive) {
    struct mount_attr attr = {};
    attr.attr_set = MOUNT_ATTR_IDMAP;
    attr.userns_fd = static_cast<uint64_t>(usernsFd);
    unsigned flags = AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0u);
    if (sysMountSetattr(mountfd, "", flags, &attr, sizeof attr) < 0) return Error::sys("make an idmapped mount");
    return {};
}

Status attachMount(int mountfd, int targetfd, const std::string& shownTarget) {
    if (sysMoveMount(mountfd, "", targetfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
        return Error::sys("mount on " + shownTarget);
    return {};
}

}  // namespace xc

namespace xc {

namespace {

Result<struct statx> statRoot(const char* path) {
    struct statx sx = {};
    if (::statx(AT_FDCWD, path, AT_STATX_SYNC_AS_STAT, STATX_INO | STATX_MNT_ID, &sx) < 0)
        return Error::sys(std::string("stat ") + path);
    return sx;
}

}  // namespace

Status requireNamespaceRoot() {
    const char* why =
        "xc runs inside a chroot: a container's mount namespace would keep the outer filesystem as its root "
        "(and xc-attach would land there); run xc outside the chroot, or in its own mount namespace with "
        "pivot_root (unshare -m, then pivot_root into the tree) instead of chroot";
    XC_ASSIGN(struct statx root, statRoot("/"));
    if ((root.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && !(root.stx_attributes & STATX_ATTR_MOUNT_ROOT))
        return Error::msg(std::string(why) + " (/ is not a mount point)", EPERM);
    // setns into a mount namespace moves the caller to that namespace's
    // root: a child that re-enters its own namespace sees where the root
    // of the namespace is, which must be where ours is. The child shares
    // our memory (cloneSharingMemory: a fork of the supervisor here cost
    // ~1.5 ms of every start); it makes two system calls and writes its
    // answer into `probe`.
    UniqueFd ns(::open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC));
    if (!ns) return Error::sys("check the mount namespace's root: open /proc/self/ns/mnt (is /proc mounted?)");
    struct Probe {
        int nsFd;
        bool ok;
        struct statx root;
    } probe = {ns.get(), false, {}};
    auto reenter = [](void* arg) -> int {
        auto* p = static_cast<Probe*>(arg);
        p->ok = ::setns(p->nsFd, CLONE_NEWNS) == 0 &&
                ::statx(AT_FDCWD, "/", AT_STATX_SYNC_AS_STAT, STATX_INO | STATX_MNT_ID, &p->root) == 0;
        return 0;
    };
    XC_ASSIGN(pid_t pid, cloneSharingMemory(reenter, &probe).ctx("check the mount namespace's root"));
    while (::waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
    }
    // Without the privilege to re-enter (an unprivileged caller) there is
    // nothing to compare; the mount-point check above still held.
    if (!probe.ok) return {};
    const struct statx& nsRoot = probe.root;
    if (nsRoot.stx_ino != root.stx_ino || nsRoot.stx_dev_major != root.stx_dev_major ||
        nsRoot.stx_dev_minor != root.stx_dev_minor || nsRoot.stx_mnt_id != root.stx_mnt_id)
        return Error::msg(std::string(why) + " (/ is not the root of the mount namespace)", EPERM);
    return {};
}

}  // namespace xc
