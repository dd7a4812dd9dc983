// Owner of one libcurl transfer handle: files and index texts from an image
// server over HTTPS (HTTP only when the caller allows it, for a URL that
// says http://). Connect and low-speed timeouts; retries of transient
// failures (a dropped connection, a timeout, a 5xx), resuming a partial file
// with a Range request; SHA-256 of a file computed while it is written
// (OpenSSL EVP, no second read). Proxies come from the environment
// (https_proxy, http_proxy, no_proxy: libcurl's own handling).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "xc/result.hpp"

namespace xc::image {

struct FetchProgress {
    std::string label;      // "rootfs.tar.xz"
    uint64_t done = 0;      // bytes of the file so far (resumed ones included)
    uint64_t total = 0;     // 0 if unknown
    double seconds = 0;     // since the file's first request
    bool finished = false;  // the last call for this file
};

struct FetchOptions {
    std::string caFile;              // CA bundle for the server's certificate ("" = the system's)
    bool allowHttp = false;          // plain http:// URLs (and redirects to them)
    long connectTimeoutSeconds = 10;
    long lowSpeedSeconds = 30;       // abort a transfer under lowSpeedBytes/s for this long
    long lowSpeedBytes = 1;
    int retries = 3;                 // attempts after the first, for transient failures
    std::function<void(const FetchProgress&)> progress;
};

struct FetchedFile {
    std::string sha256;  // lower-case hex
    uint64_t bytes = 0;
    int resumes = 0;     // how many times a Range request continued it
};

class Fetcher {
public:
    static Result<Fetcher> make(FetchOptions options);

    // The body of url (at most maxBytes). A 404 or 410 is ENOENT, so that a
    // caller can try another index.
    Result<std::string> text(const std::string& url, size_t maxBytes = 64u << 20);
    // url into the new file path (created 0644, exclusive). If expectSha256
    // is given, a different digest is refused naming both, and the file is
    // removed; on any failure the file is removed.
    Result<FetchedFile> file(const std::string& url, const std::string& path, const std::string& label,
                             const std::string& expectSha256 = "", uint64_t expectSize = 0);

    const FetchOptions& options() const { return opt_; }

private:
    struct Free {
        void operator()(void* h) const;
    };
    Status prepare(const std::string& url);
    std::unique_ptr<void, Free> h_;
    FetchOptions opt_;
};

}  // namespace xc::image
