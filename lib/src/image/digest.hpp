// SHA-256 over OpenSSL's EVP API, streaming: an owner of the digest context
// and the check of a file against an expected digest (an OCI blob, a
// cached image) in one read.
#pragma once

#include <memory>
#include <string>

#include "xc/result.hpp"

struct evp_md_ctx_st;

namespace xc::image {

class Sha256 {
public:
    Sha256();
    void update(const void* data, size_t len);
    // Starts over, as if nothing had been given.
    void reset();
    // The lower-case hex digest of everything given so far (once).
    std::string hex();
    bool ok() const { return ctx_ != nullptr; }

private:
    struct Free {
        void operator()(evp_md_ctx_st* c) const;
    };
    std::unique_ptr<evp_md_ctx_st, Free> ctx_;
};

// The hex SHA-256 of the regular file at path.
Result<std::string> sha256OfFile(const std::string& path);

// "sha256:HEX" -> HEX, checked (64 lower-case hex digits); other
// algorithms are refused by name.
Result<std::string> sha256Hex(const std::string& digest);

}  // namespace xc::image
