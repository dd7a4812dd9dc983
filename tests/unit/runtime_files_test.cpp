// Runtime files that must not hang on a path alone (issue 12, items 7, 9
// and 10): the lock file's removal, the command socket, log gaps.
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <chrono>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

#include "base/lock.hpp"
#include "monitor/ipc.hpp"
#include "xc/log.hpp"
#include "xc/paths.hpp"

using namespace xc;

namespace {

struct TempDir {
    std::string path;
    TempDir() {
        char t[] = "/tmp/xc-unit-XXXXXX";
        path = ::mkdtemp(t) ? t : "";
    }
    ~TempDir() {
        if (!path.empty()) (void)std::system(("rm -rf '" + path + "'").c_str());
    }
};

std::string slurp(const std::string& p) {
    std::ifstream in(p);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

}  // namespace

// Item 7: an old supervisor unlinked whatever lock file was at its path,
// also a newer supervisor's after its own had been removed.
TEST(RunLockFile, RemovesOnlyTheFileItHolds) {
    TempDir d;
    ASSERT_FALSE(d.path.empty());
    std::string path = d.path + "/c1.lock";
    auto lock = RunLock::tryAcquire(path);
    ASSERT_TRUE(lock.ok());
    ASSERT_EQ(::unlink(path.c_str()), 0);
    auto other = RunLock::tryAcquire(path);  // a new holder, on a new file
    ASSERT_TRUE(other.ok());
    lock->removeFile();
    struct stat st;
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << "the other holder's lock file was removed";
    EXPECT_TRUE(*RunLock::isHeld(path));
    other->removeFile();
    EXPECT_NE(::stat(path.c_str(), &st), 0);
}

// Item 7: the command socket lives in the abstract namespace, keyed like
// the run directory; one holder at a time, none left once it is closed.
TEST(CommandSocket, AbstractNameKeyedByBaseWithOneHolder) {
    HostPaths host = HostPaths::fromEnvironment();
    ContainerPaths a(host, "/tmp/xc-unit-base-a", "c1"), b(host, "/tmp/xc-unit-base-b", "c1");
    ASSERT_EQ(a.socket()[0], '@');
    EXPECT_NE(a.socket(), b.socket());
    std::string name = a.socket() + "-" + std::to_string(::getpid());
    {
        auto l = listenOn(name);
        ASSERT_TRUE(l.ok()) << l.error().message();
        EXPECT_TRUE(*monitorListening(name));
        auto second = listenOn(name);
        ASSERT_FALSE(second.ok());
        EXPECT_EQ(second.error().code(), EBUSY) << second.error().message();
    }
    EXPECT_FALSE(*monitorListening(name)) << "the name outlived its socket";
}

// Item 9: readRequest on a connection with nothing sent says EAGAIN at once
// (the supervisor waits for it in its event loop, never in recv).
TEST(CommandSocket, SilentClientDoesNotBlockTheServer) {
    std::string name = "@xc-unit-silent-" + std::to_string(::getpid());
    auto l = listenOn(name);
    ASSERT_TRUE(l.ok()) << l.error().message();
    // A client that connects and says nothing.
    int c = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
    ASSERT_GE(c, 0);
    struct sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path, name.data(), name.size());
    addr.sun_path[0] = '\0';
    ASSERT_EQ(::connect(c, reinterpret_cast<sockaddr*>(&addr),
                        static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size())),
              0);
    auto conn = acceptClient(l->get());
    while (!conn.ok() && conn.error().code() == EAGAIN) conn = acceptClient(l->get());
    ASSERT_TRUE(conn.ok()) << conn.error().message();
    auto t0 = std::chrono::steady_clock::now();
    auto req = readRequest(conn->get());
    EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::milliseconds(100));
    ASSERT_FALSE(req.ok());
    EXPECT_EQ(req.error().code(), EAGAIN) << req.error().message();
    ::close(c);
}

// Item 10: log writes that failed (ENOSPC) vanished without a trace.
TEST(AppendWriter, CountsLostLinesAndMarksTheGap) {
    TempDir d;
    std::string file = d.path + "/log";
    int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    ASSERT_GE(full, 0);
    int fd = ::fcntl(full, F_DUPFD_CLOEXEC, 100);
    ::close(full);
    AppendWriter w;
    EXPECT_FALSE(w.append(fd, "one\ntwo\n", 8));
    EXPECT_TRUE(w.gapBegan());
    EXPECT_FALSE(w.append(fd, "thr", 3));
    EXPECT_FALSE(w.gapBegan()) << "warn once a gap";
    EXPECT_EQ(w.linesLost(), 3u);
    // Room again: the same fd now names a file.
    int real = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ASSERT_GE(real, 0);
    ASSERT_EQ(::dup2(real, fd), fd);
    ::close(real);
    EXPECT_TRUE(w.append(fd, "ee\nfour\n", 8));
    EXPECT_EQ(w.linesLost(), 0u);
    ::close(fd);
    EXPECT_EQ(slurp(file), "[xc: 3 lines lost: No space left on device]\nee\nfour\n");
}

// The marker starts on a line of its own when the file ends mid-line.
TEST(AppendWriter, MarkerAfterAPartialLineStartsANewLine) {
    TempDir d;
    std::string file = d.path + "/log";
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    ASSERT_GE(fd, 0);
    AppendWriter w;
    EXPECT_TRUE(w.append(fd, "half", 4));
    int full = ::open("/dev/full", O_WRONLY | O_CLOEXEC);
    int saved = ::dup(fd);
    ASSERT_EQ(::dup2(full, fd), fd);
    EXPECT_FALSE(w.append(fd, " a line\n", 8));
    ASSERT_EQ(::dup2(saved, fd), fd);
    ::close(saved);
    ::close(full);
    EXPECT_TRUE(w.append(fd, "next\n", 5));
    ::close(fd);
    EXPECT_EQ(slurp(file), "half\n[xc: 1 line lost: No space left on device]\nnext\n");
}
