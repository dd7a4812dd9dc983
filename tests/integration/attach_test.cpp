// Attach as a security boundary and as a library call: the caller's own
// process state stays its own, the command is confined exactly like the
// running init, and the container never gets hold of the attach before it
// is confined (issue 12, escape 1).
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <regex>
#include <set>
#include <sstream>

#include "harness.hpp"
#include "process/process.hpp"
#include "xc/container.hpp"
#include "xc/paths.hpp"

using namespace xcit;

namespace {

class AttachLibrary : public XcTest {};
class AttachConfinement : public XcTest {
protected:
    void hijackRace(const std::string& name, const std::string& config);
};

std::string linkOf(const std::string& path) {
    char buf[256];
    ssize_t n = ::readlink(path.c_str(), buf, sizeof buf);
    return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

// "CapBnd:\t000001ffffffffff" -> the value of that /proc/PID/status line.
std::string statusField(const std::string& status, const std::string& key) {
    for (const auto& l : lines(status))
        if (l.rfind(key + ":", 0) == 0) {
            std::string v = l.substr(key.size() + 1);
            v.erase(0, v.find_first_not_of(" \t"));
            return v;
        }
    return "";
}

}  // namespace

// ------------------------------------------------------------ AttachLibrary

// The library never changes its caller: after Container::attach, the
// caller's children are born in the host's pid namespace, and its umask,
// cwd, signal dispositions and environment are as they were.
TEST_F(AttachLibrary, CallerKeepsItsPidNamespaceAndProcessState) {
    XC_ASSERT_OK(create("lib1"));
    XC_ASSERT_OK(start("lib1"));
    xc::HostPaths host = xc::HostPaths::fromEnvironment();
    host.libexecDir = XC_BUILD_DIR;
    auto c = xc::Container::open(host, base_, "lib1");
    ASSERT_TRUE(c) << c.error().message();

    const std::string pidNs = linkOf("/proc/self/ns/pid");
    ASSERT_FALSE(pidNs.empty());
    mode_t mask = ::umask(027);
    char cwd[4096];
    ASSERT_TRUE(::getcwd(cwd, sizeof cwd));
    struct sigaction intBefore = {}, quitBefore = {};
    ::sigaction(SIGINT, nullptr, &intBefore);
    ::sigaction(SIGQUIT, nullptr, &quitBefore);
    const char* path = std::getenv("PATH");
    const std::string pathBefore = path ? path : "";

    xc::AttachOptions o;
    o.cmd = {"sh", "-c", "exit 7"};
    o.pty = xc::AttachOptions::Pty::Never;
    auto r = c->attach(o);
    ASSERT_TRUE(r) << r.error().message();
    EXPECT_EQ(r->status, 7);

    EXPECT_EQ(linkOf("/proc/self/ns/pid_for_children"), pidNs) << "the caller's next children join the container";
    auto child = xc::cloneChild(0);
    ASSERT_TRUE(child) << child.error().message();
    if (child->pid() == 0) ::_exit(linkOf("/proc/self/ns/pid") == pidNs ? 0 : 1);
    auto st = child->wait();
    ASSERT_TRUE(st) << st.error().message();
    EXPECT_EQ(*st, 0) << "a child forked after the attach is not in the host's pid namespace";

    EXPECT_EQ(::umask(mask), 027) << "umask changed";
    char cwdAfter[4096];
    ASSERT_TRUE(::getcwd(cwdAfter, sizeof cwdAfter));
    EXPECT_STREQ(cwdAfter, cwd);
    struct sigaction intAfter = {}, quitAfter = {};
    ::sigaction(SIGINT, nullptr, &intAfter);
    ::sigaction(SIGQUIT, nullptr, &quitAfter);
    EXPECT_EQ(intAfter.sa_handler, intBefore.sa_handler);
    EXPECT_EQ(quitAfter.sa_handler, quitBefore.sa_handler);
    path = std::getenv("PATH");
    EXPECT_EQ(path ? path : "", pathBefore);
    XC_EXPECT_OK(kill("lib1"));
}

// attachStart: the command runs with the fds the caller chose as its
// stdio, the call returns while it runs, and the caller reaps a child whose
// status is the command's; a command that cannot run is reported, not a pid.
TEST_F(AttachLibrary, StartWithoutWaitingOnChosenStdio) {
    XC_ASSERT_OK(create("lib2"));
    XC_ASSERT_OK(start("lib2"));
    xc::HostPaths host = xc::HostPaths::fromEnvironment();
    host.libexecDir = XC_BUILD_DIR;
    auto c = xc::Container::open(host, base_, "lib2");
    ASSERT_TRUE(c) << c.error().message();
    int in[2], out[2];
    ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
    ASSERT_EQ(::pipe2(out, O_CLOEXEC), 0);
    xc::AttachOptions o;
    o.cmd = {"sh", "-c", "read line; echo got-$line; exit 9"};
    o.pty = xc::AttachOptions::Pty::Never;
    o.stdioFds[0] = in[0];
    o.stdioFds[1] = out[1];
    auto r = c->attachStart(o);
    ASSERT_TRUE(r) << r.error().message();
    ASSERT_GT(r->pid, 0);
    ::close(in[0]);
    ::close(out[1]);
    ASSERT_EQ(::write(in[1], "x\n", 2), 2);
    ::close(in[1]);
    char buf[64] = {};
    ssize_t n = ::read(out[0], buf, sizeof buf - 1);
    ::close(out[0]);
    EXPECT_EQ(std::string(buf, n > 0 ? n : 0), "got-x\n");
    int status = 0;
    ASSERT_EQ(::waitpid(r->pid, &status, 0), r->pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 9) << status;

    o.cmd = {"/no/such/program"};
    o.stdioFds[0] = 0;
    o.stdioFds[1] = 1;
    auto missing = c->attachStart(o);
    ASSERT_TRUE(missing) << missing.error().message();
    EXPECT_EQ(missing->pid, -1);
    ASSERT_TRUE(missing->execError.has_value());
    EXPECT_EQ(missing->status, 127);
    EXPECT_NE(missing->execError->message().find("/no/such/program"), std::string::npos)
        << missing->execError->message();
    o.pty = xc::AttachOptions::Pty::Auto;
    EXPECT_FALSE(c->attachStart(o));
    XC_EXPECT_OK(kill("lib2"));
}

// ------------------------------------------------------------ AttachConfinement

// Started with -f a config whose cap_drop and seccomp differ from the file
// on disk: attach confines like the running init, not like the file.
TEST_F(AttachConfinement, LikeTheRunningInitNotTheConfigFileOnDisk) {
    XC_ASSERT_OK(create("cf1"));
    const std::string onDisk = readText(configFile("cf1"));
    std::regex capDrop(R"(cap_drop\s*=\s*\[[^\]]*\])"), seccomp(R"(seccomp\s*=\s*"[^"]*")");
    ASSERT_TRUE(std::regex_search(onDisk, capDrop)) << onDisk;
    ASSERT_TRUE(std::regex_search(onDisk, seccomp)) << onDisk;
    std::string running = std::regex_replace(
        onDisk, capDrop, R"(cap_drop = [ "sys_module", "sys_rawio", "net_raw", "sys_nice", "lease" ])");
    running = std::regex_replace(running, seccomp, R"(seccomp = "none")");
    std::string file = scratchFile("running.conf", running);
    XC_ASSERT_OK(start("cf1", {"-f", file}));

    RunResult init = attach("cf1", {"cat", "/proc/1/status"});
    RunResult self = attach("cf1", {"cat", "/proc/self/status"});
    XC_ASSERT_OK(init);
    XC_ASSERT_OK(self);
    std::string bnd = statusField(init.out, "CapBnd");
    ASSERT_FALSE(bnd.empty()) << init.describe();
    // net_raw (13) is dropped from the running init, not in the file on disk.
    EXPECT_EQ((std::stoull(bnd, nullptr, 16) >> 13) & 1, 0u) << "the -f config was not used: " << bnd;
    for (const char* key : {"CapBnd", "CapEff", "CapPrm", "Seccomp"})
        EXPECT_EQ(statusField(self.out, key), statusField(init.out, key))
            << key << " of the attached command differs from the running init's\n"
            << self.describe() << init.describe();
    XC_EXPECT_OK(kill("cf1"));
}

// A FIFO as the container's /etc/passwd: attach must not open it blocking
// (with the host's privileges, forever).
TEST_F(AttachConfinement, FifoAsPasswdDoesNotHangAttach) {
    XC_ASSERT_OK(create("fp1"));
    XC_ASSERT_OK(start("fp1"));
    const std::string passwd = rootfs("fp1") + "/etc/passwd";
    ASSERT_EQ(::unlink(passwd.c_str()), 0);
    ASSERT_EQ(::mkfifo(passwd.c_str(), 0644), 0);
    RunOptions quick;
    quick.timeoutSeconds = 10;
    RunResult r = attach("fp1", {"true"}, quick);
    EXPECT_FALSE(r.timedOut) << "attach hung on a FIFO as /etc/passwd";
    XC_EXPECT_OK(r);
    RunResult shell = attach("fp1", {}, quick);  // the default shell: /bin/sh, stdin /dev/null
    EXPECT_FALSE(shell.timedOut) << "attach hung on a FIFO as /etc/passwd";
    XC_EXPECT_OK(shell);
    XC_EXPECT_OK(kill("fp1"));
}

namespace {

// Runs inside the container, fork-free (builtins only, so it takes no pids
// of its own): over and over, for every process younger than itself, tries
// to reach the host through /proc/N/root, records what the process maps
// first (its executable), and holds /proc/N/exe open to reopen it for
// writing once the process is gone (CVE-2019-5736's pattern).
const char* kHijackLoop = R"(secret=$1
out=/hijack.out
: > $out
held=
echo ready > /hijack.ready
while [ ! -e /hijack.stop ]; do
  for d in /proc/[0-9]*; do
    p=${d#/proc/}
    [ "$p" -gt "$$" ] 2>/dev/null || continue
    if [ -e /proc/$p/root$secret ]; then echo "root $p" >> $out; fi
    m=
    read -r m < /proc/$p/maps 2>/dev/null
    eval "prev=\${seen_$p-}"
    if [ -n "$m" ] && [ "$m" != "$prev" ]; then echo "maps $p $m" >> $out; eval "seen_$p=\$m"; fi
    case "$m" in
      ""|*/bin/busybox*) ;;
      *) if [ -z "$held" ] && command exec 4< /proc/$p/exe 2>/dev/null; then held=$p heldmap=$m tries=0; fi ;;
    esac
  done
  if [ -n "$held" ] && [ ! -d /proc/$held ]; then
    tries=$((tries + 1))
    if command exec 5>> /proc/self/fd/4 2>/dev/null; then
      echo "wexe $held $heldmap" >> $out
      tries=1000
      # The sealed helper copy may open, but must not take a byte.
      case "$heldmap" in *memfd:xc-attach-init*) if printf x >&5 2>/dev/null; then echo "wrote $held" >> $out; fi ;; esac
    fi
    if [ $tries -ge 1000 ]; then exec 4<&- 5>&-; held=; fi
  fi
done
echo done >> $out
)";

// What the container may legitimately see a process run or map: no file
// at all (a process caught in the middle of its exec maps only [stack]),
// its own busybox, or the sealed in-memory attach helper. "maps P LINE"
// and "wexe P LINE" carry a /proc/P/maps line: path from its 6th field.
bool containersOwn(const std::string& reportLine) {
    std::istringstream in(reportLine);
    std::string kind, pid, range, perms, offset, dev, inode, path;
    in >> kind >> pid >> range >> perms >> offset >> dev >> inode;
    std::getline(in, path);
    path.erase(0, path.find_first_not_of(' '));
    return path.empty() || path[0] == '[' || path == "/bin/busybox" || path.rfind("/memfd:xc-attach-init", 0) == 0;
}

}  // namespace

// A loop inside the container watching for new pids, racing 50 attaches
// (more while it has seen fewer than 25), must never find a way to the
// host: no host root through /proc/N/root, no host file as a visible
// process's executable or mapping, nothing of the host reopened for
// writing through /proc/N/exe.
void AttachConfinement::hijackRace(const std::string& name, const std::string& config) {
    const std::string hj1 = name;
    XC_ASSERT_OK(createWithConfig(hj1, config));
    XC_ASSERT_OK(start(hj1));
    const std::string secret = makeSentinelDir() + "/secret";
    ASSERT_TRUE(writeText(secret, "host-only\n", 0600));
    ASSERT_TRUE(writeText(rootfs(hj1) + "/hijack.sh", kHijackLoop, 0755));
    // Detached, so that no xc-attach of ours runs (and keeps its binary
    // busy) between the attaches: the reopen for writing has its chance.
    XC_ASSERT_OK(attach(hj1, {"sh", "-c", "sh /hijack.sh " + secret + " </dev/null >/dev/null 2>&1 &"}));
    ASSERT_TRUE(waitUntil([&] { return exists(rootfs(hj1) + "/hijack.ready"); }, 20)) << "the loop did not start";
    // At least 50 attaches, and more (up to 300) until the loop has seen 25
    // of them: on a loaded machine it misses the short-lived ones.
    auto pidsSeen = [&] {
        std::set<std::string> pids;
        for (const auto& l : lines(readText(rootfs(hj1) + "/hijack.out"))) {
            std::istringstream in(l);
            std::string kind, pid;
            in >> kind >> pid;
            if (kind == "maps") pids.insert(pid);
        }
        return pids.size();
    };
    for (int i = 0; i < 300 && (i < 50 || pidsSeen() < 25); ++i) {
        RunResult r = attach(hj1, {"true"});
        EXPECT_TRUE(r.ok()) << "attach " << i << "\n" << r.describe();
    }
    ASSERT_TRUE(writeText(rootfs(hj1) + "/hijack.stop", ""));
    std::string out;
    EXPECT_TRUE(waitUntil([&] { return contains(out = readText(rootfs(hj1) + "/hijack.out"), "\ndone\n"); }, 20))
        << "the loop did not finish\n" << out;
    std::set<std::string> seen;
    std::vector<std::string> rootLeaks, hostExes, writableExes;
    for (const auto& l : lines(out)) {
        std::istringstream in(l);
        std::string kind, pid;
        in >> kind >> pid;
        if (kind == "root") rootLeaks.push_back(l);
        if (kind == "maps" && !containersOwn(l)) hostExes.push_back(l);
        if ((kind == "wexe" && !containersOwn(l)) || kind == "wrote") writableExes.push_back(l);
        if (kind == "maps") seen.insert(pid);
    }
    auto some = [](const std::vector<std::string>& v) {
        std::string s;
        for (size_t i = 0; i < v.size() && i < 3; ++i) s += "\n  " + v[i];
        return s;
    };
    EXPECT_TRUE(rootLeaks.empty()) << rootLeaks.size() << " times the host's root through /proc/N/root" << some(rootLeaks);
    EXPECT_TRUE(hostExes.empty()) << hostExes.size() << " times a host file running visibly inside" << some(hostExes);
    EXPECT_TRUE(writableExes.empty()) << writableExes.size() << " executables reopened and writable"
                                      << some(writableExes);
    EXPECT_GE(seen.size(), 25u) << "the loop saw too few of the attaches to prove anything\n" << out;
    XC_EXPECT_OK(kill(hj1));
}

TEST_F(AttachConfinement, ALoopInsideRacingManyAttachesFindsNoWayToTheHost) { hijackRace("hj1", ""); }

// The same in a privileged container (the escape suite's (P) entry): its
// root is the host's, but an entering xc-attach still gives it nothing.
TEST_F(AttachConfinement, ALoopInsideRacingManyAttachesFindsNoWayToTheHostEvenInAPrivilegedContainer) {
    hijackRace("hj2", "security = { privileged = true; };\n");
}
