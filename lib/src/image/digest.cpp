#include "image/digest.hpp"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <vector>

#include "xc/fd.hpp"

namespace xc::image {

void Sha256::Free::operator()(evp_md_ctx_st* c) const { EVP_MD_CTX_free(c); }

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) ctx_.reset();
}

void Sha256::reset() {
    if (ctx_ && EVP_DigestInit_ex(ctx_.get(), EVP_sha256(), nullptr) != 1) ctx_.reset();
}

void Sha256::update(const void* data, size_t len) {
    if (ctx_) EVP_DigestUpdate(ctx_.get(), data, len);
}

std::string Sha256::hex() {
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;
    if (!ctx_ || EVP_DigestFinal_ex(ctx_.get(), d, &n) != 1) return "";
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < n; ++i) {
        out.push_back(digits[d[i] >> 4]);
        out.push_back(digits[d[i] & 15]);
    }
    return out;
}

Result<std::string> sha256OfFile(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
    if (!fd) return Error::sys("open " + path);
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return Error::sys("stat " + path);
    if (!S_ISREG(st.st_mode)) return Error::msg(path + ": not a regular file", EINVAL);
    Sha256 h;
    if (!h.ok()) return Error::msg("SHA-256: OpenSSL failed", EIO);
    std::vector<char> buf(1 << 20);
    for (;;) {
        ssize_t n = ::read(fd.get(), buf.data(), buf.size());
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::sys("read " + path);
        if (n == 0) break;
        h.update(buf.data(), static_cast<size_t>(n));
    }
    return h.hex();
}

Result<std::string> sha256Hex(const std::string& digest) {
    size_t colon = digest.find(':');
    std::string algo = colon == std::string::npos ? "" : digest.substr(0, colon);
    if (algo != "sha256")
        return Error::msg("digest '" + digest + "': only sha256 digests are supported", ENOTSUP);
    std::string hex = digest.substr(colon + 1);
    bool good = hex.size() == 64;
    for (char c : hex) good = good && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!good) return Error::msg("digest '" + digest + "': not 64 lower-case hex digits", EINVAL);
    return hex;
}

}  // namespace xc::image
