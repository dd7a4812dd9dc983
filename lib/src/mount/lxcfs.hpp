// lxcfs (Debian's package lxcfs): a FUSE filesystem whose /proc and /sys
// files answer for the cgroup of the process that reads them (its memory
// limit, its cpuset, its start time) instead of for the host. Bound over
// the same files of a container's fresh /proc and /sys, they make free,
// top, nproc and uptime inside show the container's limits.
#pragma once

#include <string>
#include <vector>

#include "xc/result.hpp"

namespace xc {

// The files bound, relative to lxcfs's mount point and to the container's
// root alike ("proc/meminfo", ..., "sys/devices/system/cpu/online").
const std::vector<std::string>& lxcfsFiles();

// The filesystem type of the mount whose mount point is `dir` in
// /proc/self/mountinfo text ("fuse.lxcfs"); "" if no mount is there.
std::string mountTypeAt(const std::string& mountinfo, const std::string& dir);

// Whether lxcfs is mounted at `dir` and answers. The error says why not:
// ENOENT no such directory, ENODEV nothing (or something else) mounted
// there, ENOTCONN mounted but its daemon is gone.
Status lxcfsAvailable(const std::string& dir);

// In the container's setup, before pivot_root: binds every file of
// lxcfsFiles() that both lxcfs and the container's /proc or /sys have onto
// the container's (procfd and sysfd: the roots of its fresh proc and sysfs
// mounts). The lxcfs side is looked up below `dir` only (no symbolic
// links, no other mount); `dir` must still be a FUSE mount.
Status bindLxcfs(const std::string& dir, int procfd, int sysfd);

}  // namespace xc
