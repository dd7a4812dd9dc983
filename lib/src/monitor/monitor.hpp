// The per-container supervisor (xc-monitor): parent of the container's
// init, holder of its console, its cgroup and its run lock, server of its
// command socket. It lives exactly as long as the container runs.
#pragma once

#include <string>
#include <vector>

#include "xc/log.hpp"

namespace xc {

struct MonitorOptions {
    std::string name;
    std::string base;
    std::string configFile;         // "" = <base>/<name>/config
    std::vector<std::string> cmd;   // overrides init.cmd
    int readyFd = -1;               // gets "ok" or "err <error>" once started
    int lockFd = -1;                // inherited run lock; -1 = take it here
    std::string logFile;            // "" = the container's default log
    LogLevel logLevel = LogLevel::Error;
};

// Starts the container and supervises it until it stops. Returns the exit
// status for the process (0 when the container stopped normally).
int runMonitor(const MonitorOptions& opts);

}  // namespace xc
