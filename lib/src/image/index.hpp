// Image server indexes, as lxc-download and Incus read them: simplestreams
// (streams/v1/index.json naming a products file whose products have
// versions with items carrying path, sha256, size and ftype) and LXC's
// meta/1.0/index-system ("dist;release;arch;variant;build;path" lines, the
// ".<compat>" index first). Pure parsing here; readServerIndex fetches.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "xc/result.hpp"

namespace xc::image {

class Fetcher;

struct RemoteFile {
    std::string name;    // the name in the cache: "rootfs.tar.xz" or "meta.tar.xz"
    std::string path;    // relative to the server's base URL, no leading '/'
    std::string sha256;  // "" if the index gives none
    uint64_t size = 0;   // 0 if unknown
};

struct RemoteImage {
    std::string dist, release, arch, variant, build;
    std::string index;               // "simplestreams" or "meta/1.0"
    RemoteFile rootfs;
    std::vector<RemoteFile> meta;    // the metadata tarball, if the image has one
};

// What to match; "" matches anything.
struct ImageQuery {
    std::string dist, release, arch, variant;
};

// The products file named by a simplestreams index.json.
Result<std::string> simplestreamsProductsPath(const std::string& indexJson);
// The newest version of each matching product of a products file that has
// a rootfs (root.tar.xz or rootfs.tar.xz) and its metadata (lxd.tar.xz or
// meta.tar.xz), sorted by dist, release, arch, variant.
Result<std::vector<RemoteImage>> parseSimplestreamsProducts(const std::string& productsJson, const ImageQuery& q);
// The matching lines of an LXC meta/1.0 index.
std::vector<RemoteImage> parseLxcIndex(const std::string& text, const ImageQuery& q);
// "sha256  name" lines (sha256sum's output) for the names given.
void applyChecksumList(const std::string& text, RemoteImage& img);

// The LXC compat level of the index asked for first (lxc-download's).
constexpr int kLxcCompatLevel = 7;

// The server's images: simplestreams first, then meta/1.0 (when the server
// has no simplestreams index or it lists no matching image). base is the
// server's URL without a trailing '/'. For meta/1.0 images, a SHA256SUMS
// file in the image's directory is used when the server has one.
Result<std::vector<RemoteImage>> readServerIndex(Fetcher& f, const std::string& base, const ImageQuery& q);

}  // namespace xc::image
