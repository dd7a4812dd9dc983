// Host probe of the net module for xc-checkconfig: veth, bridge and macvlan
// links, made through the libnl layer in the network namespace of a
// short-lived child (nothing is left on the host), IPv4 forwarding, and
// the programs host networking uses (dnsmasq, nft).
#pragma once

#include <string>
#include <vector>

#include "base/probe.hpp"

namespace xc {

// What creating each link type gave (an errno, 0: made).
struct LinkProbe {
    int veth = -1, bridge = -1, dummy = -1;
    int macvlan = -1;       // -1: not tried (no parent link)
    std::string macvlanOn;  // "dummy" or "veth": the parent it was made on
};
// The report of the probe child: "veth bridge dummy macvlan parent".
std::string formatLinkProbe(const LinkProbe& p);
bool parseLinkProbe(const std::string& text, LinkProbe& p);

// Section "Network".
void probeNetwork(ProbeList& out);
// Items dnsmasq and nft (of section "Tools").
void probeNetworkPrograms(ProbeList& out);
// Items of the set-uid helper for users' veths (section "Unprivileged"):
// whether it is installed root's and set-uid, and for a non-root caller
// which bridges /etc/xc/usernet gives it (uid `uid`, groups `gids`).
void probeUserNic(ProbeList& out, unsigned uid, const std::vector<unsigned>& gids);

}  // namespace xc
