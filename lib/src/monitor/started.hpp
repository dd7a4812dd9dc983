// What a running container was started with: the supervisor saves the
// config in effect at start (includes expanded, ConfigEditor::flattened)
// as RUNDIR/NAME.started, 0600, before the init runs, and removes it when
// the container stops, before it lets go of the run lock. xc-config apply
// compares the config file with it.
#pragma once

#include <string>

#include "xc/paths.hpp"
#include "xc/result.hpp"

namespace xc {

Status saveStartedConfig(const ContainerPaths& paths, const std::string& configFile);
void dropStartedConfig(const ContainerPaths& paths);

}  // namespace xc
