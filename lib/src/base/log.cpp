#include "xc/log.hpp"

#include <fcntl.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
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
    ssize_t n = ::write(fd_.get(), line.data(), line.size());
    (void)n;
}

}  // namespace xc
