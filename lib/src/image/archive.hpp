// Owner of a libarchive reader over a tar file (plain, or compressed with
// xz, gzip, zstd, bzip2, lz4, lzma: whatever libarchive's filters read).
// Only tar formats are accepted (ustar, pax, GNU): an image is a tarball.
#pragma once

#include <memory>
#include <string>

#include "xc/fd.hpp"
#include "xc/result.hpp"

struct archive;
struct archive_entry;

namespace xc::image {

class ArchiveReader {
public:
    // Opens the regular file at path for reading (a FIFO or device is
    // refused). Errors do not name path: the caller's context does.
    static Result<ArchiveReader> openFile(const std::string& path);
    // The same, and the file and its uncompressed tar stream both go
    // through a SHA-256 as they are read (an OCI layer's digest and its
    // diff_id): a decompressing reader of the file feeds the tar reader.
    static Result<ArchiveReader> openFileHashing(const std::string& path);
    struct Digests {
        std::string tar, file;  // lower-case hex
    };
    // After the last member: reads the rest of the stream (the tar's end
    // blocks and padding, what follows the compressed data) and gives both.
    Result<Digests> finishHashing();

    // The next member's header; nullptr after the last one.
    Result<archive_entry*> next();
    // libarchive's text for the last failure ("Truncated tar archive").
    std::string errorText() const;
    struct archive* get() const { return a_.get(); }
    const std::string& path() const { return path_; }

private:
    struct Free {
        void operator()(struct archive* a) const;
    };
    struct Hashing;
    struct HashingFree {
        void operator()(Hashing* h) const;
    };
    std::unique_ptr<Hashing, HashingFree> hashing_;  // a_ reads from it: declared first, freed last
    std::unique_ptr<struct archive, Free> a_;
    UniqueFd fd_;
    std::string path_;
};

}  // namespace xc::image
