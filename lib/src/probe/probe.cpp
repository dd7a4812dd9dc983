// Host probing for xc-checkconfig: every item is found by calling the
// kernel (or reading what it exports), never by grepping a kernel config.
#include "probe/probe.hpp"

#include <elf.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/openat2.h>
#include <linux/rtnetlink.h>
#include <linux/seccomp.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <map>
#include <set>
#include <sstream>

#include "cgroup/cgroup.hpp"
#include "xc/fd.hpp"
#include "base/fsutil.hpp"

// Syscall numbers from Linux 5.2+ are the same on every architecture but
// alpha; older libc headers may lack them.
#ifndef SYS_fsopen
#define SYS_fsopen 430
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef SYS_openat2
#define SYS_openat2 437
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef PR_GET_NO_NEW_PRIVS
#define PR_GET_NO_NEW_PRIVS 39
#endif

namespace xc {

using S = ProbeItem::Status;

const char* probeStatusName(ProbeItem::Status s) {
    switch (s) {
        case S::Ok:
            return "ok";
        case S::Missing:
            return "missing";
        case S::Warn:
            return "warn";
        case S::Info:
            return "info";
    }
    return "?";
}

size_t countRequiredMissing(const std::vector<ProbeItem>& items) {
    return static_cast<size_t>(
        std::count_if(items.begin(), items.end(), [](const ProbeItem& i) { return i.required && i.status != S::Ok; }));
}

// ---------------------------------------------------------------- output

std::string jsonString(const std::string& s) {
    std::string out = "\"";
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    const size_t n = s.size();
    for (size_t i = 0; i < n;) {
        unsigned char c = p[i];
        if (c < 0x80) {
            switch (c) {
                case '"':
                    out += "\\\"";
                    break;
                case '\\':
                    out += "\\\\";
                    break;
                case '\b':
                    out += "\\b";
                    break;
                case '\f':
                    out += "\\f";
                    break;
                case '\n':
                    out += "\\n";
                    break;
                case '\r':
                    out += "\\r";
                    break;
                case '\t':
                    out += "\\t";
                    break;
                default:
                    if (c < 0x20) {
                        char buf[8];
                        std::snprintf(buf, sizeof buf, "\\u%04x", c);
                        out += buf;
                    } else {
                        out += static_cast<char>(c);
                    }
            }
            ++i;
            continue;
        }
        // A multi-byte UTF-8 sequence: copied if well formed (no overlong
        // forms, no surrogates, <= U+10FFFF), else one U+FFFD per bad byte.
        size_t len = 0;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            if (c == 0xE0) lo = 0xA0;
            if (c == 0xED) hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            if (c == 0xF0) lo = 0x90;
            if (c == 0xF4) hi = 0x8F;
        }
        bool good = len > 0 && i + len <= n && p[i + 1] >= lo && p[i + 1] <= hi;
        for (size_t k = 2; good && k < len; ++k) good = p[i + k] >= 0x80 && p[i + k] <= 0xBF;
        if (good) {
            out.append(s, i, len);
            i += len;
        } else {
            out += "\\ufffd";
            ++i;
        }
    }
    out += '"';
    return out;
}

std::string probeItemsJson(const std::vector<ProbeItem>& items) {
    std::string out = "[";
    for (size_t i = 0; i < items.size(); ++i) {
        const ProbeItem& it = items[i];
        out += i ? ",\n  " : "\n  ";
        out += "{\"section\": " + jsonString(it.section) + ", \"name\": " + jsonString(it.name) +
               ", \"status\": " + jsonString(probeStatusName(it.status)) +
               ", \"required\": " + (it.required ? "true" : "false") + ", \"detail\": " + jsonString(it.detail) +
               ", \"fix\": " + jsonString(it.fix) + "}";
    }
    out += items.empty() ? "]\n" : "\n]\n";
    return out;
}

namespace {

constexpr const char* kGreen = "\033[32m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kBold = "\033[1m";
constexpr const char* kReset = "\033[0m";
constexpr size_t kMaxNameColumn = 26;

std::string paint(const std::string& text, const char* colour, bool color) {
    return color ? colour + text + kReset : text;
}

std::string formatItem(const ProbeItem& it, size_t width, bool color) {
    std::string line = "  " + it.name + ":";
    if (line.size() < width + 3) line.append(width + 3 - line.size(), ' ');
    else line += ' ';
    if (it.status == S::Info) {
        line += it.detail.empty() ? "-" : it.detail;
    } else {
        const char* word = it.status == S::Ok ? "enabled" : it.status == S::Missing ? "missing" : "warning";
        const char* colour = it.status == S::Ok ? kGreen : (it.status == S::Missing && it.required) ? kRed : kYellow;
        line += paint(word, colour, color);
        std::string extra;
        if (it.required && it.status != S::Ok) extra = "required";
        if (!it.detail.empty()) extra += (extra.empty() ? "" : "; ") + it.detail;
        if (!extra.empty()) line += " (" + extra + ")";
    }
    line += '\n';
    if (it.status != S::Ok && !it.fix.empty()) line += "    -> fix: " + it.fix + "\n";
    return line;
}

}  // namespace

std::string formatProbeItems(const std::vector<ProbeItem>& items, bool color) {
    // Sections in the order they first appear; items in their order.
    std::vector<std::string> sections;
    for (const auto& it : items)
        if (std::find(sections.begin(), sections.end(), it.section) == sections.end()) sections.push_back(it.section);
    std::string out;
    for (const auto& sec : sections) {
        size_t width = 0;
        for (const auto& it : items)
            if (it.section == sec) width = std::max(width, it.name.size() + 1);
        width = std::min(width, kMaxNameColumn);
        if (!out.empty()) out += '\n';
        out += paint("--- " + sec + " ---", kBold, color) + "\n";
        for (const auto& it : items)
            if (it.section == sec) out += formatItem(it, width, color);
    }
    const size_t missing = countRequiredMissing(items);
    if (!out.empty()) out += '\n';
    const size_t unverified = static_cast<size_t>(std::count_if(
        items.begin(), items.end(), [](const ProbeItem& i) { return i.required && i.status == S::Warn; }));
    if (missing == 0) {
        out += paint("All required features are available", kGreen, color) + "\n";
    } else {
        std::string line = std::to_string(missing) + (missing == 1 ? " required feature missing" : " required features missing");
        if (unverified > 0)
            line += " (" + std::to_string(unverified) + (missing == 1 ? " unverified)" : " of them unverified)");
        out += paint(line, kRed, color) + "\n";
    }
    return out;
}

// ---------------------------------------------------------------- probing

namespace {

class Items {
public:
    explicit Items(std::vector<ProbeItem>& out) : out_(out) {}
    void section(const char* s) { sec_ = s; }
    ProbeItem& add(std::string name, S st, std::string detail, std::string fix = "", bool required = false) {
        out_.push_back(ProbeItem{sec_, std::move(name), st, std::move(detail), std::move(fix), required});
        return out_.back();
    }

private:
    std::vector<ProbeItem>& out_;
    std::string sec_;
};

// "ENOSYS: Function not implemented"
std::string errText(int e) {
    const char* name = strerrorname_np(e);
    return std::string(name ? name : ("errno " + std::to_string(e)).c_str()) + ": " + std::strerror(e);
}

std::string readTrimmed(const std::string& path, bool* ok = nullptr) {
    auto r = readFile(path);
    if (ok) *ok = r.ok();
    return r ? trim(*r) : std::string();
}

bool isDir(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string join(const std::vector<std::string>& v, const char* sep) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
    return out;
}

// Runs fn in a forked child that reports `count` ints back through a pipe.
// Returns false (with errno) if the child could not run or report.
template <class Fn>
bool inChild(Fn fn, int* results, size_t count) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0) return false;
    pid_t pid = ::fork();
    if (pid < 0) {
        int e = errno;
        ::close(p[0]);
        ::close(p[1]);
        errno = e;
        return false;
    }
    if (pid == 0) {
        ::close(p[0]);
        ::alarm(20);  // never outlive a stuck probe
        for (size_t i = 0; i < count; ++i) results[i] = -1;
        fn(results);
        const char* b = reinterpret_cast<const char*>(results);
        size_t left = count * sizeof(int);
        while (left > 0) {
            ssize_t w = ::write(p[1], b, left);
            if (w <= 0) break;
            b += w;
            left -= static_cast<size_t>(w);
        }
        ::_exit(0);
    }
    ::close(p[1]);
    char* b = reinterpret_cast<char*>(results);
    size_t got = 0, want = count * sizeof(int);
    while (got < want) {
        ssize_t r = ::read(p[0], b + got, want - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += static_cast<size_t>(r);
    }
    ::close(p[0]);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (got != want) {
        errno = EPIPE;
        return false;
    }
    return true;
}

// Finds an executable in $PATH and the usual system directories.
std::string findProgram(const std::string& name) {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    std::istringstream in(path);
    std::string dir;
    while (std::getline(in, dir, ':')) {
        if (dir.empty()) continue;
        std::string p = dir + "/" + name;
        struct stat st {};
        if (::stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && ::access(p.c_str(), X_OK) == 0) return p;
    }
    return "";
}

struct Uname {
    std::string release, machine;
};

Uname hostUname() {
    struct utsname u {};
    if (::uname(&u) != 0) return {};
    return {u.release, u.machine};
}

// ---- Kernel

void probeKernel(Items& out, const Uname& u) {
    out.section("Kernel");
    out.add("version", S::Info, u.release.empty() ? "uname failed" : u.release + " (" + u.machine + ")");

    // Unprivileged user namespaces: try to make one as an unprivileged user
    // in a child; the sysctls that govern it explain a refusal.
    bool haveClone = false, haveApparmor = false;
    std::string clone = readTrimmed("/proc/sys/kernel/unprivileged_userns_clone", &haveClone);
    std::string apparmor = readTrimmed("/proc/sys/kernel/apparmor_restrict_unprivileged_userns", &haveApparmor);
    std::string maxNs = readTrimmed("/proc/sys/user/max_user_namespaces");
    std::vector<std::string> facts;
    if (!maxNs.empty()) facts.push_back("max_user_namespaces=" + maxNs);
    if (haveClone) facts.push_back("unprivileged_userns_clone=" + clone);
    if (haveApparmor) facts.push_back("apparmor_restrict_unprivileged_userns=" + apparmor);
    const std::string sysctls = join(facts, ", ");

    int res[1];
    bool ran = inChild(
        [](int* r) {
            if (::geteuid() == 0) {
                if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
                    ::setresuid(65534, 65534, 65534) != 0) {
                    r[0] = errno ? errno : EPERM;
                    return;
                }
            }
            r[0] = ::unshare(CLONE_NEWUSER) == 0 ? 0 : errno;
        },
        res, 1);
    const std::string name = "unprivileged userns";
    if (!ran) {
        out.add(name, S::Warn, "could not probe: " + errText(errno) + (sysctls.empty() ? "" : "; " + sysctls));
    } else if (res[0] == 0) {
        out.add(name, S::Ok, "an unprivileged user can create one" + (sysctls.empty() ? "" : "; " + sysctls));
    } else {
        std::string fix;
        if (haveClone && clone == "0")
            fix = "sysctl -w kernel.unprivileged_userns_clone=1";
        else if (maxNs == "0")
            fix = "sysctl -w user.max_user_namespaces=15000";
        else if (haveApparmor && apparmor == "1")
            fix = "sysctl -w kernel.apparmor_restrict_unprivileged_userns=0";
        else if (res[0] == EINVAL)
            fix = "rebuild the kernel with CONFIG_USER_NS=y";
        out.add(name, S::Warn,
                "refused: " + errText(res[0]) + (sysctls.empty() ? "" : "; " + sysctls) +
                    "; needed for unprivileged containers with idmap",
                fix);
    }
}

// ---- Namespaces

void probeNamespaces(Items& out) {
    out.section("Namespaces");
    struct Ns {
        const char* name;
        const char* config;
        bool required;
        const char* use;
    };
    static const Ns kNs[] = {
        {"pid", "CONFIG_PID_NS", true, ""},
        {"mnt", "CONFIG_NAMESPACES", true, ""},
        {"uts", "CONFIG_UTS_NS", true, ""},
        {"ipc", "CONFIG_IPC_NS", true, ""},
        {"net", "CONFIG_NET_NS", true, ""},
        {"cgroup", "CONFIG_CGROUPS (Linux 4.6+)", true, ""},
        {"user", "CONFIG_USER_NS", false, "needed for unprivileged containers with idmap"},
        {"time", "CONFIG_TIME_NS (Linux 5.6+)", false, "optional"},
    };
    for (const auto& ns : kNs) {
        const std::string path = std::string("/proc/self/ns/") + ns.name;
        char link[128];
        ssize_t n = ::readlink(path.c_str(), link, sizeof link - 1);
        if (n >= 0) {
            out.add(ns.name, S::Ok, ns.use, "", ns.required);
        } else {
            int e = errno;
            if (e == ENOENT)
                out.add(ns.name, S::Missing, path + " does not exist",
                        std::string("rebuild the kernel with ") + ns.config + "=y", ns.required);
            else
                out.add(ns.name, S::Warn, "cannot read " + path + ": " + errText(e), "", ns.required);
        }
    }
}

// ---- Syscalls

struct CloneArgs {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};
struct MountAttr {
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};

// A syscall result as an item: ENOSYS is missing, another error a warning.
void syscallItem(Items& out, const std::string& name, int err, const std::string& okDetail, const std::string& since,
                 bool required) {
    if (err == 0) {
        out.add(name, S::Ok, okDetail, "", required);
    } else if (err == ENOSYS) {
        out.add(name, S::Missing, "ENOSYS: the kernel lacks it, or a seccomp filter around this host hides it",
                "Linux " + since + " or newer (and no seccomp filter blocking " + name + ")", required);
    } else if (err == EPERM || err == EACCES) {
        out.add(name, S::Warn, "could not verify: " + errText(err), "run xc-checkconfig as root",
                required);
    } else {
        out.add(name, S::Warn, "unexpected " + errText(err), "", required);
    }
}

void probeSyscalls(Items& out) {
    out.section("Syscalls");

    // clone3 with CLONE_PIDFD: a real child that exits at once.
    {
        int pidfd = -1;
        CloneArgs a{};
        a.flags = CLONE_PIDFD;
        a.pidfd = reinterpret_cast<uintptr_t>(&pidfd);
        a.exit_signal = SIGCHLD;
        long r = ::syscall(SYS_clone3, &a, sizeof a);
        if (r == 0) ::_exit(0);
        int err = r < 0 ? errno : 0;
        bool gotPidfd = pidfd >= 0;
        if (r > 0) {
            int status = 0;
            while (::waitpid(static_cast<pid_t>(r), &status, 0) < 0 && errno == EINTR) {
            }
        }
        if (gotPidfd) ::close(pidfd);
        if (r > 0 && !gotPidfd)
            out.add("clone3", S::Missing, "clone3 made a child but CLONE_PIDFD gave no pidfd", "Linux 5.3 or newer", true);
        else
            syscallItem(out, "clone3", err, "CLONE_PIDFD gives a pidfd", "5.3", true);
    }

    // pidfd_open of ourselves.
    {
        long fd = ::syscall(SYS_pidfd_open, ::getpid(), 0);
        int err = fd < 0 ? errno : 0;
        if (fd >= 0) ::close(static_cast<int>(fd));
        syscallItem(out, "pidfd_open", err, "", "5.3", true);
    }

    // openat2 with RESOLVE_IN_ROOT (unknown resolve flags are EINVAL).
    {
        UniqueFd root(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
        struct open_how how {};
        how.flags = O_RDONLY | O_DIRECTORY | O_CLOEXEC;
        how.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
        long fd = ::syscall(SYS_openat2, root.valid() ? root.get() : AT_FDCWD, ".", &how, sizeof how);
        int err = fd < 0 ? errno : 0;
        if (fd >= 0) ::close(static_cast<int>(fd));
        if (err == EINVAL)
            out.add("openat2", S::Missing, "openat2 exists but refuses RESOLVE_IN_ROOT (" + errText(err) + ")",
                    "Linux 5.6 or newer", true);
        else
            syscallItem(out, "openat2", err, "RESOLVE_IN_ROOT", "5.6", true);
    }

    // The new mount API: a tmpfs context that is never mounted.
    {
        long fd = ::syscall(SYS_fsopen, "tmpfs", 1 /* FSOPEN_CLOEXEC */);
        int err = fd < 0 ? errno : 0;
        if (fd >= 0) ::close(static_cast<int>(fd));
        syscallItem(out, "fsopen", err, "new mount API: fsopen(\"tmpfs\")", "5.2", true);
    }

    // mount_setattr that sets nothing: the kernel returns 0 before touching any mount.
    {
        MountAttr attr{};
        long r = ::syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &attr, sizeof attr);
        syscallItem(out, "mount_setattr", r < 0 ? errno : 0, "", "5.12", true);
    }

    // close_range over an empty range; CLOSE_RANGE_CLOEXEC came later (5.11).
    {
        long r = ::syscall(SYS_close_range, ~0U, ~0U, 0);
        int err = r < 0 ? errno : 0;
        std::string detail;
        if (err == 0) {
            long c = ::syscall(SYS_close_range, ~0U, ~0U, 1U << 2 /* CLOSE_RANGE_CLOEXEC */);
            detail = c == 0 ? "with CLOSE_RANGE_CLOEXEC" : "without CLOSE_RANGE_CLOEXEC (Linux 5.11+)";
        }
        syscallItem(out, "close_range", err, detail, "5.9", false);
    }
}

// ---- Cgroups

struct ProcCgroup {
    bool listed = false, enabled = false;
};

std::map<std::string, ProcCgroup> readProcCgroups() {
    std::map<std::string, ProcCgroup> m;
    auto text = readFile("/proc/cgroups");
    if (!text) return m;
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream l(line);
        std::string name;
        int hier = 0, num = 0, enabled = 0;
        if (l >> name >> hier >> num >> enabled) m[name] = {true, enabled != 0};
    }
    return m;
}

// A non-root cgroup of the unified hierarchy whose files show which core
// features the kernel has (cgroup.freeze, cgroup.kill only exist below the
// root). Prefers our own group, then an existing child of the root; only if
// there is none, makes a temporary empty child and removes it again.
struct UnifiedFiles {
    bool known = false;
    bool freeze = false, kill = false, swapMax = false, memoryOn = false;
    std::string where, why;
};

bool lookAt(const std::string& dir, UnifiedFiles& f) {
    if (!pathExists(dir + "/cgroup.procs")) return false;
    f.freeze = pathExists(dir + "/cgroup.freeze");
    f.kill = pathExists(dir + "/cgroup.kill");
    f.memoryOn = pathExists(dir + "/memory.current");
    f.swapMax = pathExists(dir + "/memory.swap.max");
    // The group may have vanished while we looked (another tool removing it).
    if (!pathExists(dir + "/cgroup.procs")) return false;
    f.known = true;
    f.where = dir;
    return true;
}

UnifiedFiles probeUnifiedFiles(const CgroupHierarchy& u) {
    UnifiedFiles f;
    if (auto self = readFile("/proc/self/cgroup")) {
        std::istringstream in(*self);
        std::string line;
        while (std::getline(in, line)) {
            if (line.rfind("0::", 0) != 0) continue;
            std::string rel = line.substr(3);
            if (rel != "/" && !rel.empty() && lookAt(u.mountPoint + rel, f)) return f;
        }
    }
    if (auto names = listDir(u.mountPoint)) {
        std::sort(names->begin(), names->end());
        for (const auto& n : *names) {
            const std::string d = u.mountPoint + "/" + n;
            if (isDir(d) && lookAt(d, f)) return f;
        }
    }
    const std::string tmp = u.mountPoint + "/xc-checkconfig." + std::to_string(::getpid());
    if (::mkdir(tmp.c_str(), 0755) != 0) {
        f.why = "no child cgroup to look at and mkdir " + tmp + ": " + errText(errno);
        return f;
    }
    lookAt(tmp, f);
    f.where = "a temporary child cgroup";
    ::rmdir(tmp.c_str());
    return f;
}

const char* controllerConfig(const std::string& c) {
    static const std::map<std::string, const char*> kConfig = {
        {"cpu", "CONFIG_CGROUP_SCHED"},   {"cpuacct", "CONFIG_CGROUP_CPUACCT"}, {"cpuset", "CONFIG_CPUSETS"},
        {"memory", "CONFIG_MEMCG"},       {"pids", "CONFIG_CGROUP_PIDS"},       {"freezer", "CONFIG_CGROUP_FREEZER"},
        {"devices", "CONFIG_CGROUP_DEVICE"},
    };
    auto it = kConfig.find(c);
    return it == kConfig.end() ? "CONFIG_CGROUPS" : it->second;
}

std::string whereText(const CgroupHierarchy& h) {
    return std::string(h.unified ? "cgroup2 at " : "v1 at ") + h.mountPoint;
}

void probeCgroups(Items& out) {
    out.section("Cgroups");
    auto layout = CgroupLayout::detect();
    if (!layout) {
        out.add("hierarchies", S::Missing, layout.error().message(),
                "mount one: mount -t cgroup2 cgroup2 /sys/fs/cgroup (or the v1 controllers under /sys/fs/cgroup/<name>)",
                true);
        out.add("freezer", S::Missing, "no cgroup hierarchy", "mount cgroup2 (cgroup.freeze) or the v1 freezer", true);
        return;
    }
    const CgroupHierarchy* u = layout->unified();
    std::string modeDetail = cgroupModeName(layout->mode());
    if (layout->mode() == CgroupMode::Hybrid)
        modeDetail += " (v1 controllers, cgroup2 at " + u->mountPoint + ")";
    else if (layout->mode() == CgroupMode::V1)
        modeDetail += " (v1 controllers only, no cgroup2)";
    else
        modeDetail += " (unified, at " + u->mountPoint + ")";
    out.add("layout", S::Info, modeDetail);
    for (const auto& h : layout->hierarchies())
        out.add(h.mountPoint, S::Info,
                std::string(h.unified ? "cgroup2" : "v1") + ", controllers: " +
                    (h.controllers.empty() ? "(none)" : join(h.controllers, " ")));

    UnifiedFiles uf;
    if (u) uf = probeUnifiedFiles(*u);
    const auto proc = readProcCgroups();

    auto missingFix = [&](const std::string& c) -> std::string {
        auto it = proc.find(c);
        if (it == proc.end()) return std::string("rebuild the kernel with ") + controllerConfig(c) + "=y";
        if (!it->second.enabled) return "remove cgroup_disable=" + c + " from the kernel command line";
        if (u && layout->mode() == CgroupMode::V2)
            return "it is bound to a v1 hierarchy elsewhere or disabled: check mounts and cgroup_no_v1=";
        return "mount it: mkdir -p /sys/fs/cgroup/" + c + " && mount -t cgroup -o " + c + " cgroup /sys/fs/cgroup/" + c;
    };

    static const char* const kNeeded[] = {"cpu", "cpuacct", "cpuset", "memory", "pids", "freezer", "devices"};
    for (const char* c : kNeeded) {
        const std::string name = c;
        const CgroupHierarchy* h = layout->forController(name);
        if (name == "freezer") {
            // Required: v1 freezer or the unified cgroup.freeze.
            const CgroupHierarchy* v1 = h && !h->unified ? h : nullptr;
            const bool unifiedFreeze = u && uf.known && uf.freeze;
            std::vector<std::string> how;
            if (v1) how.push_back("v1 at " + v1->mountPoint);
            if (unifiedFreeze) how.push_back("cgroup.freeze on " + u->mountPoint);
            if (v1 || unifiedFreeze) {
                const bool picksUnified = layout->freezer() == CgroupFreezer::Unified;
                std::string detail = join(how, "; ");
                if (how.size() > 1) detail += picksUnified ? "; xc uses cgroup.freeze" : "; xc uses the v1 freezer";
                if (picksUnified && !unifiedFreeze && uf.known)
                    out.add(name, S::Warn, detail + "; but xc picks cgroup.freeze, which this kernel lacks",
                            "Linux 5.2 or newer for cgroup.freeze", true);
                else if (picksUnified && !unifiedFreeze)
                    out.add(name, S::Ok, detail + "; cgroup.freeze, which xc prefers, is unverified", "", true);
                else
                    out.add(name, S::Ok, detail, "", true);
            } else if (u && !uf.known) {
                out.add(name, S::Warn, "no v1 freezer; cgroup.freeze unverified: " + uf.why,
                        "run xc-checkconfig as root", true);
            } else {
                out.add(name, S::Missing, u ? "no v1 freezer and no cgroup.freeze (Linux < 5.2)" : "no v1 freezer hierarchy",
                        u ? "Linux 5.2 or newer, or " + missingFix(name) : missingFix(name), true);
            }
            continue;
        }
        if (h) {
            out.add(name, S::Ok, whereText(*h));
        } else if (name == "cpuacct" && u) {
            out.add(name, S::Ok, "cgroup2 cpu.stat on " + u->mountPoint + " (core file, no controller needed)");
        } else if (name == "devices" && u) {
            out.add(name, S::Warn,
                    "no v1 devices hierarchy; cgroup2 controls devices with BPF programs, which xc does not load yet: "
                    "containers are not limited to the standard devices",
                    missingFix(name));
        } else {
            out.add(name, S::Missing, "not available in any mounted hierarchy", missingFix(name));
        }
    }

    if (u) {
        if (!uf.known) {
            out.add("cgroup.freeze", S::Warn, "could not verify: " + uf.why);
            out.add("cgroup.kill", S::Warn, "could not verify: " + uf.why);
        } else {
            if (uf.freeze)
                out.add("cgroup.freeze", S::Ok, "on " + u->mountPoint);
            else
                out.add("cgroup.freeze", S::Missing, "not in " + uf.where, "Linux 5.2 or newer");
            if (uf.kill)
                out.add("cgroup.kill", S::Ok, "on " + u->mountPoint);
            else
                out.add("cgroup.kill", S::Warn, "not in " + uf.where + "; xc freezes and kills each process instead",
                        "Linux 5.14 or newer");
        }
    } else {
        out.add("cgroup.freeze", S::Info, "no cgroup2 hierarchy");
        out.add("cgroup.kill", S::Info, "no cgroup2 hierarchy; xc freezes and kills each process instead");
    }

    // Swap accounting: memsw on v1, memory.swap.max on cgroup2.
    const CgroupHierarchy* mem = layout->forController("memory");
    const std::string swapFix =
        "enable swap accounting: remove swapaccount=0 from the kernel command line (older kernels: boot with "
        "swapaccount=1, CONFIG_MEMCG_SWAP=y)";
    if (!mem) {
        out.add("swap accounting", S::Missing, "no memory controller", missingFix("memory"));
    } else if (!mem->unified) {
        if (pathExists(mem->mountPoint + "/memory.memsw.limit_in_bytes"))
            out.add("swap accounting", S::Ok, "memory.memsw.limit_in_bytes");
        else
            out.add("swap accounting", S::Warn, "no memory.memsw.* files: memory limits cannot cover swap", swapFix);
    } else if (uf.known && uf.memoryOn) {
        if (uf.swapMax)
            out.add("swap accounting", S::Ok, "memory.swap.max");
        else
            out.add("swap accounting", S::Warn, "no memory.swap.max: memory limits cannot cover swap", swapFix);
    } else {
        out.add("swap accounting", S::Warn,
                "could not verify: no child cgroup with the memory controller enabled to look at (" +
                    (uf.why.empty() ? "memory not in " + mem->mountPoint + "/cgroup.subtree_control" : uf.why) + ")");
    }
}

// ---- Filesystems

void probeFilesystems(Items& out, const Uname& u) {
    out.section("Filesystems");
    std::set<std::string> have;
    bool readable = false;
    if (auto text = readFile("/proc/filesystems")) {
        readable = true;
        std::istringstream in(*text);
        std::string line;
        while (std::getline(in, line)) {
            std::istringstream l(line);
            std::string w, last;
            while (l >> w) last = w;
            if (!last.empty()) have.insert(last);
        }
    }
    std::string modulesDep;
    if (!u.release.empty()) {
        if (auto dep = readFile("/lib/modules/" + u.release + "/modules.dep")) modulesDep = *dep;
    }
    struct Fs {
        const char* name;
        const char* module;  // "" = built in only
        const char* config;
        bool required;
        const char* use;
    };
    static const Fs kFs[] = {
        {"proc", "", "CONFIG_PROC_FS", true, "/proc"},
        {"sysfs", "", "CONFIG_SYSFS", true, "/sys"},
        {"tmpfs", "", "CONFIG_TMPFS", true, "/dev, /dev/shm"},
        {"devpts", "", "CONFIG_UNIX98_PTYS", true, "a private /dev/pts per container"},
        {"overlay", "overlay", "CONFIG_OVERLAY_FS", false, "overlay rootfs and snapshot clones"},
        {"cgroup", "", "CONFIG_CGROUPS", false, "v1 controllers"},
        {"cgroup2", "", "CONFIG_CGROUPS", false, "the unified hierarchy"},
        {"mqueue", "", "CONFIG_POSIX_MQUEUE", false, "/dev/mqueue"},
    };
    for (const auto& fs : kFs) {
        if (!readable) {
            out.add(fs.name, S::Warn, "cannot read /proc/filesystems", "", fs.required);
        } else if (have.count(fs.name)) {
            out.add(fs.name, S::Ok, fs.use, "", fs.required);
        } else if (*fs.module && modulesDep.find(std::string("/") + fs.module + ".ko") != std::string::npos) {
            out.add(fs.name, S::Missing, "available as a module that is not loaded",
                    std::string("modprobe ") + fs.module + " (and list it in /etc/modules to load it at boot)",
                    fs.required);
        } else {
            out.add(fs.name, S::Missing, "not in /proc/filesystems",
                    std::string("rebuild the kernel with ") + fs.config + "=y" +
                        (*fs.module ? std::string(" (or =m and modprobe ") + fs.module + ")" : std::string()),
                    fs.required);
        }
    }
}

// ---- Network: rtnetlink in a throw-away network namespace

class NlMsg {
public:
    NlMsg(uint16_t type, uint16_t flags, uint32_t seq) {
        buf_.resize(NLMSG_LENGTH(sizeof(struct ifinfomsg)));
        auto* h = reinterpret_cast<struct nlmsghdr*>(buf_.data());
        h->nlmsg_type = type;
        h->nlmsg_flags = flags;
        h->nlmsg_seq = seq;
        auto* ifi = reinterpret_cast<struct ifinfomsg*>(NLMSG_DATA(h));
        ifi->ifi_family = AF_UNSPEC;
    }
    void raw(const void* data, size_t len) {
        size_t off = buf_.size();
        buf_.resize(off + NLMSG_ALIGN(len));
        if (len) std::memcpy(buf_.data() + off, data, len);
    }
    void attr(uint16_t type, const void* data, size_t len) {
        struct rtattr a {};
        a.rta_type = type;
        a.rta_len = static_cast<unsigned short>(RTA_LENGTH(len));
        size_t off = buf_.size();
        buf_.resize(off + RTA_ALIGN(a.rta_len));
        std::memcpy(buf_.data() + off, &a, sizeof a);
        if (len) std::memcpy(buf_.data() + off + RTA_LENGTH(0), data, len);
    }
    void str(uint16_t type, const char* s) { attr(type, s, std::strlen(s) + 1); }
    void u32(uint16_t type, uint32_t v) { attr(type, &v, sizeof v); }
    size_t begin(uint16_t type) {
        size_t off = buf_.size();
        attr(type, nullptr, 0);
        return off;
    }
    void end(size_t off) {
        auto* a = reinterpret_cast<struct rtattr*>(buf_.data() + off);
        a->rta_len = static_cast<unsigned short>(buf_.size() - off);
    }
    std::vector<char>& finish() {
        reinterpret_cast<struct nlmsghdr*>(buf_.data())->nlmsg_len = static_cast<uint32_t>(buf_.size());
        return buf_;
    }

private:
    std::vector<char> buf_;
};

// Sends one request and returns 0 or the errno of the kernel's ack.
int nlRequest(int sock, NlMsg& m) {
    auto& buf = m.finish();
    struct sockaddr_nl kernel {};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(sock, buf.data(), buf.size(), 0, reinterpret_cast<struct sockaddr*>(&kernel), sizeof kernel) < 0)
        return errno;
    alignas(struct nlmsghdr) char reply[8192];
    for (;;) {
        ssize_t n = ::recv(sock, reply, sizeof reply, 0);
        if (n < 0) {
            if (errno == EINTR) continue;
            return errno;
        }
        int len = static_cast<int>(n);
        for (auto* h = reinterpret_cast<struct nlmsghdr*>(reply); NLMSG_OK(h, len); h = NLMSG_NEXT(h, len)) {
            if (h->nlmsg_type == NLMSG_ERROR) {
                auto* e = reinterpret_cast<struct nlmsgerr*>(NLMSG_DATA(h));
                return -e->error;
            }
        }
    }
}

constexpr uint16_t kCreate = NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL;

int newLink(int sock, uint32_t seq, const char* name, const char* kind, int parentIndex = 0, const char* peer = nullptr) {
    NlMsg m(RTM_NEWLINK, kCreate, seq);
    m.str(IFLA_IFNAME, name);
    if (parentIndex > 0) m.u32(IFLA_LINK, static_cast<uint32_t>(parentIndex));
    size_t info = m.begin(IFLA_LINKINFO);
    m.str(IFLA_INFO_KIND, kind);
    if (peer) {
        size_t data = m.begin(IFLA_INFO_DATA);
        size_t p = m.begin(1 /* VETH_INFO_PEER */);
        struct ifinfomsg ifi {};
        ifi.ifi_family = AF_UNSPEC;
        m.raw(&ifi, sizeof ifi);
        m.str(IFLA_IFNAME, peer);
        m.end(p);
        m.end(data);
    }
    m.end(info);
    return nlRequest(sock, m);
}

enum NetResult { kUnshare, kSocket, kVeth, kBridge, kDummy, kMacvlan, kMacvlanParent, kNetCount };

void netProbeChild(int* r) {
    if (::unshare(CLONE_NEWNET) != 0) {
        r[kUnshare] = errno;
        return;
    }
    r[kUnshare] = 0;
    int sock = ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (sock < 0) {
        r[kSocket] = errno;
        return;
    }
    r[kSocket] = 0;
    struct timeval tv {5, 0};
    ::setsockopt(sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    r[kVeth] = newLink(sock, 1, "xcprobe0", "veth", 0, "xcprobe1");
    r[kBridge] = newLink(sock, 2, "xcprobebr", "bridge");
    r[kDummy] = newLink(sock, 3, "xcprobed", "dummy");
    // macvlan needs a parent: the dummy, else one end of the veth pair.
    const char* parent = r[kDummy] == 0 ? "xcprobed" : r[kVeth] == 0 ? "xcprobe0" : nullptr;
    int index = parent ? static_cast<int>(::if_nametoindex(parent)) : 0;
    if (index > 0) {
        r[kMacvlanParent] = r[kDummy] == 0 ? 1 : 2;
        r[kMacvlan] = newLink(sock, 4, "xcprobemv", "macvlan", index);
    }
    ::close(sock);
    // The namespace and every link in it go away when this child exits.
}

void linkItem(Items& out, const char* name, int err, const char* module, const char* config, const std::string& use) {
    if (err == 0)
        out.add(name, S::Ok, use);
    else if (err == EOPNOTSUPP)
        out.add(name, S::Missing, std::string("the kernel has no ") + name + " link type (RTM_NEWLINK: EOPNOTSUPP)",
                std::string("modprobe ") + module + ", or rebuild the kernel with " + config + "=y");
    else
        out.add(name, S::Warn, std::string("creating a ") + name + " link failed: " + errText(err));
}

void probeNetwork(Items& out) {
    out.section("Network");
    int r[kNetCount];
    if (!inChild(netProbeChild, r, kNetCount)) {
        std::string why = "could not run the probe child: " + errText(errno);
        for (const char* n : {"veth", "bridge", "macvlan"}) out.add(n, S::Warn, why);
    } else if (r[kUnshare] != 0 || r[kSocket] != 0) {
        std::string why = r[kUnshare] != 0 ? "unshare(CLONE_NEWNET): " + errText(r[kUnshare])
                                           : "NETLINK_ROUTE socket: " + errText(r[kSocket]);
        for (const char* n : {"veth", "bridge", "macvlan"})
            out.add(n, S::Warn, "could not verify: " + why, r[kUnshare] == EPERM ? "run xc-checkconfig as root" : "");
    } else {
        linkItem(out, "veth", r[kVeth], "veth", "CONFIG_VETH", "container network interfaces");
        linkItem(out, "bridge", r[kBridge], "bridge", "CONFIG_BRIDGE", "the host bridge, xcbr0");
        if (r[kMacvlan] == -1)
            out.add("macvlan", S::Warn, "could not verify: no dummy or veth link to use as its parent");
        else
            linkItem(out, "macvlan", r[kMacvlan], "macvlan", "CONFIG_MACVLAN",
                     std::string("optional; tested on a ") + (r[kMacvlanParent] == 1 ? "dummy" : "veth") + " parent");
    }
    bool ok = false;
    std::string fwd = readTrimmed("/proc/sys/net/ipv4/ip_forward", &ok);
    if (ok)
        out.add("ip_forward", S::Info,
                fwd == "1" ? "1 (routing on: NAT for containers can work)"
                           : fwd + " (containers reach only the host and each other; NAT egress needs 1)",
                fwd == "1" ? "" : "sysctl -w net.ipv4.ip_forward=1 (only if containers need NAT egress)");
}

// ---- Security

bool capBit(const std::string& status, const char* field, int cap, bool* found) {
    std::istringstream in(status);
    std::string line;
    const std::string key = std::string(field) + ":";
    while (std::getline(in, line)) {
        if (line.rfind(key, 0) != 0) continue;
        unsigned long long mask = std::strtoull(trim(line.substr(key.size())).c_str(), nullptr, 16);
        *found = true;
        return (mask >> cap) & 1ULL;
    }
    *found = false;
    return false;
}

void probeSecurity(Items& out) {
    out.section("Security");
    const uid_t euid = ::geteuid();
    if (euid == 0)
        out.add("root", S::Ok, "running as uid 0", "", true);
    else
        out.add("root", S::Missing, "running as uid " + std::to_string(euid) + "; xc runs privileged containers as root",
                "run xc-checkconfig (and the xc tools) as root, e.g. with sudo", true);

    const std::string status = readTrimmed("/proc/self/status");
    bool found = false;
    const bool sysAdmin = capBit(status, "CapEff", 21, &found);
    if (!found)
        out.add("CAP_SYS_ADMIN", S::Warn, "cannot read CapEff from /proc/self/status");
    else if (sysAdmin)
        out.add("CAP_SYS_ADMIN", S::Ok, "in the effective set");
    else
        out.add("CAP_SYS_ADMIN", S::Missing, "not in the effective set: namespaces and mounts will fail",
                "run as root with full capabilities");

    const bool sysResource = capBit(status, "CapBnd", 24, &found);
    if (found)
        out.add("CAP_SYS_RESOURCE", S::Info,
                sysResource ? "in the bounding set"
                            : "absent from the bounding set; xc does not rely on it, and containers cannot raise "
                              "rlimits past the host's");

    int nnp = ::prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
    if (nnp == 0)
        out.add("no_new_privs", S::Info, "not set on this process (supported)");
    else if (nnp == 1)
        out.add("no_new_privs", S::Warn,
                "set on this process: set-uid helpers such as newuidmap cannot gain privileges from here",
                "run the xc tools from a shell without no_new_privs");
    else
        out.add("no_new_privs", S::Warn, "PR_GET_NO_NEW_PRIVS: " + errText(errno), "Linux 3.5 or newer");

    // seccomp: the filter mode (as xc loads it) and our own confinement.
    int mode = ::prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
    if (mode < 0 && errno == EINVAL) {
        out.add("seccomp", S::Missing, "the kernel has no seccomp", "rebuild the kernel with CONFIG_SECCOMP=y");
    } else {
        uint32_t action = SECCOMP_RET_ERRNO;
        long r = ::syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &action);
        std::string self = mode == 2 ? "this process already runs under a seccomp filter"
                           : mode == 1 ? "this process is in strict seccomp mode"
                                       : "this process is not filtered";
        if (r == 0)
            out.add("seccomp", S::Ok, "filter mode with SECCOMP_RET_ERRNO; " + self);
        else if (errno == ENOSYS || errno == EINVAL)
            out.add("seccomp", S::Missing, "no seccomp filter mode (" + errText(errno) + ")",
                    "rebuild the kernel with CONFIG_SECCOMP_FILTER=y (Linux 4.14+)");
        else
            out.add("seccomp", S::Warn, "SECCOMP_GET_ACTION_AVAIL: " + errText(errno) + "; " + self);
    }

    bool haveLsm = false;
    std::string lsm = readTrimmed("/sys/kernel/security/lsm", &haveLsm);
    if (haveLsm) out.add("LSMs", S::Info, lsm.empty() ? "(none)" : lsm);
}

// ---- Tools

// Whether an ELF file has no program interpreter (static or static-pie).
// Returns -1 if it is not an ELF file we can read.
int elfIsStatic(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!fd) return -1;
    unsigned char ident[EI_NIDENT];
    if (::pread(fd.get(), ident, sizeof ident, 0) != static_cast<ssize_t>(sizeof ident) ||
        std::memcmp(ident, ELFMAG, SELFMAG) != 0)
        return -1;
    // Host byte order only: the binary has to run here anyway.
    if (ident[EI_CLASS] == ELFCLASS64) {
        Elf64_Ehdr eh;
        if (::pread(fd.get(), &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh)) return -1;
        for (unsigned i = 0; i < eh.e_phnum; ++i) {
            Elf64_Phdr ph;
            if (::pread(fd.get(), &ph, sizeof ph, static_cast<off_t>(eh.e_phoff + i * eh.e_phentsize)) !=
                static_cast<ssize_t>(sizeof ph))
                return -1;
            if (ph.p_type == PT_INTERP) return 0;
        }
        return 1;
    }
    if (ident[EI_CLASS] == ELFCLASS32) {
        Elf32_Ehdr eh;
        if (::pread(fd.get(), &eh, sizeof eh, 0) != static_cast<ssize_t>(sizeof eh)) return -1;
        for (unsigned i = 0; i < eh.e_phnum; ++i) {
            Elf32_Phdr ph;
            if (::pread(fd.get(), &ph, sizeof ph, static_cast<off_t>(eh.e_phoff + i * eh.e_phentsize)) !=
                static_cast<ssize_t>(sizeof ph))
                return -1;
            if (ph.p_type == PT_INTERP) return 0;
        }
        return 1;
    }
    return -1;
}

void probeTools(Items& out) {
    out.section("Tools");
    {
        const std::string bb = "/bin/busybox";
        const std::string fix = "apt-get install busybox-static";
        struct stat st {};
        if (::stat(bb.c_str(), &st) != 0) {
            out.add("busybox", S::Missing, bb + " not found (the busybox template copies it)", fix);
        } else {
            int s = elfIsStatic(bb);
            if (s == 1)
                out.add("busybox", S::Ok, bb + ", statically linked");
            else if (s == 0)
                out.add("busybox", S::Warn,
                        bb + " is dynamically linked: it will not run in a busybox container (no libc there)", fix);
            else
                out.add("busybox", S::Warn, bb + " is not an ELF file xc can read", fix);
        }
    }
    for (const char* prog : {"newuidmap", "newgidmap"}) {
        const std::string p = findProgram(prog);
        if (p.empty()) {
            out.add(prog, S::Missing, "not installed; needed for unprivileged containers (idmap)",
                    "apt-get install uidmap");
            continue;
        }
        struct stat st {};
        ::stat(p.c_str(), &st);
        const bool setuid = (st.st_mode & S_ISUID) && st.st_uid == 0;
        const bool fcaps = ::getxattr(p.c_str(), "security.capability", nullptr, 0) > 0;
        if (setuid || fcaps)
            out.add(prog, S::Ok, p + (setuid ? ", set-uid root" : ", file capabilities"));
        else
            out.add(prog, S::Warn, p + " is neither set-uid root nor has file capabilities",
                    "apt-get install --reinstall uidmap");
    }
    {
        const std::string p = findProgram("dnsmasq");
        if (p.empty())
            out.add("dnsmasq", S::Info, "not installed; xc-net will need it for DHCP on the bridge",
                    "apt-get install dnsmasq-base");
        else
            out.add("dnsmasq", S::Ok, p);
    }
    {
        const std::string p = findProgram("nft");
        if (p.empty())
            out.add("nft", S::Info, "not installed; only needed for NAT egress (masquerade)", "apt-get install nftables");
        else
            out.add("nft", S::Ok, p);
    }
}

}  // namespace

std::vector<ProbeItem> probeHost() {
    std::vector<ProbeItem> items;
    Items out(items);
    const Uname u = hostUname();
    probeKernel(out, u);
    probeNamespaces(out);
    probeSyscalls(out);
    probeCgroups(out);
    probeFilesystems(out, u);
    probeNetwork(out);
    probeSecurity(out);
    probeTools(out);
    return items;
}

}  // namespace xc
