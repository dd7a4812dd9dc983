// The xc config of an imported container, made from a mapping with the
// repo's config code: buildCreateConfig's base (name, rootfs, hostname),
// then every mapped key set through ConfigEditor, which checks each edit
// against the whole schema. A key xc refuses turns its row into "not
// imported" with xc's reason; interfaces and mounts are checked one whole
// element at a time (their keys only make sense together), idmaps all
// together (a 'u' map needs its 'g' one).
#pragma once

#include <string>

#include "lxcimport/lxc_map.hpp"
#include "xc/result.hpp"

namespace xc::lxcimport {

Result<std::string> buildXcConfig(Mapping& m, const std::string& name, const std::string& rootfsPath,
                                  const std::string& configPath);

}  // namespace xc::lxcimport
