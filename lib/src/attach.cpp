// Running a command inside a running container: join the init's cgroups
// and namespaces, then fork so the command is inside the pid namespace too.
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <sstream>

#include "xc/cgroup.hpp"
#include "xc/container.hpp"
#include "xc/ipc.hpp"
#include "xc/process.hpp"
#include "xc/security.hpp"

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
    gid_t gid = o.gidSet ? o.gid : static_cast<gid_t>(o.uid);
    if (::setgroups(0, nullptr) < 0) fail(Error::sys("drop supplementary groups"), 126);
    if (::setresgid(gid, gid, gid) < 0) fail(Error::sys("set gid " + std::to_string(gid)), 126);
    if (::setresuid(o.uid, o.uid, o.uid) < 0) fail(Error::sys("set uid " + std::to_string(o.uid)), 126);
    if (auto st = dropCapabilities(cfg.security); !st) fail(st.error(), 126);
    if (auto st = loadSeccomp(seccomp); !st) fail(st.error(), 126);
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
        execInside(o, cfg, seccomp, chans.second);
    }
    chans.second.close();
    init->fds.clear();
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
    AttachExit out;
    out.status = exitCodeOf(status);
    if (msg->data.rfind("err ", 0) == 0) {
        Error e = Error::deserialize(msg->data.substr(4));
        if (out.status != 126 && out.status != 127) return e;  // failed before the command's turn
        out.execError = std::move(e);
    }
    return out;
}

}  // namespace xc
