// The OCI layer store (CACHE/oci/layers, filled by the oci template): what
// it holds, who uses it, and removing what nobody uses (xc-image).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "xc/paths.hpp"
#include "xc/result.hpp"

namespace xc {

struct LayerUse {
    std::string id;                  // the diff_id (SHA-256 of the uncompressed layer), hex
    std::string path;
    uint64_t bytes = 0;              // disk used, as du counts it
    std::vector<std::string> users;  // "BASE/NAME" of the containers, snapshots and creations naming it
};

// The store's directory for this host's settings (cache_dir of xc.conf,
// XC_CACHE): CACHE/oci.
Result<std::string> layerStoreDir(const HostPaths& host);

// Every stored layer and who uses it.
Result<std::vector<LayerUse>> storedLayers(const HostPaths& host);

// Removes (with dryRun: only lists) the layers no container, snapshot or
// creation in progress uses, under the store's exclusive lock: a creation
// that is adding layers finishes first.
Result<std::vector<LayerUse>> pruneLayers(const HostPaths& host, bool dryRun);

}  // namespace xc
