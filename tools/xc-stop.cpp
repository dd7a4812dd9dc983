// xc-stop: shut a container down cleanly, kill it, or reboot it.
#include "common.hpp"

int xc_stop_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-stop", "Stop a running system container",
                 "DESCRIPTION\n"
                 "  Sends the init its halt signal (init.halt_signal: SIGUSR1 for busybox init,\n"
                 "  SIGPWR for sysvinit, SIGRTMIN+3 for systemd, detected when unset) and waits up\n"
                 "  to -t seconds for it to exit, then kills every process of the container. Returns\n"
                 "  once the container is STOPPED and its cgroups and runtime state are gone.\n\n"
                 "EXAMPLES\n"
                 "  xc-stop -n web\n"
                 "  xc-stop -n web -t 5\n"
                 "  xc-stop -n web -k\n\n"
                 "EXIT STATUS\n  0 stopped (or reboot started), 1 failed or not running, 2 usage error");
    StopOptions o;
    int timeoutSec = 60;
    t.app().add_flag("-k,--kill", o.kill, "Kill every process at once, no clean shutdown");
    t.app().add_flag("-r,--reboot", o.reboot, "Reboot: the init restarts in the same supervisor");
    t.app().add_option("-t,--timeout", timeoutSec, "Seconds to wait for a clean shutdown (default 60)");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    tool::Tool::preferShortWaits();
    if (o.kill && o.reboot) return t.fail("-k and -r exclude each other");
    if (timeoutSec < 0) return t.fail("-t must be 0 or more seconds");
    o.timeout = std::chrono::seconds(timeoutSec);
    auto c = t.container();
    if (!c) return t.fail(c.error());
    if (auto st = c->stop(o); !st) return t.fail(st.error());
    return 0;
}
