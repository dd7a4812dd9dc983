// xc-ls: list the containers under a base directory.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "common.hpp"

namespace {

using namespace xc;

struct Filter {
    bool running = false, stopped = false, frozen = false;
    bool accepts(State s) const {
        bool isRunning = s != State::Stopped;
        if (running && !isRunning) return false;
        if (stopped && isRunning) return false;
        return !frozen || s == State::Frozen;
    }
};

struct Row {
    std::string name, state, autostart = "0", groups = "-", ipv4 = "-", ipv6 = "-";
};

// The -f columns that come from the config and, when it runs, from inside.
void fillColumns(const Container& c, bool isRunning, Row& r) {
    if (auto cfg = c.config()) {
        r.autostart = cfg->start.autostart ? "1" : "0";
        std::string g;
        for (const auto& x : cfg->start.groups) g += (g.empty() ? "" : ",") + x;
        if (!g.empty()) r.groups = g;
    }
    if (!isRunning) return;
    auto addrs = c.ipAddresses();
    if (!addrs) return;
    std::string v4, v6;
    for (const auto& a : *addrs) {
        std::string& into = a.family == AF_INET ? v4 : v6;
        into += (into.empty() ? "" : ", ") + a.address;
    }
    if (!v4.empty()) r.ipv4 = v4;
    if (!v6.empty()) r.ipv6 = v6;
}

std::vector<Row> collectRows(const Context& ctx, const std::vector<std::string>& names, const Filter& f,
                             bool fancy) {
    std::vector<Row> rows;
    for (const auto& n : names) {
        auto c = ctx.container(n);
        if (!c) continue;
        auto st = c->state();
        State s = st ? st->state : State::Stopped;
        if (!f.accepts(s)) continue;
        Row r;
        r.name = n;
        r.state = st ? stateName(s) : "UNKNOWN";
        if (fancy) fillColumns(*c, s != State::Stopped, r);
        rows.push_back(r);
    }
    return rows;
}

void printColumns(const std::vector<Row>& rows) {
    Row head{"NAME", "STATE", "AUTOSTART", "GROUPS", "IPV4", "IPV6"};
    size_t w[6] = {0};
    auto widen = [&](const Row& r) {
        const std::string* f[] = {&r.name, &r.state, &r.autostart, &r.groups, &r.ipv4, &r.ipv6};
        for (int i = 0; i < 6; ++i) w[i] = std::max(w[i], f[i]->size());
    };
    widen(head);
    for (const auto& r : rows) widen(r);
    auto print = [&](const Row& r) {
        std::printf("%-*s %-*s %-*s %-*s %-*s %s\n", int(w[0]), r.name.c_str(), int(w[1]), r.state.c_str(),
                    int(w[2]), r.autostart.c_str(), int(w[3]), r.groups.c_str(), int(w[4]), r.ipv4.c_str(),
                    r.ipv6.c_str());
    };
    print(head);
    for (const auto& r : rows) print(r);
}

// Names as ls prints them: one per line into a pipe or with -1, else
// packed into lines of at most 78 columns.
void printNames(const std::vector<Row>& rows, bool onePerLine) {
    if (onePerLine || !::isatty(STDOUT_FILENO)) {
        for (const auto& r : rows) std::printf("%s\n", r.name.c_str());
        return;
    }
    std::string line;
    for (const auto& r : rows) {
        if (!line.empty() && line.size() + r.name.size() + 2 > 78) {
            std::printf("%s\n", line.c_str());
            line.clear();
        }
        line += (line.empty() ? "" : "  ") + r.name;
    }
    if (!line.empty()) std::printf("%s\n", line.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    tool::Tool t("xc-ls", "List containers",
                 "DESCRIPTION\n"
                 "  Lists the containers under the base directory (-P). -f prints the columns\n"
                 "  NAME STATE AUTOSTART GROUPS IPV4 IPV6; -1 one name per line. What an\n"
                 "  interrupted xc-create or xc-destroy left (hidden .xc-staging-NAME-* and\n"
                 "  .xc-trash-NAME-* directories) is never listed; it is removed, with a line\n"
                 "  on stderr, unless another command holds that container.\n\n"
                 "EXAMPLES\n  xc-ls\n  xc-ls -f --running\n\n"
                 "EXIT STATUS\n  0 done, 1 failed, 2 usage error",
                 false);
    bool fancy = false, one = false;
    Filter f;
    t.app().add_flag("-f,--fancy", fancy, "Print columns");
    t.app().add_flag("-1,--line", one, "One name per line");
    t.app().add_flag("--running", f.running, "Only running containers (RUNNING or FROZEN)");
    t.app().add_flag("--stopped", f.stopped, "Only stopped containers");
    t.app().add_flag("--frozen", f.frozen, "Only frozen containers");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    // What interrupted creates and destroys left is hidden and never listed;
    // it is removed here (each under its container's lock), and said so.
    if (auto cleaned = cleanInterrupted(t.host(), t.base(), t.log()))
        for (const auto& line : *cleaned) std::fprintf(stderr, "xc-ls: %s\n", line.c_str());
    auto names = t.context().containerNames();
    if (!names) return t.fail(names.error());
    auto rows = collectRows(t.context(), *names, f, fancy);
    if (fancy) printColumns(rows);
    else printNames(rows, one);
    return 0;
}
