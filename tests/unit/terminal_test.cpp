// The terminal module without containers: the escape filter, escape-char
// parsing, the console ring buffer, raw mode, window sizes and the proxy
// loop over real ptys and pipes.
#include <fcntl.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cstring>
#include <string>

#include "pty/terminal.hpp"

using namespace xc;

namespace {

std::string feedAll(EscapeFilter& f, const std::string& in, EscapeFilter::Action* last = nullptr) {
    std::string out;
    auto a = f.feed(in.data(), in.size(), out);
    if (last) *last = a;
    return out;
}

struct Pty {
    int master = -1, slave = -1;
    Pty() {
        if (::openpty(&master, &slave, nullptr, nullptr, nullptr) < 0) {
            master = slave = -1;
            return;
        }
        ::fcntl(master, F_SETFD, FD_CLOEXEC);
        ::fcntl(slave, F_SETFD, FD_CLOEXEC);
    }
    ~Pty() {
        if (master >= 0) ::close(master);
        if (slave >= 0) ::close(slave);
    }
    bool ok() const { return master >= 0; }
};

struct Pipe {
    int r = -1, w = -1;
    Pipe() {
        int p[2];
        if (::pipe2(p, O_CLOEXEC) == 0) {
            r = p[0];
            w = p[1];
        }
    }
    ~Pipe() {
        closeR();
        closeW();
    }
    void closeR() {
        if (r >= 0) ::close(r);
        r = -1;
    }
    void closeW() {
        if (w >= 0) ::close(w);
        w = -1;
    }
};

// Reads what arrives on fd within `ms`.
std::string readFor(int fd, int ms) {
    std::string out;
    char buf[4096];
    for (;;) {
        struct pollfd p = {fd, POLLIN, 0};
        if (::poll(&p, 1, ms) <= 0) break;
        ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

void makeRawNoEcho(int fd) {
    struct termios t;
    ASSERT_EQ(::tcgetattr(fd, &t), 0);
    t = rawTermios(t);
    ASSERT_EQ(::tcsetattr(fd, TCSANOW, &t), 0);
}

}  // namespace

// ---------------------------------------------------------------- escape filter

TEST(EscapeFilter, PlainBytesPassThrough) {
    EscapeFilter f;
    EXPECT_EQ(feedAll(f, "hello\r"), "hello\r");
    EXPECT_FALSE(f.pending());
}

TEST(EscapeFilter, PrefixQDetachesAndDropsTheRest) {
    EscapeFilter f;
    EscapeFilter::Action a;
    EXPECT_EQ(feedAll(f, "ab\x01qcd", &a), "ab");
    EXPECT_EQ(a, EscapeFilter::Action::Detach);
}

TEST(EscapeFilter, DoublePrefixSendsOneLiteralPrefix) {
    EscapeFilter f;
    EscapeFilter::Action a;
    EXPECT_EQ(feedAll(f, "x\x01\x01y", &a), "x\x01y");
    EXPECT_EQ(a, EscapeFilter::Action::None);
    // Twice in a row: two literal prefixes, not a detach.
    EXPECT_EQ(feedAll(f, "\x01\x01\x01\x01q", &a), "\x01\x01q");
    EXPECT_EQ(a, EscapeFilter::Action::None);
}

TEST(EscapeFilter, PrefixThenOtherKeySendsBoth) {
    EscapeFilter f;
    EXPECT_EQ(feedAll(f, "\x01x"), "\x01x");
    EXPECT_EQ(feedAll(f, "\x01Q"), std::string("\x01Q"));  // only a lower-case q detaches
}

TEST(EscapeFilter, SequenceSplitAcrossReads) {
    EscapeFilter f;
    EscapeFilter::Action a;
    EXPECT_EQ(feedAll(f, "abc\x01", &a), "abc");
    EXPECT_TRUE(f.pending());
    EXPECT_EQ(a, EscapeFilter::Action::None);
    EXPECT_EQ(feedAll(f, "q", &a), "");
    EXPECT_EQ(a, EscapeFilter::Action::Detach);

    EscapeFilter g;
    EXPECT_EQ(feedAll(g, "\x01"), "");
    EXPECT_EQ(feedAll(g, "\x01"), "\x01");
    EXPECT_FALSE(g.pending());
}

TEST(EscapeFilter, OtherPrefixAndNone) {
    EscapeFilter b(2);  // Ctrl-b
    EscapeFilter::Action a;
    EXPECT_EQ(feedAll(b, "\x01q", &a), "\x01q");
    EXPECT_EQ(a, EscapeFilter::Action::None);
    EXPECT_EQ(feedAll(b, "\x02q", &a), "");
    EXPECT_EQ(a, EscapeFilter::Action::Detach);

    EscapeFilter none(-1);
    EXPECT_EQ(feedAll(none, "\x01q\x01\x01", &a), "\x01q\x01\x01");
    EXPECT_EQ(a, EscapeFilter::Action::None);
}

TEST(EscapeFilter, BinaryBytesIncludingNul) {
    EscapeFilter f;
    std::string in("\0\xff\x7f\x01\x01\0", 6);
    std::string want("\0\xff\x7f\x01\0", 5);
    EXPECT_EQ(feedAll(f, in), want);
}

TEST(EscapeChar, Parse) {
    EXPECT_EQ(*parseEscapeChar("a"), 1);
    EXPECT_EQ(*parseEscapeChar("A"), 1);
    EXPECT_EQ(*parseEscapeChar("^a"), 1);
    EXPECT_EQ(*parseEscapeChar("^B"), 2);
    EXPECT_EQ(*parseEscapeChar("C-b"), 2);
    EXPECT_EQ(*parseEscapeChar("ctrl-z"), 26);
    EXPECT_EQ(*parseEscapeChar("Ctrl+e"), 5);
    EXPECT_EQ(*parseEscapeChar("\x05"), 5);
    EXPECT_EQ(*parseEscapeChar("^]"), 0x1d);
    for (const char* bad : {"", "ab", "^1", "1", "ctrl-", "C-ab"}) {
        auto r = parseEscapeChar(bad);
        EXPECT_FALSE(r.ok()) << "'" << bad << "'";
        if (!r) {
            EXPECT_NE(r.error().message().find("escape"), std::string::npos);
        }
    }
    EXPECT_EQ(escapeName(1), "Ctrl+a");
    EXPECT_EQ(escapeName(26), "Ctrl+z");
    EXPECT_EQ(escapeName(0x1d), "Ctrl+]");
}

// ---------------------------------------------------------------- ring

TEST(ByteRing, GrowsThenKeepsTheNewest) {
    ByteRing r(8);
    r.append("abc", 3);
    EXPECT_EQ(r.str(), "abc");
    EXPECT_EQ(r.size(), 3u);
    r.append("defgh", 5);
    EXPECT_EQ(r.str(), "abcdefgh");
    r.append("ij", 2);
    EXPECT_EQ(r.str(), "cdefghij");
    r.append("klmnopq", 7);
    EXPECT_EQ(r.str(), "jklmnopq");
    EXPECT_EQ(r.size(), 8u);
    EXPECT_EQ(r.total(), 17u);
    r.append("0123456789ABC", 13);  // more than the capacity at once
    EXPECT_EQ(r.str(), "56789ABC");
    r.append("x", 1);
    EXPECT_EQ(r.str(), "6789ABCx");
}

TEST(ByteRing, SinceAndTail) {
    ByteRing r(10);
    r.append("hello", 5);
    uint64_t mark = r.total();
    r.append(" world", 6);  // "ello world" held
    EXPECT_EQ(r.since(mark), " world");
    EXPECT_EQ(r.since(0), "ello world");  // older than what is held: all of it
    EXPECT_EQ(r.since(r.total()), "");
    EXPECT_EQ(r.since(r.total() + 5), "");
    EXPECT_EQ(r.tail(3), "rld");
    EXPECT_EQ(r.tail(100), "ello world");
}

TEST(ByteRing, ZeroCapacityKeepsNothing) {
    ByteRing r(0);
    r.append("abc", 3);
    EXPECT_EQ(r.str(), "");
    EXPECT_EQ(r.total(), 3u);
}

TEST(ByteRing, ManySmallAppendsMatchAReference) {
    ByteRing r(1000);
    std::string all;
    for (int i = 0; i < 5000; ++i) {
        std::string chunk(static_cast<size_t>(i % 37), static_cast<char>('a' + i % 26));
        r.append(chunk.data(), chunk.size());
        all += chunk;
    }
    EXPECT_EQ(r.str(), all.substr(all.size() - 1000));
    EXPECT_EQ(r.since(all.size() - 10), all.substr(all.size() - 10));
}

// ---------------------------------------------------------------- raw mode, sizes

TEST(TermiosGuard, RawModeIsUndone) {
    Pty p;
    ASSERT_TRUE(p.ok());
    struct termios before = {};
    ASSERT_EQ(::tcgetattr(p.slave, &before), 0);
    ASSERT_TRUE(before.c_lflag & ICANON);
    {
        auto g = TermiosGuard::makeRaw(p.slave);
        ASSERT_TRUE(g.ok()) << g.error().message();
        struct termios raw;
        ASSERT_EQ(::tcgetattr(p.slave, &raw), 0);
        EXPECT_FALSE(raw.c_lflag & (ICANON | ECHO | ISIG));
        EXPECT_FALSE(raw.c_iflag & (ICRNL | IXON));
        EXPECT_FALSE(raw.c_oflag & OPOST);
        TermiosGuard moved = std::move(*g);  // ownership moves; restored once
        EXPECT_TRUE(moved.active());
    }
    // Field by field: glibc's struct termios has bytes the kernel never fills.
    struct termios after = {};
    ASSERT_EQ(::tcgetattr(p.slave, &after), 0);
    EXPECT_EQ(before.c_iflag, after.c_iflag);
    EXPECT_EQ(before.c_oflag, after.c_oflag);
    EXPECT_EQ(before.c_cflag, after.c_cflag);
    EXPECT_EQ(before.c_lflag, after.c_lflag);
    EXPECT_EQ(std::memcmp(before.c_cc, after.c_cc, sizeof before.c_cc), 0);
    EXPECT_EQ(::cfgetispeed(&before), ::cfgetispeed(&after));
}

TEST(TermiosGuard, RefusesANonTerminal) {
    Pipe pp;
    auto g = TermiosGuard::makeRaw(pp.r);
    EXPECT_FALSE(g.ok());
}

TEST(WindowSize, CopiedToAMaster) {
    Pty local, remote;
    ASSERT_TRUE(local.ok() && remote.ok());
    struct winsize ws = {};
    ws.ws_row = 33;
    ws.ws_col = 111;
    ASSERT_TRUE(setWindowSize(local.master, ws).ok());
    ASSERT_TRUE(copyWindowSize(local.slave, remote.master).ok());
    auto got = windowSize(remote.slave);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->ws_row, 33);
    EXPECT_EQ(got->ws_col, 111);
    Pipe pp;
    EXPECT_TRUE(copyWindowSize(pp.r, remote.master).ok());  // not a terminal: nothing to do
}

// ---------------------------------------------------------------- proxy

TEST(Proxy, BytesBothWaysAndDetach) {
    Pty remote;
    ASSERT_TRUE(remote.ok());
    makeRawNoEcho(remote.slave);
    Pipe in, out;
    // The "container" side: answers before the proxy even starts.
    ASSERT_EQ(::write(remote.slave, "from-inside", 11), 11);
    ASSERT_EQ(::write(in.w, "typed\x01\x01z\x01q-after", 16), 16);
    EscapeFilter esc;
    ProxyConfig c;
    c.localIn = in.r;
    c.localOut = out.w;
    c.remoteIn = c.remoteOut = remote.master;
    c.escape = &esc;
    auto r = runProxy(c);
    ASSERT_TRUE(r.ok()) << r.error().message();
    EXPECT_EQ(r->end, ProxyEnd::Detached);
    EXPECT_EQ(readFor(remote.slave, 200), "typed\x01z");
    EXPECT_EQ(readFor(out.r, 200), "from-inside");
}

TEST(Proxy, RemoteHangUpEndsIt) {
    Pty remote;
    ASSERT_TRUE(remote.ok());
    makeRawNoEcho(remote.slave);
    Pipe out;
    ASSERT_EQ(::write(remote.slave, "last words", 10), 10);
    ::close(remote.slave);
    remote.slave = -1;
    ProxyConfig c;
    c.localOut = out.w;
    c.remoteIn = c.remoteOut = remote.master;
    auto r = runProxy(c);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->end, ProxyEnd::RemoteClosed);
    EXPECT_EQ(readFor(out.r, 200), "last words");
}

TEST(Proxy, EndOfInputSendsEofToACanonicalPty) {
    Pty remote;
    ASSERT_TRUE(remote.ok());
    struct termios t;
    ASSERT_EQ(::tcgetattr(remote.slave, &t), 0);
    t.c_lflag &= ~ECHO;
    ASSERT_EQ(::tcsetattr(remote.slave, TCSANOW, &t), 0);
    Pipe in, watch;
    ASSERT_EQ(::write(in.w, "line\n", 5), 5);
    in.closeW();
    ProxyConfig c;
    c.localIn = in.r;
    c.remoteIn = c.remoteOut = remote.master;
    c.eofSendsVeof = true;
    c.watch = {watch.r};
    ASSERT_EQ(::write(watch.w, "x", 1), 1);  // ends the loop once the input is through
    // The watch fires at once; run again until the input is consumed.
    for (int i = 0; i < 3; ++i) {
        auto r = runProxy(c);
        ASSERT_TRUE(r.ok());
        EXPECT_EQ(r->end, ProxyEnd::Watched);
        EXPECT_EQ(r->watchedFd, watch.r);
    }
    char buf[64];
    ssize_t n = ::read(remote.slave, buf, sizeof buf);
    EXPECT_EQ(std::string(buf, static_cast<size_t>(n > 0 ? n : 0)), "line\n");
    n = ::read(remote.slave, buf, sizeof buf);
    EXPECT_EQ(n, 0) << "VEOF reads as end of file";
}

TEST(Proxy, EndOfInputWithoutVeofEnds) {
    Pty remote;
    ASSERT_TRUE(remote.ok());
    Pipe in;
    in.closeW();
    ProxyConfig c;
    c.localIn = in.r;
    c.remoteIn = c.remoteOut = remote.master;
    auto r = runProxy(c);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->end, ProxyEnd::LocalEof);
}

TEST(Proxy, SignalsEndItButWinchIsForwarded) {
    Pty local, remote;
    ASSERT_TRUE(local.ok() && remote.ok());
    auto sigs = SignalFd::create({SIGWINCH, SIGUSR1, SIGPIPE});
    ASSERT_TRUE(sigs.ok());
    struct winsize ws = {};
    ws.ws_row = 12;
    ws.ws_col = 34;
    ASSERT_TRUE(setWindowSize(local.master, ws).ok());
    ProxyConfig c;
    c.remoteIn = c.remoteOut = remote.master;
    c.winsizeFrom = local.slave;
    c.winsizeTo = remote.master;
    c.signalFd = sigs->fd();
    // Both pending before the loop runs: SIGWINCH is handled (size copied
    // again), SIGPIPE ignored, SIGUSR1 ends the loop.
    ws.ws_row = 40;
    ws.ws_col = 120;
    ::raise(SIGPIPE);
    ::raise(SIGUSR1);
    auto r = runProxy(c);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->end, ProxyEnd::Signal);
    EXPECT_EQ(r->signal, SIGUSR1);
    auto got = windowSize(remote.slave);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(got->ws_row, 12);  // copied at start
    ASSERT_TRUE(setWindowSize(local.master, ws).ok());
    Pipe watch;
    ASSERT_EQ(::write(watch.w, "x", 1), 1);
    c.watch = {watch.r};
    ::raise(SIGWINCH);  // handled before the watched fd ends the loop
    r = runProxy(c);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->end, ProxyEnd::Watched);
    got = windowSize(remote.slave);
    EXPECT_EQ(got->ws_row, 40);
    EXPECT_EQ(got->ws_col, 120);
    sigs->reset();  // the mask is back; no stray SIGPIPE kills us
    sigset_t now;
    ::sigprocmask(SIG_BLOCK, nullptr, &now);
    EXPECT_FALSE(sigismember(&now, SIGUSR1));
}

TEST(Proxy, LargeTransferThroughAPty) {
    Pty remote;
    ASSERT_TRUE(remote.ok());
    makeRawNoEcho(remote.slave);
    Pipe out;
    const size_t total = 4 * 1024 * 1024;
    pid_t writer = ::fork();
    ASSERT_GE(writer, 0);
    if (writer == 0) {
        std::string chunk(65536, '\0');
        for (size_t i = 0; i < chunk.size(); ++i) chunk[i] = static_cast<char>(i * 7);
        for (size_t done = 0; done < total; done += chunk.size())
            if (!writeFully(remote.slave, chunk.data(), chunk.size())) ::_exit(1);
        ::_exit(0);
    }
    ::close(remote.slave);
    remote.slave = -1;
    pid_t reader = ::fork();
    ASSERT_GE(reader, 0);
    if (reader == 0) {
        out.closeW();
        size_t got = 0;
        char buf[65536];
        for (;;) {
            ssize_t n = ::read(out.r, buf, sizeof buf);
            if (n <= 0) break;
            for (ssize_t i = 0; i < n; ++i)
                if (buf[i] != static_cast<char>((got + static_cast<size_t>(i)) % 65536 * 7)) ::_exit(2);
            got += static_cast<size_t>(n);
        }
        ::_exit(got == total ? 0 : 3);
    }
    out.closeR();
    ProxyConfig c;
    c.localOut = out.w;
    c.remoteIn = c.remoteOut = remote.master;
    auto r = runProxy(c);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->end, ProxyEnd::RemoteClosed);
    out.closeW();
    int st = 0;
    ::waitpid(writer, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    ::waitpid(reader, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "reader status " << st;
}
