// Which signals tell a container's init to halt or to reboot.
#pragma once

#include <sys/types.h>

#include "xc/config.hpp"

namespace xc {

// init.halt_signal, else by the init binary (systemd: SIGRTMIN+3), else SIGPWR.
int haltSignalFor(const ContainerConfig& cfg, pid_t initPid);
// init.reboot_signal, else the one that goes with the halt signal.
int rebootSignalFor(const ContainerConfig& cfg, int halt);

}  // namespace xc
