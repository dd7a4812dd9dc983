// xc-monitor: the per-container supervisor, started by xc-start. Not meant
// to be run by hand; its options are xc-start's internal interface.
#include <getopt.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "monitor/monitor.hpp"

int main(int argc, char** argv) {
    xc::MonitorOptions o;
    static const struct option longopts[] = {
        {"name", required_argument, nullptr, 'n'},  {"path", required_argument, nullptr, 'P'},
        {"config", required_argument, nullptr, 'f'}, 
        {"ready-fd", required_argument, nullptr, 'r'}, {"lock-fd", required_argument, nullptr, 'k'},
        {"logfile", required_argument, nullptr, 'o'}, {"logpriority", required_argument, nullptr, 'l'},
        {nullptr, 0, nullptr, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "+n:P:f:r:k:o:l:", longopts, nullptr)) != -1) {
        switch (c) {
        case 'n': o.name = optarg; break;
        case 'P': o.base = optarg; break;
        case 'f': o.configFile = optarg; break;
        case 'r': o.readyFd = std::atoi(optarg); break;
        case 'k': o.lockFd = std::atoi(optarg); break;
        case 'o': o.logFile = optarg; break;
        case 'l': {
            auto lvl = xc::parseLogLevel(optarg);
            if (!lvl) {
                std::fprintf(stderr, "xc-monitor: %s\n", lvl.error().message().c_str());
                return 2;
            }
            o.logLevel = *lvl;
            break;
        }
        default:
            std::fprintf(stderr, "xc-monitor is started by xc-start; see xc-start --help\n");
            return 2;
        }
    }
    for (int i = optind; i < argc; ++i) o.cmd.push_back(argv[i]);
    if (o.name.empty() || o.base.empty()) {
        std::fprintf(stderr, "xc-monitor is started by xc-start; see xc-start --help\n");
        return 2;
    }
    return xc::runMonitor(o);
}
