// DHCPRELEASE on behalf of a container whose processes are gone: a
// BOOTREQUEST with the container's hardware and IP address, sent to the
// server from the container's own network namespace (which the supervisor
// still holds), as its DHCP client would have sent it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <linux/sockios.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cstring>

#include "net/net.hpp"

namespace xc {

namespace {
struct DhcpPacket {
    uint8_t op, htype, hlen, hops;
    uint32_t xid;
    uint16_t secs, flags;
    uint32_t ciaddr, yiaddr, siaddr, giaddr;
    uint8_t chaddr[16];
    uint8_t sname[64];
    uint8_t file[128];
    uint32_t cookie;
    uint8_t options[64];
} __attribute__((packed));
}  // namespace

Status dhcpRelease(int udpFd, const IpPrefix& server, const IpPrefix& client, const Hwaddr& mac) {
    if (server.family != AF_INET || client.family != AF_INET) return Error::msg("DHCP release: IPv4 only", EINVAL);
    DhcpPacket p;
    std::memset(&p, 0, sizeof p);
    p.op = 1;     // BOOTREQUEST
    p.htype = 1;  // Ethernet
    p.hlen = 6;
    if (::getrandom(&p.xid, sizeof p.xid, GRND_NONBLOCK) < 0) p.xid = 0x78636e74;
    std::memcpy(&p.ciaddr, client.bytes.data(), 4);
    std::memcpy(p.chaddr, mac.data(), 6);
    p.cookie = htonl(0x63825363);
    uint8_t* o = p.options;
    *o++ = 53;  // message type
    *o++ = 1;
    *o++ = 7;  // DHCPRELEASE
    *o++ = 54;  // server identifier
    *o++ = 4;
    std::memcpy(o, server.bytes.data(), 4);
    o += 4;
    *o++ = 255;

    int one = 1;
    ::setsockopt(udpFd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in from = {};
    from.sin_family = AF_INET;
    from.sin_port = htons(68);
    std::memcpy(&from.sin_addr, client.bytes.data(), 4);
    if (::bind(udpFd, reinterpret_cast<struct sockaddr*>(&from), sizeof from) < 0)
        return Error::sys("DHCP release: bind " + client.address() + ":68");
    struct sockaddr_in dest = {};
    dest.sin_family = AF_INET;
    dest.sin_port = htons(67);
    std::memcpy(&dest.sin_addr, server.bytes.data(), 4);
    // The whole (padded) packet: BOOTP wants at least 300 bytes.
    if (::sendto(udpFd, &p, sizeof p, 0, reinterpret_cast<struct sockaddr*>(&dest), sizeof dest) < 0)
        return Error::sys("DHCP release: send");
    // Wait (briefly) until it has left: it may wait for ARP, and the link
    // goes away right after.
    for (int i = 0; i < 100; ++i) {
        int queued = 0;
        if (::ioctl(udpFd, SIOCOUTQ, &queued) < 0 || queued == 0) break;
        ::usleep(1000);
    }
    return {};
}

}  // namespace xc
