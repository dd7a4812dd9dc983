#include "base/fdpass.hpp"

#include <sys/socket.h>

#include <algorithm>
#include <cstring>

namespace xc {

Status sendPacket(int sock, const std::string& data, const std::vector<int>& fds, const char* what) {
    char empty = 0;  // a zero-length packet would read as EOF on the other side
    struct iovec iov = {data.empty() ? &empty : const_cast<char*>(data.data()), data.empty() ? 1 : data.size()};
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
        if (::sendmsg(sock, &mh, MSG_NOSIGNAL) >= 0) return {};
        if (errno != EINTR) return Error::sys(std::string("send on ") + what);
    }
}

Result<Packet> recvPacket(int sock, size_t maxSize, size_t maxFds, const char* what) {
    char probe;
    ssize_t size;
    do size = ::recv(sock, &probe, 1, MSG_PEEK | MSG_TRUNC);
    while (size < 0 && errno == EINTR);
    if (size < 0) return Error::sys(std::string("receive on ") + what);
    if (static_cast<size_t>(size) > maxSize) return Error::msg(std::string("oversized packet on ") + what, EPROTO);
    Packet p;
    std::string buf(static_cast<size_t>(size) + 1, '\0');
    struct iovec iov = {buf.data(), buf.size()};
    // cmsghdr-aligned room for maxFds descriptors (at least one, so that a
    // packet with fds we did not expect shows up as MSG_CTRUNC).
    const size_t room = CMSG_SPACE(sizeof(int) * std::max<size_t>(maxFds, 1));
    std::vector<struct cmsghdr> ctrl((room + sizeof(struct cmsghdr) - 1) / sizeof(struct cmsghdr));
    struct msghdr mh = {};
    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = ctrl.data();
    mh.msg_controllen = room;
    ssize_t n;
    do n = ::recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0) return Error::sys(std::string("receive on ") + what);
    for (struct cmsghdr* cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS) continue;
        size_t count = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t i = 0; i < count; ++i) {
            int fd;
            std::memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int), sizeof fd);
            p.fds.emplace_back(fd);
        }
    }
    if (mh.msg_flags & MSG_CTRUNC)
        return Error::msg(std::string("receive on ") + what + ": more file descriptors than the " +
                              std::to_string(maxFds) + " expected (the rest were lost)",
                          EPROTO);
    if (p.fds.size() > maxFds)
        return Error::msg(std::string("receive on ") + what + ": " + std::to_string(p.fds.size()) +
                              " file descriptors, expected at most " + std::to_string(maxFds),
                          EPROTO);
    if (mh.msg_flags & MSG_TRUNC) return Error::msg(std::string("truncated packet on ") + what, EPROTO);
    if (n == 0) {
        p.eof = true;
        return p;
    }
    p.data.assign(buf.data(), static_cast<size_t>(n));
    return p;
}

}  // namespace xc
