#include "image/archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <sys/stat.h>

namespace xc::image {

void ArchiveReader::Free::operator()(struct archive* a) const {
    if (a) archive_read_free(a);
}

Result<ArchiveReader> ArchiveReader::openFile(const std::string& path) {
    ArchiveReader r;
    r.path_ = path;
    r.fd_.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY));
    if (!r.fd_) return Error::sys("open");
    struct stat st;
    if (::fstat(r.fd_.get(), &st) != 0) return Error::sys("stat");
    if (!S_ISREG(st.st_mode)) return Error::msg("not a regular file", EINVAL);
    int flags = ::fcntl(r.fd_.get(), F_GETFL);
    ::fcntl(r.fd_.get(), F_SETFL, flags & ~O_NONBLOCK);
    r.a_.reset(archive_read_new());
    if (!r.a_) return Error::sys(ENOMEM, "archive_read_new");
    archive_read_support_filter_all(r.a_.get());
    archive_read_support_format_tar(r.a_.get());
    archive_read_support_format_gnutar(r.a_.get());
    if (archive_read_open_fd(r.a_.get(), r.fd_.get(), 1 << 20) != ARCHIVE_OK)
        return Error::msg("not a tar archive: " + r.errorText(), EINVAL);
    return r;
}

Result<archive_entry*> ArchiveReader::next() {
    archive_entry* e = nullptr;
    int rc = archive_read_next_header(a_.get(), &e);
    if (rc == ARCHIVE_EOF) return static_cast<archive_entry*>(nullptr);
    if (rc < ARCHIVE_WARN) return Error::msg(errorText(), EINVAL);
    return e;
}

std::string ArchiveReader::errorText() const {
    const char* s = archive_error_string(a_.get());
    if (s && *s) return s;
    int e = archive_errno(a_.get());
    return e ? std::string("errno ") + std::to_string(e) : "not a tar archive or a damaged one";
}

}  // namespace xc::image
