// A static program the integration tests copy into a container to try
// what busybox cannot: one subcommand per probe, result lines on stdout,
// exit 0 if the probe ran (whatever it found).
//   xc-it-probe userfaultfd      -> "userfaultfd: ok" or "userfaultfd: <errno name>"
//   xc-it-probe ptys N           -> "ptys: <how many of N /dev/ptmx opens succeeded>"
//   xc-it-probe nest             -> "nest: ok" or "nest: <step> <errno name>": what
//                                   `unshare -U -r -m -p -f --mount-proc true` does
//   xc-it-probe nested-escape ATTACK [ARGS...]
//                                -> the same from a user namespace nested in the caller's
//                                   (with pid, mount and network namespaces of its own)
//   xc-it-probe escape ATTACK [ARGS...]
//                                -> "ATTACK open" or "ATTACK blocked <step> <errno name>"
//
// The escape attacks (escape_test.cpp runs each as the host's root first,
// then inside containers). Each runs in a mount namespace of its own
// (unshare(CLONE_NEWNS), all mounts private): an attacker can do the same,
// it is owned by the same user namespace, so it changes no permission, and
// what the attack mounts or unmounts goes when the probe exits. Where an
// attack would change the host, it writes back the value it read, opens
// read-only, or fails a step after the permission check (named per attack).
//   corepattern-mounted              write /proc/sys/kernel/core_pattern as mounted
//   corepattern-remount              remount /proc/sys read-write first (if it is a mount)
//   corepattern-umount               umount -l /proc/sys first (if it is a mount)
//   corepattern-freshproc            through a new proc mount
//   sys-remount                      remount /sys read-write, write /sys/kernel/rcu_expedited
//   sys-fresh                        the same file through a new sysfs mount
//   fs-debugfs fs-tracefs fs-securityfs
//                                    mount the file system
//   fs-bpf                           mount a bpf file system that delegates to BPF tokens
//   dev-node b|c MAJOR MINOR         mknod (in /dev, else a new tmpfs), open O_RDONLY
//   cgroup-rewrite [--fresh] DIR...  remount the cgroup mounts below each DIR read-write
//                                    (--fresh: and mount new ones, never on the host: that
//                                    would be the host's whole tree); write "a" to every devices.allow,
//                                    "max" to pids.max and memory.max, -1 to
//                                    memory.limit_in_bytes: "open" if a write succeeded
//                                    (the test checks the container's limits on the host)
//   release-agent                    a new v1 hierarchy (or an existing one) and its release_agent
//   handle                           open_by_handle_at on a handle of /
//   module                           init_module and finit_module of nothing (ENOEXEC/EINVAL
//                                    once past the permission check: nothing loads)
//   kexec                            kexec_load with too many segments (EINVAL past the check)
//   bpf                              BPF_MAP_CREATE of a one-element array
//   perf                             perf_event_open of this process's CPU clock
//   keyctl                           the session keyring's id
//   userfaultfd                      userfaultfd(2)
//   host-proc PID MARKER             see PID (any /proc/*/cmdline with MARKER), SIGKILL it
//   host-net PORT NAME               connect to 127.0.0.1:PORT and the abstract unix socket NAME
//   inotify-hold FILE                inotify instances until refused; writes "held N ERRNO" to
//                                    FILE, holds them until FILE.release exists (60 s at most)
//   pty-hold FILE                    ptys from new devpts instances until refused; the same
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/perf_event.h>
#include <linux/keyctl.h>
#include <signal.h>
#include <sched.h>
#include <sys/inotify.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

std::string name;  // the attack's, for every result line

int open_() {
    std::printf("%s open\n", name.c_str());
    return 0;
}
int blocked(const std::string& step, int err = errno) {
    std::printf("%s blocked %s %s\n", name.c_str(), step.c_str(), ::strerrorname_np(err));
    return 0;
}

std::string readFile(const std::string& path, int* err = nullptr) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (err) *err = errno;
        return "";
    }
    std::string s;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<size_t>(n));
    ::close(fd);
    if (err) *err = 0;
    return s;
}

// 0, or the errno of the open or write.
int writeFile(const std::string& path, const std::string& data) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return errno;
    ssize_t n = ::write(fd, data.data(), data.size());
    int e = n < 0 ? errno : 0;
    ::close(fd);
    return e;
}

bool isMountPoint(const std::string& path) {
    struct stat a, b;
    if (::stat(path.c_str(), &a) < 0 || ::stat((path + "/..").c_str(), &b) < 0) return false;
    if (a.st_dev != b.st_dev) return true;
    // The same file system bound on itself (/proc/sys on /proc): mountinfo.
    std::string mi = readFile("/proc/self/mountinfo");
    return mi.find(" " + path + " ") != std::string::npos;
}

// A new empty directory for a mount of the attack's own.
std::string scratchDir(const std::string& tag) {
    std::string d = "/tmp/xc-probe-" + tag;
    ::mkdir("/tmp", 01777);
    ::mkdir(d.c_str(), 0700);
    return d;
}

// Writes back what `file` holds (so a write that works changes nothing).
int rewrite(const std::string& file) {
    int err = 0;
    std::string v = readFile(file, &err);
    if (err) return blocked("read", err);
    if (v.empty()) v = "\n";
    int w = writeFile(file, v);
    return w ? blocked("write", w) : open_();
}

int corePattern(const std::string& route) {
    const std::string file = "/proc/sys/kernel/core_pattern";
    if (route == "mounted") return rewrite(file);
    if (route == "remount") {
        if (isMountPoint("/proc/sys") && ::mount(nullptr, "/proc/sys", nullptr, MS_REMOUNT | MS_BIND, nullptr) < 0)
            return blocked("remount");
        return rewrite(file);
    }
    if (route == "umount") {
        if (isMountPoint("/proc/sys") && ::umount2("/proc/sys", MNT_DETACH) < 0) return blocked("umount");
        return rewrite(file);
    }
    std::string d = scratchDir("proc");
    if (::mount("proc", d.c_str(), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) < 0) return blocked("mount");
    return rewrite(d + "/sys/kernel/core_pattern");
}

int sysfs(bool fresh) {
    std::string root = "/sys";
    if (fresh) {
        root = scratchDir("sys");
        if (::mount("sysfs", root.c_str(), "sysfs", 0, nullptr) < 0) return blocked("mount");
    } else if (::mount(nullptr, "/sys", nullptr, MS_REMOUNT | MS_BIND, nullptr) < 0 &&
               ::mount(nullptr, "/sys", nullptr, MS_REMOUNT, nullptr) < 0) {
        return blocked("remount");
    }
    return rewrite(root + "/kernel/rcu_expedited");
}

int mountFs(const std::string& fs) {
    std::string d = scratchDir(fs);
    // A bpf file system by itself holds nothing of the host's; one that
    // delegates the bpf syscall's permissions (to BPF tokens) does.
    const char* data = fs == "bpf" ? "delegate_cmds=any,delegate_maps=any,delegate_progs=any" : nullptr;
    if (::mount(fs.c_str(), d.c_str(), fs.c_str(), 0, data) < 0) return blocked("mount");
    return open_();
}

// mknod in `dir`, then open read-only.
int nodeIn(const std::string& dir, mode_t type, dev_t dev, std::string& why, int& err) {
    std::string node = dir + "/xc-probe-node";
    ::unlink(node.c_str());
    if (::mknod(node.c_str(), type | 0600, dev) < 0) {
        why = "mknod", err = errno;
        return -1;
    }
    int fd = ::open(node.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) why = "open", err = errno;
    ::unlink(node.c_str());
    if (fd < 0) return -1;
    ::close(fd);
    return 0;
}

int devNode(char type, int major, int minor) {
    mode_t t = type == 'b' ? S_IFBLK : S_IFCHR;
    std::string why;
    int err = 0;
    if (nodeIn("/dev", t, makedev(major, minor), why, err) == 0) return open_();
    std::string d = scratchDir("dev");
    if (::mount("tmpfs", d.c_str(), "tmpfs", 0, "size=16k") < 0) return blocked(why + "-in-dev", err);
    std::string why2;
    int err2 = 0;
    if (nodeIn(d, t, makedev(major, minor), why2, err2) == 0) return open_();
    return blocked(why + "-in-dev/" + why2 + "-in-tmpfs", err2);
}

void cgroupWrites(const std::string& dir, int depth, int& wrote, int& lastErr) {
    const std::pair<const char*, const char*> files[] = {
        {"devices.allow", "a"}, {"pids.max", "max"}, {"memory.max", "max"}, {"memory.limit_in_bytes", "-1"}};
    for (const auto& [f, v] : files) {
        std::string p = dir + "/" + f;
        if (::access(p.c_str(), F_OK) < 0) continue;
        int e = writeFile(p, v);
        if (e == 0) {
            std::printf("wrote %s\n", p.c_str());
            ++wrote;
        } else {
            lastErr = e;
        }
    }
    if (depth > 4) return;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return;
    std::vector<std::string> subs;
    while (dirent* e = ::readdir(d))
        if (e->d_type == DT_DIR && std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0)
            subs.push_back(dir + "/" + e->d_name);
    ::closedir(d);
    for (const auto& s : subs) cgroupWrites(s, depth + 1, wrote, lastErr);
}

int cgroupRewrite(std::vector<std::string> dirs) {
    // --fresh: new mounts too. Only inside a container: on the host a new
    // mount is the whole host tree, every group's limits.
    bool fresh = !dirs.empty() && dirs[0] == "--fresh";
    if (fresh) dirs.erase(dirs.begin());
    std::vector<std::string> roots;
    for (const auto& dir : dirs) {
        roots.push_back(dir);
        DIR* d = ::opendir(dir.c_str());
        while (dirent* e = d ? ::readdir(d) : nullptr) {
            std::string p = dir + "/" + e->d_name;
            if (e->d_name[0] != '.' && isMountPoint(p)) ::mount(nullptr, p.c_str(), nullptr, MS_REMOUNT | MS_BIND, nullptr);
        }
        if (d) ::closedir(d);
        if (isMountPoint(dir)) ::mount(nullptr, dir.c_str(), nullptr, MS_REMOUNT | MS_BIND, nullptr);
    }
    // New mounts of the controllers that hold limits (v1), and of cgroup2.
    for (const char* c : {"devices", "pids", "memory"}) {
        if (!fresh) break;
        std::string d = scratchDir(std::string("cg-") + c);
        if (::mount("cgroup", d.c_str(), "cgroup", 0, c) == 0) roots.push_back(d);
    }
    std::string d2 = scratchDir("cg2");
    if (fresh && ::mount("cgroup2", d2.c_str(), "cgroup2", 0, nullptr) == 0) roots.push_back(d2);
    int wrote = 0, lastErr = EPERM;
    for (const auto& r : roots) cgroupWrites(r, 0, wrote, lastErr);
    return wrote ? open_() : blocked("write", lastErr);
}

int releaseAgent() {
    std::string d = scratchDir("rel");
    std::string opts = "none,name=xcprobe" + std::to_string(::getpid());
    int mountErr = 0;
    if (::mount("cgroup", d.c_str(), "cgroup", 0, opts.c_str()) < 0) {
        mountErr = errno;
        // An existing hierarchy: mounted in a cgroup namespace, it shows no root files.
        if (::mount("cgroup", d.c_str(), "cgroup", 0, "none,name=systemd") < 0) return blocked("mount", mountErr);
    }
    std::string f = d + "/release_agent";
    if (::access(f.c_str(), F_OK) < 0) return blocked(mountErr ? "mount-new/no-file" : "no-file", mountErr ? mountErr : errno);
    int r = rewrite(f);
    ::umount2(d.c_str(), MNT_DETACH);
    return r;
}

int handle() {
    struct {
        file_handle h;
        unsigned char bytes[MAX_HANDLE_SZ];
    } fh;
    fh.h.handle_bytes = MAX_HANDLE_SZ;
    int mountId = 0;
    if (::name_to_handle_at(AT_FDCWD, "/", &fh.h, &mountId, 0) < 0) return blocked("name_to_handle_at");
    int root = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int fd = static_cast<int>(::syscall(SYS_open_by_handle_at, root, &fh.h, O_RDONLY | O_CLOEXEC));
    if (fd < 0) return blocked("open_by_handle_at");
    ::close(fd);
    return open_();
}

// A call that fails with `denied` (EPERM: the permission check) or passes it.
int pastCheck(long r, const char* step, int passedErrno1, int passedErrno2 = 0) {
    if (r >= 0) return open_();
    if (errno == passedErrno1 || (passedErrno2 && errno == passedErrno2)) return open_();
    return blocked(step);
}

int module() {
    long r = ::syscall(SYS_init_module, nullptr, 0UL, "");
    if (r < 0 && errno != ENOEXEC && errno != EINVAL && errno != EFAULT) return blocked("init_module");
    int empty = static_cast<int>(::syscall(SYS_memfd_create, "xc-probe", 0));
    r = ::syscall(SYS_finit_module, empty, "", 0);
    return pastCheck(r, "finit_module", EINVAL, ENOEXEC);
}

int bpfMap() {
    union bpf_attr a;
    std::memset(&a, 0, sizeof a);
    a.map_type = BPF_MAP_TYPE_ARRAY;
    a.key_size = 4;
    a.value_size = 4;
    a.max_entries = 1;
    long fd = ::syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a);
    return fd < 0 ? blocked("bpf") : open_();
}

int perf() {
    perf_event_attr a;
    std::memset(&a, 0, sizeof a);
    a.type = PERF_TYPE_SOFTWARE;
    a.size = sizeof a;
    a.config = PERF_COUNT_SW_CPU_CLOCK;
    a.exclude_kernel = 1;
    a.exclude_hv = 1;
    long fd = ::syscall(SYS_perf_event_open, &a, 0, -1, -1, 0UL);
    return fd < 0 ? blocked("perf_event_open") : open_();
}

int hostProc(pid_t pid, const std::string& marker) {
    bool seen = false;
    DIR* d = ::opendir("/proc");
    while (dirent* e = d ? ::readdir(d) : nullptr) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9') continue;
        std::string cmd = readFile(std::string("/proc/") + e->d_name + "/cmdline");
        for (auto& ch : cmd)
            if (ch == '\0') ch = ' ';
        // Not this probe (its arguments hold the marker), nor the attach that runs it.
        if (cmd.find("xc-it-probe") != std::string::npos || cmd.find("xc-attach") != std::string::npos) continue;
        if (cmd.find(marker) != std::string::npos) seen = true;
    }
    if (d) ::closedir(d);
    name = "host-proc-see";
    if (seen) open_(); else blocked("scan", ENOENT);
    name = "host-proc-signal";
    return ::kill(pid, SIGKILL) == 0 ? open_() : blocked("kill");
}

int hostNet(int port, const std::string& unixName) {
    name = "host-net-tcp";
    int s = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_port = htons(static_cast<uint16_t>(port));
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(s, reinterpret_cast<sockaddr*>(&in), sizeof in) == 0) open_(); else blocked("connect");
    ::close(s);
    name = "host-net-unix";
    int u = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un un{};
    un.sun_family = AF_UNIX;
    std::memcpy(un.sun_path + 1, unixName.data(), unixName.size());
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + unixName.size());
    int r = ::connect(u, reinterpret_cast<sockaddr*>(&un), len) == 0 ? open_() : blocked("connect");
    ::close(u);
    return r;
}

// Holds what it got until FILE.release appears.
void holdUntilReleased(const std::string& file, const std::string& what) {
    int fd = ::open((file + ".tmp").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd >= 0) {
        if (::write(fd, what.data(), what.size()) < 0) {}
        ::close(fd);
        ::rename((file + ".tmp").c_str(), file.c_str());
    }
    for (int i = 0; i < 600 && ::access((file + ".release").c_str(), F_OK) < 0; ++i) ::usleep(100000);
}

int inotifyHold(const std::string& file) {
    int n = 0, err = 0;
    for (;;) {
        if (::inotify_init1(IN_CLOEXEC) < 0) {
            err = errno;
            break;
        }
        ++n;
    }
    std::printf("%s held %d %s\n", name.c_str(), n, ::strerrorname_np(err));
    std::fflush(stdout);
    holdUntilReleased(file, "held " + std::to_string(n) + " " + ::strerrorname_np(err) + "\n");
    return 0;
}

// One worker: ptys from new devpts instances until refused. Writes its
// count and errno to `out` and holds them until `file`.release appears.
void ptyWorker(int out, const std::string& file, int worker) {
    int n = 0, err = 0;
    for (int inst = 0; err == 0; ++inst) {
        std::string d = scratchDir("pts-" + std::to_string(worker) + "-" + std::to_string(inst));
        if (::mount("devpts", d.c_str(), "devpts", 0, "newinstance,ptmxmode=0666") < 0) {
            err = errno;
            break;
        }
        int got = 0;
        for (;;) {
            if (::open((d + "/ptmx").c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC) < 0) {
                if (errno != ENOSPC || got == 0) err = errno;
                break;
            }
            ++got, ++n;
        }
    }
    int res[2] = {n, err};
    if (::write(out, res, sizeof res) < 0) {}
    ::close(out);
    holdUntilReleased(file + ".worker", "");
}

int ptyHold(const std::string& file) {
    ::unshare(CLONE_NEWNS);
    ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
    int total = 0, err = 0;
    std::vector<pid_t> workers;
    for (int w = 0; w < 16; ++w) {
        int p[2];
        if (::pipe(p) < 0) return blocked("pipe");
        pid_t c = ::fork();
        if (c == 0) {
            ::close(p[0]);
            ptyWorker(p[1], file, w);
            ::_exit(0);
        }
        ::close(p[1]);
        workers.push_back(c);
        int res[2] = {0, EIO};
        if (::read(p[0], res, sizeof res) != sizeof res) res[1] = EIO;
        ::close(p[0]);
        total += res[0];
        err = res[1];
        if (err != EMFILE) break;  // the pool, not this process's descriptors
    }
    std::printf("%s held %d %s\n", name.c_str(), total, ::strerrorname_np(err));
    std::fflush(stdout);
    holdUntilReleased(file, "held " + std::to_string(total) + " " + ::strerrorname_np(err) + "\n");
    int fd = ::open((file + ".worker.release").c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd >= 0) ::close(fd);
    for (pid_t c : workers) ::waitpid(c, nullptr, 0);
    return 0;
}

int escape(const std::vector<std::string>& a) {
    name = a[0];
    if (name != "pty-hold") {
        if (::unshare(CLONE_NEWNS) < 0) return blocked("unshare");
        ::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr);
        // The scratch directories on a tmpfs of this namespace's: they go with it.
        ::mkdir("/tmp", 01777);
        ::mount("tmpfs", "/tmp", "tmpfs", 0, "size=1m");
    }
    if (name.rfind("corepattern-", 0) == 0) return corePattern(name.substr(12));
    if (name == "sys-remount" || name == "sys-fresh") return sysfs(name == "sys-fresh");
    if (name.rfind("fs-", 0) == 0) return mountFs(name.substr(3));
    if (name == "dev-node" && a.size() == 4) return devNode(a[1][0], std::atoi(a[2].c_str()), std::atoi(a[3].c_str()));
    if (name == "cgroup-rewrite") return cgroupRewrite({a.begin() + 1, a.end()});
    if (name == "release-agent") return releaseAgent();
    if (name == "handle") return handle();
    if (name == "module") return module();
    if (name == "kexec") return pastCheck(::syscall(SYS_kexec_load, 0UL, 17UL, nullptr, 0UL), "kexec_load", EINVAL);
    if (name == "bpf") return bpfMap();
    if (name == "perf") return perf();
    if (name == "keyctl")
        return ::syscall(SYS_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0) < 0 ? blocked("keyctl") : open_();
    if (name == "userfaultfd") return ::syscall(SYS_userfaultfd, O_CLOEXEC) < 0 ? blocked("userfaultfd") : open_();
    if (name == "host-proc" && a.size() == 3) return hostProc(std::atoi(a[1].c_str()), a[2]);
    if (name == "host-net" && a.size() == 3) return hostNet(std::atoi(a[1].c_str()), a[2]);
    if (name == "inotify-hold" && a.size() == 2) return inotifyHold(a[1]);
    if (name == "pty-hold" && a.size() == 2) return ptyHold(a[1]);
    return 2;
}

// unshare -U -r -m -p -f (and -n with `net`): in the forked child returns
// true; the parent waits for it and returns false (and so does a failure,
// printed as "nest: STEP ERRNO").
bool enterNested(bool net) {
    uid_t uid = ::getuid();
    gid_t gid = ::getgid();
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWPID | (net ? CLONE_NEWNET : 0)) < 0) {
        std::printf("nest: unshare %s\n", ::strerrorname_np(errno));
        return false;
    }
    int e = writeFile("/proc/self/setgroups", "deny");
    if (!e) e = writeFile("/proc/self/uid_map", "0 " + std::to_string(uid) + " 1\n");
    if (!e) e = writeFile("/proc/self/gid_map", "0 " + std::to_string(gid) + " 1\n");
    if (e) {
        std::printf("nest: idmap %s\n", ::strerrorname_np(e));
        return false;
    }
    std::fflush(stdout);
    pid_t c = ::fork();
    if (c == 0) return true;
    if (c < 0) std::printf("nest: fork %s\n", ::strerrorname_np(errno));
    ::waitpid(c, nullptr, 0);
    return false;
}

// unshare -U -r -m -p -f --mount-proc true, with system calls.
int nest() {
    if (!enterNested(false)) return 0;
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) {
        std::printf("nest: make-rprivate %s\n", ::strerrorname_np(errno));
        ::_exit(0);
    }
    if (::mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) < 0) {
        std::printf("nest: mount-proc %s\n", ::strerrorname_np(errno));
        ::_exit(0);
    }
    std::printf("nest: %s\n", ::getpid() == 1 ? "ok" : "not-pid-1");
    ::_exit(0);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // forked children end with _exit
    std::string what = argv[1];
    if (what == "userfaultfd") {
        long fd = ::syscall(SYS_userfaultfd, O_CLOEXEC);
        std::printf("userfaultfd: %s\n", fd >= 0 ? "ok" : ::strerrorname_np(errno));
        return 0;
    }
    if (what == "ptys" && argc == 3) {
        int want = std::atoi(argv[2]), got = 0;
        for (int i = 0; i < want; ++i)
            if (::open("/dev/ptmx", O_RDWR | O_NOCTTY) >= 0) ++got;
        std::printf("ptys: %d\n", got);
        return 0;
    }
    if (what == "nest") return nest();
    if (what == "escape" && argc >= 3) return escape({argv + 2, argv + argc});
    if (what == "nested-escape" && argc >= 3) {
        if (!enterNested(true)) return 0;
        std::fflush(stdout);
        ::_exit(escape({argv + 2, argv + argc}));
    }
    return 2;
}
