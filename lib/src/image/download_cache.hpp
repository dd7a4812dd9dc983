// The download template's image cache: CACHE/download/<dist>/<release>/
// <arch>/<variant>/ holding rootfs.tar.xz, meta.tar.xz (when the image has
// one), their .asc signatures (when they were checked) and build_id. Held
// under the lock file <variant>.lock beside it (which stays) for as long as
// the owner lives, so a flush or refill by another create never removes an
// image being unpacked. Filled in a temporary directory beside it
// (.<variant>.new.XXXXXX) that replaces the old one in one renameat2
// exchange, so a failure or a kill leaves no half cache (the next fill
// removes what a kill left).
#pragma once

#include <functional>
#include <optional>
#include <string>

#include "base/lock.hpp"
#include "image/index.hpp"
#include "xc/result.hpp"

namespace xc::image {

class Fetcher;

struct CacheEntry {
    std::string dir;
    std::string build;     // build_id
    bool hasMeta = false;
    bool hasSignatures = false;
    std::string rootfs() const { return dir + "/rootfs.tar.xz"; }
    std::string meta() const { return hasMeta ? dir + "/meta.tar.xz" : ""; }
};

// What fill() checked, for the template's output.
struct FillReport {
    CacheEntry entry;
    bool checksums = false;  // every file had a SHA-256 (index or SHA256SUMS) and matched
    uint64_t bytes = 0;
};

class DownloadCache {
public:
    // Checks each component ([A-Za-z0-9._+-], not "." or ".."), makes the
    // parent directories and takes the lock (waiting for another holder).
    static Result<DownloadCache> open(const std::string& cacheRoot, const ImageQuery& q);

    const std::string& dir() const { return dir_; }
    // The cached image, if there is a complete one.
    std::optional<CacheEntry> current() const;
    Status flush();

    // A signature check of file against its detached signature sig.
    using Verify = std::function<Status(const std::string& file, const std::string& sig)>;
    // Downloads img's files from base into a new directory, checks each
    // against its SHA-256 (the index's, or for meta/1.0 images a SHA256SUMS
    // file beside them when the server has one) and, with verify, its .asc
    // signature; then it replaces the cache.
    Result<FillReport> fill(Fetcher& f, const std::string& base, RemoteImage img, const Verify& verify);

private:
    void removeLeftovers() const;
    std::string parent_, leaf_, dir_;
    std::optional<RunLock> lock_;
};

}  // namespace xc::image
