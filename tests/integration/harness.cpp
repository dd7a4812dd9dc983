#include "harness.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>
#include <thread>

#include <libconfig.h++>

#include "xc/paths.hpp"

extern char** environ;

namespace xcit {

namespace {

using Clock = std::chrono::steady_clock;

constexpr const char* kBasePrefix = "/tmp/xc-it-";

void setNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

void closeFd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

// Reads what is available without blocking; returns false at EOF or error.
bool drain(int fd, std::string& into) {
    char buf[8192];
    for (;;) {
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n > 0) {
            into.append(buf, static_cast<size_t>(n));
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        return false;
    }
}

std::string joinArgs(const std::vector<std::string>& argv) {
    std::string s;
    for (const auto& a : argv) {
        if (!s.empty()) s += ' ';
        bool quote = a.empty() || a.find_first_of(" \t'\"$|&;<>()*?\\") != std::string::npos;
        s += quote ? "'" + a + "'" : a;
    }
    return s;
}

std::string decodeMountinfo(const std::string& s) {
    std::string out;
    for (size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size() + 0 && std::isdigit(static_cast<unsigned char>(s[i + 1]))) {
            out += static_cast<char>(std::stoi(s.substr(i + 1, 3), nullptr, 8));
            i += 3;
        } else {
            out += s[i];
        }
    }
    return out;
}

bool isMountRoot(int dirfd, const char* name, dev_t parentDev) {
    struct stat st;
    if (::fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) return false;
    if (st.st_dev != parentDev) return true;
#ifdef STATX_ATTR_MOUNT_ROOT
    struct statx sx;
    if (::statx(dirfd, name, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0 &&
        (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT) && (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT))
        return true;
#endif
    return false;
}

// Removes parentFd/name; a directory only if it is on the same mount.
bool removeAt(int parentFd, const std::string& name, dev_t dev, const std::string& shown) {
    struct stat st;
    if (::fstatat(parentFd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return errno == ENOENT;
    if (!S_ISDIR(st.st_mode)) {
        if (::unlinkat(parentFd, name.c_str(), 0) == 0 || errno == ENOENT) return true;
        std::fprintf(stderr, "[ harness  ] cannot remove %s: %s\n", shown.c_str(), std::strerror(errno));
        return false;
    }
    if (isMountRoot(parentFd, name.c_str(), dev)) {
        std::fprintf(stderr, "[ harness  ] not removing %s: a mount point\n", shown.c_str());
        return false;
    }
    int fd = ::openat(parentFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return false;
    DIR* d = ::fdopendir(fd);
    if (!d) {
        ::close(fd);
        return false;
    }
    std::vector<std::string> names;
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") names.push_back(n);
    }
    bool ok = true;
    for (const auto& n : names) ok = removeAt(::dirfd(d), n, dev, shown + "/" + n) && ok;
    ::closedir(d);
    if (::unlinkat(parentFd, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) {
        std::fprintf(stderr, "[ harness  ] cannot remove %s: %s\n", shown.c_str(), std::strerror(errno));
        return false;
    }
    return ok;
}

void listTreeInto(const std::string& dir, const std::string& rel, std::vector<std::string>& out) {
    for (const auto& n : listNames(dir)) {
        std::string r = rel.empty() ? n : rel + "/" + n;
        out.push_back(r);
        if (isDir(dir + "/" + n)) listTreeInto(dir + "/" + n, r, out);
    }
}

std::vector<std::string> cgroupHierarchies() {
    std::vector<std::string> out = {"/sys/fs/cgroup"};
    for (const auto& n : listNames("/sys/fs/cgroup"))
        if (isDir("/sys/fs/cgroup/" + n)) out.push_back("/sys/fs/cgroup/" + n);
    return out;
}

std::vector<pid_t> allPids() {
    std::vector<pid_t> out;
    for (const auto& n : listNames("/proc"))
        if (!n.empty() && std::all_of(n.begin(), n.end(), ::isdigit)) out.push_back(std::atoi(n.c_str()));
    return out;
}

// The host configuration the tools run with: the project's config/ files,
// except that default.conf gives new containers no network interface
// (loopback only). These tests are about containers, not the host's bridge,
// and must not depend on one existing.
bool makeSysconf(const std::string& dir, std::string& why) {
    const std::string src = std::string(XC_SOURCE_DIR) + "/config";
    if (::mkdir(dir.c_str(), 0755) < 0) {
        why = "mkdir " + dir + ": " + std::strerror(errno);
        return false;
    }
    for (const auto& n : listNames(src)) {
        struct stat st;
        if (::lstat((src + "/" + n).c_str(), &st) == 0 && S_ISREG(st.st_mode) && n != "default.conf")
            writeText(dir + "/" + n, readText(src + "/" + n), 0644);
    }
    libconfig::Config cfg;
    cfg.setOptions(libconfig::Setting::OptionSemicolonSeparators);
    try {
        if (exists(src + "/default.conf")) cfg.readFile((src + "/default.conf").c_str());
        libconfig::Setting& root = cfg.getRoot();
        if (root.exists("network")) root.remove("network");
        libconfig::Setting& net = root.add("network", libconfig::Setting::TypeList);
        net.add(libconfig::Setting::TypeGroup).add("type", libconfig::Setting::TypeString) = "empty";
        cfg.writeFile((dir + "/default.conf").c_str());
    } catch (const libconfig::ParseException& e) {
        why = std::string(e.getFile() ? e.getFile() : "default.conf") + ":" + std::to_string(e.getLine()) + ": " +
              e.getError();
        return false;
    } catch (const std::exception& e) {
        why = std::string("default.conf: ") + e.what();
        return false;
    }
    return true;
}

}  // namespace

// ---------------------------------------------------------------- helpers

std::string RunResult::describe() const {
    std::ostringstream s;
    s << "command: " << command << "\n  status " << status;
    if (signal) s << " (signal " << signal << ")";
    if (timedOut) s << " (TIMED OUT, killed)";
    s << " after " << seconds << " s\n  stdout: [" << out << "]\n  stderr: [" << err << "]";
    return s.str();
}

std::string toolPath(const std::string& tool) { return std::string(XC_BUILD_DIR) + "/" + tool; }

std::string readText(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return "";
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

bool writeText(const std::string& path, const std::string& data, mode_t mode) {
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0) return false;
    bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size());
    ::fchmod(fd, mode);
    ::close(fd);
    return ok;
}

bool hasHiddenWork(const std::string& dir) {
    for (const auto& n : listNames(dir))
        if (n.rfind(".xc-", 0) == 0) return true;
    return false;
}

bool exists(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0;
}

bool isDir(const std::string& path) {
    struct stat st;
    return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> listNames(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    while (struct dirent* e = ::readdir(d)) {
        std::string n = e->d_name;
        if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<std::string> listTree(const std::string& dir) {
    std::vector<std::string> out;
    listTreeInto(dir, "", out);
    std::sort(out.begin(), out.end());
    return out;
}

bool removeTree(const std::string& path) {
    if (path.empty() || path == "/") return false;
    struct stat st;
    if (::lstat(path.c_str(), &st) < 0) return errno == ENOENT;
    std::string parent = path.substr(0, path.rfind('/'));
    if (parent.empty()) parent = "/";
    std::string name = path.substr(path.rfind('/') + 1);
    int pfd = ::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0) return false;
    struct stat pst;
    ::fstat(pfd, &pst);
    // Everything removed must be on the parent's mount: a tree that is
    // itself a mount point (something mounted on a sentinel) is left alone.
    bool ok = removeAt(pfd, name, pst.st_dev, path);
    ::close(pfd);
    return ok;
}

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string l;
    while (std::getline(in, l)) out.push_back(l);
    return out;
}

bool contains(const std::string& hay, const std::string& needle) { return hay.find(needle) != std::string::npos; }

bool processAlive(pid_t pid) { return pid > 0 && ::kill(pid, 0) == 0; }

pid_t parentOf(pid_t pid) {
    std::string stat = readText("/proc/" + std::to_string(pid) + "/stat");
    size_t close = stat.rfind(')');
    if (close == std::string::npos) return -1;
    std::istringstream in(stat.substr(close + 1));
    std::string state;
    pid_t ppid = -1;
    in >> state >> ppid;
    return ppid;
}

std::string commOf(pid_t pid) {
    std::string c = readText("/proc/" + std::to_string(pid) + "/comm");
    while (!c.empty() && c.back() == '\n') c.pop_back();
    return c;
}

std::string cmdlineOf(pid_t pid) {
    std::string c = readText("/proc/" + std::to_string(pid) + "/cmdline");
    std::replace(c.begin(), c.end(), '\0', ' ');
    return c;
}

std::vector<std::string> mountPoints() {
    std::vector<std::string> out;
    for (const auto& l : lines(readText("/proc/self/mountinfo"))) {
        std::istringstream in(l);
        std::string id, parent, devno, root, point;
        in >> id >> parent >> devno >> root >> point;
        if (!point.empty()) out.push_back(decodeMountinfo(point));
    }
    return out;
}

bool waitUntil(const std::function<bool()>& pred, double seconds, double pollSeconds) {
    auto deadline = Clock::now() + std::chrono::duration<double>(seconds);
    for (;;) {
        if (pred()) return true;
        if (Clock::now() >= deadline) return pred();
        std::this_thread::sleep_for(std::chrono::duration<double>(pollSeconds));
    }
}

double since(std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

// ---------------------------------------------------------------- fixture

void XcTest::SetUp() {
    if (::geteuid() != 0) GTEST_SKIP() << "the end-to-end tests start real containers and need root";
    char tmpl[] = "/tmp/xc-it-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr) << std::strerror(errno);
    base_ = tmpl;
    ::chmod(base_.c_str(), 0755);
    scratch_ = base_ + "/.it";
    ASSERT_EQ(::mkdir(scratch_.c_str(), 0755), 0) << std::strerror(errno);
    sysconf_ = scratch_ + "/etc";
    std::string why;
    ASSERT_TRUE(makeSysconf(sysconf_, why)) << why;
    // Where xc keeps this base's runtime state and cgroups (lib/src/paths.cpp).
    key_ = xc::hashKey(base_);
    runDir_ = "/run/xc/" + key_;
    cgParent_ = "xc-" + key_.substr(0, 12);
    for (const char* t : {"xc-create", "xc-start", "xc-stop", "xc-attach", "xc-info", "xc-destroy", "xc-supervisor"})
        ASSERT_EQ(::access(toolPath(t).c_str(), X_OK), 0) << toolPath(t) << " not built";
}

std::vector<std::string> XcTest::environment(const std::vector<std::string>& extra) const {
    std::map<std::string, std::string> env;
    for (char** e = environ; *e; ++e) {
        std::string kv = *e;
        size_t eq = kv.find('=');
        if (eq == std::string::npos) continue;
        std::string k = kv.substr(0, eq);
        if (k.rfind("XC_", 0) == 0) continue;  // nothing of the caller's xc settings
        env[k] = kv.substr(eq + 1);
    }
    env["XC_TEMPLATE_DIR"] = std::string(XC_SOURCE_DIR) + "/templates";
    // Not config/: its default.conf puts every container on the bridge xcbr0.
    env["XC_SYSCONF_DIR"] = std::string(XC_SOURCE_DIR) + "/tests/integration/data";
    env["XC_DATA_DIR"] = std::string(XC_SOURCE_DIR) + "/share";
    env["XC_LIBEXEC_DIR"] = std::string(XC_BUILD_DIR);
    // root's subordinate ids, whatever the host's /etc/subuid says.
    env["XC_SUBID_DIR"] = std::string(XC_SOURCE_DIR) + "/tests/integration/data";
    if (!env.count("PATH")) env["PATH"] = "/usr/sbin:/usr/bin:/sbin:/bin";
    std::vector<std::string> all = toolEnv_;
    all.insert(all.end(), extra.begin(), extra.end());
    for (const auto& kv : all) {
        size_t eq = kv.find('=');
        env[kv.substr(0, eq)] = eq == std::string::npos ? "" : kv.substr(eq + 1);
    }
    std::vector<std::string> out;
    for (const auto& [k, v] : env) out.push_back(k + "=" + v);
    return out;
}

Running XcTest::spawn(const std::vector<std::string>& argv, const RunOptions& o) {
    Running r;
    r.command = joinArgs(argv);
    r.timeoutSeconds = o.timeoutSeconds;
    r.input = o.input;
    int outP[2], errP[2], inP[2] = {-1, -1};
    if (::pipe2(outP, O_CLOEXEC) < 0 || ::pipe2(errP, O_CLOEXEC) < 0) return r;
    if (o.feedStdin && ::pipe2(inP, O_CLOEXEC) < 0) return r;
    std::vector<std::string> env = environment(o.env);
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (auto& e : env) envp.push_back(e.data());
    envp.push_back(nullptr);
    r.started = Clock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
        ::setpgid(0, 0);  // so a timeout can kill everything it started in the foreground
        int in = o.feedStdin ? inP[0] : ::open("/dev/null", O_RDONLY);
        ::dup2(in, 0);
        ::dup2(outP[1], 1);
        ::dup2(errP[1], 2);
        sigset_t none;
        sigemptyset(&none);
        ::sigprocmask(SIG_SETMASK, &none, nullptr);
        ::execve(args[0], args.data(), envp.data());
        ::dprintf(2, "harness: exec %s: %s\n", args[0], std::strerror(errno));
        ::_exit(127);
    }
    ::close(outP[1]);
    ::close(errP[1]);
    if (o.feedStdin) {
        ::close(inP[0]);
        r.inFd = inP[1];
        setNonBlocking(r.inFd);
    }
    r.pid = pid;
    r.outFd = outP[0];
    r.errFd = errP[0];
    if (pid < 0) {
        closeFd(r.outFd);
        closeFd(r.errFd);
        closeFd(r.inFd);
        return r;
    }
    ::setpgid(pid, pid);
    setNonBlocking(r.outFd);
    setNonBlocking(r.errFd);
    return r;
}

RunResult XcTest::wait(Running& r) {
    RunResult res;
    res.command = r.command;
    if (r.pid < 0) {
        res.err = "harness: could not start the command";
        return res;
    }
    auto deadline = r.started + std::chrono::duration<double>(r.timeoutSeconds);
    bool exited = false;
    int status = 0;
    Clock::time_point exitedAt;
    ::signal(SIGPIPE, SIG_IGN);
    for (;;) {
        if (r.inFd >= 0) {
            while (r.inputDone < r.input.size()) {
                ssize_t n = ::write(r.inFd, r.input.data() + r.inputDone, r.input.size() - r.inputDone);
                if (n > 0) r.inputDone += static_cast<size_t>(n);
                else break;
            }
            if (r.inputDone >= r.input.size() || (errno != EAGAIN && errno != EINTR)) closeFd(r.inFd);
        }
        struct pollfd p[2];
        int np = 0;
        if (r.outFd >= 0) p[np++] = {r.outFd, POLLIN, 0};
        if (r.errFd >= 0) p[np++] = {r.errFd, POLLIN, 0};
        if (np > 0) ::poll(p, static_cast<nfds_t>(np), 20);
        else std::this_thread::sleep_for(std::chrono::milliseconds(5));
        if (r.outFd >= 0 && !drain(r.outFd, res.out)) closeFd(r.outFd);
        if (r.errFd >= 0 && !drain(r.errFd, res.err)) closeFd(r.errFd);
        if (!exited) {
            pid_t w = ::waitpid(r.pid, &status, WNOHANG);
            if (w == r.pid) {
                exited = true;
                exitedAt = Clock::now();
                res.seconds = since(r.started);
            }
        }
        // Done when it exited and its pipes are at EOF (or something it left
        // behind keeps them open: give that 300 ms, then stop reading).
        if (exited && ((r.outFd < 0 && r.errFd < 0) || since(exitedAt) > 0.3)) break;
        if (!exited && Clock::now() >= deadline) {
            ::kill(-r.pid, SIGKILL);
            ::kill(r.pid, SIGKILL);
            while (::waitpid(r.pid, &status, 0) < 0 && errno == EINTR) {
            }
            res.timedOut = true;
            res.seconds = since(r.started);
            if (r.outFd >= 0) drain(r.outFd, res.out);
            if (r.errFd >= 0) drain(r.errFd, res.err);
            break;
        }
    }
    closeFd(r.outFd);
    closeFd(r.errFd);
    closeFd(r.inFd);
    if (WIFEXITED(status)) {
        res.status = WEXITSTATUS(status);
    } else if (WIFSIGNALED(status)) {
        res.signal = WTERMSIG(status);
        res.status = 128 + res.signal;
    }
    r.pid = -1;
    if (std::getenv("XCIT_TRACE"))
        std::fprintf(stderr, "[ harness  ] %.3f s (%.3f s wall) status %d: %s\n", res.seconds, since(r.started),
                     res.status, res.command.c_str());
    return res;
}

RunResult XcTest::run(const std::vector<std::string>& argv, const RunOptions& o) {
    Running r = spawn(argv, o);
    return wait(r);
}

RunResult XcTest::xc(const std::string& tool, std::vector<std::string> args, const RunOptions& o) {
    std::vector<std::string> argv = {toolPath(tool), "-P", base_};
    argv.insert(argv.end(), args.begin(), args.end());
    return run(argv, o);
}

RunResult XcTest::create(const std::string& name, const std::vector<std::string>& extra, const std::string& tmpl) {
    std::vector<std::string> a = {"-n", name, "-t", tmpl};
    a.insert(a.end(), extra.begin(), extra.end());
    return xc("xc-create", a);
}

RunResult XcTest::createWithConfig(const std::string& name, const std::string& config) {
    std::string f = scratchFile(name + ".conf", config);
    return create(name, {"-f", f});
}

RunResult XcTest::start(const std::string& name, const std::vector<std::string>& extra) {
    std::vector<std::string> a = {"-n", name};
    a.insert(a.end(), extra.begin(), extra.end());
    return xc("xc-start", a);
}

RunResult XcTest::stop(const std::string& name, const std::vector<std::string>& extra) {
    std::vector<std::string> a = {"-n", name};
    a.insert(a.end(), extra.begin(), extra.end());
    RunOptions o;
    o.timeoutSeconds = 60;
    return xc("xc-stop", a, o);
}

RunResult XcTest::attach(const std::string& name, const std::vector<std::string>& cmd, const RunOptions& o,
                         const std::vector<std::string>& options) {
    std::vector<std::string> a = {"-n", name};
    a.insert(a.end(), options.begin(), options.end());
    a.push_back("--");
    a.insert(a.end(), cmd.begin(), cmd.end());
    return xc("xc-attach", a, o);
}

RunResult XcTest::info(const std::string& name, const std::vector<std::string>& flags) {
    std::vector<std::string> a = {"-n", name};
    a.insert(a.end(), flags.begin(), flags.end());
    return xc("xc-info", a);
}

RunResult XcTest::destroy(const std::string& name, const std::vector<std::string>& extra) {
    std::vector<std::string> a = {"-n", name};
    a.insert(a.end(), extra.begin(), extra.end());
    return xc("xc-destroy", a);
}

RunResult XcTest::cgroup(const std::string& name, const std::vector<std::string>& args) {
    std::vector<std::string> a = {"-n", name};
    a.insert(a.end(), args.begin(), args.end());
    return xc("xc-cgroup", a);
}

std::string XcTest::state(const std::string& name) {
    RunResult r = info(name, {"-s"});
    if (!r.ok()) return "";
    for (const auto& l : lines(r.out)) {
        std::istringstream in(l);
        std::string label, value;
        in >> label >> value;
        if (label == "State:") return value;
    }
    return "";
}

pid_t XcTest::initPid(const std::string& name) {
    RunResult r = info(name, {"-p"});
    if (!r.ok()) return -1;
    for (const auto& l : lines(r.out)) {
        std::istringstream in(l);
        std::string label;
        long pid = -1;
        in >> label >> pid;
        if (label == "PID:") return static_cast<pid_t>(pid);
    }
    return -1;
}

long long XcTest::cpuNs(const std::string& name) {
    RunResult r = info(name, {"-S", "-H"});
    if (!r.ok()) return -1;
    for (const auto& l : lines(r.out)) {
        if (l.rfind("CPU use:", 0) != 0) continue;
        return std::atoll(l.substr(8).c_str());
    }
    return -1;
}

std::vector<pid_t> XcTest::monitors(const std::string& name) {
    std::vector<pid_t> out;
    for (pid_t p : allPids()) {
        if (commOf(p) != "xc-supervisor") continue;
        std::string cmd = cmdlineOf(p) + " ";
        if (!contains(cmd, "--path " + base_ + " ")) continue;
        if (!name.empty() && !contains(cmd, "--name " + name + " ")) continue;
        // A zombie is not a supervisor any more.
        std::string st = readText("/proc/" + std::to_string(p) + "/stat");
        size_t close = st.rfind(')');
        if (close != std::string::npos && close + 2 < st.size() && st[close + 2] == 'Z') continue;
        out.push_back(p);
    }
    return out;
}

std::vector<std::string> XcTest::cgroupDirs(const std::string& name) {
    std::vector<std::string> out;
    for (const auto& h : cgroupHierarchies()) {
        std::string d = h + "/" + cgParent_ + "/" + name;
        if (isDir(d)) out.push_back(d);
    }
    return out;
}

bool XcTest::socketBound(const std::string& name) const {
    // Columns: Num RefCount Protocol Flags Type St Inode Path; the name is last.
    std::string want = socketName(name);
    for (const auto& l : lines(readText("/proc/net/unix"))) {
        size_t sp = l.rfind(' ');
        if (sp != std::string::npos && l.substr(sp + 1) == want) return true;
    }
    return false;
}

void XcTest::expectNothingRunning(const std::string& name, const std::string& context) {
    // A supervisor that failed may still be on its way out for a moment
    // after the tool returned: allow it 2 s.
    waitUntil([&] { return monitors(name).empty() && cgroupDirs(name).empty() && !socketBound(name); },
              2.0);
    auto mons = monitors(name);
    EXPECT_TRUE(mons.empty()) << context << ": an xc-supervisor of " << name << " still runs (pid " << mons[0] << ")";
    auto cgs = cgroupDirs(name);
    EXPECT_TRUE(cgs.empty()) << context << ": cgroup left behind: " << cgs[0];
    EXPECT_FALSE(socketBound(name)) << context << ": socket left behind: " << socketName(name);
    EXPECT_FALSE(exists(runDir_ + "/" + name + ".sock")) << context << ": socket file left behind";
    if (exists(configFile(name))) {
        EXPECT_EQ(state(name), "STOPPED") << context;
    }
}

std::string XcTest::scratchFile(const std::string& fileName, const std::string& content, mode_t mode) {
    std::string p = scratch_ + "/" + fileName;
    EXPECT_TRUE(writeText(p, content, mode)) << "write " << p;
    return p;
}

std::string XcTest::makeSentinelDir() {
    char tmpl[] = "/tmp/xc-it-sentinel-XXXXXX";
    if (!::mkdtemp(tmpl)) {
        ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
        return "/nonexistent-sentinel";
    }
    extraCleanup_.push_back(tmpl);
    return tmpl;
}

FreeTestNet XcTest::pickFreeTestNet(const std::string& ipBin) {
    const std::string addrs = run({ipBin, "-o", "addr"}).out, links = run({ipBin, "-o", "link"}).out;
    for (int tries = 0; tries < 100; ++tries) {
        unsigned r = 0;
        if (::getrandom(&r, sizeof r, 0) != static_cast<ssize_t>(sizeof r)) break;
        FreeTestNet f;
        f.n = 1 + static_cast<int>(r % 250);
        char tag[8];
        std::snprintf(tag, sizeof tag, "%05x", (r >> 8) & 0xfffff);
        f.tag = tag;
        const std::string n = std::to_string(f.n);
        if (!contains(addrs, " 10.254." + n + ".") && !contains(addrs, "172.31." + n + ".") && !contains(links, f.tag))
            return f;
    }
    return {};
}

void removeCgroupTreeAt(int parentFd, const std::string& name) {
    int fd = ::openat(parentFd, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return;
    std::vector<std::string> subs;
    if (DIR* d = ::fdopendir(::dup(fd))) {
        while (struct dirent* de = ::readdir(d)) {
            std::string n = de->d_name;
            if (n != "." && n != ".." && de->d_type == DT_DIR) subs.push_back(n);
        }
        ::closedir(d);
    }
    for (const auto& s : subs) removeCgroupTreeAt(fd, s);
    ::close(fd);
    ::unlinkat(parentFd, name.c_str(), AT_REMOVEDIR);
}

void XcTest::cleanupCgroupTree(const std::string& dir) {
    for (const auto& n : listNames(dir))
        if (isDir(dir + "/" + n)) cleanupCgroupTree(dir + "/" + n);
    auto poke = [](const std::string& file, const std::string& value) {
        int fd = ::open(file.c_str(), O_WRONLY | O_CLOEXEC);
        if (fd < 0) return;
        (void)!::write(fd, value.data(), value.size());
        ::close(fd);
    };
    bool removed = waitUntil(
        [&] {
            if (exists(dir + "/freezer.state")) poke(dir + "/freezer.state", "THAWED");
            if (exists(dir + "/cgroup.freeze")) poke(dir + "/cgroup.freeze", "0");
            for (const auto& l : lines(readText(dir + "/cgroup.procs"))) {
                pid_t p = std::atoi(l.c_str());
                if (p > 1 && p != ::getpid()) ::kill(p, SIGKILL);
            }
            return ::rmdir(dir.c_str()) == 0 || errno == ENOENT;
        },
        5.0, 0.05);
    if (!removed) ADD_FAILURE() << "harness: could not remove cgroup " << dir << ": " << std::strerror(errno);
}

void XcTest::TearDown() {
    if (base_.empty() || base_.rfind(kBasePrefix, 0) != 0) return;

    // 1. The tools' own way: kill and destroy every container.
    for (const auto& n : listNames(base_)) {
        if (!xc::validateName(n) || !isDir(base_ + "/" + n)) continue;
        RunOptions o;
        o.timeoutSeconds = 30;
        (void)xc("xc-stop", {"-n", n, "-k"}, o);
        (void)xc("xc-destroy", {"-n", n, "-f", "-s"}, o);
    }
    // 2. Supervisors nobody stopped (e.g. a broken stop).
    auto mons = monitors();
    for (pid_t p : mons) ::kill(p, SIGKILL);
    if (!mons.empty()) waitUntil([&] { return monitors().empty(); }, 5.0);
    // 3. cgroups of this base, depth first, processes killed and thawed.
    for (const auto& h : cgroupHierarchies()) {
        std::string d = h + "/" + cgParent_;
        if (isDir(d)) cleanupCgroupTree(d);
    }
    // 4. What the test ran besides containers (bridge, lxcfs), then runtime state.
    stopHostServices();
    if (!key_.empty() && isDir(runDir_)) {
        EXPECT_TRUE(removeTree(runDir_)) << "harness: remove " << runDir_;
    }
    // 5. Mounts in our namespace below the base would be a bug; detach them
    //    so the machine stays clean, then remove the files.
    std::vector<std::string> ours = extraCleanup_;
    ours.push_back(base_);
    for (const auto& m : mountPoints()) {
        for (const auto& o : ours) {
            if (m == o || m.rfind(o + "/", 0) == 0) {
                ADD_FAILURE() << "a mount was left on the host at " << m;
                ::umount2(m.c_str(), MNT_DETACH);
            }
        }
    }
    EXPECT_TRUE(removeTree(base_)) << "harness: remove " << base_;
    for (const auto& p : extraCleanup_) EXPECT_TRUE(removeTree(p)) << "harness: remove " << p;
    extraCleanup_.clear();
}

}  // namespace xcit
