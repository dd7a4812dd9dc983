// State-change datagrams: the supervisors' sending side and the watchers'
// (xc-monitor's) receiving side, one wire format for both.
#include "monitor/events.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "base/fsutil.hpp"
#include "xc/events.hpp"

namespace xc {

namespace {

constexpr const char* kMagic = "XC-STATE";
constexpr int kVersion = 1;

Result<sockaddr_un> unixAddress(const std::string& path) {
    sockaddr_un a = {};
    a.sun_family = AF_UNIX;
    if (path.size() >= sizeof a.sun_path) return Error::msg("socket path too long: " + path, ENAMETOOLONG);
    std::memcpy(a.sun_path, path.data(), path.size());
    return a;
}

int64_t nowNs() {
    struct timespec ts;
    ::clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

Result<StateEvent> decodeStateEvent(const std::string& text) {
    std::istringstream in(text);
    std::string magic, name, state;
    int version = 0;
    long long pid = -1, t = 0;
    if (!(in >> magic >> version >> name >> state >> pid >> t) || magic != kMagic || version != kVersion)
        return Error::msg("malformed state event '" + text + "'", EBADMSG);
    if (!validateName(name)) return Error::msg("state event with a bad name", EBADMSG);
    XC_ASSIGN(State s, parseState(state));
    return StateEvent{name, s, static_cast<pid_t>(pid), t};
}

// Who sent a datagram (SCM_CREDENTIALS), or -1.
uid_t senderUid(msghdr& mh) {
    for (cmsghdr* c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            struct ucred cred;
            std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
            return cred.uid;
        }
    return static_cast<uid_t>(-1);
}

}  // namespace

std::string watcherDir(const ContainerPaths& paths) { return paths.runDir() + "/.monitors"; }

std::string encodeStateEvent(const std::string& name, State s, pid_t pid, int64_t timeNs) {
    return std::string(kMagic) + " " + std::to_string(kVersion) + " " + name + " " + stateName(s) + " " +
           std::to_string(pid) + " " + std::to_string(timeNs);
}

void announceState(const ContainerPaths& paths, State s, pid_t initPid, const Log& log) {
    std::string dir = watcherDir(paths);
    UniqueFd dfd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!dfd) return;  // nobody has ever watched this base
    UniqueFd sock(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    DIR* d = sock ? ::fdopendir(::fcntl(dfd.get(), F_DUPFD_CLOEXEC, 0)) : nullptr;
    if (!d) {
        log.warn(Error::sys("tell the watchers of " + dir + " the state " + stateName(s)).message());
        return;
    }
    std::string msg = encodeStateEvent(paths.name(), s, initPid, nowNs());
    while (struct dirent* e = ::readdir(d)) {
        if (e->d_type != DT_SOCK) continue;
        auto addr = unixAddress(dir + "/" + e->d_name);
        if (!addr) continue;
        ssize_t n = ::sendto(sock.get(), msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL,
                             reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
        if (n >= 0) continue;
        if (errno == ECONNREFUSED) (void)::unlinkat(dfd.get(), e->d_name, 0);  // its watcher is gone
        else log.warn(Error::sys("tell watcher " + dir + "/" + e->d_name + " the state " + stateName(s)).message());
    }
    ::closedir(d);
}

void StateAnnouncer::begin(const ContainerPaths& paths, const Log& log) {
    paths_ = &paths;
    last_ = State::Stopped;
    tell(State::Starting, -1, log);
}

void StateAnnouncer::tell(State s, pid_t initPid, const Log& log) {
    if (!paths_ || s == last_) return;
    last_ = s;
    bool hasInit = s != State::Stopped && s != State::Starting && initPid > 0;
    announceState(*paths_, s, hasInit ? initPid : -1, log);
}

Result<StateWatcher> StateWatcher::open(const HostPaths& host, const std::string& base) {
    ContainerPaths paths(host, base, "");
    std::string dir = watcherDir(paths);
    XC_TRY(makeDirs(dir, 0700).ctx("watch " + base));
    StateWatcher w;
    w.fd_.reset(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!w.fd_) return Error::sys("watch " + base + ": create a socket");
    std::string path = dir + "/" + std::to_string(::getpid());
    XC_ASSIGN(sockaddr_un addr, unixAddress(path));
    (void)::unlink(path.c_str());  // a watcher of a reused pid that died
    if (::bind(w.fd_.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr) < 0)
        return Error::sys("watch " + base + ": bind " + path);
    w.path_ = path;
    int one = 1, buf = 1 << 20;
    if (::setsockopt(w.fd_.get(), SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
        return Error::sys("watch " + base + ": ask for the senders' credentials");
    (void)::setsockopt(w.fd_.get(), SOL_SOCKET, SO_RCVBUF, &buf, sizeof buf);  // bursts of changes
    return w;
}

StateWatcher::StateWatcher(StateWatcher&& o) noexcept : fd_(std::move(o.fd_)), path_(std::move(o.path_)) {
    o.path_.clear();
}

StateWatcher::~StateWatcher() {
    if (!path_.empty()) (void)::unlink(path_.c_str());
}

Result<StateEvent> StateWatcher::next(std::chrono::milliseconds timeout) {
    for (;;) {
        char buf[512];
        alignas(cmsghdr) char control[CMSG_SPACE(sizeof(struct ucred))];
        struct iovec iov = {buf, sizeof buf - 1};
        msghdr mh = {};
        mh.msg_iov = &iov;
        mh.msg_iovlen = 1;
        mh.msg_control = control;
        mh.msg_controllen = sizeof control;
        ssize_t n = ::recvmsg(fd_.get(), &mh, MSG_CMSG_CLOEXEC);
        if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return Error::sys("read a state change");
        if (n >= 0) {
            uid_t from = senderUid(mh);
            if (from != 0 && from != ::geteuid()) continue;
            auto ev = decodeStateEvent(std::string(buf, static_cast<size_t>(n)));
            if (ev) return ev;
            continue;
        }
        struct pollfd p = {fd_.get(), POLLIN, 0};
        int r = ::poll(&p, 1, timeout.count() < 0 ? -1 : static_cast<int>(timeout.count()));
        if (r < 0) return Error::sys("wait for a state change");
        if (r == 0) return Error::msg("no state change", ETIMEDOUT);
    }
}

std::string formatEventTime(int64_t timeNs) {
    time_t secs = static_cast<time_t>(timeNs / 1000000000);
    struct tm tm;
    ::gmtime_r(&secs, &tm);
    char buf[64];
    size_t n = std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(buf + n, sizeof buf - n, ".%06lldZ", static_cast<long long>((timeNs % 1000000000) / 1000));
    return buf;
}

}  // namespace xc
