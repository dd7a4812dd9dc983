// The host bridge's non-netlink steps: state file, dnsmasq, nft, forwarding.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <sstream>
#include <thread>

#include "base/fsutil.hpp"
#include "net/bridge.hpp"
#include "process/process.hpp"

namespace xc::bridge {

namespace {

constexpr const char* kForwardFile = "/proc/sys/net/ipv4/ip_forward";
constexpr auto kProgramTimeout = std::chrono::seconds(20);

std::string trimEnd(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

// "exit status 2" or what the program said on stderr.
std::string failureText(int waitStatus, const std::string& err) {
    std::string said = trimEnd(err);
    return said.empty() ? describeWaitStatus(waitStatus) : said;
}

pid_t pidFromFile(const std::string& path) {
    auto text = readFile(path);
    if (!text) return 0;
    pid_t pid = std::atoi(text->c_str());
    return pid > 0 ? pid : 0;
}

// Alive and not a zombie (nobody may reap a daemon promptly).
bool alive(pid_t pid) {
    auto stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return false;
    size_t close = stat->rfind(')');
    return close != std::string::npos && close + 2 < stat->size() && (*stat)[close + 2] != 'Z' &&
           (*stat)[close + 2] != 'X';
}

// Waits until the process of `pidfd` exits, at most `ms`.
bool exitsWithin(int pidfd, int ms) {
    struct pollfd p = {pidfd, POLLIN, 0};
    for (;;) {
        int rc = ::poll(&p, 1, ms);
        if (rc < 0 && errno == EINTR) continue;
        return rc > 0;
    }
}

}  // namespace

Files::Files(const std::string& d, const std::string& bridge)
    : dir(d), state(d + "/" + bridge + ".state"), pid(d + "/" + bridge + ".dnsmasq.pid"),
      leases(d + "/" + bridge + ".leases"), log(d + "/" + bridge + ".dnsmasq.log"),
      errors(d + "/" + bridge + ".dnsmasq.err") {}

State readState(const std::string& path) {
    State s;
    auto text = readFile(path);
    if (!text) return s;
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
        size_t eq = line.find('=');
        if (eq != std::string::npos && line[0] != '#') s[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return s;
}

Status writeState(const std::string& path, const State& s) {
    std::string text = "# written by xc-net start; read by xc-net stop\n";
    for (const auto& [k, v] : s) text += k + "=" + v + "\n";
    return writeFileAtomic(path, text, 0644);
}

Result<std::string> findProgram(const std::string& configured, const std::string& name, const std::string& package) {
    if (!configured.empty()) return configured;
    const char* env = std::getenv("PATH");
    std::istringstream in(std::string(env ? env : "") + ":/usr/sbin:/sbin:/usr/bin:/bin");
    std::string dir;
    while (std::getline(in, dir, ':'))
        if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
    return Error::msg(name + " is not installed (apt-get install " + package + ")", ENOENT);
}

// ---- dnsmasq ----

pid_t runningDnsmasq(const Files& f) {
    pid_t pid = pidFromFile(f.pid);
    if (pid <= 0) return 0;
    auto comm = readFile("/proc/" + std::to_string(pid) + "/comm");
    auto cmd = readFile("/proc/" + std::to_string(pid) + "/cmdline");
    if (!comm || comm->rfind("dnsmasq", 0) != 0 || !cmd || !alive(pid)) return 0;
    if (cmd->find("--pid-file=" + f.pid) == std::string::npos) return 0;
    return pid;
}

Status startDnsmasq(const std::string& program, const BridgeConfig& c, const Files& f) {
    ::unlink(f.pid.c_str());
    // stderr goes to a file, not a pipe: the daemon may keep it open.
    UniqueFd err(::open(f.errors.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!err) return Error::sys("open " + f.errors);
    Program cmd;
    cmd.argv = {program};
    for (auto& a : dnsmasqArgs(c, f.pid, f.leases, f.log)) cmd.argv.push_back(a);
    cmd.stderrFd = err.get();
    cmd.newSession = true;
    cmd.parentDeathSignal = 0;  // a daemon: it outlives xc-net
    auto ran = startProgram(cmd);
    if (!ran) return std::move(ran).error().wrap("start dnsmasq on " + c.bridge);
    auto status = ran->wait(std::chrono::duration_cast<std::chrono::milliseconds>(kProgramTimeout));
    std::string said = readFile(f.errors).ok() ? *readFile(f.errors) : "";
    ::unlink(f.errors.c_str());
    if (!status) return std::move(status).error().wrap("start dnsmasq on " + c.bridge);
    if (*status != 0) return Error::msg("start dnsmasq on " + c.bridge + ": " + failureText(*status, said), EIO);
    // The daemon writes its pid file as it detaches.
    for (int i = 0; i < 200 && runningDnsmasq(f) <= 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (runningDnsmasq(f) <= 0) return Error::msg("dnsmasq on " + c.bridge + " did not start (no pid in " + f.pid + ")", EIO);
    return {};
}

void stopDnsmasq(const Files& f) {
    if (pid_t pid = runningDnsmasq(f); pid > 0) {
        // The pidfd pins the process: checked again after opening it, the
        // signals cannot reach a recycled pid.
        auto fd = openPidfd(pid);
        if (fd && runningDnsmasq(f) == pid) {
            (void)sendSignal(fd->get(), SIGTERM);
            if (!exitsWithin(fd->get(), 1500)) (void)sendSignal(fd->get(), SIGKILL);
            (void)exitsWithin(fd->get(), 1500);
        }
    }
    for (const auto& p : {f.pid, f.leases, f.log, f.errors}) ::unlink(p.c_str());
}

// ---- nftables ----

std::string natScript(const BridgeConfig& c) {
    std::string t = nftTableName(c.bridge);
    std::string s = "add table inet " + t + "\n" + "delete table inet " + t + "\n" + "table inet " + t + " {\n" +
                    "  comment \"xc-net " + c.bridge + "\"\n" +
                    "  chain postrouting {\n"
                    "    type nat hook postrouting priority srcnat; policy accept;\n";
    std::string v4 = c.ipv4.network().text();
    s += "    ip saddr " + v4 + " ip daddr != " + v4 + " counter masquerade\n";
    if (c.nat6 && c.ipv6.valid()) {
        std::string v6 = c.ipv6.network().text();
        s += "    ip6 saddr " + v6 + " ip6 daddr != " + v6 + " counter masquerade\n";
    }
    s += "  }\n}\n";
    return s;
}

Status nftRun(const std::string& program, const std::string& script) {
    Program cmd;
    cmd.argv = {program, "-f", "-"};
    XC_ASSIGN(ProgramOutput r, runProgram(cmd, script, kProgramTimeout));
    if (r.status != 0) return Error::msg("nft: " + failureText(r.status, r.err), EIO);
    return {};
}

Result<NftTables> nftTables(const std::string& program, const std::string& table) {
    Program cmd;
    cmd.argv = {program, "list", "tables"};
    XC_ASSIGN(ProgramOutput r, runProgram(cmd, "", kProgramTimeout));
    if (r.status != 0) return Error::msg("nft list tables: " + failureText(r.status, r.err), EIO);
    NftTables out;
    std::istringstream in(r.out);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream w(line);
        std::string kw, fam, name;
        w >> kw >> fam >> name;
        if (kw != "table") continue;
        if (fam == "inet" && name == table) out.found = true;
        else if (name.rfind("xcnet_", 0) == 0) out.otherXcNet.push_back(name);
    }
    return out;
}

// ---- IPv4 forwarding ----

Result<bool> enableForwarding(const std::string& marker) {
    auto fwd = readFile(kForwardFile);
    if (!fwd) return std::move(fwd).error().wrap("read IPv4 forwarding");
    if (fwd->rfind("0", 0) != 0) return false;
    if (!pathExists(marker)) {
        XC_TRY(makeParentDirs(marker, 0755));
        XC_TRY(writeFileAtomic(marker, "0\n", 0644));
    }
    UniqueFd fd(::open(kForwardFile, O_WRONLY | O_CLOEXEC));
    if (!fd || ::write(fd.get(), "1\n", 2) != 2) {
        Error e = Error::sys("turn on IPv4 forwarding");
        ::unlink(marker.c_str());
        return e;
    }
    return true;
}

void restoreForwarding(const std::string& marker) {
    if (!pathExists(marker)) return;
    UniqueFd fd(::open(kForwardFile, O_WRONLY | O_CLOEXEC));
    if (fd) (void)!::write(fd.get(), "0\n", 2);
    ::unlink(marker.c_str());
}

}  // namespace xc::bridge
