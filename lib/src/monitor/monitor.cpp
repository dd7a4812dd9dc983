// The supervisor: starts the init, then serves its command socket and
// drains its console until the container stops, and cleans up after it.
#include "monitor/monitor.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <map>
#include <optional>
#include <sstream>

#include "cgroup/cgroup.hpp"
#include "config/unsupported.hpp"
#include "xc/config.hpp"
#include "base/fsutil.hpp"
#include "monitor/events.hpp"
#include "monitor/ephemeral.hpp"
#include "monitor/ipc.hpp"
#include "monitor/requests.hpp"
#include "monitor/startup_release.hpp"
#include "monitor/runlock.hpp"
#include "monitor/signals.hpp"
#include "monitor/started.hpp"
#include "monitor/tty_logins.hpp"
#include "net/net.hpp"
#include "plan/plan.hpp"
#include "xc/paths.hpp"
#include "xc/settings.hpp"
#include "process/process.hpp"
#include "spawn/hooks.hpp"
#include "xc/state.hpp"
#include "pty/console_log.hpp"
#include "pty/terminal.hpp"

namespace xc {

namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// The newest console.buffer_size bytes of the console.
using Ring = ByteRing;

// Console output queued for a slow client before the console is paused
// (the container's writers then wait, as on a real serial line), and the
// level at which it resumes.
constexpr size_t kConsoleHigh = 256 * 1024;
constexpr size_t kConsoleLow = 64 * 1024;
// Command::ConsoleLog answers in one packet (at most 1 MiB).
constexpr size_t kConsoleLogPacket = 1024 * 1024 - 4096;

class Monitor {
public:
    explicit Monitor(MonitorOptions o)
        : opts_(std::move(o)), host_(HostPaths::fromEnvironment()), paths_(host_, opts_.base, opts_.name),
          ring_(128 * 1024), lock_(paths_.runDir(), paths_.lockFile()) {}

    Status start();
    int loop();
    // Undoes a start that failed half-way: no cgroup, no socket left.
    void abortStart();
    // Tells the starter; false if it is gone (it gave up waiting).
    bool reportReady(const Status& st);
    void releaseStartupMemory() { startupRelease_.begin(std::move(answeredStarter_), epoll_.get()); }
    // The start is rolled back after the init ran: ABORTING while every
    // process of the container is killed, then STOPPED and gone (loop()).
    void beginAbort(const std::string& why);
    const Log& log() const { return log_; }

private:
    Status loadAndPrepare();
    Status launch();
    Status takePtys();
    // The starter hung up the ready socket: it no longer waits for us.
    bool starterGone() const;
    void onSignal();
    void onAccept();
    void onConsole();
    void writeConsoleLog(const char* data, size_t n);
    void onStopTimer();
    // Terminal clients (xc-console, xc-start -F): one lease per tty.
    void attachTty(int conn, const Request& req);
    void onTtyClient(int fd, uint32_t events);
    void flushConsoleClient();
    void pauseConsole(bool pause);
    void releaseTtyClient(int tty, const std::string& notice);
    void handle(int conn, const Request& req);
    void beginStop(milliseconds timeout, bool kill);
    // Arms the stop timer for `deadline` unless it fires earlier; false if it cannot be armed.
    bool armStopTimer(Clock::time_point deadline);
    void initExited(int status);
    void finish();
    std::string stateText();
    std::string attachInfo();
    void setState(State s) { state_ = s; announce(s); }
    void announce(State s) { announcer_.tell(s, init_.child.pid(), log_); }
    Status addFd(int fd);

    MonitorOptions opts_;
    HostPaths host_;
    ContainerPaths paths_;
    Log log_;
    ContainerConfig cfg_;
    CgroupLayout layout_;
    OwnedCgroup cgroup_;  // made by launch(), removed when the container stops
    StartPlan plan_;  // computed once (xc-start --dry-run prints the same); launch() executes it
    SpawnSpec& spec_ = plan_.spawn;
    SpawnedInit init_;
    std::unique_ptr<ContainerNetwork> network_;
    BootHooks hooks_;  // stop and post_stop run for each boot whose pre_start ran
    UniqueFd consolePeer_;  // keeps the console readable when nothing inside holds it open
    std::vector<UniqueFd> ttyPeers_;  // the same for each ttyN: its master never hangs up
    TtyLogins logins_;  // with tty.login: the ttys, made and given a login by their first client
    // Who holds which tty. The console is not handed out raw: we keep
    // reading its master (ring buffer, console.log) and copy the output to
    // the client's stream socket; the client writes keyboard input and
    // TIOCSWINSZ to the master it got. A ttyN master is the client's alone.
    struct TtyClient {
        UniqueFd conn;        // the lease: the client's command connection
        UniqueFd out;         // console only: our end of its output stream
        std::string pending;  // console output it has not taken yet
        pid_t pid = -1;
    };
    std::map<int, TtyClient> ttyClients_;
    // The master of tty n (0: the console), or why there is none.
    Result<int> ttyMaster(int n);
    // Registers a lease (and the console's output stream) with epoll.
    Status watchLease(const TtyClient& cl);
    bool consolePaused_ = false;
    uint64_t bootStart_ = 0;  // ring position where this boot's output begins
    ConsoleLogFile consoleLog_;  // console.log, rotated
    UniqueFd listen_, epoll_, signals_, stopTimer_;
    Ring ring_;
    HeldRunLock lock_;
    std::optional<PendingRequests> requests_;
    State state_ = State::Starting;
    StateAnnouncer announcer_;  // silent until this is the container's one supervisor
    // A reboot request holds until its deadline (xc-stop -r -t): an init
    // that ignored it and exits much later has crashed, not rebooted.
    bool rebootRequested_ = false;
    Clock::time_point rebootDeadline_;
    Clock::time_point stopDeadline_;  // while stopping: when the stop timer kills
    bool done_ = false;
    UniqueFd answeredStarter_;  // the ready socket after "ok"
    StartupRelease startupRelease_;
    int haltSignal_ = SIGPWR;
    std::string lxcfsPath_;  // xc.conf's lxcfs.path
    std::vector<UniqueFd> stopWaiters_;
};

Status Monitor::loadAndPrepare() {
    XC_TRY(validateName(opts_.name));
    std::string cfgPath = opts_.configFile.empty() ? paths_.configFile() : opts_.configFile;
    XC_ASSIGN(cfg_, loadConfig(cfgPath));
    completeStartConfig(cfg_, paths_);
    struct stat st;
    if (::stat(cfg_.rootfsPath.c_str(), &st) < 0) return Error::sys("root filesystem " + cfg_.rootfsPath);
    if (!S_ISDIR(st.st_mode)) return Error::sys(ENOTDIR, "root filesystem " + cfg_.rootfsPath);
    XC_TRY(checkSupported(cfg_));
    ring_ = Ring(cfg_.consoleBufferSize);
    XC_ASSIGN(layout_, CgroupLayout::detect());
    XC_ASSIGN(plan_, makeStartPlan(cfg_, paths_, layout_, opts_.cmd));
    XC_TRY(ContainerNetwork::preflight(plan_.interfaces));
    hooks_.configure(spec_.hooks, spec_.hookEnv);
    XC_ASSIGN(GlobalSettings settings, loadGlobalSettings(host_));
    lxcfsPath_ = settings.lxcfsPath;
    return {};
}

bool Monitor::starterGone() const {
    if (!opts_.ready) return false;
    struct pollfd p = {opts_.ready.get(), 0, 0};
    return ::poll(&p, 1, 0) > 0 && (p.revents & (POLLHUP | POLLERR));
}

// Our own peer of every pty (so a master never reads EOF while nothing
// inside holds its slave open), and a console we can drain without blocking.
Status Monitor::takePtys() {
    auto peer = [](const UniqueFd& master, const std::string& what) -> Result<UniqueFd> {
        UniqueFd fd(::ioctl(master.get(), TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
        if (!fd) return Error::sys("open the peer of " + what);
        return fd;
    };
    XC_ASSIGN(consolePeer_, peer(init_.console, "the console"));
    ttyPeers_.clear();
    for (size_t i = 0; i < init_.ttys.size(); ++i) {
        XC_ASSIGN(UniqueFd p, peer(init_.ttys[i], "tty " + std::to_string(i + 1)));
        ttyPeers_.push_back(std::move(p));
    }
    int fl = ::fcntl(init_.console.get(), F_GETFL);
    if (fl < 0 || ::fcntl(init_.console.get(), F_SETFL, fl | O_NONBLOCK) < 0)
        return Error::sys("make the console non-blocking");
    return {};
}

Status Monitor::launch() {
    XC_TRY(chooseLxcfs(cfg_.lxcfs, lxcfsPath_, spec_));
    if (!spec_.lxcfsDir.empty()) log_.info("lxcfs: binding its /proc and /sys files from " + spec_.lxcfsDir);
    if (!spec_.lxcfsNote.empty()) log_.info(spec_.lxcfsNote);
    XC_TRY(cleanupLeftCgroup(layout_, paths_, log_));  // a crashed supervisor's, or the previous boot's
    XC_TRY(hooks_.preStart(log_));
    XC_ASSIGN(spec_.seccompProgram, cachedSeccomp(spec_.seccomp, host_.runRoot + "/seccomp"));
    // The cgroup's first part now, its last part while the init's first process mounts (CgroupPart).
    XC_ASSIGN(cgroup_, OwnedCgroup::create(layout_, plan_.cgroupPath, CgroupPart::First).ctx("create cgroup"));
    XC_TRY(cgroup_->applyWrites(plan_.cgroupWrites, CgroupPart::First).ctx("apply cgroup limits"));
    if (starterGone()) return Error::msg("start cancelled: xc-start stopped waiting", ECANCELED);
    XC_ASSIGN(init_, spawnInit(
                         spec_, *cgroup_,
                         [this](pid_t pid) -> Status {
                             XC_TRY(cgroup_->createPart(CgroupPart::Last).ctx("create cgroup"));
                             XC_TRY(cgroup_->applyWrites(plan_.cgroupWrites, CgroupPart::Last).ctx("apply cgroup limits"));
                             XC_ASSIGN(network_, ContainerNetwork::setup(plan_.interfaces, pid, log_).ctx("set up the network"));
                             return {};
                         },
                         [this](pid_t pid) { return hooks_.startHost(pid, log_); }));
    XC_TRY(takePtys());
    logins_.begin(plan_.ttyLogin, init_, *cgroup_, spec_, host_);
    bootStart_ = ring_.total();
    haltSignal_ = haltSignalFor(cfg_, init_.child.pid());
    setState(State::Running);
    log_.info("started init " + spec_.argv[0] + " as pid " + std::to_string(init_.child.pid()));
    return {};
}

Status Monitor::addFd(int fd) {
    struct epoll_event ev = {};
    ev.events = EPOLLIN;
    ev.data.fd = fd;
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, fd, &ev) < 0) return Error::sys("watch fd");
    return {};
}

Status Monitor::start() {
    std::string logPath = opts_.logFile.empty() ? paths_.logFile() : opts_.logFile;
    // Without a log the supervisor still runs (its errors reach xc-start
    // through the ready socket); clients name a log only if it exists.
    std::string prefix = "xc-supervisor " + opts_.name + ":";
    auto l = opts_.logFile.empty() ? Log::open(logPath, opts_.logLevel, prefix) : Log::openNamed(logPath, opts_.logLevel, prefix);
    if (l) log_ = std::move(*l);
    XC_TRY(opts_.lock ? lock_.adopt(std::move(opts_.lock)) : lock_.acquire());
    if (opts_.ready && ::fcntl(opts_.ready.get(), F_SETFD, FD_CLOEXEC) < 0)
        return Error::sys("keep the ready socket from the init");
    XC_TRY(loadAndPrepare());
    if (starterGone()) return Error::msg("start cancelled: xc-start stopped waiting", ECANCELED);
    if (!cfg_.consoleLog.empty()) {
        // Never through a link the container planted.
        XC_ASSIGN(consoleLog_, ConsoleLogFile::open(cfg_.consoleLog, cfg_.consoleLogSize, cfg_.consoleLogCount));
    }
    sigset_t mask;
    sigemptyset(&mask);
    for (int s : {SIGCHLD, SIGTERM, SIGINT, SIGHUP, SIGQUIT}) sigaddset(&mask, s);
    ::sigprocmask(SIG_BLOCK, &mask, nullptr);
    signals_.reset(::signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!signals_) return Error::sys("create signalfd");
    epoll_.reset(::epoll_create1(EPOLL_CLOEXEC));
    if (!epoll_) return Error::sys("create epoll");
    stopTimer_.reset(::timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK));
    if (!stopTimer_) return Error::sys("create timer");
    requests_.emplace(epoll_.get());
    XC_TRY(makeDirs(paths_.runDir(), 0700));
    // The one supervisor of this container from here on: a second one
    // fails here, before it touches the cgroup.
    XC_ASSIGN(listen_, listenOn(paths_.socket()));
    announcer_.begin(paths_, log_);
    XC_TRY(saveStartedConfig(paths_, opts_.configFile.empty() ? paths_.configFile() : opts_.configFile));
    XC_TRY(launch());
    for (int fd : {signals_.get(), listen_.get(), init_.console.get(), stopTimer_.get()})
        XC_TRY(addFd(fd));
    return {};
}

bool Monitor::reportReady(const Status& st) {
    if (!opts_.ready) return true;
    std::string msg = st ? "ok " + std::to_string(init_.child.pid()) : "err " + st.error().serialize();
    // One small send: it is queued whole before the starter's shutdown, or
    // fails (EPIPE) after it; never half of it.
    ssize_t n;
    do n = ::send(opts_.ready.get(), msg.data(), msg.size(), MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    const bool sent = n == static_cast<ssize_t>(msg.size());
    // EOF for the starter, which reads to it; its close then tells us it has the answer.
    if (sent && st && ::shutdown(opts_.ready.get(), SHUT_WR) == 0) answeredStarter_ = std::move(opts_.ready);
    opts_.ready.reset();
    return sent;
}

void Monitor::beginAbort(const std::string& why) {
    log_.notice("aborting the start: " + why);
    if (state_ != State::Running) return;
    setState(State::Aborting);
    (void)cgroup_->thaw();
    onStopTimer();  // kills every process; the init's exit ends the loop
}

std::string Monitor::stateText() {
    State s = state_;
    if (s == State::Running) {
        auto f = cgroup_->freezerState();
        if (f && *f == FreezerState::Frozen) s = State::Frozen;
        if (f && *f == FreezerState::Freezing) s = State::Freezing;
    }
    return std::string(stateName(s)) + " " + std::to_string(init_.child.pid());
}

// The confinement the init was started with (spec_), not the config file.
std::string Monitor::attachInfo() {
    AttachInfo info;
    std::string text = stateText();
    info.state = text.substr(0, text.find(' '));
    info.initPid = init_.child.pid();
    info.capDrop = spec_.security.capDrop;
    info.capKeep = spec_.security.capKeep;
    info.seccomp = spec_.seccomp;
    return encodeAttachInfo(info);
}

void Monitor::handle(int conn, const Request& req) {
    auto reply = [&](const Status& st, const std::string& payload = "") {
        if (st) (void)sendOk(conn, payload);
        else (void)sendError(conn, st.error());
    };
    lock_.restore(log_);  // each answer relies on it
    switch (req.cmd) {
    case Command::State:
        reply({}, stateText());
        return;
    case Command::InitPidfd:
        (void)sendOk(conn, stateText(), {init_.child.pidfd()});
        return;
    case Command::AttachInfo:
        (void)sendOk(conn, attachInfo(), {init_.child.pidfd()});
        return;
    case Command::Stop: {
        long long ms = 60000;
        int kill = 0;
        std::istringstream in(req.payload);
        in >> ms >> kill;
        UniqueFd keep(::dup(conn));
        stopWaiters_.push_back(std::move(keep));
        beginStop(milliseconds(ms), kill != 0);
        return;
    }
    case Command::Reboot: {
        if (state_ != State::Running) return reply(Error::msg("the container is stopping", EBUSY));
        int sig = rebootSignalFor(cfg_, haltSignal_);
        long long ms = 60000;
        std::istringstream(req.payload) >> ms;
        rebootRequested_ = true;
        rebootDeadline_ = Clock::now() + milliseconds(ms);
        log_.notice("reboot requested: sending " + signalName(sig) + ", for " + std::to_string(ms) + " ms");
        return reply(sendSignal(init_.child.pidfd(), sig));
    }
    case Command::Freeze: {
        long long ms = 5000;
        std::istringstream(req.payload) >> ms;
        if (state_ != State::Running) return reply(Error::msg("the container is not running", EBUSY));
        announce(State::Freezing);
        Status st = cgroup_->freeze(milliseconds(ms));
        announce(st ? State::Frozen : State::Running);
        return reply(st);
    }
    case Command::Thaw: {
        Status st = cgroup_->thaw();
        if (st && state_ == State::Running) announce(State::Running);
        return reply(st);
    }
    case Command::ConsoleLog:
        return reply({}, ring_.tail(kConsoleLogPacket));
    case Command::Tty:
        attachTty(conn, req);
        return;
    case Command::ConsoleHistory:
        return sendSealedCopy(conn, ring_.str());
    }
    reply(Error::msg("unknown command " + std::to_string(static_cast<int>(req.cmd)), ENOSYS));
}

void Monitor::beginStop(milliseconds timeout, bool kill) {
    if (timeout.count() <= 0) kill = true;
    if (state_ == State::Running) {
        // A frozen container cannot act on its halt signal.
        (void)cgroup_->thaw();
        setState(State::Stopping);
        rebootRequested_ = false;
        stopDeadline_ = Clock::time_point::max();
        if (!kill) {
            log_.notice("stopping: sending " + signalName(haltSignal_) + ", timeout " +
                        std::to_string(timeout.count()) + " ms");
            if (auto st = sendSignal(init_.child.pidfd(), haltSignal_); !st) {
                log_.warn(st.error().message());
                kill = true;
            }
        }
    } else if (state_ != State::Stopping) {
        return;
    }
    // No timer, no escalation later: kill now rather than never.
    if (!kill) kill = !armStopTimer(Clock::now() + timeout);
    if (kill) onStopTimer();
}

bool Monitor::armStopTimer(Clock::time_point deadline) {
    // A stop already under way with a shorter timeout keeps it; a second
    // xc-stop with a shorter one brings the kill forward.
    if (deadline >= stopDeadline_) return true;
    auto left = std::max<Clock::duration>(deadline - Clock::now(), std::chrono::microseconds(1));
    auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(left).count();
    struct itimerspec its = {};
    its.it_value.tv_sec = ns / 1000000000;
    its.it_value.tv_nsec = ns % 1000000000;
    if (::timerfd_settime(stopTimer_.get(), 0, &its, nullptr) < 0) {
        log_.warn(Error::sys("arm the stop timer").message() + ": killing at once");
        return false;
    }
    stopDeadline_ = deadline;
    return true;
}

void Monitor::onStopTimer() {
    uint64_t ticks;
    ssize_t n = ::read(stopTimer_.get(), &ticks, sizeof ticks);
    (void)n;
    log_.notice("killing every process of the container");
    if (auto st = cgroup_->killAll(); !st) {
        log_.warn(st.error().message());
        (void)sendSignal(init_.child.pidfd(), SIGKILL);
    }
}

void Monitor::initExited(int status) {
    log_.info("init " + describeWaitStatus(status));
    bool requested = rebootRequested_ && Clock::now() <= rebootDeadline_;
    if (rebootRequested_ && !requested) log_.notice("the reboot request had expired: the init's exit stops the container");
    bool reboot = requested || (WIFSIGNALED(status) && WTERMSIG(status) == SIGHUP);
    if (state_ == State::Stopping || state_ == State::Aborting) reboot = false;
    // Whatever the init left behind goes with it.
    if (auto st = cgroup_->killAll(); !st) log_.warn(st.error().message());
    if (auto st = cgroup_->waitEmpty(milliseconds(10000)); !st) log_.warn(st.error().message());
    std::vector<UniqueFd> goneTtys = logins_.end();  // closed on return, after STOPPED
    hooks_.stop(reboot ? "reboot" : "stop", log_);
    // The console's last words, then every terminal client learns why its
    // lease ends; the masters must leave epoll before they close (a client
    // may still hold a copy, which would keep the registration alive).
    pauseConsole(false);
    onConsole();
    // (A failed EPOLL_CTL_DEL can only mean it was not registered.)
    if (init_.console) (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, init_.console.get(), nullptr);
    consolePaused_ = false;
    {
        bool requested = state_ == State::Stopping || state_ == State::Aborting;
        std::string notice = reboot ? std::string("reboot")
                                    : "stopped " + std::string(requested ? "1 " : "0 ") + std::to_string(status);
        std::vector<int> held;
        for (const auto& [n, c] : ttyClients_) held.push_back(n);
        for (int n : held) releaseTtyClient(n, notice);
    }
    SpawnedInit gone = std::exchange(init_, SpawnedInit());  // its ptys and their peers close
    UniqueFd gonePeer = std::move(consolePeer_);              // on return, after STOPPED: a pty's
    std::vector<UniqueFd> gonePeers = std::exchange(ttyPeers_, {});  // last close can wait for a flush
    if (network_) network_->teardown();
    network_.reset();
    hooks_.postStop(reboot ? "reboot" : "stop", log_);
    if (reboot) {
        log_.notice("rebooting");
        rebootRequested_ = false;
        setState(State::Starting);
        if (auto st = cgroup_.remove(); !st) log_.warn(st.error().message());
        auto st = launch();
        if (st) st = addFd(init_.console.get());
        if (st) return;
        log_.error("restart failed: " + st.error().message());
        hooks_.postStop("stop", log_);
    }
    finish();
}

void Monitor::abortStart() {
    setState(State::Aborting);
    (void)logins_.end();
    init_ = SpawnedInit();  // kills and reaps an init that was spawned
    hooks_.stop("stop", log_);
    if (network_) network_->teardown();
    network_.reset();
    if (auto st = cgroup_.remove(); !st) log_.warn(st.error().message());
    hooks_.postStop("stop", log_);
    setState(State::Stopped);
    listen_.reset();
    dropStartedConfig(paths_);
    lock_.release();
}

void Monitor::finish() {
    setState(State::Stopped);
    if (auto st = cgroup_.remove(); !st) log_.warn(st.error().message());
    destroyIfEphemeral(paths_, cfg_, log_);  // before the lock goes: its stop finds it gone
    // Nothing is left once stopped: the socket's name and the lock file (if
    // still ours) go, and a new start may begin while we exit.
    if (listen_) (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, listen_.get(), nullptr);
    listen_.reset();
    dropStartedConfig(paths_);
    lock_.release();
    for (auto& w : stopWaiters_) (void)sendOk(w.get(), "STOPPED");
    stopWaiters_.clear();
    done_ = true;
    log_.info("stopped");
}

void Monitor::onSignal() {
    struct signalfd_siginfo si;
    while (::read(signals_.get(), &si, sizeof si) == sizeof si) {
        if (si.ssi_signo == SIGCHLD) {
            int status;
            pid_t p;
            while ((p = ::waitpid(-1, &status, WNOHANG)) > 0)
                if (p == init_.child.pid()) {
                    init_.child.markReaped();  // reaped here, by the subreaper loop
                    initExited(status);
                } else {
                    (void)logins_.reaped(p, status, [this](int n) { return ttyClients_.count(n) > 0; }, log_);
                }
        } else {
            log_.notice(std::string("got ") + signalName(static_cast<int>(si.ssi_signo)) + ": stopping");
            beginStop(milliseconds(60000), false);
        }
    }
}

void Monitor::onAccept() { requests_->acceptAll(listen_.get(), log_); }

void Monitor::onConsole() {
    char buf[4096];  // the stack it touches stays resident all the container's life: keep it small
    while (init_.console && !consolePaused_) {
        ssize_t n = ::read(init_.console.get(), buf, sizeof buf);
        if (n <= 0) return;
        ring_.append(buf, static_cast<size_t>(n));
        if (consoleLog_) writeConsoleLog(buf, static_cast<size_t>(n));
        auto it = ttyClients_.find(0);
        if (it != ttyClients_.end()) {
            it->second.pending.append(buf, static_cast<size_t>(n));
            flushConsoleClient();
            it = ttyClients_.find(0);
            if (it != ttyClients_.end() && it->second.pending.size() >= kConsoleHigh) pauseConsole(true);
        }
    }
}

void Monitor::writeConsoleLog(const char* data, size_t n) {
    if (auto st = consoleLog_.append(data, n); !st) log_.warn(st.error().message());
}

void Monitor::pauseConsole(bool pause) {
    if (!init_.console || consolePaused_ == pause) return;
    struct epoll_event ev = {};
    ev.events = pause ? 0u : static_cast<uint32_t>(EPOLLIN);
    ev.data.fd = init_.console.get();
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, init_.console.get(), &ev) < 0) {
        // Unpaused we keep reading (a slow client only gets more queued);
        // a console left paused would stall the container's writers.
        log_.warn(Error::sys(pause ? "pause the console" : "resume the console").message());
        if (pause) return;
        (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, init_.console.get(), nullptr);
        if (auto st = addFd(init_.console.get()); !st) log_.error("the console is no longer read: " + st.error().message());
    }
    consolePaused_ = pause;
}

Result<int> Monitor::ttyMaster(int n) {
    if (n == 0 && init_.console) return init_.console.get();
    if (!init_.console) return Error::msg("is not running", ESRCH);
    if (n >= 1 && n <= spec_.ttyCount && logins_.enabled()) return logins_.master(n);
    if (n >= 1 && static_cast<size_t>(n) <= init_.ttys.size()) return init_.ttys[n - 1].get();
    return Error::msg("no tty " + std::to_string(n) + " (tty.count is " + std::to_string(spec_.ttyCount) + ")",
                      ENODEV);
}

Status Monitor::watchLease(const TtyClient& cl) {
    struct epoll_event ev = {};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.fd = cl.conn.get();
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, cl.conn.get(), &ev) < 0) return Error::sys("watch the lease");
    if (!cl.out) return {};
    ev.events = 0;  // EPOLLOUT only while output waits; hang-ups always
    ev.data.fd = cl.out.get();
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_ADD, cl.out.get(), &ev) == 0) return {};
    Error e = Error::sys("watch the console stream");
    (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, cl.conn.get(), nullptr);
    return e;
}

void Monitor::attachTty(int conn, const Request& req) {
    std::istringstream in(req.payload);
    int n = -1;
    in >> n;
    bool force = false, replay = false;
    for (std::string w; in >> w;) {
        if (w == "force") force = true;
        else if (w == "replay") replay = true;
    }
    auto master = ttyMaster(n);
    if (!master) {
        (void)sendError(conn, master.error());
        return;
    }
    std::string what = n == 0 ? std::string("the console") : "tty " + std::to_string(n);
    if (auto it = ttyClients_.find(n); it != ttyClients_.end()) {
        if (!force) {
            (void)sendError(conn, Error::msg(what + " is in use by another client (pid " +
                                                 std::to_string(it->second.pid) + "); use --force to take it over",
                                             EBUSY));
            return;
        }
        log_.notice(what + " taken over from pid " + std::to_string(it->second.pid));
        releaseTtyClient(n, "taken");
    }
    TtyClient cl;
    cl.conn.reset(::fcntl(conn, F_DUPFD_CLOEXEC, 3));
    if (!cl.conn) {
        (void)sendError(conn, Error::sys("keep the connection"));
        return;
    }
    struct ucred cred = {};
    socklen_t len = sizeof cred;
    if (::getsockopt(conn, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) cl.pid = cred.pid;
    std::vector<int> fds = {*master};
    UniqueFd theirs;
    if (n == 0) {
        int sv[2];
        if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) {
            (void)sendError(conn, Error::sys("create the console stream"));
            return;
        }
        cl.out.reset(sv[0]);
        theirs.reset(sv[1]);
        (void)::shutdown(sv[0], SHUT_RD);  // output only (every send is MSG_DONTWAIT)
        if (replay) cl.pending = ring_.since(bootStart_);
        fds.push_back(theirs.get());
    }
    // Watched before it is handed out: a lease whose end we missed would hold the tty forever.
    if (auto st = watchLease(cl); !st) {
        (void)sendError(conn, std::move(st).error().wrap(what));
        return;
    }
    if (!sendOk(conn, "tty " + std::to_string(n), fds)) {
        (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, cl.conn.get(), nullptr);
        if (cl.out) (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, cl.out.get(), nullptr);
        return;
    }
    log_.info(what + " attached by pid " + std::to_string(cl.pid));
    ttyClients_[n] = std::move(cl);
    if (n == 0) flushConsoleClient();
    else logins_.wanted(n, log_);
}

void Monitor::flushConsoleClient() {
    auto it = ttyClients_.find(0);
    if (it == ttyClients_.end()) {
        pauseConsole(false);
        return;
    }
    TtyClient& cl = it->second;
    size_t done = 0;
    while (done < cl.pending.size()) {
        ssize_t w = ::send(cl.out.get(), cl.pending.data() + done, cl.pending.size() - done,
                           MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) {
            done += static_cast<size_t>(w);
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        releaseTtyClient(0, "");  // the client went away
        return;
    }
    cl.pending.erase(0, done);
    struct epoll_event ev = {};
    ev.events = cl.pending.empty() ? 0u : static_cast<uint32_t>(EPOLLOUT);
    ev.data.fd = cl.out.get();
    if (::epoll_ctl(epoll_.get(), EPOLL_CTL_MOD, cl.out.get(), &ev) < 0) {
        log_.warn(Error::sys("watch the console client").message());
        releaseTtyClient(0, "");  // it would never get the rest
        return;
    }
    if (consolePaused_ && cl.pending.size() < kConsoleLow) pauseConsole(false);
}

void Monitor::onTtyClient(int fd, uint32_t events) {
    for (auto& [n, cl] : ttyClients_) {
        if (fd == cl.conn.get()) {
            char b[256];
            ssize_t r = ::recv(fd, b, sizeof b, MSG_DONTWAIT);
            if (r == 0 || (r < 0 && errno != EAGAIN && errno != EINTR)) {
                int tty = n;
                log_.info((tty == 0 ? std::string("the console") : "tty " + std::to_string(tty)) + " released");
                releaseTtyClient(tty, "");
            }
            return;
        }
        if (cl.out && fd == cl.out.get()) {
            if (events & (EPOLLERR | EPOLLHUP)) {
                releaseTtyClient(n, "");
                return;
            }
            if (events & EPOLLOUT) flushConsoleClient();
            return;
        }
    }
}

void Monitor::releaseTtyClient(int tty, const std::string& notice) {
    auto it = ttyClients_.find(tty);
    if (it == ttyClients_.end()) return;
    TtyClient& cl = it->second;
    if (cl.out && !cl.pending.empty() && notice != "taken" && !notice.empty()) {
        sendRemaining(cl.out.get(), cl.pending, milliseconds(500));  // the last of the output
    }
    if (!notice.empty()) (void)sendOk(cl.conn.get(), notice);
    (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, cl.conn.get(), nullptr);  // fails only if not watched
    if (cl.out) (void)::epoll_ctl(epoll_.get(), EPOLL_CTL_DEL, cl.out.get(), nullptr);
    ttyClients_.erase(it);
    if (tty == 0) pauseConsole(false);
}

int Monitor::loop() {
    struct epoll_event evs[8];
    while (!done_) {
        int n = ::epoll_wait(epoll_.get(), evs, 8, requests_->expire(log_));
        if (n < 0) {
            if (errno == EINTR) continue;
            log_.error("epoll_wait: " + Error::sys("wait").message());
            return 1;
        }
        for (int i = 0; i < n && !done_; ++i) {
            int fd = evs[i].data.fd;
            if (fd == signals_.get()) onSignal();
            else if (listen_ && fd == listen_.get()) onAccept();
            else if (fd == stopTimer_.get()) onStopTimer();
            else if (startupRelease_.owns(fd)) startupRelease_.onEvent(fd);
            else if (requests_->owns(fd)) {
                if (auto r = requests_->take(fd, log_)) handle(r->conn.get(), r->request);
            }
            else if (init_.console && fd == init_.console.get()) {
                onConsole();
            } else {
                onTtyClient(fd, evs[i].events);
            }
        }
    }
    return 0;
}

Status runStart(Monitor& m) {
    Status st = m.start();
    if (!st) m.log().error("start failed: " + st.error().message());
    return st;
}

}  // namespace

int runMonitor(MonitorOptions opts) {
    ::prctl(PR_SET_NAME, "xc-supervisor", 0, 0, 0);
    // A client (or xc-start, for the ready report) that goes away must not
    // take the supervisor with it: write errors come back as EPIPE instead.
    ::signal(SIGPIPE, SIG_IGN);
    Monitor m(std::move(opts));
    Status st = runStart(m);
    if (!st) {
        m.abortStart();
        (void)m.reportReady(st);
        return 1;
    }
    // Nobody to hear "ok" (xc-start timed out, or was killed): the start
    // failed for its caller, so the container must not run on.
    if (!m.reportReady(st)) m.beginAbort("xc-start stopped waiting for the container to run");
    // Give back what parsing and set-up used: we now idle for the container's life.
    m.releaseStartupMemory();
    return m.loop();
}

}  // namespace xc
