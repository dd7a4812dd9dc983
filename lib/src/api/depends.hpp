// Snapshot clones and what they depend on: a clone's lower layers are
// another container's rootfs (dir) or upper and lower layers (overlay).
//
// Finding them must not cost a read of every config in the base at each
// start and destroy (at 1,000 containers that was 100 ms a start), so each
// origin keeps a record per clone of its base, <origin>/.dependents/<clone>,
// written before the clone exists. A record is only a lead: the clone's
// config is read to confirm it, so a record left by a crash or by a clone
// destroyed since is harmless (and dropped). A base made before the records
// existed is indexed once from its configs (then marked by an xattr of the
// base directory, user.xc.dependents-indexed).
#pragma once

#include <string>
#include <vector>

#include "xc/result.hpp"
#include "storage/overlay.hpp"
#include "xc/config.hpp"
#include "xc/paths.hpp"

namespace xc {

storage::Layout layoutOf(const ContainerConfig& cfg);

struct Dependent {
    std::string name;
    bool onWritable = false;  // uses the layer the origin writes to (its rootfs, or its upper)
};

// The containers of `base` with a lower layer of `origin` (its rootfs, its
// upper layer, or anything under its directory), sorted by name.
std::vector<Dependent> dependentsOf(const HostPaths& host, const ContainerPaths& origin, const ContainerConfig& cfg);

// "a, b" of the dependents (all of them, or only those on the writable layer).
std::string dependentNames(const std::vector<Dependent>& deps, bool onlyWritable);

// Records `clone` (about to exist with this layout) with each container of
// its base that its lower layers lie in. Lower layers outside every
// container's directory (a rootfs kept elsewhere) send the base back to a
// full index at the next look-up.
Status recordDependencies(const HostPaths& host, const ContainerPaths& clone, const storage::Layout& layout);

// Drops the records `clone` left with its origins (it is destroyed or renamed).
void forgetDependencies(const ContainerPaths& clone, const storage::Layout& layout);

}  // namespace xc
