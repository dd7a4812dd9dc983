// Running a command inside a running container (enter/enter.hpp has the three
// processes and their protocol). This file is the caller's side: it asks
// the supervisor for the init and the confinement the init runs under,
// plans, clones the entering child and waits, and changes nothing of the
// caller's own state (namespaces, cgroups, signal dispositions, umask,
// cwd, environment): a long-lived caller forks as before afterwards.
//
// With a terminal on stdin, stdout or stderr (or --pty=always) the command
// gets a pty of its own, allocated inside the container from the
// container's devpts (so `tty` prints the container's /dev/pts/N), as the
// session leader with the pty as its controlling terminal; those std fds
// are on the pty and the rest pass through as they are, so no host
// terminal is ever reachable from inside. The tool proxies between its
// terminal (raw mode, always restored) and the master. Without a
// terminal, stdio passes through untouched: byte-exact, EOF both ways, no
// copy in between.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "enter/enter.hpp"
#include "xc/container.hpp"
#include "base/libexec.hpp"
#include "monitor/ipc.hpp"
#include "pty/terminal.hpp"

namespace xc {

namespace {

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

// The exit status, or the error the child reported on the channel. No
// message at all: the attach died before the command ran (OOM, a kill).
Result<AttachExit> attachExit(int waitStatus, const Channel::Message& last) {
    const std::string& lastMessage = last.data;
    if (last.eof)
        return Error::msg("the attach ended before the command ran (" + describeWaitStatus(waitStatus) + ")", ECHILD);
    AttachExit out;
    out.status = exitCodeOf(waitStatus);
    if (lastMessage.rfind("err ", 0) == 0) {
        Error e = Error::deserialize(lastMessage.substr(4));
        if (out.status != 126 && out.status != 127) return e;  // failed before the command's turn
        out.execError = std::move(e);
    }
    return out;
}

// Waits up to `ms` for the child to exit; SIGKILL after that.
int waitOrKill(Process& child, int ms) {
    auto st = child.wait(std::chrono::milliseconds(ms));
    return st ? *st : child.kill();
}

// The tool's side of a pty attach: raw mode on its terminal, window size
// at start and on SIGWINCH, bytes both ways until the command exits.
// SIGINT and SIGQUIT to the tool go to the pty's foreground process group,
// as a terminal would send them; SIGTERM and SIGHUP hang the pty up (the
// command's session gets SIGHUP), as when a terminal goes away.
Result<AttachExit> runWithPty(Process& child, const PtyPlan& plan, Channel& ch) {
    auto first = ch.recv();
    UniqueFd master;
    if (first && !first->eof && first->data == "pty" && !first->fds.empty()) {
        master = std::move(first->fds[0]);
        first = ch.recv();  // "exec" once the command runs, or its error
    }
    if (!first) return std::move(first).error();  // `child` is killed and reaped
    if (!master || first->data != kAttachExecMessage) {
        XC_ASSIGN(int status, child.wait());
        if (!master && first->data.rfind("err ", 0) != 0)
            return Error::msg("the attach child sent no pty", EPROTO);
        return attachExit(status, *first);
    }
    XC_ASSIGN(SignalFd sigs, SignalFd::create({SIGWINCH, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE}));
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
    pc.watch = {child.pidfd()};
    pc.signalFd = sigs.fd();
    int status = 0;
    for (;;) {
        auto r = runProxy(pc);
        if (r && r->end == ProxyEnd::Signal && (r->signal == SIGINT || r->signal == SIGQUIT)) {
            pid_t fg = ::tcgetpgrp(master.get());
            if (fg > 0) ::kill(-fg, r->signal);
            continue;
        }
        if (r && r->end == ProxyEnd::Watched) {
            // The command exited: its last output, up to the pty's hang-up
            // (or a pause, if something it left behind still holds the pty).
            drainRemote(master.get(), pc.localOut, std::chrono::milliseconds(100), std::chrono::milliseconds(2000));
            status = waitOrKill(child, 1000);
        } else if (r && r->end == ProxyEnd::RemoteClosed) {
            status = waitOrKill(child, 5000);
        } else {
            // A signal to end, no more output possible, or an error: hang up.
            master.reset();
            status = waitOrKill(child, 3000);
        }
        break;
    }
    raw.restore();
    return attachExit(status, *first);
}

// The init and the confinement it runs under, from its supervisor.
Result<std::pair<AttachInfo, UniqueFd>> askSupervisor(const Container& c) {
    auto r = callMonitor(c.paths().socket(), Command::AttachInfo, "", std::chrono::milliseconds(10000));
    if (!r) {
        int e = r.error().code();
        if (e == ENOSYS)
            return Error::msg("its supervisor predates this xc-attach (restart the container to attach to it)", ENOSYS);
        if (e != ENOENT && e != ECONNREFUSED) return std::move(r).error();
        return c.defined() ? Error::msg("is not running", ESRCH)
                           : Error::msg("no such container under " + c.paths().base(), ENOENT);
    }
    XC_ASSIGN(AttachInfo info, decodeAttachInfo(r->payload));
    if (info.state == stateName(State::Frozen) || info.state == stateName(State::Freezing))
        return Error::msg("is frozen; thaw it first (xc-unfreeze -n " + c.name() + ")", EBUSY);
    if (r->fds.empty()) return Error::msg("the supervisor sent no pidfd", EPROTO);
    return std::make_pair(std::move(info), std::move(r->fds[0]));
}

// What the entering process needs, resolved before it starts, with the
// fds the plan names (held open here).
struct Prepared {
    EnterPlan plan;
    UniqueFd initPidfd, helper;
};

Result<Prepared> prepareAttach(const Container& c, const AttachOptions& o) {
    XC_ASSIGN(auto init, askSupervisor(c));
    XC_ASSIGN(CgroupLayout layout, CgroupLayout::detect());
    std::string helperPath = libexecProgram(c.host(), kAttachInitName);
    Prepared out;
    out.helper.reset(::open(helperPath.c_str(), O_RDONLY | O_CLOEXEC));
    if (!out.helper) return Error::sys("open the attach helper " + helperPath);
    out.initPidfd = std::move(init.second);
    EnterPlan& plan = out.plan;
    plan.opts = o;
    plan.initPidfd = out.initPidfd.get();
    plan.initPid = init.first.initPid;
    plan.cgroup = Cgroup(layout, c.paths().cgroupPath());
    plan.security.capDrop = init.first.capDrop;
    plan.security.capKeep = init.first.capKeep;
    XC_ASSIGN(plan.seccomp, cachedSeccomp(init.first.seccomp, c.host().runRoot + "/seccomp").ctx("attach"));
    plan.pty = planPty(o.pty);
    plan.helperFd = out.helper.get();
    plan.caller = ::getpid();
    return out;
}

// Plans and clones the entering child; the caller gets the child and its
// end of the sync channel.
struct Launched {
    Process child;
    Channel channel;
    PtyPlan pty;
};

Result<Launched> launchAttach(const Container& c, const AttachOptions& o) {
    XC_ASSIGN(Prepared prep, prepareAttach(c, o));
    XC_ASSIGN(auto chans, Channel::pair());
    XC_ASSIGN(Process child, cloneChild(0));
    if (child.pid() == 0) {
        chans.first.close();
        enterContainer(prep.plan, chans.second);
    }
    chans.second.close();
    return Launched{std::move(child), std::move(chans.first), prep.plan.pty};
}

}  // namespace

Result<AttachExit> Container::attach(const AttachOptions& o) {
    XC_ASSIGN(Launched l, launchAttach(*this, o));
    if (l.pty.use) return runWithPty(l.child, l.pty, l.channel);
    // Stdio is the command's; keyboard signals reach it directly (same
    // process group). We wait: "exec" or the error first, then the status.
    XC_ASSIGN(Channel::Message msg, l.channel.recv());
    XC_ASSIGN(int status, l.child.wait());
    return attachExit(status, msg);
}

bool attachUsesPty(AttachOptions::Pty mode) { return planPty(mode).use; }

Status Container::attachInPlace(const AttachOptions& o, const std::string& reportPrefix) {
    XC_ASSIGN(Prepared prep, prepareAttach(*this, o));
    if (prep.plan.pty.use) return Error::msg("attach in place: a pty attach needs a caller that proxies it", EINVAL);
    prep.plan.inPlacePrefix = reportPrefix.empty() ? std::string("xc-attach") : reportPrefix;
    enterContainer(prep.plan, Channel());
}

Result<AttachStarted> Container::attachStart(const AttachOptions& o) {
    if (o.pty != AttachOptions::Pty::Never)
        return Error::msg("attach without waiting: needs AttachOptions::Pty::Never (no terminal to proxy)", EINVAL);
    XC_ASSIGN(Launched l, launchAttach(*this, o));
    XC_ASSIGN(Channel::Message msg, l.channel.recv());
    AttachStarted out;
    if (!msg.eof && msg.data == kAttachExecMessage) {
        out.pid = l.child.release();
        return out;
    }
    XC_ASSIGN(int status, l.child.wait());
    XC_ASSIGN(AttachExit exit, attachExit(status, msg));
    if (!exit.execError)
        return Error::msg("the attach ended before the command ran (" + describeWaitStatus(status) + ")", ECHILD);
    out.execError = std::move(exit.execError);
    out.status = exit.status;
    return out;
}

}  // namespace xc
