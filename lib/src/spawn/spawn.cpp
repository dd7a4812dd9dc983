// The container's init: clone into namespaces, build its root with the
// fd-based mount API, pivot into it and exec. Runs in the cloned child up
// to exec; every failure travels back to the parent as an Error.
#include "spawn/spawn.hpp"

#include <fcntl.h>
#include <poll.h>
#include <linux/mount.h>
#include <sched.h>
#include <signal.h>
#include <net/if.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <grp.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "base/fsutil.hpp"
#include "base/number.hpp"
#include "cgroup/cgroup_clone.hpp"
#include "mount/lxcfs.hpp"
#include "mount/mount.hpp"
#include "mount/rootdir.hpp"
#include "process/clone_into.hpp"
#include "pty/probe.hpp"
#include "spawn/exec_error.hpp"
#include "spawn/userns.hpp"

// <sys/mount.h> clashes with <linux/mount.h>; these two are all we need of it.
extern "C" int mount(const char*, const char*, const char*, unsigned long, const void*) noexcept;
extern "C" int umount2(const char*, int) noexcept;
#ifndef MS_REC
#define MS_REC 16384
#endif
#ifndef MS_PRIVATE
#define MS_PRIVATE (1 << 18)
#endif
#ifndef MNT_DETACH
#define MNT_DETACH 2
#endif

namespace xc {

namespace {

// tmpfs pages outlive the processes that wrote them, so /dev/shm gets a
// size: the memory limit where one is set (the pages are charged to it
// anyway), else a quarter of the host's memory, so one container cannot
// fill the host's RAM through it.
uint64_t shmSizeFor(const ContainerConfig& cfg) {
    if (cfg.cgroup.memoryMax) return *cfg.cgroup.memoryMax;
    struct sysinfo si = {};
    if (::sysinfo(&si) < 0) return 1ull << 30;
    return static_cast<uint64_t>(si.totalram) * si.mem_unit / 4;
}

}  // namespace

Result<SpawnSpec> makeSpawnSpec(const ContainerConfig& cfg, const CgroupLayout& layout,
                                const std::vector<std::string>& cmdOverride) {
    SpawnSpec s;
    s.name = cfg.name;
    s.rootfs = cfg.rootfsPath;
    s.storage.backend = cfg.rootfsBackend;
    s.storage.rootfs = cfg.rootfsPath;
    s.storage.lower = cfg.rootfsLower;
    s.storage.upper = cfg.rootfsUpper;
    s.hostname = cfg.hostname.empty() ? cfg.name : cfg.hostname;
    s.argv = cmdOverride.empty() ? cfg.initCmd : cmdOverride;
    if (s.argv.empty() || s.argv[0].empty()) return Error::msg("no init command (init.cmd is empty)", EINVAL);
    s.env = {"container=xc", "TERM=linux", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
             "HOME=/root"};
    // The config's variables replace the defaults of the same name.
    for (const auto& e : cfg.environment) {
        const std::string var = e.substr(0, e.find('=') + 1);
        auto same = std::find_if(s.env.begin(), s.env.end(), [&](const std::string& d) { return d.rfind(var, 0) == 0; });
        if (same != s.env.end()) *same = e;
        else s.env.push_back(e);
    }
    if (!cfg.initCwd.empty()) s.cwd = cfg.initCwd;
    s.uid = cfg.initUid;
    s.gid = cfg.initGid;
    s.ttyCount = cfg.ttyCount;
    s.ttysOnDemand = !cfg.ttyLogin.empty();
    s.shmBytes = shmSizeFor(cfg);
    s.security = cfg.security;
    XC_ASSIGN(s.capDrop, capabilitiesToDrop(cfg.security));
    XC_ASSIGN(s.seccomp, seccompRules(cfg.security.seccomp));
    s.cgroupLayout = layout;
    s.hostNetwork = cfg.hostNetwork();
    s.cloneFlags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | (s.hostNetwork ? 0 : CLONE_NEWNET);
    s.idmap = cfg.idmap;
    // A user's start (its cgroup is a delegated one) cannot enter the
    // container's network namespace from the host: the init brings lo up.
    s.byUser = layout.delegated();
    s.rootfsShifted = !cfg.rootfsShifted.empty() && sameIdmap(cfg.rootfsShifted, cfg.idmap);
    s.loopbackInside = !s.hostNetwork && s.byUser;
    s.hooks = cfg.hooks;
    s.hookEnv = hookEnvFor(cfg);
    if (s.userNamespace()) {
        XC_TRY(checkStartable(s.idmap));
        // sysfs belongs to a network namespace: one the container's user
        // namespace does not own cannot be mounted from inside it.
        if (s.hostNetwork)
            return Error::msg("network type \"none\" (the host's network) needs a privileged container: a user "
                              "namespace cannot mount /sys for the host's network namespace",
                              EINVAL);
    } else if (s.security.nesting) {
        return Error::msg("security.nesting needs an unprivileged container (an idmap): containers nested in a "
                          "privileged one would have the host's root",
                          EINVAL);
    }
    XC_ASSIGN(s.mounts, planMounts(s, cfg.mounts));
    return s;
}

Status chooseLxcfs(LxcfsMode mode, const std::string& path, SpawnSpec& s) {
    s.lxcfsDir.clear();
    s.lxcfsNote.clear();
    if (mode == LxcfsMode::Off) return {};
    Status st = lxcfsAvailable(path);
    if (st) {
        s.lxcfsDir = path;
        return {};
    }
    if (mode == LxcfsMode::Auto) {
        s.lxcfsNote = st.error().message() + ": /proc/meminfo and the rest show the host's values";
        return {};
    }
    return Error::msg("lxcfs = true, but " + st.error().message() +
                          "; install and start lxcfs (apt-get install lxcfs), set lxcfs.path in xc.conf to where it "
                          "is mounted, or set lxcfs = \"auto\"",
                      st.error().code());
}

namespace {

Result<UniqueFd> openAt(int dirfd, const std::string& path, int flags, const std::string& shown) {
    UniqueFd fd(::openat(dirfd, path.c_str(), flags | O_CLOEXEC | O_NOFOLLOW));
    if (!fd) return Error::sys("open " + shown);
    return fd;
}

// A fresh filesystem attached on `target` (an O_PATH fd); returns its root.
Result<UniqueFd> mountNew(int target, const std::string& fstype,
                          const std::vector<std::pair<std::string, std::string>>& params, uint64_t attrs,
                          const std::string& shown) {
    XC_ASSIGN(UniqueFd mnt, newFilesystem(fstype, fstype, params, MountAttrs{attrs, 0}).ctx("mount " + shown));
    XC_TRY(attachMount(mnt.get(), target, shown));
    return mnt;
}

// The new filesystem a plan entry describes, on `target`.
Result<UniqueFd> mountPlanned(int target, const PlannedMount& m, uint64_t withoutAttrs = 0) {
    return mountNew(target, m.fstype, m.params, m.attrs.set & ~withoutAttrs, m.target);
}

// Binds the object `srcfd` refers to onto `target`.
Status bindOnto(int srcfd, int target, const std::string& shown) {
    XC_ASSIGN(UniqueFd tree, cloneTree(srcfd, "", false).ctx("bind " + shown));
    return attachMount(tree.get(), target, shown);
}

// A pty pair from the container's own devpts; returns {master, slave}.
Result<std::pair<UniqueFd, UniqueFd>> newPty(int ptsfd) {
    UniqueFd master(::openat(ptsfd, "ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC | O_NOFOLLOW));
    if (!master && errno == ENOSPC) return ptyExhaustedError("open /dev/pts/ptmx", readPtyLimits(), kContainerPtyMax);
    if (!master) return Error::sys("open /dev/pts/ptmx");
    int unlock = 0;
    if (::ioctl(master.get(), TIOCSPTLCK, &unlock) < 0) return Error::sys("unlock pty");
    UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) return Error::sys("open pty peer");
    return std::make_pair(std::move(master), std::move(slave));
}

struct DevSetup {
    UniqueFd dev;
    UniqueFd console;            // master
    std::vector<UniqueFd> ttys;  // masters
};

// The entry of `list` for `target`.
Result<const PlannedMount*> planned(const std::vector<const PlannedMount*>& list, const std::string& target) {
    for (const PlannedMount* m : list)
        if (m->target == target) return m;
    return Error::msg("internal error: the start plan has no mount on " + target, EPROTO);
}

// The standard nodes: made where the container is privileged; in a user
// namespace, where mknod is not allowed (and a tmpfs of its own holds no
// device), the host's own nodes bound onto empty files (the plan's DevNode
// entries).
Status makeDeviceNodes(int dev, const SpawnSpec& spec) {
    for (const auto& d : containerDeviceNodes()) {
        const std::string shown = std::string("/dev/") + d.name;
        if (!spec.userNamespace()) {
            if (::mknodat(dev, d.name, S_IFCHR | 0666, makedev(d.major, d.minor)) < 0) return Error::sys("create " + shown);
            continue;
        }
        XC_ASSIGN(const PlannedMount* m, planned(spec.mountsOf(MountStep::DevNode), shown));
        UniqueFd host(::open(m->source.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        struct stat st;
        if (!host || ::fstat(host.get(), &st) < 0) return Error::sys("open the host's " + shown);
        if (!S_ISCHR(st.st_mode) || st.st_rdev != makedev(d.major, d.minor))
            return Error::msg("the host's " + shown + " is not the device " + std::to_string(d.major) + ":" +
                                  std::to_string(d.minor),
                              ENODEV);
        UniqueFd f(::openat(dev, d.name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0666));
        if (!f) return Error::sys("create " + shown);
        XC_ASSIGN(UniqueFd target, openAt(dev, d.name, O_PATH, shown));
        XC_TRY(bindOnto(host.get(), target.get(), shown));
    }
    return {};
}

// /dev: a tmpfs with the standard nodes, devpts (a new instance), shm,
// mqueue, and the console and ttys bound from the container's own ptys,
// each mount as the plan has it.
Result<DevSetup> setupDev(const RootDir& root, const SpawnSpec& spec) {
    DevSetup out;
    XC_ASSIGN(UniqueFd target, root.makeDirs("dev", 0755));
    XC_ASSIGN(const PlannedMount* devMount, spec.mountOf(MountStep::Dev));
    XC_ASSIGN(out.dev, mountPlanned(target.get(), *devMount));
    int dev = out.dev.get();
    XC_TRY(makeDeviceNodes(dev, spec));
    const std::pair<const char*, const char*> links[] = {{"/proc/self/fd", "fd"},
                                                         {"/proc/self/fd/0", "stdin"},
                                                         {"/proc/self/fd/1", "stdout"},
                                                         {"/proc/self/fd/2", "stderr"},
                                                         {"pts/ptmx", "ptmx"}};
    for (const auto& [to, name] : links)
        if (::symlinkat(to, dev, name) < 0) return Error::sys(std::string("create /dev/") + name);
    const std::pair<const char*, mode_t> dirs[] = {{"pts", 0755}, {"shm", 01777}, {"mqueue", 0755}};
    for (const auto& [name, mode] : dirs)
        if (::mkdirat(dev, name, mode) < 0) return Error::sys(std::string("create /dev/") + name);

    XC_ASSIGN(const PlannedMount* ptsMount, spec.mountOf(MountStep::DevPts));
    XC_ASSIGN(UniqueFd ptsDir, openAt(dev, "pts", O_PATH | O_DIRECTORY, "/dev/pts"));
    XC_ASSIGN(UniqueFd pts, mountPlanned(ptsDir.get(), *ptsMount));
    XC_ASSIGN(const PlannedMount* shmMount, spec.mountOf(MountStep::DevShm));
    XC_ASSIGN(UniqueFd shmDir, openAt(dev, "shm", O_PATH | O_DIRECTORY, "/dev/shm"));
    XC_TRY(mountPlanned(shmDir.get(), *shmMount));
    XC_ASSIGN(const PlannedMount* mqMount, spec.mountOf(MountStep::DevMqueue));
    XC_ASSIGN(UniqueFd mqDir, openAt(dev, "mqueue", O_PATH | O_DIRECTORY, "/dev/mqueue"));
    XC_TRY(mountPlanned(mqDir.get(), *mqMount));

    // The console and each ttyN: an empty file with a pty slave bound on it.
    for (const PlannedMount* tty : spec.mountsOf(MountStep::Tty)) {
        std::string name = tty->target.substr(5);  // "console", "ttyN"
        bool isConsole = name == "console";
        UniqueFd f(::openat(dev, name.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600));
        if (!f) return Error::sys("create /dev/" + name);
        XC_ASSIGN(auto pty, newPty(pts.get()));
        XC_ASSIGN(UniqueFd target2, openAt(dev, name, O_PATH, "/dev/" + name));
        XC_TRY(bindOnto(pty.second.get(), target2.get(), "/dev/" + name));
        if (isConsole)
            out.console = std::move(pty.first);
        else
            out.ttys.push_back(std::move(pty.first));
    }
    return out;
}

// systemd and journald tell boots apart by /proc/sys/kernel/random/boot_id,
// which the kernel keeps for the host's boot: each boot of the container
// gets a random one of its own, a read-only file bound over it (made on
// /dev's tmpfs and unlinked there once bound, as systemd-nspawn does).
Status bindBootId(int procfd, int devfd, const PlannedMount& m) {
    unsigned char b[16];
    if (::getrandom(b, sizeof b, 0) != static_cast<ssize_t>(sizeof b)) return Error::sys("make a boot id");
    b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);  // a version 4 (random) UUID
    b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
    char id[40];
    int n = std::snprintf(id, sizeof id, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x\n", b[0],
                          b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    const std::string inProc = m.target.substr(6);  // below /proc/
    UniqueFd target(::openat(procfd, inProc.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    if (!target) return errno == ENOENT ? Status{} : Error::sys("open " + m.target);
    const char* name = ".xc-boot-id";
    {
        UniqueFd f(::openat(devfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0444));
        if (!f || ::write(f.get(), id, static_cast<size_t>(n)) != n) return Error::sys("write the boot id");
    }
    XC_ASSIGN(UniqueFd tree, cloneTree(devfd, name, false).ctx("bind the boot id"));
    XC_TRY(setMountAttrs(tree.get(), m.attrs, false).ctx("bind the boot id"));
    XC_TRY(attachMount(tree.get(), target.get(), m.target));
    if (::unlinkat(devfd, name, 0) < 0) return Error::sys(std::string("remove /dev/") + name);
    return {};
}

// /proc with /proc/sys read-only except /proc/sys/net (the container's
// own), a boot id of its own, and the files that reach the host's kernel masked.
// Returns the root of the new proc mount.
Result<UniqueFd> setupProc(const RootDir& root, int devfd, const SpawnSpec& spec) {
    XC_ASSIGN(const PlannedMount* procMount, spec.mountOf(MountStep::Proc));
    XC_ASSIGN(const PlannedMount* sysMount, spec.mountOf(MountStep::ProcSys));
    XC_ASSIGN(UniqueFd target, root.makeDirs("proc", 0555));
    XC_ASSIGN(UniqueFd proc, mountPlanned(target.get(), *procMount));
    XC_ASSIGN(UniqueFd net, cloneTree(proc.get(), "sys/net", true).ctx("bind /proc/sys/net"));
    XC_ASSIGN(UniqueFd sys, cloneTree(proc.get(), "sys", sysMount->recursive).ctx("bind /proc/sys"));
    XC_TRY(setMountAttrs(sys.get(), sysMount->attrs, sysMount->recursive).ctx("make /proc/sys read-only"));
    XC_ASSIGN(UniqueFd sysDir, openAt(proc.get(), "sys", O_PATH | O_DIRECTORY, "/proc/sys"));
    XC_TRY(attachMount(sys.get(), sysDir.get(), "/proc/sys"));
    // /proc/sys/net: the plan has it where the network namespace is the
    // container's own (writable), not with the host's network.
    for (const PlannedMount* m : spec.mountsOf(MountStep::ProcSysNet)) {
        XC_ASSIGN(UniqueFd netDir, openAt(proc.get(), "sys/net", O_PATH | O_DIRECTORY, m->target));
        XC_TRY(attachMount(net.get(), netDir.get(), m->target));
    }
    for (const PlannedMount* m : spec.mountsOf(MountStep::BootId)) XC_TRY(bindBootId(proc.get(), devfd, *m));
    for (const PlannedMount* m : spec.mountsOf(MountStep::ProcMask)) {
        UniqueFd t(::openat(proc.get(), m->target.substr(6).c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (!t) continue;  // not on this kernel
        XC_ASSIGN(UniqueFd null, openAt(devfd, m->source.substr(5), O_PATH, m->source));
        XC_TRY(bindOnto(null.get(), t.get(), m->target));
    }
    for (const PlannedMount* m : spec.mountsOf(MountStep::ProcHide)) {
        UniqueFd t(::openat(proc.get(), m->target.substr(6).c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!t) continue;
        XC_TRY(mountPlanned(t.get(), *m));
    }
    return proc;
}

// security.nesting: a proc of the container's with nothing over it, at
// /dev/.xc-nesting/proc. The kernel lets a nested user namespace mount a
// new proc only where a fully visible one is already mounted (the
// container's own /proc has masks and a read-only /proc/sys bound over
// it); what this one shows is the container's pid namespace, and the
// files its masks cover stay closed to a root that is not the host's.
Status setupNestingProc(int devfd, const PlannedMount& m) {
    if (::mkdirat(devfd, ".xc-nesting", 0755) < 0) return Error::sys("create /dev/.xc-nesting");
    XC_ASSIGN(UniqueFd dir, openAt(devfd, ".xc-nesting", O_PATH | O_DIRECTORY, "/dev/.xc-nesting"));
    if (::mkdirat(dir.get(), "proc", 0555) < 0) return Error::sys("create /dev/.xc-nesting/proc");
    XC_ASSIGN(UniqueFd target, openAt(dir.get(), "proc", O_PATH | O_DIRECTORY, "/dev/.xc-nesting/proc"));
    XC_TRY(mountPlanned(target.get(), m));
    return {};
}

// /sys read-only, and a cgroup view rooted at the container's payload
// group (the root of its cgroup namespace, see Cgroup): on cgroup2 hosts
// cgroup2 itself; on v1 and hybrid hosts the host's layout, controllers
// read-only, name=systemd and unified writable so a systemd guest can
// manage its own subtree. The read-only flags only keep honest software
// from writing; they are not what protects the host: a container root can
// remount them, and all it then reaches is its payload, which the kernel
// holds under the limits and device policy of the group above it, a group
// no mount made inside can show. Returns the root of the sysfs mount.
Result<UniqueFd> mountSysfs(const RootDir& root, const SpawnSpec& spec) {
    XC_ASSIGN(const PlannedMount* sysMount, spec.mountOf(MountStep::Sys));
    XC_ASSIGN(UniqueFd target, root.makeDirs("sys", 0555));
    return mountPlanned(target.get(), *sysMount);
}

// The cgroup view in /sys/fs/cgroup: fresh mounts, rooted where the
// cgroup namespace is (the payload).
Status mountCgroupView(int sys, const SpawnSpec& spec) {
    UniqueFd cgDir(::openat(sys, "fs/cgroup", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    auto view = spec.mountsOf(MountStep::SysCgroup);  // none: the host has no cgroup hierarchy
    if (!cgDir || view.empty()) return {};
    const PlannedMount& top = *view.front();
    if (top.fstype != "tmpfs") {  // cgroup2 itself
        XC_TRY(mountPlanned(cgDir.get(), top));
        return {};
    }
    // The tmpfs is made read-only once the hierarchies are mounted in it.
    XC_ASSIGN(UniqueFd tmpfs, mountPlanned(cgDir.get(), top, MOUNT_ATTR_RDONLY));
    for (const PlannedMount* h : spec.mountsOf(MountStep::SysCgroupHierarchy)) {
        std::string dir = h->target.substr(h->target.rfind('/') + 1);
        if (::mkdirat(tmpfs.get(), dir.c_str(), 0755) < 0) return Error::sys("create " + h->target);
        XC_ASSIGN(UniqueFd d, openAt(tmpfs.get(), dir, O_PATH | O_DIRECTORY, h->target));
        XC_TRY(mountPlanned(d.get(), *h));
    }
    return setMountAttrs(tmpfs.get(), MountAttrs{top.attrs.set & MOUNT_ATTR_RDONLY, 0}, false)
        .ctx("make /sys/fs/cgroup read-only");
}

// Handles of the config's bind sources, in the plan's order (an empty one
// for a filesystem mount or a missing optional source). Opened before an
// unprivileged child gives up the host's uid: the container's root may
// not be allowed to search the host directories they lie in.
Result<std::vector<UniqueFd>> openBindSources(const std::vector<const PlannedMount*>& mounts) {
    std::vector<UniqueFd> out;
    for (const PlannedMount* m : mounts) {
        out.emplace_back();
        if (!m->bind()) continue;
        auto source = openPathNoFollow(m->source);
        if (!source && source.error().code() == ENOENT && m->optional) continue;
        if (!source) return std::move(source).error().wrap("mounts[" + std::to_string(m->configIndex) + "].source " + m->source);
        out.back() = std::move(*source);
    }
    return out;
}

// The config's mounts, as planned: bind mounts of host paths (`sources`,
// from openBindSources) or new filesystems.
Status setupUserMounts(const RootDir& root, const std::vector<const PlannedMount*>& mounts,
                       const std::vector<UniqueFd>& sources) {
    for (size_t i = 0; i < mounts.size(); ++i) {
        const PlannedMount& m = *mounts[i];
        const std::string& shown = m.target;
        UniqueFd mnt;
        bool isDir = true;
        if (m.bind()) {
            if (!sources[i]) continue;  // a missing optional source
            struct stat st;
            if (::fstat(sources[i].get(), &st) < 0) return Error::sys("stat mounts[" + std::to_string(m.configIndex) + "].source");
            isDir = S_ISDIR(st.st_mode);
            XC_ASSIGN(mnt, cloneTree(sources[i].get(), "", m.recursive).ctx("mount " + m.source + " on " + shown));
            XC_TRY(setMountAttrs(mnt.get(), m.attrs, m.recursive).ctx("mount " + m.source + " on " + shown));
        } else {
            auto made = newFilesystem(m.fstype, m.source, m.params, m.attrs);
            if (!made) return std::move(made).error().wrap("mount " + m.fstype + " on " + shown);
            mnt = std::move(*made);
        }
        bool wantFile = m.create == "file" || (m.create.empty() && !isDir);
        const std::string rel = m.target.substr(1);
        auto target = wantFile ? root.makeFile(rel, 0644) : root.makeDirs(rel, 0755);
        if (!target) return std::move(target).error().wrap("mount on " + shown);
        XC_TRY(attachMount(mnt.get(), target->get(), shown));
    }
    return {};
}

// In the child, once its maps exist: the namespace's root. A change of
// credentials clears the parent-death signal: set it again (a supervisor
// that died in between is seen when the ptys cannot be sent).
Status becomeRoot(const SpawnSpec& spec) {
    if (!spec.userNamespace()) return {};
    XC_TRY(becomeNamespaceRoot());
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    return {};
}

// An application image's working directory and user (init.cwd,
// init.user), taken after the start hooks, which run as root: the ids are
// the container's own (its user namespace's), the directory is inside its
// root.
Status becomeInitUser(const SpawnSpec& spec) {
    if (::chdir(spec.cwd.c_str()) < 0) return Error::sys("enter the working directory " + spec.cwd + " (init.cwd)");
    if (spec.uid < 0) return {};
    const gid_t gid = static_cast<gid_t>(spec.gid);
    const uid_t uid = static_cast<uid_t>(spec.uid);
    const std::string who = std::to_string(uid) + ":" + std::to_string(gid) + " (init.user)";
    // A user namespace whose setgroups is denied has no groups to drop.
    if (::setgroups(1, &gid) < 0 && !(errno == EPERM && ::getgroups(0, nullptr) == 0))
        return Error::sys("set the groups of " + who);
    if (::setresgid(gid, gid, gid) < 0) return Error::sys("become the group of " + who);
    if (::setresuid(uid, uid, uid) < 0) return Error::sys("become " + who);
    return {};
}

// The rootfs mounted over its own path, so it is a mount point pivot_root
// accepts: the idmapped tree the parent made or a plain bind (dir), or the
// overlay of its layers (the idmapped ones the parent made), mounted with
// the namespace root's credentials. Returns the root of the mounted tree,
// which every later step works from: the paths are walked while the child
// still has the host's uid (the container's root may not be allowed to
// search the container's directory); it is the namespace's root after.
// What is mounted is the plan's rootfs entry: its type, source and fsconfig
// parameters (xc-start --dry-run prints the same entry).
Result<RootDir> mountRootfs(const SpawnSpec& spec, std::vector<UniqueFd> fds) {
    XC_ASSIGN(const PlannedMount* m, spec.mountOf(MountStep::Rootfs));
    if (((m->attrs.set & MOUNT_ATTR_IDMAP) != 0) != !fds.empty())
        return Error::msg("mount root filesystem " + spec.rootfs + ": the plan and the idmapped layers disagree", EPROTO);
    UniqueFd target(::open(spec.rootfs.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!target) return Error::sys("open root filesystem " + spec.rootfs);
    UniqueFd tree;
    if (m->fstype == "overlay") {
        XC_ASSIGN(storage::OverlayLayers layers, storage::openLayers(spec.storage, std::move(fds)));
        XC_TRY(becomeRoot(spec));
        XC_ASSIGN(tree, storage::mountOverlay(layers, m->params));
    } else if (m->bind()) {
        if (!fds.empty()) {
            tree = std::move(fds[0]);
        } else {
            XC_ASSIGN(tree, cloneTree(AT_FDCWD, m->source, m->recursive).ctx("bind root filesystem " + m->source));
        }
    } else {
        return Error::msg("mount root filesystem " + spec.rootfs + ": the plan's type " + m->fstype + " is not one a root can be",
                          EPROTO);
    }
    XC_TRY(attachMount(tree.get(), target.get(), spec.rootfs));
    if (m->fstype != "overlay") XC_TRY(becomeRoot(spec));
    return RootDir::fromFd(std::move(tree), spec.rootfs);
}

// lo of the child's own network namespace, up.
Status bringUpLoopback() {
    UniqueFd sock(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    if (!sock) return Error::sys("bring up lo: socket");
    struct ifreq ifr {};
    std::snprintf(ifr.ifr_name, sizeof ifr.ifr_name, "lo");
    if (::ioctl(sock.get(), SIOCGIFFLAGS, &ifr) < 0) return Error::sys("bring up lo: read its flags");
    ifr.ifr_flags |= IFF_UP;
    if (::ioctl(sock.get(), SIOCSIFFLAGS, &ifr) < 0) return Error::sys("bring up lo");
    return {};
}

// All of the child's set-up before this runs while the parent finishes
// placing it; in all of its groups now, its cgroup namespace is rooted at
// the payload, below the limits level, which it can never show.
Status enterCgroupNamespaceWhenPlaced(const Channel& ch) {
    auto placed = ch.recv(0);
    if (!placed || placed->eof || placed->data != "placed") return Error::msg("the supervisor stopped the start", ECANCELED);
    if (::unshare(CLONE_NEWCGROUP) < 0) return Error::sys("enter a new cgroup namespace");
    return {};
}

// Everything between "go" and exec. Returns only on failure.
Error runChild(const SpawnSpec& spec, const Channel& ch, std::vector<UniqueFd> idmapped) {
    ::umask(0);
    if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0) return Error::sys("make mounts private");
    // The host's paths first, with the host's uid; files made from the
    // rootfs on (/dev) need an owner the namespace maps.
    const auto userMounts = spec.mountsOf(MountStep::Config);
    auto bindSources = openBindSources(userMounts);
    if (!bindSources) return std::move(bindSources).error();
    auto root = mountRootfs(spec, std::move(idmapped));
    if (!root) return std::move(root).error();
    if (spec.loopbackInside)
        if (auto st = bringUpLoopback(); !st) return std::move(st).error();
    auto dev = setupDev(*root, spec);
    if (!dev) return std::move(dev).error().wrap("set up /dev");
    auto proc = setupProc(*root, dev->dev.get(), spec);
    if (!proc) return std::move(proc).error().wrap("set up /proc");
    for (const PlannedMount* m : spec.mountsOf(MountStep::Nesting))
        if (auto st = setupNestingProc(dev->dev.get(), *m); !st) return std::move(st).error().wrap("set up nesting");
    auto sys = mountSysfs(*root, spec);
    if (!sys) return std::move(sys).error().wrap("set up /sys");
    if (auto st = enterCgroupNamespaceWhenPlaced(ch); !st) return std::move(st).error();
    if (auto st = mountCgroupView(sys->get(), spec); !st) return std::move(st).error().wrap("set up /sys");
    // lxcfs's files over /proc's and /sys's, while the host's tree is in view.
    if (!spec.lxcfsDir.empty())
        if (auto st = bindLxcfs(spec.lxcfsDir, proc->get(), sys->get()); !st) return std::move(st).error().wrap("set up lxcfs");
    if (auto st = setupUserMounts(*root, userMounts, *bindSources); !st) return std::move(st).error();
    bindSources->clear();
    // The mount hooks: the container's mount namespace, the host's programs.
    if (auto st = runHooks("mount", spec.hooks.mount, spec.hookEnv); !st) return std::move(st).error();

    std::vector<int> ptys = {dev->console.get()};
    for (const auto& t : dev->ttys) ptys.push_back(t.get());
    if (auto st = ch.send("ptys", ptys); !st) return std::move(st).error();
    // On when the parent's start_host hooks are done (it kills us on failure).
    auto cont = ch.recv(0);
    if (!cont || cont->eof || cont->data != "exec") return Error::msg("the supervisor stopped the start", ECANCELED);
    dev->console.reset();
    dev->ttys.clear();
    dev->dev.reset();

    if (::fchdir(root->fd()) < 0) return Error::sys("enter root filesystem");
    if (::syscall(SYS_pivot_root, ".", ".") < 0) return Error::sys("pivot_root into " + spec.rootfs);
    if (::umount2(".", MNT_DETACH) < 0) return Error::sys("detach the host's root");
    if (::chdir("/") < 0) return Error::sys("chdir /");
    if (::sethostname(spec.hostname.data(), spec.hostname.size()) < 0)
        return Error::sys("set hostname '" + spec.hostname + "'");

    if (::setsid() < 0) return Error::sys("start a session");
    UniqueFd console(::open("/dev/console", O_RDWR | O_CLOEXEC | (spec.userNamespace() ? O_NOCTTY : 0)));
    if (!console) return Error::sys("open /dev/console");
    // In a user namespace the init leaves the console free: a getty there
    // could not take it from the init's session (stealing a controlling
    // terminal needs CAP_SYS_ADMIN over the host).
    if (!spec.userNamespace() && ::ioctl(console.get(), TIOCSCTTY, 0) < 0)
        return Error::sys("make /dev/console the controlling terminal");
    for (int i = 0; i < 3; ++i)
        if (::dup2(console.get(), i) < 0) return Error::sys("attach stdio to /dev/console");
    console.reset();
    closeFdsFrom(3, {ch.fd()});
    ::umask(022);

    if (auto st = dropBoundingCapabilities(spec.capDrop); !st) return std::move(st).error();
    if (auto st = loadSeccomp(spec.seccompProgram); !st) return std::move(st).error();
    // The start hooks: inside, as confined as the init they precede.
    HookEnv inside = spec.hookEnv;
    inside.base = spec.env;
    if (auto st = runHooks("start", spec.hooks.start, inside); !st) return std::move(st).error();
    if (auto st = becomeInitUser(spec); !st) return std::move(st).error();

    std::vector<char*> argv, envp;
    for (const auto& a : spec.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    for (const auto& e : spec.env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    ::execve(argv[0], argv.data(), envp.data());
    return initExecError(errno, spec.argv[0]);
}

}  // namespace

// The container's first process hung up without a word: it was killed
// (the OOM killer under a small memory.max) or crashed before its init
// ran. Reaps it and says how it ended, rather than "exited without a word".
Error diedInSetup(Process& child, const Cgroup& cgroup, Error e) {
    // (A reset: the child died with our "placed" unread.)
    if ((e.code() != EPIPE && e.code() != ECONNRESET) || !child.running()) return e;
    auto status = child.wait(std::chrono::milliseconds(2000));
    if (!status) return e;
    std::string why = "set up the container: its first process " +
                      (WIFSIGNALED(*status) ? "was killed by " + signalName(WTERMSIG(*status))
                                            : describeWaitStatus(*status)) +
                      " before the init ran";
    auto max = cgroup.get("memory.max");
    auto bytes = max ? parseU64(trim(*max)) : std::nullopt;
    if (WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL && bytes && *bytes < (1ULL << 62))
        why += ", likely the memory limit (cgroup.memory.max = " + std::to_string(*bytes) + " bytes)";
    return Error::msg(why, ECHILD);
}

namespace {

// The parent's part of a user namespace, before the child mounts: its
// maps and the idmapped rootfs it mounts (or, for an overlay, its idmapped
// layers). (Its payload cgroup is given to its root once all of it is made.)
Result<std::vector<UniqueFd>> prepareUserNamespace(const SpawnSpec& spec, pid_t pid) {
    XC_TRY(writeIdMaps(pid, spec.idmap).ctx("set up the user namespace"));
    std::vector<UniqueFd> out;
    // A user's container (spec.byUser) is planned without an idmapped root:
    // a user may not idmap a mount of a filesystem the host mounted (that
    // needs CAP_SYS_ADMIN over its superblock), so its rootfs is bound as it
    // is, its files the user's own, which is root inside.
    XC_ASSIGN(const PlannedMount* root, spec.mountOf(MountStep::Rootfs));
    if (!(root->attrs.set & MOUNT_ATTR_IDMAP)) return out;
    for (const auto& path : spec.storage.overlay() ? spec.storage.idmapPaths() : std::vector<std::string>{root->source}) {
        XC_ASSIGN(UniqueFd tree, idmappedTree(path, pid));
        out.push_back(std::move(tree));
    }
    return out;
}

// The init's first process: in a user namespace of its own for an
// unprivileged container, owned by the container's root (its host uid), so
// that what the container counts against per-user limits is not the host
// root's (see userNamespaceOwnedBy); where the host allows no unprivileged
// user namespace, one made by root (the supervisor) itself.
// With intoCgroup >= 0 it is first tried born in that cgroup2 group; where
// that fails (a kernel before 5.7, a group the caller may not enter from
// the user namespace) no child exists yet, and it is cloned to be moved,
// into the same user namespace.
Result<Process> cloneInit(const SpawnSpec& spec, unsigned long long flags, int intoCgroup, bool& bornInUnified) {
    UniqueFd owned;
    if (spec.userNamespace() && spec.byUser) {
        flags |= CLONE_NEWUSER;  // the caller's own: it owns no other user
    } else if (spec.userNamespace()) {
        auto uid = static_cast<uid_t>(hostIdOf(spec.idmap, 'u', 0));
        auto gid = static_cast<gid_t>(hostIdOf(spec.idmap, 'g', 0));
        if (auto ns = userNamespaceOwnedBy(uid, gid))
            owned = std::move(*ns);
        else
            flags |= CLONE_NEWUSER;
    }
    auto cloneOnce = [&](int cgroupFd) -> Result<Process> {
        if (owned) return cloneChildIn(owned.get(), flags, cgroupFd);
        return cgroupFd >= 0 ? cloneChildInto(flags, cgroupFd) : cloneChild(flags);
    };
    bornInUnified = false;
    if (intoCgroup >= 0) {
        auto born = cloneOnce(intoCgroup);
        bornInUnified = born.ok();
        if (born) return born;
    }
    return cloneOnce(-1);
}

// Our step that failed while the child built its mounts: if the child
// failed first (its error is waiting), that is the cause.
Error childFailedFirst(Process& child, const Channel& ch, const Cgroup& cgroup, Error ours) {
    struct pollfd p = {ch.fd(), POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return ours;
    auto said = ch.expect("set up the container");
    return said ? std::move(ours) : diedInSetup(child, cgroup, std::move(said).error());
}

}  // namespace

Result<SpawnedInit> spawnInit(const SpawnSpec& spec, Cgroup& cgroup, const std::function<Status(pid_t)>& beforeRelease,
                              const std::function<Status(pid_t)>& beforeExec) {
    XC_TRY(requireNamespaceRoot());
    // Never an init without the filter its config asks for.
    if (!spec.seccomp.empty() && spec.seccompProgram.empty())
        return Error::msg("start the init: its seccomp filter was not compiled", EINVAL);
    XC_ASSIGN(auto chans, Channel::pair());
    Channel& parentEnd = chans.first;
    Channel& childEnd = chans.second;
    unsigned long long flags = spec.cloneFlags;
    // Born in its cgroup2 group where there is one: no migration there, and
    // on a cgroup2-only host none at all (each migration takes the global
    // cgroup_threadgroup_rwsem, whose first writer waits for an RCU grace
    // period).
    XC_ASSIGN(UniqueFd intoCgroup, openUnifiedPayload(cgroup).ctx("start the init in its cgroup"));
    bool bornInUnified = false;
    auto cloned = cloneInit(spec, flags, intoCgroup.get(), bornInUnified);
    intoCgroup.reset();
    // Until the init has exec'd, `child` kills and reaps it on any failure.
    XC_ASSIGN(Process child, std::move(cloned));
    if (child.pid() == 0) {
        parentEnd.close();
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);  // the supervisor blocks signals for its signalfd
        // Die with the supervisor: a container nobody supervises is worse.
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        auto go = childEnd.recv(spec.storage.idmapPaths().size() + 1);
        if (!go || go->eof) ::_exit(1);
        Error e = runChild(spec, childEnd, std::move(go->fds));
        childEnd.sendError(e);
        ::_exit(127);
    }
    childEnd.close();
    std::vector<UniqueFd> idmapped;
    if (spec.userNamespace()) {
        XC_ASSIGN(idmapped, prepareUserNamespace(spec, child.pid()));
    }
    XC_TRY((bornInUnified ? addProcessExceptUnified(cgroup, child.pid(), CgroupPart::First)
                          : cgroup.addProcess(child.pid(), CgroupPart::First))
               .ctx("move the init into its cgroup"));
    std::vector<int> goFds;
    for (const auto& fd : idmapped) goFds.push_back(fd.get());
    // The child mounts its root, /dev, /proc and /sys (what needs no cgroup
    // namespace) on the other CPU while we finish; "placed", and it makes
    // its cgroup namespace.
    XC_TRY(parentEnd.send("go", goFds));
    Status placed = [&]() -> Status {
        if (beforeRelease) XC_TRY(beforeRelease(child.pid()));
        if (spec.userNamespace())
            XC_TRY(cgroup.delegatePayload(static_cast<uid_t>(hostIdOf(spec.idmap, 'u', 0)),
                                          static_cast<gid_t>(hostIdOf(spec.idmap, 'g', 0))));
        return cgroup.addProcess(child.pid(), CgroupPart::Last).ctx("move the init into its cgroup");
    }();
    if (!placed) return childFailedFirst(child, parentEnd, cgroup, std::move(placed).error());
    // A child that failed meanwhile has sent its error: expect() reads it.
    placed = parentEnd.send("placed");
    // The console's master and one per tty: all of them, or an error.
    const size_t wantFds = 1 + (spec.ttysOnDemand ? 0 : static_cast<size_t>(std::max(spec.ttyCount, 0)));
    auto setUp = parentEnd.expect("set up the container", wantFds);
    if (!setUp) return diedInSetup(child, cgroup, std::move(setUp).error());
    XC_TRY(std::move(placed));
    Channel::Message ptys = std::move(*setUp);
    if (ptys.data != "ptys" || ptys.fds.size() != wantFds)
        return Error::msg("set up the container: unexpected message '" + ptys.data + "' with " +
                              std::to_string(ptys.fds.size()) + " of " + std::to_string(wantFds) + " ptys",
                          EPROTO);
    if (beforeExec) XC_TRY(beforeExec(child.pid()));
    XC_TRY(parentEnd.send("exec"));
    // EOF now means the exec succeeded (the channel is close-on-exec).
    XC_ASSIGN(Channel::Message last, parentEnd.recv());
    if (last.data.rfind("err ", 0) == 0) return Error::deserialize(last.data.substr(4));
    if (!last.eof) return Error::msg("start the init: unexpected message '" + last.data + "'", EPROTO);
    SpawnedInit out;
    out.console = std::move(ptys.fds[0]);
    for (size_t i = 1; i < ptys.fds.size(); ++i) out.ttys.push_back(std::move(ptys.fds[i]));
    out.child = std::move(child);
    return out;
}

}  // namespace xc
