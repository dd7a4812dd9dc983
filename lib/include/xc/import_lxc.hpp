// xc-import-lxc: an LXC container (its config, LXC 2.x-5.x syntax, and its
// dir or overlayfs rootfs) made into an xc container of the base the
// Context names. Every LXC setting is reported: the xc key it became, or
// the reason it was not imported.
#pragma once

#include <string>
#include <vector>

#include "xc/context.hpp"
#include "xc/result.hpp"

namespace xc {

struct LxcImportOptions {
    std::string lxcPath = "/var/lib/lxc";  // LXC's base (-P)
    std::string lxcName;                    // -n
    std::string newName;                    // --new-name; "" = lxcName
    // --move: the LXC container is gone after a successful import (its
    // rootfs renamed into the xc one where it can be); else nothing of
    // it changes.
    bool move = false;
    bool dryRun = false;  // the report only; nothing is made or changed
};

// One LXC setting and what it became.
struct LxcImportLine {
    std::string lxcKey;    // "lxc.net.0.ipv4.address"; "(no lxc.idmap)" for a note
    std::string lxcValue;
    std::string where;     // "FILE:LINE"
    std::string legacyKey; // the LXC 2.x name as written ("lxc.network.ipv4"), else ""
    std::string xc;        // "network.0.ipv4 = \"10.0.3.5/24\"", or a remark in ( )
    std::string reason;    // not imported: why ("" when imported)
    bool imported() const { return reason.empty(); }
};

struct LxcImportReport {
    std::vector<LxcImportLine> lines;
    std::string rootfs;      // what was done with the rootfs ("copied from ...")
    std::string configText;  // the xc config written (or, with dryRun, that would be)
};

Result<LxcImportReport> importLxcContainer(const Context& ctx, const LxcImportOptions& o);

// "KEY = VALUE -> XC" or "KEY = VALUE: not imported: REASON", as the tool
// prints it; a 2.x key as "OLD (KEY) = VALUE ...".
std::string formatImportLine(const LxcImportLine& l);

}  // namespace xc
