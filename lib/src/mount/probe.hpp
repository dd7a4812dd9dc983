// Host probes of the mount module for xc-checkconfig: the mount syscalls
// xc uses (openat2 with RESOLVE_IN_ROOT, fsopen, mount_setattr) and the
// filesystems a container needs.
#pragma once

#include <set>
#include <string>

#include "base/probe.hpp"

namespace xc {

// Items openat2, fsopen and mount_setattr (of section "Syscalls").
void probeMountSyscalls(ProbeList& out);
// Section "Filesystems"; `kernelRelease` (uname -r) finds modules.dep, to
// tell a module that is not loaded from a filesystem the kernel lacks.
void probeFilesystems(ProbeList& out, const std::string& kernelRelease);

// Item "lxcfs" (of section "Filesystems"): whether lxcfs is mounted and
// answering at `dir` (xc.conf's lxcfs.path), and if not, how to get it.
void probeLxcfs(ProbeList& out, const std::string& dir);

// The filesystem names in /proc/filesystems text ("nodev\tproc" -> proc).
std::set<std::string> parseProcFilesystems(const std::string& text);

}  // namespace xc
