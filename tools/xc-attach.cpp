// xc-attach: run a command inside a running container.
#include <signal.h>

#include <cstdlib>

#include "common.hpp"

int xc_attach_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-attach", "Run a command inside a running system container",
                 "DESCRIPTION\n"
                 "  Joins every namespace and cgroup of the container's init and runs CMD (default:\n"
                 "  the user's shell from the container's /etc/passwd, else /bin/sh) with the\n"
                 "  capability bounding set and seccomp filter the running init got (from the\n"
                 "  config it was started with, not the file as it is now), in the user's home\n"
                 "  directory. The environment is clean (PATH, HOME, container=xc and the caller's\n"
                 "  TERM) unless --keep-env; -v adds or overrides variables.\n\n"
                 "  Terminals (--pty=auto, the default): those of stdin, stdout and stderr that\n"
                 "  are terminals are connected to a new pty allocated inside the container (so\n"
                 "  `tty` prints the container's /dev/pts/N); CMD is the session leader with the\n"
                 "  pty as its controlling terminal. This terminal is in raw mode meanwhile and\n"
                 "  restored on exit; its window size follows every resize. The rest pass through\n"
                 "  untouched, so `xc-attach -n N -- cat < in > out` is byte-exact and EOF goes\n"
                 "  both ways. --pty=always puts all three on the pty; --pty=never passes all three\n"
                 "  through as they are (a terminal among them is then reachable from inside).\n\n"
                 "EXAMPLES\n"
                 "  xc-attach -n web -- ps\n"
                 "  xc-attach -n web -v DEBUG=1 -u 1000 -- /usr/bin/id\n"
                 "  xc-attach -n web -- cat /etc/os-release > os.txt\n"
                 "  xc-attach -n web --pty=never -- tar c /etc > etc.tar\n\n"
                 "EXIT STATUS\n"
                 "  the exit status of CMD (128+N if it was killed by signal N); 126 if CMD could\n"
                 "  not be run, 127 if it was not found; 1 if the attach itself failed");
    AttachOptions o;
    bool clearEnv = false;
    long uid = 0, gid = -1;
    t.app().add_flag("--clear-env", clearEnv, "Start from a clean environment (the default)");
    t.app().add_flag("--keep-env", o.keepEnv, "Keep this shell's environment");
    t.app().add_option("-v,--set-var", o.setEnv, "Set VAR=VALUE in the command's environment")
        ->check([](const std::string& v) { return v.find('=') == std::string::npos || v[0] == '='
                                                      ? std::string("expected VAR=VALUE") : std::string(); })
        ->allow_extra_args(false);  // one value per -v, so "-v A=b -- cmd -x" leaves cmd's options alone
    t.app().add_option("-u,--uid", uid, "User id to run as (default 0)")->check(CLI::Range(0L, 4294967294L));
    t.app().add_option("-g,--gid", gid, "Group id to run as (default: the uid)")->check(CLI::Range(0L, 4294967294L));
    std::string pty = "auto";
    t.app()
        .add_option("--pty", pty, "auto (a pty for the std fds that are terminals), always or never")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    t.app().add_option("cmd", o.cmd, "Command and arguments (after --)");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    tool::Tool::preferShortWaits();
    if (clearEnv && o.keepEnv) return t.fail("--clear-env and --keep-env exclude each other");
    o.pty = pty == "always" ? AttachOptions::Pty::Always
            : pty == "never" ? AttachOptions::Pty::Never
                             : AttachOptions::Pty::Auto;
    o.uid = static_cast<uid_t>(uid);
    if (gid >= 0) {
        o.gid = static_cast<gid_t>(gid);
        o.gidSet = true;
    }
    auto c = t.container();
    if (!c) return t.fail(c.error());
    // Without a pty nothing needs proxying: this process enters and becomes
    // the command's waiter itself (one fork and its page faults less).
    if (!attachUsesPty(o.pty)) return t.fail(c->attachInPlace(o, t.messagePrefix()).error());
    // Ctrl-C and Ctrl-\ are for the command (it shares our process group,
    // or gets them through its pty); we only wait for its status. A no-op
    // handler, not SIG_IGN, which the command would inherit; an ignore we
    // inherited stays (and the command inherits it, as from any shell).
    for (int sig : {SIGINT, SIGQUIT}) {
        struct sigaction old = {}, wait = {};
        wait.sa_handler = [](int) {};
        wait.sa_flags = SA_RESTART;
        if (::sigaction(sig, nullptr, &old) == 0 && old.sa_handler != SIG_IGN) ::sigaction(sig, &wait, nullptr);
    }
    auto r = c->attach(o);
    if (!r) return t.fail(r.error());
    if (r->execError) t.fail(*r->execError);
    return r->status;
}
