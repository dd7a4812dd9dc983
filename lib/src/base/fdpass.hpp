// Whole packets on SOCK_SEQPACKET unix sockets, with file descriptors
// passed as SCM_RIGHTS: what the sync channel and the command socket share.
#pragma once

#include <string>
#include <vector>

#include "xc/fd.hpp"
#include "xc/result.hpp"

namespace xc {

struct Packet {
    std::string data;
    std::vector<UniqueFd> fds;
    bool eof = false;  // the peer closed its end
};

// `what` names the socket in errors ("sync channel", "command socket").
Status sendPacket(int sock, const std::string& data, const std::vector<int>& fds, const char* what);
// Peeks the size first, so small packets cost a small buffer. Room is made
// for `maxFds` descriptors, what the caller's protocol may send; a packet
// carrying more (MSG_CTRUNC: the kernel dropped the rest) is an error
// (EPROTO), and the fds that did arrive are closed.
Result<Packet> recvPacket(int sock, size_t maxSize, size_t maxFds, const char* what);

}  // namespace xc
