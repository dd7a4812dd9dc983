// The client side of the console and ttys: xc-console, xc-start -F and
// --show-log.
//
// Design: the supervisor owns every pty master for the container's life.
// A client asks for tty N over the command socket (Command::Tty) and keeps
// that connection open as its lease; the supervisor refuses a second
// client (or, with force, ends the first lease) and notices the lease end
// when the connection closes. A ttyN master is handed over as is (fd
// passing) and the client does all its I/O on it. The console is shared:
// the supervisor never stops draining it into the ring buffer and
// console.log, and copies the same bytes to a stream socket it passes
// along with the master; the client reads output from that socket and
// writes keyboard input and TIOCSWINSZ straight to the master. So the
// log/ring and the attached client see the same output, and a detached
// console is still recorded.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>
#include <sstream>
#include <thread>

#include "xc/container.hpp"
#include "base/fsutil.hpp"
#include "monitor/ipc.hpp"
#include "process/process.hpp"
#include "pty/console_log.hpp"
#include "pty/terminal.hpp"

namespace xc {

namespace {

using std::chrono::milliseconds;
constexpr milliseconds kCallTimeout{10000};

struct TtyLease {
    UniqueFd conn;    // the lease
    UniqueFd master;  // keyboard input and window size go here
    UniqueFd output;  // console: the output stream; else invalid (read the master)
};

std::string ttyName(int tty) { return tty == 0 ? std::string("the console") : "tty " + std::to_string(tty); }

void say(const std::string& s) { (void)writeFully(STDERR_FILENO, s.data(), s.size(), 1000); }

}  // namespace

bool ConsoleExit::initFailed() const {
    if (end != End::Stopped || stopRequested || initStatus < 0) return false;
    if (WIFEXITED(initStatus)) return WEXITSTATUS(initStatus) != 0;
    if (WIFSIGNALED(initStatus)) {
        int s = WTERMSIG(initStatus);
        return s != SIGINT && s != SIGHUP;  // what reboot(2) in a pid namespace does to the init
    }
    return false;
}

std::string ConsoleExit::initStatusText() const {
    return initStatus < 0 ? std::string("ended (status unknown)") : describeWaitStatus(initStatus);
}

std::string Container::logHint(const std::string& logFile) const {
    std::string where;
    auto add = [&](const std::string& what, const std::string& file) {
        if (!file.empty() && ::access(file.c_str(), F_OK) == 0) where += (where.empty() ? "" : ", ") + what + " " + file;
    };
    if (auto cfg = config(); cfg) add("console log", cfg->consoleLog);
    add("log", logFile.empty() ? paths_.logFile() : logFile);
    return where.empty() ? std::string() : "see " + where;
}

Result<std::string> Container::consoleHistory() const {
    auto r = callMonitor(paths_.socket(), Command::ConsoleHistory, "", kCallTimeout);
    if (!r) {
        int e = r.error().code();
        if (e != ENOENT && e != ECONNREFUSED) return std::move(r).error();
        Error why = notRunningError();
        if (why.code() != ESRCH) return why;
        std::string file;
        if (auto cfg = config(); cfg && !cfg->consoleLog.empty()) file = cfg->consoleLog;
        return Error::msg(why.what() + " (the console buffer lives with it" +
                              (file.empty() ? std::string(")") : "; its console log file is " + file + ")"),
                          ESRCH);
    }
    if (r->fds.empty()) return Error::msg("the supervisor sent no console history", EPROTO);
    std::string out;
    char buf[65536];
    off_t off = 0;
    for (;;) {
        ssize_t n = ::pread(r->fds[0].get(), buf, sizeof buf, off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::sys("read the console history");
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
        off += n;
    }
    return out;
}

Status Container::copyConsoleHistory(int outFd) const {
    // While it runs, the config its supervisor started with names the files.
    std::string started = paths_.startedConfigFile();
    auto cfg = pathExists(started) ? loadConfig(started) : config();
    if (!cfg) return std::move(cfg).error();
    if (cfg->consoleLog.empty()) {
        auto h = consoleHistory();
        if (!h) {
            if (h.error().code() != ESRCH) return std::move(h).error();
            return Error::msg(h.error().what() + " and no console.log is set, which would keep the console on disk",
                              ESRCH);
        }
        if (!writeFully(outFd, h->data(), h->size())) return Error::sys("write the console history");
        return {};
    }
    return copyRotatedLog(cfg->consoleLog, cfg->consoleLogCount, outFd);
}

namespace {

Result<TtyLease> requestTty(const Container& c, int tty, bool force, bool replay) {
    std::string payload = std::to_string(tty) + (force ? " force" : "") + (replay ? " replay" : "");
    auto s = openSession(c.paths().socket(), Command::Tty, payload, kCallTimeout);
    if (!s) {
        int e = s.error().code();
        if (e == ENOENT || e == ECONNREFUSED || e == ECONNRESET) return c.notRunningError();
        return std::move(s).error();
    }
    auto& fds = s->response.fds;
    if (fds.empty() || (tty == 0 && fds.size() < 2))
        return Error::msg("the supervisor sent no pty for " + ttyName(tty), EPROTO);
    TtyLease l;
    l.conn = std::move(s->conn);
    l.master = std::move(fds[0]);
    if (tty == 0) l.output = std::move(fds[1]);
    return l;
}

// "stopped REQUESTED WAITSTATUS" -> exit
ConsoleExit stoppedFrom(const std::string& notice) {
    ConsoleExit x;
    x.end = ConsoleExit::End::Stopped;
    std::istringstream in(notice);
    std::string word;
    int requested = 0, status = -1;
    if (in >> word >> requested >> status) {
        x.stopRequested = requested != 0;
        x.initStatus = status;
    }
    return x;
}

}  // namespace

namespace {

void banner(const std::string& name, const ConsoleOptions& o) {
    if (!o.banner) return;
    std::string b = "Connected to " + ttyName(o.tty) + " of " + name + ".";
    if (o.escape >= 0)
        b += " Type <" + escapeName(o.escape) + " q> to detach, <" + escapeName(o.escape) + " " +
             escapeName(o.escape) + "> to send " + escapeName(o.escape) + ".";
    say(b + "\n");
}

// Bytes both ways between the terminal and one lease, until something
// other than the end of input (when that only stops the keyboard) ends it.
Result<ProxyResult> proxyLease(const TtyLease& lease, const ConsoleOptions& o, EscapeFilter& filter, int sigFd,
                               bool interactive, bool& inputOpen) {
    ProxyConfig pc;
    pc.localOut = o.outFd;
    pc.remoteIn = lease.output ? lease.output.get() : lease.master.get();
    pc.remoteOut = lease.master.get();
    pc.winsizeFrom = interactive ? o.inFd : (::isatty(o.outFd) ? o.outFd : -1);
    pc.winsizeTo = lease.master.get();
    pc.escape = o.escape >= 0 ? &filter : nullptr;
    pc.watch = {lease.conn.get()};
    pc.signalFd = sigFd;
    for (;;) {
        pc.localIn = inputOpen ? o.inFd : -1;
        XC_ASSIGN(ProxyResult r, runProxy(pc));
        if (r.end != ProxyEnd::LocalEof || o.detachOnEof) return r;
        inputOpen = false;  // no more keyboard; keep showing output
    }
}

// How the session ends when the proxy did, or nullopt when the lease
// ended for a reboot the client follows.
std::optional<ConsoleExit> sessionEnd(const ProxyResult& r) {
    ConsoleExit x;
    switch (r.end) {
    case ProxyEnd::Detached:
    case ProxyEnd::LocalEof:
    case ProxyEnd::LocalClosed:
        return x;
    case ProxyEnd::Signal:
        x.end = ConsoleExit::End::Signal;
        x.signal = r.signal;
        return x;
    case ProxyEnd::RemoteClosed:
    case ProxyEnd::Watched:
        break;
    }
    return std::nullopt;
}

// The supervisor ended the lease (or went away): it says why. nullopt:
// a reboot to follow with a new lease.
std::optional<ConsoleExit> leaseEnded(const Container& c, int conn, int output, const ConsoleOptions& o) {
    auto notice = readNotice(conn, milliseconds(3000));
    std::string n = notice ? *notice : std::string();
    ConsoleExit x;
    if (n == "taken") {
        x.end = ConsoleExit::End::TakenOver;
        return x;
    }
    // The rest of the output, up to the close.
    if (output >= 0) drainRemote(output, o.outFd, milliseconds(500), milliseconds(3000));
    if (n == "reboot" && o.followReboot) return std::nullopt;
    // Stopped: return once the supervisor is gone too, so a start right
    // after us does not find the container still "running".
    (void)c.waitFor({State::Stopped}, milliseconds(5000));
    if (n.rfind("stopped", 0) == 0) return stoppedFrom(n);
    x.end = ConsoleExit::End::Stopped;
    return x;
}

}  // namespace

Result<ConsoleExit> Container::console(const ConsoleOptions& o) {
    if (o.tty < 0) return Error::msg("bad tty number " + std::to_string(o.tty), EINVAL);
    const bool interactive = ::isatty(o.inFd);
    // Order matters: the guard below is destroyed first, so the terminal is
    // back to normal before any blocked signal can be delivered.
    XC_ASSIGN(SignalFd sigs, SignalFd::create({SIGWINCH, SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGPIPE}));
    TermiosGuard raw;
    EscapeFilter filter(o.escape);
    bool first = true, replay = o.replay, inputOpen = true;
    auto leave = [&](ConsoleExit x) -> Result<ConsoleExit> {
        if (raw.active()) {
            raw.restore();
            say("\r\n");
        }
        return x;
    };
    for (;;) {
        auto lease = requestTty(*this, o.tty, first && o.force, replay);
        if (!lease) {
            if (first) return std::move(lease).error();
            ConsoleExit x;  // the reboot did not come back
            x.end = ConsoleExit::End::Stopped;
            return leave(x);
        }
        if (first) {
            first = false;
            banner(name(), o);
            if (interactive) {
                XC_ASSIGN(raw, TermiosGuard::makeRaw(o.inFd));
            }
        }
        XC_ASSIGN(ProxyResult r, proxyLease(*lease, o, filter, sigs.fd(), interactive, inputOpen));
        if (auto x = sessionEnd(r)) return leave(*x);
        if (auto x = leaseEnded(*this, lease->conn.get(), lease->output ? lease->output.get() : -1, o)) return leave(*x);
        replay = o.tty == 0;  // the new boot's messages
    }
}

Result<ConsoleExit> Container::startAttached(const StartOptions& so, ConsoleOptions co) {
    // The supervisor runs in the background as always; we are its console client.
    XC_TRY(start(so));
    co.tty = 0;
    co.replay = true;
    co.detachOnEof = false;
    auto r = console(co);
    if (!r) {
        if (r.error().code() == ESRCH)
            return Error::msg("the container stopped right after it started", EIO).withHint(logHint(so.logFile));
        return std::move(r).error();
    }
    if (r->end == ConsoleExit::End::Signal) {
        // A foreground container lives as long as its xc-start: a signal stops it.
        StopOptions s;
        if (auto st = stop(s); !st && st.error().code() != ESRCH) return std::move(st).error().wrap("stop");
    }
    return r;
}

}  // namespace xc
