// What every xc tool shares: -n, -P, -o, -l, -h, --version, the error
// line format "xc-<tool>: <name>: <what failed>: <why>" and exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <string>

#include "xc/container.hpp"
#include "xc/log.hpp"
#include "xc/paths.hpp"
#include "xc/settings.hpp"

namespace xc::tool {

// Exit codes, the same for every tool.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

class Tool {
public:
    // `about` is the one-line summary; `footer` the DESCRIPTION/EXAMPLES text of --help.
    Tool(std::string name, std::string about, std::string footer, bool needsName = true);

    CLI::App& app() { return app_; }
    // Parses argv; returns -1 to go on, else the exit code (help, version, usage error).
    int parse(int argc, char** argv);

    const std::string& containerName() const { return name_; }
    std::string base() const { return resolveBase(path_, settings_.path); }
    const HostPaths& host() const { return host_; }
    const Log& log() const { return log_; }
    LogLevel logLevel() const { return level_; }
    const std::string& logFile() const { return logFile_; }
    // The container named by -n (the name validated).
    Result<Container> container() const;

    // Prints "xc-<tool>: <name>: <message>" and returns kExitFailure.
    int fail(const Error& e) const;
    int fail(const std::string& message) const;

private:
    std::string tool_;
    CLI::App app_;
    bool needsName_;
    std::string name_, path_, logFile_, levelText_;
    LogLevel level_ = LogLevel::Error;
    HostPaths host_;
    GlobalSettings settings_;
    Log log_;
};

// "1.20 MiB"
std::string humanBytes(uint64_t bytes);

}  // namespace xc::tool
