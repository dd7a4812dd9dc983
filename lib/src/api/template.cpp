// Running a template so that nothing it starts outlives the create.
//
// The template runs under a small reaper that is PID 1 of a new PID
// namespace: when the reaper ends (the template finished, failed, or the
// reaper got its parent-death SIGKILL because xc-create was killed), the
// kernel kills every process left in the namespace, however the template
// forked, double-forked or daemonized. Where a PID namespace cannot be made
// (an unprivileged caller), the template gets its own process group, which
// is killed once the template ends or fails. Either way the template keeps
// the create's run lock open, so the container stays locked while any of
// its processes could still write into the staging directory.
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>

#include "api/staging.hpp"
#include "base/scope.hpp"
#include "process/process.hpp"

namespace xc::staging {

namespace {

// The reaper (PID 1 of the namespace): never returns.
[[noreturn]] void reaperMain(const Program& cmd, const Channel& report) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    // xc-create died before the signal was armed: its end is closed.
    struct pollfd p = {report.fd(), POLLIN, 0};
    if (::poll(&p, 1, 0) > 0 && (p.revents & POLLHUP)) ::_exit(1);
    std::vector<int> keep = cmd.keepFds;
    keep.push_back(report.fd());
    closeFdsFrom(3, keep);
    auto child = startProgram(cmd);
    if (!child) {
        report.sendError(child.error());
        ::_exit(127);
    }
    auto status = child->wait();
    if (!status) {
        report.sendError(status.error());
        ::_exit(127);
    }
    (void)report.send("status " + std::to_string(*status));
    ::_exit(0);  // and the kernel kills whatever the template left running
}

// Without a PID namespace: the template leads its own process group,
// which is killed when it ends, whatever the outcome.
Result<int> runInProcessGroup(Program cmd) {
    cmd.newSession = true;
    XC_ASSIGN(Process child, startProgram(cmd));
    pid_t group = child.pid();
    ScopeExit killGroup([group] { ::kill(-group, SIGKILL); });
    return child.wait();
}

Result<int> runInPidNamespace(const Program& cmd, bool& unsupported) {
    unsupported = false;
    XC_ASSIGN(auto chans, Channel::pair());
    auto reaper = cloneChild(CLONE_NEWPID);
    if (!reaper) {
        unsupported = reaper.error().code() == EPERM;
        return std::move(reaper).error();
    }
    if (reaper->pid() == 0) {
        chans.first.close();
        reaperMain(cmd, chans.second);
    }
    chans.second.close();
    // Until it has reported, `reaper` kills it (and so the whole namespace)
    // on any early return.
    auto m = chans.first.recv();
    if (!m) return std::move(m).error().wrap("wait for the template");
    const std::string report = m->eof ? std::string() : m->data;
    if (report.rfind("err ", 0) == 0) return Error::deserialize(report.substr(4));
    if (report.rfind("status ", 0) != 0) {
        auto st = reaper->wait();
        return Error::msg("its reaper process " + (st ? describeWaitStatus(*st) : std::string("was lost")) +
                              " before the template finished",
                          EIO);
    }
    XC_TRY(reaper->wait());
    return std::stoi(report.substr(7));
}

}  // namespace

Status runTemplate(const std::string& tmpl, const std::vector<std::string>& args,
                   const std::vector<std::string>& env, int lockFd, const Log& log) {
    Program cmd;
    cmd.env = env;
    cmd.argv = {tmpl};
    cmd.argv.insert(cmd.argv.end(), args.begin(), args.end());
    cmd.stdinFd = 0;
    cmd.stdoutFd = 1;
    cmd.stderrFd = 2;
    cmd.keepFds = {lockFd};
    std::string cmdline;
    for (const auto& a : cmd.argv) cmdline += (cmdline.empty() ? "" : " ") + a;
    log.info("running template: " + cmdline);
    bool unsupported = false;
    auto status = runInPidNamespace(cmd, unsupported);
    if (!status && unsupported) {
        log.info("no PID namespace for the template (" + status.error().message() + "); using a process group");
        status = runInProcessGroup(cmd);
    }
    if (!status) return std::move(status).error().wrap("run template " + tmpl);
    if (*status != 0) return Error::msg("template " + tmpl + " failed: it " + describeWaitStatus(*status), EIO);
    return {};
}

}  // namespace xc::staging
