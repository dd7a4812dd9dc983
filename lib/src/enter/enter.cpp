// The entering child (enter.hpp): from the caller's clone up to the exec
// of xc-attach-init. It stays in the host's pid namespace throughout, so
// nothing in the container can see it (no /proc/N, no ptrace, no signal),
// and it does every step that needs the host's view or privileges, in this
// order:
//
//   1. join the container's cgroups (so limits and the device allow-list
//      hold for everything that follows);
//   2. open the init's root (/proc/PID/root, while /proc is the host's);
//   3. setns(init pidfd) into its user (if it has one), mount, uts, ipc,
//      net, cgroup and pid namespaces at once; the pid namespace applies to children only, and
//      the only child comes after step 7;
//   4. chroot into the init's root;
//   5. allocate the pty from the container's devpts, fds onto stdio (or
//      take the caller's container tty there as it is);
//   6. drop the bounding set as the init's, load the init's seccomp filter;
//   7. become the user (groups, gid, uid);
//   8. read /etc/passwd (openat2 RESOLVE_IN_ROOT, non-blocking, no
//      symlink, regular file, size cap), chdir, build the environment;
//   9. exec a sealed memfd copy of xc-attach-init: the exec gives this
//      process exactly the init's capabilities, and what the container can
//      ever reach as /proc/N/exe or /proc/N/map_files of the visible
//      command-to-be is that sealed copy, never a host file.
//
// The process is not dumpable and dies with the caller throughout.
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "enter/enter.hpp"
#include "enter/container_pty.hpp"
#include "mount/rootdir.hpp"
#include "spawn/spawn.hpp"

extern char** environ;

#ifndef MFD_EXEC
#define MFD_EXEC 0x0010U
#endif

namespace xc {

namespace {

// The caller's channel hears of a failure; entering in place, our stderr.
[[noreturn]] void fail(const EnterPlan& p, const Channel& ch, const Error& e) {
    if (!p.inPlace())
        ch.sendError(e);
    else
        std::fprintf(stderr, "%s: %s\n", p.inPlacePrefix.c_str(), e.messageWithHint().c_str());
    ::_exit(1);
}

// A sealed, executable in-memory copy of the helper binary.
Result<UniqueFd> sealedCopy(int fd) {
    UniqueFd m(::memfd_create(kAttachInitName, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC));
    if (!m && errno == EINVAL) m.reset(::memfd_create(kAttachInitName, MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!m) return Error::sys("create a memfd for the attach helper");
    struct stat st;
    if (::fstat(fd, &st) < 0) return Error::sys("stat the attach helper");
    off_t off = 0;
    while (off < st.st_size) {
        ssize_t n = ::sendfile(m.get(), fd, &off, static_cast<size_t>(st.st_size - off));
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return Error::sys(n < 0 ? errno : EIO, "copy the attach helper into a memfd");
    }
    if (::fcntl(m.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0)
        return Error::sys("seal the attach helper's memfd");
    return m;
}

// Steps 1-4: the container's cgroups, namespaces and root.
Status joinContainer(const EnterPlan& p) {
    Cgroup cg = p.cgroup;
    XC_TRY(cg.addProcess(0).ctx("join the container's cgroups"));
    std::string rootPath = "/proc/" + std::to_string(p.initPid) + "/root";
    UniqueFd root(::open(rootPath.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!root) return Error::sys("open the init's root " + rootPath);
    // Still the init the pidfd names (the pid was not recycled before the open).
    XC_TRY(sendSignal(p.initPidfd, 0).ctx("the container's init is gone"));
    int ns = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP | CLONE_NEWPID;
    XC_ASSIGN(bool ownUserNamespace, inOtherUserNamespace(p.initPid));
    // The user namespace first (setns orders it so): the others are owned
    // by it, and entering it gives the rights inside that the rest needs.
    if (ownUserNamespace) ns |= CLONE_NEWUSER;
    if (::setns(p.initPidfd, ns) < 0) return Error::sys("enter the container's namespaces");
    if (::fchdir(root.get()) < 0 || ::chroot(".") < 0 || ::chdir("/") < 0)
        return Error::sys("enter the container's root");
    return {};
}

// Step 5: a new pty from the container's own devpts; the master goes to
// the caller, the slave onto the planned std fds. Returns the std fd that
// will become the controlling terminal.
Result<int> ptyInside(const PtyPlan& p, uid_t uid, const RootDir& root, const Channel& ch) {
    XC_ASSIGN(auto pair, newContainerPty(root));
    auto& [master, slave] = pair;
    if (p.haveTermios) (void)::tcsetattr(slave.get(), TCSANOW, &p.tios);
    if (p.haveWinsize) (void)::ioctl(slave.get(), TIOCSWINSZ, &p.ws);
    if (uid != 0 && ::fchown(slave.get(), uid, static_cast<gid_t>(-1)) < 0)
        return Error::sys("give the pty to uid " + std::to_string(uid));
    XC_TRY(ch.send("pty", {master.get()}));
    int ctty = -1;
    for (int i = 0; i < 3; ++i) {
        if (!p.fd[i]) continue;
        if (::dup2(slave.get(), i) < 0) return Error::sys("attach stdio to the pty");
        if (ctty < 0) ctty = i;
    }
    return ctty;
}

// Steps 6-7: the init's confinement, then the user. The bounding set and
// the filter need CAP_SETPCAP and CAP_SYS_ADMIN, gone once we are another
// uid; the exec of step 9 then leaves exactly the init's capabilities.
Status confine(const EnterPlan& p) {
    XC_TRY(dropCapabilities(p.security));
    XC_TRY(loadSeccomp(p.seccomp));
    uid_t uid = p.opts.uid;
    gid_t gid = p.opts.gidSet ? p.opts.gid : static_cast<gid_t>(uid);
    if (::setgroups(0, nullptr) < 0) return Error::sys("drop supplementary groups");
    if (::setresgid(gid, gid, gid) < 0) return Error::sys("set gid " + std::to_string(gid));
    if (::setresuid(uid, uid, uid) < 0) return Error::sys("set uid " + std::to_string(uid));
    // A change of credentials clears both: set them again.
    ::prctl(PR_SET_DUMPABLE, 0);
    if (p.inPlace()) return {};
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() != p.caller) return Error::msg("the caller is gone", ECHILD);
    return {};
}

// The user's login shell and home from the container's /etc/passwd, read
// confined to its root; anything odd there gives the defaults.
std::pair<std::string, std::string> passwdEntry(uid_t uid, const RootDir& root) {
    std::pair<std::string, std::string> out = {"/bin/sh", uid == 0 ? "/root" : "/"};
    auto text = root.readFile("etc/passwd");
    if (!text) return out;
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
        std::vector<std::string> fields;
        std::stringstream ss(line);
        std::string field;
        while (std::getline(ss, field, ':')) fields.push_back(field);
        if (fields.size() < 7 || fields[2] != std::to_string(uid)) continue;
        std::string shell = fields[6];
        while (!shell.empty() && (shell.back() == '\r' || shell.back() == ' ')) shell.pop_back();
        if (!shell.empty() && ::access(shell.c_str(), X_OK) == 0) out.first = shell;
        if (!fields[5].empty()) out.second = fields[5];
        break;
    }
    return out;
}

std::vector<std::string> attachEnvironment(const AttachOptions& o, const std::string& home) {
    std::vector<std::string> env;
    if (o.keepEnv) {
        for (char** e = environ; *e; ++e) env.push_back(*e);
    } else {
        const char* term = std::getenv("TERM");
        env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "HOME=" + home,
               std::string("TERM=") + (term ? term : "linux"), "container=xc"};
    }
    for (const auto& kv : o.setEnv) {
        std::string key = kv.substr(0, kv.find('=') + 1);
        env.erase(std::remove_if(env.begin(), env.end(), [&](const std::string& e) { return e.rfind(key, 0) == 0; }),
                  env.end());
        env.push_back(kv);
    }
    return env;
}

// Steps 8-9.
[[noreturn]] void execHelper(const EnterPlan& p, const RootDir& root, int helper, int ctty, const Channel& ch) {
    auto [shell, home] = passwdEntry(p.opts.uid, root);
    std::vector<std::string> cmd = p.opts.cmd.empty() ? std::vector<std::string>{shell} : p.opts.cmd;
    std::string cwd = p.opts.cwd.empty() ? home : p.opts.cwd;
    if (::chdir(cwd.c_str()) < 0 && ::chdir("/") < 0) fail(p, ch, Error::sys("chdir /"));
    std::vector<std::string> env = attachEnvironment(p.opts, home);
    const bool inPlace = p.inPlace();
    std::vector<std::string> args = {kAttachInitName, inPlace ? "--in-place" : std::to_string(ch.fd()),
                                     inPlace ? p.inPlacePrefix : std::to_string(ctty),
                                     inPlace ? std::to_string(ctty) : std::to_string(p.caller), "--"};
    args.insert(args.end(), cmd.begin(), cmd.end());
    std::vector<char*> argv, envp;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    if (!inPlace && ::fcntl(ch.fd(), F_SETFD, 0) < 0)
        fail(p, ch, Error::sys("pass the sync channel to the attach helper"));
    ::syscall(SYS_execveat, helper, "", argv.data(), envp.data(), AT_EMPTY_PATH);
    fail(p, ch, Error::sys("run the attach helper"));
}

// The fds the caller chose onto 0, 1 and 2 (AttachOptions::stdioFds):
// copied out of the way first, so that any permutation works.
Status remapStdio(const int (&fds)[3]) {
    int tmp[3] = {-1, -1, -1};
    for (int i = 0; i < 3; ++i) {
        if (fds[i] == i) continue;
        tmp[i] = ::fcntl(fds[i], F_DUPFD_CLOEXEC, 3);
        if (tmp[i] < 0) return Error::sys("use fd " + std::to_string(fds[i]) + " as the command's fd " + std::to_string(i));
    }
    for (int i = 0; i < 3; ++i)
        if (tmp[i] >= 0 && ::dup2(tmp[i], i) < 0) return Error::sys("set up the command's fd " + std::to_string(i));
    return {};
}

}  // namespace

void enterContainer(const EnterPlan& p, const Channel& ch) {
    ::prctl(PR_SET_DUMPABLE, 0);
    // A child dies with its caller (and never serves another one); in
    // place, this is the caller.
    if (!p.inPlace()) {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (::getppid() != p.caller) ::_exit(1);
    }
    sigset_t none;
    sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (auto st = remapStdio(p.opts.stdioFds); !st) fail(p, ch, st.error());
    closeFdsFrom(3, {p.initPidfd, p.helperFd, ch.fd()});
    auto helper = sealedCopy(p.helperFd);  // before the cgroup: not charged to the container
    if (!helper) fail(p, ch, helper.error());
    ::close(p.helperFd);
    if (auto st = joinContainer(p); !st) fail(p, ch, st.error());
    ::close(p.initPidfd);
    UniqueFd rootFd(::open("/", O_PATH | O_DIRECTORY | O_CLOEXEC));
    if (!rootFd) fail(p, ch, Error::sys("open the container's root"));
    RootDir root = RootDir::fromFd(std::move(rootFd), "the container");
    int ctty = p.controllingFd;
    if (p.pty.use) {
        auto t = ptyInside(p.pty, p.opts.uid, root, ch);
        if (!t) fail(p, ch, t.error().wrap("set up the terminal"));
        ctty = *t;
    }
    if (auto st = confine(p); !st) fail(p, ch, st.error());
    execHelper(p, root, helper->get(), ctty, ch);
}

}  // namespace xc
