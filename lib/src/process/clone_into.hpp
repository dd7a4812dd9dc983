// A child born in a cgroup2 group (clone3's CLONE_INTO_CGROUP, Linux 5.7):
// no migration into it afterwards. Each migration (a write to cgroup.procs)
// takes the global cgroup_threadgroup_rwsem for writing, and the first
// writer after a quiet spell waits for an RCU grace period.
#pragma once

#include "process/process.hpp"

namespace xc {

// cloneChild(flags) with the child born in the cgroup2 directory cgroupFd
// (>= 0), through clone3 even with no flags.
Result<Process> cloneChildInto(unsigned long long flags, int cgroupFd);

}  // namespace xc
