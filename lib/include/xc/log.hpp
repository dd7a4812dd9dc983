// Logging to a file (and, for errors, the caller's stderr is the tool's job).
// A Log is passed explicitly; there is no global logger.
#pragma once

#include <string>

#include "xc/fd.hpp"
#include "xc/result.hpp"

namespace xc {

enum class LogLevel { Trace = 0, Debug, Info, Notice, Warn, Error, Fatal };

Result<LogLevel> parseLogLevel(const std::string& text);
const char* logLevelName(LogLevel level);

class Log {
public:
    Log() = default;  // discards everything
    // Opens (appends to) path; creates parent directories. Follows no
    // symbolic link in any component and refuses anything but a regular file.
    static Result<Log> open(const std::string& path, LogLevel level, std::string prefix);

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
    LogLevel level_ = LogLevel::Error;
    std::string prefix_;
};

}  // namespace xc
