// Starting a process in a container's cgroup: born in the cgroup2 payload
// (see process/clone_into.hpp), then moved into the v1 payloads.
#pragma once

#include <sys/types.h>

#include "cgroup/cgroup.hpp"
#include "xc/fd.hpp"

namespace xc {

// The cgroup2 payload directory, open for CLONE_INTO_CGROUP; an empty fd
// on a host without cgroup2.
Result<UniqueFd> openUnifiedPayload(const Cgroup& cg);

// Cgroup::addProcess for every hierarchy (of `part`) but the cgroup2 one.
Status addProcessExceptUnified(const Cgroup& cg, pid_t pid, CgroupPart part = CgroupPart::All);

}  // namespace xc
