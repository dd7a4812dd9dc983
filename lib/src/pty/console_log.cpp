#include "pty/console_log.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <set>
#include <utility>

#include "base/fsutil.hpp"
#include "pty/terminal.hpp"

namespace xc {

namespace {

constexpr mode_t kLogMode = 0640;

std::string numbered(const std::string& name, unsigned i) { return i == 0 ? name : name + "." + std::to_string(i); }

}  // namespace

std::vector<std::string> rotatedLogFiles(const std::string& path, unsigned count) {
    std::vector<std::string> out;
    for (unsigned i = count; i > 0; --i) out.push_back(numbered(path, i));
    out.push_back(path);
    return out;
}

size_t rotationCut(const char* data, size_t n, uint64_t used, uint64_t limit) {
    if (limit == 0 || used + n <= limit) return n;
    size_t fits = used >= limit ? 0 : static_cast<size_t>(limit - used);
    for (size_t i = fits; i > 0; --i)
        if (data[i - 1] == '\n') return i;
    return used == 0 ? fits : 0;
}

Result<ConsoleLogFile> ConsoleLogFile::open(const std::string& path, uint64_t limit, unsigned count) {
    ConsoleLogFile f;
    f.path_ = path;
    f.limit_ = limit;
    f.count_ = count;
    XC_ASSIGN(DirEntry at, openParentNoFollow(path).ctx("open console log " + path));
    f.dir_ = std::move(at.dir);
    f.name_ = std::move(at.name);
    XC_ASSIGN(f.fd_, openAppendAt(f.dir_.get(), f.name_, path, kLogMode).ctx("open console log " + path));
    // The one stat: what an earlier boot left in it counts towards the limit.
    struct stat st;
    if (::fstat(f.fd_.get(), &st) < 0) return Error::sys("stat console log " + path);
    f.used_ = static_cast<uint64_t>(st.st_size);
    return f;
}

Status ConsoleLogFile::append(const char* data, size_t n) {
    Status result;
    while (n > 0) {
        size_t cut = rotationCut(data, n, used_, limit_);
        if (cut > 0) {
            Status st = write(data, cut);
            if (!st && result) result = std::move(st);
            data += cut;
            n -= cut;
        }
        if (n == 0) break;
        Status st = rotate();
        if (!st) {
            // Kept in this file; the next try once another `limit` bytes
            // came. Said once, until a rotation works again.
            used_ = 0;
            if (!rotateFailing_ && result) result = std::move(st);
        }
        rotateFailing_ = !st;
    }
    return result;
}

Status ConsoleLogFile::write(const char* data, size_t n) {
    uint64_t before = out_.written();
    bool ok = out_.append(fd_.get(), data, n);
    used_ += out_.written() - before;
    if (ok || !out_.gapBegan()) return {};
    return Error::msg("console log " + path_ + ": " + std::strerror(out_.lastError()) +
                          ": counting the lines lost until it can be written again",
                      out_.lastError());
}

Status ConsoleLogFile::rotate() {
    int dir = dir_.get();
    auto fail = [&](const std::string& what) {
        return Error::sys(what).wrap("console log " + path_ + ": not rotated (writing on in it)");
    };
    if (count_ == 0) {
        if (::unlinkat(dir, name_.c_str(), 0) < 0 && errno != ENOENT) return fail("remove " + name_);
    } else {
        // FILE.count is replaced; each rename moves a name, never through a link.
        for (unsigned i = count_; i > 1; --i) {
            std::string from = numbered(name_, i - 1), to = numbered(name_, i);
            if (::renameat(dir, from.c_str(), dir, to.c_str()) < 0 && errno != ENOENT)
                return fail("rename " + from + " to " + to);
        }
        std::string first = numbered(name_, 1);
        if (::renameat(dir, name_.c_str(), dir, first.c_str()) < 0 && errno != ENOENT)
            return fail("rename " + name_ + " to " + first);
    }
    auto fresh = openAppendAt(dir, name_, path_, kLogMode);
    if (!fresh) return std::move(fresh).error().wrap("console log " + path_ + ": open the new file after rotating");
    fd_ = std::move(*fresh);
    used_ = 0;
    return {};
}

Status copyRotatedLog(const std::string& path, unsigned count, int outFd) {
    std::vector<std::string> names = rotatedLogFiles(path, count);
    std::vector<UniqueFd> files(names.size());
    std::set<std::pair<dev_t, ino_t>> seen;
    bool any = false;
    for (size_t i = names.size(); i-- > 0;) {
        auto fd = openReadNoFollow(names[i]);
        if (!fd) {
            if (fd.error().code() == ENOENT) continue;
            return std::move(fd).error().wrap("open console log " + names[i]);
        }
        struct stat st;
        if (::fstat(fd->get(), &st) < 0) return Error::sys("stat console log " + names[i]);
        any = true;
        if (seen.insert({st.st_dev, st.st_ino}).second) files[i] = std::move(*fd);
    }
    if (!any) return Error::msg("console log " + path + " does not exist (yet): nothing was recorded", ENOENT);
    char buf[65536];
    for (size_t i = 0; i < files.size(); ++i) {
        if (!files[i]) continue;
        for (;;) {
            ssize_t n = ::read(files[i].get(), buf, sizeof buf);
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) return Error::sys("read console log " + names[i]);
            if (n == 0) break;
            if (!writeFully(outFd, buf, static_cast<size_t>(n))) return Error::sys("write the console log");
        }
    }
    return {};
}

}  // namespace xc
