// Running a command inside a running container: join the init's cgroups
// and namespaces, then fork so the command is inside the pid namespace too.
//
// With a terminal on stdin, stdout or stderr (or --pty=always) the command
// gets a pty of its own, allocated inside the container from the
// container's devpts instance (so `tty` prints the container's
// /dev/pts/N), as the session leader with the pty as its controlling
// terminal; those std fds are on the pty and the rest pass through as they
// are, so no host terminal is ever reachable from inside. The tool proxies
// between its terminal (raw mode, always restored) and the master.
// Without a terminal, stdio passes through untouched: byte-exact, EOF both
// ways, no copy in between.
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "cgroup/cgroup.hpp"
#include "xc/container.hpp"
#include "monitor/ipc.hpp"
#include "process/process.hpp"
#include "security/security.hpp"
#include "pty/terminal.hpp"

extern char** environ;

namespace xc {

namespace {

// The user's login shell and home from the container's /etc/passwd.
std::pair<std::string, std::string> passwdEntry(uid_t uid) {
    std::pair<std::string, std::string> out = {"/bin/sh", uid == 0 ? "/root" : "/"};
    FILE* f = std::fopen("/etc/passwd", "re");
    if (!f) return out;
    char line[1024];
    while (std::fgets(line, sizeof line, f)) {
        std::vector<std::string> fields;
        std::stringstream ss(line);
        std::string field;
        while (std::getline(ss, field, ':')) fields.push_back(field);
        if (fields.size() < 7) continue;
        if (fields[2] != std::to_string(uid)) continue;
        std::string shell = fields[6];
        while (!shell.empty() && (shell.back() == '\n' || shell.back() == '\r')) shell.pop_back();
        if (!shell.empty() && ::access(shell.c_str(), X_OK) == 0) out.first = shell;
        if (!fields[5].empty()) out.second = fields[5];
        break;
    }
    std::fclose(f);
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
        std::string key = kv.substr(0, kv.find('='));
        env.erase(std::remove_if(env.begin(), env.end(),
                                 [&](const std::string& e) { return e.compare(0, key.size() + 1, key + "=") == 0; }),
                  env.end());
        env.push_back(kv);
    }
    return env;
}

// Which std fds go on a pty, and the caller's terminal settings to copy.
struct PtyPlan {
    bool use = false;
    bool fd[3] = {false, false, false};
    int ttyFd = -1;  // the caller's terminal that gives settings and size
    bool haveTermios = false, haveWinsize = false;
    struct termios tios = {};
    struct winsize ws = {};
};

PtyPlan planPty(AttachOptions::Pty mode) {
    PtyPlan p;
    if (mode == AttachOptions::Pty::Never) return p;
    for (int i = 0; i < 3; ++i) {
        bool tty = ::isatty(i);
        p.fd[i] = tty || mode == AttachOptions::Pty::Always;
        if (tty && p.ttyFd < 0) p.ttyFd = i;
        p.use = p.use || p.fd[i];
    }
    if (p.ttyFd >= 0) {
        p.haveTermios = ::tcgetattr(p.ttyFd, &p.tios) == 0;
        p.haveWinsize = ::ioctl(p.ttyFd, TIOCGWINSZ, &p.ws) == 0;
    }
    return p;
}

// In the child, inside the container's mount namespace: a new pty from the
// container's devpts; the master goes back to the tool, the slave becomes
// the controlling terminal of a new session and the planned std fds.
Status ptyInside(const PtyPlan& p, const AttachOptions& o, const Channel& ch) {
    UniqueFd master(::open("/dev/pts/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!master) return Error::sys("open /dev/pts/ptmx in the container");
    int ptn = -1;
    if (::ioctl(master.get(), TIOCGPTN, &ptn) < 0)
        return Error::msg("/dev/pts/ptmx in the container is not a pty multiplexer", ENOTTY);
    int unlock = 0;
    if (::ioctl(master.get(), TIOCSPTLCK, &unlock) < 0) return Error::sys("unlock the pty");
    UniqueFd slave(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
    if (!slave) return Error::sys("open the pty's slave side");
    if (p.haveTermios) (void)::tcsetattr(slave.get(), TCSANOW, &p.tios);
    if (p.haveWinsize) (void)::ioctl(slave.get(), TIOCSWINSZ, &p.ws);
    if (o.uid != 0 && ::fchown(slave.get(), o.uid, static_cast<gid_t>(-1)) < 0)
        return Error::sys("give /dev/pts/" + std::to_string(ptn) + " to uid " + std::to_string(o.uid));
    XC_TRY(ch.send("pty", {master.get()}));
    master.reset();
    if (::setsid() < 0) return Error::sys("start a session");
    if (::ioctl(slave.get(), TIOCSCTTY, 0) < 0) return Error::sys("make the pty the controlling terminal");
    for (int i = 0; i < 3; ++i)
        if (p.fd[i] && ::dup2(slave.get(), i) < 0) return Error::sys("attach stdio to the pty");
    return {};
}

// In the container's namespaces and pid namespace: drop to the user and
// the container's confinement, then exec. A failure goes back through `ch`
// (close-on-exec, so the parent reads EOF once the exec happened).
[[noreturn]] void execInside(const AttachOptions& o, const ContainerConfig& cfg,
                             const std::vector<SeccompRule>& seccomp, const Channel& ch) {
    auto fail = [&](Error e, int code) {
        ch.sendError(e);
        ::_exit(code);
    };
    auto [shell, home] = passwdEntry(o.uid);
    std::vector<std::string> cmd = o.cmd.empty() ? std::vector<std::string>{shell} : o.cmd;
    std::string cwd = o.cwd.empty() ? home : o.cwd;
    if (::chdir(cwd.c_str()) < 0 && ::chdir("/") < 0) fail(Error::sys("chdir /"), 126);
    // Confinement first: shrinking the bounding set needs CAP_SETPCAP and
    // a seccomp filter without no_new_privs CAP_SYS_ADMIN, both gone once
    // we are another uid.
    if (auto st = dropCapabilities(cfg.security); !st) fail(st.error(), 126);
    if (auto st = loadSeccomp(seccomp); !st) fail(st.error(), 126);
    gid_t gid = o.gidSet ? o.gid : static_cast<gid_t>(o.uid);
    if (::setgroups(0, nullptr) < 0) fail(Error::sys("drop supplementary groups"), 126);
    if (::setresgid(gid, gid, gid) < 0) fail(Error::sys("set gid " + std::to_string(gid)), 126);
    if (::setresuid(o.uid, o.uid, o.uid) < 0) fail(Error::sys("set uid " + std::to_string(o.uid)), 126);
    std::vector<std::string> env = attachEnvironment(o, home);
    std::vector<char*> argv, envp;
    for (auto& a : cmd) argv.push_back(a.data());
    argv.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    // Look the command up in the container's PATH, not ours.
    for (const auto& e : env)
        if (e.rfind("PATH=", 0) == 0) ::setenv("PATH", e.c_str() + 5, 1);
    ::execvpe(argv[0], argv.data(), envp.data());
    int err = errno;
    fail(Error::sys(err, "exec " + cmd[0] + " in the container"), err == ENOENT ? 127 : 126);
    ::_exit(127);
}

// The exit status, or the error the child reported on the channel.
Result<AttachExit> attachExit(int waitStatus, const std::string& lastMessage) {
    AttachExit out;
    out.status = exitCodeOf(waitStatus);
    if (lastMessage.rfind("err ", 0) == 0) {
        Error e = Error::deserialize(lastMessage.substr(4));
        if (out.status != 126 && out.status != 127) return e;  // failed before the command's turn
        out.execError = std::move(e);
    }
    return out;
}

int reap(pid_t pid) {
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

// Waits up to `ms` for the child to exit; SIGKILL after that.
int waitOrKill(pid_t pid, int pidfd, int ms) {
    struct pollfd p = {pidfd, POLLIN, 0};
    int rc;
    do rc = ::poll(&p, 1, ms);
    while (rc < 0 && errno == EINTR);
    if (rc == 0) ::kill(pid, SIGKILL);
    return reap(pid);
}

// The tool's side of a pty attach: raw mode on its terminal, window size
// at start and on SIGWINCH, bytes both ways until the command exits.
// SIGINT and SIGQUIT to the tool go to the pty's foreground process group,
// as a terminal would send them; SIGTERM and SIGHUP hang the pty up (the
// command's session gets SIGHUP), as when a terminal goes away.
Result<AttachExit> runWithPty(pid_t pid, const PtyPlan& plan, Channel& ch) {
    auto first = ch.recv();
    UniqueFd master;
    if (first && !first->eof && first->data == "pty" && !first->fds.empty()) {
        master = std::move(first->fds[0]);
        first = ch.recv();  // EOF once the exec happened
    }
    if (!first || !master || first->data.rfind("err ", 0) == 0) {
        int status = reap(pid);
        if (!first) return std::move(first).error();
        if (!master && first->data.rfind("err ", 0) != 0)
            return Error::msg("the attach child sent no pty", EPROTO);
        return attachExit(status, first->data);
    }
    UniqueFd pidfd(static_cast<int>(::syscall(SYS_pidfd_open, pid, 0)));
    if (!pidfd) {
        ::kill(pid, SIGKILL);
        reap(pid);
        return Error::sys("watch the command");
    }
    auto sigs = SignalFd::create({SIGWINCH, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE});
    if (!sigs) {
        ::kill(pid, SIGKILL);
        reap(pid);
        return std::move(sigs).error();
    }
    TermiosGuard raw;  // after sigs: restored before any blocked signal is let through
    if (plan.fd[0] && ::isatty(STDIN_FILENO)) {
        auto r = TermiosGuard::makeRaw(STDIN_FILENO);
        if (r) raw = std::move(*r);
    }
    ProxyConfig pc;
    pc.localIn = plan.fd[0] ? STDIN_FILENO : -1;
    if (plan.fd[1]) pc.localOut = STDOUT_FILENO;
    else if (plan.fd[2]) pc.localOut = STDERR_FILENO;
    else if ((::fcntl(STDIN_FILENO, F_GETFL) & O_ACCMODE) == O_RDWR) pc.localOut = STDIN_FILENO;  // the echo
    pc.remoteIn = pc.remoteOut = master.get();
    pc.winsizeFrom = plan.ttyFd;
    pc.winsizeTo = master.get();
    pc.eofSendsVeof = true;
    pc.watch = {pidfd.get()};
    pc.signalFd = sigs->fd();
    int status = 0;
    for (;;) {
        auto r = runProxy(pc);
        if (r && r->end == ProxyEnd::Signal && (r->signal == SIGINT || r->signal == SIGQUIT)) {
            pid_t fg = ::tcgetpgrp(master.get());
            ::kill(fg > 0 ? -fg : pid, r->signal);
            continue;
        }
        if (r && r->end == ProxyEnd::Watched) {
            // The command exited: its last output, up to the pty's hang-up
            // (or a pause, if something it left behind still holds the pty).
            drainRemote(master.get(), pc.localOut, std::chrono::milliseconds(100), std::chrono::milliseconds(2000));
            status = reap(pid);
        } else if (r && r->end == ProxyEnd::RemoteClosed) {
            status = waitOrKill(pid, pidfd.get(), 5000);
        } else {
            // A signal to end, no more output possible, or an error: hang up.
            master.reset();
            status = waitOrKill(pid, pidfd.get(), 3000);
        }
        break;
    }
    raw.restore();
    return attachExit(status, first->data);
}

}  // namespace

Result<AttachExit> Container::attach(const AttachOptions& o) {
    // One round trip: the state and the init's pidfd together.
    auto init = callMonitor(paths_.socket(), Command::InitPidfd, "", std::chrono::milliseconds(10000));
    if (!init) {
        int e = init.error().code();
        if (e != ENOENT && e != ECONNREFUSED) return std::move(init).error();
        return defined() ? Error::msg("is not running", ESRCH)
                         : Error::msg("no such container under " + paths_.base(), ENOENT);
    }
    std::string stateWord = init->payload.substr(0, init->payload.find(' '));
    if (stateWord == stateName(State::Frozen) || stateWord == stateName(State::Freezing))
        return Error::msg("is frozen; thaw it first (xc-unfreeze -n " + name() + ")", EBUSY);
    if (init->fds.empty()) return Error::msg("the supervisor sent no pidfd", EPROTO);
    int pidfd = init->fds[0].get();
    XC_ASSIGN(ContainerConfig cfg, config());
    XC_ASSIGN(std::vector<SeccompRule> seccomp, seccompRules(cfg.security.seccomp));
    XC_ASSIGN(CgroupLayout layout, CgroupLayout::detect());
    Cgroup cg(layout, paths_.cgroupPath());
    const PtyPlan plan = planPty(o.pty);

    // Only our children enter the container's pid namespace, so one fork
    // makes the command a member while we stay outside, in the host's
    // namespaces and cgroups, to report its status even if it is killed.
    if (::setns(pidfd, CLONE_NEWPID) < 0) return Error::sys("enter the container's pid namespace");
    XC_ASSIGN(auto chans, Channel::pair());
    pid_t pid = ::fork();
    if (pid < 0) return Error::sys("fork");
    if (pid == 0) {
        chans.first.close();
        // Not dumpable: the container's root must not ptrace us while we
        // still hold the host's view.
        ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        closeFdsFrom(3, {pidfd, chans.second.fd()});
        if (auto s = cg.addProcess(0); !s) {
            chans.second.sendError(std::move(s).error().wrap("join the container's cgroups"));
            ::_exit(1);
        }
        int ns = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWCGROUP;
        if (::setns(pidfd, ns) < 0) {
            chans.second.sendError(Error::sys("enter the container's namespaces"));
            ::_exit(1);
        }
        ::close(pidfd);
        if (plan.use) {
            if (auto st = ptyInside(plan, o, chans.second); !st) {
                chans.second.sendError(std::move(st).error().wrap("set up the terminal"));
                ::_exit(1);
            }
        }
        execInside(o, cfg, seccomp, chans.second);
    }
    chans.second.close();
    init->fds.clear();
    if (plan.use) return runWithPty(pid, plan, chans.first);
    // Keyboard signals go to the command (same process group); we only wait.
    struct sigaction ign = {}, oldInt, oldQuit;
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGINT, &ign, &oldInt);
    ::sigaction(SIGQUIT, &ign, &oldQuit);
    auto msg = chans.first.recv();  // EOF: the exec happened
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::sigaction(SIGINT, &oldInt, nullptr);
    ::sigaction(SIGQUIT, &oldQuit, nullptr);
    if (!msg) return std::move(msg).error();
    return attachExit(status, msg->data);
}

}  // namespace xc
