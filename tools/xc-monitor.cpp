// xc-monitor: the state changes of the containers of a base, as they happen.
#include <regex.h>
#include <signal.h>

#include <cstdio>

#include "common.hpp"
#include "json.hpp"
#include "xc/events.hpp"

namespace {

volatile sig_atomic_t gStop = 0;
void onStop(int) { gStop = 1; }

// No SA_RESTART: the wait for the next datagram returns with EINTR.
void catchStopSignals() {
    struct sigaction sa = {};
    sa.sa_handler = onStop;
    for (int s : {SIGINT, SIGTERM, SIGHUP}) ::sigaction(s, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
}

std::string eventJson(const xc::StateEvent& e) {
    xc::tool::JsonObject o;
    o.add("name", e.name).add("state", xc::stateName(e.state));
    if (e.initPid > 0) o.add("pid", static_cast<int64_t>(e.initPid));
    else o.addNull("pid");
    return o.add("time", xc::formatEventTime(e.timeNs)).str();
}

}  // namespace

int xc_monitor_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-monitor", "Print the state changes of containers as they happen",
                 "DESCRIPTION\n"
                 "  Prints one line per state change of every container of the base (-P) whose\n"
                 "  name matches one of the -n regular expressions (POSIX extended, matched\n"
                 "  against the whole name; default: every container):\n"
                 "    'web' changed state to [RUNNING]\n"
                 "  With --json one object per line instead:\n"
                 "    {\"name\": \"web\", \"state\": \"RUNNING\", \"pid\": 1234, \"time\": \"2026-01-02T03:04:05.000006Z\"}\n"
                 "  The supervisors push each change; containers started after xc-monitor are\n"
                 "  seen too. Runs until interrupted (SIGINT, SIGTERM, SIGHUP).\n\n"
                 "EXAMPLES\n  xc-monitor\n  xc-monitor -n 'web.*' -n db\n  xc-monitor --json\n\n"
                 "EXIT STATUS\n  0 interrupted, 1 failed, 2 usage error",
                 false);
    std::vector<std::string> patterns;
    bool json = false;
    t.app().add_option("-n,--name", patterns, "Only containers whose whole name matches REGEX (repeatable)");
    t.app().add_flag("--json", json, "One JSON object per change");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    std::string alt;
    for (const auto& p : patterns) alt += (alt.empty() ? "" : "|") + ("(" + p + ")");
    regex_t re;
    std::string anchored = "^(" + (alt.empty() ? std::string(".*") : alt) + ")$";
    if (int rc = ::regcomp(&re, anchored.c_str(), REG_EXTENDED | REG_NOSUB); rc != 0) {
        char why[256];
        ::regerror(rc, &re, why, sizeof why);
        std::fprintf(stderr, "xc-monitor: bad -n regular expression '%s': %s\n", alt.c_str(), why);
        return tool::kExitUsage;
    }
    catchStopSignals();
    auto watcher = StateWatcher::open(t.host(), t.base());
    if (!watcher) return t.fail(watcher.error());
    while (!gStop) {
        auto ev = watcher->next(std::chrono::milliseconds(-1));
        if (!ev) {
            if (ev.error().code() == EINTR) continue;
            return t.fail(ev.error());
        }
        if (::regexec(&re, ev->name.c_str(), 0, nullptr, 0) != 0) continue;
        if (json) std::printf("%s\n", eventJson(*ev).c_str());
        else std::printf("'%s' changed state to [%s]\n", ev->name.c_str(), stateName(ev->state));
        if (std::fflush(stdout) != 0) return 1;  // the reader is gone
    }
    ::regfree(&re);
    return 0;
}
