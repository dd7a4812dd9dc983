// xc-start: start a container under its own supervisor.
#include <unistd.h>

#include <cstdio>

#include "common.hpp"
#include "json.hpp"

namespace {

// A value as the text plan shows it: in double quotes when it has blanks
// or quotes (or is empty), with " and \ escaped.
std::string shown(const std::string& v) {
    if (!v.empty() && v.find_first_of(" \t\"\\") == std::string::npos) return v;
    std::string out = "\"";
    for (char ch : v) {
        if (ch == '"' || ch == '\\') out += '\\';
        out += ch;
    }
    return out + "\"";
}

void printPlan(const std::string& name, const std::vector<xc::PlanSection>& plan, bool json) {
    if (json) {
        xc::tool::JsonObject o;
        o.add("name", name);
        for (const auto& sec : plan) {
            std::vector<std::string> items;
            for (const auto& it : sec.items) {
                xc::tool::JsonObject i;
                for (const auto& [k, v] : it.fields) i.add(k, v);
                items.push_back(i.str());
            }
            o.addRaw(sec.name, xc::tool::jsonArray(items, true));
        }
        std::printf("%s\n", o.str().c_str());
        return;
    }
    std::printf("Start plan of %s (nothing was made)\n", name.c_str());
    for (const auto& sec : plan) {
        std::printf("\n%s:\n", sec.name.c_str());
        if (sec.items.empty()) std::printf("  (none)\n");
        for (const auto& it : sec.items) {
            std::string line;
            for (const auto& [k, v] : it.fields) line += (line.empty() ? "" : "  ") + k + "=" + shown(v);
            std::printf("  %s\n", line.c_str());
        }
    }
}

}  // namespace

int xc_start_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-start", "Start a system container",
                 "DESCRIPTION\n"
                 "  Starts the container's init (init.cmd, or CMD after --) as PID 1 in new pid,\n"
                 "  mount, uts, ipc, net and cgroup namespaces, under a supervisor process\n"
                 "  (xc-supervisor) that holds its console and command socket. With -d (the default)\n"
                 "  xc-start returns once the container is RUNNING; a failure prints its cause\n"
                 "  (stage and system error) and leaves no cgroup, mount or runtime state behind.\n"
                 "  With -F this terminal becomes the container's console (as xc-console -t 0,\n"
                 "  with the boot messages so far replayed): keys go to the container,\n"
                 "  <Ctrl+a q> detaches and leaves it running, and xc-start exits when it stops.\n"
                 "  A SIGTERM, SIGINT or SIGHUP to xc-start -F stops the container.\n"
                 "  With --dry-run nothing starts: xc-start prints the plan the supervisor would\n"
                 "  execute on this host (namespaces, idmap, hooks in order, the cgroup and each\n"
                 "  limit file with its value for this host's v1, hybrid or v2 layout, devices,\n"
                 "  interfaces, every mount with its type, flags and data, the capabilities\n"
                 "  dropped and kept, the seccomp profile), computed by the same code from the same\n"
                 "  config; it makes, locks and writes nothing and needs no root (only read access\n"
                 "  to the config). --json prints it as one JSON object, a member per section.\n\n"
                 "EXAMPLES\n"
                 "  xc-start -n web\n"
                 "  xc-start -n web -F\n"
                 "  xc-start -n web -- /bin/sh -c 'echo hi; exec /sbin/init'\n"
                 "  xc-start -n web --dry-run\n\n"
                 "EXIT STATUS\n"
                 "  0 running (with -F: detached, or the container stopped; with --dry-run: the\n"
                 "  plan printed), 1 failed (with -F: also when the init died on its own), 2 usage\n"
                 "  error");
    StartOptions o;
    bool daemon = false, foreground = false, dryRun = false, json = false;
    double timeoutSec = 30;
    t.app().add_flag("-d,--daemon", daemon, "Run in the background (the default)");
    t.app().add_flag("-F,--foreground", foreground, "Run in the foreground, console on this terminal");
    t.app().add_option("-f,--rcfile", o.configFile, "Use this config file instead of the container's");
    t.app()
        .add_option("-t,--timeout", timeoutSec,
                    "Seconds to wait for RUNNING (default 30; fractions allowed); a start that takes longer is "
                    "rolled back")
        ->check(CLI::NonNegativeNumber);
    t.app().add_flag("--dry-run", dryRun, "Print the start plan for this host; start and make nothing");
    t.app().add_flag("--json", json, "With --dry-run: the plan as one JSON object");
    t.app().add_option("cmd", o.cmd, "Command to run as init instead of init.cmd (after --)");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    tool::Tool::preferShortWaits();
    if (daemon && foreground) return t.fail("-d and -F exclude each other");
    if (json && !dryRun) return t.fail("--json goes with --dry-run");
    if (dryRun && (daemon || foreground)) return t.fail("--dry-run starts nothing: it takes neither -d nor -F");
    o.logFile = t.logFile();
    o.logLevel = t.logLevel();
    o.timeout = std::chrono::milliseconds(static_cast<long long>(timeoutSec * 1000));
    auto c = t.container();
    if (!c) return t.fail(c.error());
    // A start that failed inside the supervisor or the container: say where to read more.
    auto failed = [&](const Error& e) {
        if (e.code() == EBUSY || !e.hint().empty() || !c->defined()) return t.fail(e);
        return t.fail(e.withHint(c->logHint(o.logFile)));
    };
    if (dryRun) {
        auto plan = c->startPlan(o);
        if (!plan) return t.fail(plan.error());
        printPlan(c->name(), *plan, json);
        return 0;
    }
    o.warn = [&](const std::string& w) { std::fprintf(stderr, "xc-start: %s: warning: %s\n", c->name().c_str(), w.c_str()); };
    if (!foreground) {
        if (auto st = c->start(o); !st) return failed(st.error());
        return 0;
    }
    auto r = c->startAttached(o, ConsoleOptions{});
    if (!r) return failed(r.error());
    if (r->end == ConsoleExit::End::Stopped && r->initFailed())
        return t.fail(Error::msg("the container stopped: its init " + r->initStatusText())
                          .withHint(c->logHint(o.logFile)));
    if (r->end == ConsoleExit::End::TakenOver)
        return t.fail("the console was taken over by another client (xc-console --force); the container runs on");
    return 0;
}
