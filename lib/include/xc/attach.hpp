// How a command runs inside a running container (xc-attach, the Python
// API's attach, the supervisor's tty logins).
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

namespace xc {

struct AttachOptions {
    std::vector<std::string> cmd;        // empty: the user's shell from the container's /etc/passwd
    bool keepEnv = false;                // --keep-env: the caller's environment
    std::vector<std::string> setEnv;     // -v VAR=VALUE
    uid_t uid = 0;
    gid_t gid = 0;
    bool gidSet = false;
    std::string cwd;                     // "" = the user's home, else /
    // Auto: a pty (from the container's devpts) for those of stdin, stdout
    // and stderr that are terminals, plain fds otherwise (no host terminal
    // reaches the container); Always: all three on the pty; Never: stdio
    // passes through untouched.
    enum class Pty { Auto, Always, Never } pty = Pty::Auto;
    // The caller's fds the command gets as its stdin, stdout and stderr
    // (those not on a pty).
    int stdioFds[3] = {0, 1, 2};
};

// Whether an attach with these options gives the command a pty (Auto: one
// of the caller's stdin, stdout or stderr is a terminal).
bool attachUsesPty(AttachOptions::Pty mode);

}  // namespace xc
