// xc-autostart: start, stop, kill or reboot the containers marked
// start.auto, in start.order (as lxc-autostart).
#include <cstdio>

#include "common.hpp"
#include "xc/autostart.hpp"

int xc_autostart_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-autostart", "Start or stop the containers marked start.auto, in order",
                 "DESCRIPTION\n"
                 "  Selects the containers of the base (-P) with start.auto = true whose\n"
                 "  start.groups hold one of the groups of -g (by default the empty group: the\n"
                 "  containers without start.groups), or with -a all of them, and starts the\n"
                 "  stopped ones in start.order (lower first, ties by name), waiting start.delay\n"
                 "  seconds after each. -s stops the running ones cleanly in the reverse order,\n"
                 "  -k kills them, -r reboots them; -L prints what the same command without -L\n"
                 "  would do, one line per container in its order (NAME and, when starting,\n"
                 "  its start.delay). A container that fails is reported and the others go on.\n\n"
                 "EXAMPLES\n"
                 "  xc-autostart -a\n"
                 "  xc-autostart -g web,db -L\n"
                 "  xc-autostart -g ,web          (the empty group and web)\n"
                 "  xc-autostart -a -s -t 30\n\n"
                 "EXIT STATUS\n  0 done, 1 a container failed, 2 usage error",
                 false);
    AutostartOptions o;
    bool stop = false, kill = false, reboot = false, list = false;
    std::vector<std::string> groupArgs;
    int timeoutSec = 60;
    t.app().add_flag("-a,--all", o.all, "Every container with start.auto, whatever its groups");
    t.app()
        .add_option("-g,--groups", groupArgs,
                    "Comma-separated groups to select (repeatable; an empty element is the empty group)")
        ->allow_extra_args(false);
    t.app().add_flag("-s,--shutdown", stop, "Stop the running ones cleanly, in the reverse order");
    t.app().add_flag("-k,--kill", kill, "Kill the running ones, in the reverse order");
    t.app().add_flag("-r,--reboot", reboot, "Reboot the running ones");
    t.app().add_flag("-L,--list", list, "Print what would be done, in order, and do nothing");
    t.app().add_option("-t,--timeout", timeoutSec, "Seconds -s and -r wait for each container before killing it (default 60)");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    if (int(stop) + int(kill) + int(reboot) > 1) return t.fail("-s, -k and -r exclude each other");
    if (timeoutSec < 0) return t.fail("-t must be 0 or more seconds");
    o.action = stop ? AutostartAction::Stop : kill ? AutostartAction::Kill
             : reboot ? AutostartAction::Reboot : AutostartAction::Start;
    o.stopTimeout = std::chrono::seconds(timeoutSec);
    auto groups = parseAutostartGroups(groupArgs);
    if (!groups) return t.fail(groups.error());
    o.groups = *groups;
    std::vector<Error> problems;
    auto plan = autostartPlan(t.context(), o, &problems);
    if (!plan) return t.fail(plan.error());
    for (const auto& e : problems) t.fail(e);
    if (list) {
        for (const auto& e : *plan) {
            if (o.action == AutostartAction::Start) std::printf("%s %d\n", e.name.c_str(), e.delay);
            else std::printf("%s\n", e.name.c_str());
        }
        return problems.empty() ? 0 : 1;
    }
    size_t failed = runAutostart(t.context(), o, *plan, [&](const AutostartEntry& e, const Status& st) {
        if (!st) std::fprintf(stderr, "xc-autostart: %s: %s\n", e.name.c_str(), st.error().messageWithHint().c_str());
    });
    return failed == 0 && problems.empty() ? 0 : 1;
}
