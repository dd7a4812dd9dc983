#include "pty/probe.hpp"

#include <cstdlib>
#include <string>

namespace xc {

using S = ProbeItem::Status;

namespace {

// The sysctl that gives `containers` containers their console, ttys and an
// attach pty each, above the host's reserve.
std::string raisePtyMax(const PtyLimits& l, long containers, long ttysPerContainer) {
    const long need = l.reserve + containers * (ttysPerContainer + 2);
    return "sysctl -w kernel.pty.max=" + std::to_string(need < 16384 ? 16384 : need);
}

}  // namespace

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
                         " ttys (" + std::to_string(pool) + " whose ttys are made on first use, tty.login, as busybox's)";
    if (l.inUse >= 0) detail += " (" + std::to_string(l.inUse) + " ptys in use now)";
    if (fit >= wanted) {
        out.add("ptys", S::Ok, detail);
        return;
    }
    out.add("ptys", S::Warn, detail + "; more fail to start (no pty for the console)",
            raisePtyMax(l, wanted, ttysPerContainer) + " (or sysctl -p the installed share/xc/sysctl/xc-sysctl.conf)");
}

PtyLimits readPtyLimits() {
    auto num = [](const char* f) {
        bool ok = false;
        std::string v = readTrimmed(std::string("/proc/sys/kernel/pty/") + f, &ok);
        return ok ? std::strtol(v.c_str(), nullptr, 10) : -1L;
    };
    return PtyLimits{num("max"), num("reserve"), num("nr")};
}

void probePtyLimits(ProbeList& out) { ptyLimitItem(out, readPtyLimits()); }

Error ptyExhaustedError(const std::string& what, const PtyLimits& l, long instanceMax) {
    const std::string hint = "xc-checkconfig's Limits section says how many containers fit";
    if (l.max < 0 || l.inUse < 0 || l.reserve < 0)
        return Error::msg(what + ": no pty left: the host's pool (kernel.pty.max) or this devpts's own max of " +
                              std::to_string(instanceMax) + " is used up",
                          ENOSPC)
            .withHint(hint);
    const long pool = l.max > l.reserve ? l.max - l.reserve : 0;
    // Another instance's open may free one between the failure and this
    // reading: a pool within a pair of ptys of full counts as full.
    if (l.inUse + 2 >= pool)
        return Error::msg(what + ": no pty left on the host: " + std::to_string(l.inUse) + " in use of kernel.pty.max = " +
                              std::to_string(l.max) + ", of which " + std::to_string(l.reserve) +
                              " are kept for the host's own devpts (kernel.pty.reserve)",
                          ENOSPC)
            .withHint("raise it: " + raisePtyMax(l, 1000, 4) + " (or sysctl -p share/xc/sysctl/xc-sysctl.conf); " + hint);
    return Error::msg(what + ": no pty left in the container's devpts (its max is " + std::to_string(instanceMax) +
                          "; the host has " + std::to_string(pool - l.inUse) + " free)",
                      ENOSPC)
        .withHint("close ptys inside the container (attached shells, consoles)");
}

}  // namespace xc
