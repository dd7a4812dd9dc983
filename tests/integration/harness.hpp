// End-to-end test harness: every test gets its own base directory
// (/tmp/xc-it-XXXXXX, passed as -P to every tool), runs the real tools from
// the build tree as child processes with a timeout, and always cleans up
// what it started: containers, supervisors, cgroups, runtime state, files.
#pragma once

#include <gtest/gtest.h>
#include <sys/types.h>

#include <chrono>
#include <functional>
#include <set>
#include <string>
#include <vector>

namespace xcit {

// What a finished child process did.
struct RunResult {
    std::string command;  // for messages
    int status = -1;      // exit status; 128 + N if killed by signal N; -1 if it could not run
    int signal = 0;       // the signal that killed it, else 0
    bool timedOut = false;
    std::string out, err;
    double seconds = 0;

    bool ok() const { return status == 0 && !timedOut; }
    // One paragraph for failure messages: command, status, stdout, stderr.
    std::string describe() const;
};

struct RunOptions {
    bool feedStdin = false;            // else stdin is /dev/null
    std::string input;                 // written to stdin (then closed) when feedStdin
    std::vector<std::string> env;      // extra VAR=VALUE for the child
    double timeoutSeconds = 30;        // then the child's process group is SIGKILLed
};

// A started child whose output is being collected; finished with wait().
struct Running {
    std::string command;
    pid_t pid = -1;
    int outFd = -1, errFd = -1, inFd = -1;
    std::string input;
    size_t inputDone = 0;
    double timeoutSeconds = 30;
    std::chrono::steady_clock::time_point started;
};

std::string toolPath(const std::string& tool);  // <build dir>/<tool>

// Free helpers.
std::string readText(const std::string& path);  // "" if unreadable
bool writeText(const std::string& path, const std::string& data, mode_t mode = 0644);
bool exists(const std::string& path);            // lstat
// Whether `dir` holds a hidden .xc-* entry: a staging or trash directory
// of a create, clone, snapshot or destroy.
bool hasHiddenWork(const std::string& dir);
bool isDir(const std::string& path);             // lstat, no symlinks
std::vector<std::string> listNames(const std::string& dir);
// Every path below dir (relative, sorted), without following symlinks.
std::vector<std::string> listTree(const std::string& dir);
// Removes a tree without following symlinks or crossing mount points.
// Returns false if something could not be removed.
bool removeTree(const std::string& path);
// Removes the cgroup directory `name` below the directory at parentFd and
// every group in it, fd-relative (no path is ever longer than one name),
// so that a failed test leaves no nest deeper than a path can reach.
void removeCgroupTreeAt(int parentFd, const std::string& name);
// A test network (see XcTest::pickFreeTestNet).
struct FreeTestNet {
    int n = 0;
    std::string tag;
};
std::vector<std::string> lines(const std::string& text);
bool contains(const std::string& hay, const std::string& needle);
bool processAlive(pid_t pid);  // kill(pid, 0) == 0
pid_t parentOf(pid_t pid);     // from /proc/<pid>/stat; -1 if gone
std::string commOf(pid_t pid);
std::string cmdlineOf(pid_t pid);  // NULs as spaces
// The mount points currently listed in /proc/self/mountinfo.
std::vector<std::string> mountPoints();
// Polls until pred() holds or the time is up; returns pred()'s last value.
bool waitUntil(const std::function<bool()>& pred, double seconds, double pollSeconds = 0.05);
double since(std::chrono::steady_clock::time_point t);

// The fixture every end-to-end suite derives from.
class XcTest : public ::testing::Test {
protected:
    void SetUp() override;
    void TearDown() override;

    // Runs an xc tool with -P <base> prepended to args.
    RunResult xc(const std::string& tool, std::vector<std::string> args, const RunOptions& o = {});
    // Runs any program with exactly these arguments.
    RunResult run(const std::vector<std::string>& argv, const RunOptions& o = {});
    Running spawn(const std::vector<std::string>& argv, const RunOptions& o = {});
    RunResult wait(Running& r);
    // A test network nobody on this host uses: N such that no address is in
    // 10.254.N.0/24 or 172.31.N.0/24, and a 5-hex-digit tag that no link
    // name holds (for bridge and veth names). `ipBin` is ip(8); {0, ""} if
    // 100 random tries found none.
    FreeTestNet pickFreeTestNet(const std::string& ipBin);

    // Tool shorthands (all with -P base and -n name).
    RunResult create(const std::string& name, const std::vector<std::string>& extra = {},
                     const std::string& tmpl = "busybox");
    // Writes `config` to a scratch file and creates a busybox container with -f.
    RunResult createWithConfig(const std::string& name, const std::string& config);
    RunResult start(const std::string& name, const std::vector<std::string>& extra = {});
    RunResult stop(const std::string& name, const std::vector<std::string>& extra = {});
    RunResult kill(const std::string& name) { return stop(name, {"-k"}); }
    RunResult attach(const std::string& name, const std::vector<std::string>& cmd, const RunOptions& o = {},
                     const std::vector<std::string>& options = {});
    RunResult info(const std::string& name, const std::vector<std::string>& flags = {});
    RunResult destroy(const std::string& name, const std::vector<std::string>& extra = {});
    RunResult cgroup(const std::string& name, const std::vector<std::string>& args);

    // "RUNNING", "STOPPED", ... from xc-info -s; "" if it failed.
    std::string state(const std::string& name);
    // The init's host pid from xc-info -p; -1 if none.
    pid_t initPid(const std::string& name);
    // CPU use in ns from xc-info -S -H; -1 on failure.
    long long cpuNs(const std::string& name);
    // Live xc-supervisor processes of this base (of one container if name is given).
    std::vector<pid_t> monitors(const std::string& name = "");
    // The container's cgroup directories that exist, in every hierarchy.
    std::vector<std::string> cgroupDirs(const std::string& name);
    std::string containerDir(const std::string& name) const { return base_ + "/" + name; }
    std::string rootfs(const std::string& name) const { return containerDir(name) + "/rootfs"; }
    std::string configFile(const std::string& name) const { return containerDir(name) + "/config"; }
    // The supervisor's command socket: an abstract unix name ("@" for the NUL).
    std::string socketName(const std::string& name) const { return "@xc/" + key_ + "/" + name; }
    // Whether some process has the command socket's name bound (/proc/net/unix).
    bool socketBound(const std::string& name) const;
    std::string lockPath(const std::string& name) const { return runDir_ + "/" + name + ".lock"; }
    // Asserts (non-fatally) that nothing of the container runs: no monitor,
    // no cgroup, no socket, state STOPPED (a supervisor on its way out gets 2 s).
    void expectNothingRunning(const std::string& name, const std::string& context);

    // A file in the scratch directory (base/.it, never a container).
    std::string scratchFile(const std::string& fileName, const std::string& content, mode_t mode = 0644);
    // A new empty directory /tmp/xc-it-sentinel-XXXXXX, removed by TearDown.
    std::string makeSentinelDir();

    // ---- services of the test's own (host_services.cpp), stopped by
    // TearDown once the containers are gone ----
    // A bridge made by xc-net with settings and a state directory of the
    // test's own: privBridge_ (xcit<5 hex>) with 10.254.N.1/24 and DHCP,
    // no NAT (nothing leaves the machine). A fatal failure if it cannot.
    void startPrivateBridge();
    std::string bridgeAddress(int host) const;  // 10.254.N.<host>
    // An lxcfs of the test's own (mount point lxcfsDir_: `dir`, else a new
    // sentinel directory; its own pid file) and an xc.conf whose lxcfs.path
    // names it. Skips the test when lxcfs is not installed (apt-get install lxcfs).
    void startPrivateLxcfs(const std::string& dir = "");
    // From now on every tool runs with XC_SYSCONF_DIR holding the tests'
    // default.conf and an xc.conf of this text.
    void useXcConf(const std::string& text);

    std::string privBridge_, lxcfsDir_;

    std::string base_;      // /tmp/xc-it-XXXXXX
    std::string scratch_;   // base_/.it
    std::string sysconf_;   // scratch_/etc: XC_SYSCONF_DIR, the project's config/ without network
    std::string key_;       // 16 hex digits
    std::string runDir_;    // /run/xc/<key>
    std::string cgParent_;  // xc-<12 hex>
    std::vector<std::string> extraCleanup_;

    // Kills what is in the cgroup dir and below (thawed first), removes it.
    void cleanupCgroupTree(const std::string& dir);

private:
    void stopHostServices();
    int bridgeNet_ = 0;
    std::string bridgeConf_, bridgeState_;
    pid_t lxcfsPid_ = -1;
    Running lxcfsRun_;
    std::vector<std::string> toolEnv_;  // VAR=VALUE for every tool (useXcConf)
    std::vector<std::string> environment(const std::vector<std::string>& extra) const;
};

}  // namespace xcit

// Fatal / non-fatal checks that a tool succeeded, printing all it said.
#define XC_ASSERT_OK(r)                                       \
    do {                                                      \
        const ::xcit::RunResult& xc_r_ = (r);                 \
        ASSERT_TRUE(xc_r_.ok()) << xc_r_.describe();          \
    } while (0)
#define XC_EXPECT_OK(r)                                       \
    do {                                                      \
        const ::xcit::RunResult& xc_r_ = (r);                 \
        EXPECT_TRUE(xc_r_.ok()) << xc_r_.describe();          \
    } while (0)
