// OCI images on disk: an image layout (index.json -> manifest -> config
// and layers, every blob named by its SHA-256) and Docker's `docker save`
// archive (manifest.json -> config and layer tars). Both are hostile input:
// every file is opened beneath the layout's directory (openat2
// RESOLVE_BENEATH), only regular files are read, JSON documents are size
// limited, and every blob read whole (manifests, configs) is checked against
// its digest. Layer blobs are checked where they are unpacked (layer_store,
// applyLayers), in the same pass.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "xc/fd.hpp"
#include "xc/result.hpp"

namespace xc::image {

// -u/--url of the oci template (as lxc-oci): oci:DIR[:TAG],
// oci-archive:FILE[:TAG], docker-archive:FILE[:REPO:TAG], docker://REF.
struct OciReference {
    enum class Kind { Layout, LayoutArchive, DockerArchive, Registry };
    Kind kind = Kind::Layout;
    std::string path;  // the directory or file; the reference for Registry
    std::string tag;   // "" = the image's only one
    std::string shown;  // as given
};
Result<OciReference> parseOciReference(const std::string& url);

struct OciLayer {
    std::string blob;       // its path in the layout (opened with openBlob)
    std::string digest;     // hex SHA-256 of the blob as stored
    std::string diffId;     // hex SHA-256 of the uncompressed tar
    std::string mediaType;  // "" in a docker archive (plain tar)
    uint64_t size = 0;      // bytes of the blob; 0 = not given
};

// The image config's "config": how an application image runs.
struct OciRunConfig {
    std::vector<std::string> entrypoint, cmd, env;
    std::string workingDir, user, stopSignal;
};

struct OciImage {
    std::string shown;  // "oci:/srv/img:1.0", for messages
    std::string architecture, os;
    std::vector<OciLayer> layers;  // bottom first
    OciRunConfig run;
    UniqueFd dir;                  // the layout's directory: blob paths go through it
};

// The blob of a layer, opened beneath the image's directory (a regular
// file): read it as "/proc/self/fd/N" of the fd.
Result<UniqueFd> openBlob(const OciImage& image, const OciLayer& layer);

// The GOARCH name of this machine ("amd64", "arm64", ...).
std::string ociArchitecture();

// The image `tag` (or, without one, the only image) of the OCI layout at
// dir, for the platform linux/arch.
Result<OciImage> readOciLayout(const std::string& dir, const std::string& tag, const std::string& arch);
// The image `tag` ("repo:tag"; none: the only one) of a docker-save tree
// unpacked at dir.
Result<OciImage> readDockerArchive(const std::string& dir, const std::string& tag);

}  // namespace xc::image
