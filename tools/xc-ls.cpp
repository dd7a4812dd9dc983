// xc-ls: list the containers under a base directory.
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "common.hpp"

int main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-ls", "List containers",
                 "DESCRIPTION\n"
                 "  Lists the containers under the base directory (-P). -f prints the columns\n"
                 "  NAME STATE AUTOSTART GROUPS IPV4 IPV6; -1 one name per line.\n\n"
                 "EXAMPLES\n  xc-ls\n  xc-ls -f --running\n\n"
                 "EXIT STATUS\n  0 done, 1 failed, 2 usage error",
                 false);
    bool fancy = false, one = false, running = false, stopped = false, frozen = false;
    t.app().add_flag("-f,--fancy", fancy, "Print columns");
    t.app().add_flag("-1,--line", one, "One name per line");
    t.app().add_flag("--running", running, "Only running containers (RUNNING or FROZEN)");
    t.app().add_flag("--stopped", stopped, "Only stopped containers");
    t.app().add_flag("--frozen", frozen, "Only frozen containers");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    auto names = listContainers(t.base());
    if (!names) return t.fail(names.error());

    struct Row {
        std::string name, state, autostart, groups, ipv4, ipv6;
    };
    std::vector<Row> rows;
    for (const auto& n : *names) {
        auto c = Container::open(t.host(), t.base(), n);
        if (!c) continue;
        auto st = c->state();
        State s = st ? st->state : State::Stopped;
        bool isRunning = s != State::Stopped;
        if (running && !isRunning) continue;
        if (stopped && isRunning) continue;
        if (frozen && s != State::Frozen) continue;
        Row r{n, st ? stateName(s) : "UNKNOWN", "0", "-", "-", "-"};
        if (fancy) {
            if (auto cfg = c->config()) {
                r.autostart = cfg->start.autostart ? "1" : "0";
                std::string g;
                for (const auto& x : cfg->start.groups) g += (g.empty() ? "" : ",") + x;
                if (!g.empty()) r.groups = g;
            }
            if (isRunning) {
                if (auto addrs = c->ipAddresses()) {
                    std::string v4, v6;
                    for (const auto& a : *addrs) {
                        std::string& into = a.family == AF_INET ? v4 : v6;
                        into += (into.empty() ? "" : ", ") + a.address;
                    }
                    if (!v4.empty()) r.ipv4 = v4;
                    if (!v6.empty()) r.ipv6 = v6;
                }
            }
        }
        rows.push_back(r);
    }
    if (fancy) {
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
        return 0;
    }
    if (one || !::isatty(STDOUT_FILENO)) {
        for (const auto& r : rows) std::printf("%s\n", r.name.c_str());
        return 0;
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
    return 0;
}
