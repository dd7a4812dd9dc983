// Container: the client side of every operation. Running containers are
// reached through their supervisor's command socket; stopped ones are just
// files under the base directory.
#include "xc/container.hpp"

#include <fcntl.h>
#include <poll.h>
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
#include "api/libexec.hpp"
#include "monitor/monitor.hpp"
#include "process/process.hpp"

namespace xc {

using std::chrono::milliseconds;

namespace {
constexpr milliseconds kCallTimeout{10000};

Result<std::string> readAllWithTimeout(int fd, milliseconds timeout) {
    std::string out;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        auto left = std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return Error::sys(ETIMEDOUT, "wait for the supervisor to report");
        struct pollfd p = {fd, POLLIN, 0};
        int rc = ::poll(&p, 1, static_cast<int>(left.count()));
        if (rc < 0 && errno == EINTR) continue;
        if (rc < 0) return Error::sys("wait for the supervisor");
        if (rc == 0) continue;
        char buf[4096];
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::sys("read the supervisor's report");
        if (n == 0) return out;
        out.append(buf, static_cast<size_t>(n));
    }
}
}  // namespace

std::string libexecProgram(const HostPaths& host, const std::string& name) {
    std::string installed = host.libexecDir + "/" + name;
    if (::access(installed.c_str(), X_OK) == 0 || std::getenv("XC_LIBEXEC_DIR")) return installed;
    char self[4096];
    ssize_t n = ::readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        std::string dir(self, static_cast<size_t>(n));
        dir = dir.substr(0, dir.rfind('/'));
        if (::access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
    }
    return installed;
}

Result<Container> Container::open(const HostPaths& host, const std::string& base, const std::string& name) {
    XC_TRY(validateName(name));
    return Container(host, base, name);
}

bool Container::defined() const { return pathExists(paths_.configFile()); }

Result<ContainerConfig> Container::config() const {
    if (!defined())
        return Error::msg("no such container under " + paths_.base() + " (create it with xc-create -n " + name() +
                              " -t busybox)",
                          ENOENT);
    return loadConfig(paths_.configFile());
}

Result<StateInfo> Container::state() const {
    XC_ASSIGN(bool held, RunLock::isHeld(paths_.lockFile()));
    StateInfo info;
    if (!held) return info;
    auto r = callMonitor(paths_.socket(), Command::State, "", kCallTimeout);
    if (!r) {
        int e = r.error().code();
        // The lock is held but nobody answers yet: the supervisor is starting.
        if (e == ENOENT || e == ECONNREFUSED) {
            info.state = State::Starting;
            return info;
        }
        return std::move(r).error();
    }
    std::istringstream in(r->payload);
    std::string word;
    in >> word >> info.initPid;
    XC_ASSIGN(info.state, parseState(word));
    return info;
}

Status Container::requireRunning() const {
    XC_ASSIGN(StateInfo st, state());
    if (st.state == State::Stopped) {
        if (!defined()) return Error::msg("no such container under " + paths_.base(), ENOENT);
        return Error::msg("is not running", ESRCH);
    }
    return {};
}

Status Container::start(const StartOptions& o) {
    XC_TRY(config());  // a broken config fails here, with file:line, before anything runs
    if (!o.configFile.empty()) XC_TRY(loadConfig(o.configFile));
    XC_TRY(makeDirs(paths_.runDir(), 0700));
    auto lock = RunLock::tryAcquire(paths_.lockFile());
    if (!lock) {
        if (lock.error().code() == EBUSY) return Error::msg("is already running", EBUSY);
        return std::move(lock).error();
    }
    MonitorOptions mo;
    mo.name = name();
    mo.base = paths_.base();
    mo.configFile = o.configFile;
    mo.cmd = o.cmd;
    mo.logFile = o.logFile;
    mo.logLevel = o.logLevel;
    mo.lockFd = lock->release();

    int pfd[2];
    if (::pipe2(pfd, O_CLOEXEC) < 0) {
        ::close(mo.lockFd);
        return Error::sys("create pipe");
    }
    UniqueFd readEnd(pfd[0]), writeEnd(pfd[1]), lockFd(mo.lockFd);
    std::vector<std::string> args = {libexecProgram(host_, "xc-monitor"), "--name", name(), "--path", paths_.base(),
                                     "--ready-fd", std::to_string(writeEnd.get()),
                                     "--lock-fd", std::to_string(lockFd.get()),
                                     "--logpriority", logLevelName(o.logLevel)};
    if (!o.configFile.empty()) args.insert(args.end(), {"--config", o.configFile});
    if (!o.logFile.empty()) args.insert(args.end(), {"--logfile", o.logFile});
    if (!o.cmd.empty()) {
        args.push_back("--");
        args.insert(args.end(), o.cmd.begin(), o.cmd.end());
    }
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    pid_t pid = ::fork();
    if (pid < 0) return Error::sys("fork the supervisor");
    if (pid == 0) {
        ::setsid();
        int null = ::open("/dev/null", O_RDWR);
        for (int i = 0; i < 3; ++i) ::dup2(null, i);
        if (null > 2) ::close(null);
        ::fcntl(writeEnd.get(), F_SETFD, 0);
        ::fcntl(lockFd.get(), F_SETFD, 0);
        ::execv(argv[0], argv.data());
        std::string msg = "err " + Error::sys("run the supervisor " + args[0]).serialize();
        (void)!::write(writeEnd.get(), msg.data(), msg.size());
        ::_exit(127);
    }
    writeEnd.reset();
    lockFd.reset();
    XC_ASSIGN(std::string report, readAllWithTimeout(readEnd.get(), o.timeout));
    if (report.rfind("ok", 0) == 0) return {};
    if (report.rfind("err ", 0) == 0) return Error::deserialize(report.substr(4));
    int status = 0;
    ::waitpid(pid, &status, WNOHANG);
    return Error::msg("the supervisor exited before the container ran; see " +
                          (o.logFile.empty() ? paths_.logFile() : o.logFile),
                      EIO);
}

Status Container::stop(const StopOptions& o) {
    XC_TRY(requireRunning());
    if (o.reboot) {
        auto r = callMonitor(paths_.socket(), Command::Reboot, "", kCallTimeout);
        if (!r) return std::move(r).error().wrap("reboot");
        return {};
    }
    std::string payload = std::to_string(o.timeout.count()) + " " + (o.kill ? "1" : "0");
    auto r = callMonitor(paths_.socket(), Command::Stop, payload, o.timeout + milliseconds(30000));
    if (!r) return std::move(r).error().wrap("stop");
    // The supervisor answered after cleaning up; wait for it to let go of the lock.
    for (int i = 0; i < 2000; ++i) {
        auto held = RunLock::isHeld(paths_.lockFile());
        if (!held || !*held) return {};
        std::this_thread::sleep_for(std::chrono::microseconds(i < 100 ? 100 : 1000));
    }
    return Error::msg("stop: the supervisor did not exit", ETIMEDOUT);
}

Status Container::freeze(milliseconds timeout) {
    XC_TRY(requireRunning());
    auto r = callMonitor(paths_.socket(), Command::Freeze, std::to_string(timeout.count()), timeout + kCallTimeout);
    if (!r) return std::move(r).error().wrap("freeze");
    return {};
}

Status Container::thaw() {
    XC_TRY(requireRunning());
    auto r = callMonitor(paths_.socket(), Command::Thaw, "", kCallTimeout);
    if (!r) return std::move(r).error().wrap("unfreeze");
    return {};
}

Result<Stats> Container::stats() const {
    XC_TRY(requireRunning());
    XC_ASSIGN(CgroupLayout layout, CgroupLayout::detect());
    Cgroup cg(layout, paths_.cgroupPath());
    Stats s;
    XC_ASSIGN(s.cpuNs, cg.cpuUsageNs());
    XC_ASSIGN(s.memoryBytes, cg.memoryUsage());
    return s;
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
