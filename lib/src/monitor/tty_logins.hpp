// The ttys of a container with tty.login: made and given a login on first
// use, so that a tty nobody uses costs no pty and no process. The first
// console client of tty N makes it (a new pty of the container's devpts
// bound on its /dev/ttyN, enter/container_pty) and starts the command
// there, entered as xc-attach enters (the container's namespaces, cgroups,
// capabilities and seccomp filter; root), with the tty as its stdin,
// stdout, stderr and controlling terminal. The login runs on when the
// client detaches, as a getty's session would; when it ends while a client
// holds the tty it starts again (a fresh prompt), unless it keeps ending at
// once.
#pragma once

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "enter/enter.hpp"
#include "xc/fd.hpp"
#include "xc/result.hpp"
#include "spawn/spawn.hpp"
#include "xc/paths.hpp"
#include "xc/log.hpp"

namespace xc {

// The command for tty n: "%t" becomes "ttyN", "%%" a '%'.
std::vector<std::string> loginCommandFor(const std::vector<std::string>& cmd, int tty);

class TtyLogins {
public:
    // A new boot (the one before has ended): ttys 1..spec.ttyCount are
    // made on demand and their logins run `cmd` (tty.login; empty: none of
    // this) in the container of `init`, confined as `spec` says.
    void begin(const std::vector<std::string>& cmd, const SpawnedInit& init, const Cgroup& cgroup,
               const SpawnSpec& spec, const HostPaths& host);
    bool enabled() const { return !target_.cmd.empty(); }

    // The master of tty n, made now if this is its first use.
    Result<int> master(int n);
    // A client has just taken tty n: starts the login unless one runs there.
    void wanted(int n, const Log& log);
    // The subreaper loop reaped `pid`: false if it was none of ours. If
    // `held(n)` (a client holds its tty now) it starts again.
    bool reaped(pid_t pid, int status, const std::function<bool(int)>& held, const Log& log);
    // The boot is over: whatever is left of the logins is killed and
    // reaped. Returns the ttys' fds, for the caller to close once the stop
    // is told (a pty's last close can wait for a flush).
    std::vector<UniqueFd> end();

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
        std::string helperPath;  // xc-attach-init
    };
    struct Tty {
        UniqueFd master;
        UniqueFd peer;  // ours, so the master never reads EOF while nothing inside holds it
    };
    Status start(int n, const Log& log);
    // Said on tty n, where a client waiting for a prompt sees it.
    void tell(int n, const std::string& text) const;
    Target target_;
    std::vector<Tty> ttys_;  // tty n at n-1; empty until made
    std::map<int, Running> running_;
    std::map<int, int> quickExits_;  // ended within a second of starting, in a row
};

}  // namespace xc
