// Isolated id ranges (security.idmap_isolated): each such container gets
// a block of 65536 of root's subordinate ids that no other container of
// its base maps, so two containers' roots are different host users. The
// container's own idmap is the record: the allocator reads every config
// of the base, under a host-wide lock held until the new config is in
// place.
#pragma once

#include <string>
#include <vector>

#include "base/lock.hpp"
#include "xc/config.hpp"
#include "xc/paths.hpp"

namespace xc {

constexpr uint32_t kIdmapBlock = 65536;

// The ranges (inside 0, 65536 ids) that `used` leaves free in root's
// ranges: the first block that lies in both a uid and a gid range of
// root, overlaps nothing in `used` and is not the shared block (the first
// 65536 of root's first uid range, which unisolated containers map).
Result<std::vector<IdMap>> pickIsolatedBlock(const std::string& subuidText, const std::string& subgidText,
                                             const std::vector<IdMap>& used);

// The host-wide lock of id allocation (/run/xc/idmap.lock).
Result<RunLock> lockIdAllocation(const HostPaths& host);

// Every idmap entry of the containers (and creates in progress) of `base`.
std::vector<IdMap> idmapsInUse(const std::string& base);

// A free block for a new isolated container of `base`, from the host's
// subuid and subgid files (hold lockIdAllocation() until its config is in
// place).
Result<std::vector<IdMap>> isolatedIdmap(const HostPaths& host, const std::string& base);

}  // namespace xc
