// Host probe of the pty module for xc-checkconfig: how many containers the
// kernel's pty limit lets run at once (section "Limits").
#pragma once

#include "base/probe.hpp"
#include "xc/result.hpp"

namespace xc {

// The kernel's pty figures (/proc/sys/kernel/pty); -1 where unreadable.
struct PtyLimits {
    long max = -1;      // kernel.pty.max
    long reserve = -1;  // kernel.pty.reserve: kept for the host's own devpts
    long inUse = -1;    // kernel.pty.nr
};

// Every container's devpts instance draws from max - reserve; a console and
// `ttysPerContainer` ttys each. Ok at >= `wanted` containers, else a warning
// with the sysctl that allows them.
void ptyLimitItem(ProbeList& out, const PtyLimits& l, long ttysPerContainer = 4, long wanted = 1000);
// Item "ptys" of section "Limits", from this host.
void probePtyLimits(ProbeList& out);

// This host's figures (the pool is host-wide: any procfs shows it).
PtyLimits readPtyLimits();

// Why a new pty could not be had (the ptmx open gave ENOSPC): the host's
// pool under kernel.pty.max is used up, or else this devpts instance's own
// `instanceMax`. Names the figures and the sysctl that makes room.
Error ptyExhaustedError(const std::string& what, const PtyLimits& l, long instanceMax);

}  // namespace xc
