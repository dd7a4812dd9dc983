// The escape suite (issue 13): every attack from a container's root on the
// host, first run by the host's root (so that a pass cannot mean a broken
// probe), then inside a default (unprivileged) container, which must let
// none through, and a privileged one (security.privileged = true), which
// must block those marked (P). What a privileged container can do is
// asserted as open here and listed in xc(7), SECURITY. The attacks are in
// the probe program (probe/xc-it-probe.cpp: what each does, and where it
// stops short of changing the host).
//
// attack                                     host root  unprivileged          privileged
// core_pattern, the mounted file             open       blocked (EACCES)      blocked (EROFS)
// core_pattern after remount,rw of /proc/sys open       blocked (EACCES)      OPEN
// core_pattern after umount -l /proc/sys     open       blocked (EACCES)      OPEN
// core_pattern through a new proc mount      open       blocked (EACCES)      OPEN
// /sys remounted rw, a host knob written     open       blocked (EACCES)      OPEN
// a new sysfs, a host knob written           open       blocked (EACCES)      OPEN
// debugfs, tracefs, securityfs mounts        open       blocked (EPERM)       OPEN
// a bpf fs that delegates (BPF tokens)       open       blocked (EPERM)       OPEN
// mknod+open a host block device (P)         open       blocked (mknod EPERM) blocked (devices cgroup)
// mknod+open /dev/mem (P)                    [1]        blocked (mknod EPERM) blocked
// mknod+open /dev/kmsg (P)                   open       blocked (mknod EPERM) blocked (devices cgroup)
// cgroup limits through remounted or new
//   cgroup mounts (P)                        open       blocked               blocked (cgroup namespace)
// release_agent, new v1 hierarchy (P)        open       blocked (EPERM)       blocked (cgroup namespace)
// open_by_handle_at (P)                      open       blocked (seccomp)     blocked (seccomp)
// init_module, finit_module (P)              [1]        blocked (seccomp)     blocked (seccomp)
// kexec_load (P)                             [1]        blocked (seccomp)     blocked (seccomp)
// bpf, perf_event_open, userfaultfd (P)      open       blocked (seccomp)     blocked (seccomp)
// keyctl (P)                                 open       blocked (ENOSYS)      blocked (ENOSYS)
// see a host process, SIGKILL it (P)         open       blocked (pid ns)      blocked (pid ns)
// a host TCP port on 127.0.0.1, a host
//   abstract unix socket (P)                 open       blocked (net ns)      blocked (net ns)
// hijack an entering xc-attach (P)           -          AttachConfinement.ALoopInsideRacingManyAttachesFindsNoWayToTheHost
//                                                       (and ...EvenInAPrivilegedContainer)
// symlinked log and bind paths (P)           -          HostPaths.* (the host resolves them, whatever the mode)
// exhaust root's inotify instances           open       blocked: the host's root still makes one   OPEN
//   (the kernel charges a user namespace's counts to its owner one level up: the
//   container's is made by its root's host uid, not by root; it used to be root's)
// exhaust the pty pool                       open       blocked: the host's root still opens one   blocked
//   (kernel.pty.reserve keeps ptys for the host's own devpts; each container devpts has max=256)
// [1] not on this kernel (no /dev/mem, modules or kexec: ENXIO/ENOSYS for the
//     host's root too); the container must still be refused.
//
// A nesting container (security.nesting = true) is run through the kernel
// routes too: the proc it gets for nested containers opens none of them.
#include <fcntl.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <signal.h>
#include <sys/inotify.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "harness.hpp"

using namespace xcit;

namespace {

enum class Mode { Unprivileged, Privileged, Nesting };

const char* modeName(Mode m) {
    return m == Mode::Unprivileged ? "unprivileged" : m == Mode::Privileged ? "privileged" : "nesting";
}

// One attack of the probe's and what the privileged container gets.
struct Attack {
    std::vector<std::string> args;  // after "escape"
    bool privilegedOpen;            // what a privileged container can do (xc(7) SECURITY)
};

// "open", "blocked ..." or "" (no line): the probe's verdict on `attack`.
std::string verdict(const std::string& out, const std::string& attack) {
    for (const auto& l : lines(out))
        if (l.rfind(attack + " ", 0) == 0) return l.substr(attack.size() + 1);
    return "";
}
bool isOpen(const std::string& v) { return v == "open"; }
// The host's root refused too, because the kernel has no such thing.
bool notOnThisKernel(const std::string& v) { return contains(v, "ENOSYS") || contains(v, "ENXIO"); }

// Closes a descriptor, kills a process and writes a release file, on every way out.
struct Cleanup {
    std::vector<int> fds;
    std::vector<pid_t> pids;
    ~Cleanup() {
        for (int fd : fds) ::close(fd);
        for (pid_t p : pids) {
            ::kill(p, SIGKILL);
            ::waitpid(p, nullptr, 0);
        }
    }
};

class Escape : public XcTest {
protected:
    // Creates and starts `name` in `mode`, the probe in its rootfs.
    void startIn(const std::string& name, Mode mode, const std::string& extra = "") {
        std::string cfg = extra;
        if (mode == Mode::Privileged) cfg += "security = { privileged = true; };\n";
        if (mode == Mode::Nesting) cfg += "security = { nesting = true; };\n";
        XC_ASSERT_OK(createWithConfig(name, cfg));
        ASSERT_TRUE(writeText(rootfs(name) + "/xc-it-probe", readText(XC_IT_PROBE), 0755));
        XC_ASSERT_OK(start(name));
    }
    RunResult onHost(const std::vector<std::string>& args) {
        std::vector<std::string> argv = {XC_IT_PROBE, "escape"};
        argv.insert(argv.end(), args.begin(), args.end());
        return run(argv);
    }
    RunResult inside(const std::string& name, const std::vector<std::string>& args, const RunOptions& o = {}) {
        std::vector<std::string> argv = {"/xc-it-probe", "escape"};
        argv.insert(argv.end(), args.begin(), args.end());
        return attach(name, argv, o);
    }
    // The first of the host's block devices its root can open, as
    // {"b", MAJOR, MINOR}; empty if none.
    std::vector<std::string> hostBlockDevice() {
        for (const auto& b : listNames("/sys/block")) {
            std::string dev = readText("/sys/block/" + b + "/dev");
            size_t colon = dev.find(':');
            if (colon == std::string::npos) continue;
            std::vector<std::string> node = {"b", dev.substr(0, colon), std::to_string(std::stoi(dev.substr(colon + 1)))};
            std::vector<std::string> args = {"dev-node"};
            args.insert(args.end(), node.begin(), node.end());
            if (isOpen(verdict(onHost(args).out, "dev-node"))) return node;
        }
        return {};
    }
    std::vector<Attack> kernelAttacks();
    void kernelRoutes(Mode mode, bool allOfThem);
    void holdAndCheck(Mode mode, const std::string& what);
};

std::vector<Attack> Escape::kernelAttacks() {
    std::vector<Attack> a = {
        {{"corepattern-mounted"}, false}, {{"corepattern-remount"}, true},  {{"corepattern-freshproc"}, true},
        {{"corepattern-umount"}, true},   {{"sys-remount"}, true},          {{"sys-fresh"}, true},
        {{"fs-debugfs"}, true},           {{"fs-tracefs"}, true},           {{"fs-securityfs"}, true},
        {{"fs-bpf"}, true},               {{"dev-node", "c", "1", "1"}, false}, {{"dev-node", "c", "1", "11"}, false},
        {{"release-agent"}, false},       {{"handle"}, false},              {{"module"}, false},
        {{"kexec"}, false},               {{"bpf"}, false},                 {{"perf"}, false},
        {{"keyctl"}, false},              {{"userfaultfd"}, false},
    };
    std::vector<std::string> blk = hostBlockDevice();
    EXPECT_FALSE(blk.empty()) << "the host's root can open none of its block devices: that attack proves nothing";
    if (!blk.empty()) {
        std::vector<std::string> args = {"dev-node"};
        args.insert(args.end(), blk.begin(), blk.end());
        a.push_back({args, false});
    }
    return a;
}

// Every kernel route, by the host's root first, then in a container of
// `mode`. `allOfThem` false: the core_pattern and sysfs routes only.
void Escape::kernelRoutes(Mode mode, bool allOfThem) {
    std::vector<Attack> attacks = kernelAttacks();
    if (!allOfThem) attacks.resize(6);
    std::vector<std::string> unproven;
    for (const auto& a : attacks) {
        std::string v = verdict(onHost(a.args).out, a.args[0]);
        if (notOnThisKernel(v))
            unproven.push_back(a.args[0]);
        else
            EXPECT_TRUE(isOpen(v)) << a.args[0] << " " << (a.args.size() > 1 ? a.args[3] : "")
                                   << " does not work for the host's root, so it proves nothing: " << v;
    }
    if (!unproven.empty()) {
        std::string s;
        for (const auto& u : unproven) s += " " + u;
        std::printf("not on this kernel (refused to the host's root too; still checked inside):%s\n", s.c_str());
    }
    const std::string c = std::string("k") + modeName(mode)[0];
    startIn(c, mode);
    if (::testing::Test::HasFatalFailure()) return;
    for (const auto& a : attacks) {
        RunResult r = inside(c, a.args);
        std::string v = verdict(r.out, a.args[0]);
        std::string what = a.args[0] + (a.args.size() > 1 ? " " + a.args[1] + " " + a.args[2] + ":" + a.args[3] : "");
        ASSERT_FALSE(v.empty()) << what << ": the probe said nothing\n" << r.describe();
        if (mode == Mode::Privileged && a.privilegedOpen)
            EXPECT_TRUE(isOpen(v)) << what << " is listed as what a privileged container can do, but: " << v;
        else
            EXPECT_FALSE(isOpen(v)) << what << " is open in a " << modeName(mode) << " container";
        std::printf("%-24s %-12s %s\n", what.c_str(), modeName(mode), v.c_str());
    }
    XC_EXPECT_OK(kill(c));
}

// Reading a group's limit files, for comparing.
std::map<std::string, std::string> limitFiles(const std::vector<std::string>& dirs) {
    std::map<std::string, std::string> out;
    for (const auto& d : dirs)
        for (const char* f : {"devices.list", "pids.max", "memory.limit_in_bytes", "memory.max"})
            if (exists(d + "/" + f)) out[d + "/" + f] = readText(d + "/" + f);
    return out;
}

}  // namespace

TEST_F(Escape, UnprivilegedLetsNoKernelRouteThrough) { kernelRoutes(Mode::Unprivileged, true); }
TEST_F(Escape, PrivilegedBlocksTheMarkedKernelRoutes) { kernelRoutes(Mode::Privileged, true); }
TEST_F(Escape, NestingOpensNoKernelRoute) { kernelRoutes(Mode::Nesting, true); }

// The limits the host set on a container's group, through every cgroup
// mount the container can make (its own remounted read-write, new v1
// mounts of devices, pids and memory, cgroup2): the container's view is
// rooted at its payload, below the group with the limits.
TEST_F(Escape, CgroupLimitsHoldAgainstRemountedAndNewCgroupMounts) {
    // The host's root does rewrite a group's limits this way.
    std::string pidsRoot;
    for (const auto& l : lines(readText("/proc/self/mountinfo")))
        if (contains(l, " - cgroup ") && contains(l, ",pids")) pidsRoot = l.substr(0, l.find(" - "));
    if (!pidsRoot.empty()) {
        // Field 5 is the mount point.
        std::vector<std::string> f;
        for (size_t p = 0, q; p < pidsRoot.size(); p = q + 1) {
            q = pidsRoot.find(' ', p);
            if (q == std::string::npos) q = pidsRoot.size();
            f.push_back(pidsRoot.substr(p, q - p));
        }
        pidsRoot = f.size() > 4 ? f[4] : "";
    }
    if (pidsRoot.empty()) pidsRoot = "/sys/fs/cgroup";  // cgroup2
    std::string proof = pidsRoot + "/" + cgParent_ + "-proof";
    ASSERT_EQ(::mkdir(proof.c_str(), 0755), 0) << proof;
    bool limited = writeText(proof + "/pids.max", "100");
    RunResult h = onHost({"cgroup-rewrite", proof});
    std::string after = readText(proof + "/pids.max");
    ::rmdir(proof.c_str());
    ASSERT_TRUE(limited) << proof;
    EXPECT_TRUE(isOpen(verdict(h.out, "cgroup-rewrite"))) << h.describe();
    EXPECT_EQ(after, "max\n") << "the probe did not rewrite the host's group: " << h.describe();

    for (Mode mode : {Mode::Unprivileged, Mode::Privileged}) {
        std::string c = std::string("cg") + modeName(mode)[0];
        startIn(c, mode, "cgroup = { pids = { max = 100; }; memory = { max = \"64M\"; }; };\n");
        if (HasFatalFailure()) return;
        auto before = limitFiles(cgroupDirs(c));
        EXPECT_FALSE(before.empty()) << "no limit files in " << c << "'s groups";
        RunResult r = inside(c, {"cgroup-rewrite", "--fresh", "/sys/fs/cgroup"});
        EXPECT_FALSE(verdict(r.out, "cgroup-rewrite").empty()) << r.describe();
        auto now = limitFiles(cgroupDirs(c));
        for (const auto& [file, value] : before)
            EXPECT_EQ(now[file], value) << "a " << modeName(mode) << " container rewrote " << file << "\n" << r.out;
        std::printf("cgroup-rewrite %s: %s\n", modeName(mode), verdict(r.out, "cgroup-rewrite").c_str());
        XC_EXPECT_OK(kill(c));
    }
}

// A host process (seen, SIGKILLed) and host services (a TCP port on the
// host's 127.0.0.1, an abstract unix socket of the host's network namespace).
TEST_F(Escape, HostProcessesAndServicesAreOutOfReach) {
    Cleanup cl;
    const std::string marker = "1000." + std::to_string(::getpid());  // a unique sleep(1) argument
    auto sleeper = [&] {
        pid_t p = ::fork();
        if (p == 0) {
            ::execl("/bin/sleep", "sleep", marker.c_str(), nullptr);
            ::_exit(127);
        }
        cl.pids.push_back(p);
        return p;
    };
    int tcp = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cl.fds.push_back(tcp);
    sockaddr_in in{};
    in.sin_family = AF_INET;
    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ASSERT_EQ(::bind(tcp, reinterpret_cast<sockaddr*>(&in), sizeof in), 0);
    ASSERT_EQ(::listen(tcp, 16), 0);
    socklen_t len = sizeof in;
    ::getsockname(tcp, reinterpret_cast<sockaddr*>(&in), &len);
    const std::string port = std::to_string(ntohs(in.sin_port));
    const std::string unixName = "xc-it-escape-" + key_;
    int un = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    cl.fds.push_back(un);
    sockaddr_un ua{};
    ua.sun_family = AF_UNIX;
    std::memcpy(ua.sun_path + 1, unixName.data(), unixName.size());
    ASSERT_EQ(::bind(un, reinterpret_cast<sockaddr*>(&ua),
                     static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + unixName.size())), 0);
    ASSERT_EQ(::listen(un, 16), 0);

    // The host's root: sees and kills a sleeper, reaches both services.
    pid_t victim = sleeper();
    ASSERT_TRUE(waitUntil([&] { return contains(cmdlineOf(victim), marker); }, 5));
    RunResult h = onHost({"host-proc", std::to_string(victim), marker});
    EXPECT_TRUE(isOpen(verdict(h.out, "host-proc-see"))) << h.describe();
    EXPECT_TRUE(isOpen(verdict(h.out, "host-proc-signal"))) << h.describe();
    EXPECT_TRUE(waitUntil([&] { return !contains(cmdlineOf(victim), marker); }, 5)) << "the host's root did not kill it";
    RunResult hn = onHost({"host-net", port, unixName});
    EXPECT_TRUE(isOpen(verdict(hn.out, "host-net-tcp"))) << hn.describe();
    EXPECT_TRUE(isOpen(verdict(hn.out, "host-net-unix"))) << hn.describe();

    pid_t target = sleeper();
    ASSERT_TRUE(waitUntil([&] { return contains(cmdlineOf(target), marker); }, 5));
    for (Mode mode : {Mode::Unprivileged, Mode::Privileged}) {
        std::string c = std::string("hp") + modeName(mode)[0];
        startIn(c, mode);
        if (HasFatalFailure()) return;
        RunResult r = inside(c, {"host-proc", std::to_string(target), marker});
        RunResult n = inside(c, {"host-net", port, unixName});
        for (const char* a : {"host-proc-see", "host-proc-signal"})
            EXPECT_EQ(verdict(r.out, a).rfind("blocked", 0), 0u) << a << " in a " << modeName(mode) << " container\n"
                                                                 << r.describe();
        for (const char* a : {"host-net-tcp", "host-net-unix"})
            EXPECT_EQ(verdict(n.out, a).rfind("blocked", 0), 0u) << a << " in a " << modeName(mode) << " container\n"
                                                                 << n.describe();
        EXPECT_TRUE(contains(cmdlineOf(target), marker)) << "a " << modeName(mode) << " container killed a host process";
        std::printf("%s: %s%s", modeName(mode), r.out.c_str(), n.out.c_str());
        XC_EXPECT_OK(kill(c));
    }
}

// Holds every inotify instance (or pty) the container's root can get, and
// while it does, the host's root makes one.
void Escape::holdAndCheck(Mode mode, const std::string& what) {
    std::string c = what.substr(0, 3) + modeName(mode)[0];
    startIn(c, mode);
    if (HasFatalFailure()) return;
    const std::string file = "/xc-" + what;
    RunOptions o;
    o.timeoutSeconds = 90;
    Running holder = spawn({toolPath("xc-attach"), "-P", base_, "-n", c, "--", "/xc-it-probe", "escape",
                            what + "-hold", file},
                           o);
    std::string held;
    bool got = waitUntil([&] { return !(held = readText(rootfs(c) + file)).empty(); }, 60);
    bool hostGot = false;
    if (what == "inotify") {
        int fd = ::inotify_init1(IN_CLOEXEC);
        hostGot = fd >= 0;
        if (fd >= 0) ::close(fd);
    } else {
        int fd = ::open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
        hostGot = fd >= 0;
        if (fd >= 0) ::close(fd);
    }
    std::string nr = readText("/proc/sys/kernel/pty/nr");
    writeText(rootfs(c) + file + ".release", "");
    RunResult r = wait(holder);
    ASSERT_TRUE(got) << "the " << what << " holder said nothing\n" << r.describe();
    // The container's root really took all it could: the kernel refused it more.
    const char* limitErr = what == "inotify" ? "EMFILE" : "ENOSPC";
    EXPECT_TRUE(contains(held, limitErr)) << held;
    std::printf("%s %s: the container holds %s", what.c_str(), modeName(mode), held.c_str());
    if (what == "pty") std::printf("  kernel.pty.nr meanwhile: %s", nr.c_str());
    if (mode == Mode::Privileged && what == "inotify")
        EXPECT_FALSE(hostGot) << "a privileged container's root is the host's root: its inotify instances are the "
                                 "host root's, as xc(7) says; but the host's root still got one";
    else
        EXPECT_TRUE(hostGot) << "a " << modeName(mode) << " container starved the host's root of " << what;
    XC_EXPECT_OK(kill(c));
}

TEST_F(Escape, InotifyInstancesOfAnUnprivilegedRootAreItsOwn) {
    holdAndCheck(Mode::Unprivileged, "inotify");
    holdAndCheck(Mode::Privileged, "inotify");
}

TEST_F(Escape, NoContainerTakesTheHostsOwnPtys) {
    holdAndCheck(Mode::Unprivileged, "pty");
    holdAndCheck(Mode::Privileged, "pty");
}

// security.nesting: containers inside an unprivileged container. Without
// it the kernel refuses a nested user namespace a new proc (the
// container's own has masks over it); with it that works, the routes to
// the host stay closed from the nested namespace too, and a privileged
// container cannot have it.
TEST_F(Escape, NestingRunsContainersInsideAndOpensNothingMore) {
    const std::string unshareCmd = "unshare -U -r -m -p -f --mount-proc sh -c 'test $$ = 1 && test $(id -u) = 0'";
    startIn("n0", Mode::Unprivileged);
    if (HasFatalFailure()) return;
    RunResult probe0 = attach("n0", {"/xc-it-probe", "nest"});
    EXPECT_EQ(probe0.out, "nest: mount-proc EPERM\n") << "a nested proc without nesting: " << probe0.describe();
    RunResult sh0 = attach("n0", {"/bin/sh", "-c", unshareCmd});
    EXPECT_NE(sh0.status, 0) << sh0.describe();
    XC_EXPECT_OK(kill("n0"));

    startIn("n1", Mode::Nesting);
    if (HasFatalFailure()) return;
    RunResult probe1 = attach("n1", {"/xc-it-probe", "nest"});
    EXPECT_EQ(probe1.out, "nest: ok\n") << probe1.describe();
    XC_EXPECT_OK(attach("n1", {"/bin/sh", "-c", unshareCmd}));
    RunResult m = attach("n1", {"/bin/sh", "-c", "grep ' /dev/.xc-nesting/proc ' /proc/mounts"});
    EXPECT_TRUE(contains(m.out, "proc /dev/.xc-nesting/proc proc rw,nosuid,nodev,noexec")) << m.describe();
    // From the nested user namespace: a fresh proc and sysfs, and what they reach.
    for (const char* a : {"corepattern-freshproc", "corepattern-mounted", "sys-fresh", "fs-debugfs", "fs-bpf"}) {
        RunResult r = attach("n1", {"/xc-it-probe", "nested-escape", a});
        std::string v = verdict(r.out, a);
        EXPECT_EQ(v.rfind("blocked", 0), 0u) << a << " from a user namespace nested in a nesting container\n"
                                              << r.describe();
        std::printf("%-24s nested       %s\n", a, v.c_str());
    }
    XC_EXPECT_OK(kill("n1"));

    RunResult both = createWithConfig("n2", "security = { nesting = true; privileged = true; };\n");
    EXPECT_NE(both.status, 0) << both.describe();
    EXPECT_TRUE(contains(both.err, "security.nesting")) << both.describe();
    EXPECT_TRUE(contains(both.err, "host's root")) << both.describe();
    EXPECT_FALSE(exists(containerDir("n2")));
}
