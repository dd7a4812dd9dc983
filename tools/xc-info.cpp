// xc-info: state, pid and resource use of a container, as lxc-info prints them.
#include <unistd.h>

#include <cstdio>

#include "common.hpp"
#include "json.hpp"

namespace {

using namespace xc;

struct Select {
    bool all = false, state = false, pid = false, ips = false, stats = false, raw = false, json = false;
};

// Optional figures: the number, or JSON null.
void addOpt(tool::JsonObject& o, const char* key, const std::optional<uint64_t>& v) {
    if (v) o.add(key, *v);
    else o.addNull(key);
}

// Whether the container's root is the host's root, and if not which host
// user it is and how it owns the rootfs.
struct RootInfo {
    bool privileged = true;
    int64_t hostUid = 0;
    std::string owners;  // "idmapped" | "shifted" | "the user's own"
};

RootInfo rootOf(const ContainerConfig& cfg) {
    RootInfo r;
    if (cfg.idmap.empty() || cfg.security.privileged) return r;
    r.privileged = false;
    r.hostUid = -1;
    for (const auto& m : cfg.idmap)
        if (m.type == 'u' && m.inside == 0) r.hostUid = m.outside;
    r.owners = !cfg.rootfsShifted.empty() ? "shifted" : ::geteuid() != 0 ? "the user's own" : "idmapped";
    return r;
}

std::string describeRoot(const RootInfo& r) {
    if (r.privileged) return "yes (its root is the host's root)";
    return "no (its root is host uid " + std::to_string(r.hostUid) + "; rootfs " +
           (r.owners == "shifted" ? std::string("owners shifted on disk")
                                  : r.owners == "idmapped" ? std::string("idmapped") : r.owners) +
           ")";
}

int printJson(const tool::Tool& t, const Container& c, const StateInfo& st, const Select& s) {
    tool::JsonObject o;
    o.add("name", c.name());
    if (s.all || s.state) o.add("state", stateName(st.state));
    bool running = st.state != State::Stopped;
    if (s.all || s.pid) {
        if (running && st.initPid > 0) o.add("pid", static_cast<int64_t>(st.initPid));
        else o.addNull("pid");
    }
    if ((s.all || s.ips) && running) {
        auto addrs = c.ipAddresses();
        if (!addrs) return t.fail(addrs.error());
        std::vector<std::string> ips;
        for (const auto& a : *addrs) ips.push_back(a.address);
        o.add("ips", ips);
    }
    if ((s.all || s.stats) && running) {
        auto u = c.stats();
        if (!u) return t.fail(u.error());
        o.add("cpu_ns", u->cpuNs).add("memory_bytes", u->memoryBytes);
        addOpt(o, "memory_swap_bytes", u->memorySwapBytes);
        addOpt(o, "blkio_read_bytes", u->ioReadBytes);
        addOpt(o, "blkio_write_bytes", u->ioWriteBytes);
        addOpt(o, "pids", u->pids);
        auto links = c.networkStats();
        if (!links) return t.fail(links.error());
        std::vector<std::string> ls;
        for (const auto& l : *links)
            ls.push_back(tool::JsonObject().add("link", l.link).add("interface", l.interface)
                             .add("tx_bytes", l.txBytes).add("rx_bytes", l.rxBytes).str());
        o.addRaw("links", tool::jsonArray(ls));
    }
    if (s.all || s.stats) {
        auto d = c.diskUse();
        if (!d) return t.fail(d.error());
        o.add("disk_bytes", d->bytes);
    }
    if (s.all) {
        auto cfg = c.config();
        if (!cfg) return t.fail(cfg.error());
        RootInfo r = rootOf(*cfg);
        o.add("privileged", r.privileged);
        if (!r.privileged) o.add("root_host_uid", r.hostUid).add("rootfs_owners", r.owners);
    }
    std::printf("%s\n", o.str().c_str());
    return 0;
}

void printBytes(const char* label, uint64_t n, bool raw) {
    if (raw) std::printf("%-15s %llu\n", label, static_cast<unsigned long long>(n));
    else std::printf("%-15s %s\n", label, tool::humanBytes(n).c_str());
}

int printStats(const tool::Tool& t, const Container& c, bool raw) {
    auto s = c.stats();
    if (!s) return t.fail(s.error());
    if (raw) std::printf("%-15s %llu\n", "CPU use:", static_cast<unsigned long long>(s->cpuNs));
    else std::printf("%-15s %.2f seconds\n", "CPU use:", static_cast<double>(s->cpuNs) / 1e9);
    printBytes("Memory use:", s->memoryBytes, raw);
    // As lxc-info: each link with its traffic seen from inside.
    auto links = c.networkStats();
    if (!links) return t.fail(links.error());
    for (const auto& l : *links) {
        std::printf("%-15s %s\n", "Link:", l.link.c_str());
        printBytes(" TX bytes:", l.txBytes, raw);
        printBytes(" RX bytes:", l.rxBytes, raw);
        printBytes(" Total bytes:", l.txBytes + l.rxBytes, raw);
    }
    return 0;
}

}  // namespace

int xc_info_main(int argc, char** argv) {
    tool::Tool t("xc-info", "Show a container's state, init pid and resource use",
                 "DESCRIPTION\n"
                 "  With no selection flag prints every field: Name, State, and for a running\n"
                 "  container PID, IP (one line per address, read inside the container), CPU use,\n"
                 "  Memory use and, per interface, Link (the host-side veth) with TX, RX and Total\n"
                 "  bytes as the container sees them; then, running or not, Privileged: yes, or no\n"
                 "  with the host uid of its root and how the rootfs is its own (idmapped, owners\n"
                 "  shifted on disk, or a user's own files); last Disk use: the space the\n"
                 "  container's own layer takes (its rootfs; for an overlay container, its upper\n"
                 "  layer). The flags select fields (-S: CPU, memory, links and disk use);\n"
                 "  -H prints raw numbers (CPU in nanoseconds, memory, traffic and disk in bytes).\n"
                 "  --json prints the selected fields as one JSON object (see xc-info(1)).\n\n"
                 "EXAMPLES\n  xc-info -n web\n  xc-info -n web -s\n  xc-info -n web -S -H\n  xc-info -n web --json\n\n"
                 "EXIT STATUS\n  0 done, 1 failed (e.g. no such container), 2 usage error");
    Select s;
    t.app().add_flag("-s,--state", s.state, "Show the state");
    t.app().add_flag("-p,--pid", s.pid, "Show the init's pid");
    t.app().add_flag("-i,--ips", s.ips, "Show the IP addresses");
    t.app().add_flag("-S,--stats", s.stats, "Show CPU, memory, network and disk use");
    t.app().add_flag("-H,--no-humanize", s.raw, "Raw numbers");
    t.app().add_flag("--json", s.json, "One JSON object");
    if (int rc = t.parse(argc, argv); rc >= 0) return rc;
    s.all = !(s.state || s.pid || s.ips || s.stats);
    auto c = t.container();
    if (!c) return t.fail(c.error());
    if (!c->defined()) return t.fail(c->notRunningError());
    auto st = c->state();
    if (!st) return t.fail(st.error());
    if (s.json) return printJson(t, *c, *st, s);
    bool running = st->state != State::Stopped;
    if (s.all) std::printf("%-15s %s\n", "Name:", c->name().c_str());
    if (s.all || s.state) std::printf("%-15s %s\n", "State:", stateName(st->state));
    if (running && (s.all || s.pid) && st->initPid > 0) std::printf("%-15s %d\n", "PID:", st->initPid);
    if (running && (s.all || s.ips)) {
        auto addrs = c->ipAddresses();
        if (!addrs) return t.fail(addrs.error());
        for (const auto& a : *addrs) std::printf("%-15s %s\n", "IP:", a.address.c_str());
    }
    if (running && (s.all || s.stats))
        if (int rc = printStats(t, *c, s.raw); rc != 0) return rc;
    if (s.all) {
        auto cfg = c->config();
        if (!cfg) return t.fail(cfg.error());
        std::printf("%-15s %s\n", "Privileged:", describeRoot(rootOf(*cfg)).c_str());
    }
    if (s.all || s.stats) {
        auto d = c->diskUse();
        if (!d) return t.fail(d.error());
        printBytes("Disk use:", d->bytes, s.raw);
    }
    return 0;
}
