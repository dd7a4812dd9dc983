// The supervisor's faults (issue 12, items 7, 9 and 10): silent clients,
// runtime state removed under a running container, a reboot request that
// never expired, a second stop that could not shorten the first, what a
// busy lock says, a full log disk, and an OOM kill during set-up.
#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <regex>
#include <thread>

#include "harness.hpp"

using namespace xcit;

namespace {

class SupervisorFaults : public XcTest {
protected:
    // A connection to the container's command socket that sends nothing.
    int connectSilently(const std::string& name) {
        std::string sock = socketName(name);
        struct sockaddr_un addr = {};
        addr.sun_family = AF_UNIX;
        std::memcpy(addr.sun_path, sock.data(), sock.size());
        addr.sun_path[0] = '\0';
        socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + sock.size());
        int fd = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
        if (fd < 0) return -1;
        if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), len) == 0) return fd;
        // Before the abstract socket: the file under /run/xc.
        std::string path = runDir_ + "/" + name + ".sock";
        struct sockaddr_un file = {};
        file.sun_family = AF_UNIX;
        std::strncpy(file.sun_path, path.c_str(), sizeof file.sun_path - 1);
        if (::connect(fd, reinterpret_cast<sockaddr*>(&file), sizeof file) == 0) return fd;
        ::close(fd);
        return -1;
    }

    // An init that ignores every signal but SIGKILL (a shell as PID 1
    // without handlers), so halt and reboot requests go unheard.
    RunResult startDeaf(const std::string& name) {
        return start(name, {"--", "/bin/sh", "-c", "while :; do sleep 1; done"});
    }
};

// A tmpfs of `size` mounted on a new directory; unmounted by the destructor.
struct SmallTmpfs {
    std::string dir;
    bool mounted = false;
    SmallTmpfs(const std::string& parent, const std::string& size) {
        dir = parent + "/small-tmpfs";
        ::mkdir(dir.c_str(), 0755);
        mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, ("size=" + size + ",mode=0755").c_str()) == 0;
    }
    ~SmallTmpfs() {
        if (mounted) ::umount2(dir.c_str(), MNT_DETACH);
        ::rmdir(dir.c_str());
    }
    // Fills it up: a file that takes every block left.
    bool fill() {
        int fd = ::open((dir + "/filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) return false;
        char block[4096] = {};
        while (::write(fd, block, sizeof block) > 0) {
        }
        ::close(fd);
        return true;
    }
    void drain() { ::unlink((dir + "/filler").c_str()); }
};

// Every "[xc: N lines lost: ...]" of a log, summed.
long lostInMarkers(const std::string& text, int* markers) {
    static const std::regex mark(R"(\[xc: (\d+) lines? lost: No space left on device\])");
    long sum = 0;
    *markers = 0;
    for (auto it = std::sregex_iterator(text.begin(), text.end(), mark); it != std::sregex_iterator(); ++it) {
        sum += std::stol((*it)[1]);
        ++*markers;
    }
    return sum;
}

}  // namespace

// Item 9: the supervisor served one connection at a time, blocking in recv:
// one client that sent nothing held up every xc-info and xc-stop for 10 s.
TEST_F(SupervisorFaults, SilentClientsHoldUpNobody) {
    XC_ASSERT_OK(create("q1"));
    XC_ASSERT_OK(start("q1"));
    // Closed on any way out of the test (before TearDown's own commands).
    struct Fds {
        std::vector<int> v;
        ~Fds() {
            for (int fd : v)
                if (fd >= 0) ::close(fd);
        }
    } held;
    std::vector<int>& silent = held.v;
    for (int i = 0; i < 20; ++i) {
        int fd = connectSilently("q1");
        ASSERT_GE(fd, 0) << "connect to the command socket: " << std::strerror(errno);
        silent.push_back(fd);
    }
    auto t0 = std::chrono::steady_clock::now();
    RunResult s = info("q1", {"-s"});
    XC_EXPECT_OK(s);
    EXPECT_TRUE(contains(s.out, "RUNNING")) << s.describe();
    EXPECT_LT(since(t0), 1.0) << "xc-info waited behind silent clients";

    // The supervisor drops a client that says nothing within its deadline.
    std::this_thread::sleep_for(std::chrono::milliseconds(2600));
    int dropped = 0;
    for (int fd : silent) {
        struct pollfd p = {fd, POLLIN, 0};
        if (::poll(&p, 1, 0) == 1) ++dropped;
    }
    EXPECT_EQ(dropped, 20) << "silent clients still held after the request deadline";

    for (int i = 0; i < 5; ++i) silent.push_back(connectSilently("q1"));
    t0 = std::chrono::steady_clock::now();
    XC_EXPECT_OK(kill("q1"));
    EXPECT_LT(since(t0), 1.5) << "xc-stop -k waited behind silent clients";
    expectNothingRunning("q1", "after xc-stop");
}

// Item 7: with /run/xc/<key> removed under a running container, the tools
// said STOPPED, the next start killed it, and its old supervisor then
// deleted the new one's lock and socket.
TEST_F(SupervisorFaults, RuntimeDirRemovedWhileRunning) {
    XC_ASSERT_OK(create("w1"));
    XC_ASSERT_OK(start("w1"));
    pid_t init = initPid("w1");
    ASSERT_GT(init, 1);
    ASSERT_TRUE(isDir(runDir_));
    struct stat before, after;
    ASSERT_EQ(::stat(lockPath("w1").c_str(), &before), 0);
    // As rm -rf: the supervisor may put its lock back before the directory
    // goes (rmdir then fails: not empty), which is the point.
    (void)removeTree(runDir_);
    ASSERT_TRUE(::stat(lockPath("w1").c_str(), &after) != 0 || after.st_ino != before.st_ino)
        << "the lock file was not removed";

    EXPECT_EQ(state("w1"), "RUNNING") << "the runtime directory is gone, the container is not";
    EXPECT_EQ(initPid("w1"), init);
    RunResult a = attach("w1", {"echo", "inside"});
    XC_EXPECT_OK(a);
    EXPECT_TRUE(contains(a.out, "inside")) << a.describe();
    // The supervisor makes its lock again (start, create and destroy rely on it).
    EXPECT_TRUE(waitUntil([&] { return exists(lockPath("w1")); }, 2.0)) << "the run lock was not restored";

    RunResult again = start("w1");
    EXPECT_FALSE(again.ok()) << again.describe();
    EXPECT_TRUE(contains(again.err, "already running")) << again.describe();
    EXPECT_TRUE(processAlive(init)) << "a second start killed the running container";

    // Nothing watches the run directory: the first command after the
    // removal, here a destroy, finds the supervisor answering and backs off.
    (void)removeTree(runDir_);
    RunResult d = destroy("w1");
    EXPECT_FALSE(d.ok()) << d.describe();
    EXPECT_TRUE(contains(d.err, "running")) << d.describe();
    EXPECT_TRUE(processAlive(init)) << "a destroy ran beside the supervisor";
    EXPECT_TRUE(isDir(containerDir("w1"))) << "a destroy removed a running container";
    EXPECT_TRUE(exists(lockPath("w1"))) << "the supervisor did not make its lock again when asked";
    EXPECT_EQ(initPid("w1"), init);
    EXPECT_EQ(monitors("w1").size(), 1u);

    // Once more, with the lock file alone removed, and a start racing the
    // supervisor for a new one.
    ::unlink(lockPath("w1").c_str());
    again = start("w1");
    EXPECT_TRUE(contains(again.err, "already running")) << again.describe();
    EXPECT_TRUE(processAlive(init));
    EXPECT_TRUE(waitUntil([&] { return exists(lockPath("w1")); }, 2.0)) << "the run lock was not restored";

    XC_EXPECT_OK(stop("w1"));
    EXPECT_FALSE(processAlive(init));
    expectNothingRunning("w1", "after xc-stop");
    EXPECT_FALSE(exists(lockPath("w1"))) << "lock file left behind";
    // And it starts again normally.
    XC_EXPECT_OK(start("w1"));
    EXPECT_EQ(state("w1"), "RUNNING");
    XC_EXPECT_OK(kill("w1"));
    expectNothingRunning("w1", "after the restart");
}

// A running container costs its supervisor no inotify instance: root may
// hold 128 (fs.inotify.max_user_instances), so one per container stopped
// the 129th start with "watch the run directory: Too many open files".
TEST_F(SupervisorFaults, SupervisorHoldsNoInotifyInstance) {
    XC_ASSERT_OK(create("n1"));
    XC_ASSERT_OK(start("n1"));
    auto sups = monitors("n1");
    ASSERT_EQ(sups.size(), 1u);
    std::string dir = "/proc/" + std::to_string(sups[0]) + "/fd";
    std::vector<std::string> kinds;
    int inotify = 0;
    DIR* d = ::opendir(dir.c_str());
    ASSERT_NE(d, nullptr) << dir;
    while (struct dirent* e = ::readdir(d)) {
        char target[256] = {};
        if (::readlinkat(::dirfd(d), e->d_name, target, sizeof target - 1) <= 0) continue;
        kinds.push_back(std::string(e->d_name) + " -> " + target);
        if (std::strstr(target, "inotify")) ++inotify;
    }
    ::closedir(d);
    std::string all;
    for (const auto& k : kinds) all += "\n  " + k;
    EXPECT_EQ(inotify, 0) << "the supervisor's fds:" << all;
    XC_EXPECT_OK(kill("n1"));
}

// Item 10: a reboot request the init ignored stayed set forever, so a crash
// long after it restarted the container instead of stopping it.
TEST_F(SupervisorFaults, IgnoredRebootRequestExpires) {
    XC_ASSERT_OK(create("b1"));
    XC_ASSERT_OK(startDeaf("b1"));
    pid_t init = initPid("b1");
    ASSERT_GT(init, 1);
    XC_ASSERT_OK(stop("b1", {"-r", "-t", "1"}));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    ASSERT_EQ(initPid("b1"), init) << "the init was meant to ignore the reboot request";
    ASSERT_EQ(::kill(init, SIGKILL), 0);  // a crash, long after the request
    EXPECT_TRUE(waitUntil([&] { return state("b1") == "STOPPED"; }, 5.0))
        << "the crash rebooted the container: state " << state("b1") << ", init " << initPid("b1");
    expectNothingRunning("b1", "after the crash");
}

// Item 10: a second xc-stop with a shorter timeout waited out the first one's.
TEST_F(SupervisorFaults, ShorterSecondStopBringsTheKillForward) {
    XC_ASSERT_OK(create("b2"));
    XC_ASSERT_OK(startDeaf("b2"));
    RunOptions slow;
    slow.timeoutSeconds = 60;
    Running first = spawn({toolPath("xc-stop"), "-P", base_, "-n", "b2", "-t", "30"}, slow);
    EXPECT_TRUE(waitUntil([&] { return state("b2") == "STOPPING"; }, 3.0)) << state("b2");
    auto t0 = std::chrono::steady_clock::now();
    RunResult second = stop("b2", {"-t", "1"});
    double took = since(t0);
    XC_EXPECT_OK(second);
    EXPECT_LT(took, 4.0) << "xc-stop -t 1 during xc-stop -t 30";
    RunResult firstDone = wait(first);
    XC_EXPECT_OK(firstDone);
    EXPECT_LT(firstDone.seconds, 8.0) << "the first xc-stop waited out its own 30 s";
    expectNothingRunning("b2", "after both stops");
}

// Item 10: EBUSY always said "is already running", also when a create,
// stop or destroy held the lock.
TEST_F(SupervisorFaults, BusyLockIsNotCalledRunning) {
    XC_ASSERT_OK(create("b3"));
    ::mkdir("/run/xc", 0700);
    ::mkdir(runDir_.c_str(), 0700);
    int fd = ::open(lockPath("b3").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    struct flock fl = {};
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    ASSERT_EQ(::fcntl(fd, F_OFD_SETLK, &fl), 0) << std::strerror(errno);
    RunResult r = start("b3");
    ::unlink(lockPath("b3").c_str());
    ::close(fd);
    EXPECT_FALSE(r.ok());
    EXPECT_TRUE(contains(r.err, "busy")) << r.describe();
    EXPECT_FALSE(contains(r.err, "already running")) << r.describe();
    expectNothingRunning("b3", "after the refused start");
}

// Item 10: console log and log writes ignored ENOSPC and short writes: lines
// vanished without a trace, cut mid-line.
TEST_F(SupervisorFaults, FullLogDiskMarksTheGap) {
    SmallTmpfs fs(scratch_, "128k");
    ASSERT_TRUE(fs.mounted) << "mount tmpfs: " << std::strerror(errno);
    std::string consoleLog = fs.dir + "/l1.console", log = fs.dir + "/l1.log";
    XC_ASSERT_OK(createWithConfig("l1", "console = { log = \"" + consoleLog + "\"; };\n"));
    ASSERT_TRUE(fs.fill());
    XC_ASSERT_OK(start("l1", {"-o", log, "-l", "INFO", "--", "/bin/sh", "-c",
                              "i=0; while :; do i=$((i+1)); echo line $i; "
                              "[ $((i % 25)) = 0 ] && sleep 1; done"}));
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    fs.drain();
    std::this_thread::sleep_for(std::chrono::milliseconds(2500));
    XC_EXPECT_OK(kill("l1"));
    expectNothingRunning("l1", "after xc-stop");

    std::string text = readText(consoleLog);
    int markers = 0;
    long lost = lostInMarkers(text, &markers);
    EXPECT_GE(markers, 1) << "no gap marked in the console log:\n" << text.substr(0, 2000);
    static const std::regex whole(R"(^line (\d+)\r?$)");
    long present = 0, last = 0;
    for (const auto& l : lines(text)) {
        std::smatch m;
        if (std::regex_match(l, m, whole)) {
            ++present;
            last = std::max(last, std::stol(m[1]));
        }
    }
    EXPECT_GT(last, 25) << "nothing written once there was room again:\n" << text.substr(0, 2000);
    // Each line is there whole, or counted as lost.
    EXPECT_GE(present + lost, last) << present << " lines present, " << lost << " counted lost, last " << last;

    std::string logText = readText(log);
    // (Its warning about the console log went to the same full disk: it is
    // one of the lines counted.)
    lostInMarkers(logText, &markers);
    EXPECT_GE(markers, 1) << "no gap marked in the supervisor's log:\n" << logText;
}

// Item 10: the OOM killer taking the container's first process during
// set-up read "the other side exited without a word". (Under 2M busybox's
// set-up fits on this host; 64K is killed before the init runs.)
TEST_F(SupervisorFaults, OomKillDuringSetupIsNamed) {
    XC_ASSERT_OK(createWithConfig("m1", "cgroup = { memory = { max = \"64K\"; }; };\n"));
    RunResult r = start("m1");
    ASSERT_FALSE(r.ok()) << "started under memory.max = 64K (no OOM kill to report)\n" << r.describe();
    EXPECT_FALSE(contains(r.err, "without a word")) << r.describe();
    EXPECT_TRUE(contains(r.err, "killed by SIGKILL")) << r.describe();
    EXPECT_TRUE(contains(r.err, "memory limit (cgroup.memory.max = 65536")) << r.describe();
    expectNothingRunning("m1", "after the failed start");
}
