#include "xc/log.hpp"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>

#include "base/fsutil.hpp"

namespace xc {

namespace {
const char* const kNames[] = {"TRACE", "DEBUG", "INFO", "NOTICE", "WARN", "ERROR", "FATAL"};
}

const char* logLevelName(LogLevel level) { return kNames[static_cast<int>(level)]; }

Result<LogLevel> parseLogLevel(const std::string& text) {
    std::string up = text;
    std::transform(up.begin(), up.end(), up.begin(), [](unsigned char c) { return std::toupper(c); });
    if (up == "WARNING") up = "WARN";
    for (int i = 0; i <= static_cast<int>(LogLevel::Fatal); ++i)
        if (up == kNames[i]) return static_cast<LogLevel>(i);
    return Error::msg("unknown log level '" + text +
                      "' (use TRACE, DEBUG, INFO, NOTICE, WARN, ERROR or FATAL)", EINVAL);
}

Result<Log> Log::open(const std::string& path, LogLevel level, std::string prefix) {
    // A log may live where a container can write (a shared directory):
    // never through a link, only a regular file.
    auto fd = openAppendNoFollow(path, 0640);
    if (!fd) return std::move(fd).error().wrap("open log file " + path);
    Log log;
    log.fd_ = std::move(*fd);
    log.level_ = level;
    log.prefix_ = std::move(prefix);
    return log;
}

Result<Log> Log::openNamed(const std::string& path, LogLevel level, std::string prefix) {
    XC_TRY_CTX(makeParentDirs(path, 0755), "open log file " + path);
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    if (fd < 0) return Error::sys("open log file " + path);
    Log log;
    log.fd_.reset(fd);
    log.level_ = level;
    log.prefix_ = std::move(prefix);
    return log;
}

void Log::write(LogLevel l, const std::string& text) const {
    if (!enabled(l)) return;
    struct timeval tv;
    gettimeofday(&tv, nullptr);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char stamp[64];
    std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, tv.tv_usec / 1000);
    std::string line = std::string(stamp) + " " + prefix_ + " " + logLevelName(l) + " " + text + "\n";
    // One write() per line keeps concurrent writers' lines whole (O_APPEND).
    (void)out_.append(fd_.get(), line.data(), line.size());
}

bool AppendWriter::writeAll(int fd, const char* data, size_t size, size_t& done) {
    done = 0;
    while (done < size) {
        ssize_t n = ::write(fd, data + done, size - done);
        if (n > 0) {
            done += static_cast<size_t>(n);
            written_ += static_cast<uint64_t>(n);
            midLine_ = data[done - 1] != '\n';
            continue;
        }
        if (n < 0 && errno == EINTR) continue;
        err_ = n < 0 ? errno : ENOSPC;  // a write of 0 bytes: nothing more fits
        return false;
    }
    return true;
}

void AppendWriter::lose(const char* data, size_t size, int err) {
    if (lost_ == 0 && !lostMidLine_) gapBegan_ = true;
    err_ = err;
    for (size_t i = 0; i < size; ++i)
        if (data[i] == '\n') ++lost_;
    if (size > 0) lostMidLine_ = data[size - 1] != '\n';
}

bool AppendWriter::append(int fd, const char* data, size_t size) {
    gapBegan_ = false;
    if (fd < 0) return false;
    size_t done = 0;
    if (lost_ > 0 || lostMidLine_) {
        uint64_t n = linesLost();
        std::string mark = std::string(midLine_ ? "\n" : "") + "[xc: " + std::to_string(n) +
                           (n == 1 ? " line" : " lines") + " lost: " + std::strerror(err_) + "]\n";
        if (!writeAll(fd, mark.data(), mark.size(), done)) {
            lose(data, size, err_);
            return false;
        }
        lost_ = 0;
        lostMidLine_ = false;
    }
    if (writeAll(fd, data, size, done)) return true;
    lose(data + done, size - done, err_);
    return false;
}

}  // namespace xc
