// Entering a running container, in three processes:
//
//   caller (a tool, a Python program, the supervisor)  never changes its own state
//    └─ entering child (enter.cpp)            host pid namespace, invisible
//        │  joins cgroups and namespaces, enters the init's root, makes the
//        │  pty, drops to the container's confinement and the user, then
//        │  execs a sealed in-memory copy of xc-attach-init
//        └─ xc-attach-init (tools/monitor/      still invisible; forks the
//            xc-attach-init.c)
//            └─ command                         first process the container
//                                               can see, already confined
//
// Protocol on the sync channel, child to caller: "pty" with the master
// (only with a pty), then "exec" once the command runs, or "err <error>".
// EOF without either: the child died (its wait status says how).
//
// xc-attach runs commands this way (api/attach.cpp), and the supervisor
// the logins it starts on a tty (monitor/tty_logins.cpp). Without a pty,
// xc-attach itself is the entering process (Container::attachInPlace): it
// has nothing to proxy, and a fork of the 6 MB tool, with the faults its
// child takes, cost ~2.5 ms of an 11 ms attach on a VM with shadow page
// tables.
#pragma once

#include <sys/types.h>
#include <sys/ioctl.h>
#include <termios.h>

#include <string>
#include <vector>

#include "cgroup/cgroup.hpp"
#include "process/process.hpp"
#include "security/seccomp_program.hpp"
#include "security/security.hpp"
#include "xc/attach.hpp"

namespace xc {

constexpr const char* kAttachInitName = "xc-attach-init";
constexpr const char* kAttachExecMessage = "exec";

// Which std fds go on a new pty, and the caller's terminal settings to copy.
struct PtyPlan {
    bool use = false;
    bool fd[3] = {false, false, false};
    int ttyFd = -1;  // the caller's terminal that gives settings and size
    bool haveTermios = false, haveWinsize = false;
    struct termios tios = {};
    struct winsize ws = {};
};

// Everything the entering child needs, resolved by the caller before the
// clone (the child only executes).
struct EnterPlan {
    AttachOptions opts;
    int initPidfd = -1;
    pid_t initPid = -1;
    Cgroup cgroup;
    SecuritySettings security;  // cap_drop / cap_keep of the running init
    SeccompProgram seccomp;  // the init's filter, compiled
    PtyPlan pty;
    // Without a new pty: the std fd (0-2) that becomes the command's
    // controlling terminal (a container tty passed in opts.stdioFds), or -1.
    int controllingFd = -1;
    int helperFd = -1;  // xc-attach-init, opened on the host
    pid_t caller = -1;
    // Entering in place (Container::attachInPlace): no caller waits, there
    // is no channel (its fd is -1), and a failure is printed on stderr
    // after this prefix ("xc-attach: web").
    std::string inPlacePrefix;
    bool inPlace() const { return !inPlacePrefix.empty(); }
};

// In the entering child (or, with plan.inPlacePrefix, the caller itself):
// never returns (execs xc-attach-init, or reports the failure on `ch` or
// stderr and exits 1).
[[noreturn]] void enterContainer(const EnterPlan& plan, const Channel& ch);

}  // namespace xc
