// xc-net: the host bridge of xc containers (as LXC's lxc-net provides
// lxcbr0): a bridge with an address, dnsmasq for DHCP and DNS on it, and
// NAT for the subnet in an nftables table of its own. What `start` made is
// written to a state file, and `stop` undoes exactly that.
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <sstream>
#include <thread>

#include "common.hpp"
#include "base/fsutil.hpp"
#include "net/net.hpp"
#include "net/netlink.hpp"
#include "process/process.hpp"

namespace {

using namespace xc;
using State = std::map<std::string, std::string>;

struct Files {
    std::string dir, state, pid, leases, log, errors;
    Files(const std::string& d, const std::string& bridge)
        : dir(d), state(d + "/" + bridge + ".state"), pid(d + "/" + bridge + ".dnsmasq.pid"),
          leases(d + "/" + bridge + ".leases"), log(d + "/" + bridge + ".dnsmasq.log"),
          errors(d + "/" + bridge + ".dnsmasq.err") {}
};

State readState(const std::string& path) {
    State s;
    auto text = readFile(path);
    if (!text) return s;
    std::istringstream in(*text);
    std::string line;
    while (std::getline(in, line)) {
        size_t eq = line.find('=');
        if (eq != std::string::npos) s[line.substr(0, eq)] = line.substr(eq + 1);
    }
    return s;
}

Status writeState(const std::string& path, const State& s) {
    std::string text = "# written by xc-net start; read by xc-net stop\n";
    for (const auto& [k, v] : s) text += k + "=" + v + "\n";
    return writeFileAtomic(path, text, 0644);
}

std::string findProgram(const std::string& name) {
    std::string path = std::getenv("PATH") ? std::getenv("PATH") : "";
    path += ":/usr/sbin:/sbin:/usr/bin:/bin";
    std::istringstream in(path);
    std::string dir;
    while (std::getline(in, dir, ':'))
        if (!dir.empty() && ::access((dir + "/" + name).c_str(), X_OK) == 0) return dir + "/" + name;
    return "";
}

struct Ran {
    int status = -1;
    std::string err;
};

// Runs a program with `input` on stdin; stdout is discarded, stderr kept
// in `errFile` (so that a daemon holding it cannot block us).
Result<Ran> runProgram(const std::vector<std::string>& argv, const std::string& input, const std::string& errFile) {
    int in[2];
    if (::pipe2(in, O_CLOEXEC) < 0) return Error::sys("pipe");
    UniqueFd rd(in[0]), wr(in[1]);
    UniqueFd err(::open(errFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
    if (!err) return Error::sys("open " + errFile);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    pid_t pid = ::fork();
    if (pid < 0) return Error::sys("fork");
    if (pid == 0) {
        ::setsid();
        ::dup2(rd.get(), 0);
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 1);
        ::dup2(err.get(), 2);
        closeFdsFrom(3);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execv(args[0], args.data());
        ::dprintf(2, "exec %s: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
    rd.reset();
    size_t done = 0;
    while (done < input.size()) {
        ssize_t n = ::write(wr.get(), input.data() + done, input.size() - done);
        if (n <= 0) break;
        done += static_cast<size_t>(n);
    }
    wr.reset();
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) return Error::sys("wait for " + argv[0]);
    Ran r;
    r.status = exitCodeOf(status);
    if (auto e = readFile(errFile)) r.err = *e;
    ::unlink(errFile.c_str());
    while (!r.err.empty() && (r.err.back() == '\n' || r.err.back() == ' ')) r.err.pop_back();
    return r;
}

// ---- dnsmasq ----

pid_t pidFromFile(const std::string& path) {
    auto text = readFile(path);
    if (!text) return -1;
    pid_t pid = std::atoi(text->c_str());
    return pid > 0 ? pid : -1;
}

bool alive(pid_t pid);

// The dnsmasq of this bridge, if it runs: the pid file's process, checked
// to be a dnsmasq that was given this pid file.
pid_t runningDnsmasq(const Files& f) {
    pid_t pid = pidFromFile(f.pid);
    if (pid <= 0) return -1;
    auto comm = readFile("/proc/" + std::to_string(pid) + "/comm");
    auto cmd = readFile("/proc/" + std::to_string(pid) + "/cmdline");
    if (!comm || comm->rfind("dnsmasq", 0) != 0 || !cmd || !alive(pid)) return -1;
    if (cmd->find("--pid-file=" + f.pid) == std::string::npos) return -1;
    return pid;
}

Status startDnsmasq(const BridgeConfig& c, const Files& f) {
    std::string bin = findProgram("dnsmasq");
    if (bin.empty()) return Error::msg("dnsmasq is not installed (apt-get install dnsmasq-base)", ENOENT);
    ::unlink(f.pid.c_str());
    std::vector<std::string> argv = {bin};
    for (auto& a : dnsmasqArgs(c, f.pid, f.leases, f.log)) argv.push_back(a);
    XC_ASSIGN(Ran r, runProgram(argv, "", f.errors));
    if (r.status != 0)
        return Error::msg("start dnsmasq on " + c.bridge + ": " + (r.err.empty() ? "exit status " + std::to_string(r.status) : r.err), EIO);
    // The daemon writes its pid file as it detaches.
    for (int i = 0; i < 200 && runningDnsmasq(f) < 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    if (runningDnsmasq(f) < 0) return Error::msg("dnsmasq on " + c.bridge + " did not start (no pid in " + f.pid + ")", EIO);
    return {};
}

// Alive and not a zombie (nobody may reap a daemon promptly).
bool alive(pid_t pid) {
    auto stat = readFile("/proc/" + std::to_string(pid) + "/stat");
    if (!stat) return false;
    size_t close = stat->rfind(')');
    return close != std::string::npos && close + 2 < stat->size() && (*stat)[close + 2] != 'Z' &&
           (*stat)[close + 2] != 'X';
}

void stopDnsmasq(const Files& f) {
    pid_t pid = runningDnsmasq(f);
    if (pid > 0) {
        ::kill(pid, SIGTERM);
        for (int i = 0; i < 300 && alive(pid); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (alive(pid)) ::kill(pid, SIGKILL);
    }
    for (const auto& p : {f.pid, f.leases, f.log, f.errors}) ::unlink(p.c_str());
}

// ---- nftables ----

const char* kForwardFile = "/proc/sys/net/ipv4/ip_forward";

Result<Ran> nft(const std::string& script, const Files& f) {
    std::string bin = findProgram("nft");
    if (bin.empty()) return Error::msg("nft is not installed (apt-get install nftables)", ENOENT);
    return runProgram({bin, "-f", "-"}, script, f.errors + ".nft");
}

bool nftTableExists(const std::string& table, const Files& f, std::vector<std::string>* others = nullptr) {
    (void)f;
    bool found = false;
    std::string bin = findProgram("nft");
    if (bin.empty()) return false;
    int p[2];
    if (::pipe2(p, O_CLOEXEC) < 0) return false;
    UniqueFd rd(p[0]), wr(p[1]);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(wr.get(), 1);
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 2);
        closeFdsFrom(3);
        ::execl(bin.c_str(), bin.c_str(), "list", "tables", static_cast<char*>(nullptr));
        ::_exit(127);
    }
    wr.reset();
    std::string out;
    char buf[4096];
    ssize_t n;
    while ((n = ::read(rd.get(), buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    int st;
    ::waitpid(pid, &st, 0);
    std::istringstream in(out);
    std::string line;
    while (std::getline(in, line)) {
        std::istringstream w(line);
        std::string kw, fam, name;
        w >> kw >> fam >> name;
        if (kw != "table") continue;
        if (fam == "inet" && name == table) found = true;
        else if (others && name.rfind("xcnet_", 0) == 0) others->push_back(name);
    }
    return found;
}

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

std::string forwardMarker(const HostPaths& host) { return host.runRoot + "/net-forward.restore"; }

// ---- start / stop / status ----

struct Service {
    BridgeConfig cfg;
    Files files;
    HostPaths host;
};

Status start(Service& s) {
    const BridgeConfig& c = s.cfg;
    XC_TRY(makeDirs(s.files.dir, 0755));
    State st = readState(s.files.state);
    State made;  // what this run made, undone if it fails half-way
    XC_ASSIGN(nl::Socket sock, nl::Socket::open());
    auto undo = [&] {
        if (made.count("nft")) (void)nft("delete table inet " + nftTableName(c.bridge) + "\n", s.files);
        auto br = nl::findLink(sock, c.bridge);
        if (br && *br) {
            if (made.count("addr4")) (void)nl::deleteAddress(sock, (*br)->index, c.ipv4);
            if (made.count("addr6")) (void)nl::deleteAddress(sock, (*br)->index, c.ipv6);
            if (made.count("bridge")) (void)nl::deleteLink(sock, (*br)->index);
        }
    };
    auto fail = [&](Error e) -> Status {
        undo();
        ::rmdir(s.files.dir.c_str());  // if this run made it (and it is empty)
        return e;
    };

    XC_ASSIGN(auto br, nl::findLink(sock, c.bridge));
    if (br && br->kind != "bridge")
        return Error::msg("'" + c.bridge + "' exists and is not a bridge (it is " +
                              (br->kind.empty() ? "a physical device" : "a " + br->kind) + "); set another bridge name in " +
                              c.sourceFile,
                          EEXIST);
    if (!br) {
        XC_TRY(nl::createBridge(sock, c.bridge, c.mtu, stableHwaddr("xc-net bridge " + c.bridge)));
        made["bridge"] = "1";
        st["bridge_made"] = "1";
        XC_ASSIGN(br, nl::findLink(sock, c.bridge));
        if (!br) return fail(Error::msg("bridge " + c.bridge + " vanished after it was made", ENODEV));
    } else if (!st.count("bridge_made")) {
        st["bridge_made"] = "0";
    }
    if (!br->up())
        if (auto r = nl::setLinkUp(sock, br->index, true); !r) return fail(std::move(r).error());

    auto addrs = nl::listAddresses(sock);
    if (!addrs) return fail(std::move(addrs).error());
    auto has = [&](const IpPrefix& a) {
        for (const auto& x : *addrs)
            if (x.ifindex == br->index && x.addr.sameAddress(a)) return true;
        return false;
    };
    if (!has(c.ipv4)) {
        // The subnet must be free: e.g. LXC's lxcbr0 uses 10.0.3.0/24 too.
        if (auto links = nl::listLinks(sock))
            for (const auto& x : *addrs)
                if (x.ifindex != br->index && x.addr.family == AF_INET &&
                    (x.addr.contains(c.ipv4) || c.ipv4.contains(x.addr)))
                    for (const auto& l : *links)
                        if (l.index == x.ifindex)
                            return fail(Error::msg(c.ipv4.network().text() + " overlaps " + x.addr.text() + " on " +
                                                       l.name + "; set another ipv4 in " + c.sourceFile,
                                                   EADDRINUSE));
        if (auto r = nl::addAddress(sock, br->index, c.ipv4, false); !r) return fail(std::move(r).error());
        made["addr4"] = "1";
        st["addr4"] = c.ipv4.text();
    }
    if (c.ipv6.valid() && !has(c.ipv6)) {
        if (auto r = nl::addAddress(sock, br->index, c.ipv6, true); !r) return fail(std::move(r).error());
        made["addr6"] = "1";
        st["addr6"] = c.ipv6.text();
    }

    if (c.nat) {
        auto r = nft(natScript(c), s.files);
        if (!r) return fail(std::move(r).error());
        if (r->status != 0) return fail(Error::msg("set up NAT with nft: " + r->err, EIO));
        made["nft"] = "1";
        st["nft_table"] = "inet " + nftTableName(c.bridge);
        auto fwd = readFile(kForwardFile);
        if (fwd && fwd->rfind("0", 0) == 0) {
            if (!pathExists(forwardMarker(s.host))) {
                XC_TRY(makeDirs(s.host.runRoot, 0755));
                (void)writeFileAtomic(forwardMarker(s.host), "0\n", 0644);
            }
            UniqueFd fd(::open(kForwardFile, O_WRONLY | O_CLOEXEC));
            if (!fd || ::write(fd.get(), "1\n", 2) != 2) return fail(Error::sys("turn on IPv4 forwarding"));
        }
    }

    if (runningDnsmasq(s.files) < 0) {
        if (auto r = startDnsmasq(c, s.files); !r) return fail(std::move(r).error());
    }
    st["bridge"] = c.bridge;
    st["dnsmasq_pid_file"] = s.files.pid;
    if (auto w = writeState(s.files.state, st); !w) {
        stopDnsmasq(s.files);
        return fail(std::move(w).error());
    }
    return {};
}

void writeForward(const char* value) {
    UniqueFd fd(::open(kForwardFile, O_WRONLY | O_CLOEXEC));
    if (fd) (void)!::write(fd.get(), value, std::strlen(value));
}

Status stop(Service& s) {
    State st = readState(s.files.state);
    std::string bridge = st.count("bridge") ? st["bridge"] : s.cfg.bridge;
    stopDnsmasq(s.files);
    if (st.count("nft_table")) {
        auto r = nft("delete table " + st["nft_table"] + "\n", s.files);
        (void)r;
        std::vector<std::string> others;
        nftTableExists(nftTableName(bridge), s.files, &others);
        // IPv4 forwarding goes back off when the last xc-net NAT is gone,
        // if xc-net turned it on.
        if (others.empty() && pathExists(forwardMarker(s.host))) {
            writeForward("0\n");
            ::unlink(forwardMarker(s.host).c_str());
        }
    }
    XC_ASSIGN(nl::Socket sock, nl::Socket::open());
    XC_ASSIGN(auto br, nl::findLink(sock, bridge));
    if (br) {
        if (st["bridge_made"] == "1") {
            XC_ASSIGN(auto links, nl::listLinks(sock));
            std::string ports;
            for (const auto& l : links)
                if (l.master == br->index) ports += (ports.empty() ? "" : ", ") + l.name;
            if (ports.empty()) {
                XC_TRY(nl::deleteLink(sock, br->index));
            } else {
                std::fprintf(stderr, "xc-net: bridge %s still has interfaces (%s): left in place\n", bridge.c_str(),
                             ports.c_str());
                for (const char* k : {"addr4", "addr6"})
                    if (st.count(k))
                        if (auto a = parseIpPrefix(st[k]); a) (void)nl::deleteAddress(sock, br->index, *a);
            }
        } else {
            for (const char* k : {"addr4", "addr6"})
                if (st.count(k))
                    if (auto a = parseIpPrefix(st[k]); a) (void)nl::deleteAddress(sock, br->index, *a);
        }
    }
    ::unlink(s.files.state.c_str());
    ::rmdir(s.files.dir.c_str());  // only if empty
    return {};
}

int status(Service& s) {
    const BridgeConfig& c = s.cfg;
    State st = readState(s.files.state);
    bool ok = true;
    auto sock = nl::Socket::open();
    std::optional<nl::Link> br;
    if (sock)
        if (auto l = nl::findLink(*sock, c.bridge)) br = *l;
    auto line = [](const char* label, const std::string& v) { std::printf("%-12s %s\n", label, v.c_str()); };
    if (!br) {
        line("Bridge:", c.bridge + " (missing)");
        ok = false;
    } else {
        std::string how = st.empty() ? "not started by xc-net" : (st["bridge_made"] == "1" ? "made by xc-net" : "made by hand");
        line("Bridge:", c.bridge + " (" + (br->up() ? "up" : "down") + ", " + how + ")");
        if (auto addrs = nl::listAddresses(*sock)) {
            for (const auto& a : *addrs)
                if (a.ifindex == br->index && a.scope == 0)
                    line(a.addr.family == AF_INET ? "IPv4:" : "IPv6:", a.addr.text());
        }
        if (auto links = nl::listLinks(*sock)) {
            std::string ports;
            for (const auto& l : *links)
                if (l.master == br->index) ports += (ports.empty() ? "" : " ") + l.name;
            line("Interfaces:", ports.empty() ? "-" : ports);
        }
    }
    pid_t pid = runningDnsmasq(s.files);
    if (pid > 0) {
        line("dnsmasq:", "pid " + std::to_string(pid) + (c.dhcp ? ", DHCP " + c.dhcpStart.address() + "-" + c.dhcpEnd.address() + ", leases " + s.files.leases : ""));
    } else {
        line("dnsmasq:", "not running");
        ok = false;
    }
    std::string table = nftTableName(c.bridge);
    bool nat = nftTableExists(table, s.files);
    line("NAT:", nat ? "nft table inet " + table + " present" : (c.nat ? "nft table inet " + table + " missing" : "off"));
    if (c.nat && !nat) ok = false;
    if (st.empty()) ok = false;
    return ok ? 0 : 3;
}

}  // namespace

int main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-net", "Start, stop or show the host bridge of xc containers",
                 "DESCRIPTION\n"
                 "  start   makes the bridge (default xcbr0, 10.0.3.1/24) unless it exists, gives it its\n"
                 "          address, starts dnsmasq (DHCP and DNS) bound to it, and masquerades the\n"
                 "          subnet in the nftables table inet xcnet_<bridge>; running it again is fine.\n"
                 "  stop    undoes what start made (a bridge made by hand stays).\n"
                 "  status  bridge, addresses, dnsmasq pid, NAT table; exit status 3 if not up.\n"
                 "  Settings: /etc/xc/xc-net.conf (-c FILE). State: /run/xc/net (-s DIR).\n\n"
                 "EXAMPLES\n  xc-net start\n  xc-net status\n  xc-net -c /tmp/test-net.conf -s /tmp/net-state start\n\n"
                 "EXIT STATUS\n  0 done, 1 failed, 2 usage error, 3 (status) not running",
                 false);
    std::string command, configFile, stateDir;
    t.app().add_option("command", command, "start, stop or status")
        ->required()
        ->check(CLI::IsMember({"start", "stop", "status"}));
    t.app().add_option("-c,--config", configFile, "Settings file (default: /etc/xc/xc-net.conf)");
    t.app().add_option("-s,--state-dir", stateDir, "Where the state, pid and lease files go (default: /run/xc/net)");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    if (configFile.empty()) configFile = t.host().sysconfDir + "/xc-net.conf";
    if (stateDir.empty()) stateDir = t.host().runRoot + "/net";
    auto cfg = loadBridgeConfig(configFile);
    if (!cfg) return t.fail(cfg.error());
    Service s{*cfg, Files(stateDir, cfg->bridge), t.host()};
    if (command == "status") return status(s);
    if (::geteuid() != 0) return t.fail(command + ": must run as root");
    Status st = command == "start" ? start(s) : stop(s);
    if (!st) return t.fail(st.error().wrap(command + " " + cfg->bridge));
    return 0;
}
