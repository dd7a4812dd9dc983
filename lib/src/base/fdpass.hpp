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
// Peeks the size first, so small packets cost a small buffer.
Result<Packet> recvPacket(int sock, size_t maxSize, const char* what);

}  // namespace xc
