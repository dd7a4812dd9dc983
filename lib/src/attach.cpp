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

// In the container's namespaces, as its future pid-namespace member: drop
// to the user and the container's confinement, then exec.
[[noreturn]] void execInside(const AttachOptions& o, const ContainerConfig& cfg,
                             const std::vector<SeccompRule>& seccomp, const std::string& name) {
    auto fail = [&](const std::string& what, int err) {
        ::dprintf(2, "xc-attach: %s: %s: %s\n", name.c_str(), what.c_str(), ::strerror(err));
        ::_exit(err == ENOENT ? 127 : 126);
    };
    auto [shell, home] = passwdEntry(o.uid);
    std::vector<std::string> cmd = o.cmd.empty() ? std::vector<std::string>{shell} : o.cmd;
    std::string cwd = o.cwd.empty() ? home : o.cwd;
    if (::chdir(cwd.c_str()) < 0 && ::chdir("/") < 0) fail("chdir /", errno);
    gid_t gid = o.gidSet ? o.gid : static_cast<gid_t>(o.uid);
    if (::setgroups(0, nullptr) < 0) fail("drop supplementary groups", errno);
    if (::setresgid(gid, gid, gid) < 0) fail("set gid " + std::to_string(gid), errno);
    if (::setresuid(o.uid, o.uid, o.uid) < 0) fail("set uid " + std::to_string(o.uid), errno);
    if (auto st = dropCapabilities(cfg.security); !st) fail(st.error().what(), st.error().code());
    if (auto st = loadSeccomp(seccomp); !st) fail(st.error().what(), st.error().code());
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
    fail("exec " + cmd[0], errno);
    ::_exit(127);
}

}  // namespace

Result<int> Container::attach(const AttachOptions& o) {
    XC_ASSIGN(StateInfo st, state());
    if (st.state == State::Stopped)
        return defined() ? Error::msg("is not running", ESRCH)
                         : Error::msg("no such container under " + paths_.base(), ENOENT);
    if (st.state == State::Frozen || st.state == State::Freezing)
        return Error::msg("is frozen; thaw it first (xc-unfreeze -n " + name() + ")", EBUSY);
    XC_ASSIGN(ContainerConfig cfg, config());
    XC_ASSIGN(std::vector<SeccompRule> seccomp, seccompRules(cfg.security.seccomp));
    XC_ASSIGN(Response init, callMonitor(paths_.socket(), Command::InitPidfd, "", std::chrono::milliseconds(10000)));
    if (init.fds.empty()) return Error::msg("attach: the supervisor sent no pidfd", EPROTO);
    int pidfd = init.fds[0].get();
    XC_ASSIGN(CgroupLayout layout, CgroupLayout::detect());
    Cgroup cg(layout, paths_.cgroupPath());

    XC_ASSIGN(auto chans, Channel::pair());
    pid_t pid = ::fork();
    if (pid < 0) return Error::sys("attach: fork");
    if (pid == 0) {
        chans.first.close();
        // Not dumpable: the container's root must not ptrace us while we
        // still hold the host's view.
        ::prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        closeFdsFrom(3, {pidfd, chans.second.fd()});
        if (auto s = cg.addProcess(0); !s) {
            chans.second.sendError(std::move(s).error().wrap("join the container's cgroups"));
            ::_exit(125);
        }
        int ns = CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP;
        if (::setns(pidfd, ns) < 0) {
            chans.second.sendError(Error::sys("enter the container's namespaces"));
            ::_exit(125);
        }
        ::close(pidfd);
        pid_t inner = ::fork();
        if (inner < 0) {
            chans.second.sendError(Error::sys("fork inside the container"));
            ::_exit(125);
        }
        if (inner == 0) {
            chans.second.close();
            execInside(o, cfg, seccomp, name());
        }
        chans.second.send("ok");
        chans.second.close();
        int status = 0;
        while (::waitpid(inner, &status, 0) < 0 && errno == EINTR) {
        }
        ::_exit(exitCodeOf(status));
    }
    chans.second.close();
    init.fds.clear();
    // Keyboard signals go to the command (same process group); we only wait.
    struct sigaction ign = {}, oldInt, oldQuit;
    ign.sa_handler = SIG_IGN;
    ::sigaction(SIGINT, &ign, &oldInt);
    ::sigaction(SIGQUIT, &ign, &oldQuit);
    auto msg = chans.first.expect("attach");
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    ::sigaction(SIGINT, &oldInt, nullptr);
    ::sigaction(SIGQUIT, &oldQuit, nullptr);
    if (!msg) return std::move(msg).error().wrap("attach");
    return exitCodeOf(status);
}

}  // namespace xc
