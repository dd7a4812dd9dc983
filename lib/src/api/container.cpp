// Container: the client side of every operation. Running containers are
// reached through their supervisor's command socket; stopped ones are just
// files under the base directory.
#include "xc/container.hpp"

#include "api/depends.hpp"
#include "api/rootfs_owners.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <thread>

#include "cgroup/cgroup.hpp"
#include "base/fsutil.hpp"
#include "monitor/ipc.hpp"
#include "base/lock.hpp"
#include "base/scope.hpp"
#include "base/libexec.hpp"
#include "monitor/monitor.hpp"
#include "monitor/runlock.hpp"
#include "process/process.hpp"

namespace xc {

using std::chrono::milliseconds;

namespace {
constexpr milliseconds kCallTimeout{10000};
// How long a supervisor gets to roll back a start it was told to abandon
// (killing the container's processes may take the cgroup's 10 s wait).
constexpr milliseconds kAbortGrace{15000};

}  // namespace

namespace {

// The supervisor outlives its starter (a daemon: its own session, no
// parent-death signal); it keeps the ready socket and the run lock.
Result<Process> launchSupervisor(const HostPaths& host, const MonitorOptions& mo, int readyFd, int lockFd) {
    Program p;
    p.argv = {libexecProgram(host, "xc-supervisor")};
    auto args = supervisorArgs(mo, readyFd, lockFd);
    p.argv.insert(p.argv.end(), args.begin(), args.end());
    p.keepFds = {readyFd, lockFd};
    p.newSession = true;
    p.parentDeathSignal = 0;
    return startProgram(p).ctx("start the supervisor");
}

// Reads the supervisor's report ("ok PID" or "err ...", then EOF) until
// `timeout`. On the deadline it hangs the socket up, which tells the
// supervisor to abandon the start, and returns what came before that:
// a report sent before the hang-up is still read, one after it fails.
Result<std::string> awaitReport(int fd, milliseconds timeout, bool& timedOut) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    timedOut = false;
    for (;;) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
        int wait = static_cast<int>(std::max<long long>(left.count(), 0));
        struct pollfd p = {fd, POLLIN, 0};
        int rc = timedOut ? 1 : ::poll(&p, 1, wait);
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) return Error::sys("wait for the supervisor");
        if (rc == 0) {
            if (::shutdown(fd, SHUT_RDWR) < 0) return Error::sys("cancel the start");
            timedOut = true;
            continue;
        }
        char buf[4096];
        ssize_t n = ::recv(fd, buf, sizeof buf, timedOut ? MSG_DONTWAIT : 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && timedOut && errno == EAGAIN) return out;
        if (n < 0) return Error::sys("read the supervisor's report");
        if (n == 0) return out;
        out.append(buf, static_cast<size_t>(n));
    }
}

// What a supervisor that is gone may have left (it was killed, or killed
// before it could clean up): the container's processes and cgroup, the
// socket and the lock file. Only while nobody holds the run lock.
Status removeLeftovers(const ContainerPaths& paths) {
    auto lock = lockContainer(paths);
    // A new start owns it now, or a supervisor that answers owns the cgroup
    // (ours failed because it runs).
    if (!lock && lock.error().code() == EBUSY) return {};
    if (!lock) return std::move(lock).error();
    XC_ASSIGN(CgroupLayout layout, CgroupLayout::detect());
    Cgroup cg(layout, paths.cgroupPath());
    if (otherSupervisor(cg) > 0) return {};  // it runs, under a supervisor we cannot reach
    if (cg.exists()) {
        (void)cg.killAll();
        (void)cg.waitEmpty(milliseconds(5000));
        XC_TRY(cg.destroy().ctx("remove the container's cgroup"));
    }
    lock->removeFile();
    return {};
}

// Why the run lock is held by someone else: a supervisor (the container
// runs, or stops), or another command that creates, starts or destroys it.
Error busyError(const ContainerPaths& paths) {
    auto r = callMonitor(paths.socket(), Command::State, "", kCallTimeout);
    std::string word = r ? r->payload.substr(0, r->payload.find(' ')) : "";
    if (word == stateName(State::Stopping) || word == stateName(State::Aborting))
        return Error::msg("busy: a stop is in progress (the container is " + word + ")", EBUSY);
    if (r) return Error::msg("is already running", EBUSY);
    // No answer yet: a start whose supervisor does not listen yet, or
    // another command.
    // (A start writes it just after it takes the lock: give it a moment.)
    for (int i = 0; i < 10; ++i) {
        std::string holder = RunLock::holderOf(paths.lockFile());
        if (holder == "start") return Error::msg("is already running (it is starting)", EBUSY);
        if (!holder.empty()) break;
        std::this_thread::sleep_for(milliseconds(2));
    }
    return Error::msg("busy: create/start/stop/destroy in progress (another command holds " + paths.lockFile() + ")",
                      EBUSY);
}

// A start that did not report "ok": the supervisor rolls it back itself
// (it failed, or saw the hang-up); one that does not finish in time is
// killed and its leftovers removed here. Returns its wait status.
Result<int> rollBackStart(Process& sup, const ContainerPaths& paths) {
    auto status = sup.wait(kAbortGrace);
    if (!status) status = sup.kill();
    XC_TRY(removeLeftovers(paths).ctx("roll back the start"));
    return status;
}

// The error of a start that did not report "ok", once it is rolled back;
// if it could not be, the container's real state is part of it.
Error failedStart(const Container& c, Process& sup, const std::string& report, bool timedOut,
                  const StartOptions& o) {
    auto rolled = rollBackStart(sup, c.paths());
    Error e = report.rfind("err ", 0) == 0 ? Error::deserialize(report.substr(4))
              : timedOut ? Error::msg("timed out after " + std::to_string(o.timeout.count()) +
                                          " ms waiting for the container to run; the start was rolled back",
                                      ETIMEDOUT)
                         : Error::msg("the supervisor exited before the container ran (" +
                                          (rolled ? describeWaitStatus(*rolled) : std::string("not reaped")) + ")",
                                      EIO);
    if (!rolled) {
        // Say what is really there rather than "failed" next to a running container.
        auto st = c.state();
        std::string now = st ? std::string(stateName(st->state)) : "in an unknown state";
        e = std::move(e).wrap("start failed and could not be rolled back (" + rolled.error().message() +
                              "); the container is " + now);
    }
    if (e.hint().empty() && e.code() != EBUSY) e = std::move(e).withHint(c.logHint(o.logFile));
    return e;
}
}  // namespace

Result<Container> Container::open(const HostPaths& host, const std::string& base, const std::string& name) {
    XC_TRY(validateName(name));
    return Container(host, base, name);
}

bool Container::defined() const { return pathExists(paths_.configFile()); }

Error Container::undefinedError() const {
    return Error::msg("no such container under " + paths_.base(), ENOENT)
        .withHint("create it with xc-create -n " + name() + " -t busybox");
}

Error Container::notRunningError() const {
    if (!defined()) return undefinedError();
    return Error::msg("is not running", ESRCH);
}

Result<ContainerConfig> Container::config() const {
    if (!defined()) return undefinedError();
    return loadConfig(paths_.configFile());
}

Result<StateInfo> Container::state() const {
    // The supervisor's word first: its socket outlives a removed /run/xc.
    StateInfo info;
    auto r = callMonitor(paths_.socket(), Command::State, "", kCallTimeout);
    if (!r) {
        int e = r.error().code();
        // ECONNRESET, EPIPE: the supervisor exited while it was asked (the
        // container just stopped), as if it had not been there.
        if (e != ENOENT && e != ECONNREFUSED && e != ECONNRESET && e != EPIPE) return std::move(r).error();
        // The lock is held but nobody answers yet: the supervisor is starting
        // (or, for a moment, still exiting).
        XC_ASSIGN(bool held, RunLock::isHeld(paths_.lockFile()));
        if (held) info.state = State::Starting;
        return info;
    }
    std::istringstream in(r->payload);
    std::string word;
    in >> word >> info.initPid;
    XC_ASSIGN(info.state, parseState(word));
    return info;
}

namespace {

// A request that only a running container's supervisor answers. The state is
// asked only when no supervisor takes the connection (one round trip less
// for every stop, freeze and thaw): then the error says "not running" (or
// what it is doing) rather than "connection refused".
// Other errors come back wrapped in `what`.
Result<Response> callRunning(const Container& c, const ContainerPaths& paths, Command cmd, const std::string& payload,
                             milliseconds timeout, const char* what) {
    auto r = callMonitor(paths.socket(), cmd, payload, timeout);
    if (r) return r;
    if (r.error().code() == ENOENT || r.error().code() == ECONNREFUSED) {
        XC_ASSIGN(StateInfo st, c.state());
        if (st.state == State::Stopped) return c.notRunningError();
    }
    return std::move(r).error().wrap(what);
}

}  // namespace

Status Container::requireRunning() const {
    XC_ASSIGN(StateInfo st, state());
    if (st.state == State::Stopped) return notRunningError();
    return {};
}

namespace {

// An origin whose rootfs (or upper layer) is a snapshot clone's lower layer
// stays stopped: overlayfs does not allow a lower layer to change under it.
Status refuseWithDependents(const HostPaths& host, const ContainerPaths& paths, const ContainerConfig& cfg) {
    auto deps = dependentsOf(host, paths, cfg);
    std::string names = dependentNames(deps, true);
    if (names.empty()) return {};
    std::string first = names.substr(0, names.find(','));
    return Error::msg("snapshot clones use its rootfs as their lower layer: " + names +
                          "; it stays stopped while they do (a write would change their files under them)",
                      EBUSY)
        .withHint("break the dependency with a full copy of each clone and destroy the snapshot (xc-clone -o " + first +
                  " -n " + first + "-copy; xc-destroy -n " + first + "), or destroy the clones (xc-destroy -n " +
                  paths.name() + " -s destroys it with them)");
}

}  // namespace

Status Container::start(const StartOptions& o) {
    XC_ASSIGN(ContainerConfig cfg, config());  // a broken config fails here, with file:line, before anything runs
    if (!o.configFile.empty()) {
        XC_ASSIGN(cfg, loadConfig(o.configFile));
    }
    if (cfg.idmap.empty() && o.warn)
        o.warn(name() + " is privileged: its root is the host's root (no idmap; see SECURITY in xc(7))");
    XC_TRY(makeDirs(paths_.runDir(), 0700));
    auto lock = lockContainer(paths_);
    if (!lock) {
        if (lock.error().code() == EBUSY) return busyError(paths_);
        return std::move(lock).error();
    }
    return startLocked(*lock, cfg, o);
}

Status Container::startLocked(RunLock& held, const ContainerConfig& cfg, const StartOptions& o) {
    RunLock* lock = &held;
    // No lock file stays unless a supervisor took the lock over (after
    // which `lock` holds nothing and this does nothing).
    ScopeExit dropLockFile([&] { lock->removeFile(); });
    lock->setHolder("start");  // the supervisor inherits it, and keeps saying so
    XC_TRY(refuseWithDependents(host_, paths_, cfg));
    // Owners shifted once where no idmapped mount serves (or back): the
    // supervisor then reads the config that records it.
    {
        ContainerConfig settled = cfg;
        std::vector<IdMap> want = ownersWanted(settled);
        if (o.warn && shiftAhead(settled, paths_.dir(), want))
            o.warn("shifting the owners of its rootfs to " + (want.empty() ? std::string("the ids it sees") : idmapText(want)) +
                   " (rootfs.idmap \"" + settled.rootfsIdmap + "\"): every file once");
        XC_TRY(settleOwners(settled, settled.rootfsPath, paths_.dir(), o.configFile.empty() ? paths_.configFile() : o.configFile, want, Log())
                   .ctx("start"));
    }
    // (A supervisor that answers while the lock was free, its lock file
    // removed, made lockContainer fail: never start over it.)
    int sv[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0) return Error::sys("create the ready socket");
    UniqueFd ours(sv[0]), theirs(sv[1]);
    MonitorOptions mo;
    mo.name = name();
    mo.base = paths_.base();
    mo.configFile = o.configFile;
    mo.cmd = o.cmd;
    mo.logFile = o.logFile;
    mo.logLevel = o.logLevel;
    XC_ASSIGN(Process sup, launchSupervisor(host_, mo, theirs.get(), lock->fd()));
    // The supervisor holds the lock now (the same open file description).
    theirs.reset();
    { RunLock handedOver = std::move(*lock); }
    bool timedOut = false;
    auto report = awaitReport(ours.get(), o.timeout, timedOut);
    if (report && report->rfind("ok", 0) == 0) {
        (void)sup.release();  // it runs on, for the container's life
        return {};
    }
    ours.reset();  // hung up: the supervisor abandons the start
    if (!report) return failedStart(*this, sup, "err " + report.error().serialize(), false, o);
    return failedStart(*this, sup, *report, timedOut, o);
}

Status Container::stop(const StopOptions& o) {
    if (o.reboot) {
        // The request expires with the stop timeout: an init that ignored
        // it and dies later has crashed, and stops.
        auto r = callRunning(*this, paths_, Command::Reboot, std::to_string(o.timeout.count()), kCallTimeout, "reboot");
        if (!r) return std::move(r).error();
        return {};
    }
    std::string payload = std::to_string(o.timeout.count()) + " " + (o.kill ? "1" : "0");
    auto r = callRunning(*this, paths_, Command::Stop, payload, o.timeout + milliseconds(30000), "stop");
    if (!r) return std::move(r).error();
    // The supervisor answered after cleaning up; wait for it to let go of
    // the lock and its socket.
    for (int i = 0; i < 2000; ++i) {
        auto held = RunLock::isHeld(paths_.lockFile());
        auto listening = monitorListening(paths_.socket());
        if ((!held || !*held) && (!listening || !*listening)) return {};
        std::this_thread::sleep_for(std::chrono::microseconds(i < 100 ? 100 : 1000));
    }
    return Error::msg("stop: the supervisor did not exit", ETIMEDOUT);
}

Status Container::freeze(milliseconds timeout) {
    auto r = callRunning(*this, paths_, Command::Freeze, std::to_string(timeout.count()), timeout + kCallTimeout, "freeze");
    if (!r) return std::move(r).error();
    return {};
}

Status Container::thaw() {
    auto r = callRunning(*this, paths_, Command::Thaw, "", kCallTimeout, "unfreeze");
    if (!r) return std::move(r).error();
    return {};
}

Result<Stats> Container::stats() const {
    XC_TRY(requireRunning());
    XC_ASSIGN(CgroupLayout layout, CgroupLayout::detect());
    Cgroup cg(layout, paths_.cgroupPath());
    XC_ASSIGN(CgroupUsage u, cg.usage());
    return Stats{u.cpuNs, u.memoryBytes, u.memorySwapBytes, u.ioReadBytes, u.ioWriteBytes, u.pids};
}

Result<std::string> Container::cgroupGet(const std::string& key) const {
    XC_TRY(requireRunning());
    XC_ASSIGN(CgroupLayout layout, CgroupLayout::detect());
    return Cgroup(layout, paths_.cgroupPath()).get(key);
}

Status Container::cgroupSet(const std::string& key, const std::string& value) {
    XC_TRY(requireRunning());
    XC_ASSIGN(CgroupLayout layout, CgroupLayout::detect());
    Cgroup cg(layout, paths_.cgroupPath());
    return cg.set(key, value);
}

Result<std::string> Container::consoleLog() const {
    XC_TRY(requireRunning());
    XC_ASSIGN(Response r, callMonitor(paths_.socket(), Command::ConsoleLog, "", kCallTimeout));
    return r.payload;
}

Status Container::waitFor(const std::vector<State>& states, milliseconds timeout) const {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto pause = std::chrono::microseconds(500);
    for (;;) {
        XC_ASSIGN(StateInfo st, state());
        if (std::find(states.begin(), states.end(), st.state) != states.end()) return {};
        if (timeout.count() >= 0 && std::chrono::steady_clock::now() >= deadline)
            return Error::msg(std::string("timed out; the container is ") + stateName(st.state), ETIMEDOUT);
        std::this_thread::sleep_for(pause);
        pause = std::min(pause * 2, std::chrono::microseconds(50000));
    }
}

Result<std::vector<std::string>> listContainers(const std::string& base) {
    auto names = listDir(base);
    if (!names) {
        if (names.error().code() == ENOENT) return std::vector<std::string>{};
        return std::move(names).error();
    }
    std::vector<std::string> out;
    for (const auto& n : *names)
        if (validateName(n) && pathExists(base + "/" + n + "/config")) out.push_back(n);
    std::sort(out.begin(), out.end());
    return out;
}

}  // namespace xc
