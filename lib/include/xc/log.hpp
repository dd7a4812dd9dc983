// Logging to a file (and, for errors, the caller's stderr is the tool's job).
// A Log is passed explicitly; there is no global logger.
#pragma once

#include <cstdint>
#include <string>

#include "xc/fd.hpp"
#include "xc/result.hpp"

namespace xc {

enum class LogLevel { Trace = 0, Debug, Info, Notice, Warn, Error, Fatal };

Result<LogLevel> parseLogLevel(const std::string& text);
const char* logLevelName(LogLevel level);

// Appends text to a log file and never loses any silently: a write that
// fails (ENOSPC, EIO) or comes up short is retried for the rest, else the
// lines it lost are counted, and the first write that works again begins
// with one line that marks the gap: "[xc: 13 lines lost: No space left on
// device]" (a line cut short is counted, and the marker starts on a line of
// its own).
class AppendWriter {
public:
    // Writes data to fd; false if some of it was lost.
    bool append(int fd, const char* data, size_t size);
    // Whether the last append began a gap (the caller may warn, once a gap).
    bool gapBegan() const { return gapBegan_; }
    uint64_t linesLost() const { return lost_ + (lostMidLine_ ? 1 : 0); }
    int lastError() const { return err_; }
    // Bytes written through this writer so far (the gap marks included).
    uint64_t written() const { return written_; }

private:
    bool writeAll(int fd, const char* data, size_t size, size_t& done);
    void lose(const char* data, size_t size, int err);

    uint64_t lost_ = 0;         // whole lines lost in the current gap
    bool lostMidLine_ = false;  // the lost text ends inside a line
    bool midLine_ = false;      // the file ends inside a line
    bool gapBegan_ = false;
    int err_ = 0;
    uint64_t written_ = 0;
};

class Log {
public:
    Log() = default;  // discards everything
    // Opens (appends to) a log xc chose or a config named; creates parent
    // directories. Follows no symbolic link in any component and refuses
    // anything but a regular file: such a path may lie where a container
    // can plant a link.
    static Result<Log> open(const std::string& path, LogLevel level, std::string prefix);
    // Opens (appends to) the file an administrator named on the command line
    // (-o): links are followed and any writable file will do, so
    // "-o /dev/stderr" works as it does elsewhere.
    static Result<Log> openNamed(const std::string& path, LogLevel level, std::string prefix);

    void setPrefix(std::string prefix) { prefix_ = std::move(prefix); }
    void setLevel(LogLevel level) { level_ = level; }
    LogLevel level() const { return level_; }
    int fd() const { return fd_.get(); }
    bool enabled(LogLevel l) const { return fd_.valid() && l >= level_; }

    void write(LogLevel l, const std::string& text) const;
    void trace(const std::string& t) const { write(LogLevel::Trace, t); }
    void debug(const std::string& t) const { write(LogLevel::Debug, t); }
    void info(const std::string& t) const { write(LogLevel::Info, t); }
    void notice(const std::string& t) const { write(LogLevel::Notice, t); }
    void warn(const std::string& t) const { write(LogLevel::Warn, t); }
    void error(const std::string& t) const { write(LogLevel::Error, t); }

private:
    UniqueFd fd_;
    mutable AppendWriter out_;
    LogLevel level_ = LogLevel::Error;
    std::string prefix_;
};

}  // namespace xc
