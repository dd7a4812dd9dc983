// What every program on libxc decides the same way before it touches a
// container: the host's install paths, the settings of /etc/xc/xc.conf,
// the base directory and the log. The tools build one from their command
// line (-P, -o, -l); a language binding from its arguments.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "xc/container.hpp"
#include "xc/log.hpp"
#include "xc/paths.hpp"
#include "xc/result.hpp"
#include "xc/settings.hpp"

namespace xc {

struct ContextOptions {
    std::string base;                  // -P; "": $XC_PATH, else xc.conf's path, else /var/lib/xc
    std::string logFile;               // -o; "": the container's default log, when logging is on
    std::optional<LogLevel> logLevel;  // -l; unset: xc.conf's log level
    std::string program;               // "xc-start": prefix of the log lines
    std::string containerName;         // whose default log; "": none
};

class Context {
public:
    // Reads xc.conf (missing: the defaults; broken: an error with
    // file:line), resolves the base and opens the log. The log is opened
    // only when asked for (a file, or a level below ERROR: by default the
    // container's log is the supervisor's). An explicit log file that
    // cannot be opened is an error; the default one is best effort (hints
    // such as Container::logHint name only log files that exist).
    static Result<Context> open(const ContextOptions& o);

    const HostPaths& host() const { return host_; }
    const GlobalSettings& settings() const { return settings_; }
    const std::string& base() const { return base_; }
    const Log& log() const { return log_; }
    LogLevel logLevel() const { return level_; }
    const std::string& logFile() const { return logFile_; }  // as given; "" for the default

    // A container under the base (the name validated first).
    Result<Container> container(const std::string& name) const;
    // The names of the containers defined under the base, sorted.
    Result<std::vector<std::string>> containerNames() const;

private:
    Context() = default;
    HostPaths host_;
    GlobalSettings settings_;
    std::string base_, logFile_;
    LogLevel level_ = LogLevel::Error;
    Log log_;
};

}  // namespace xc
