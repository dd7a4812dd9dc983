// The cgroup probe: facts from the host files, then the items from the
// layout and those facts.
#include "cgroup/probe.hpp"
#include "cgroup/user_delegation.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <sstream>
#include <vector>

#include "base/fsutil.hpp"

namespace xc {

using S = ProbeItem::Status;

std::map<std::string, ProcCgroup> parseProcCgroups(const std::string& text) {
    std::map<std::string, ProcCgroup> m;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::istringstream l(line);
        std::string name;
        int hier = 0, num = 0, enabled = 0;
        if (l >> name >> hier >> num >> enabled) m[name] = {true, enabled != 0};
    }
    return m;
}

std::string unifiedGroupOf(const std::string& procSelfCgroup) {
    std::istringstream in(procSelfCgroup);
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("0::", 0) == 0) return line.substr(3);
    return "";
}

namespace {

bool isDir(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool lookAt(const std::string& dir, UnifiedFiles& f) {
    if (!pathExists(dir + "/cgroup.procs")) return false;
    f.freeze = pathExists(dir + "/cgroup.freeze");
    f.kill = pathExists(dir + "/cgroup.kill");
    f.memoryOn = pathExists(dir + "/memory.current");
    f.swapMax = pathExists(dir + "/memory.swap.max");
    // The group may have vanished while we looked (another tool removing it).
    if (!pathExists(dir + "/cgroup.procs")) return false;
    f.known = true;
    f.where = dir;
    return true;
}

UnifiedFiles probeUnifiedFiles(const CgroupHierarchy& u) {
    UnifiedFiles f;
    if (auto self = readFile("/proc/self/cgroup")) {
        const std::string rel = unifiedGroupOf(*self);
        if (rel != "/" && !rel.empty() && lookAt(u.mountPoint + rel, f)) return f;
    }
    if (auto names = listDir(u.mountPoint)) {
        std::sort(names->begin(), names->end());
        for (const auto& n : *names) {
            const std::string d = u.mountPoint + "/" + n;
            if (isDir(d) && lookAt(d, f)) return f;
        }
    }
    const std::string tmp = u.mountPoint + "/xc-checkconfig." + std::to_string(::getpid());
    if (::mkdir(tmp.c_str(), 0755) != 0) {
        f.why = "no child cgroup to look at and mkdir " + tmp + ": " + errnoText(errno);
        return f;
    }
    lookAt(tmp, f);
    f.where = "a temporary child cgroup";
    ::rmdir(tmp.c_str());
    return f;
}

const char* controllerConfig(const std::string& c) {
    static const std::map<std::string, const char*> kConfig = {
        {"cpu", "CONFIG_CGROUP_SCHED"},   {"cpuacct", "CONFIG_CGROUP_CPUACCT"}, {"cpuset", "CONFIG_CPUSETS"},
        {"memory", "CONFIG_MEMCG"},       {"pids", "CONFIG_CGROUP_PIDS"},       {"freezer", "CONFIG_CGROUP_FREEZER"},
        {"devices", "CONFIG_CGROUP_DEVICE"},
    };
    auto it = kConfig.find(c);
    return it == kConfig.end() ? "CONFIG_CGROUPS" : it->second;
}

// How to get a controller that no mounted hierarchy holds.
std::string controllerFix(const std::string& c, const CgroupLayout& layout, const CgroupFacts& f) {
    auto it = f.proc.find(c);
    if (it == f.proc.end()) return std::string("rebuild the kernel with ") + controllerConfig(c) + "=y";
    if (!it->second.enabled) return "remove cgroup_disable=" + c + " from the kernel command line";
    if (layout.unified() && layout.mode() == CgroupMode::V2)
        return "it is bound to a v1 hierarchy elsewhere or disabled: check mounts and cgroup_no_v1=";
    return "mount it: mkdir -p /sys/fs/cgroup/" + c + " && mount -t cgroup -o " + c + " cgroup /sys/fs/cgroup/" + c;
}

void reportLayout(ProbeList& out, const CgroupLayout& layout) {
    const CgroupHierarchy* u = layout.unified();
    std::string mode = cgroupModeName(layout.mode());
    if (layout.mode() == CgroupMode::Hybrid)
        mode += " (v1 controllers, cgroup2 at " + u->mountPoint + ")";
    else if (layout.mode() == CgroupMode::V1)
        mode += " (v1 controllers only, no cgroup2)";
    else
        mode += " (unified, at " + (u ? u->mountPoint : std::string("?")) + ")";
    out.add("layout", S::Info, mode);
    for (const auto& h : layout.hierarchies())
        out.add(h.mountPoint, S::Info,
                std::string(h.unified ? "cgroup2" : "v1") + ", controllers: " +
                    (h.controllers.empty() ? "(none)" : joinWords(h.controllers, " ")));
}

// Required: the v1 freezer or the unified cgroup.freeze, and the one xc picks.
void reportFreezer(ProbeList& out, const CgroupLayout& layout, const CgroupFacts& f) {
    const CgroupHierarchy* u = layout.unified();
    const CgroupHierarchy* h = layout.forController("freezer");
    const CgroupHierarchy* v1 = h && !h->unified ? h : nullptr;
    const bool unifiedFreeze = u && f.unified.known && f.unified.freeze;
    std::vector<std::string> how;
    if (v1) how.push_back("v1 at " + v1->mountPoint);
    if (unifiedFreeze) how.push_back("cgroup.freeze on " + u->mountPoint);
    if (v1 || unifiedFreeze) {
        const bool picksUnified = layout.freezer() == CgroupFreezer::Unified;
        std::string detail = joinWords(how, "; ");
        if (how.size() > 1) detail += picksUnified ? "; xc uses cgroup.freeze" : "; xc uses the v1 freezer";
        if (picksUnified && !unifiedFreeze && f.unified.known)
            out.add("freezer", S::Warn, detail + "; but xc picks cgroup.freeze, which this kernel lacks",
                    "Linux 5.2 or newer for cgroup.freeze", true);
        else if (picksUnified && !unifiedFreeze)
            out.add("freezer", S::Ok, detail + "; cgroup.freeze, which xc prefers, is unverified", "", true);
        else
            out.add("freezer", S::Ok, detail, "", true);
    } else if (u && !f.unified.known) {
        out.add("freezer", S::Warn, "no v1 freezer; cgroup.freeze unverified: " + f.unified.why,
                "run xc-checkconfig as root", true);
    } else {
        const std::string fix = controllerFix("freezer", layout, f);
        out.add("freezer", S::Missing, u ? "no v1 freezer and no cgroup.freeze (Linux < 5.2)" : "no v1 freezer hierarchy",
                u ? "Linux 5.2 or newer, or " + fix : fix, true);
    }
}

void reportControllers(ProbeList& out, const CgroupLayout& layout, const CgroupFacts& f) {
    const CgroupHierarchy* u = layout.unified();
    static const char* const kNeeded[] = {"cpu", "cpuacct", "cpuset", "memory", "pids", "freezer", "devices"};
    for (const std::string name : kNeeded) {
        const CgroupHierarchy* h = layout.forController(name);
        if (name == "freezer") {
            reportFreezer(out, layout, f);
        } else if (h) {
            out.add(name, S::Ok, std::string(h->unified ? "cgroup2 at " : "v1 at ") + h->mountPoint);
        } else if (name == "cpuacct" && u) {
            out.add(name, S::Ok, "cgroup2 cpu.stat on " + u->mountPoint + " (core file, no controller needed)");
        } else if (name == "devices" && u) {
            out.add(name, S::Warn,
                    "no v1 devices hierarchy; cgroup2 controls devices with BPF programs, which xc does not load yet: "
                    "containers are not limited to the standard devices",
                    controllerFix(name, layout, f));
        } else {
            out.add(name, S::Missing, "not available in any mounted hierarchy", controllerFix(name, layout, f));
        }
    }
}

void reportCoreFiles(ProbeList& out, const CgroupLayout& layout, const UnifiedFiles& uf) {
    const CgroupHierarchy* u = layout.unified();
    if (!u) {
        out.add("cgroup.freeze", S::Info, "no cgroup2 hierarchy");
        out.add("cgroup.kill", S::Info, "no cgroup2 hierarchy; xc freezes and kills each process instead");
    } else if (!uf.known) {
        out.add("cgroup.freeze", S::Warn, "could not verify: " + uf.why);
        out.add("cgroup.kill", S::Warn, "could not verify: " + uf.why);
    } else {
        if (uf.freeze)
            out.add("cgroup.freeze", S::Ok, "on " + u->mountPoint);
        else
            out.add("cgroup.freeze", S::Missing, "not in " + uf.where, "Linux 5.2 or newer");
        if (uf.kill)
            out.add("cgroup.kill", S::Ok, "on " + u->mountPoint);
        else
            out.add("cgroup.kill", S::Warn, "not in " + uf.where + "; xc freezes and kills each process instead",
                    "Linux 5.14 or newer");
    }
}

// Swap accounting: memsw on v1, memory.swap.max on cgroup2.
void reportSwap(ProbeList& out, const CgroupLayout& layout, const CgroupFacts& f) {
    const CgroupHierarchy* mem = layout.forController("memory");
    const std::string fix =
        "enable swap accounting: remove swapaccount=0 from the kernel command line (older kernels: boot with "
        "swapaccount=1, CONFIG_MEMCG_SWAP=y)";
    const UnifiedFiles& uf = f.unified;
    if (!mem) {
        out.add("swap accounting", S::Missing, "no memory controller", controllerFix("memory", layout, f));
    } else if (!mem->unified) {
        if (f.memsw)
            out.add("swap accounting", S::Ok, "memory.memsw.limit_in_bytes");
        else
            out.add("swap accounting", S::Warn, "no memory.memsw.* files: memory limits cannot cover swap", fix);
    } else if (uf.known && uf.memoryOn) {
        if (uf.swapMax)
            out.add("swap accounting", S::Ok, "memory.swap.max");
        else
            out.add("swap accounting", S::Warn, "no memory.swap.max: memory limits cannot cover swap", fix);
    } else {
        out.add("swap accounting", S::Warn,
                "could not verify: no child cgroup with the memory controller enabled to look at (" +
                    (uf.why.empty() ? "memory not in " + mem->mountPoint + "/cgroup.subtree_control" : uf.why) + ")");
    }
}

}  // namespace

CgroupFacts gatherCgroupFacts(const CgroupLayout& layout) {
    CgroupFacts f;
    if (auto text = readFile("/proc/cgroups")) f.proc = parseProcCgroups(*text);
    if (const CgroupHierarchy* u = layout.unified()) f.unified = probeUnifiedFiles(*u);
    if (const CgroupHierarchy* mem = layout.forController("memory"); mem && !mem->unified)
        f.memsw = pathExists(mem->mountPoint + "/memory.memsw.limit_in_bytes");
    return f;
}

void reportCgroups(ProbeList& out, const CgroupLayout& layout, const CgroupFacts& facts) {
    reportLayout(out, layout);
    reportControllers(out, layout, facts);
    reportCoreFiles(out, layout, facts.unified);
    reportSwap(out, layout, facts);
}

void probeCgroups(ProbeList& out) {
    out.section("Cgroups");
    auto layout = CgroupLayout::detectHost();
    if (!layout) {
        out.add("hierarchies", S::Missing, layout.error().message(),
                "mount one: mount -t cgroup2 cgroup2 /sys/fs/cgroup (or the v1 controllers under /sys/fs/cgroup/<name>)",
                true);
        out.add("freezer", S::Missing, "no cgroup hierarchy", "mount cgroup2 (cgroup.freeze) or the v1 freezer", true);
        return;
    }
    reportCgroups(out, *layout, gatherCgroupFacts(*layout));
    if (::geteuid() == 0) return;
    // A caller other than root: the group its containers would use.
    auto mine = layout->delegatedTo(::geteuid());
    if (mine)
        out.add("delegation", S::Ok, mine->unified()->mountPoint + " is " + userNameOf(::geteuid()) + "'s");
    else
        out.add("delegation", S::Missing, mine.error().message(), mine.error().hint(), true);
}

}  // namespace xc
