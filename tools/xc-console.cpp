// xc-console: attach this terminal to a container's console or one of its ttys.
#include <signal.h>
#include <unistd.h>

#include <cstdio>

#include "common.hpp"
#include "xc/terminal.hpp"

int xc_console_main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-console", "Attach to the console or a tty of a running system container",
                 "DESCRIPTION\n"
                 "  Connects this terminal to the container's /dev/console (-t 0, the default) or\n"
                 "  /dev/ttyN (-t N, up to tty.count), where the busybox template runs a getty.\n"
                 "  The terminal is in raw mode while attached and restored on every way out;\n"
                 "  its window size is passed on at attach and on every resize.\n"
                 "  <Ctrl+a q> detaches, <Ctrl+a Ctrl+a> sends one Ctrl+a; -e changes the prefix.\n"
                 "  One client per tty: a second is refused unless --force, which takes the tty\n"
                 "  over (the first client is told and exits). The console is also recorded by\n"
                 "  the supervisor (console.buffer_size bytes, and console.log if set) whether\n"
                 "  anyone is attached or not. --show-log prints that record and exits: with\n"
                 "  console.log, the rotated files (console.log_count of them, each at most\n"
                 "  console.log_size) oldest first, then the file itself, running or not;\n"
                 "  without, the buffer of the running container.\n\n"
                 "EXAMPLES\n"
                 "  xc-console -n web\n"
                 "  xc-console -n web -t 2 -e b\n"
                 "  xc-console -n web --show-log | tail\n\n"
                 "EXIT STATUS\n"
                 "  0 detached or the container stopped, 1 failed (or taken over by --force),\n"
                 "  2 usage error, 128+N ended by signal N");
    int tty = 0;
    std::string escape = "a";
    bool force = false, showLog = false;
    t.app().add_option("-t,--tty", tty, "0 for the console (default), N for /dev/ttyN")->check(CLI::Range(0, 64));
    t.app().add_option("-e,--escape", escape, "Prefix of the escape sequences: a letter for Ctrl+letter (default a)");
    t.app().add_flag("--force", force, "Take the tty over from another client");
    t.app().add_flag("--show-log", showLog, "Print the console's record (console.log and its rotated files, else the buffer) and exit");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    auto c = t.container();
    if (!c) return t.fail(c.error());

    if (showLog) {
        if (auto st = c->copyConsoleHistory(STDOUT_FILENO); !st) return t.fail(st.error());
        return 0;
    }
    auto esc = parseEscapeChar(escape);
    if (!esc) {
        std::fprintf(stderr, "xc-console: %s\n", esc.error().message().c_str());
        return tool::kExitUsage;
    }
    ConsoleOptions o;
    o.tty = tty;
    o.escape = *esc;
    o.force = force;
    auto r = c->console(o);
    if (!r) return t.fail(r.error());
    switch (r->end) {
    case ConsoleExit::End::Detached:
        return 0;
    case ConsoleExit::End::TakenOver:
        return t.fail(std::string(tty == 0 ? "the console" : "tty " + std::to_string(tty)) +
                      " was taken over by another client (xc-console --force)");
    case ConsoleExit::End::Signal:
        return 128 + r->signal;
    case ConsoleExit::End::Stopped:
        if (r->initFailed()) {
            t.fail(Error::msg("the container stopped: its init " + r->initStatusText()).withHint(c->logHint()));
            return 0;
        }
        std::fprintf(stderr, "xc-console: %s: the container stopped\n", c->name().c_str());
        return 0;
    }
    return 0;
}
