// xc-config apply: the config file onto a running container
// (Container::applyConfig in xc/container.hpp).
#include <cerrno>
#include <cstdint>
#include <map>
#include <set>

#include "base/fsutil.hpp"
#include "cgroup/cgroup.hpp"
#include "xc/config_editor.hpp"
#include "xc/container.hpp"

namespace xc {

namespace {

using Values = std::vector<std::pair<std::string, ConfigValue>>;

std::string shown(const ConfigValue& v) {
    if (!v.isList) return v.text;
    std::string out = "[";
    for (size_t i = 0; i < v.items.size(); ++i) out += (i ? ", " : "") + v.items[i];
    return out + "]";
}

bool startsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// Keys whose changes the running container takes at once (the cgroup
// limits), and keys that nothing running holds (tools read them from the
// file when they act).
bool liveKey(const std::string& k) {
    static const std::set<std::string> keys = {"cgroup.memory.max", "cgroup.memory.high", "cgroup.memory.swap_max",
                                               "cgroup.cpu.weight", "cgroup.cpu.max",     "cgroup.pids.max",
                                               "cgroup.cpuset.cpus", "cgroup.cpuset.mems", "cgroup.raw"};
    return keys.count(k) != 0;
}
bool readWhenUsed(const std::string& k) {
    return startsWith(k, "start.") || k == "hooks.clone" || k == "hooks.destroy";
}

struct Diff {
    ConfigChange change;
    const ConfigValue* started = nullptr;  // nullptr: not set
    const ConfigValue* file = nullptr;
};

std::vector<Diff> diffValues(const Values& started, const Values& file) {
    std::map<std::string, const ConfigValue*> now;
    for (const auto& [k, v] : file) now[k] = &v;
    std::vector<Diff> out;
    std::set<std::string> seen;
    for (const auto& [k, v] : started) {
        seen.insert(k);
        auto it = now.find(k);
        const ConfigValue* f = it == now.end() ? nullptr : it->second;
        if (f && shown(*f) == shown(v)) continue;
        out.push_back({{k, shown(v), f ? shown(*f) : ""}, &v, f});
    }
    for (const auto& [k, v] : file)
        if (!seen.count(k)) out.push_back({{k, "", shown(v)}, nullptr, &v});
    return out;
}

// A removed cpuset or raw file cannot be put back live (the value it had
// before is not known): a restart resets it.
bool appliesLive(const Diff& d) {
    if (!liveKey(d.change.key)) return false;
    if (startsWith(d.change.key, "cgroup.cpuset.")) return d.file != nullptr;
    if (d.change.key == "cgroup.raw") {
        if (!d.started) return true;
        std::set<std::string> kept;
        if (d.file) kept.insert(d.file->items.begin(), d.file->items.end());
        for (const auto& item : d.started->items)
            if (!kept.count(item)) return false;
    }
    return true;
}

// The changed limits only; a limit removed from the file goes back to
// "no limit" (cpu.weight: 100, the kernel's default).
CgroupSettings changedLimits(const std::set<std::string>& keys, const ContainerConfig& now, const Diff* raw) {
    const CgroupSettings& c = now.cgroup;
    CgroupSettings s;
    if (keys.count("cgroup.memory.max") || keys.count("cgroup.memory.high") || keys.count("cgroup.memory.swap_max")) {
        s.memoryMax = c.memoryMax.value_or(UINT64_MAX);
        s.memoryHigh = c.memoryHigh.value_or(UINT64_MAX);
        if (c.memorySwapMax || keys.count("cgroup.memory.swap_max")) s.memorySwapMax = c.memorySwapMax.value_or(UINT64_MAX);
    }
    if (keys.count("cgroup.cpu.weight")) s.cpuWeight = c.cpuWeight.value_or(100);
    if (keys.count("cgroup.cpu.max")) {
        s.cpuQuotaUs = c.cpuQuotaUs.value_or(-1);
        s.cpuPeriodUs = c.cpuPeriodUs.value_or(100000);
    }
    if (keys.count("cgroup.pids.max")) s.pidsMax = c.pidsMax.value_or(-1);
    if (keys.count("cgroup.cpuset.cpus")) s.cpusetCpus = c.cpusetCpus;
    if (keys.count("cgroup.cpuset.mems")) s.cpusetMems = c.cpusetMems;
    if (raw) {
        std::set<std::string> before;
        if (raw->started) before.insert(raw->started->items.begin(), raw->started->items.end());
        for (const auto& [file, value] : c.raw)
            if (!before.count(file + "=" + value)) s.raw.emplace_back(file, value);
    }
    return s;
}

// What was applied (or needs nothing running) counts as started with now.
Status recordApplied(const std::string& path, ConfigEditor started, const std::vector<const Diff*>& done) {
    for (const Diff* d : done) {
        if (d->file) XC_TRY(started.set(d->change.key, *d->file));
        else XC_TRY(started.clear(d->change.key));
    }
    return started.save(path);
}

}  // namespace

Result<ApplyReport> Container::applyConfig() {
    XC_TRY(requireRunning());
    const std::string startedPath = paths_.startedConfigFile();
    XC_ASSIGN(ContainerConfig now, loadConfig(paths_.configFile()));
    XC_ASSIGN(ConfigEditor file, ConfigEditor::load(paths_.configFile()));
    auto startedText = readFile(startedPath);
    if (!startedText)
        return std::move(startedText)
            .error()
            .wrap("read the config it was started with")
            .withHint("its supervisor saves it at start; restart the container to apply the config");
    XC_ASSIGN(ConfigEditor started, ConfigEditor::fromText(*startedText, startedPath));
    XC_ASSIGN(Values before, started.values());
    XC_ASSIGN(Values after, file.values());
    std::vector<Diff> diffs = diffValues(before, after);
    ApplyReport report;
    std::set<std::string> live;
    const Diff* raw = nullptr;
    std::vector<const Diff*> done;
    for (const Diff& d : diffs) {
        if (appliesLive(d)) {
            live.insert(d.change.key);
            if (d.change.key == "cgroup.raw") raw = &d;
            report.applied.push_back(d.change);
            done.push_back(&d);
        } else if (readWhenUsed(d.change.key)) {
            report.readWhenUsed.push_back(d.change);
            done.push_back(&d);
        } else {
            report.needsRestart.push_back(d.change);
        }
    }
    if (!live.empty()) {
        XC_ASSIGN(CgroupLayout layout, CgroupLayout::detect());
        Cgroup cg(layout, paths_.cgroupPath());
        XC_TRY(cg.apply(changedLimits(live, now, raw)).ctx("apply the cgroup limits"));
    }
    if (!done.empty()) XC_TRY(recordApplied(startedPath, std::move(started), done).ctx("record what was applied"));
    return report;
}

}  // namespace xc
