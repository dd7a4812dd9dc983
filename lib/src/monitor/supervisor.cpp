// xc-supervisor's command line: built by Container::start, parsed here.
#include <unistd.h>

#include <cstdio>

#include "base/number.hpp"
#include "monitor/monitor.hpp"
#include "xc/supervisor.hpp"

namespace xc {

std::vector<std::string> supervisorArgs(const MonitorOptions& o, int readyFd, int lockFd) {
    std::vector<std::string> args = {"--name", o.name, "--path", o.base, "--ready-fd", std::to_string(readyFd),
                                     "--lock-fd", std::to_string(lockFd), "--logpriority", logLevelName(o.logLevel)};
    if (!o.configFile.empty()) args.insert(args.end(), {"--config", o.configFile});
    if (!o.logFile.empty()) args.insert(args.end(), {"--logfile", o.logFile});
    if (!o.cmd.empty()) {
        args.push_back("--");
        args.insert(args.end(), o.cmd.begin(), o.cmd.end());
    }
    return args;
}

namespace {

Result<UniqueFd> inheritedFd(const std::string& option, const std::string& text) {
    auto fd = parseInt(text);
    if (!fd || *fd < 3) return Error::msg(option + ": not an inherited fd: '" + text + "'", EINVAL);
    return UniqueFd(*fd);
}

Status setOption(MonitorOptions& o, const std::string& opt, const std::string& value) {
    if (opt == "--name") o.name = value;
    else if (opt == "--path") o.base = value;
    else if (opt == "--config") o.configFile = value;
    else if (opt == "--logfile") o.logFile = value;
    else if (opt == "--logpriority") {
        XC_ASSIGN(o.logLevel, parseLogLevel(value));
    } else if (opt == "--ready-fd") {
        XC_ASSIGN(o.ready, inheritedFd(opt, value));
    } else if (opt == "--lock-fd") {
        XC_ASSIGN(o.lock, inheritedFd(opt, value));
    } else {
        return Error::msg("unknown option " + opt, EINVAL);
    }
    return {};
}

}  // namespace

Result<MonitorOptions> parseSupervisorArgs(const std::vector<std::string>& args) {
    MonitorOptions o;
    size_t i = 0;
    for (; i < args.size() && args[i] != "--"; ++i) {
        if (i + 1 >= args.size()) return Error::msg(args[i] + " needs a value", EINVAL);
        XC_TRY(setOption(o, args[i], args[i + 1]));
        ++i;
    }
    if (i < args.size()) o.cmd.assign(args.begin() + static_cast<long>(i) + 1, args.end());
    if (o.name.empty() || o.base.empty()) return Error::msg("--name and --path are required", EINVAL);
    return o;
}

int runSupervisor(int argc, char** argv) {
    std::vector<std::string> args(argv + (argc > 0 ? 1 : 0), argv + argc);
    auto o = parseSupervisorArgs(args);
    if (!o) {
        std::fprintf(stderr, "xc-supervisor: %s (it is started by xc-start; see xc-start --help)\n",
                     o.error().message().c_str());
        return 2;
    }
    return runMonitor(std::move(*o));
}

}  // namespace xc
