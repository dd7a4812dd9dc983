#include "image/archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>

#include "image/digest.hpp"

namespace xc::image {

void ArchiveReader::Free::operator()(struct archive* a) const {
    if (a) archive_read_free(a);
}

// The decompressed stream of a layer file, read by the tar reader through
// callbacks, hashed on the way.
struct ArchiveReader::Hashing {
    std::unique_ptr<struct archive, Free> raw;
    Sha256 sha, fileSha;  // the uncompressed stream; the file as stored
    int fd = -1;
    std::string rawError;
    char buf[1 << 16];
    char in[1 << 16];
};

void ArchiveReader::HashingFree::operator()(Hashing* h) const { delete h; }

namespace {

Result<UniqueFd> openRegular(const std::string& path) {
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!fd) return Error::sys("open");
    struct stat st;
    if (::fstat(fd.get(), &st) != 0) return Error::sys("stat");
    if (!S_ISREG(st.st_mode)) return Error::msg("not a regular file", EINVAL);
    int flags = ::fcntl(fd.get(), F_GETFL);
    ::fcntl(fd.get(), F_SETFL, flags & ~O_NONBLOCK);
    return fd;
}

void tarFormats(struct archive* a) {
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
}

}  // namespace

Result<ArchiveReader> ArchiveReader::openFile(const std::string& path) {
    ArchiveReader r;
    r.path_ = path;
    XC_ASSIGN(r.fd_, openRegular(path));
    r.a_.reset(archive_read_new());
    if (!r.a_) return Error::sys(ENOMEM, "archive_read_new");
    archive_read_support_filter_all(r.a_.get());
    tarFormats(r.a_.get());
    if (archive_read_open_fd(r.a_.get(), r.fd_.get(), 1 << 20) != ARCHIVE_OK)
        return Error::msg("not a tar archive: " + r.errorText(), EINVAL);
    return r;
}

Result<ArchiveReader> ArchiveReader::openFileHashing(const std::string& path) {
    ArchiveReader r;
    r.path_ = path;
    XC_ASSIGN(r.fd_, openRegular(path));
    r.hashing_.reset(new Hashing);
    Hashing& h = *r.hashing_;
    if (!h.sha.ok()) return Error::msg("SHA-256: OpenSSL failed", EIO);
    h.raw.reset(archive_read_new());
    r.a_.reset(archive_read_new());
    if (!h.raw || !r.a_) return Error::sys(ENOMEM, "archive_read_new");
    archive_read_support_filter_all(h.raw.get());
    archive_read_support_format_raw(h.raw.get());
    h.fd = r.fd_.get();
    auto readFile = [](struct archive* a, void* self, const void** out) -> la_ssize_t {
        auto* hs = static_cast<Hashing*>(self);
        ssize_t n;
        do n = ::read(hs->fd, hs->in, sizeof hs->in);
        while (n < 0 && errno == EINTR);
        if (n < 0) {
            archive_set_error(a, errno, "read: %s", std::strerror(errno));
            return -1;
        }
        hs->fileSha.update(hs->in, static_cast<size_t>(n));
        *out = hs->in;
        return n;
    };
    archive_entry* whole = nullptr;
    if (archive_read_open(h.raw.get(), &h, nullptr, readFile, nullptr) != ARCHIVE_OK ||
        archive_read_next_header(h.raw.get(), &whole) != ARCHIVE_OK) {
        const char* s = archive_error_string(h.raw.get());
        return Error::msg(std::string("cannot read it: ") + (s ? s : "unknown format"), EINVAL);
    }
    tarFormats(r.a_.get());
    auto read = [](struct archive*, void* self, const void** out) -> la_ssize_t {
        auto* hs = static_cast<Hashing*>(self);
        la_ssize_t n = archive_read_data(hs->raw.get(), hs->buf, sizeof hs->buf);
        if (n < 0) {
            const char* s = archive_error_string(hs->raw.get());
            hs->rawError = s ? s : "decompression failed";
            return -1;
        }
        hs->sha.update(hs->buf, static_cast<size_t>(n));
        *out = hs->buf;
        return n;
    };
    if (archive_read_open(r.a_.get(), &h, nullptr, read, nullptr) != ARCHIVE_OK)
        return Error::msg("not a tar archive: " + r.errorText(), EINVAL);
    return r;
}

Result<ArchiveReader::Digests> ArchiveReader::finishHashing() {
    if (!hashing_) return Error::msg("not opened for hashing", EINVAL);
    Hashing& h = *hashing_;
    for (;;) {
        la_ssize_t n = archive_read_data(h.raw.get(), h.buf, sizeof h.buf);
        if (n < 0) {
            const char* why = archive_error_string(h.raw.get());
            return Error::msg(std::string("read the end of the stream: ") + (why ? why : "failed"), EIO);
        }
        if (n == 0) break;
        h.sha.update(h.buf, static_cast<size_t>(n));
    }
    // What follows the compressed stream is part of the file as stored.
    for (;;) {
        ssize_t n = ::read(h.fd, h.in, sizeof h.in);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::sys("read");
        if (n == 0) break;
        h.fileSha.update(h.in, static_cast<size_t>(n));
    }
    return Digests{h.sha.hex(), h.fileSha.hex()};
}

Result<archive_entry*> ArchiveReader::next() {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a_.get(), &e);
    if (rc == ARCHIVE_EOF) return static_cast<archive_entry*>(nullptr);
    if (rc < ARCHIVE_WARN) return Error::msg(errorText(), EINVAL);
    return e;
}

std::string ArchiveReader::errorText() const {
    if (hashing_ && !hashing_->rawError.empty()) return hashing_->rawError;
    const char* s = archive_error_string(a_.get());
    if (s && *s) return s;
    int e = archive_errno(a_.get());
    return e ? std::string("errno ") + std::to_string(e) : "not a tar archive or a damaged one";
}

}  // namespace xc::image
