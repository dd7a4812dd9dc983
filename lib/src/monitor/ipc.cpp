#include "monitor/ipc.hpp"

#include "base/fdpass.hpp"
#include "pty/terminal.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <sstream>

namespace xc {

namespace {

struct Header {
    uint32_t magic;
    uint16_t version;
    uint16_t code;  // request: command; response: 0 ok, 1 error
    uint32_t length;
};
constexpr size_t kMaxPacket = 1 << 20;
// No command answers with more than two fds (Tty: the master and the
// console stream); requests carry none.
constexpr size_t kMaxPacketFds = 2;

Status sendFrame(int fd, uint16_t code, const std::string& payload, const std::vector<int>& fds) {
    Header h = {kIpcMagic, kIpcVersion, code, static_cast<uint32_t>(payload.size())};
    std::string buf(reinterpret_cast<const char*>(&h), sizeof h);
    buf += payload;
    return sendPacket(fd, buf, fds, "command socket");
}

struct Frame {
    Header header;
    std::string payload;
    std::vector<UniqueFd> fds;
};

Result<Frame> recvFrame(int fd) {
    XC_ASSIGN(Packet p, recvPacket(fd, kMaxPacket, kMaxPacketFds, "command socket"));
    if (p.eof) return Error::msg("the supervisor closed the connection without an answer", EPIPE);
    size_t n = p.data.size();
    if (n < sizeof(Header)) return Error::msg("short packet on command socket", EPROTO);
    Frame f;
    std::memcpy(&f.header, p.data.data(), sizeof(Header));
    if (f.header.magic != kIpcMagic) return Error::msg("bad magic on command socket", EPROTO);
    if (f.header.version != kIpcVersion)
        return Error::msg("command socket speaks version " + std::to_string(f.header.version) + ", we speak " +
                              std::to_string(kIpcVersion) + " (mixed xc versions?)",
                          EPROTO);
    if (f.header.length != n - sizeof(Header)) return Error::msg("bad length on command socket", EPROTO);
    f.payload = p.data.substr(sizeof(Header));
    f.fds = std::move(p.fds);
    return f;
}

// A name starting with '@' is in the abstract namespace (as LXC's command
// socket): nothing on a filesystem to remove, gone with the last holder.
struct SocketAddress {
    sockaddr_un addr = {};
    socklen_t len = 0;
};

Result<SocketAddress> socketAddress(const std::string& path) {
    SocketAddress a;
    a.addr.sun_family = AF_UNIX;
    if (path.empty() || path.size() >= sizeof a.addr.sun_path)
        return Error::msg("bad command socket address '" + path + "'", ENAMETOOLONG);
    std::memcpy(a.addr.sun_path, path.c_str(), path.size());
    if (path[0] == '@') a.addr.sun_path[0] = '\0';
    a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '@' ? 0 : 1));
    return a;
}

struct ucred peerOf(int fd) {
    struct ucred cred = {-1, static_cast<uid_t>(-1), static_cast<gid_t>(-1)};
    socklen_t len = sizeof cred;
    if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) cred.pid = -1;
    return cred;
}

Result<UniqueFd> connectTo(const std::string& socketPath) {
    XC_ASSIGN(SocketAddress a, socketAddress(socketPath));
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!fd) return Error::sys("create socket");
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&a.addr), a.len) < 0)
        return Error::sys("connect to the supervisor at " + socketPath);
    // Anyone may bind an abstract name: only root (or we) may answer for a
    // container, or a squatter could hand us its own process as the init.
    struct ucred peer = peerOf(fd.get());
    if (peer.pid < 0) return Error::sys("read the supervisor's credentials");
    if (peer.uid != 0 && peer.uid != ::geteuid())
        return Error::msg("the command socket " + socketPath + " is held by pid " + std::to_string(peer.pid) +
                              " of uid " + std::to_string(peer.uid) + ", not by a supervisor",
                          EPERM);
    return fd;
}

}  // namespace

Result<Session> openSession(const std::string& socketPath, Command cmd, const std::string& payload,
                            std::chrono::milliseconds timeout) {
    XC_ASSIGN(UniqueFd fd, connectTo(socketPath));
    XC_TRY(sendFrame(fd.get(), static_cast<uint16_t>(cmd), payload, {}));
    struct pollfd p = {fd.get(), POLLIN, 0};
    int rc;
    do rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    while (rc < 0 && errno == EINTR);
    if (rc < 0) return Error::sys("wait for the supervisor");
    if (rc == 0) return Error::sys(ETIMEDOUT, "wait for the supervisor's answer");
    XC_ASSIGN(Frame pkt, recvFrame(fd.get()));
    if (pkt.header.code != 0) return Error::deserialize(pkt.payload);
    Session s;
    s.response.payload = std::move(pkt.payload);
    s.response.fds = std::move(pkt.fds);
    s.conn = std::move(fd);
    return s;
}

Result<Response> callMonitor(const std::string& socketPath, Command cmd, const std::string& payload,
                             std::chrono::milliseconds timeout) {
    XC_ASSIGN(Session s, openSession(socketPath, cmd, payload, timeout));
    return std::move(s.response);
}

Result<std::string> readNotice(int conn, std::chrono::milliseconds timeout) {
    struct pollfd p = {conn, POLLIN, 0};
    int rc;
    do rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    while (rc < 0 && errno == EINTR);
    if (rc < 0) return Error::sys("wait for the supervisor");
    if (rc == 0) return Error::sys(ETIMEDOUT, "wait for the supervisor's notice");
    XC_ASSIGN(Frame pkt, recvFrame(conn));
    if (pkt.header.code != 0) return Error::deserialize(pkt.payload);
    return std::move(pkt.payload);
}

Result<bool> monitorListening(const std::string& socketPath) {
    auto fd = connectTo(socketPath);
    if (fd) return true;
    if (fd.error().code() == ECONNREFUSED || fd.error().code() == ENOENT) return false;
    return std::move(fd).error();
}

Result<UniqueFd> listenOn(const std::string& socketPath) {
    XC_ASSIGN(SocketAddress a, socketAddress(socketPath));
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return Error::sys("create command socket");
    bool abstract = socketPath[0] == '@';
    if (!abstract) ::unlink(socketPath.c_str());  // a stale one from a crashed supervisor
    mode_t old = ::umask(0077);
    int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&a.addr), a.len);
    ::umask(old);
    if (rc < 0 && errno == EADDRINUSE && abstract) {
        // Held while its holder lives: another supervisor of this container.
        auto other = connectTo(socketPath);
        if (other)
            return Error::msg("is already running (its supervisor, pid " + std::to_string(peerOf(other->get()).pid) +
                                  ", holds the command socket " + socketPath + ")",
                              EBUSY);
        return std::move(other).error().wrap("bind command socket " + socketPath + ": address in use");
    }
    if (rc < 0) return Error::sys("bind command socket " + socketPath);
    if (::listen(fd.get(), 64) < 0) return Error::sys("listen on " + socketPath);
    return fd;
}

Result<UniqueFd> acceptClient(int listenFd) {
    UniqueFd conn(::accept4(listenFd, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
    if (!conn) return Error::sys("accept a client");
    struct ucred cred = peerOf(conn.get());
    if (cred.pid < 0) return Error::sys("read peer credentials");
    if (cred.uid != 0 && cred.uid != ::geteuid()) {
        (void)sendError(conn.get(), Error::msg("refused: uid " + std::to_string(cred.uid) +
                                                   " may not control this container",
                                               EPERM));
        return Error::msg("refused a client of uid " + std::to_string(cred.uid), EPERM);
    }
    return conn;
}

Result<Request> readRequest(int connfd) {
    XC_ASSIGN(Frame pkt, recvFrame(connfd));
    Request r;
    r.cmd = static_cast<Command>(pkt.header.code);
    r.payload = std::move(pkt.payload);
    return r;
}

Status sendOk(int connfd, const std::string& payload, const std::vector<int>& fds) {
    return sendFrame(connfd, 0, payload, fds);
}

Status sendError(int connfd, const Error& err) { return sendFrame(connfd, 1, err.serialize(), {}); }

void sendRemaining(int fd, const std::string& data, std::chrono::milliseconds timeout) {
    size_t done = 0;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (done < data.size() && std::chrono::steady_clock::now() < deadline) {
        ssize_t w = ::send(fd, data.data() + done, data.size() - done, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (w > 0) {
            done += static_cast<size_t>(w);
        } else if (w < 0 && (errno == EAGAIN || errno == EINTR)) {
            struct pollfd p = {fd, POLLOUT, 0};
            (void)::poll(&p, 1, 50);
        } else {
            return;
        }
    }
}

void sendSealedCopy(int conn, const std::string& all) {
    UniqueFd mem(::memfd_create("xc-console", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    if (!mem) {
        (void)sendError(conn, Error::sys("create a memory file"));
        return;
    }
    if (!writeFully(mem.get(), all.data(), all.size())) {
        (void)sendError(conn, Error::sys("write the console history"));
        return;
    }
    // Sealed, so the client may trust its size (it reads with pread).
    if (::fcntl(mem.get(), F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) < 0) {
        (void)sendError(conn, Error::sys("seal the console history"));
        return;
    }
    (void)sendOk(conn, std::to_string(all.size()), {mem.get()});
}

// One "key word word..." line per field; names never hold spaces
// (capability and syscall names are checked when the config is loaded).
std::string encodeAttachInfo(const AttachInfo& info) {
    std::ostringstream out;
    out << "state " << info.state << "\npid " << info.initPid << "\ncap_drop";
    for (const auto& c : info.capDrop) out << ' ' << c;
    out << "\ncap_keep";
    for (const auto& c : info.capKeep) out << ' ' << c;
    out << "\nseccomp";
    for (const auto& r : info.seccomp) out << ' ' << r.syscall << ':' << r.errnum;
    out << '\n';
    return out.str();
}

Result<AttachInfo> decodeAttachInfo(const std::string& payload) {
    AttachInfo info;
    std::istringstream in(payload);
    std::string line;
    bool haveState = false, havePid = false;
    while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string key, w;
        words >> key;
        while (words >> w) {
            if (key == "state") {
                info.state = w;
                haveState = true;
            } else if (key == "pid") {
                info.initPid = static_cast<pid_t>(std::strtol(w.c_str(), nullptr, 10));
                havePid = info.initPid > 0;
            } else if (key == "cap_drop") {
                info.capDrop.push_back(w);
            } else if (key == "cap_keep") {
                info.capKeep.push_back(w);
            } else if (key == "seccomp") {
                size_t colon = w.rfind(':');
                if (colon == std::string::npos) return Error::msg("bad seccomp rule '" + w + "' from the supervisor", EPROTO);
                info.seccomp.push_back({w.substr(0, colon), std::atoi(w.c_str() + colon + 1)});
            }  // unknown keys: added by a newer supervisor, ignored
        }
    }
    if (!haveState || !havePid) return Error::msg("the supervisor's attach answer lacks the state or the init's pid", EPROTO);
    return info;
}

}  // namespace xc
