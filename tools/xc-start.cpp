// xc-start: start a container under its own supervisor.
#include "common.hpp"

int main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-start", "Start a system container",
                 "DESCRIPTION\n"
                 "  Starts the container's init (init.cmd, or CMD after --) as PID 1 in new pid,\n"
                 "  mount, uts, ipc, net and cgroup namespaces, under a supervisor process\n"
                 "  (xc-monitor) that holds its console and command socket. With -d (the default)\n"
                 "  xc-start returns once the container is RUNNING; a failure prints its cause\n"
                 "  (stage and system error) and leaves no cgroup, mount or runtime state behind.\n"
                 "  With -F the container runs in the foreground with its console on this terminal.\n\n"
                 "EXAMPLES\n"
                 "  xc-start -n web\n"
                 "  xc-start -n web -F\n"
                 "  xc-start -n web -- /bin/sh -c 'echo hi; exec /sbin/init'\n\n"
                 "EXIT STATUS\n  0 running (or, with -F, stopped cleanly), 1 failed, 2 usage error");
    StartOptions o;
    bool daemon = false;
    int timeoutSec = 30;
    t.app().add_flag("-d,--daemon", daemon, "Run in the background (the default)");
    t.app().add_flag("-F,--foreground", o.foreground, "Run in the foreground, console on this terminal");
    t.app().add_option("-f,--rcfile", o.configFile, "Use this config file instead of the container's");
    t.app().add_option("-t,--timeout", timeoutSec, "Seconds to wait for RUNNING (default 30)");
    t.app().add_option("cmd", o.cmd, "Command to run as init instead of init.cmd (after --)");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    if (daemon && o.foreground) return t.fail("-d and -F exclude each other");
    o.logFile = t.logFile();
    o.logLevel = t.logLevel();
    o.timeout = std::chrono::seconds(timeoutSec);
    auto c = t.container();
    if (!c) return t.fail(c.error());
    if (auto st = c->start(o); !st) return t.fail(st.error());
    return 0;
}
