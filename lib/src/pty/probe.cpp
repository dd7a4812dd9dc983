#include "pty/probe.hpp"

#include <cstdlib>
#include <string>

namespace xc {

using S = ProbeItem::Status;

void ptyLimitItem(ProbeList& out, const PtyLimits& l, long ttysPerContainer, long wanted) {
    if (l.max < 0 || l.reserve < 0) {
        out.add("ptys", S::Warn, "cannot read /proc/sys/kernel/pty/max and reserve");
        return;
    }
    const long each = 1 + ttysPerContainer;  // the console and the ttys
    const long pool = l.max > l.reserve ? l.max - l.reserve : 0;
    const long fit = pool / each;
    std::string detail = "kernel.pty.max = " + std::to_string(l.max) + ", " + std::to_string(l.reserve) +
                         " reserved for the host: " + std::to_string(pool) + " ptys for containers, " +
                         std::to_string(fit) + " containers with a console and " + std::to_string(ttysPerContainer) +
                         " ttys";
    if (l.inUse >= 0) detail += " (" + std::to_string(l.inUse) + " ptys in use now)";
    if (fit >= wanted) {
        out.add("ptys", S::Ok, detail);
        return;
    }
    // Room for `wanted` containers, an attach or console pty each, and the reserve.
    const long need = l.reserve + wanted * (each + 1);
    out.add("ptys", S::Warn, detail + "; more fail to start (no pty for the console)",
            "sysctl -w kernel.pty.max=" + std::to_string(need < 16384 ? 16384 : need) +
                " (or sysctl -p the installed share/xc/sysctl/xc-sysctl.conf)");
}

void probePtyLimits(ProbeList& out) {
    auto num = [](const char* f) {
        bool ok = false;
        std::string v = readTrimmed(std::string("/proc/sys/kernel/pty/") + f, &ok);
        return ok ? std::strtol(v.c_str(), nullptr, 10) : -1L;
    };
    ptyLimitItem(out, PtyLimits{num("max"), num("reserve"), num("nr")});
}

}  // namespace xc
