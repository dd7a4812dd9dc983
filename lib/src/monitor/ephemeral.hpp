// Ephemeral containers (xc-clone -e): a file `ephemeral` in the
// container's directory marks one. Its supervisor removes the container
// when it stops, while still holding the run lock (so the stop's caller
// finds it gone); one whose supervisor was killed is removed by the next
// sweep (cleanInterrupted: xc-ls, xc-clone).
#pragma once

#include <string>

#include "xc/config.hpp"
#include "xc/log.hpp"
#include "xc/paths.hpp"

namespace xc {

inline std::string ephemeralMarker(const ContainerPaths& p) { return p.dir() + "/ephemeral"; }

// If the marker is there: the destroy hooks, then the directory renamed
// to BASE/.xc-trash-NAME-XXXXXX in one step and removed from there (a kill
// meanwhile leaves only the hidden directory, which the next create,
// destroy or ls removes). Failures are logged.
void destroyIfEphemeral(const ContainerPaths& p, const ContainerConfig& cfg, const Log& log);

}  // namespace xc
