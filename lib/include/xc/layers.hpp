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

// A directory tree published as a layer (xc-image add-tree).
struct TreeLayer {
    std::string id;          // the SHA-256 of the tree (tree_digest), hex
    std::string path;        // CACHE/oci/layers/<id>
    bool added = false;      // copied into the store now
    bool fromStamp = false;  // found through the stamp, the tree not read
    uint64_t objects = 0;    // objects hashed (0 with fromStamp)
    uint64_t bytes = 0;      // data hashed
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

// Puts the directory `tree` into the store (LayerStore::addTree, `stamp`
// may be "") under the store's shared lock, having recorded `base` (the
// base directory of the container being made, or "") as one that may name
// layers; then, if `layersOut` is not "", writes the layer's path to it (a
// creation's list, which keeps the layer from a prune until its config
// names it).
Result<TreeLayer> publishTree(const HostPaths& host, const std::string& tree, const std::string& stamp,
                              const std::string& base, const std::string& layersOut);

}  // namespace xc
