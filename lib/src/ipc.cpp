#include "xc/ipc.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

namespace xc {

namespace {

struct Header {
    uint32_t magic;
    uint16_t version;
    uint16_t code;  // request: command; response: 0 ok, 1 error
    uint32_t length;
};
constexpr size_t kMaxPacket = 1 << 20;

Status sendPacket(int fd, uint16_t code, const std::string& payload, const std::vector<int>& fds) {
    Header h = {kIpcMagic, kIpcVersion, code, static_cast<uint32_t>(payload.size())};
    std::string buf(reinterpret_cast<const char*>(&h), sizeof h);
    buf += payload;
    struct iovec iov = {buf.data(), buf.size()};
    struct msghdr mh = {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    std::vector<char> ctrl;
    if (!fds.empty()) {
        ctrl.resize(CMSG_SPACE(sizeof(int) * fds.size()));
        mh.msg_control = ctrl.data();
        mh.msg_controllen = ctrl.size();
        struct cmsghdr* cm = CMSG_FIRSTHDR(&mh);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * fds.size());
        std::memcpy(CMSG_DATA(cm), fds.data(), sizeof(int) * fds.size());
    }
    for (;;) {
        if (::sendmsg(fd, &mh, MSG_NOSIGNAL) >= 0) return {};
        if (errno != EINTR) return Error::sys("send on command socket");
    }
}

struct Packet {
    Header header;
    std::string payload;
    std::vector<UniqueFd> fds;
};

Result<Packet> recvPacket(int fd) {
    Packet p;
    // Learn the packet's size first: most are a few bytes, and a big
    // zeroed buffer per call would cost more than the call itself.
    char probe;
    ssize_t size;
    do size = ::recv(fd, &probe, 1, MSG_PEEK | MSG_TRUNC);
    while (size < 0 && errno == EINTR);
    if (size < 0) return Error::sys("receive on command socket");
    if (static_cast<size_t>(size) > kMaxPacket) return Error::msg("oversized packet on command socket", EPROTO);
    std::string buf(static_cast<size_t>(size) + 1, '\0');
    struct iovec iov = {buf.data(), buf.size()};
    alignas(struct cmsghdr) char ctrl[CMSG_SPACE(sizeof(int) * 8)];
    struct msghdr mh = {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctrl;
    mh.msg_controllen = sizeof ctrl;
    ssize_t n;
    do n = ::recvmsg(fd, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0) return Error::sys("receive on command socket");
    for (struct cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int f;
            std::memcpy(&f, CMSG_DATA(cm) + i * sizeof(int), sizeof f);
            p.fds.emplace_back(f);
        }
    }
    if (n == 0) return Error::msg("the supervisor closed the connection without an answer", EPIPE);
    if (static_cast<size_t>(n) < sizeof(Header)) return Error::msg("short packet on command socket", EPROTO);
    std::memcpy(&p.header, buf.data(), sizeof(Header));
    if (p.header.magic != kIpcMagic) return Error::msg("bad magic on command socket", EPROTO);
    if (p.header.version != kIpcVersion)
        return Error::msg("command socket speaks version " + std::to_string(p.header.version) + ", we speak " +
                              std::to_string(kIpcVersion) + " (mixed xc versions?)",
                          EPROTO);
    if (p.header.length != static_cast<size_t>(n) - sizeof(Header))
        return Error::msg("bad length on command socket", EPROTO);
    p.payload.assign(buf.data() + sizeof(Header), p.header.length);
    return p;
}

Result<sockaddr_un> socketAddress(const std::string& path) {
    sockaddr_un addr = {};
    addr.sun_family = AF_UNIX;
    if (path.size() >= sizeof addr.sun_path) return Error::msg("socket path too long: " + path, ENAMETOOLONG);
    std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
    return addr;
}

}  // namespace

Result<Session> openSession(const std::string& socketPath, Command cmd, const std::string& payload,
                            std::chrono::milliseconds timeout) {
    XC_ASSIGN(sockaddr_un addr, socketAddress(socketPath));
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0));
    if (!fd) return Error::sys("create socket");
    if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) < 0)
        return Error::sys("connect to the supervisor at " + socketPath);
    XC_TRY(sendPacket(fd.get(), static_cast<uint16_t>(cmd), payload, {}));
    struct pollfd p = {fd.get(), POLLIN, 0};
    int rc;
    do rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
    while (rc < 0 && errno == EINTR);
    if (rc < 0) return Error::sys("wait for the supervisor");
    if (rc == 0) return Error::sys(ETIMEDOUT, "wait for the supervisor's answer");
    XC_ASSIGN(Packet pkt, recvPacket(fd.get()));
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
    XC_ASSIGN(Packet pkt, recvPacket(conn));
    if (pkt.header.code != 0) return Error::deserialize(pkt.payload);
    return std::move(pkt.payload);
}

Result<UniqueFd> listenOn(const std::string& socketPath) {
    XC_ASSIGN(sockaddr_un addr, socketAddress(socketPath));
    UniqueFd fd(::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
    if (!fd) return Error::sys("create command socket");
    ::unlink(socketPath.c_str());  // a stale one from a crashed supervisor
    mode_t old = ::umask(0077);
    int rc = ::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    ::umask(old);
    if (rc < 0) return Error::sys("bind command socket " + socketPath);
    if (::listen(fd.get(), 16) < 0) return Error::sys("listen on " + socketPath);
    return fd;
}

Result<Request> readRequest(int connfd) {
    struct ucred cred;
    socklen_t len = sizeof cred;
    if (::getsockopt(connfd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0) return Error::sys("read peer credentials");
    if (cred.uid != 0 && cred.uid != ::geteuid())
        return Error::msg("refused: uid " + std::to_string(cred.uid) + " may not control this container", EPERM);
    XC_ASSIGN(Packet pkt, recvPacket(connfd));
    Request r;
    r.cmd = static_cast<Command>(pkt.header.code);
    r.payload = std::move(pkt.payload);
    return r;
}

Status sendOk(int connfd, const std::string& payload, const std::vector<int>& fds) {
    return sendPacket(connfd, 0, payload, fds);
}

Status sendError(int connfd, const Error& err) { return sendPacket(connfd, 1, err.serialize(), {}); }

}  // namespace xc
