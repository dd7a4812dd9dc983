// Terminal plumbing shared by xc-console, xc-start -F and xc-attach: raw
// mode, window sizes, signalfd, the escape filter, the ring buffer and the
// proxy loop.
#include "pty/terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <optional>

namespace xc {

// ---------------------------------------------------------------- raw mode

struct termios rawTermios(const struct termios& from) {
    struct termios t = from;
    t.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON | IXOFF | IXANY);
    t.c_iflag |= IGNPAR;
    t.c_oflag &= ~OPOST;
    t.c_lflag &= ~(ECHO | ECHOE | ECHOK | ECHONL | ICANON | ISIG | IEXTEN | TOSTOP);
    t.c_cflag &= ~(CSIZE | PARENB);
    t.c_cflag |= CS8;
    t.c_cc[VMIN] = 1;
    t.c_cc[VTIME] = 0;
    return t;
}

namespace {
int setAttr(int fd, const struct termios& t) {
    int rc;
    do rc = ::tcsetattr(fd, TCSANOW, &t);
    while (rc < 0 && errno == EINTR);
    return rc;
}
}  // namespace

Result<TermiosGuard> TermiosGuard::makeRaw(int fd) {
    TermiosGuard g;
    if (::tcgetattr(fd, &g.saved_) < 0) return Error::sys("read the terminal's settings");
    struct termios raw = rawTermios(g.saved_);
    if (setAttr(fd, raw) < 0) return Error::sys("put the terminal in raw mode");
    g.fd_ = fd;
    return g;
}

TermiosGuard& TermiosGuard::operator=(TermiosGuard&& o) noexcept {
    if (this != &o) {
        restore();
        fd_ = o.fd_;
        saved_ = o.saved_;
        o.fd_ = -1;
    }
    return *this;
}

void TermiosGuard::restore() {
    if (fd_ < 0) return;
    int saved = errno;
    (void)setAttr(fd_, saved_);
    errno = saved;
    fd_ = -1;
}

// ---------------------------------------------------------------- window size

Result<struct winsize> windowSize(int fd) {
    struct winsize ws = {};
    if (::ioctl(fd, TIOCGWINSZ, &ws) < 0) return Error::sys("read the window size");
    return ws;
}

Status setWindowSize(int fd, const struct winsize& ws) {
    if (::ioctl(fd, TIOCSWINSZ, &ws) < 0) return Error::sys("set the window size");
    return {};
}

Status copyWindowSize(int from, int to) {
    if (from < 0 || to < 0 || !::isatty(from)) return {};
    XC_ASSIGN(struct winsize ws, windowSize(from));
    return setWindowSize(to, ws);
}

// ---------------------------------------------------------------- signals

Result<SignalFd> SignalFd::create(std::initializer_list<int> sigs) {
    SignalFd s;
    sigset_t set;
    sigemptyset(&set);
    for (int sig : sigs) sigaddset(&set, sig);
    if (::pthread_sigmask(SIG_BLOCK, &set, &s.old_) != 0) return Error::sys("block signals");
    s.restore_ = true;
    s.fd_.reset(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
    if (!s.fd_) return Error::sys("create signalfd");
    return s;
}

SignalFd::SignalFd(SignalFd&& o) noexcept : fd_(std::move(o.fd_)), old_(o.old_), restore_(o.restore_) {
    o.restore_ = false;
}

SignalFd& SignalFd::operator=(SignalFd&& o) noexcept {
    if (this != &o) {
        reset();
        fd_ = std::move(o.fd_);
        old_ = o.old_;
        restore_ = o.restore_;
        o.restore_ = false;
    }
    return *this;
}

int SignalFd::next() {
    struct signalfd_siginfo si;
    ssize_t n;
    do n = ::read(fd_.get(), &si, sizeof si);
    while (n < 0 && errno == EINTR);
    return n == sizeof si ? static_cast<int>(si.ssi_signo) : 0;
}

void SignalFd::reset() {
    fd_.reset();
    if (!restore_) return;
    restore_ = false;
    // SIGPIPE and SIGWINCH that arrived while blocked mean nothing now; a
    // pending SIGPIPE would otherwise kill us the moment it is unblocked.
    sigset_t drop;
    sigemptyset(&drop);
    sigaddset(&drop, SIGPIPE);
    sigaddset(&drop, SIGWINCH);
    struct timespec zero = {0, 0};
    while (::sigtimedwait(&drop, nullptr, &zero) > 0) {
    }
    ::pthread_sigmask(SIG_SETMASK, &old_, nullptr);
}

// ---------------------------------------------------------------- escape

Result<int> parseEscapeChar(const std::string& text) {
    auto ctrlOf = [](char c) -> int {
        unsigned char u = static_cast<unsigned char>(std::toupper(static_cast<unsigned char>(c)));
        if (u >= '@' && u <= '_') return u & 0x1f;
        return -1;
    };
    int c = -1;
    if (text.size() == 1) {
        unsigned char u = static_cast<unsigned char>(text[0]);
        c = u < 0x20 ? u : ctrlOf(text[0]);
    } else if (text.size() == 2 && text[0] == '^') {
        c = ctrlOf(text[1]);
    } else {
        std::string lower;
        for (char ch : text) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
        for (const char* p : {"c-", "ctrl-", "ctrl+", "control-"}) {
            size_t len = std::strlen(p);
            if (lower.size() == len + 1 && lower.compare(0, len, p) == 0) c = ctrlOf(text[len]);
        }
    }
    if (c <= 0)
        return Error::msg("bad escape character '" + text + "': give a letter (a means Ctrl+a), ^a or C-a",
                          EINVAL);
    return c;
}

std::string escapeName(int c) {
    if (c >= 1 && c <= 26) return std::string("Ctrl+") + static_cast<char>('a' + c - 1);
    if (c >= 0 && c < 0x20) return std::string("Ctrl+") + static_cast<char>(c + '@');
    return std::string(1, static_cast<char>(c));
}

EscapeFilter::Action EscapeFilter::feed(const char* p, size_t n, std::string& out) {
    if (prefix_ < 0) {
        out.append(p, n);
        return Action::None;
    }
    const char pre = static_cast<char>(prefix_);
    for (size_t i = 0; i < n; ++i) {
        char c = p[i];
        if (saw_) {
            saw_ = false;
            if (c == 'q') return Action::Detach;
            out.push_back(pre);
            if (c != pre) out.push_back(c);
            continue;
        }
        if (c == pre) {
            saw_ = true;
            continue;
        }
        out.push_back(c);
    }
    return Action::None;
}

// ---------------------------------------------------------------- ring

void ByteRing::append(const char* p, size_t n) {
    total_ += n;
    if (cap_ == 0 || n == 0) return;
    if (n >= cap_) {
        buf_.assign(p + (n - cap_), p + n);
        head_ = 0;
        size_ = cap_;
        return;
    }
    if (buf_.size() < cap_) {  // still growing: oldest byte at 0
        size_t take = std::min(n, cap_ - buf_.size());
        if (buf_.capacity() < buf_.size() + take)
            buf_.reserve(std::min(cap_, std::max(buf_.size() + take, buf_.capacity() * 2)));
        buf_.insert(buf_.end(), p, p + take);
        size_ = buf_.size();
        p += take;
        n -= take;
        if (n == 0) return;
    }
    // Full: the write position is the oldest byte.
    while (n > 0) {
        size_t chunk = std::min(n, cap_ - head_);
        std::memcpy(buf_.data() + head_, p, chunk);
        head_ = (head_ + chunk) % cap_;
        p += chunk;
        n -= chunk;
    }
}

std::string ByteRing::since(uint64_t pos) const {
    uint64_t oldest = total_ - size_;
    uint64_t start = std::max(pos, oldest);
    if (start >= total_) return {};
    size_t skip = static_cast<size_t>(start - oldest);
    size_t len = size_ - skip;
    std::string out;
    out.reserve(len);
    size_t from = (head_ + skip) % buf_.size();
    size_t first = std::min(len, buf_.size() - from);
    out.append(buf_.data() + from, first);
    out.append(buf_.data(), len - first);
    return out;
}

std::string ByteRing::tail(size_t n) const { return since(total_ - std::min<uint64_t>(n, size_)); }

// ---------------------------------------------------------------- proxy

const char* proxyEndName(ProxyEnd e) {
    switch (e) {
    case ProxyEnd::Detached: return "detached";
    case ProxyEnd::LocalEof: return "end of input";
    case ProxyEnd::LocalClosed: return "output closed";
    case ProxyEnd::RemoteClosed: return "remote closed";
    case ProxyEnd::Watched: return "watched fd";
    case ProxyEnd::Signal: return "signal";
    }
    return "?";
}

bool writeFully(int fd, const char* p, size_t n, int timeoutMs) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeoutMs < 0 ? 0 : timeoutMs);
    while (n > 0) {
        ssize_t w = ::write(fd, p, n);
        if (w > 0) {
            p += w;
            n -= static_cast<size_t>(w);
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int wait = -1;
            if (timeoutMs >= 0) {
                auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                                  std::chrono::steady_clock::now());
                if (left.count() <= 0) return false;
                wait = static_cast<int>(left.count());
            }
            struct pollfd pf = {fd, POLLOUT, 0};
            int rc = ::poll(&pf, 1, wait);
            if (rc < 0 && errno != EINTR) return false;
            if (rc == 0) return false;
            continue;
        }
        return false;
    }
    return true;
}

namespace {

constexpr size_t kChunk = 64 * 1024;
constexpr size_t kPendingCap = 256 * 1024;
constexpr size_t kWriteBatch = 16 * 1024;

Status setNonBlocking(int fd) {
    if (fd < 0) return {};
    int fl = ::fcntl(fd, F_GETFL);
    if (fl < 0) return Error::sys("read the file flags of fd " + std::to_string(fd));
    if (!(fl & O_NONBLOCK) && ::fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return Error::sys("make fd " + std::to_string(fd) + " non-blocking");
    return {};
}

// Writes as much of `pending` as fd takes now; false on a hard error.
bool flushSome(int fd, std::string& pending) {
    while (!pending.empty()) {
        ssize_t w = ::write(fd, pending.data(), pending.size());
        if (w > 0) {
            pending.erase(0, static_cast<size_t>(w));
            continue;
        }
        if (w < 0 && errno == EINTR) continue;
        if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
        return false;
    }
    return true;
}

// One run of the proxy loop: its buffers and the steps of each wake-up.
// Every step returns an end (the loop is over) or nullopt (go on).
class Proxy {
public:
    explicit Proxy(const ProxyConfig& c) : c_(c), inOpen_(c.localIn >= 0), remoteOpen_(c.remoteIn >= 0), buf_(kChunk) {}

    Result<ProxyResult> run() {
        XC_TRY(setNonBlocking(c_.remoteIn).ctx("set up the terminal proxy"));
        XC_TRY(setNonBlocking(c_.remoteOut).ctx("set up the terminal proxy"));
        if (c_.winsizeFrom >= 0 && c_.winsizeTo >= 0) (void)copyWindowSize(c_.winsizeFrom, c_.winsizeTo);
        std::vector<struct pollfd> pfds(kFixed + c_.watch.size());
        for (;;) {
            arm(pfds);
            int rc = ::poll(pfds.data(), pfds.size(), -1);
            if (rc < 0) {
                if (errno == EINTR) continue;
                return Error::sys("wait for terminal I/O");
            }
            // Output first, so what is already read is not lost on an end below.
            for (auto step : {&Proxy::onSignals, &Proxy::onWritable, &Proxy::onRemoteInput, &Proxy::onLocalInput,
                              &Proxy::onWatched})
                if (auto end = (this->*step)(pfds)) return *end;
        }
    }

private:
    enum Slot { kSig, kLocalIn, kRemoteIn, kRemoteOut, kLocalOut, kFixed };
    using End = std::optional<ProxyResult>;

    static ProxyResult ended(ProxyEnd e, int sig = 0, int fd = -1) {
        ProxyResult r;
        r.end = e;
        r.signal = sig;
        r.watchedFd = fd;
        return r;
    }
    void finishLocal() {
        if (c_.localOut >= 0 && !toLocal_.empty()) (void)writeFully(c_.localOut, toLocal_.data(), toLocal_.size(), 2000);
        toLocal_.clear();
    }
    void flushRemoteBestEffort() {
        if (c_.remoteOut >= 0 && !toRemote_.empty())
            (void)writeFully(c_.remoteOut, toRemote_.data(), toRemote_.size(), 500);
        toRemote_.clear();
    }

    // What to wait for: input only while its queue has room, output only
    // while something waits to go.
    void arm(std::vector<struct pollfd>& pfds) const {
        for (auto& p : pfds) p = {-1, 0, 0};
        pfds[kSig] = {c_.signalFd, POLLIN, 0};
        if (inOpen_ && toRemote_.size() < kPendingCap) pfds[kLocalIn] = {c_.localIn, POLLIN, 0};
        if (remoteOpen_ && toLocal_.size() < kPendingCap) pfds[kRemoteIn] = {c_.remoteIn, POLLIN, 0};
        if (!toRemote_.empty() && c_.remoteOut >= 0) pfds[kRemoteOut] = {c_.remoteOut, POLLOUT, 0};
        if (!toLocal_.empty() && c_.localOut >= 0) pfds[kLocalOut] = {c_.localOut, POLLOUT, 0};
        for (size_t i = 0; i < c_.watch.size(); ++i) pfds[kFixed + i] = {c_.watch[i], POLLIN, 0};
    }

    End onSignals(const std::vector<struct pollfd>& pfds) {
        if (!(pfds[kSig].revents & POLLIN)) return std::nullopt;
        struct signalfd_siginfo si;
        while (::read(c_.signalFd, &si, sizeof si) == sizeof si) {
            int sig = static_cast<int>(si.ssi_signo);
            if (sig == SIGWINCH) (void)copyWindowSize(c_.winsizeFrom, c_.winsizeTo);
            else if (sig != SIGPIPE && sig != SIGCHLD) return ended(ProxyEnd::Signal, sig);
            // SIGPIPE, SIGCHLD: EPIPE from the write tells us what we need.
        }
        return std::nullopt;
    }

    End onWritable(const std::vector<struct pollfd>& pfds) {
        if ((pfds[kLocalOut].revents & (POLLOUT | POLLERR | POLLHUP)) && !flushSome(c_.localOut, toLocal_))
            return ended(ProxyEnd::LocalClosed);
        if ((pfds[kRemoteOut].revents & (POLLOUT | POLLERR | POLLHUP)) && !flushSome(c_.remoteOut, toRemote_))
            toRemote_.clear();  // the remote is gone; its EOF follows
        return std::nullopt;
    }

    End onRemoteInput(const std::vector<struct pollfd>& pfds) {
        if (!(pfds[kRemoteIn].revents & (POLLIN | POLLHUP | POLLERR))) return std::nullopt;
        // A few reads (a pty hands out at most 4 KiB each), then one
        // write: fewer wake-ups, while batches small enough keep the
        // writer inside and the reader outside both busy (measured:
        // 16 KiB beats both 4 KiB and 256 KiB through two ptys).
        while (toLocal_.size() < kWriteBatch) {
            ssize_t n = ::read(c_.remoteIn, buf_.data(), std::min(buf_.size(), kPendingCap - toLocal_.size()));
            if (n > 0) {
                if (c_.localOut >= 0) toLocal_.append(buf_.data(), static_cast<size_t>(n));
                continue;
            }
            if (n < 0 && errno == EINTR) continue;
            if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
            remoteOpen_ = false;  // EOF, or EIO: every slave side is closed
            break;
        }
        if (!toLocal_.empty() && !flushSome(c_.localOut, toLocal_)) return ended(ProxyEnd::LocalClosed);
        if (remoteOpen_) return std::nullopt;
        finishLocal();
        return ended(ProxyEnd::RemoteClosed);
    }

    End onLocalInput(const std::vector<struct pollfd>& pfds) {
        if (!(pfds[kLocalIn].revents & (POLLIN | POLLHUP | POLLERR))) return std::nullopt;
        ssize_t n = ::read(c_.localIn, buf_.data(), std::min(buf_.size(), kPendingCap - toRemote_.size()));
        if (n > 0) return onKeys(static_cast<size_t>(n));
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) return std::nullopt;
        inOpen_ = false;
        if (!c_.eofSendsVeof) {
            flushRemoteBestEffort();
            finishLocal();
            return ended(ProxyEnd::LocalEof);
        }
        sendVeof();
        return std::nullopt;
    }

    End onKeys(size_t n) {
        lastSent_ = buf_[n - 1];
        if (c_.escape) {
            std::string out;
            auto act = c_.escape->feed(buf_.data(), n, out);
            toRemote_ += out;
            if (act == EscapeFilter::Action::Detach) {
                flushRemoteBestEffort();
                finishLocal();
                return ended(ProxyEnd::Detached);
            }
        } else {
            toRemote_.append(buf_.data(), n);
        }
        if (c_.remoteOut >= 0 && !flushSome(c_.remoteOut, toRemote_)) toRemote_.clear();
        return std::nullopt;
    }

    // In canonical mode the line discipline turns VEOF into EOF (a line in
    // progress needs one to be sent, a second to read as EOF); a program
    // doing its own line editing (a shell) reads the character itself and
    // takes it as EOF on an empty line.
    void sendVeof() {
        struct termios t;
        if (c_.remoteOut < 0 || ::tcgetattr(c_.remoteOut, &t) != 0) return;
        char veof = t.c_cc[VEOF] ? static_cast<char>(t.c_cc[VEOF]) : '\x04';
        toRemote_.push_back(veof);
        if ((t.c_lflag & ICANON) && lastSent_ != '\n' && lastSent_ != 0) toRemote_.push_back(veof);
        if (!flushSome(c_.remoteOut, toRemote_)) toRemote_.clear();
    }

    End onWatched(const std::vector<struct pollfd>& pfds) {
        for (size_t i = 0; i < c_.watch.size(); ++i) {
            if (pfds[kFixed + i].revents & (POLLIN | POLLHUP | POLLERR)) {
                finishLocal();
                return ended(ProxyEnd::Watched, 0, c_.watch[i]);
            }
        }
        return std::nullopt;
    }

    const ProxyConfig& c_;
    std::string toRemote_, toLocal_;
    bool inOpen_, remoteOpen_;
    char lastSent_ = 0;  // the last keyboard byte, to tell whether a line is in progress
    std::vector<char> buf_;
};

}  // namespace

Result<ProxyResult> runProxy(const ProxyConfig& c) { return Proxy(c).run(); }

void drainRemote(int remoteIn, int localOut, std::chrono::milliseconds idle, std::chrono::milliseconds limit) {
    if (remoteIn < 0 || !setNonBlocking(remoteIn)) return;  // a blocking read could hang here
    auto deadline = std::chrono::steady_clock::now() + limit;
    std::vector<char> buf(kChunk);
    for (;;) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) return;
        struct pollfd pf = {remoteIn, POLLIN, 0};
        int rc = ::poll(&pf, 1, static_cast<int>(std::min(left, idle).count()));
        if (rc < 0 && errno == EINTR) continue;
        if (rc <= 0) return;
        ssize_t n = ::read(remoteIn, buf.data(), buf.size());
        if (n > 0) {
            if (localOut >= 0 && !writeFully(localOut, buf.data(), static_cast<size_t>(n), 2000)) return;
            continue;
        }
        if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
        return;
    }
}

}  // namespace xc
