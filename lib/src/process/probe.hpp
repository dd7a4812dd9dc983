// Host probes of the process module for xc-checkconfig: namespaces, the
// process syscalls xc relies on (clone3 with CLONE_PIDFD, pidfd_open,
// close_range), unprivileged user namespaces; and running a probe in a
// short-lived child, for probes that must not change the caller.
#pragma once

#include <chrono>
#include <functional>
#include <string>

#include "base/probe.hpp"
#include "xc/result.hpp"

namespace xc {

// Runs fn in a child made with clone3(flags) (e.g. CLONE_NEWNET: a network
// namespace of its own that goes away with it) and returns the text fn
// returned there. A child that dies without reporting, or runs past
// `limit`, is an error; the child is always killed and reaped.
Result<std::string> reportFromChild(unsigned long long flags, const std::function<std::string()>& fn,
                                    std::chrono::milliseconds limit = std::chrono::seconds(20));

// Section "Namespaces": one item per namespace type in /proc/self/ns.
void probeNamespaces(ProbeList& out);
// Items clone3 and pidfd_open (of section "Syscalls").
void probeProcessSyscalls(ProbeList& out);
// Item close_range (of section "Syscalls").
void probeCloseRange(ProbeList& out);
// Item "unprivileged userns" (of section "Kernel"): whether an
// unprivileged user can make a user namespace, and the sysctls that govern it.
void probeUnprivilegedUserns(ProbeList& out);

}  // namespace xc
