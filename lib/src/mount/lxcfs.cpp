// lxcfs's files over a container's /proc and /sys (see lxcfs.hpp).
#include "mount/lxcfs.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <sstream>

#include "base/fsutil.hpp"
#include "mount/mount.hpp"
#include "xc/fd.hpp"

#ifndef FUSE_SUPER_MAGIC
#define FUSE_SUPER_MAGIC 0x65735546
#endif

namespace xc {

namespace {

// mountinfo escapes space, tab, newline and backslash as \ooo.
std::string unescape(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '3' && s[i + 2] >= '0' &&
            s[i + 2] <= '7' && s[i + 3] >= '0' && s[i + 3] <= '7') {
            out += static_cast<char>((s[i + 1] - '0') * 64 + (s[i + 2] - '0') * 8 + (s[i + 3] - '0'));
            i += 3;
            continue;
        }
        out += s[i];
    }
    return out;
}

int openBeneath(int dirfd, const std::string& rel) {
    struct open_how how = {};
    how.flags = O_PATH | O_CLOEXEC;
    how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV;
    return static_cast<int>(::syscall(SYS_openat2, dirfd, rel.c_str(), &how, sizeof how));
}

}  // namespace

const std::vector<std::string>& lxcfsFiles() {
    static const std::vector<std::string> kFiles = {
        "proc/meminfo", "proc/cpuinfo", "proc/stat",  "proc/uptime",
        "proc/loadavg", "proc/diskstats", "proc/swaps", "sys/devices/system/cpu/online",
    };
    return kFiles;
}

std::string mountTypeAt(const std::string& mountinfo, const std::string& dir) {
    std::istringstream in(mountinfo);
    std::string line, type;
    while (std::getline(in, line)) {
        // ID PARENT MAJ:MIN ROOT POINT OPTIONS [OPTIONAL...] - TYPE SOURCE SUPER
        std::istringstream f(line);
        std::string id, parent, dev, root, point, word;
        if (!(f >> id >> parent >> dev >> root >> point)) continue;
        while (f >> word && word != "-") {
        }
        std::string fstype;
        if (word != "-" || !(f >> fstype)) continue;
        // The last mount on a point is the one that shows.
        if (unescape(point) == dir) type = fstype;
    }
    return type;
}

Status lxcfsAvailable(const std::string& dir) {
    struct statfs fs = {};
    if (::statfs(dir.c_str(), &fs) < 0) return Error::sys("lxcfs at " + dir);
    auto info = readFile("/proc/self/mountinfo");
    if (!info) return std::move(info).error().wrap("lxcfs at " + dir);
    const std::string type = mountTypeAt(*info, dir);
    if (type.empty() || static_cast<unsigned long>(fs.f_type) != FUSE_SUPER_MAGIC) {
        std::string what = type.empty() ? "nothing is mounted there" : "a " + type + " filesystem is mounted there";
        return Error::msg("lxcfs at " + dir + ": " + what + " (lxcfs is not running)", ENODEV);
    }
    if (type != "fuse.lxcfs") return Error::msg("lxcfs at " + dir + ": " + type + " is mounted there, not lxcfs", ENODEV);
    struct stat st = {};
    if (::stat((dir + "/proc/meminfo").c_str(), &st) < 0) {
        if (errno == ENOTCONN)
            return Error::msg("lxcfs at " + dir + ": mounted, but its daemon is gone (restart lxcfs)", ENOTCONN);
        return Error::sys("lxcfs at " + dir + ": " + dir + "/proc/meminfo");
    }
    return {};
}

Status bindLxcfs(const std::string& dir, int procfd, int sysfd) {
    UniqueFd top(::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!top) return Error::sys("open lxcfs at " + dir);
    struct statfs fs = {};
    if (::fstatfs(top.get(), &fs) < 0) return Error::sys("check lxcfs at " + dir);
    if (static_cast<unsigned long>(fs.f_type) != FUSE_SUPER_MAGIC)
        return Error::msg("lxcfs at " + dir + " is no longer mounted", ENODEV);
    for (const auto& rel : lxcfsFiles()) {
        const bool proc = rel.rfind("proc/", 0) == 0;
        const std::string inside = rel.substr(proc ? 5 : 4);
        UniqueFd src(openBeneath(top.get(), rel));
        if (!src && errno == ENOENT) continue;  // an older lxcfs
        if (!src) return Error::sys("open " + dir + "/" + rel);
        // The container's own proc and sysfs, fresh from the kernel.
        UniqueFd target(openBeneath(proc ? procfd : sysfd, inside));
        if (!target && errno == ENOENT) continue;  // not on this kernel
        if (!target) return Error::sys("open /" + rel);
        XC_ASSIGN(UniqueFd tree, cloneTree(src.get(), "", false).ctx("bind " + dir + "/" + rel));
        XC_TRY(attachMount(tree.get(), target.get(), "/" + rel).ctx("bind " + dir + "/" + rel));
    }
    return {};
}

}  // namespace xc
