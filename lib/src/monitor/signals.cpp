#include "monitor/signals.hpp"

#include <unistd.h>

#include <csignal>
#include <string>

#include "process/process.hpp"

namespace xc {

// Which signal makes the init halt or reboot.
int haltSignalFor(const ContainerConfig& cfg, pid_t initPid) {
    if (!cfg.haltSignal.empty()) {
        auto s = parseSignal(cfg.haltSignal);
        if (s) return *s;
    }
    char buf[256];
    std::string exe = "/proc/" + std::to_string(initPid) + "/exe";
    ssize_t n = ::readlink(exe.c_str(), buf, sizeof buf - 1);
    if (n > 0 && std::string(buf, static_cast<size_t>(n)).find("systemd") != std::string::npos)
        return SIGRTMIN + 3;
    return SIGPWR;
}

int rebootSignalFor(const ContainerConfig& cfg, int halt) {
    if (!cfg.rebootSignal.empty()) {
        auto s = parseSignal(cfg.rebootSignal);
        if (s) return *s;
    }
    if (halt == SIGUSR1) return SIGTERM;           // busybox init
    if (halt == SIGRTMIN + 3) return SIGRTMIN + 5;  // systemd
    return SIGINT;                                 // sysvinit: ctrlaltdel
}

}  // namespace xc
