#include "monitor/tty_logins.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/libexec.hpp"
#include "enter/container_pty.hpp"
#include "process/process.hpp"

namespace xc {

namespace {

// A login that ends this soon after its start counts as failing at once;
// that many in a row and it is not started again until the next attach
// (init's "respawning too fast", without the busy loop).
constexpr std::chrono::seconds kQuickExit{1};
constexpr int kQuickExitsAllowed = 5;

std::string ttyLabel(int n) { return "tty " + std::to_string(n); }

// A slave fd of the pty whose master is `master`, a description of its own.
Result<UniqueFd> openSlave(int master, int flags) {
    UniqueFd fd(::ioctl(master, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC | flags));
    if (!fd) return Error::sys("open the tty's slave side");
    return fd;
}

}  // namespace

std::vector<std::string> loginCommandFor(const std::vector<std::string>& cmd, int tty) {
    std::vector<std::string> out;
    for (const auto& a : cmd) {
        std::string s;
        for (size_t i = 0; i < a.size(); ++i) {
            if (a[i] == '%' && i + 1 < a.size() && (a[i + 1] == 't' || a[i + 1] == '%')) {
                s += a[i + 1] == 't' ? "tty" + std::to_string(tty) : "%";
                ++i;
            } else {
                s += a[i];
            }
        }
        out.push_back(std::move(s));
    }
    return out;
}

void TtyLogins::begin(const std::vector<std::string>& cmd, const SpawnedInit& init, const Cgroup& cgroup,
                      const SpawnSpec& spec, const HostPaths& host) {
    target_ = Target();
    ttys_.clear();
    if (cmd.empty() || spec.ttyCount <= 0) return;
    target_ = Target{cmd,           init.child.pidfd(), init.child.pid(), cgroup, spec.security, spec.seccompProgram,
                     libexecProgram(host, kAttachInitName)};
    ttys_.resize(static_cast<size_t>(spec.ttyCount));
}

Result<int> TtyLogins::master(int n) {
    if (n < 1 || static_cast<size_t>(n) > ttys_.size()) return Error::msg("no tty " + std::to_string(n), ENODEV);
    Tty& t = ttys_[static_cast<size_t>(n - 1)];
    if (!t.master) {
        XC_ASSIGN(UniqueFd m, makeContainerTty(target_.initPidfd, target_.initPid, n).ctx(ttyLabel(n)));
        XC_ASSIGN(t.peer, openSlave(m.get(), 0).ctx(ttyLabel(n)));
        t.master = std::move(m);
    }
    return t.master.get();
}

void TtyLogins::tell(int n, const std::string& text) const {
    // Non-blocking: a client that reads nothing must not stall us.
    const Tty& t = ttys_.at(static_cast<size_t>(n - 1));
    if (!t.master) return;
    auto fd = openSlave(t.master.get(), O_NONBLOCK);
    if (!fd) return;
    std::string line = "\r\nxc-supervisor: " + ttyLabel(n) + ": " + text + "\r\n";
    (void)!::write(fd->get(), line.data(), line.size());
}

void TtyLogins::wanted(int n, const Log& log) {
    if (!enabled() || n < 1 || static_cast<size_t>(n) > ttys_.size() || running_.count(n)) return;
    quickExits_.erase(n);  // an attach asks afresh
    if (auto st = start(n, log); !st) {
        log.warn(ttyLabel(n) + ": start the login (tty.login): " + st.error().message());
        tell(n, "cannot start the login (tty.login): " + st.error().message());
    }
}

Status TtyLogins::start(int n, const Log& log) {
    UniqueFd helper(::open(target_.helperPath.c_str(), O_RDONLY | O_CLOEXEC));
    XC_ASSIGN(int m, master(n));
    XC_ASSIGN(UniqueFd tty, openSlave(m, 0));
    if (!helper) return Error::sys("open the attach helper " + target_.helperPath);
    EnterPlan plan;
    plan.opts.cmd = loginCommandFor(target_.cmd, n);
    plan.opts.cwd = "/";
    plan.opts.pty = AttachOptions::Pty::Never;
    for (int& fd : plan.opts.stdioFds) fd = tty.get();
    plan.controllingFd = 0;
    plan.initPidfd = target_.initPidfd;
    plan.initPid = target_.initPid;
    plan.cgroup = target_.cgroup;
    plan.security = target_.security;
    plan.seccomp = target_.seccomp;
    plan.helperFd = helper.get();
    plan.caller = ::getpid();

    XC_ASSIGN(auto chans, Channel::pair());
    // Read when the login ends, never waited on.
    if (::fcntl(chans.first.fd(), F_SETFL, O_NONBLOCK) < 0) return Error::sys("set up the login's channel");
    XC_ASSIGN(Process child, cloneChild(0));
    if (child.pid() == 0) {
        chans.first.close();
        // A login gets the default dispositions, not the supervisor's
        // (SIGPIPE ignored); the mask goes in enterContainer.
        for (int sig = 1; sig < NSIG; ++sig)
            if (sig != SIGKILL && sig != SIGSTOP) ::signal(sig, SIG_DFL);
        enterContainer(plan, chans.second);
    }
    log.info(ttyLabel(n) + ": started the login " + plan.opts.cmd[0] + " (pid " + std::to_string(child.pid()) + ")");
    running_[n] = Running{std::move(child), std::move(chans.first), Clock::now()};
    return {};
}

bool TtyLogins::reaped(pid_t pid, int status, const std::function<bool(int)>& held, const Log& log) {
    auto it = running_.begin();
    while (it != running_.end() && it->second.child.pid() != pid) ++it;
    if (it == running_.end()) return false;
    const int n = it->first;
    Running gone = std::move(it->second);
    running_.erase(it);
    gone.child.markReaped();
    // The last word on the channel: "exec", or why the command never ran.
    std::string failure;
    for (;;) {
        auto m = gone.channel.recv(0);
        if (!m || m->eof) break;
        if (m->data.rfind("err ", 0) == 0) failure = Error::deserialize(m->data.substr(4)).message();
    }
    if (!failure.empty()) {
        log.warn(ttyLabel(n) + ": the login (tty.login) did not start: " + failure);
        tell(n, "the login (tty.login) did not start: " + failure);
        return true;  // the same would fail again: the next attach retries
    }
    log.info(ttyLabel(n) + ": the login " + describeWaitStatus(status));
    if (!held(n)) return true;
    int& quick = quickExits_[n];
    quick = Clock::now() - gone.since < kQuickExit ? quick + 1 : 0;
    if (quick >= kQuickExitsAllowed) {
        std::string why = "the login (tty.login) ended " + std::to_string(quick) +
                          " times in a row within a second; it starts again at the next attach";
        log.warn(ttyLabel(n) + ": " + why);
        tell(n, why);
        return true;
    }
    if (auto st = start(n, log); !st) {
        log.warn(ttyLabel(n) + ": start the login again: " + st.error().message());
        tell(n, "cannot start the login (tty.login): " + st.error().message());
    }
    return true;
}

std::vector<UniqueFd> TtyLogins::end() {
    running_.clear();  // each Process kills and reaps its child
    quickExits_.clear();
    target_ = Target();
    std::vector<UniqueFd> fds;
    for (auto& t : ttys_) {
        if (t.master) fds.push_back(std::move(t.master));
        if (t.peer) fds.push_back(std::move(t.peer));
    }
    ttys_.clear();
    return fds;
}

}  // namespace xc
