// Running a container's hooks (hooks.hpp).
#include "spawn/hooks.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>

#include "process/process.hpp"

namespace xc {

namespace {

constexpr const char* kHookPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
constexpr size_t kTailLines = 5;
constexpr size_t kTailBytes = 1024;

// The last non-empty lines of a hook's output, joined with " | ".
std::string tailLines(const std::string& text) {
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < text.size()) {
        size_t nl = text.find('\n', pos);
        std::string line = text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos);
        pos = nl == std::string::npos ? text.size() : nl + 1;
        while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.pop_back();
        if (!line.empty()) lines.push_back(line);
    }
    std::string out;
    size_t first = lines.size() > kTailLines ? lines.size() - kTailLines : 0;
    for (size_t i = first; i < lines.size(); ++i) out += (out.empty() ? "" : " | ") + lines[i];
    if (out.size() > kTailBytes) out = "..." + out.substr(out.size() - kTailBytes);
    return out;
}

std::vector<std::string> environmentOf(const char* type, const HookEnv& e) {
    std::vector<std::string> env = e.base.empty() ? std::vector<std::string>{kHookPath} : e.base;
    env.push_back("XC_NAME=" + e.name);
    env.push_back("XC_CONFIG_FILE=" + e.configFile);
    env.push_back("XC_ROOTFS_PATH=" + e.rootfsPath);
    env.push_back("XC_ROOTFS_MOUNT=" + e.rootfsMount);
    env.push_back(std::string("XC_HOOK_TYPE=") + type);
    env.push_back("XC_HOOK_SECTION=xc");
    if (e.pid > 0) env.push_back("XC_PID=" + std::to_string(e.pid));
    for (const auto& x : e.extra) env.push_back(x);
    return env;
}

}  // namespace

HookEnv hookEnvFor(const ContainerConfig& cfg) {
    HookEnv e;
    e.name = cfg.name;
    e.configFile = cfg.sourceFile;
    e.rootfsPath = cfg.rootfsPath;
    e.rootfsMount = cfg.rootfsPath;
    e.timeout = std::chrono::seconds(cfg.hooks.timeoutSec);
    return e;
}

Status runHooks(const char* type, const std::vector<std::string>& cmds, const HookEnv& env, const Log& log) {
    for (size_t i = 0; i < cmds.size(); ++i) {
        std::string shown = std::string("hooks.") + type + "[" + std::to_string(i) + "] \"" + cmds[i] + "\"";
        Program p;
        p.argv = {"/bin/sh", "-c", cmds[i], "xc-hook", env.name, "xc", type};
        for (const auto& a : env.args) p.argv.push_back(a);
        p.env = environmentOf(type, env);
        p.inheritEnv = false;
        log.info("running " + shown);
        auto res = runProgram(p, "", env.timeout);
        if (!res) {
            if (res.error().code() == ETIMEDOUT)
                return Error::msg(shown + " was killed after " + std::to_string(env.timeout.count() / 1000) +
                                      " s (hooks.timeout)",
                                  ETIMEDOUT);
            return std::move(res).error().wrap(shown);
        }
        if (!res->out.empty()) log.info(shown + " said: " + tailLines(res->out));
        if (!res->err.empty()) log.info(shown + " said on stderr: " + tailLines(res->err));
        if (res->status == 0) continue;
        std::string why = shown + " failed: it " + describeWaitStatus(res->status);
        std::string tail = tailLines(res->err);
        if (!tail.empty()) why += "; its stderr ended: " + tail;
        return Error::msg(why, ECANCELED);
    }
    return {};
}

Status HeldNamespaces::open(pid_t pid) {
    fds_.clear();
    for (const char* ns : {"mnt", "uts", "ipc", "net", "pid", "cgroup", "user"}) {
        std::string path = "/proc/" + std::to_string(pid) + "/ns/" + ns;
        UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
        if (!fd) {
            if (errno == ENOENT) continue;  // not on this kernel
            return Error::sys("open " + path);
        }
        struct stat theirs, ours;
        std::string own = std::string("/proc/self/ns/") + ns;
        if (::fstat(fd.get(), &theirs) == 0 && ::stat(own.c_str(), &ours) == 0 && theirs.st_ino == ours.st_ino &&
            theirs.st_dev == ours.st_dev)
            continue;  // the host's (network type "none", a privileged container's user namespace)
        fds_.emplace_back(ns, std::move(fd));
    }
    return {};
}

void HeldNamespaces::addTo(HookEnv& env) const {
    std::string self = "/proc/" + std::to_string(::getpid()) + "/fd/";
    for (const auto& [ns, fd] : fds_) {
        std::string where = self + std::to_string(fd.get());
        std::string var = ns;
        for (char& c : var) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        env.extra.push_back("XC_" + var + "_NS=" + where);
        env.args.push_back(ns + ":" + where);
    }
}

void BootHooks::configure(const ContainerConfig& cfg) { configure(cfg.hooks, hookEnvFor(cfg)); }

void BootHooks::configure(const HookSettings& hooks, const HookEnv& env) {
    hooks_ = hooks;
    env_ = env;
    ns_.close();
    begun_ = stopped_ = false;
}

Status BootHooks::preStart(const Log& log) {
    env_.pid = -1;
    ns_.close();
    begun_ = stopped_ = false;
    XC_TRY(runHooks("pre_start", hooks_.preStart, env_, log));
    begun_ = true;
    return {};
}

Status BootHooks::startHost(pid_t pid, const Log& log) {
    env_.pid = pid;
    if (!hooks_.stop.empty()) XC_TRY(ns_.open(pid).ctx("keep the namespaces for the stop hooks"));
    return runHooks("start_host", hooks_.startHost, env_, log);
}

void BootHooks::stop(const std::string& target, const Log& log) {
    if (!begun_ || stopped_) return;
    stopped_ = true;
    HookEnv e = env_;
    e.extra.push_back("XC_TARGET=" + target);
    ns_.addTo(e);
    if (auto st = runHooks("stop", hooks_.stop, e, log); !st) log.warn(st.error().message());
    ns_.close();
}

void BootHooks::postStop(const std::string& target, const Log& log) {
    if (!begun_) return;
    stop(target, log);  // once, if the teardown skipped it
    begun_ = false;
    HookEnv e = env_;
    e.extra.push_back("XC_TARGET=" + target);
    if (auto st = runHooks("post_stop", hooks_.postStop, e, log); !st) log.warn(st.error().message());
}

}  // namespace xc
