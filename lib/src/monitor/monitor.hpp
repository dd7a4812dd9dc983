// The per-container supervisor (xc-supervisor): parent of the container's
// init, holder of its console, its cgroup and its run lock, server of its
// command socket. It lives exactly as long as the container runs.
#pragma once

#include <string>
#include <vector>

#include "xc/fd.hpp"
#include "xc/log.hpp"

namespace xc {

struct MonitorOptions {
    std::string name;
    std::string base;
    std::string configFile;         // "" = <base>/<name>/config
    std::vector<std::string> cmd;   // overrides init.cmd
    // A stream socket to the starter: gets "ok PID" or "err <error>" once
    // started. The starter hanging it up (shutdown or exit) before that
    // cancels the start: the supervisor rolls back (state ABORTING).
    UniqueFd ready;
    UniqueFd lock;                  // inherited run lock; invalid = take it here
    std::string logFile;            // "" = the container's default log
    LogLevel logLevel = LogLevel::Error;
};

// Starts the container and supervises it until it stops. Returns the exit
// status for the process (0 when the container stopped normally).
int runMonitor(MonitorOptions opts);

// The command line Container::start gives the supervisor, and its parser
// (runSupervisor): one definition of the interface for both sides.
std::vector<std::string> supervisorArgs(const MonitorOptions& o, int readyFd, int lockFd);
Result<MonitorOptions> parseSupervisorArgs(const std::vector<std::string>& args);

}  // namespace xc
