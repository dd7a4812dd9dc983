// What every xc tool shares: -n, -P, -o, -l, -h, --version, the error
// line format "xc-<tool>: <name>: <what failed>: <why>" and exit codes.
#pragma once

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

#include "xc/container.hpp"
#include "xc/context.hpp"
#include "xc/log.hpp"
#include "xc/paths.hpp"

namespace xc::tool {

// Exit codes, the same for every tool.
constexpr int kExitOk = 0;
constexpr int kExitFailure = 1;
constexpr int kExitUsage = 2;

class Tool {
public:
    // `about` is the one-line summary; `footer` the DESCRIPTION/EXAMPLES text of --help.
    // `shortLogOption` false: the log file is --logfile only (xc-clone's -o is the origin).
    // `baseOption`: the flags of the xc base directory (xc-import-lxc's -P is LXC's base).
    Tool(std::string name, std::string about, std::string footer, bool needsName = true, bool shortLogOption = true,
         const std::string& baseOption = "-P,--lxcpath,--path");

    CLI::App& app() { return app_; }
    // Parses argv, then opens the library's Context (xc.conf, base, log)
    // from -P, -o and -l; returns -1 to go on, else the exit code (help,
    // version, usage error, a broken xc.conf or an unwritable -o file).
    int parse(int argc, char** argv);

    // After parse():
    const Context& context() const { return *ctx_; }
    const std::string& containerName() const { return name_; }
    const std::string& base() const { return ctx_->base(); }
    const HostPaths& host() const { return ctx_->host(); }
    const Log& log() const { return ctx_->log(); }
    LogLevel logLevel() const { return ctx_->logLevel(); }
    const std::string& logFile() const { return ctx_->logFile(); }
    // The container named by -n (the name validated).
    Result<Container> container() const;

    // For a command that mostly waits for the supervisor's short answer
    // (start, stop, freeze, attach): a short scheduler slice (EEVDF, Linux
    // 6.12 and newer; ignored before), so that the wake-up on that answer
    // preempts whatever runs on its CPU (often the container's new init)
    // instead of waiting out that task's slice (~1.4 ms here). What it
    // starts gets the default slice back (SCHED_FLAG_RESET_ON_FORK).
    static void preferShortWaits();

    // "xc-<tool>: <name>" (without -n: "xc-<tool>"), what fail() prints first.
    std::string messagePrefix() const { return name_.empty() ? tool_ : tool_ + ": " + name_; }
    // Prints "xc-<tool>: <name>: <message>[; <hint>]" and returns kExitFailure.
    int fail(const Error& e) const;
    int fail(const std::string& message) const;

private:
    std::string tool_;
    CLI::App app_;
    bool needsName_;
    std::string name_, path_, logFile_, levelText_;
    std::optional<Context> ctx_;
};

// "1.20 MiB"
std::string humanBytes(uint64_t bytes);

}  // namespace xc::tool
