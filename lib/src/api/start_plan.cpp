// xc-start --dry-run: the plan the supervisor would execute, computed by
// the same calls (completeStartConfig, makeStartPlan, chooseLxcfs) from
// the same config, described section by section. Reads only.
#include "api/start_plan.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>

#include "cgroup/devices.hpp"
#include "config/unsupported.hpp"
#include "mount/lxcfs.hpp"
#include "security/security.hpp"
#include "spawn/userns.hpp"
#include "xc/settings.hpp"

namespace xc {

namespace {

using Fields = std::vector<std::pair<std::string, std::string>>;

// Leaves out the fields whose value is empty.
PlanItem item(const Fields& fields) {
    PlanItem out;
    for (const auto& f : fields)
        if (!f.second.empty()) out.fields.push_back(f);
    return out;
}

std::string joined(const std::vector<std::string>& words, const char* sep = " ") {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : sep) + w;
    return out;
}

PlanSection initSection(const StartPlan& p) {
    const SpawnSpec& s = p.spawn;
    PlanSection sec{"init", {}};
    sec.items.push_back(item({{"cmd", joined(s.argv)}, {"hostname", s.hostname}}));
    const std::string user = s.uid < 0 ? "0:0" : std::to_string(s.uid) + ":" + std::to_string(s.gid);
    sec.items.push_back(item({{"cwd", s.cwd}, {"user", user + (s.uid < 0 ? " (root)" : " (init.user)")}}));
    for (const auto& e : s.env) sec.items.push_back(item({{"env", e}}));
    sec.items.push_back(item({{"console", "/dev/console"}, {"ttys", std::to_string(s.ttyCount)}}));
    if (!p.ttyLogin.empty())
        sec.items.push_back(item({{"tty.login", joined(p.ttyLogin)}, {"started", "on a tty by its first client"}}));
    return sec;
}

PlanSection namespaceSection(const SpawnSpec& s) {
    PlanSection sec{"namespaces", {}};
    for (const auto& name : {"pid", "mnt", "uts", "ipc", "net"})
        if (namespaceNames(s.cloneFlags).find(name) != std::string::npos)
            sec.items.push_back(item({{"namespace", name}, {"made", "clone"}}));
    if (s.hostNetwork) sec.items.push_back(item({{"namespace", "net"}, {"made", "none: the host's (network type none)"}}));
    if (s.userNamespace())
        sec.items.push_back(item({{"namespace", "user"},
                                  {"made", "clone, owned by the container's root (host uid " +
                                               std::to_string(hostIdOf(s.idmap, 'u', 0)) + ")"}}));
    sec.items.push_back(item({{"namespace", "cgroup"}, {"made", "unshare, once in its cgroup's payload"}}));
    return sec;
}

PlanSection idmapSection(const SpawnSpec& s) {
    PlanSection sec{"idmap", {}};
    if (!s.userNamespace()) sec.items.push_back(item({{"privileged", "yes: root inside is the host's root"}}));
    for (const auto& m : s.idmap)
        sec.items.push_back(item({{"type", std::string(1, m.type)},
                                  {"inside", std::to_string(m.inside)},
                                  {"outside", std::to_string(m.outside)},
                                  {"count", std::to_string(m.count)}}));
    return sec;
}

PlanSection mountSection(const SpawnSpec& s) {
    PlanSection sec{"mounts", {}};
    for (const auto& m : s.mounts) {
        std::string flags = mountAttrsText(m.attrs);
        if (m.bind() && m.recursive) flags += flags.empty() ? "rbind" : ",rbind";
        else if (m.bind()) flags += flags.empty() ? "bind" : ",bind";
        sec.items.push_back(item({{"target", m.target},
                                  {"type", m.bind() ? "bind" : m.fstype},
                                  {"source", m.source},
                                  {"flags", flags},
                                  {"data", m.paramsText()},
                                  {"step", mountStepName(m.step)},
                                  {"when", m.condition}}));
    }
    for (const auto& f : s.lxcfsDir.empty() ? std::vector<std::string>{} : lxcfsFiles())
        sec.items.push_back(item({{"target", "/" + f},
                                  {"type", "bind"},
                                  {"source", s.lxcfsDir + "/" + f},
                                  {"step", "lxcfs"},
                                  {"when", "where lxcfs and the container both have it"}}));
    if (!s.lxcfsNote.empty()) sec.items.push_back(item({{"note", s.lxcfsNote}}));
    return sec;
}

std::vector<PlanSection> cgroupSections(const StartPlan& p) {
    PlanSection groups{"cgroup", {}};
    Cgroup cg(p.layout, p.cgroupPath);
    for (const auto& h : p.layout.hierarchies())
        groups.items.push_back(item({{"layout", cgroupModeName(p.layout.mode())},
                                     {"hierarchy", h.unified ? "cgroup2" : joined(h.controllers, ",")},
                                     {"group", cg.dirFor(h)},
                                     {"processes", cg.payloadDirFor(h)},
                                     {"made", inPart(h, CgroupPart::Last) ? "last, while the init's first process mounts"
                                                                             : "before the clone"}}));
    PlanSection limits{"cgroup limits", {}};
    for (const auto& w : p.cgroupWrites) {
        auto file = cg.fileFor(w);
        limits.items.push_back(item({{"file", file ? *file : w.file + " (" + file.error().message() + ")"},
                                     {"value", w.value},
                                     {"when", w.optional ? "where the file exists" : ""}}));
    }
    return {groups, limits};
}

PlanSection deviceSection(const StartPlan& p) {
    PlanSection sec{"devices", {}};
    for (const auto& d : containerDeviceNodes())
        sec.items.push_back(item({{"node", std::string("/dev/") + d.name},
                                  {"device", "c " + std::to_string(d.major) + ":" + std::to_string(d.minor)},
                                  {"made", p.spawn.userNamespace() ? "the host's node bound" : "mknod"}}));
    const CgroupHierarchy* v1 = p.layout.forController("devices");
    std::string by = v1 && !v1->unified ? "devices.allow (after devices.deny a)" : "";
    if (p.layout.unified())
        by += std::string(by.empty() ? "" : " and ") + "a cgroup2 device program (attached while the init's first process mounts)";
    for (const auto& rule : deviceRulesV1(defaultDeviceRules()))
        sec.items.push_back(item({{"allow", rule}, {"enforced", by}}));
    return sec;
}

std::vector<PlanSection> securitySections(const SpawnSpec& s) {
    std::vector<std::string> dropped, kept;
    std::vector<bool> isDropped(static_cast<size_t>(capabilityCount()), false);
    for (int c : s.capDrop)
        if (c >= 0 && static_cast<size_t>(c) < isDropped.size()) isDropped[static_cast<size_t>(c)] = true;
    for (size_t c = 0; c < isDropped.size(); ++c)
        (isDropped[c] ? dropped : kept).push_back(capabilityName(static_cast<int>(c)));
    PlanSection caps{"capabilities", {item({{"dropped", joined(dropped)}}), item({{"kept", joined(kept)}})}};
    if (!s.userNamespace())  // a user namespace of its own starts with every capability
        caps.items.push_back(item({{"note", "privileged: kept only where the supervisor's bounding set has them"}}));
    std::vector<std::string> calls;
    for (const auto& r : s.seccomp) calls.push_back(r.syscall + (r.errnum == 1 ? "" : "=" + std::to_string(r.errnum)));
    PlanSection seccomp{"seccomp", {item({{"profile", s.security.seccomp.empty() ? "default" : s.security.seccomp},
                                          {"rules", std::to_string(s.seccomp.size())},
                                          {"denied", joined(calls)}})}};
    return {caps, seccomp};
}

PlanSection networkSection(const StartPlan& p) {
    PlanSection sec{"network", {}};
    if (!p.spawn.hostNetwork) sec.items.push_back(item({{"interface", "lo"}, {"type", "loopback"}}));
    for (const auto& n : p.interfaces)
        sec.items.push_back(item({{"interface", n.name},
                                  {"type", n.type},
                                  {"host", n.throughHelper ? "named by xc-user-nic" : n.hostName},
                                  {"made by", n.throughHelper ? "xc-user-nic (set-uid helper, " + userNicHelperPath() + ")" : ""},
                                  {"bridge", n.type == "veth" ? n.link : ""},
                                  {"mode", n.macvlanMode},
                                  {"hwaddr", n.hwaddr},
                                  {"mtu", n.mtu ? std::to_string(n.mtu) : ""},
                                  {"ipv4", n.ipv4.empty() && n.type == "veth" ? "dhcp inside" : n.ipv4},
                                  {"gateway", n.gateway},
                                  {"ipv6", n.ipv6},
                                  {"gateway6", n.gateway6}}));
    return sec;
}

PlanSection hookSection(const HookSettings& h) {
    PlanSection sec{"hooks", {}};
    const std::pair<const char*, const std::vector<std::string>*> order[] = {
        {"pre_start", &h.preStart}, {"start_host", &h.startHost}, {"mount", &h.mount},
        {"start", &h.start},        {"stop", &h.stop},            {"post_stop", &h.postStop}};
    const char* where[] = {"host, before the namespaces exist", "host, the namespaces made",
                           "the container's mount namespace, before pivot_root", "inside, just before the init",
                           "host, the container's processes gone", "host, after the container stopped"};
    for (size_t i = 0; i < std::size(order); ++i)
        for (const auto& cmd : *order[i].second)
            sec.items.push_back(item({{"hook", order[i].first}, {"where", where[i]}, {"cmd", cmd}}));
    if (!sec.items.empty()) sec.items.push_back(item({{"timeout", std::to_string(h.timeoutSec) + " s each"}}));
    return sec;
}

}  // namespace

std::vector<PlanSection> describeStartPlan(const StartPlan& p) {
    std::vector<PlanSection> out = {initSection(p), namespaceSection(p.spawn), idmapSection(p.spawn)};
    out.push_back(hookSection(p.spawn.hooks));
    for (auto& s : cgroupSections(p)) out.push_back(std::move(s));
    out.push_back(deviceSection(p));
    out.push_back(networkSection(p));
    out.push_back(mountSection(p.spawn));
    for (auto& s : securitySections(p.spawn)) out.push_back(std::move(s));
    return out;
}

Result<std::vector<PlanSection>> Container::startPlan(const StartOptions& o) const {
    // Not "no such container" to a caller who may not look into its
    // directory (the plan needs no root, but it needs the config).
    if (::access(paths_.configFile().c_str(), R_OK) < 0 && errno == EACCES)
        return Error::sys("read the config " + paths_.configFile())
            .withHint("the start plan needs no root, but read access to the config and search access to its directory");
    XC_ASSIGN(ContainerConfig cfg, config());  // as start(): the container must exist
    if (!o.configFile.empty()) {
        XC_ASSIGN(cfg, loadConfig(o.configFile));
    }
    completeStartConfig(cfg, paths_);
    XC_TRY(checkSupported(cfg));
    // The plan of the start its owner would make: root's container (one
    // whose config is root's) gets the host's layout whoever asks, a
    // user's the cgroup2 group delegated to the user.
    struct stat st {};
    const bool rootsContainer = ::stat(paths_.configFile().c_str(), &st) == 0 && st.st_uid == 0;
    XC_ASSIGN(CgroupLayout layout, rootsContainer ? CgroupLayout::detectHost() : CgroupLayout::detect());
    XC_ASSIGN(StartPlan plan, makeStartPlan(cfg, paths_, layout, o.cmd));
    XC_ASSIGN(GlobalSettings settings, loadGlobalSettings(host_));
    XC_TRY(chooseLxcfs(cfg.lxcfs, settings.lxcfsPath, plan.spawn));
    return describeStartPlan(plan);
}

}  // namespace xc
