// The layer store: each OCI layer unpacked once, under the SHA-256 of its
// uncompressed tar (its diff_id: content-addressed), into
// CACHE/oci/layers/<diff_id>/, as an overlayfs lower layer (OCI whiteouts
// turned into overlayfs's); a tree that comes as a directory (the debian
// and ubuntu templates' debootstrap cache) is copied in once under the
// SHA-256 of the tree (tree_digest.hpp). Containers made with -B overlay
// name these directories as their read-only lower layers and share them.
//
// Who uses a layer is read from the containers themselves, never from a
// counter that a crash could leave wrong: every base directory a container
// was made in from the store is recorded (CACHE/oci/bases), and a layer is
// in use while a config, snapshot or creation in progress in one of those
// bases names it. Prune removes the others under the store's exclusive
// lock; creations hold it shared from the first layer they add until their
// container's config names the layers.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "image/oci.hpp"
#include "image/unpack.hpp"
#include "xc/fd.hpp"
#include "xc/layers.hpp"
#include "xc/result.hpp"

namespace xc::image {

// flock(2) of CACHE/oci/lock, shared or exclusive.
class StoreLock {
public:
    static Result<StoreLock> take(const std::string& storeDir, bool exclusive);

private:
    UniqueFd fd_;
};

class LayerStore {
public:
    explicit LayerStore(std::string dir) : dir_(std::move(dir)) {}
    const std::string& dir() const { return dir_; }
    std::string layersDir() const { return dir_ + "/layers"; }
    std::string layerPath(const std::string& diffId) const { return layersDir() + "/" + diffId; }

    // The layer's directory, unpacked now if the store lacks it: into a
    // hidden directory beside, checked against the layer's digest and
    // diff_id in the same pass, then renamed into place (a concurrent
    // creation of the same layer: the first one wins). `added` says
    // whether it was unpacked now.
    Result<std::string> ensure(const OciImage& image, const OciLayer& layer, bool& added,
                               const std::function<void(uint64_t)>& progress = {});
    // The directory `tree` as a layer, copied in now if the store lacks a
    // layer of its digest: into a hidden directory beside, whose digest
    // must equal the source's, then renamed into place. `stamp` (a file
    // beside the tree, or "") remembers the digest of one version of the
    // tree (its root's device, inode, mtime and ctime): while they match
    // and the layer is there, the tree is not read again.
    Result<TreeLayer> addTree(const std::string& tree, const std::string& stamp);
    // Records the base directory a container is being made in.
    Status recordBase(const std::string& base);

    // Every layer with the containers that use it.
    Result<std::vector<LayerUse>> uses() const;
    // Removes the layers nobody uses (only lists them with dryRun), and
    // what interrupted unpacks left; the caller holds the exclusive lock.
    Result<std::vector<LayerUse>> prune(bool dryRun);

private:
    Result<std::vector<std::string>> bases() const;
    std::string dir_;
};

// -B dir: the image's layers applied in order onto the empty tree open at
// rootFd (whiteouts delete what lower layers made), each checked against
// its digest and diff_id.
Result<UnpackStats> applyLayers(const OciImage& image, int rootFd, const std::function<void(size_t, uint64_t)>& progress = {});

}  // namespace xc::image
