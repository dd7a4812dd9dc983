// File data and extended attributes of a tree copy (copy_internal.hpp).
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "storage/copy_internal.hpp"

namespace xc::storage {

namespace {

constexpr size_t kChunk = 1 << 20;

// pread/pwrite, for file systems (pairs) that copy_file_range refuses.
Status copyByReadWrite(int in, int out, off_t off, off_t len, uint64_t& bytes) {
    std::vector<char> buf(kChunk);
    while (len > 0) {
        size_t want = static_cast<size_t>(std::min<off_t>(len, static_cast<off_t>(buf.size())));
        ssize_t n = ::pread(in, buf.data(), want, off);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return Error::sys("read data");
        if (n == 0) return {};  // the file shrank: what is left is a hole
        for (ssize_t done = 0; done < n;) {
            ssize_t w = ::pwrite(out, buf.data() + done, static_cast<size_t>(n - done), off + done);
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) return Error::sys("write data");
            done += w;
        }
        off += n;
        len -= n;
        bytes += static_cast<uint64_t>(n);
    }
    return {};
}

// One data segment [off, off+len).
Status copyRange(int in, int out, off_t off, off_t len, uint64_t& bytes) {
    loff_t inOff = off, outOff = off;
    while (len > 0) {
        ssize_t n = ::copy_file_range(in, &inOff, out, &outOff, static_cast<size_t>(std::min<off_t>(len, 1 << 30)), 0);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
            return copyByReadWrite(in, out, inOff, len, bytes);
        if (n < 0) return Error::sys("copy data");
        if (n == 0) return {};
        len -= n;
        bytes += static_cast<uint64_t>(n);
    }
    return {};
}

}  // namespace

Result<DataCopied> copyData(int in, int out, off_t size) {
    DataCopied d;
    if (size == 0) return d;
    if (::ioctl(out, FICLONE, in) == 0) {
        d.reflinked = true;
        d.bytes = static_cast<uint64_t>(size);
        return d;
    }
    off_t pos = 0;
    while (pos < size) {
        off_t data = ::lseek(in, pos, SEEK_DATA);
        if (data < 0 && errno == ENXIO) break;  // only a hole is left
        off_t hole = size;
        if (data < 0) {
            if (errno != EINVAL) return Error::sys("find data in the file");
            data = pos;  // no SEEK_DATA here: all of it is data
        } else {
            hole = ::lseek(in, data, SEEK_HOLE);
            if (hole < 0) return Error::sys("find holes in the file");
        }
        if (hole > size) hole = size;
        if (data >= hole) break;
        XC_TRY(copyRange(in, out, data, hole - data, d.bytes));
        pos = hole;
    }
    if (::ftruncate(out, size) < 0) return Error::sys("set the size");
    return d;
}

namespace {

std::string procPath(const XattrNode& n) { return "/proc/self/fd/" + std::to_string(n.dirFd) + "/" + n.name; }

ssize_t listOf(const XattrNode& n, char* buf, size_t size) {
    return n.fd >= 0 ? ::flistxattr(n.fd, buf, size) : ::llistxattr(procPath(n).c_str(), buf, size);
}
ssize_t getOf(const XattrNode& n, const char* key, void* buf, size_t size) {
    return n.fd >= 0 ? ::fgetxattr(n.fd, key, buf, size) : ::lgetxattr(procPath(n).c_str(), key, buf, size);
}
int setOf(const XattrNode& n, const char* key, const void* val, size_t size) {
    return n.fd >= 0 ? ::fsetxattr(n.fd, key, val, size, 0) : ::lsetxattr(procPath(n).c_str(), key, val, size, 0);
}

Result<std::vector<char>> listNames(const XattrNode& n) {
    for (;;) {
        ssize_t need = listOf(n, nullptr, 0);
        if (need < 0 && (errno == ENOTSUP || errno == ENODATA)) return std::vector<char>();
        if (need < 0) return Error::sys("list extended attributes");
        std::vector<char> names(static_cast<size_t>(need));
        ssize_t got = need ? listOf(n, names.data(), names.size()) : 0;
        if (got < 0 && errno == ERANGE) continue;  // grew meanwhile
        if (got < 0) return Error::sys("list extended attributes");
        names.resize(static_cast<size_t>(got));
        return names;
    }
}

Result<std::vector<char>> valueOf(const XattrNode& n, const char* key) {
    for (;;) {
        ssize_t need = getOf(n, key, nullptr, 0);
        if (need < 0) return Error::sys(std::string("read extended attribute ") + key);
        std::vector<char> v(static_cast<size_t>(need));
        ssize_t got = need ? getOf(n, key, v.data(), v.size()) : 0;
        if (got < 0 && errno == ERANGE) continue;
        if (got < 0) return Error::sys(std::string("read extended attribute ") + key);
        v.resize(static_cast<size_t>(got));
        return v;
    }
}

}  // namespace

Status copyXattrs(const XattrNode& from, const XattrNode& to) {
    XC_ASSIGN(std::vector<char> names, listNames(from));
    for (size_t pos = 0; pos < names.size();) {
        const char* key = names.data() + pos;
        size_t len = ::strnlen(key, names.size() - pos);
        pos += len + 1;
        if (len == 0) continue;
        auto value = valueOf(from, key);
        if (!value && value.error().code() == ENODATA) continue;  // removed meanwhile
        if (!value) return std::move(value).error();
        if (setOf(to, key, value->data(), value->size()) < 0)
            return Error::sys(std::string("set extended attribute ") + key);
    }
    return {};
}

}  // namespace xc::storage
