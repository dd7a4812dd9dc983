// xc-info: state, pid and resource use of a container, as lxc-info prints them.
#include <cstdio>

#include "common.hpp"

int main(int argc, char** argv) {
    using namespace xc;
    tool::Tool t("xc-info", "Show a container's state, init pid and resource use",
                 "DESCRIPTION\n"
                 "  With no selection flag prints every field: Name, State, and for a running\n"
                 "  container PID, IP (one line per address, read inside the container), CPU use,\n"
                 "  Memory use and, per interface, Link (the host-side veth) with TX, RX and Total\n"
                 "  bytes as the container sees them. The flags select fields (-S: CPU, memory and\n"
                 "  links); -H prints raw numbers (CPU in nanoseconds, memory and traffic in bytes).\n\n"
                 "EXAMPLES\n  xc-info -n web\n  xc-info -n web -s\n  xc-info -n web -S -H\n\n"
                 "EXIT STATUS\n  0 done, 1 failed (e.g. no such container), 2 usage error");
    bool state = false, pid = false, ips = false, stats = false, raw = false;
    t.app().add_flag("-s,--state", state, "Show the state");
    t.app().add_flag("-p,--pid", pid, "Show the init's pid");
    t.app().add_flag("-i,--ips", ips, "Show the IP addresses");
    t.app().add_flag("-S,--stats", stats, "Show CPU, memory and network use");
    t.app().add_flag("-H,--no-humanize", raw, "Raw numbers");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    bool all = !(state || pid || ips || stats);
    auto c = t.container();
    if (!c) return t.fail(c.error());
    if (!c->defined()) return t.fail(c->notRunningError());
    auto st = c->state();
    if (!st) return t.fail(st.error());
    bool running = st->state != State::Stopped;
    if (all) std::printf("%-15s %s\n", "Name:", c->name().c_str());
    if (all || state) std::printf("%-15s %s\n", "State:", stateName(st->state));
    if (!running) return 0;
    if ((all || pid) && st->initPid > 0) std::printf("%-15s %d\n", "PID:", st->initPid);
    if (all || ips) {
        auto addrs = c->ipAddresses();
        if (!addrs) return t.fail(addrs.error());
        for (const auto& a : *addrs) std::printf("%-15s %s\n", "IP:", a.address.c_str());
    }
    if (all || stats) {
        auto s = c->stats();
        if (!s) return t.fail(s.error());
        if (raw) {
            std::printf("%-15s %llu\n", "CPU use:", static_cast<unsigned long long>(s->cpuNs));
            std::printf("%-15s %llu\n", "Memory use:", static_cast<unsigned long long>(s->memoryBytes));
        } else {
            std::printf("%-15s %.2f seconds\n", "CPU use:", static_cast<double>(s->cpuNs) / 1e9);
            std::printf("%-15s %s\n", "Memory use:", tool::humanBytes(s->memoryBytes).c_str());
        }
        // As lxc-info: each link with its traffic seen from inside.
        auto links = c->networkStats();
        if (!links) return t.fail(links.error());
        auto bytes = [&](const char* label, uint64_t n) {
            if (raw) std::printf("%-15s %llu\n", label, static_cast<unsigned long long>(n));
            else std::printf("%-15s %s\n", label, tool::humanBytes(n).c_str());
        };
        for (const auto& l : *links) {
            std::printf("%-15s %s\n", "Link:", l.link.c_str());
            bytes(" TX bytes:", l.txBytes);
            bytes(" RX bytes:", l.rxBytes);
            bytes(" Total bytes:", l.txBytes + l.rxBytes);
        }
    }
    return 0;
}
