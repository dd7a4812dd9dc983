// Snapshot clones and what they depend on: a clone's lower layers are
// another container's rootfs (dir) or upper and lower layers (overlay).
// Nothing records the dependency but the clones' own configs, so it is
// found by reading the configs of the base's containers.
#pragma once

#include <string>
#include <vector>

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

}  // namespace xc
