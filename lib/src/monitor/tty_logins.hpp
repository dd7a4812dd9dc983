// Logins the supervisor starts on a container's ttys (tty.login), so that
// a tty nobody uses costs no process: the first console client of tty N
// starts the command there, entered as xc-attach enters (the container's
// namespaces, cgroups, capabilities and seccomp filter; root), with the tty
// as its stdin, stdout, stderr and controlling terminal. It runs on when
// the client detaches, as a getty's session would; when it ends while a
// client holds the tty it starts again (a fresh login prompt), unless it
// keeps ending at once.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "enter/enter.hpp"
#include "spawn/spawn.hpp"
#include "xc/paths.hpp"
#include "xc/log.hpp"

namespace xc {

// The command for tty n: "%t" becomes "ttyN", "%%" a '%'.
std::vector<std::string> loginCommandFor(const std::vector<std::string>& cmd, int tty);

class TtyLogins {
public:
    // A new boot (the one before has ended): logins run `cmd` (tty.login;
    // empty: none) in the container of `init`, confined as its spec says.
    void begin(const std::vector<std::string>& cmd, const SpawnedInit& init, const Cgroup& cgroup,
               const SpawnSpec& spec, const HostPaths& host);
    bool enabled() const { return !target_.cmd.empty(); }

    // A client has just taken tty n: starts the login unless one runs there.
    void wanted(int n, const Log& log);
    // The subreaper loop reaped `pid`: false if it was none of ours. If
    // `held(n)` (a client holds its tty now) it starts again.
    bool reaped(pid_t pid, int status, const std::function<bool(int)>& held, const Log& log);
    // The boot is over: whatever is left is killed and reaped.
    void end();

private:
    using Clock = std::chrono::steady_clock;
    struct Running {
        Process child;  // the entering child, then xc-attach-init
        Channel channel;
        Clock::time_point since;
    };
    // What every login of one boot shares, from the running init.
    struct Target {
        std::vector<std::string> cmd;
        int initPidfd = -1;
        pid_t initPid = -1;
        Cgroup cgroup;
        SecuritySettings security;
        SeccompProgram seccomp;
        std::string helperPath;    // xc-attach-init
        std::vector<int> masters;  // each tty's pty master (tty n: n-1), open all boot
    };
    Status start(int n, const Log& log);
    int master(int n) const { return target_.masters.at(static_cast<size_t>(n - 1)); }
    // Said on tty n, where a client waiting for a prompt sees it.
    void tell(int n, const std::string& text) const;
    Target target_;
    std::map<int, Running> running_;
    std::map<int, int> quickExits_;  // ended within a second of starting, in a row
};

}  // namespace xc
