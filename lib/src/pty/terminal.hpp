// Terminals: raw mode that is always undone, window sizes, signals through
// a signalfd, the escape-sequence filter of xc-console, the console ring
// buffer, and the I/O proxy loop between a local terminal and a pty
// master (xc-console, xc-start -F and xc-attach with a pty).
#pragma once

#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <chrono>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "xc/fd.hpp"
#include "xc/result.hpp"
#include "xc/terminal.hpp"

namespace xc {

// Raw mode on a terminal for the guard's lifetime: the saved settings come
// back on every way out (return, error, signal handled through SignalFd).
class TermiosGuard {
public:
    TermiosGuard() = default;
    // Saves fd's settings and switches it to raw mode. Fails (ENOTTY) if fd
    // is not a terminal.
    static Result<TermiosGuard> makeRaw(int fd);
    TermiosGuard(TermiosGuard&& o) noexcept : fd_(o.fd_), saved_(o.saved_) { o.fd_ = -1; }
    TermiosGuard& operator=(TermiosGuard&& o) noexcept;
    TermiosGuard(const TermiosGuard&) = delete;
    TermiosGuard& operator=(const TermiosGuard&) = delete;
    ~TermiosGuard() { restore(); }

    bool active() const { return fd_ >= 0; }
    const struct termios& saved() const { return saved_; }
    // Puts the saved settings back now (idempotent).
    void restore();

private:
    int fd_ = -1;
    struct termios saved_ = {};
};

// The raw settings TermiosGuard uses: no echo, no line editing, no signal
// keys, no input or output translation, reads return every byte.
struct termios rawTermios(const struct termios& from);

Result<struct winsize> windowSize(int fd);
Status setWindowSize(int fd, const struct winsize& ws);
// Copies the window size of terminal `from` to `to` (a pty master); does
// nothing when `from` is not a terminal.
Status copyWindowSize(int from, int to);

// The signals in `sigs`, blocked and readable from fd() while the object
// lives; the previous signal mask is restored afterwards.
class SignalFd {
public:
    SignalFd() = default;
    static Result<SignalFd> create(std::initializer_list<int> sigs);
    SignalFd(SignalFd&& o) noexcept;
    SignalFd& operator=(SignalFd&& o) noexcept;
    SignalFd(const SignalFd&) = delete;
    SignalFd& operator=(const SignalFd&) = delete;
    ~SignalFd() { reset(); }

    int fd() const { return fd_.get(); }
    // The next pending signal, 0 if none.
    int next();
    void reset();

private:
    UniqueFd fd_;
    sigset_t old_ = {};
    bool restore_ = false;
};

// parseEscapeChar and escapeName: xc/terminal.hpp.

// Keyboard input filter: <prefix> q detaches, <prefix> <prefix> sends one
// literal prefix, <prefix> followed by anything else sends both bytes
// (nothing typed is swallowed). A state machine over a byte stream, so a
// sequence split across reads works the same.
class EscapeFilter {
public:
    explicit EscapeFilter(int prefix = 1) : prefix_(prefix) {}
    enum class Action { None, Detach };
    // Appends to `out` what must go to the remote side. On Detach, `out`
    // holds what preceded the sequence and the rest of the input is dropped.
    Action feed(const char* p, size_t n, std::string& out);
    bool pending() const { return saw_; }
    int prefix() const { return prefix_; }

private:
    int prefix_;  // < 0: no escape
    bool saw_ = false;
};

// The newest `capacity` bytes of a stream, plus the count of every byte
// ever appended, so a reader can ask for "what came after position P".
// Memory grows with use up to the capacity.
class ByteRing {
public:
    explicit ByteRing(size_t capacity = 128 * 1024) : cap_(capacity) {}
    void append(const char* p, size_t n);
    size_t size() const { return size_; }
    size_t capacity() const { return cap_; }
    uint64_t total() const { return total_; }  // bytes ever appended
    std::string str() const { return since(0); }
    // The bytes appended after absolute position `pos` that are still held.
    std::string since(uint64_t pos) const;
    // The newest `n` bytes (or fewer).
    std::string tail(size_t n) const;

private:
    size_t cap_;
    std::vector<char> buf_;  // grows to cap_, then wraps
    size_t head_ = 0;        // index of the oldest byte once wrapped
    size_t size_ = 0;
    uint64_t total_ = 0;
};

// One side of a terminal session as the proxy loop sees it.
struct ProxyConfig {
    int localIn = -1;     // keyboard (read); -1: none
    int localOut = -1;    // screen (write); -1: output is discarded
    int remoteIn = -1;    // the remote's output (read): a pty master or a stream
    int remoteOut = -1;   // the remote's input (write): a pty master
    int winsizeFrom = -1; // local terminal whose size is forwarded, -1: none
    int winsizeTo = -1;   // pty master that gets TIOCSWINSZ
    EscapeFilter* escape = nullptr;  // keyboard filter, nullptr: none
    // On EOF of localIn: end the loop (LocalEof), or send the remote pty's
    // VEOF character when it is in canonical mode and carry on.
    bool eofSendsVeof = false;
    std::vector<int> watch;  // readable (or hung up) ends the loop: Watched
    int signalFd = -1;       // SignalFd: SIGWINCH forwarded, SIGPIPE ignored, others end the loop
};

enum class ProxyEnd {
    Detached,      // the escape sequence
    LocalEof,      // keyboard EOF (or the local terminal hung up)
    LocalClosed,   // the screen cannot be written any more
    RemoteClosed,  // EOF or EIO from remoteIn
    Watched,       // a watched fd became readable
    Signal,        // a signal other than SIGWINCH/SIGPIPE
};
const char* proxyEndName(ProxyEnd e);

struct ProxyResult {
    ProxyEnd end = ProxyEnd::RemoteClosed;
    int signal = 0;     // for Signal
    int watchedFd = -1; // for Watched
};

// Moves bytes both ways until one of the ProxyEnd events. Remote fds are
// switched to non-blocking; local ones are left as they are (a shared
// terminal's file flags belong to the user's shell) and written only when
// poll says they take data.
Result<ProxyResult> runProxy(const ProxyConfig& c);

// Copies what remoteIn still has to localOut, until EOF/EIO or until
// nothing arrives for `idle`, or `limit` passed. For the last output of a
// command that exited.
void drainRemote(int remoteIn, int localOut, std::chrono::milliseconds idle, std::chrono::milliseconds limit);

// Writes all of buf to a (possibly non-blocking) fd, waiting with poll;
// false on error or if `timeout` passed (< 0: no limit).
bool writeFully(int fd, const char* p, size_t n, int timeoutMs = -1);

}  // namespace xc
